//! Reviewed snapshots of the first rows of every source at a fixed seed, as typed rows with
//! their marks: a readable view of what the generator makes, and a tripwire for any change in
//! the random streams (`cargo insta review` after an intended change).

use std::fmt::Write;

use medallion_gen::dims::{CustomerChanges, Customers, ProductChanges, Products, Stores, Suppliers};
use medallion_gen::events::Events;
use medallion_gen::fx::ExchangeRates;
use medallion_gen::model::Model;
use medallion_gen::orders::{OrderHeaders, OrderLines, Shipments};
use medallion_gen::returns::Returns;
use medallion_gen::sensors::{SensorReadings, sensor_stores};
use medallion_gen::text::parse_date;

fn first<T: std::fmt::Debug>(out: &mut String, title: &str, rows: impl Iterator<Item = T>) {
    let _ = writeln!(out, "## {title}");
    for row in rows.take(3) {
        let _ = writeln!(out, "{row:?}");
    }
}

#[test]
fn the_first_rows_of_every_source() {
    let day = parse_date("2024-03-01").unwrap();
    let run = day..day + 30;
    let model = Model::new(42, 0.01, run.end);
    let mut out = String::new();
    first(&mut out, "customers", Customers::new(&model));
    first(&mut out, "customers (an increment's moves)", CustomerChanges::new(&model, day));
    first(&mut out, "products", Products::new(&model));
    first(&mut out, "products (an increment's price changes)", ProductChanges::new(&model, day));
    first(&mut out, "stores", Stores::new(&model));
    first(&mut out, "suppliers", Suppliers::new(&model));
    first(&mut out, "orders_header", OrderHeaders::new(&model, day, 0, run.clone()));
    first(&mut out, "orders_lines", OrderLines::new(&model, day, 0, run.clone()));
    first(&mut out, "shipments", Shipments::new(&model, day, 0, run.clone()));
    first(&mut out, "events", Events::new(&model, day));
    let (store, shelves) = sensor_stores(&model)[0];
    first(&mut out, "sensors", SensorReadings::new(&model, store, shelves, day, day + 1));
    first(&mut out, "exchange_rates", ExchangeRates::new(&model, day, day + 1));
    first(&mut out, "returns", Returns::new(&model, day, run.end, run.end));
    insta::assert_snapshot!(out);
}
