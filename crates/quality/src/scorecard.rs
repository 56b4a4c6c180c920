//! The data-quality scorecard: for each anomaly kind in the generator's ground-truth log, how
//! many of its rows Bronze rejected or Silver flagged (recall), and how many rows were rejected
//! or flagged without being in the log (precision).
//!
//! Bronze rejects are matched by position (source file and line, from `bronze.rejects`); Silver
//! flags by key, from the dbt model `silver.int_dq_flags` (table, anomaly kind, key).
//!
//! The log's deliberate changes are scored the same way, by key and time: a price or address
//! change must appear as a new SCD2 version (in `gold.dim_product_scd`, `silver.customers_snapshot`),
//! valid from the first day of the
//! increment that carried it; a corrected or cancelled return must be in Silver as of the raw
//! Delta version that changed it (`src_version`, tombstone for a delete).

use std::path::Path;

use duckdb::{Connection, params};
use medallion_schema::anomaly::ANOMALIES;
use medallion_schema::truth::{CHANGES, read_truth};

use crate::{QualityError, attach};

/// One anomaly kind's score.
#[derive(Debug, Clone, PartialEq)]
pub struct KindScore {
    /// The raw table.
    pub table: String,
    /// The anomaly code, or a change kind of the log.
    pub kind: String,
    /// Rows of this kind in the ground-truth log.
    pub in_log: u64,
    /// Rejected in Bronze (found in `bronze.rejects` at the logged file and line).
    pub rejected_in_bronze: u64,
    /// Flagged in Silver (and not already rejected in Bronze).
    pub flagged_in_silver: u64,
    /// In the log but neither rejected nor flagged.
    pub missed: u64,
    /// Rejected or flagged as this kind without being in the log.
    pub false_alarms: u64,
}

impl KindScore {
    /// Rejected or flagged.
    pub fn caught(&self) -> u64 {
        self.rejected_in_bronze + self.flagged_in_silver
    }

    /// Caught ÷ in the log (1 when the log has none).
    pub fn recall(&self) -> f64 {
        if self.in_log == 0 { 1.0 } else { self.caught() as f64 / self.in_log as f64 }
    }

    /// Caught ÷ everything raised as this kind (1 when nothing was raised).
    pub fn precision(&self) -> f64 {
        let raised = self.caught() + self.false_alarms;
        if raised == 0 { 1.0 } else { self.caught() as f64 / raised as f64 }
    }
}

/// Scores the warehouse (after `medallion bronze` and `dbt build`) against the ground truth
/// the generator wrote under `raw`.
pub fn scorecard(warehouse: &Path, raw: &Path) -> Result<Vec<KindScore>, QualityError> {
    let conn = Connection::open_in_memory()?;
    attach(&conn, warehouse, "w")?;
    conn.execute_batch(
        "create temp table truth (table_name varchar, kind varchar, key varchar, file varchar, line bigint);
         create temp table kinds (kind varchar);",
    )?;
    {
        let mut app = conn.appender("kinds")?;
        for code in ANOMALIES.iter().map(|a| a.code).chain(CHANGES) {
            app.append_row(params![code])?;
        }
        let mut app = conn.appender("truth")?;
        for r in read_truth(raw)? {
            app.append_row(params![r.table, r.kind, r.key, r.file, r.line as i64])?;
        }
    }
    let has_flags: i64 = conn.query_row(
        "select count(*) from duckdb_tables() where database_name = 'w' and schema_name = 'silver' and table_name = 'int_dq_flags'",
        [],
        |r| r.get(0),
    )?;
    if has_flags == 0 {
        return Err(QualityError::MissingTable {
            warehouse: warehouse.to_path_buf(),
            table: "silver.int_dq_flags".into(),
            hint: "run `medallion transform` first".into(),
        });
    }
    let mut stmt = conn.prepare(SCORE_SQL)?;
    let rows = stmt.query_map([], |r| {
        Ok(KindScore {
            table: r.get(0)?,
            kind: r.get(1)?,
            in_log: r.get::<_, i64>(2)? as u64,
            rejected_in_bronze: r.get::<_, i64>(3)? as u64,
            flagged_in_silver: r.get::<_, i64>(4)? as u64,
            missed: r.get::<_, i64>(5)? as u64,
            false_alarms: r.get::<_, i64>(6)? as u64,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The table [`save`] writes: `quality.scorecard` in the warehouse, so the dashboard's Data
/// Quality page can show recall and precision (only generated data has a ground truth, so it is
/// not a dbt model over Gold).
pub const SAVED_TABLE: &str = "quality.scorecard";

/// Writes `scores` into the warehouse as [`SAVED_TABLE`] (replacing it): one row per kind, with
/// the time it was scored.
pub fn save(warehouse: &Path, scores: &[KindScore]) -> Result<(), QualityError> {
    if !warehouse.is_file() {
        return Err(QualityError::NoWarehouse(warehouse.to_path_buf()));
    }
    let conn = Connection::open(warehouse).map_err(|source| QualityError::Attach { path: warehouse.to_path_buf(), source })?;
    conn.execute_batch(&format!(
        "begin;
         create schema if not exists quality;
         create or replace table {SAVED_TABLE} (
             table_name varchar not null, kind varchar not null, in_log bigint not null,
             rejected_in_bronze bigint not null, flagged_in_silver bigint not null, missed bigint not null,
             false_alarms bigint not null, scored_at timestamp not null
         );"
    ))?;
    // A few dozen rows: plain inserts, stamped by DuckDB's clock in UTC.
    let mut insert =
        conn.prepare(&format!("insert into {SAVED_TABLE} values (?, ?, ?, ?, ?, ?, ?, current_timestamp at time zone 'UTC')"))?;
    for s in scores {
        let n = |v: u64| v as i64;
        insert.execute(params![
            s.table,
            s.kind,
            n(s.in_log),
            n(s.rejected_in_bronze),
            n(s.flagged_in_silver),
            n(s.missed),
            n(s.false_alarms)
        ])?;
    }
    conn.execute_batch("commit")?;
    Ok(())
}

/// Changes are keyed with when they take effect (`key@YYYY-MM-DD` from the increment file's
/// first day, or `key@v<version>` for returns), so a version at the wrong time is not a match.
const SCORE_SQL: &str = "
with log as (
    select distinct table_name, kind,
        case
            when kind in ('price_change', 'address_change')
                then key || '@' || regexp_extract(file, '_increments/(\\d{4}-\\d{2}-\\d{2})_', 1)
            when kind in ('return_updated', 'return_deleted') then key || '@v' || line
            else key
        end as key,
        file, line
    from truth where kind in (select kind from kinds)
),
rejects as (
    select distinct src_filename, src_line, reason_code,
        regexp_replace(split_part(src_filename, '/', 1), '\\.(csv|xlsx|jsonl|parquet)$', '') as table_name
    from w.bronze.rejects
),
flags as (
    select distinct table_name, anomaly_kind, anomaly_key from w.silver.int_dq_flags
    union all
    select 'products', 'price_change', product_id || '@' || strftime(valid_from, '%Y-%m-%d')
    from w.gold.dim_product_scd where valid_from > '1900-01-01' and not is_unknown_member
    union all
    select 'customers', 'address_change', customer_id || '@' || strftime(dbt_valid_from, '%Y-%m-%d')
    from w.silver.customers_snapshot where dbt_valid_from > '1900-01-01'
    union all
    select 'returns', 'return_updated', return_id || '@v' || src_version from w.silver.stg_returns where src_change = 'update'
    union all
    select 'returns', 'return_deleted', return_id || '@v' || src_version from w.silver.stg_returns where src_change = 'delete'
),
scored as (
    select
        l.table_name, l.kind,
        exists (select 1 from rejects r where r.src_filename = l.file and r.src_line = l.line) as in_bronze,
        exists (select 1 from flags f where f.table_name = l.table_name and f.anomaly_kind = l.kind and f.anomaly_key = l.key) as in_silver
    from log l
),
per_kind as (
    select table_name, kind,
        count(*) as in_log,
        count(*) filter (where in_bronze) as rejected,
        count(*) filter (where in_silver and not in_bronze) as flagged,
        count(*) filter (where not in_bronze and not in_silver) as missed
    from scored group by all
),
false_flags as (
    select table_name, anomaly_kind as kind, count(*) as n from flags f
    where not exists (select 1 from log l where l.table_name = f.table_name and l.kind = f.anomaly_kind and l.key = f.anomaly_key)
    group by all
    union all
    -- A reject is a false alarm unless a logged anomaly sits on its line.
    select table_name, reason_code, count(*) from rejects r
    where not exists (select 1 from log l where l.file = r.src_filename and l.line = r.src_line)
    group by all
),
false_per_kind as (select table_name, kind, sum(n) as n from false_flags group by all)
select
    coalesce(p.table_name, f.table_name), coalesce(p.kind, f.kind),
    coalesce(p.in_log, 0), coalesce(p.rejected, 0), coalesce(p.flagged, 0), coalesce(p.missed, 0),
    coalesce(f.n, 0)::bigint
from per_kind p
full join false_per_kind f on f.table_name = p.table_name and f.kind = p.kind
order by 1, 2
";
