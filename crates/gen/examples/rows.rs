//! Typed rows, no files: a week of order lines for a seed, with the anomalies the generator
//! injected, and the week's returns.
//!
//! cargo run -p medallion-gen --no-default-features --example rows

use medallion_gen::Mark;
use medallion_gen::model::Model;
use medallion_gen::orders::{OrderHeaders, OrderLines};
use medallion_gen::returns::Returns;
use medallion_gen::text::{date_string, parse_date};

fn main() {
    let start = parse_date("2024-11-25").expect("a valid date");
    let end = start + 7;
    let model = Model::new(42, 0.05, end);
    for day in start..end {
        let orders = OrderHeaders::new(&model, day, 0, start..end).count();
        let (mut lines, mut anomalies, mut revenue_cents) = (0usize, 0usize, 0i64);
        for line in OrderLines::new(&model, day, 0, start..end) {
            lines += 1;
            anomalies += usize::from(matches!(line.mark, Some(Mark::Anomaly(_))));
            revenue_cents += line.row.unit_price / 100 * line.row.qty as i64;
        }
        println!(
            "{}: {orders:>5} orders, {lines:>5} lines ({anomalies} with an anomaly), {:>12.2} in local currencies",
            date_string(day),
            revenue_cents as f64 / 100.0
        );
    }
    let returns = Returns::new(&model, start, end, end + 30).count();
    println!("{returns} returns of the week's orders within 30 days");
}
