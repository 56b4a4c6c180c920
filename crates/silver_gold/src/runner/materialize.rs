//! Materializations: seeds, models (view, table, incremental delete+insert or append) and
//! snapshots (timestamp strategy), with enforced contracts checked as dbt does.

use std::collections::BTreeMap;

use duckdb::Connection;

use super::RunOptions;
use super::catalog::{describe, ensure_schema, exists};
use super::plan::{Planned, cfg_list, cfg_str};
use super::results::Status;
use crate::project::{Kind, Project};
use crate::render::{Context, Macros, render};
use crate::{Result, TransformError};

pub(crate) fn run_node(
    project: &Project,
    macros: &Macros,
    relations: &BTreeMap<String, String>,
    conn: &Connection,
    p: &Planned,
    opts: &RunOptions,
) -> Result<Status> {
    let relation = p.relation.clone().unwrap_or_default();
    let ctx =
        |incremental: bool| Context { project, macros, relations, this: p.relation.clone(), is_incremental: incremental, overrides: None };
    match p.node.kind {
        Kind::Seed => {
            ensure_schema(conn, &relation)?;
            let path = project.root.join(&p.node.path);
            conn.execute_batch(&format!(
                "create or replace table {relation} as select * from read_csv('{}', header = true, auto_detect = true)",
                path.display().to_string().replace('\'', "''")
            ))?;
            // dbt types integer seed columns as INTEGER (DuckDB's reader says BIGINT).
            for (c, _) in describe(conn, &relation)?.into_iter().filter(|(_, t)| t == "BIGINT") {
                conn.execute_batch(&format!("alter table {relation} alter column \"{c}\" type integer"))?;
            }
            Ok(Status::Success)
        }
        Kind::Model => {
            ensure_schema(conn, &relation)?;
            let materialized = cfg_str(&p.config, "materialized").unwrap_or("view");
            match materialized {
                "view" => {
                    let sql = render(&ctx(false), &p.node.path, &p.node.sql)?.sql;
                    conn.execute_batch(&format!("create or replace view {relation} as\n{sql}"))?;
                }
                "table" => {
                    let sql = render(&ctx(false), &p.node.path, &p.node.sql)?.sql;
                    check_contract(conn, p, &sql)?;
                    conn.execute_batch(&format!("create or replace table {relation} as\n{sql}"))?;
                    check_not_null(conn, p, &relation)?;
                }
                "incremental" => incremental(conn, &relation, p, &ctx, opts.full_refresh)?,
                other => {
                    return Err(TransformError::At {
                        file: p.node.path.clone(),
                        line: 1,
                        message: format!("materialized='{other}' is not supported by the embedded runner (view, table, incremental)"),
                    });
                }
            }
            Ok(Status::Success)
        }
        Kind::Snapshot => {
            ensure_schema(conn, &relation)?;
            snapshot(conn, &relation, p, &ctx(false))?;
            Ok(Status::Success)
        }
        // The scheduler runs tests through data_test and ends exposures itself; one here is a
        // scheduling bug, reported as the node's error rather than a panic.
        Kind::Test | Kind::UnitTest | Kind::Exposure => Err(TransformError::At {
            file: p.node.path.clone(),
            line: 0,
            message: format!("a {} reached the materializations", p.node.kind.name()),
        }),
    }
}

/// An enforced contract: the query's columns and types must be exactly the declared ones (in
/// order), checked before anything is built, as dbt does.
fn check_contract(conn: &Connection, p: &Planned, sql: &str) -> Result<()> {
    let Some(contract) = &p.node.contract else { return Ok(()) };
    let actual = describe(conn, sql)?;
    // Declared types as DuckDB names them (`string` is VARCHAR), as dbt compares them: through
    // the engine's own cast.
    let casts: Vec<String> = contract.columns.iter().enumerate().map(|(i, (_, want))| format!("cast(null as {want}) as c{i}")).collect();
    let declared = if casts.is_empty() { Vec::new() } else { describe(conn, &format!("select {}", casts.join(", ")))? };
    let mut mismatches: Vec<String> = Vec::new();
    for (i, (name, want)) in contract.columns.iter().enumerate() {
        match actual.get(i) {
            Some((n, t)) if n == name && declared.get(i).is_some_and(|(_, d)| d == t) => {}
            Some((n, t)) => mismatches.push(format!("{name} {want} (query: {n} {t})")),
            None => mismatches.push(format!("{name} {want} (missing from the query)")),
        }
    }
    mismatches.extend(actual.iter().skip(contract.columns.len()).map(|(n, t)| format!("{n} {t} (not in the contract)")));
    if mismatches.is_empty() {
        return Ok(());
    }
    Err(TransformError::At {
        file: p.node.path.clone(),
        line: 1,
        message: format!("the enforced contract does not hold: {}", mismatches.join("; ")),
    })
}

/// The contract's not-null constraints, on the built table.
fn check_not_null(conn: &Connection, p: &Planned, relation: &str) -> Result<()> {
    let Some(contract) = &p.node.contract else { return Ok(()) };
    for col in &contract.not_null {
        let nulls: i64 = conn.query_row(&format!("select count(*) from {relation} where \"{col}\" is null"), [], |r| r.get(0))?;
        if nulls > 0 {
            return Err(TransformError::At {
                file: p.node.path.clone(),
                line: 1,
                message: format!("contract constraint not_null on {col}: {nulls} null row(s)"),
            });
        }
    }
    Ok(())
}

/// Incremental model, `delete+insert` on `unique_key` (or append without one);
/// `on_schema_change`: `append_new_columns` adds new columns, `ignore` (default) leaves them out,
/// `fail` errors.
fn incremental<'a>(conn: &Connection, relation: &str, p: &Planned, ctx: &dyn Fn(bool) -> Context<'a>, full_refresh: bool) -> Result<()> {
    if full_refresh || !exists(conn, relation)? {
        let sql = render(&ctx(false), &p.node.path, &p.node.sql)?.sql;
        check_contract(conn, p, &sql)?;
        conn.execute_batch(&format!("create or replace table {relation} as\n{sql}"))?;
        return check_not_null(conn, p, relation);
    }
    let strategy = cfg_str(&p.config, "incremental_strategy").unwrap_or("delete+insert");
    if !matches!(strategy, "delete+insert" | "append") {
        return Err(TransformError::At {
            file: p.node.path.clone(),
            line: 1,
            message: format!("incremental_strategy='{strategy}' is not supported (delete+insert, append)"),
        });
    }
    let sql = render(&ctx(true), &p.node.path, &p.node.sql)?.sql;
    conn.execute_batch(&format!("create or replace temp table __dbt_incremental as\n{sql}"))?;
    let new_cols = describe(conn, "__dbt_incremental")?;
    let mut target_cols = describe(conn, relation)?;
    let missing: Vec<(String, String)> = new_cols.iter().filter(|(c, _)| !target_cols.iter().any(|(t, _)| t == c)).cloned().collect();
    match (cfg_str(&p.config, "on_schema_change").unwrap_or("ignore"), missing.is_empty()) {
        (_, true) | ("ignore", _) => {}
        ("append_new_columns", _) | ("sync_all_columns", _) => {
            for (c, t) in &missing {
                conn.execute_batch(&format!("alter table {relation} add column \"{c}\" {t}"))?;
            }
            target_cols.extend(missing);
        }
        (other, _) => {
            return Err(TransformError::At {
                file: p.node.path.clone(),
                line: 1,
                message: format!("on_schema_change='{other}': the model has new columns"),
            });
        }
    }
    let keys = cfg_list(&p.config, "unique_key");
    let mut sql = String::from("begin transaction;\n");
    if strategy == "delete+insert" && !keys.is_empty() {
        let cond = keys.iter().map(|k| format!("t.\"{k}\" = s.\"{k}\"")).collect::<Vec<_>>().join(" and ");
        sql.push_str(&format!("delete from {relation} t where exists (select 1 from __dbt_incremental s where {cond});\n"));
    }
    let cols: Vec<String> =
        target_cols.iter().filter(|(c, _)| new_cols.iter().any(|(n, _)| n == c)).map(|(c, _)| format!("\"{c}\"")).collect();
    let list = cols.join(", ");
    sql.push_str(&format!("insert into {relation} ({list}) select {list} from __dbt_incremental;\ncommit;\ndrop table __dbt_incremental;"));
    conn.execute_batch(&sql)?;
    Ok(())
}

/// Snapshot, timestamp strategy: a new version when `updated_at` moves past the current one's;
/// dbt's columns `dbt_scd_id`, `dbt_updated_at`, `dbt_valid_from`, `dbt_valid_to`.
fn snapshot(conn: &Connection, relation: &str, p: &Planned, ctx: &Context<'_>) -> Result<()> {
    let strategy = cfg_str(&p.config, "strategy").unwrap_or("timestamp");
    let (Some(key), Some(updated_at)) = (cfg_str(&p.config, "unique_key"), cfg_str(&p.config, "updated_at")) else {
        return Err(TransformError::At {
            file: p.node.path.clone(),
            line: 1,
            message: "a snapshot needs unique_key and updated_at".into(),
        });
    };
    if strategy != "timestamp" {
        return Err(TransformError::At {
            file: p.node.path.clone(),
            line: 1,
            message: format!("snapshot strategy '{strategy}' is not supported (timestamp)"),
        });
    }
    // Rows that vanish from the source stay as they are (dbt's default, `hard_deletes='ignore'`).
    let hard_deletes = cfg_str(&p.config, "hard_deletes").unwrap_or("ignore");
    let invalidates = p.config.get("invalidate_hard_deletes").and_then(serde_json::Value::as_bool).unwrap_or(false);
    if hard_deletes != "ignore" || invalidates {
        return Err(TransformError::At {
            file: p.node.path.clone(),
            line: 1,
            message: format!("snapshot hard_deletes '{hard_deletes}' is not supported by the embedded runner (ignore)"),
        });
    }
    let sql = render(ctx, &p.node.path, &p.node.sql)?.sql;
    let scd_id = format!("md5(coalesce(cast(\"{key}\" as varchar), '') || '|' || coalesce(cast(\"{updated_at}\" as varchar), ''))");
    conn.execute_batch(&format!("create or replace temp table __dbt_snapshot_source as\n{sql}"))?;
    if !exists(conn, relation)? {
        conn.execute_batch(&format!(
            "create table {relation} as select *, {scd_id} as dbt_scd_id, \"{updated_at}\" as dbt_updated_at,
                 \"{updated_at}\" as dbt_valid_from, nullif(\"{updated_at}\", \"{updated_at}\") as dbt_valid_to
             from __dbt_snapshot_source;
             drop table __dbt_snapshot_source;"
        ))?;
        return Ok(());
    }
    conn.execute_batch(&format!(
        "begin transaction;
         create or replace temp table __dbt_snapshot_changes as
             select s.* from __dbt_snapshot_source s
             left join {relation} c on c.\"{key}\" = s.\"{key}\" and c.dbt_valid_to is null
             where c.\"{key}\" is null or s.\"{updated_at}\" > c.dbt_valid_from;
         update {relation} c set dbt_valid_to = s.\"{updated_at}\"
             from __dbt_snapshot_changes s
             where c.\"{key}\" = s.\"{key}\" and c.dbt_valid_to is null;
         insert into {relation} by name
             select *, {scd_id} as dbt_scd_id, \"{updated_at}\" as dbt_updated_at, \"{updated_at}\" as dbt_valid_from,
                 nullif(\"{updated_at}\", \"{updated_at}\") as dbt_valid_to
             from __dbt_snapshot_changes;
         commit;
         drop table __dbt_snapshot_changes;
         drop table __dbt_snapshot_source;"
    ))?;
    Ok(())
}
