//! Whole Bronze runs on generated data: accounting in the manifest, Parquet = Delta, audit
//! columns, reruns, increments with a late file, crash recovery at every commit step, the lock.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use arrow::array::{Array, BinaryArray, RecordBatch, StringArray};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use medallion_bronze::read::row_hash;
use medallion_bronze::{BronzeConfig, run};
use medallion_gen::{GenConfig, NoProgress};
use medallion_schema::Table;

/// The crash hook is a process-wide variable: tests that run Bronze take turns.
static SERIAL: Mutex<()> = Mutex::new(());

fn generate(raw: &Path, start: &str, days: u32, increment: bool) {
    let mut cfg = GenConfig::new(raw);
    cfg.scale = 0.01;
    cfg.start = medallion_gen::text::parse_date(start).unwrap();
    cfg.days = days;
    cfg.increment = increment;
    cfg.late_file = increment;
    medallion_gen::generate(&cfg, &NoProgress).unwrap();
}

fn config(root: &Path, raw: &Path) -> BronzeConfig {
    BronzeConfig {
        raw: raw.to_path_buf(),
        lake: root.join("lake"),
        manifest: root.join("warehouse.duckdb"),
        dry_run: false,
        tables: Vec::new(),
    }
}

fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(parquet_files(&p));
            } else if p.extension().is_some_and(|x| x == "parquet") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn read_parquet(path: &Path) -> Vec<RecordBatch> {
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).unwrap())
        .unwrap()
        .build()
        .unwrap();
    reader.collect::<Result<_, _>>().unwrap()
}

/// Rows rendered as text (all columns but the partition column), sorted: a multiset.
fn rows_of(batches: &[RecordBatch], skip: Option<&str>) -> Vec<String> {
    let opts = FormatOptions::default().with_null("∅");
    let mut out = Vec::new();
    for b in batches {
        let cols: Vec<(usize, ArrayFormatter)> = b
            .schema()
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| Some(f.name().as_str()) != skip)
            .map(|(i, _)| (i, ArrayFormatter::try_new(b.column(i).as_ref(), &opts).unwrap()))
            .collect();
        for r in 0..b.num_rows() {
            out.push(cols.iter().map(|(_, f)| f.value(r).to_string()).collect::<Vec<_>>().join("|"));
        }
    }
    out.sort();
    out
}

fn bronze_parquet_rows(lake: &Path, table: Table) -> Vec<String> {
    let batches: Vec<RecordBatch> =
        parquet_files(&lake.join(format!("bronze/parquet/{table}"))).iter().flat_map(|p| read_parquet(p)).collect();
    rows_of(&batches, None)
}

/// The data files of a Bronze Delta table at a version (latest when `None`), read as batches.
fn delta_batches(lake: &Path, table: Table, version: Option<u64>) -> Vec<RecordBatch> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let abs = std::fs::canonicalize(lake.join(format!("bronze/delta/{table}"))).unwrap();
    let url = url::Url::from_directory_path(abs).unwrap();
    let delta = match version {
        Some(v) => rt.block_on(deltalake::open_table_with_version(url, v)).unwrap(),
        None => rt.block_on(deltalake::open_table(url)).unwrap(),
    };
    delta.get_file_uris().unwrap().flat_map(|u| read_parquet(Path::new(u.strip_prefix("file://").unwrap_or(&u)))).collect()
}

fn bronze_delta_rows(lake: &Path, table: Table) -> Vec<String> {
    rows_of(&delta_batches(lake, table, None), medallion_bronze::layout::partition_column(table))
}

/// Manifest rows as (path → (status, read, loaded, rejected)).
type ManifestView = BTreeMap<String, (String, i64, i64, i64)>;

fn manifest(path: &Path) -> ManifestView {
    let conn = duckdb::Connection::open(path).unwrap();
    let mut stmt = conn.prepare("select src_path, status, rows_read, rows_loaded, rows_rejected from manifest_processed_files").unwrap();
    stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Everything a run leaves that should not depend on how it got there.
fn state(root: &Path) -> (ManifestView, Vec<Vec<String>>, Vec<String>) {
    let lake = root.join("lake");
    let tables: Vec<Table> = Table::ALL.into_iter().filter(|t| *t != Table::Returns).collect();
    let data = tables.iter().map(|t| bronze_parquet_rows(&lake, *t)).collect();
    let rejects =
        rows_of(&parquet_files(&lake.join("_rejects")).iter().flat_map(|p| read_parquet(p)).collect::<Vec<_>>(), Some("ingestion_ts"));
    (manifest(&root.join("warehouse.duckdb")), data, rejects)
}

/// Drops the run-dependent ingestion time from rendered rows (it is the second-to-last-but-one
/// column of Bronze rows).
fn without_ingestion_ts(rows: &[String]) -> Vec<String> {
    let mut out: Vec<String> = rows
        .iter()
        .map(|r| {
            let mut f: Vec<&str> = r.split('|').collect();
            let n = f.len();
            f.remove(n - 3);
            f.join("|")
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_run_loads_every_row_once_into_parquet_and_delta() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    generate(&raw, "2024-01-01", 60, false);
    let cfg = config(dir.path(), &raw);
    let report = run(&cfg).unwrap();
    assert!(report.unrecognised.is_empty(), "{:?}", report.unrecognised);
    let m = manifest(&cfg.manifest);
    assert_eq!(m.len(), report.loaded.len());
    for (path, (status, read, loaded, rejected)) in &m {
        assert_eq!(read, &(loaded + rejected), "{path}: rows read ≠ loaded + rejected");
        assert_ne!(status, "failed", "{path}");
    }
    // Parquet and Delta hold the same rows, with audit columns.
    for table in Table::ALL.into_iter().filter(|t| *t != Table::Returns) {
        let p = bronze_parquet_rows(&cfg.lake, table);
        assert!(!p.is_empty(), "{table}: no rows");
        assert_eq!(p, bronze_delta_rows(&cfg.lake, table), "{table}: Parquet and Delta differ");
        let loaded: i64 = m.iter().filter(|(k, _)| medallion_bronze::discover::classify(k).unwrap().0 == table).map(|(_, v)| v.2).sum();
        assert_eq!(p.len() as i64, loaded, "{table}: Bronze rows ≠ manifest rows_loaded");
    }
    let orders = parquet_files(&cfg.lake.join("bronze/parquet/orders_header"));
    let b = &read_parquet(&orders[0])[0];
    let file = b.column_by_name("src_filename").unwrap().as_any().downcast_ref::<StringArray>().unwrap();
    assert!(file.value(0).starts_with("orders_header/order_dt=2024-01-"));
    // src_row_hash is the hash of the raw line the row came from: every row of a source file
    // matches one of its lines.
    let hash = b.column_by_name("src_row_hash").unwrap().as_any().downcast_ref::<BinaryArray>().unwrap();
    let src = file.value(0);
    let text = std::fs::read_to_string(raw.join(src)).unwrap();
    let line_hashes: std::collections::HashSet<[u8; 16]> = text.lines().skip(1).map(|l| row_hash(l.as_bytes())).collect();
    let from_src: Vec<usize> = (0..b.num_rows()).filter(|i| file.value(*i) == src).collect();
    assert!(!from_src.is_empty());
    for i in from_src {
        assert!(line_hashes.contains(hash.value(i)), "row {i} of {src}: src_row_hash matches no raw line");
    }
    assert_eq!(b.column_by_name("ingestion_ts").unwrap().null_count(), 0);
    assert!(orders[0].to_string_lossy().contains("order_month=2024-01"));

    // The views answer in DuckDB, and rejects are readable there too.
    let conn = duckdb::Connection::open(&cfg.manifest).unwrap();
    let n: i64 = conn.query_row("select count(*) from bronze.orders_lines", [], |r| r.get(0)).unwrap();
    assert_eq!(n as usize, bronze_parquet_rows(&cfg.lake, Table::OrdersLines).len());
    let rejected: i64 = conn.query_row("select count(*) from bronze.rejects", [], |r| r.get(0)).unwrap();
    assert_eq!(rejected, m.values().map(|v| v.3).sum::<i64>());
    // The empty Bronze the dbt project's documentation test builds on has these very tables.
    let ddl: Vec<String> = conn
        .prepare(
            "select 'create table ' || table_schema || '.' || table_name || ' ('
                    || string_agg('\"' || column_name || '\" ' || data_type, ', ' order by ordinal_position) || ');'
             from information_schema.columns
             where table_schema = 'bronze' or table_name = 'manifest_processed_files'
             group by table_schema, table_name order by table_schema, table_name",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let fixture =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../silver_gold/tests/fixtures/empty_bronze.sql")).unwrap();
    let fixture: Vec<&str> = fixture.lines().filter(|l| l.starts_with("create table")).collect();
    assert_eq!(fixture, ddl, "crates/silver_gold/tests/fixtures/empty_bronze.sql no longer matches Bronze");
    drop(conn);

    // A rerun adds nothing.
    let before = state(dir.path());
    let again = run(&cfg).unwrap();
    assert!(again.loaded.is_empty());
    assert_eq!(again.skipped, m.len());
    assert_eq!(state(dir.path()), before);

    // An increment with a late file: only the new files are processed, the late rows land in
    // their own month.
    generate(&raw, "2024-03-01", 2, true);
    let inc = run(&cfg).unwrap();
    let new: Vec<&str> = inc.loaded.iter().map(|r| r.src_path.as_str()).collect();
    assert!(new.contains(&"orders_header/order_dt=2024-02-29/part-00001.csv"), "{new:?}");
    assert!(new.iter().all(|p| !m.contains_key(*p)), "an old file was processed again");
    assert!(parquet_files(&cfg.lake.join("bronze/parquet/orders_header/order_month=2024-02")).len() == 2);
    assert!(inc.changed.is_empty());
}

#[test]
fn a_crash_at_any_step_then_a_rerun_equals_a_clean_run() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let data = tempfile::tempdir().unwrap();
    let raw = data.path().join("raw");
    generate(&raw, "2024-06-01", 20, false);
    let clean = tempfile::tempdir().unwrap();
    run(&config(clean.path(), &raw)).unwrap();
    let (clean_manifest, clean_data, clean_rejects) = state(clean.path());
    for step in ["after_parquet", "after_delta", "after_manifest"] {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(dir.path(), &raw);
        unsafe { std::env::set_var("MEDALLION_BRONZE_FAIL_AT", step) };
        let err = run(&cfg).unwrap_err();
        unsafe { std::env::remove_var("MEDALLION_BRONZE_FAIL_AT") };
        assert!(err.to_string().contains(step));
        // The lock of the "killed" run was released with it (see the kill -9 test below).
        let rerun = run(&cfg).unwrap();
        assert!(rerun.recovered >= 1, "{step}: the interrupted batches are finished from the journal");
        // Each file is counted once: loaded now (recovered or new) or loaded before.
        let first = manifest(&cfg.manifest).len();
        assert_eq!(rerun.loaded.len() + rerun.skipped, first, "{step}: files counted twice or missed");
        let (m, d, r) = state(dir.path());
        assert_eq!(m, clean_manifest, "{step}: manifest differs");
        assert_eq!(r, clean_rejects, "{step}: rejects differ");
        for (t, (a, b)) in d.iter().zip(&clean_data).enumerate() {
            assert_eq!(without_ingestion_ts(a), without_ingestion_ts(b), "{step}: table #{t} differs");
        }
        for table in Table::ALL.into_iter().filter(|t| *t != Table::Returns) {
            assert_eq!(bronze_parquet_rows(&cfg.lake, table), bronze_delta_rows(&cfg.lake, table), "{step}: {table} Parquet ≠ Delta");
        }
    }
}

/// Printed by the lock holder once it holds the lock.
const LOCK_HELD: &str = "MEDALLION-LOCK-HELD";

/// Not a test of its own: the child process of the next test (this test binary run again with
/// `MEDALLION_TEST_LOCK_HOLDER` set) takes the lock, says so and waits to be killed.
#[test]
fn lock_holder_child() {
    let Some(path) = std::env::var_os("MEDALLION_TEST_LOCK_HOLDER") else { return };
    let _lock = medallion_bronze::lock::Lock::acquire(std::path::Path::new(&path)).unwrap();
    println!("{LOCK_HELD}");
    std::io::Write::flush(&mut std::io::stdout()).unwrap();
    std::thread::sleep(std::time::Duration::from_secs(300));
}

#[test]
fn a_lock_held_by_a_live_process_refuses_and_a_killed_owner_leaves_no_stale_lock() {
    use std::io::BufRead;
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    generate(&raw, "2024-06-01", 3, false);
    let cfg = config(dir.path(), &raw);
    std::fs::create_dir_all(&cfg.lake).unwrap();
    let lock = cfg.lake.join("_bronze.lock");
    let mut owner = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["lock_holder_child", "--exact", "--nocapture", "--test-threads", "1"])
        .env("MEDALLION_TEST_LOCK_HOLDER", &lock)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(owner.stdout.take().unwrap());
    let mut line = String::new();
    while !line.trim_end().ends_with(LOCK_HELD) {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "the lock holder exited before taking the lock");
    }
    let err = run(&cfg).unwrap_err().to_string();
    assert!(err.contains("another Bronze run") && err.contains(&format!("pid {}", owner.id())), "{err}");
    // kill -9: the owner gets no chance to clean up.
    owner.kill().unwrap();
    owner.wait().unwrap();
    assert!(lock.exists(), "the killed owner's lock file is still there");
    assert!(!run(&cfg).unwrap().loaded.is_empty(), "the OS released the killed owner's lock");
}

#[test]
fn a_lake_with_another_schema_is_refused_not_appended_to() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    generate(&raw, "2024-06-01", 2, false);
    let mut cfg = config(dir.path(), &raw);
    cfg.tables = vec![Table::Stores];
    // A Bronze stores table from another layout: one column only.
    let schema = std::sync::Arc::new(arrow::datatypes::Schema::new(vec![arrow::datatypes::Field::new(
        "store_id",
        arrow::datatypes::DataType::Int64,
        false,
    )]));
    let root = cfg.lake.join("bronze/delta/stores");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let table = rt.block_on(medallion_delta::open(medallion_delta::table_url(&root).unwrap())).unwrap();
    rt.block_on(medallion_delta::commit(&table, &schema, None, medallion_delta::Commit::append(&[], None))).unwrap();
    let err = run(&cfg).unwrap_err().to_string();
    assert!(err.contains("bronze/delta/stores") && err.contains("Bronze schema"), "{err}");
    assert!(!cfg.lake.join("bronze/parquet/stores").exists(), "nothing was linked");
}

#[test]
fn dry_run_writes_nothing() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    generate(&raw, "2024-06-01", 5, false);
    let mut cfg = config(dir.path(), &raw);
    cfg.dry_run = true;
    let report = run(&cfg).unwrap();
    assert!(
        report
            .loaded
            .iter()
            .all(|r| r.status == medallion_bronze::manifest::FileStatus::WouldLoad && r.rows_read == r.rows_loaded + r.rows_rejected)
    );
    assert!(report.loaded.iter().any(|r| r.rows_rejected > 0 || r.rows_loaded > 0));
    assert!(!cfg.lake.exists() && !cfg.manifest.exists(), "a dry run wrote something");
}

/// Bronze returns rows of one Delta version that are not tombstones, canonical columns only.
fn bronze_returns_at(lake: &Path, version: Option<u64>) -> (Vec<String>, Vec<String>) {
    let batches = delta_batches(lake, Table::Returns, version);
    let (mut live, mut dead) = (Vec::new(), Vec::new());
    for b in &batches {
        let deleted = b.column_by_name("is_deleted").unwrap().as_any().downcast_ref::<arrow::array::BooleanArray>().unwrap().clone();
        let canonical = b.project(&(0..7).collect::<Vec<_>>()).unwrap();
        for i in 0..b.num_rows() {
            let one = rows_of(&[canonical.slice(i, 1)], None).remove(0);
            if deleted.value(i) { dead.push(one) } else { live.push(one) }
        }
    }
    live.sort();
    dead.sort();
    (live, dead)
}

fn raw_returns_at(raw: &Path, version: u64) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let snap = rt.block_on(medallion_bronze::returns::raw_snapshot(&raw.join("returns"), version)).unwrap();
    // Bronze stores timestamps as UTC instants: render the raw side the same way.
    let schema = medallion_bronze::layout::bronze_returns_schema();
    let cols = (0..7).map(|i| arrow::compute::cast(snap.column(i), schema.field(i).data_type()).unwrap()).collect();
    let typed = RecordBatch::try_new(std::sync::Arc::new(arrow::datatypes::Schema::new(schema.fields()[..7].to_vec())), cols).unwrap();
    rows_of(&[typed], None)
}

#[test]
fn returns_history_is_replayed_with_tombstones_and_time_travel() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    generate(&raw, "2024-01-01", 120, false);
    let cfg = config(dir.path(), &raw);
    run(&cfg).unwrap();
    let truth = medallion_gen::truth::read_truth(&raw).unwrap();
    let deleted: std::collections::HashSet<String> =
        truth.iter().filter(|r| r.kind == medallion_gen::truth::CHANGE_RETURN_DELETED).map(|r| r.key.clone()).collect();
    assert!(!deleted.is_empty());
    for v in 0..=3u64 {
        let (live, dead) = bronze_returns_at(&cfg.lake, Some(v));
        assert_eq!(live, raw_returns_at(&raw, v), "Bronze version {v} ≠ raw version {v}");
        assert_eq!(dead.len(), if v == 3 { deleted.len() } else { 0 }, "tombstones at version {v}");
    }
    // Tombstones are the deleted returns, keeping their last values.
    let (_, dead) = bronze_returns_at(&cfg.lake, None);
    assert!(dead.iter().all(|row| deleted.contains(row.split('|').next().unwrap())));
    // The new column is null for rows that predate it, and set for rows that carry it.
    let (live0, _) = bronze_returns_at(&cfg.lake, Some(0));
    assert!(live0.iter().all(|r| r.ends_with("|∅")));
    // src_change says what the raw version did: the corrected returns are updates, the
    // cancelled ones deletes, everything else an insert.
    let updated: std::collections::HashSet<String> =
        truth.iter().filter(|r| r.kind == medallion_gen::truth::CHANGE_RETURN_UPDATED).map(|r| r.key.clone()).collect();
    for b in delta_batches(&cfg.lake, Table::Returns, None) {
        let id = b.column_by_name("return_id").unwrap().as_any().downcast_ref::<arrow::array::Int64Array>().unwrap().clone();
        // MERGE may write strings as Utf8View: read them as Utf8.
        let change = arrow::compute::cast(b.column_by_name("src_change").unwrap(), &arrow::datatypes::DataType::Utf8).unwrap();
        let change = change.as_any().downcast_ref::<StringArray>().unwrap();
        for i in 0..b.num_rows() {
            let key = id.value(i).to_string();
            let want = if deleted.contains(&key) {
                "delete"
            } else if updated.contains(&key) {
                "update"
            } else {
                "insert"
            };
            assert_eq!(change.value(i), want, "return {key}");
        }
    }
    // The Parquet mirror holds the Delta table's current rows.
    let mirror_dir = cfg.lake.join("bronze/parquet/returns");
    let mirror_files: Vec<PathBuf> = std::fs::read_dir(&mirror_dir).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(mirror_files.len(), 1, "one current file, linked: {mirror_files:?}");
    let mirror = read_parquet(&mirror_files[0]);
    let delta_now = delta_batches(&cfg.lake, Table::Returns, None);
    assert_eq!(rows_of(&mirror, None), rows_of(&delta_now, None));
    // A rerun replays nothing.
    assert!(run(&cfg).unwrap().loaded.is_empty());
}

#[test]
fn bad_files_do_not_stop_the_others_and_changed_files_are_reported() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    generate(&raw, "2024-06-01", 4, false);
    // Bad files among good ones: garbage named like a day file, a truncated Parquet file, a
    // corrupt workbook increment, a file that belongs to no table.
    let garbage: Vec<u8> = (0..2048u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8).collect();
    std::fs::write(raw.join("orders_header/order_dt=2024-06-02/part-00009.csv"), &garbage).unwrap();
    let ship = std::fs::read_dir(raw.join("shipments")).unwrap().next().unwrap().unwrap().path();
    let bytes = std::fs::read(&ship).unwrap();
    std::fs::write(raw.join("shipments/shipments_2099-01-01_2099-01-01.parquet"), &bytes[..bytes.len() / 3]).unwrap();
    std::fs::create_dir_all(raw.join("exchange_rates_increments")).unwrap();
    std::fs::write(raw.join("exchange_rates_increments/2099-01-01_2099-01-02.xlsx"), b"PK\x03\x04 broken").unwrap();
    std::fs::write(raw.join("notes.txt"), b"hello").unwrap();
    // Known non-data, skipped without a word: READMEs, and a committed sample dataset (here a
    // copy of a real day file, which would load as orders if it were taken for one).
    std::fs::write(raw.join("README.md"), b"# raw data").unwrap();
    std::fs::create_dir_all(raw.join("samples/orders_header/order_dt=2024-06-01")).unwrap();
    std::fs::copy(
        raw.join("orders_header/order_dt=2024-06-01/part-00000.csv"),
        raw.join("samples/orders_header/order_dt=2024-06-01/part-00000.csv"),
    )
    .unwrap();
    let cfg = config(dir.path(), &raw);
    let report = run(&cfg).unwrap();
    let status = |p: &str| report.loaded.iter().find(|r| r.src_path == p).map(|r| (r.status.as_str().to_string(), r.message.clone()));
    let (s, m) = status("shipments/shipments_2099-01-01_2099-01-01.parquet").unwrap();
    assert_eq!(s, "failed");
    assert!(m.contains("shipments_2099-01-01_2099-01-01.parquet"), "{m}");
    assert_eq!(status("exchange_rates_increments/2099-01-01_2099-01-02.xlsx").unwrap().0, "failed");
    let (s, _) = status("orders_header/order_dt=2024-06-02/part-00009.csv").unwrap();
    assert!(s == "failed" || s == "loaded_with_rejects", "{s}");
    assert_eq!(report.unrecognised, vec!["notes.txt".to_string()], "only the unknown file is reported");
    assert!(report.loaded.iter().all(|r| !r.src_path.starts_with("samples/")));
    // Every good file loaded.
    assert!(report.loaded.iter().filter(|r| r.src_path.ends_with("part-00000.csv")).all(|r| r.status.as_str().starts_with("loaded")));
    assert_eq!(status("customers.csv").unwrap().0, "loaded");

    // A loaded file whose content changes is reported and not loaded twice.
    let before = bronze_parquet_rows(&cfg.lake, Table::Customers).len();
    let mut text = std::fs::read_to_string(raw.join("customers.csv")).unwrap();
    let first_row = text.lines().nth(1).unwrap().to_owned();
    text.push_str(&first_row);
    text.push('\n');
    std::fs::write(raw.join("customers.csv"), text).unwrap();
    let again = run(&cfg).unwrap();
    assert_eq!(again.changed, vec!["customers.csv".to_string()]);
    assert_eq!(bronze_parquet_rows(&cfg.lake, Table::Customers).len(), before);
}

#[test]
fn stray_files_under_rejects_are_named_and_left_out_of_the_view() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    generate(&raw, "2024-06-01", 4, false);
    // A row that must be rejected, so there is a rejects file to keep reading.
    let mut stores = std::fs::read_to_string(raw.join("stores.csv")).unwrap();
    let columns = stores.lines().next().unwrap().split(',').count();
    stores.push_str(&format!("not-a-number{}\n", ",".repeat(columns - 1)));
    std::fs::write(raw.join("stores.csv"), stores).unwrap();
    let cfg = config(dir.path(), &raw);
    run(&cfg).unwrap();
    let count = || -> i64 {
        let conn = duckdb::Connection::open(&cfg.manifest).unwrap();
        conn.query_row("select count(*) from bronze.rejects", [], |r| r.get(0)).unwrap()
    };
    let rejected = count();
    assert!(rejected > 0, "the generated data has rejects");
    // Someone's notes, and a rejects file cut short: neither may break the view.
    let folder = cfg.lake.join("_rejects/customers");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("notes.parquet"), b"not parquet").unwrap();
    std::fs::write(folder.join("rejects-broken.parquet"), b"PAR1 cut short").unwrap();
    let report = run(&cfg).unwrap();
    let mut names: Vec<String> = report.stray_rejects.iter().map(|p| p.file_name().unwrap().to_string_lossy().to_string()).collect();
    names.sort();
    assert_eq!(names, ["notes.parquet", "rejects-broken.parquet"]);
    assert_eq!(count(), rejected, "the view still reads every real reject");
}

#[test]
fn a_lake_never_takes_the_files_of_another_dataset() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let (first, other) = (dir.path().join("raw"), dir.path().join("other-raw"));
    generate(&first, "2024-06-01", 3, false);
    let cfg = config(dir.path(), &first);
    run(&cfg).unwrap();
    // An increment of the same dataset loads.
    generate(&first, "2024-06-04", 1, true);
    assert!(!run(&cfg).unwrap().loaded.is_empty());
    // Another extent of the same seed and scale is another dataset: refused, nothing loaded.
    generate(&other, "2024-06-01", 5, false);
    let before = manifest(&cfg.manifest);
    let err = run(&BronzeConfig { raw: other.clone(), ..config(dir.path(), &other) }).unwrap_err().to_string();
    assert!(
        err.contains(
            "holds dataset `seed=42 scale=0.01 start=2024-06-01 days=5` but the lake holds `seed=42 scale=0.01 start=2024-06-01 days=3`"
        ),
        "{err}"
    );
    assert_eq!(manifest(&cfg.manifest), before);
}

#[test]
fn a_broken_delta_log_stops_its_table_named_with_the_file_and_never_the_others() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    generate(&raw, "2024-06-01", 3, false);
    let cfg = config(dir.path(), &raw);
    run(&cfg).unwrap();
    let first_commit = cfg.lake.join("bronze/delta/shipments/_delta_log/00000000000000000000.json");
    std::fs::write(&first_commit, b"{\"commitInfo\": tru").unwrap();
    generate(&raw, "2024-06-04", 1, true);
    // Another table alone does not even look at shipments.
    let only = run(&BronzeConfig { tables: vec![Table::OrdersHeader], ..config(dir.path(), &raw) }).unwrap();
    assert!(only.unreadable_tables.is_empty());
    assert!(only.loaded.iter().all(|r| r.table_name == Table::OrdersHeader) && !only.loaded.is_empty());
    // Every table: shipments is named with its broken file, the others load their increment.
    let all = run(&cfg).unwrap();
    assert_eq!(all.unreadable_tables.len(), 1, "{:?}", all.unreadable_tables);
    let (table, why) = &all.unreadable_tables[0];
    assert_eq!(*table, Table::Shipments);
    assert!(why.contains("shipments/_delta_log/00000000000000000000.json"), "{why}");
    assert!(all.not_loaded > 0, "the shipments files wait");
    assert!(all.loaded.iter().any(|r| r.table_name == Table::OrdersLines), "other tables load");
    assert!(all.loaded.iter().all(|r| r.table_name != Table::Shipments));
}

#[test]
fn delta_history_diff_view_and_restore_of_a_bad_commit() {
    use medallion_bronze::tables;
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    generate(&raw, "2024-06-01", 20, false);
    let cfg = config(dir.path(), &raw);
    run(&cfg).unwrap();
    // Returns: one commit per raw version, each tagged with its Bronze load.
    let history = tables::history(&cfg.lake, Table::Returns).unwrap();
    assert!(history.len() >= 2, "{history:?}");
    assert!(history.iter().all(|c| c.load.as_deref().is_some_and(|l| l.starts_with("medallion-bronze-"))), "{history:?}");
    assert_eq!(history.iter().map(|c| c.version).collect::<Vec<_>>(), (0..history.len() as u64).collect::<Vec<_>>());
    let latest = history.last().unwrap().version;
    // The rows as of a version, as a view; a diff of two versions by key.
    let first = tables::create_view_at(&cfg.lake, &cfg.manifest, Table::Returns, 0).unwrap();
    assert_eq!(first, "bronze_history.returns_v0");
    let count = |sql: &str| -> i64 { duckdb::Connection::open(&cfg.manifest).unwrap().query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(count("select count(*) from bronze_history.returns_v0"), raw_returns_at(&raw, 0).len() as i64);
    let d = tables::diff(&cfg.lake, Table::Returns, 0, latest).unwrap();
    assert!(d.added + d.changed + d.removed > 0, "{d:?}");
    let same = tables::diff(&cfg.lake, Table::Returns, latest, latest).unwrap();
    assert_eq!((same.added, same.removed, same.changed), (0, 0, 0));
    // A version that does not exist, and a restore over Bronze loads, are refused.
    let err = tables::diff(&cfg.lake, Table::Returns, 0, latest + 5).unwrap_err().to_string();
    assert!(err.contains(&format!("there is no version {}", latest + 5)), "{err}");
    let err = tables::restore(&cfg.lake, Table::Returns, 0).unwrap_err().to_string();
    assert!(err.contains("would undo Bronze loads"), "{err}");

    // A bad delete made outside Bronze: restored by version, rows and mirror as before.
    let rows_before = count("select count(*) from bronze.returns");
    // (A condition on the key, so it holds for some rows whatever the generator draws.)
    let (deleted, _) = tables::delete(&cfg.lake, Table::Returns, "return_id % 2 = 0").unwrap();
    assert!(deleted > 0 && (deleted as i64) < rows_before, "{deleted} of {rows_before}");
    let (_, files) = tables::files_at(&cfg.lake, Table::Returns, None).unwrap();
    assert!(!files.is_empty());
    let restored = tables::restore(&cfg.lake, Table::Returns, latest).unwrap();
    assert_eq!((restored.was, restored.restored, restored.now), (latest + 1, latest, latest + 2));
    assert_eq!(
        tables::diff(&cfg.lake, Table::Returns, latest, latest + 2).unwrap(),
        tables::Diff { from: latest, to: latest + 2, ..Default::default() }
    );
    assert_eq!(count("select count(*) from bronze.returns"), rows_before, "the mirror the views read follows the restore");

    // An appended table too: after a bad delete and its restore, the Parquet mirror holds
    // exactly the table's data files again.
    let stores_before = count("select count(*) from bronze.stores");
    let v = tables::history(&cfg.lake, Table::Stores).unwrap().last().unwrap().version;
    tables::delete(&cfg.lake, Table::Stores, "true").unwrap();
    assert!(tables::files_at(&cfg.lake, Table::Stores, None).unwrap().1.is_empty(), "the bad delete emptied the table");
    tables::restore(&cfg.lake, Table::Stores, v).unwrap();
    let delta_dir = tables::table_dir(&cfg.lake, Table::Stores);
    let mut active: Vec<PathBuf> = tables::files_at(&cfg.lake, Table::Stores, None)
        .unwrap()
        .1
        .iter()
        .map(|f| f.strip_prefix(&delta_dir).unwrap().to_path_buf())
        .collect();
    let mirror = cfg.lake.join("bronze/parquet/stores");
    let mut mirrored: Vec<PathBuf> = parquet_files(&mirror).iter().map(|f| f.strip_prefix(&mirror).unwrap().to_path_buf()).collect();
    active.sort();
    mirrored.sort();
    assert_eq!(mirrored, active);
    assert_eq!(count("select count(*) from bronze.stores"), stores_before);
}

#[test]
fn maintenance_compacts_keeps_time_travel_and_obeys_the_retention_window() {
    use medallion_bronze::maintain::{MaintainOptions, maintain};
    use medallion_bronze::tables;
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    generate(&raw, "2024-06-01", 5, false);
    let cfg = config(dir.path(), &raw);
    run(&cfg).unwrap();
    // Daily increments: small files pile up in the unpartitioned tables.
    for day in ["2024-06-06", "2024-06-07", "2024-06-08"] {
        generate(&raw, day, 1, true);
        run(&cfg).unwrap();
    }
    let before: Vec<Vec<String>> = Table::ALL.iter().map(|t| bronze_delta_rows(&cfg.lake, *t)).collect();
    let versions: Vec<u64> = Table::ALL.iter().map(|t| tables::history(&cfg.lake, *t).unwrap().last().unwrap().version).collect();

    // A retention shorter than the tables' one-week window is refused, changing nothing.
    let short = MaintainOptions { retention_hours: 1, ..Default::default() };
    assert!(maintain(&cfg.lake, &short).unwrap_err().to_string().contains("shorter than the table's time-travel window of 168 h"));
    // A dry run changes nothing either.
    let dry = maintain(&cfg.lake, &MaintainOptions { dry_run: true, ..Default::default() }).unwrap();
    assert!(dry.iter().all(|m| m.active_before == m.active_after && m.compacted == (0, 0)));

    let done = maintain(&cfg.lake, &MaintainOptions::default()).unwrap();
    let compacted: Vec<_> = done.iter().filter(|m| m.compacted.0 > 0).collect();
    assert!(!compacted.is_empty(), "some small files were compacted: {done:?}");
    assert!(compacted.iter().all(|m| m.active_after.0 < m.active_before.0), "{compacted:?}");
    // Same rows, in Delta and in the Parquet mirror the views read.
    for (t, rows) in Table::ALL.iter().zip(&before) {
        assert_eq!(&bronze_delta_rows(&cfg.lake, *t), rows, "{t}: OPTIMIZE changed rows");
        if *t != Table::Returns {
            assert_eq!(bronze_parquet_rows(&cfg.lake, *t), *rows, "{t}: the mirror does not follow");
        }
    }
    // Time travel to the version before maintenance still reads (within the retention).
    for (t, v) in Table::ALL.iter().zip(&versions) {
        let d = tables::diff(&cfg.lake, *t, *v, tables::history(&cfg.lake, *t).unwrap().last().unwrap().version).unwrap();
        assert_eq!((d.added, d.removed, d.changed), (0, 0, 0), "{t}");
    }
}

/// Every kind of damage to a data file is found and named; a repair rebuilds exactly the
/// damaged load's file byte for byte; a raw file changed since its load stops the repair.
#[test]
fn verify_finds_each_damage_and_repair_rebuilds_the_file_byte_for_byte() {
    use medallion_bronze::verify::{repair, verify};
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    generate(&raw, "2024-06-01", 3, false);
    let cfg = config(dir.path(), &raw);
    run(&cfg).unwrap();
    let checks = verify(&cfg.lake, &cfg.manifest, &[]).unwrap();
    assert!(checks.iter().all(|c| c.ok()), "a fresh lake is sound");
    // Every row the manifest says was loaded is in the log, and Bronze's files are checksummed.
    for c in checks.iter().filter(|c| c.table != Some(Table::Returns)) {
        assert_eq!(c.rows_loaded, Some(c.rows_in_log), "{:?}", c.table);
        assert_eq!(c.checksummed, c.files, "{:?}", c.table);
    }
    let file_of = |table: &str| parquet_files(&cfg.lake.join(format!("bronze/delta/{table}")))[0].clone();
    let damage = |path: &Path, how: &dyn Fn(&mut Vec<u8>)| {
        let mut bytes = std::fs::read(path).unwrap();
        how(&mut bytes);
        std::fs::write(path, bytes).unwrap();
    };
    let (flipped, truncated, zeroed, removed) = (file_of("orders_lines"), file_of("customers"), file_of("events"), file_of("stores"));
    let originals: Vec<Vec<u8>> = [&flipped, &truncated, &zeroed, &removed].iter().map(|p| std::fs::read(p).unwrap()).collect();
    damage(&flipped, &|b| {
        let i = b.len() / 3;
        b[i] ^= 0x80;
    });
    damage(&truncated, &|b| b.truncate(b.len() - 10));
    damage(&zeroed, &|b| {
        let n = b.len();
        b[n - 8..n - 4].fill(0);
    });
    std::fs::remove_file(&removed).unwrap();
    let damaged: BTreeMap<Table, String> = verify(&cfg.lake, &cfg.manifest, &[])
        .unwrap()
        .into_iter()
        .filter(|c| !c.damaged.is_empty())
        .map(|c| (c.table.unwrap(), c.damaged[0].problem.clone()))
        .collect();
    assert_eq!(damaged.len(), 4, "{damaged:?}");
    assert!(damaged[&Table::OrdersLines].contains("content changed since it was written"), "{damaged:?}");
    assert!(damaged[&Table::Customers].contains("the Delta log recorded"), "{damaged:?}");
    assert!(damaged[&Table::Events].contains("content changed"), "{damaged:?}");
    assert!(damaged[&Table::Stores].contains("cannot be read"), "{damaged:?}");

    // A raw file changed since its load: the repair names it and changes nothing.
    let stores_csv = raw.join("stores.csv");
    let sent = std::fs::read(&stores_csv).unwrap();
    std::fs::write(&stores_csv, [&sent[..], b"\n"].concat()).unwrap();
    let refused = repair(&cfg.lake, &raw, &cfg.manifest, &[Table::Stores]).unwrap_err().to_string();
    assert!(refused.contains("stores.csv: changed since load"), "{refused}");
    assert!(!removed.exists());
    std::fs::write(&stores_csv, &sent).unwrap();

    let repaired = repair(&cfg.lake, &raw, &cfg.manifest, &[]).unwrap();
    assert_eq!(repaired.len(), 4);
    assert!(repaired.iter().all(|r| r.replaced_by.is_none()), "a load's file comes back in place");
    for (path, original) in [&flipped, &truncated, &zeroed, &removed].iter().zip(&originals) {
        assert!(std::fs::read(path).unwrap() == *original, "{} is byte for byte what the load wrote", path.display());
    }
    assert!(verify(&cfg.lake, &cfg.manifest, &[]).unwrap().iter().all(|c| c.ok()));
    // The mirror reads the repaired files again (it held links to the damaged ones).
    assert_eq!(bronze_parquet_rows(&cfg.lake, Table::Stores), bronze_delta_rows(&cfg.lake, Table::Stores));
    assert_eq!(bronze_parquet_rows(&cfg.lake, Table::OrdersLines), bronze_delta_rows(&cfg.lake, Table::OrdersLines));
}
