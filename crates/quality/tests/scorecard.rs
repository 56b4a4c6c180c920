//! The scorecard counts what it should: a logged anomaly caught by a Bronze reject (by file and
//! line) or a Silver flag (by key), one missed, a flag and a reject without a log entry (false
//! alarms), and a deliberate change seen at the wrong business date (missed + false alarm).

use medallion_quality::scorecard::{SAVED_TABLE, save, scorecard};

#[test]
fn recall_and_precision_count_matches_misses_and_false_alarms() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    std::fs::create_dir_all(raw.join("_anomalies")).unwrap();
    let log = [
        r#"{"table":"customers","kind":"malformed_email","key":"1","file":"customers.csv","line":2}"#,
        r#"{"table":"customers","kind":"malformed_email","key":"2","file":"customers.csv","line":3}"#,
        r#"{"table":"events","kind":"malformed_json","key":"e1","file":"events/event_dt=2024-01-01/events_0000.jsonl","line":7}"#,
        r#"{"table":"products","kind":"price_change","key":"5","file":"products_increments/2024-03-01_2024-03-02.csv","line":2}"#,
    ];
    std::fs::write(raw.join("_anomalies/unit.jsonl"), log.join("\n") + "\n").unwrap();
    let warehouse = dir.path().join("w.duckdb");
    let conn = duckdb::Connection::open(&warehouse).unwrap();
    conn.execute_batch(
        "create schema bronze; create schema silver; create schema gold;
         create table bronze.rejects as select * from (values
             ('events/event_dt=2024-01-01/events_0000.jsonl', 7::bigint, 'malformed_json'),
             ('events/event_dt=2024-01-01/events_0000.jsonl', 9::bigint, 'malformed_json')
         ) t(src_filename, src_line, reason_code);
         create table silver.int_dq_flags as select * from (values
             ('customers', 'malformed_email', '1'),
             ('customers', 'malformed_email', '3')
         ) t(table_name, anomaly_kind, anomaly_key);
         create table gold.dim_product_scd as select * from (values
             (5, timestamp '1900-01-01', false), (5, timestamp '2024-03-02', false)
         ) t(product_id, valid_from, is_unknown_member);
         create table silver.customers_snapshot as select 1 as customer_id, timestamp '1900-01-01' as dbt_valid_from;
         create table silver.stg_returns as select 1 as return_id, 0::bigint as src_version, 'insert' as src_change;",
    )
    .unwrap();
    drop(conn);
    let scores = scorecard(&warehouse, &raw).unwrap();
    let get = |t: &str, k: &str| scores.iter().find(|s| s.table == t && s.kind == k).unwrap_or_else(|| panic!("{t}/{k} not scored"));
    let email = get("customers", "malformed_email");
    assert_eq!((email.in_log, email.flagged_in_silver, email.missed, email.false_alarms), (2, 1, 1, 1));
    assert_eq!((email.recall(), email.precision()), (0.5, 0.5));
    let json = get("events", "malformed_json");
    assert_eq!((json.in_log, json.rejected_in_bronze, json.missed, json.false_alarms), (1, 1, 0, 1), "line 9 is not in the log");
    // The price change is logged from 2024-03-01; a version from 2024-03-02 is the wrong date.
    let price = get("products", "price_change");
    assert_eq!((price.in_log, price.caught(), price.missed, price.false_alarms), (1, 0, 1, 1));

    // Saved for the dashboard: the same counts in quality.scorecard, replaced on each save.
    save(&warehouse, &scores).unwrap();
    save(&warehouse, &scores).unwrap();
    let conn = duckdb::Connection::open(&warehouse).unwrap();
    let (rows, caught, alarms): (i64, i64, i64) = conn
        .query_row(
            &format!("select count(*), sum(rejected_in_bronze + flagged_in_silver), sum(false_alarms) from {SAVED_TABLE}"),
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let want = |f: fn(&medallion_quality::scorecard::KindScore) -> u64| scores.iter().map(f).sum::<u64>() as i64;
    assert_eq!((rows, caught, alarms), (scores.len() as i64, want(|s| s.caught()), want(|s| s.false_alarms)));
}
