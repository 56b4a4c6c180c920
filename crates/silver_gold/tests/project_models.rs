//! The real project's models (dbt/) run by the embedded runner on small, crafted Bronze tables:
//! inputs the generator does not make but a source system can send.

use std::path::Path;

use medallion_silver_gold::project::Project;
use medallion_silver_gold::runner::{NodeResult, RunOptions, Status, build};

/// Builds `select` of the real project on a warehouse holding `bronze_sql`'s tables.
fn build_on(dir: &Path, bronze_sql: &str, select: &[&str]) -> (std::path::PathBuf, Vec<NodeResult>) {
    let warehouse = dir.join("warehouse.duckdb");
    let conn = duckdb::Connection::open(&warehouse).unwrap();
    conn.execute_batch(&format!("create schema bronze; {bronze_sql}")).unwrap();
    drop(conn);
    let project = Project::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dbt")).unwrap();
    let opts = RunOptions {
        warehouse: warehouse.clone(),
        select: select.iter().map(|s| s.to_string()).collect(),
        full_refresh: false,
        target_dir: dir.join("target"),
        verbose: false,
        store_failures: false,
    };
    let results = build(&project, &opts).unwrap();
    (warehouse, results)
}

#[test]
fn exchange_rates_are_one_row_per_day_and_normalised_currency() {
    // The same day's USD rate twice, once as ' usd' from a later load: one row must remain, the
    // later one, or every USD sales line of that day would be counted twice.
    let dir = tempfile::tempdir().unwrap();
    let bronze = "create table bronze.exchange_rates as select * from (values
            (date '2024-03-01', 'USD', 1.52::decimal(18,8), timestamptz '2024-03-02 00:00:00+00', 'exchange_rates.xlsx'),
            (date '2024-03-01', ' usd', 1.53::decimal(18,8), timestamptz '2024-03-03 00:00:00+00', 'exchange_rates_increments/a.xlsx'),
            (date '2024-03-01', 'GBP', 1.93::decimal(18,8), timestamptz '2024-03-02 00:00:00+00', 'exchange_rates.xlsx')
        ) t(\"date\", currency, rate_to_aud, ingestion_ts, src_filename)";
    let (warehouse, results) = build_on(dir.path(), bronze, &["stg_exchange_rates"]);
    let failed: Vec<_> = results.iter().filter(|r| matches!(r.status, Status::Error(_) | Status::Fail(_))).collect();
    assert!(failed.is_empty(), "{failed:?}");
    let conn = duckdb::Connection::open(&warehouse).unwrap();
    let usd: Vec<(String, String)> = conn
        .prepare("select currency, cast(rate_to_aud as varchar) from silver.stg_exchange_rates where currency like '%USD%' or currency like '%usd%'")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(usd, vec![("USD".to_string(), "1.53000000".to_string())]);
}
