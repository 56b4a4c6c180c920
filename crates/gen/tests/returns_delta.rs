//! The returns Delta table's history: v0 base, v1 schema evolution (+ return_reason_code),
//! v2 updates (MERGE), v3 deletes — read back version by version with deltalake.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use arrow::array::{Array, Int32Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use common::*;
use medallion_delta::table_url;
use medallion_gen::returns::returns_of_days;
use medallion_gen::truth::{CHANGE_RETURN_DELETED, CHANGE_RETURN_UPDATED, read_truth};
use medallion_schema::Table;

#[derive(Debug, Clone, PartialEq)]
struct Row {
    order_id: i64,
    product_id: i64,
    ts: i64,
    qty: i32,
    reason: String,
    code: Option<String>,
}

struct Version {
    columns: Vec<String>,
    rows: BTreeMap<i64, Row>,
}

fn read_version(root: &Path, v: u64) -> Version {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let table = rt.block_on(deltalake::open_table_with_version(table_url(&root.join("returns")).unwrap(), v)).unwrap();
    let columns: Vec<String> = table.snapshot().unwrap().schema().fields().map(|f| f.name().to_string()).collect();
    let mut rows = BTreeMap::new();
    for uri in table.get_file_uris().unwrap() {
        let path = uri.strip_prefix("file://").unwrap_or(&uri).to_string();
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).unwrap())
            .unwrap()
            .build()
            .unwrap();
        for batch in reader {
            let b: RecordBatch = batch.unwrap();
            let i64s = |name: &str| b.column_by_name(name).unwrap().as_any().downcast_ref::<Int64Array>().unwrap().clone();
            let (id, order, product) = (i64s("return_id"), i64s("order_id"), i64s("product_id"));
            let ts = b.column_by_name("return_ts").unwrap().as_any().downcast_ref::<TimestampMicrosecondArray>().unwrap().clone();
            let qty = b.column_by_name("qty").unwrap().as_any().downcast_ref::<Int32Array>().unwrap().clone();
            // MERGE rewrites strings as Utf8View; cast so every file reads the same way.
            let text = |c: &arrow::array::ArrayRef| {
                arrow::compute::cast(c, &arrow::datatypes::DataType::Utf8).unwrap().as_any().downcast_ref::<StringArray>().unwrap().clone()
            };
            let reason = text(b.column_by_name("reason").unwrap());
            let code = b.column_by_name("return_reason_code").map(text);
            for i in 0..b.num_rows() {
                let row = Row {
                    order_id: order.value(i),
                    product_id: product.value(i),
                    ts: ts.value(i),
                    qty: qty.value(i),
                    reason: reason.value(i).to_string(),
                    code: code.as_ref().and_then(|c| (!c.is_null(i)).then(|| c.value(i).to_string())),
                };
                assert!(rows.insert(id.value(i), row).is_none(), "return_id {} twice in version {v}", id.value(i));
            }
        }
    }
    Version { columns, rows }
}

#[test]
fn returns_history_has_the_four_kinds_of_versions() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = small_config(dir.path(), 0.02, 120);
    generate(&cfg);
    let truth = read_truth(dir.path()).unwrap();
    let keys = |kind: &str| truth.iter().filter(|r| r.kind == kind).map(|r| r.key.parse::<i64>().unwrap()).collect::<HashSet<i64>>();
    let (updated, deleted) = (keys(CHANGE_RETURN_UPDATED), keys(CHANGE_RETURN_DELETED));
    assert!(!updated.is_empty() && !deleted.is_empty());

    let base_cols = Table::Returns.raw().column_names();
    let v0 = read_version(dir.path(), 0);
    assert_eq!(v0.columns, base_cols, "v0 has the base schema");
    assert!(!v0.rows.is_empty());

    // v1: schema evolution; old rows read null in the new column, new rows carry it.
    let v1 = read_version(dir.path(), 1);
    assert_eq!(v1.columns.len(), base_cols.len() + 1);
    assert_eq!(v1.columns.last().unwrap(), "return_reason_code");
    assert!(v1.rows.len() > v0.rows.len());
    for (id, row) in &v1.rows {
        match v0.rows.get(id) {
            Some(old) => assert!(row.code.is_none() && old.qty == row.qty, "old row {id} changed in v1"),
            None => assert!(row.code.is_some(), "new row {id} lacks a reason code"),
        }
    }
    // Together v1 holds exactly the returns the library computes for those days.
    let model = cfg.model();
    let expected: HashMap<i64, _> =
        returns_of_days(&model, cfg.start, cfg.end(), cfg.end()).into_iter().map(|r| (r.return_id, r)).collect();
    assert_eq!(v1.rows.len(), expected.len());
    for (id, row) in &v1.rows {
        let e = &expected[id];
        assert_eq!(
            (row.order_id, row.product_id, row.ts, row.qty, row.reason.as_str()),
            (e.order_id, e.product_id, e.return_ts_us, e.qty, e.reason)
        );
    }

    // v2: updates through MERGE on return_id; nothing else changes.
    let v2 = read_version(dir.path(), 2);
    assert_eq!(v2.rows.len(), v1.rows.len());
    for (id, row) in &v2.rows {
        if updated.contains(id) {
            assert_eq!((row.qty, row.reason.as_str(), row.code.as_deref()), (1, "damaged", Some("DMG")), "return {id}");
        } else {
            assert_eq!(row, &v1.rows[id], "return {id} changed without being updated");
        }
    }

    // v3: deletes.
    let v3 = read_version(dir.path(), 3);
    assert_eq!(v3.rows.len(), v2.rows.len() - deleted.len());
    assert!(deleted.iter().all(|id| v2.rows.contains_key(id) && !v3.rows.contains_key(id)));
    assert!(v3.rows.iter().all(|(id, row)| row == &v2.rows[id]));

    // Realism: a return follows its order and names a product of one of its lines.
    let mut lines: HashSet<(i64, i64)> = HashSet::new();
    for f in table_files(dir.path(), Table::OrdersLines) {
        let csv = read_csv_text(&dir.path().join(f));
        for i in 0..csv.len() {
            lines.insert((csv.get("order_id", i).unwrap().parse().unwrap(), csv.get("product_id", i).unwrap().parse().unwrap()));
        }
    }
    for row in v3.rows.values() {
        assert!(lines.contains(&(row.order_id, row.product_id)), "return of a product not in its order");
        let ymd = row.order_id / 100_000_000;
        let day = medallion_gen::text::days_from_civil((ymd / 10_000) as i32, (ymd / 100 % 100) as u32, (ymd % 100) as u32);
        assert!(row.ts > day as i64 * medallion_gen::text::MICROS_PER_DAY, "return before its order's day");
    }
}

#[test]
fn a_rerun_leaves_an_identical_history_alone() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = small_config(dir.path(), 0.01, 40);
    generate(&cfg);
    let log = |root: &Path| -> Vec<Vec<u8>> {
        let mut files: Vec<_> = std::fs::read_dir(root.join("returns/_delta_log")).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        files.iter().map(|p| std::fs::read(p).unwrap()).collect()
    };
    let before = log(dir.path());
    let truth_before = read_truth(dir.path()).unwrap();
    generate(&cfg);
    assert_eq!(log(dir.path()), before, "a rerun rewrote the returns history (new commit times)");
    assert_eq!(read_truth(dir.path()).unwrap(), truth_before);
    // Another seed is another dataset: refused into the same folder, rewritten with replace.
    let mut other = cfg.clone();
    other.seed += 1;
    let refused = medallion_gen::generate(&other, &medallion_gen::NoProgress).unwrap_err().to_string();
    assert!(refused.contains("holds another dataset"), "{refused}");
    assert_eq!(log(dir.path()), before);
    other.replace = true;
    generate(&other);
    assert_ne!(log(dir.path()), before);
}
