//! The library's row generators are what the files hold: for every source, the rows and the
//! ground-truth marks of its generators over a run equal what `generate` wrote, and their Arrow
//! batches carry the canonical columns and the same number of rows.

mod common;

use std::collections::BTreeMap;

use medallion_gen::dims::{Customers, Products, Stores, Suppliers};
use medallion_gen::events::Events;
use medallion_gen::fx::ExchangeRates;
use medallion_gen::orders::{OrderHeaders, OrderLines, Shipments};
use medallion_gen::returns::Returns;
use medallion_gen::sensors::{SensorReadings, sensor_stores};
use medallion_gen::{ArrowBatches, ArrowRow, Generated, SourceRow, month_segments};
use medallion_schema::Table;
use medallion_schema::truth::read_truth;

/// Rows and marks per kind of one generator; checks its Arrow batches on the way.
fn tally<R: ArrowRow + Clone>(
    rows: impl Iterator<Item = Generated<R>>,
    counts: &mut BTreeMap<Table, u64>,
    marks: &mut BTreeMap<(String, String), u64>,
) {
    let rows: Vec<Generated<R>> = rows.collect();
    *counts.entry(R::TABLE).or_default() += rows.len() as u64;
    for g in &rows {
        if let Some(m) = g.mark {
            *marks.entry((R::TABLE.name().to_string(), m.code().to_string())).or_default() += 1;
        }
    }
    let batches = ArrowBatches::new(rows.clone().into_iter(), 97);
    let schema = batches.schema();
    let canonical = R::TABLE.schema();
    assert_eq!(schema.fields().len(), canonical.fields().len(), "{}", R::TABLE);
    for (a, c) in schema.fields().iter().zip(canonical.fields()) {
        assert_eq!((a.name(), a.data_type()), (c.name(), c.data_type()), "{}", R::TABLE);
    }
    let in_batches: usize = batches.map(|b| b.expect("a valid batch").num_rows()).sum();
    assert_eq!(in_batches, rows.len(), "{}", R::TABLE);
}

#[test]
fn every_generator_yields_what_the_files_hold() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = common::small_config(dir.path(), 0.01, 40);
    let summary = common::generate(&cfg);
    let model = cfg.model();
    let (start, end) = (cfg.start, cfg.end());
    let (mut counts, mut marks) = (BTreeMap::new(), BTreeMap::new());
    tally(Customers::new(&model), &mut counts, &mut marks);
    tally(Products::new(&model), &mut counts, &mut marks);
    tally(Stores::new(&model), &mut counts, &mut marks);
    tally(Suppliers::new(&model), &mut counts, &mut marks);
    tally(ExchangeRates::new(&model, start, end), &mut counts, &mut marks);
    tally(Returns::new(&model, start, end, end), &mut counts, &mut marks);
    for day in start..end {
        tally(OrderHeaders::new(&model, day, 0, start..end), &mut counts, &mut marks);
        tally(OrderLines::new(&model, day, 0, start..end), &mut counts, &mut marks);
        tally(Shipments::new(&model, day, 0, start..end), &mut counts, &mut marks);
        tally(Events::new(&model, day), &mut counts, &mut marks);
    }
    let from = end - cfg.days.min(medallion_gen::model::SENSOR_DAYS) as i32;
    for (store, shelves) in sensor_stores(&model) {
        for (a, b) in month_segments(from, end) {
            tally(SensorReadings::new(&model, store, shelves, a, b), &mut counts, &mut marks);
        }
    }
    for table in Table::ALL {
        assert_eq!(counts.get(&table).copied().unwrap_or(0), summary.tables[&table].rows, "{table}: rows");
    }
    // The log also records the returns history's deliberate changes, which no row generator
    // marks (they are versions of the Delta table, chosen by the writer).
    let mut logged: BTreeMap<(String, String), u64> = BTreeMap::new();
    for r in read_truth(dir.path()).unwrap().into_iter().filter(|r| r.table != "returns") {
        *logged.entry((r.table, r.kind)).or_default() += 1;
    }
    assert!(!logged.is_empty());
    assert_eq!(marks, logged, "marks of the generators = the ground-truth log");
}

#[test]
fn truth_keys_name_the_rows_the_log_names() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = common::small_config(dir.path(), 0.01, 5);
    common::generate(&cfg);
    let model = cfg.model();
    let mut keys: Vec<(String, String, String)> = Vec::new();
    let mut push = |table: Table, kind: &str, key: String| keys.push((table.name().to_string(), kind.to_string(), key));
    for g in Customers::new(&model) {
        if let Some(m) = g.mark {
            push(Table::Customers, m.code(), g.row.truth_key(m));
        }
    }
    for day in cfg.start..cfg.end() {
        for g in OrderLines::new(&model, day, 0, cfg.start..cfg.end()) {
            if let Some(m) = g.mark {
                push(Table::OrdersLines, m.code(), g.row.truth_key(m));
            }
        }
    }
    keys.sort();
    let mut logged: Vec<(String, String, String)> = read_truth(dir.path())
        .unwrap()
        .into_iter()
        .filter(|r| r.table == "customers" || r.table == "orders_lines")
        .map(|r| (r.table, r.kind, r.key))
        .collect();
    logged.sort();
    assert!(!keys.is_empty());
    assert_eq!(keys, logged);
}
