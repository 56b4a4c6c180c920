//! Transform runs, recorded in the warehouse (`main.transform_runs`) so that readers know
//! whether Silver and Gold are the result of a finished run: a run is `running` from its start
//! until it ends `success` or `failed`. A run killed midway stays `running`, which the next run,
//! `medallion dq monitor` and the dashboard report (tables may mix the old and the new run).
//! Its `run_results.json` is replaced at the start by one saying the run is under way, so the
//! previous run's results never pass for this one's.

use std::path::Path;

use duckdb::{Connection, params};

use crate::{Result, TransformError};

/// The table of runs.
pub const RUNS_TABLE: &str = "main.transform_runs";

/// A recorded run.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// Its number, from 1.
    pub id: i64,
    /// `embedded` or `dbt`.
    pub engine: String,
    /// When it started (UTC, as text).
    pub started_at: String,
    /// `running` (under way, or killed), `success` or `failed`.
    pub status: String,
}

fn open(warehouse: &Path) -> Result<Connection> {
    Connection::open(warehouse).map_err(|source| TransformError::Warehouse { path: warehouse.to_path_buf(), source })
}

/// The latest run recorded in an open warehouse connection (`catalog` is the warehouse's
/// catalog name there), if any.
pub fn latest(conn: &Connection, catalog: &str) -> Result<Option<Run>> {
    let n: i64 = conn.query_row(
        "select count(*) from information_schema.tables where table_catalog = ? and table_schema = 'main' and table_name = 'transform_runs'",
        [catalog],
        |r| r.get(0),
    )?;
    if n == 0 {
        return Ok(None);
    }
    let sql = format!(
        "select id, engine, strftime(started_at, '%Y-%m-%d %H:%M:%S'), status from \"{catalog}\".main.transform_runs order by id desc limit 1"
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query_map([], |r| Ok(Run { id: r.get(0)?, engine: r.get(1)?, started_at: r.get(2)?, status: r.get(3)? }))?;
    Ok(rows.next().transpose()?)
}

/// Records a run starting with `engine` and marks `target`'s `run_results.json` as under way.
/// Returns the new run and the previous one if it never finished (killed midway).
pub fn begin(warehouse: &Path, engine: &str, target: &Path) -> Result<(Run, Option<Run>)> {
    let conn = open(warehouse)?;
    conn.execute_batch(&format!(
        "create table if not exists {RUNS_TABLE} (
             id bigint primary key, engine varchar not null, started_at timestamp not null,
             finished_at timestamp, status varchar not null
         )"
    ))?;
    let catalog: String = conn.query_row("select current_database()", [], |r| r.get(0))?;
    let interrupted = latest(&conn, &catalog)?.filter(|r| r.status == "running");
    let id: i64 = conn.query_row(&format!("select coalesce(max(id), 0) + 1 from {RUNS_TABLE}"), [], |r| r.get(0))?;
    conn.execute(
        &format!("insert into {RUNS_TABLE} values (?, ?, current_timestamp at time zone 'UTC', null, 'running')"),
        params![id, engine],
    )?;
    let run = latest(&conn, &catalog)?.expect("just inserted");
    std::fs::create_dir_all(target).map_err(|source| TransformError::Io { path: target.to_path_buf(), source })?;
    let results = target.join("run_results.json");
    let placeholder = serde_json::json!({
        "metadata": {"generator": "medallion", "status": "running", "run": id, "started_at": run.started_at},
        "results": [],
        "elapsed_time": null
    });
    std::fs::write(&results, serde_json::to_vec_pretty(&placeholder).expect("plain json"))
        .map_err(|source| TransformError::Io { path: results.clone(), source })?;
    Ok((run, interrupted))
}

/// Records how run `id` ended.
pub fn finish(warehouse: &Path, id: i64, success: bool) -> Result<()> {
    let conn = open(warehouse)?;
    conn.execute(
        &format!("update {RUNS_TABLE} set finished_at = current_timestamp at time zone 'UTC', status = ? where id = ?"),
        params![if success { "success" } else { "failed" }, id],
    )?;
    Ok(())
}
