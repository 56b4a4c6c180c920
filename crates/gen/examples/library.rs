//! Using `medallion_gen` as a library, with no CLI and no files: stream a week of typed order
//! rows for a seed, and build an Arrow batch of returns.
//!
//! cargo run -p medallion-gen --example library

use medallion_gen::model::Model;
use medallion_gen::orders::{Order, OrderGen};
use medallion_gen::returns::{returns_batch, returns_of_days};
use medallion_gen::text::{date_string, parse_date};

fn main() {
    let start = parse_date("2024-11-25").expect("a valid date");
    let end = start + 7;
    let model = Model::new(42, 0.05, end);
    let mut order = Order::default();
    for day in start..end {
        let generator = OrderGen::new(&model, day, 0, end);
        let (mut lines, mut revenue_cents) = (0usize, 0i64);
        for idx in 0..generator.count {
            generator.order(idx, &mut order);
            lines += order.lines.len();
            revenue_cents += order.lines.iter().map(|(l, _)| l.unit_price / 100 * l.qty as i64).sum::<i64>();
        }
        println!(
            "{}: {:>5} orders, {:>5} lines, {:>12.2} in local currencies",
            date_string(day),
            generator.count,
            lines,
            revenue_cents as f64 / 100.0
        );
    }
    let returns = returns_of_days(&model, start, end, end + 30);
    let batch = returns_batch(&returns, true).expect("a valid batch");
    println!(
        "{} returns as an Arrow batch with columns {:?}",
        batch.num_rows(),
        batch.schema().fields().iter().map(|f| f.name()).collect::<Vec<_>>()
    );
}
