//! An increment after a base run: two more days of facts plus one late, back-dated file, with
//! product price and customer address changes — new keys only, base files untouched.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use common::*;
use medallion_gen::text::date_string;
use medallion_gen::truth::{CHANGE_ADDRESS, CHANGE_PRICE, read_truth};
use medallion_schema::Table;

fn keys_of(root: &std::path::Path, files: &[String], column: &str) -> HashSet<i64> {
    let mut out = HashSet::new();
    for f in files {
        let csv = read_csv_text(&root.join(f));
        for i in 0..csv.len() {
            out.insert(csv.get(column, i).unwrap().parse().unwrap());
        }
    }
    out
}

fn rows_by_id(path: &std::path::Path, id: &str) -> HashMap<i64, Vec<Option<String>>> {
    let csv = read_csv_text(path);
    (0..csv.len())
        .map(|i| (csv.get(id, i).unwrap().parse().unwrap(), csv.header.iter().map(|h| csv.get(h, i).map(str::to_string)).collect()))
        .collect()
}

#[test]
fn increment_adds_new_keys_a_late_file_and_dimension_changes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let base = small_config(root, 0.02, 60);
    generate(&base);
    let before: BTreeMap<PathBuf, Vec<u8>> =
        files(root).into_iter().filter(|p| !p.starts_with("returns")).map(|p| (p.clone(), std::fs::read(root.join(&p)).unwrap())).collect();
    let base_orders = keys_of(root, &table_files(root, Table::OrdersHeader), "order_id");

    let mut inc = base.clone();
    inc.start = base.end();
    inc.days = 2;
    inc.increment = true;
    inc.late_file = true;
    generate(&inc);

    // Base files are untouched.
    for (path, bytes) in &before {
        assert_eq!(&std::fs::read(root.join(path)).unwrap(), bytes, "{} changed", path.display());
    }
    let new_files: Vec<String> =
        table_files(root, Table::OrdersHeader).into_iter().filter(|f| !before.contains_key(&PathBuf::from(f))).collect();
    let late_day = date_string(inc.start - 1);
    let expected: HashSet<String> = [
        format!("orders_header/order_dt={}/part-00000.csv", date_string(inc.start)),
        format!("orders_header/order_dt={}/part-00000.csv", date_string(inc.start + 1)),
        format!("orders_header/order_dt={late_day}/part-00001.csv"),
    ]
    .into();
    assert_eq!(new_files.iter().cloned().collect::<HashSet<_>>(), expected);

    // New, non-colliding keys; the late file's orders carry the late day's date.
    let new_orders = keys_of(root, &new_files, "order_id");
    assert!(!new_orders.is_empty());
    assert!(new_orders.is_disjoint(&base_orders), "increment order ids collide with the base run");
    let late = read_csv_text(&root.join(format!("orders_header/order_dt={late_day}/part-00001.csv")));
    assert!(late.len() > 0);
    assert!((0..late.len()).all(|i| late.get("order_dt_local", i) == Some(late_day.as_str())));
    let late_lines = read_csv_text(&root.join(format!("orders_lines/order_dt={late_day}/part-00001.csv")));
    let late_ids: HashSet<&str> = (0..late.len()).map(|i| late.get("order_id", i).unwrap()).collect();
    assert!((0..late_lines.len()).all(|i| late_ids.contains(late_lines.get("order_id", i).unwrap())));
    assert!(root.join(format!("events/event_dt={}/events_0000.jsonl", date_string(inc.start + 1))).exists());

    // Dimension changes: every changed member exists in the base snapshot, with the change.
    let range = format!("{}_{}", date_string(inc.start), date_string(inc.end() - 1));
    let truth = read_truth(root).unwrap();
    let base_customers = rows_by_id(&root.join("customers.csv"), "customer_id");
    let moved = rows_by_id(&root.join(format!("customers_increments/{range}.csv")), "customer_id");
    assert!(!moved.is_empty());
    assert_eq!(moved.len(), truth.iter().filter(|r| r.kind == CHANGE_ADDRESS).count());
    let cols = Table::Customers.raw().column_names();
    let col = |name: &str| cols.iter().position(|c| *c == name).unwrap();
    for (id, row) in &moved {
        let old = &base_customers[id];
        assert_eq!(row[col("natural_key")], old[col("natural_key")]);
        assert_eq!(row[col("email")], old[col("email")]);
        assert_ne!(row[col("address_line1")], old[col("address_line1")], "customer {id} did not move");
    }
    let base_products = rows_by_id(&root.join("products.csv"), "product_id");
    let repriced = rows_by_id(&root.join(format!("products_increments/{range}.csv")), "product_id");
    assert!(!repriced.is_empty());
    assert_eq!(repriced.len(), truth.iter().filter(|r| r.kind == CHANGE_PRICE).count());
    let price = Table::Products.raw().column_names().iter().position(|c| *c == "current_price").unwrap();
    for (id, row) in &repriced {
        assert_ne!(row[price], base_products[id][price], "product {id} price unchanged");
    }
    assert!(root.join(format!("exchange_rates_increments/{range}.xlsx")).exists());

    // Running the same increment again rewrites the same bytes.
    let after: BTreeMap<PathBuf, Vec<u8>> =
        files(root).into_iter().filter(|p| !p.starts_with("returns")).map(|p| (p.clone(), std::fs::read(root.join(&p)).unwrap())).collect();
    let mut again = inc.clone();
    again.tables = vec![Table::Customers, Table::Products, Table::OrdersHeader, Table::Events, Table::ExchangeRates];
    generate(&again);
    for (path, bytes) in &after {
        assert_eq!(&std::fs::read(root.join(path)).unwrap(), bytes, "{} differs on a rerun", path.display());
    }
}
