//! Monitoring runs append every metric with its status, compare row counts with the previous
//! run, and raise ALERT for what a data engineer must act on: a raw file not loaded, FK
//! violations over the dbt limit, lost Gold rows.

use std::path::Path;

use medallion_quality::monitor::{METRICS_TABLE, Status, Thresholds, latest, run};

fn warehouse(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("w.duckdb");
    let conn = duckdb::Connection::open(&path).unwrap();
    conn.execute_batch(
        "create table manifest_processed_files as select * from (values
             ('stores.csv', 'stores', 'loaded', 10, 10, now() at time zone 'UTC'),
             ('customers.csv', 'customers', 'loaded_with_rejects', 100, 98, now() at time zone 'UTC'))
             t(src_path, table_name, status, rows_read, rows_loaded, processed_at);
         create schema bronze; create schema silver; create schema gold;
         create table bronze.rejects as select * from (values ('customers.csv', 4, 'invalid_date'), ('customers.csv', 9, 'invalid_date')) t(src_filename, src_line, reason_code);
         create table silver.stg_stores as select i as store_id, 'x' as name from range(1, 21) t(i);
         create table silver.int_dq_flags as select * from (values ('stores', 'bad_thing', '1')) t(table_name, anomaly_kind, anomaly_key);
         create table transform_runs as select 1 as id, 'embedded' as engine, now() as started_at, now() as finished_at, 'success' as status;
         create table gold.fct_sales as select i as order_number, case when i <= 1 then -1 else i end as customer_key, 1 as product_key, 1 as store_key, 1 as date_key from range(1, 101) t(i);",
    )
    .unwrap();
    path
}

#[test]
fn runs_append_metrics_and_alert_on_what_needs_action() {
    let thresholds = Thresholds::load(Some(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/data_quality.yml"))).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let w = warehouse(dir.path());
    let (first, metrics) = run(&w, &thresholds).unwrap();
    assert_eq!(first, "run-000001");
    let find = |ms: &[medallion_quality::monitor::Metric], metric: &str, subject: &str| {
        ms.iter().find(|m| m.metric == metric && m.subject == subject).unwrap_or_else(|| panic!("no {metric} of {subject}")).clone()
    };
    // 1 of 100 order lines without a customer: under dbt's 1.25 % warning.
    let fk = find(&metrics, "fk_violation_rate", "fct_sales.customer_key → dim_customer");
    assert!((fk.value - 0.01).abs() < 1e-12 && fk.status == Status::Ok, "{fk:?}");
    let rejects = find(&metrics, "reject_rate", "customers: invalid_date");
    assert!((rejects.value - 0.02).abs() < 1e-12 && rejects.status == Status::Ok, "{rejects:?}");
    assert_eq!(find(&metrics, "required_null_rate", "silver.stg_stores.store_id").value, 0.0);
    assert_eq!(find(&metrics, "hours_since_load", "stores").status, Status::Ok);
    assert_eq!(find(&metrics, "transform_unfinished", "latest transform run").value, 0.0);
    assert!(metrics.iter().all(|m| m.status != Status::Alert), "a clean warehouse has no ALERT");

    // Then: a raw file fails, more order lines lose their customer, and Gold loses rows.
    let conn = duckdb::Connection::open(&w).unwrap();
    conn.execute_batch(
        "insert into manifest_processed_files values ('stores_v2.csv', 'stores', 'failed', 0, 0, now() at time zone 'UTC');
         update gold.fct_sales set customer_key = -1 where order_number <= 3;
         delete from gold.fct_sales where order_number > 90;
         insert into transform_runs values (2, 'embedded', now(), null, 'running');",
    )
    .unwrap();
    drop(conn);
    let (second, metrics) = run(&w, &thresholds).unwrap();
    assert_eq!(second, "run-000002");
    assert_eq!(find(&metrics, "files_not_loaded", "stores").status, Status::Alert);
    assert_eq!(find(&metrics, "transform_unfinished", "latest transform run").status, Status::Alert, "a transform killed midway");
    assert_eq!(find(&metrics, "fk_violation_rate", "fct_sales.customer_key → dim_customer").status, Status::Alert, "3 of 90 is over 1.5 %");
    let drop = find(&metrics, "row_count_drop", "gold.fct_sales");
    assert!((drop.value - 0.1).abs() < 1e-12 && drop.status == Status::Alert, "{drop:?}");
    // The latest run is what `medallion dq status` prints; every run stays for the trend.
    let (id, latest_metrics) = latest(&w).unwrap().unwrap();
    assert_eq!((id.as_str(), latest_metrics.len()), ("run-000002", metrics.len()));
    let runs: i64 = duckdb::Connection::open(&w)
        .unwrap()
        .query_row(&format!("select count(distinct run_id) from {METRICS_TABLE}"), [], |r| r.get(0))
        .unwrap();
    assert_eq!(runs, 2);
}

#[test]
fn the_built_in_thresholds_are_the_config_file() {
    let file = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/data_quality.yml")).unwrap();
    assert_eq!(file, medallion_quality::monitor::DEFAULT_CONFIG);
    let t = Thresholds::load(None).unwrap();
    assert_eq!((t.fk_violation_rate.warn, t.fk_violation_rate.alert), (0.0125, 0.015), "the dbt test's limits (decision 56)");
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("dq.yml");
    std::fs::write(&bad, file.replace("fk_violation_rate:", "fk_violation_ratio:")).unwrap();
    let err = Thresholds::load(Some(&bad)).unwrap_err().to_string();
    assert!(err.contains("dq.yml") && err.contains("fk_violation_ratio"), "{err}");
}
