//! Data-quality monitoring: each run measures the warehouse against the thresholds of
//! `config/data_quality.yml` and appends one row per metric to
//! `quality.data_quality_metrics` (run id, time, table, metric, value, thresholds, status
//! OK / WARNING / ALERT), so every metric has a trend over runs. Measured: FK-violation rate
//! per Gold relationship, nulls in required Silver columns, freshness per source against its
//! SLA, reject rate per table and reason, raw files not loaded, anomaly-flag rate per kind, and
//! each Gold table's row-count change against the previous run.

use std::collections::BTreeMap;
use std::path::Path;

use duckdb::{Connection, params};
use medallion_schema::Table;
use serde::Deserialize;

use crate::{QualityError, Result};

/// The table the runs append to.
pub const METRICS_TABLE: &str = "quality.data_quality_metrics";

/// The built-in copy of `config/data_quality.yml`.
pub const DEFAULT_CONFIG: &str = include_str!("../../../config/data_quality.yml");

/// A metric's thresholds: WARNING from `warn`, ALERT from `alert`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// From here: WARNING.
    pub warn: f64,
    /// From here: ALERT.
    pub alert: f64,
}

/// Freshness limits, in hours.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreshnessLimits {
    /// Sources that arrive every day.
    pub daily: Limits,
    /// Sources that change rarely (full snapshots now and then).
    pub rarely_changing: Limits,
}

/// `config/data_quality.yml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// Gold fact rows pointing at the unknown member, per relationship.
    pub fk_violation_rate: Limits,
    /// Nulls in required Silver columns.
    pub required_null_rate: Limits,
    /// Rejected raw rows, per table and reason.
    pub reject_rate: Limits,
    /// Raw files not loaded at all, per table.
    pub files_not_loaded: Limits,
    /// Rows flagged per anomaly kind.
    pub anomaly_flag_rate: Limits,
    /// A Silver or Gold table's row count falling against the previous run.
    pub row_count_drop: Limits,
    /// A Silver or Gold table's row count growing against the previous run.
    pub row_count_growth: Limits,
    /// Silver or Gold tables whose row counts are not compared with the previous run.
    pub row_count_exempt: Vec<String>,
    /// A Silver or Gold table of the previous run is gone (1).
    #[serde(default = "always_alert")]
    pub table_missing: Limits,
    /// The latest transform run did not finish with success (1) or did (0).
    pub transform_unfinished: Limits,
    /// Hours since a source's last load.
    pub freshness_hours: FreshnessLimits,
    /// The sources with the rarely-changing freshness limits.
    pub rarely_changing_sources: Vec<String>,
}

fn always_alert() -> Limits {
    Limits { warn: 1.0, alert: 1.0 }
}

impl Thresholds {
    /// Reads the thresholds from `path`, or the built-in copy when `path` is None.
    pub fn load(path: Option<&Path>) -> Result<Thresholds> {
        let (text, name) = match path {
            Some(p) => {
                (std::fs::read_to_string(p).map_err(|source| QualityError::Io { path: p.to_path_buf(), source })?, p.display().to_string())
            }
            None => (DEFAULT_CONFIG.to_string(), "the built-in config/data_quality.yml".to_string()),
        };
        serde_yaml_ng::from_str(&text).map_err(|e| QualityError::Config(format!("{name}: {e}")))
    }
}

/// How a metric stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Below the warning threshold.
    Ok,
    /// From the warning threshold.
    Warning,
    /// From the alert threshold.
    Alert,
}

impl Status {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Warning => "WARNING",
            Status::Alert => "ALERT",
        }
    }

    fn of(value: f64, limits: Limits) -> Status {
        if value >= limits.alert {
            Status::Alert
        } else if value >= limits.warn {
            Status::Warning
        } else {
            Status::Ok
        }
    }
}

/// One measured metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// What it is about (a table, a relationship, a table and reason, …).
    pub subject: String,
    /// The metric's name.
    pub metric: String,
    /// Its value.
    pub value: f64,
    /// Its thresholds.
    pub warn: f64,
    /// See [`Metric::warn`].
    pub alert: f64,
    /// How it stands.
    pub status: Status,
}

fn metric(subject: impl Into<String>, name: &str, value: f64, limits: Limits) -> Metric {
    Metric {
        subject: subject.into(),
        metric: name.into(),
        value,
        warn: limits.warn,
        alert: limits.alert,
        status: Status::of(value, limits),
    }
}

/// The Gold relationships whose FK-violation rate is measured: (fact, key column, dimension).
const RELATIONSHIPS: &[(&str, &str, &str)] = &[
    ("fct_sales", "customer_key", "dim_customer"),
    ("fct_sales", "product_key", "dim_product_scd"),
    ("fct_sales", "store_key", "dim_store"),
    ("fct_sales", "date_key", "dim_date"),
    ("fct_returns", "product_key", "dim_product_scd"),
    ("fct_returns", "store_key", "dim_store"),
    ("fct_returns", "date_key", "dim_date"),
    ("fct_shipments", "store_key", "dim_store"),
    ("fct_shipments", "ship_date_key", "dim_date"),
];

fn exists(conn: &Connection, schema: &str, table: &str) -> Result<bool> {
    let n: i64 = conn.query_row(
        "select count(*) from information_schema.tables where table_catalog = 'w' and table_schema = ? and table_name = ?",
        params![schema, table],
        |r| r.get(0),
    )?;
    Ok(n > 0)
}

/// Measures every metric on `warehouse` (attached read-only); `previous` holds the previous
/// run's Gold row counts (table → rows).
pub fn measure(warehouse: &Path, thresholds: &Thresholds, previous: &BTreeMap<String, f64>) -> Result<Vec<Metric>> {
    let conn = Connection::open_in_memory()?;
    crate::attach(&conn, warehouse, "w")?;
    if !exists(&conn, "main", "manifest_processed_files")? {
        return Err(QualityError::MissingTable {
            warehouse: warehouse.to_path_buf(),
            table: "main.manifest_processed_files".into(),
            hint: "run `medallion bronze` first".into(),
        });
    }
    let mut out = Vec::new();
    let f64_of = |sql: &str| -> Result<f64> { Ok(conn.query_row(sql, [], |r| r.get::<_, Option<f64>>(0))?.unwrap_or(0.0)) };

    // Bronze: files not loaded and reject rates, per table (and reason), from the manifest.
    let mut stmt = conn.prepare(
        "select table_name,
                count(*) filter (where status = 'failed' or (rows_read > 0 and rows_loaded = 0)),
                sum(rows_read)
         from w.main.manifest_processed_files group by 1 order by 1",
    )?;
    let tables: Vec<(String, i64, Option<f64>)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<_, _>>()?;
    let rows_read: BTreeMap<String, f64> = tables.iter().map(|(t, _, r)| (t.clone(), r.unwrap_or(0.0))).collect();
    for (table, not_loaded, _) in &tables {
        out.push(metric(table.clone(), "files_not_loaded", *not_loaded as f64, thresholds.files_not_loaded));
    }
    if exists(&conn, "bronze", "rejects")? {
        // A reject's table is the first part of its raw path (`customers.csv`, `events/…`).
        let mut stmt = conn.prepare(
            "select regexp_replace(split_part(src_filename, '/', 1), '\\.(csv|xlsx|jsonl|parquet)$', '') as table_name, reason_code, count(*)
             from w.bronze.rejects group by 1, 2 order by 1, 2",
        )?;
        let rejects: Vec<(String, String, i64)> =
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<_, _>>()?;
        for (table, reason, n) in rejects {
            let read = rows_read.get(&table).copied().unwrap_or(0.0).max(1.0);
            out.push(metric(format!("{table}: {reason}"), "reject_rate", n as f64 / read, thresholds.reject_rate));
        }
    }
    // Freshness: hours since each source's last load, against its SLA.
    let mut stmt = conn.prepare(
        "select table_name, date_diff('minute', max(processed_at), now() at time zone 'UTC') / 60.0
         from w.main.manifest_processed_files group by 1 order by 1",
    )?;
    let ages: Vec<(String, f64)> = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    for (table, hours) in ages {
        let rare = thresholds.rarely_changing_sources.contains(&table);
        let limits = if rare { thresholds.freshness_hours.rarely_changing } else { thresholds.freshness_hours.daily };
        out.push(metric(table, "hours_since_load", hours, limits));
    }
    // Silver: nulls in the columns the raw schema requires, per staging table.
    for table in Table::ALL {
        let stg = format!("stg_{}", table.name());
        if !exists(&conn, "silver", &stg)? {
            continue;
        }
        let mut stmt = conn.prepare(
            "select column_name from information_schema.columns where table_catalog = 'w' and table_schema = 'silver' and table_name = ?",
        )?;
        let columns: Vec<String> = stmt.query_map([&stg], |r| r.get(0))?.collect::<Result<_, _>>()?;
        let required: Vec<&str> = table
            .raw()
            .schema
            .fields()
            .iter()
            .filter(|f| !f.is_nullable() && columns.iter().any(|c| c == f.name()))
            .map(|f| f.name().as_str())
            .collect();
        if required.is_empty() {
            continue;
        }
        let nulls: Vec<String> =
            required.iter().map(|c| format!("count(*) filter (where \"{c}\" is null) / greatest(count(*), 1)")).collect();
        let sql = format!("select {} from w.silver.\"{stg}\"", nulls.join(", "));
        let values: Vec<f64> = conn.query_row(&sql, [], |r| (0..required.len()).map(|i| r.get::<_, f64>(i)).collect())?;
        for (column, value) in required.iter().zip(values) {
            out.push(metric(format!("silver.{stg}.{column}"), "required_null_rate", value, thresholds.required_null_rate));
        }
    }
    // Silver: anomaly-flag rate per table and kind.
    if exists(&conn, "silver", "int_dq_flags")? {
        let mut stmt = conn.prepare("select table_name, anomaly_kind, count(*) from w.silver.int_dq_flags group by 1, 2 order by 1, 2")?;
        let flags: Vec<(String, String, i64)> = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<_, _>>()?;
        for (table, kind, n) in flags {
            // Without its staging table there is no rate (`table_missing` says why).
            if !exists(&conn, "silver", &format!("stg_{table}"))? {
                continue;
            }
            let rows = f64_of(&format!("select count(*) from w.silver.\"stg_{table}\""))?;
            out.push(metric(format!("{table}: {kind}"), "anomaly_flag_rate", n as f64 / rows.max(1.0), thresholds.anomaly_flag_rate));
        }
    }
    // The latest transform: a run still `running` was killed midway (or is under way): Silver
    // and Gold may mix two runs. `failed` means some node failed.
    if exists(&conn, "main", "transform_runs")? {
        let status: Option<String> =
            conn.query_row("select status from w.main.transform_runs order by id desc limit 1", [], |r| r.get(0)).ok();
        let unfinished = match status.as_deref() {
            Some("success") | None => 0.0,
            _ => 1.0,
        };
        out.push(metric("latest transform run", "transform_unfinished", unfinished, thresholds.transform_unfinished));
    }
    // Gold: FK-violation rate per relationship, and row counts against the previous run.
    for (fact, key, dimension) in RELATIONSHIPS {
        if !exists(&conn, "gold", fact)? {
            continue;
        }
        let rate = f64_of(&format!("select count(*) filter (where \"{key}\" = -1) / greatest(count(*), 1) from w.gold.\"{fact}\""))?;
        out.push(metric(format!("{fact}.{key} → {dimension}"), "fk_violation_rate", rate, thresholds.fk_violation_rate));
    }
    // Silver and Gold tables: row counts against the previous run, and any table of the
    // previous run that is gone (dropped by accident: `medallion transform --select <model>+`).
    let mut stmt = conn.prepare(
        "select table_schema || '.' || table_name from information_schema.tables
         where table_catalog = 'w' and table_schema in ('silver', 'gold') and table_type = 'BASE TABLE' order by 1",
    )?;
    let tables: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    for gone in previous.keys().filter(|t| !tables.contains(t)) {
        out.push(metric(gone.clone(), "table_missing", 1.0, thresholds.table_missing));
    }
    for subject in tables {
        let (schema, table) = subject.split_once('.').unwrap_or(("gold", subject.as_str()));
        let rows = f64_of(&format!("select count(*) from w.\"{schema}\".\"{table}\""))?;
        out.push(Metric {
            subject: subject.clone(),
            metric: "row_count".into(),
            value: rows,
            warn: f64::NAN,
            alert: f64::NAN,
            status: Status::Ok,
        });
        if thresholds.row_count_exempt.iter().any(|t| t == table) {
            continue;
        }
        if let Some(before) = previous.get(&subject).filter(|b| **b > 0.0) {
            let change = (rows - before) / before;
            if change < 0.0 {
                out.push(metric(subject.clone(), "row_count_drop", -change, thresholds.row_count_drop));
            } else {
                out.push(metric(subject.clone(), "row_count_growth", change, thresholds.row_count_growth));
            }
        }
    }
    Ok(out)
}

/// One monitoring run: measures `warehouse`, appends the metrics to [`METRICS_TABLE`] under a
/// new run id, and returns (run id, metrics).
pub fn run(warehouse: &Path, thresholds: &Thresholds) -> Result<(String, Vec<Metric>)> {
    let previous = latest_row_counts(warehouse)?;
    let metrics = measure(warehouse, thresholds, &previous)?;
    let conn = Connection::open(warehouse).map_err(|source| QualityError::Attach { path: warehouse.to_path_buf(), source })?;
    conn.execute_batch(&format!(
        "create schema if not exists quality;
         create table if not exists {METRICS_TABLE} (
             run_id varchar not null, measured_at timestamp not null, subject varchar not null, metric varchar not null,
             value double, warn_threshold double, alert_threshold double, status varchar not null
         );"
    ))?;
    let run_id: String = conn.query_row(
        &format!(
            "select 'run-' || lpad(cast(coalesce(max(cast(substr(run_id, 5) as integer)), 0) + 1 as varchar), 6, '0') from {METRICS_TABLE}"
        ),
        [],
        |r| r.get(0),
    )?;
    conn.execute_batch("begin")?;
    {
        let mut insert =
            conn.prepare(&format!("insert into {METRICS_TABLE} values (?, current_timestamp at time zone 'UTC', ?, ?, ?, ?, ?, ?)"))?;
        let finite = |v: f64| if v.is_finite() { Some(v) } else { None };
        for m in &metrics {
            insert.execute(params![run_id, m.subject, m.metric, m.value, finite(m.warn), finite(m.alert), m.status.as_str()])?;
        }
    }
    conn.execute_batch("commit")?;
    Ok((run_id, metrics))
}

/// The Gold row counts of the latest run (empty before the first).
fn latest_row_counts(warehouse: &Path) -> Result<BTreeMap<String, f64>> {
    let conn = Connection::open_in_memory()?;
    crate::attach(&conn, warehouse, "w")?;
    if !exists(&conn, "quality", "data_quality_metrics")? {
        return Ok(BTreeMap::new());
    }
    let mut stmt = conn.prepare(
        "select subject, value from w.quality.data_quality_metrics
         where metric = 'row_count' and run_id = (select max(run_id) from w.quality.data_quality_metrics)",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// The latest run's metrics (run id and rows), for `medallion dq status`.
pub fn latest(warehouse: &Path) -> Result<Option<(String, Vec<Metric>)>> {
    let conn = Connection::open_in_memory()?;
    crate::attach(&conn, warehouse, "w")?;
    if !exists(&conn, "quality", "data_quality_metrics")? {
        return Ok(None);
    }
    let mut stmt = conn.prepare(
        "select run_id, subject, metric, value, coalesce(warn_threshold, 'NaN'::double), coalesce(alert_threshold, 'NaN'::double), status
         from w.quality.data_quality_metrics
         where run_id = (select max(run_id) from w.quality.data_quality_metrics) order by status desc, metric, subject",
    )?;
    let rows = stmt
        .query_map([], |r| {
            let status: String = r.get(6)?;
            Ok((
                r.get::<_, String>(0)?,
                Metric {
                    subject: r.get(1)?,
                    metric: r.get(2)?,
                    value: r.get(3)?,
                    warn: r.get(4)?,
                    alert: r.get(5)?,
                    status: match status.as_str() {
                        "ALERT" => Status::Alert,
                        "WARNING" => Status::Warning,
                        _ => Status::Ok,
                    },
                },
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    // Every row is of the latest run: its id is the first row's.
    let run = rows.first().map(|(id, _)| id.clone());
    Ok(run.map(|id| (id, rows.into_iter().map(|(_, m)| m).collect())))
}
