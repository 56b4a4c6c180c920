//! Reads a generated scale-0.01 dataset back with independent readers and checks it against
//! SPEC: formats and paths, canonical types, volumes, anomaly rates, realism rules, and that the
//! ground-truth log names exactly the rows that are anomalous — no more, no fewer.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::sync::LazyLock;

use arrow::array::{Array, Decimal128Array, Int64Array, TimestampMicrosecondArray};
use common::*;
use medallion_gen::truth::{TruthRecord, read_truth};
use medallion_gen::world::COUNTRIES;
use medallion_gen::{GenConfig, Summary};
use medallion_schema::Table;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

const SCALE: f64 = 0.01;

struct Data {
    dir: tempfile::TempDir,
    truth: Vec<TruthRecord>,
    summary: Summary,
}

static DATA: LazyLock<Data> = LazyLock::new(|| {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = GenConfig::new(dir.path());
    cfg.scale = SCALE;
    let summary = generate(&cfg);
    let truth = read_truth(dir.path()).unwrap();
    Data { dir, truth, summary }
});

fn root() -> &'static Path {
    DATA.dir.path()
}

/// Ground-truth positions (file, line) of one kind.
fn truth_positions(table: Table, kind: &str) -> BTreeSet<(String, u64)> {
    DATA.truth.iter().filter(|r| r.table == table.name() && r.kind == kind).map(|r| (r.file.clone(), r.line)).collect()
}

/// Reads all CSV files of a table as text and gives each row's (file, line).
fn csv_rows(table: Table) -> Vec<(String, CsvText)> {
    table_files(root(), table).into_iter().map(|f| (f.clone(), read_csv_text(&root().join(&f)))).collect()
}

fn ids(table: Table, column: &str) -> HashSet<i64> {
    let mut out = HashSet::new();
    for (_, csv) in csv_rows(table) {
        for i in 0..csv.len() {
            if let Some(v) = csv.get(column, i) {
                out.insert(v.parse().unwrap());
            }
        }
    }
    out
}

/// Checks that a detector over a CSV table finds exactly the logged rows of each kind, and that
/// the only rows failing the canonical cast are logged ones.
fn check_csv_table(table: Table, detect: impl Fn(&CsvText, usize) -> Option<&'static str>) -> usize {
    let mut found: BTreeMap<&str, BTreeSet<(String, u64)>> = BTreeMap::new();
    let mut rows = 0;
    let logged: BTreeSet<(String, u64)> = DATA.truth.iter().filter(|r| r.table == table.name()).map(|r| (r.file.clone(), r.line)).collect();
    for (file, csv) in csv_rows(table) {
        rows += csv.len();
        let (_, failures) = cast_failures(table, &csv);
        for (i, cols) in failures {
            assert!(
                logged.contains(&(file.clone(), csv.lines[i])),
                "{file}:{}: {cols:?} does not cast and is not in the ground truth",
                csv.lines[i]
            );
        }
        for i in 0..csv.len() {
            if let Some(kind) = detect(&csv, i) {
                found.entry(kind).or_default().insert((file.clone(), csv.lines[i]));
            }
        }
    }
    for kind in medallion_schema::AnomalyKind::of_table(table) {
        let code = kind.code();
        let got = found.remove(code).unwrap_or_default();
        let want = truth_positions(table, code);
        assert_eq!(got.len(), want.len(), "{table}/{code}: detected {} rows, ground truth lists {}", got.len(), want.len());
        assert_eq!(got, want, "{table}/{code}: detected rows differ from the ground truth");
        assert_rate(code, got.len(), rows);
    }
    assert!(found.is_empty(), "{table}: detector found kinds not in the catalogue: {:?}", found.keys());
    rows
}

fn in_range(total: usize, at_scale_1: (f64, f64)) {
    let (lo, hi) = (at_scale_1.0 * SCALE, at_scale_1.1 * SCALE);
    assert!((lo..=hi).contains(&(total as f64)), "{total} rows not within {lo}..{hi}");
}

#[test]
fn every_table_is_present_in_its_format_and_path() {
    for table in Table::ALL.into_iter().filter(|t| *t != Table::Returns) {
        let files = table_files(root(), table);
        assert!(!files.is_empty(), "{table}: no file matches {}", table.raw().path);
    }
    // Returns is a Delta table: a log and data files.
    assert!(root().join(&Table::Returns.raw().path).join("_delta_log/00000000000000000000.json").exists());
    assert_eq!(table_files(root(), Table::OrdersHeader).len(), 1095);
    // No temporary files left behind.
    assert!(files(root()).iter().all(|p| !p.to_string_lossy().ends_with(".tmp")));
}

#[test]
fn customers() {
    let email_ok = |e: &str| {
        let Some((local, domain)) = e.split_once('@') else { return false };
        !local.is_empty() && !domain.contains('@') && domain.contains('.') && !e.contains(' ') && !domain.ends_with('.')
    };
    let seen = std::cell::RefCell::new(HashSet::new());
    let rows = check_csv_table(Table::Customers, |c, i| {
        if !seen.borrow_mut().insert(c.get("natural_key", i).unwrap().to_string()) {
            Some("duplicate_natural_key")
        } else if c.get("email", i).is_some_and(|e| !email_ok(e)) {
            Some("malformed_email")
        } else if c.get("phone", i).is_none() {
            Some("null_phone")
        } else if c.get("address_line1", i).is_none() {
            Some("null_address")
        } else {
            None
        }
    });
    in_range(rows, (76_000.0, 84_000.0));
}

#[test]
fn products_stores_suppliers() {
    let rows = check_csv_table(Table::Products, |c, i| {
        let price = c.get("current_price", i).map(|p| p.parse::<f64>().unwrap());
        if price.is_none_or(|p| p <= 0.0) {
            Some("invalid_price")
        } else if c.get("is_discontinued", i) == Some("true") && c.get("discontinued_dt", i).is_none() {
            Some("discontinued_without_date")
        } else {
            None
        }
    });
    in_range(rows, (24_000.0, 26_000.0));
    let codes = std::cell::RefCell::new(HashSet::new());
    let rows = check_csv_table(Table::Stores, |c, i| {
        let lat: f64 = c.get("latitude", i).unwrap().parse().unwrap();
        let lon: f64 = c.get("longitude", i).unwrap().parse().unwrap();
        let fresh = codes.borrow_mut().insert(c.get("store_code", i).unwrap().to_string());
        if lat.abs() > 90.0 || lon.abs() > 180.0 {
            Some("impossible_coordinates")
        } else if !fresh {
            Some("duplicate_store_code")
        } else {
            None
        }
    });
    in_range(rows, (4_800.0, 5_200.0));
    let rows = check_csv_table(Table::Suppliers, |_, _| None);
    in_range(rows, (7_600.0, 8_400.0));
}

#[test]
fn orders_and_lines() {
    let customers = ids(Table::Customers, "customer_id");
    let stores = ids(Table::Stores, "store_id");
    let products = ids(Table::Products, "product_id");
    let mut order_count: HashMap<String, usize> = HashMap::new();
    for (_, c) in csv_rows(Table::OrdersHeader) {
        for i in 0..c.len() {
            *order_count.entry(c.get("order_id", i).unwrap().to_string()).or_default() += 1;
        }
    }
    let first_seen = std::cell::RefCell::new(HashSet::new());
    let rows = check_csv_table(Table::OrdersHeader, |c, i| {
        let id = c.get("order_id", i).unwrap();
        if order_count[id] > 1 && !first_seen.borrow_mut().insert(id.to_string()) {
            return Some("duplicate_order_id");
        }
        if !customers.contains(&c.get("customer_id", i).unwrap().parse().unwrap()) {
            Some("unknown_customer")
        } else if !stores.contains(&c.get("store_id", i).unwrap().parse().unwrap()) {
            Some("unknown_store")
        } else {
            None
        }
    });
    in_range(rows, (950_000.0, 1_100_000.0));
    let lines = check_csv_table(Table::OrdersLines, |c, i| {
        if !products.contains(&c.get("product_id", i).unwrap().parse().unwrap()) {
            Some("unknown_product")
        } else if c.get("qty", i).unwrap().parse::<i32>().unwrap() < 0 {
            Some("negative_qty")
        } else if c.get("unit_price", i).unwrap().parse::<f64>().unwrap() == 0.0 {
            Some("zero_price")
        } else {
            None
        }
    });
    in_range(lines, (3_000_000.0, 4_000_000.0));
    // Foreign keys hold for about 99% of rows overall.
    let fk_breaks = ["unknown_customer", "unknown_store", "unknown_product"]
        .iter()
        .map(|k| DATA.truth.iter().filter(|r| r.kind == *k).count())
        .sum::<usize>();
    assert!((fk_breaks as f64) / ((rows + lines) as f64) < 0.015);
    // Every order's local date is its partition's date.
    for (file, c) in csv_rows(Table::OrdersHeader) {
        let day = file.split("order_dt=").nth(1).unwrap().split('/').next().unwrap();
        for i in 0..c.len() {
            if !first_seen.borrow().contains(c.get("order_id", i).unwrap()) || order_count[c.get("order_id", i).unwrap()] == 1 {
                assert_eq!(c.get("order_dt_local", i), Some(day), "{file}");
                assert!(c.get("order_ts", i).unwrap().starts_with(day), "{file}: local timestamp on another day");
            }
        }
    }
}

#[test]
fn events() {
    let required = Table::Events.raw().required_json_fields.clone();
    let mut found: BTreeMap<&str, BTreeSet<(String, u64)>> = BTreeMap::new();
    let mut rows = 0;
    let mut ids = HashSet::new();
    for file in table_files(root(), Table::Events) {
        let text = std::fs::read_to_string(root().join(&file)).unwrap();
        for (i, line) in text.lines().enumerate() {
            rows += 1;
            let pos = (file.clone(), i as u64 + 1);
            match serde_json::from_str::<serde_json::Value>(line) {
                Err(_) => {
                    found.entry("malformed_json").or_default().insert(pos);
                }
                Ok(v) => {
                    if required.iter().any(|f| v.get(f).is_none()) {
                        found.entry("missing_envelope_field").or_default().insert(pos);
                    }
                    if let Some(id) = v.get("event_id").and_then(|v| v.as_str()) {
                        assert!(ids.insert(id.to_string()), "duplicate event_id {id}");
                    }
                    assert!(v.get("payload").is_some_and(|p| p.is_object()));
                }
            }
        }
    }
    for code in ["malformed_json", "missing_envelope_field"] {
        let got = found.remove(code).unwrap_or_default();
        assert_eq!(got, truth_positions(Table::Events, code), "events/{code}");
        assert_rate(code, got.len(), rows);
    }
    in_range(rows, (1_800_000.0, 2_300_000.0));
}

#[test]
fn sensors() {
    let (lo_t, hi_t) = medallion_schema::anomaly::TEMPERATURE_RANGE_C;
    let (lo_h, hi_h) = medallion_schema::anomaly::HUMIDITY_RANGE_PCT;
    let rows = check_csv_table(Table::Sensors, |c, i| {
        let t: f64 = c.get("temperature_c", i).unwrap().parse().unwrap();
        let h: f64 = c.get("humidity_pct", i).unwrap().parse().unwrap();
        if c.get("sensor_ts", i).is_none() {
            Some("missing_sensor_ts")
        } else if !(lo_t..=hi_t).contains(&t) || !(lo_h..=hi_h).contains(&h) {
            Some("out_of_range_reading")
        } else {
            None
        }
    });
    in_range(rows, (5_000_000.0, 10_000_000.0));
}

#[test]
fn shipments_parquet_and_time_order() {
    let sla: HashMap<&str, i64> = COUNTRIES.iter().flat_map(|c| c.carriers.iter().map(|k| (k.name, k.sla_days))).collect();
    // order_ts per order id, parsed by arrow's cast from the offset timestamps in the CSVs.
    let mut order_ts: HashMap<i64, i64> = HashMap::new();
    for (_, c) in csv_rows(Table::OrdersHeader) {
        let (typed, _) = cast_failures(Table::OrdersHeader, &c);
        let id = typed[0].as_any().downcast_ref::<Int64Array>().unwrap();
        let ts = typed[1].as_any().downcast_ref::<TimestampMicrosecondArray>().unwrap();
        for i in 0..id.len() {
            order_ts.insert(id.value(i), ts.value(i));
        }
    }
    let mut rows = 0;
    let mut found: BTreeMap<&str, BTreeSet<(String, u64)>> = BTreeMap::new();
    for file in table_files(root(), Table::Shipments) {
        let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(root().join(&file)).unwrap()).unwrap();
        let schema = reader.schema().clone();
        for (f, want) in schema.fields().iter().zip(Table::Shipments.schema().fields()) {
            assert_eq!((f.name(), f.data_type()), (want.name(), want.data_type()));
        }
        let mut row_in_file = 0u64;
        for batch in reader.build().unwrap() {
            let b = batch.unwrap();
            let order = b.column(1).as_any().downcast_ref::<Int64Array>().unwrap();
            let carrier = b.column(2).as_any().downcast_ref::<arrow::array::StringArray>().unwrap();
            let shipped = b.column(3).as_any().downcast_ref::<TimestampMicrosecondArray>().unwrap();
            let delivered = b.column(4).as_any().downcast_ref::<TimestampMicrosecondArray>().unwrap();
            let cost = b.column(5).as_any().downcast_ref::<Decimal128Array>().unwrap();
            for i in 0..b.num_rows() {
                let o = order_ts[&order.value(i)];
                assert!(o < shipped.value(i), "shipped before ordered");
                assert!(cost.value(i) > 0);
                let pos = (file.clone(), row_in_file);
                if delivered.is_null(i) {
                    found.entry("in_transit").or_default().insert(pos);
                } else {
                    assert!(shipped.value(i) < delivered.value(i), "delivered before shipped");
                    if delivered.value(i) - shipped.value(i) > sla[carrier.value(i)] * 86_400_000_000 {
                        found.entry("late_delivery").or_default().insert(pos);
                    }
                }
                row_in_file += 1;
            }
            rows += b.num_rows();
        }
    }
    for code in ["in_transit", "late_delivery"] {
        let got = found.remove(code).unwrap_or_default();
        assert_eq!(got, truth_positions(Table::Shipments, code), "shipments/{code}");
        assert_rate(code, got.len(), rows);
    }
    in_range(rows, (950_000.0, 1_100_000.0));
}

#[test]
fn exchange_rates_xlsx() {
    use calamine::{Data as Cell, DataType, Reader, Xlsx, open_workbook};
    let mut wb: Xlsx<_> = open_workbook(root().join("exchange_rates.xlsx")).unwrap();
    let range = wb.worksheet_range("rates").unwrap();
    let mut rows = range.rows();
    let header: Vec<String> = rows.next().unwrap().iter().map(|c| c.to_string()).collect();
    assert_eq!(header, Table::ExchangeRates.raw().column_names());
    let mut by_day: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for r in rows {
        let date = match &r[0] {
            Cell::DateTime(d) => {
                let (y, m, d, ..) = d.to_ymd_hms_milli();
                format!("{y:04}-{m:02}-{d:02}")
            }
            other => panic!("date cell is {other:?}"),
        };
        let rate = r[2].get_float().unwrap();
        assert!(rate > 0.0);
        by_day.entry(date).or_default().insert(r[1].to_string(), rate);
    }
    assert_eq!(by_day.len(), 1095);
    // Every currency orders use is present every day, and weekends carry Friday's rate.
    let currencies: BTreeSet<String> = by_day.values().next().unwrap().keys().cloned().collect();
    for c in COUNTRIES {
        assert!(currencies.contains(c.currency));
    }
    let days: Vec<_> = by_day.iter().collect();
    for w in days.windows(3) {
        let d = chrono_weekday(w[0].0);
        if d == 4 {
            assert_eq!(w[0].1, w[1].1, "Saturday {} differs from Friday", w[1].0);
            assert_eq!(w[0].1, w[2].1, "Sunday {} differs from Friday", w[2].0);
        }
    }
}

fn chrono_weekday(date: &str) -> u32 {
    medallion_gen::text::weekday(medallion_gen::text::parse_date(date).unwrap())
}

#[test]
fn summary_counts_match_the_files() {
    // The generator's own counters agree with what the independent readers see.
    let s = &DATA.summary;
    let lines: usize = csv_rows(Table::OrdersLines).iter().map(|(_, c)| c.len()).sum();
    assert_eq!(s.tables[&Table::OrdersLines].rows as usize, lines);
    let truth_total: u64 = s.anomalies.values().sum();
    assert_eq!(truth_total as usize, DATA.truth.len());
}

#[test]
fn duckdb_reads_the_csvs_too() {
    // A second, independent CSV parser: DuckDB (linked to the official library).
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let glob = root().join("orders_header/*/*.csv");
    let n: i64 = conn.query_row(&format!("select count(*) from read_csv('{}', header = true)", glob.display()), [], |r| r.get(0)).unwrap();
    assert_eq!(n as u64, DATA.summary.tables[&Table::OrdersHeader].rows);
}
