//! Table-by-table comparison of two warehouses: the same tables, with the same columns and
//! types, holding the same rows as a multiset. Used to prove that an incremental build equals a
//! full refresh, and (issue 5) that the embedded runner equals dbt-duckdb.

use std::path::Path;

use duckdb::Connection;

use crate::{QualityError, attach};

/// How one table differs between warehouse `a` and warehouse `b`.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDiff {
    /// The table's schema.
    pub schema: String,
    /// The table's name.
    pub table: String,
    /// Row count in `a` (`None`: missing there).
    pub rows_a: Option<u64>,
    /// Row count in `b` (`None`: missing there).
    pub rows_b: Option<u64>,
    /// `name type` lists that differ, as "a: … / b: …"; empty when equal.
    pub column_difference: String,
    /// Rows in `a` but not in `b`, counted with multiplicity.
    pub only_in_a: u64,
    /// Rows in `b` but not in `a`, counted with multiplicity.
    pub only_in_b: u64,
}

impl TableDiff {
    /// Both sides have the table, with the same columns and rows.
    pub fn is_equal(&self) -> bool {
        self.rows_a.is_some() && self.rows_b.is_some() && self.column_difference.is_empty() && self.only_in_a == 0 && self.only_in_b == 0
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn columns(conn: &Connection, db: &str, schema: &str, table: &str, ignore: &[&str]) -> Result<Vec<(String, String)>, QualityError> {
    let mut stmt = conn.prepare(
        "select column_name, data_type from duckdb_columns()
         where database_name = ? and schema_name = ? and table_name = ? order by column_index",
    )?;
    let cols = stmt.query_map([db, schema, table], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    Ok(cols.collect::<Result<Vec<_>, _>>()?.into_iter().filter(|(c, _)| !ignore.contains(&c.as_str())).collect())
}

/// Rows of relation `x` (its columns `select`) not in `y`, counted with multiplicity.
fn rows_only_in(conn: &Connection, select: &str, x: &str, y: &str) -> Result<u64, QualityError> {
    let sql = format!("select count(*) from (select {select} from {x} except all select {select} from {y})");
    Ok(conn.query_row(&sql, [], |r| r.get::<_, i64>(0))? as u64)
}

/// Compares every table (not views) of `schemas` in warehouses `a` and `b`; columns named in
/// `ignore` are left out (e.g. run timestamps).
pub fn compare(a: &Path, b: &Path, schemas: &[&str], ignore: &[&str]) -> Result<Vec<TableDiff>, QualityError> {
    let conn = Connection::open_in_memory()?;
    attach(&conn, a, "a")?;
    attach(&conn, b, "b")?;
    let list = schemas.iter().map(|s| format!("'{}'", s.replace('\'', "''"))).collect::<Vec<_>>().join(", ");
    let mut stmt = conn.prepare(&format!(
        "select distinct schema_name, table_name from duckdb_tables()
         where database_name in ('a', 'b') and schema_name in ({list}) order by 1, 2"
    ))?;
    let tables: Vec<(String, String)> = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for (schema, table) in tables {
        let (ca, cb) = (columns(&conn, "a", &schema, &table, ignore)?, columns(&conn, "b", &schema, &table, ignore)?);
        let name = |db: &str| format!("{db}.{}.{}", quote(&schema), quote(&table));
        let count = |db: &str, cols: &[(String, String)]| -> Result<Option<u64>, QualityError> {
            if cols.is_empty() {
                return Ok(None);
            }
            Ok(Some(conn.query_row(&format!("select count(*) from {}", name(db)), [], |r| r.get::<_, i64>(0))? as u64))
        };
        let (rows_a, rows_b) = (count("a", &ca)?, count("b", &cb)?);
        let mut diff = TableDiff {
            schema: schema.clone(),
            table: table.clone(),
            rows_a,
            rows_b,
            column_difference: String::new(),
            only_in_a: 0,
            only_in_b: 0,
        };
        if ca != cb {
            let show = |c: &[(String, String)]| c.iter().map(|(n, t)| format!("{n} {t}")).collect::<Vec<_>>().join(", ");
            diff.column_difference = format!("a: {} / b: {}", show(&ca), show(&cb));
        } else if rows_a.is_some() && rows_b.is_some() {
            let select = ca.iter().map(|(n, _)| quote(n)).collect::<Vec<_>>().join(", ");
            diff.only_in_a = rows_only_in(&conn, &select, &name("a"), &name("b"))?;
            diff.only_in_b = rows_only_in(&conn, &select, &name("b"), &name("a"))?;
        }
        out.push(diff);
    }
    Ok(out)
}

/// Compares the node statuses of two `run_results.json` files (dbt's and the embedded
/// runner's): the same nodes, each with the same status. dbt suffixes test ids with a hash,
/// which is left out. Returns one line per difference.
pub fn compare_run_results(a: &Path, b: &Path) -> Result<Vec<String>, QualityError> {
    let statuses = |path: &Path| -> Result<std::collections::BTreeMap<String, String>, QualityError> {
        let text = std::fs::read_to_string(path).map_err(|source| QualityError::Io { path: path.to_path_buf(), source })?;
        let doc: serde_json::Value =
            serde_json::from_str(&text).map_err(|source| QualityError::RunResults { path: path.to_path_buf(), source })?;
        let mut out = std::collections::BTreeMap::new();
        for r in doc["results"].as_array().into_iter().flatten() {
            let id = r["unique_id"].as_str().unwrap_or_default();
            // Hooks (on-run-start) are operations, not nodes: on DuckDB the project's renders
            // to nothing, and the embedded runner runs none.
            if id.starts_with("operation.") {
                continue;
            }
            let id = match id.split('.').collect::<Vec<_>>().as_slice() {
                ["test", project, name, _hash] => format!("test.{project}.{name}"),
                _ => id.to_string(),
            };
            out.insert(id, r["status"].as_str().unwrap_or_default().to_string());
        }
        Ok(out)
    };
    let (sa, sb) = (statuses(a)?, statuses(b)?);
    let mut diffs = Vec::new();
    for id in sa.keys().chain(sb.keys()).collect::<std::collections::BTreeSet<_>>() {
        match (sa.get(id), sb.get(id)) {
            (Some(x), Some(y)) if x == y => {}
            (x, y) => diffs.push(format!("{id}: {} vs {}", x.map_or("absent", String::as_str), y.map_or("absent", String::as_str))),
        }
    }
    Ok(diffs)
}

/// How a warehouse compares with another engine's build of the same Bronze (issue 16: Spark),
/// exported as one Parquet folder per relation (`<dir>/<schema>/<name>/`).
#[derive(Debug, Clone, Default)]
pub struct ExportComparison {
    /// One entry per table and view of the warehouse's schemas (`only_in_*` counts rows that
    /// differ beyond the tolerance).
    pub diffs: Vec<TableDiff>,
    /// Columns whose type the other engine names differently (`schema.table.column: duckdb
    /// T / other U`): compared after casting to DuckDB's type, so not a difference of values.
    pub type_notes: Vec<String>,
    /// The largest difference seen between floating-point values.
    pub max_float_difference: f64,
}

fn is_float(data_type: &str) -> bool {
    matches!(data_type, "DOUBLE" | "FLOAT")
}

/// Compares every table and view of `schemas` in `warehouse` with `dir/<schema>/<name>/*.parquet`:
/// the same column names, the same row count, and the same rows as a multiset — exactly for
/// every column but floating-point ones, which must agree within `float_tolerance` (absolute)
/// on rows matched by all the other columns. The export's
/// columns are cast to the warehouse's types first (engines name integer widths, decimal
/// precisions and time zones differently; each such column is listed in `type_notes`).
pub fn compare_with_export(warehouse: &Path, dir: &Path, schemas: &[&str], float_tolerance: f64) -> Result<ExportComparison, QualityError> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch("set TimeZone = 'UTC'")?;
    attach(&conn, warehouse, "a")?;
    let list = schemas.iter().map(|s| format!("'{}'", s.replace('\'', "''"))).collect::<Vec<_>>().join(", ");
    let mut stmt = conn.prepare(&format!(
        "select schema_name, table_name from duckdb_tables() where database_name = 'a' and schema_name in ({list})
         union select schema_name, view_name from duckdb_views() where database_name = 'a' and schema_name in ({list})
         order by 1, 2"
    ))?;
    let relations: Vec<(String, String)> = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    let describe = |sql: &str| -> Result<Vec<(String, String)>, QualityError> {
        let mut stmt = conn.prepare(&format!("describe {sql}"))?;
        let cols = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        Ok(cols.collect::<Result<_, _>>()?)
    };
    let mut out = ExportComparison::default();
    for (schema, table) in relations {
        let a_name = format!("a.{}.{}", quote(&schema), quote(&table));
        let folder = dir.join(&schema).join(&table);
        let mut diff = TableDiff {
            schema: schema.clone(),
            table: table.clone(),
            rows_a: Some(conn.query_row(&format!("select count(*) from {a_name}"), [], |r| r.get::<_, i64>(0))? as u64),
            rows_b: None,
            column_difference: String::new(),
            only_in_a: 0,
            only_in_b: 0,
        };
        if !folder.is_dir() {
            out.diffs.push(diff);
            continue;
        }
        let files = format!("read_parquet('{}/*.parquet')", folder.display().to_string().replace('\'', "''"));
        let (ca, cb) = (describe(&format!("select * from {a_name}"))?, describe(&format!("select * from {files}"))?);
        diff.rows_b = Some(conn.query_row(&format!("select count(*) from {files}"), [], |r| r.get::<_, i64>(0))? as u64);
        let names = |c: &[(String, String)]| c.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        if names(&ca) != names(&cb) {
            diff.column_difference = format!("duckdb: {} / export: {}", names(&ca).join(", "), names(&cb).join(", "));
            out.diffs.push(diff);
            continue;
        }
        for ((name, ta), (_, tb)) in ca.iter().zip(&cb) {
            if ta != tb {
                out.type_notes.push(format!("{schema}.{table}.{name}: duckdb {ta} / export {tb}"));
            }
        }
        let b_name = format!("export_{}_{}", schema, table);
        let casts = ca.iter().map(|(n, t)| format!("cast({} as {t}) as {}", quote(n), quote(n))).collect::<Vec<_>>().join(", ");
        conn.execute_batch(&format!("create or replace temp table {} as select {casts} from {files}", quote(&b_name)))?;
        let exact: Vec<String> = ca.iter().filter(|(_, t)| !is_float(t)).map(|(n, _)| quote(n)).collect();
        let floats: Vec<String> = ca.iter().filter(|(_, t)| is_float(t)).map(|(n, _)| quote(n)).collect();
        let select = if exact.is_empty() { "1".to_string() } else { exact.join(", ") };
        diff.only_in_a = rows_only_in(&conn, &select, &a_name, &quote(&b_name))?;
        diff.only_in_b = rows_only_in(&conn, &select, &quote(&b_name), &a_name)?;
        if diff.only_in_a == 0 && diff.only_in_b == 0 && !floats.is_empty() {
            // Rows paired by every exact column (and, within equal ones, by the float values'
            // order), then each float compared.
            let numbered = |rel: &str| {
                let order = floats.join(", ");
                let partition = if exact.is_empty() { String::new() } else { format!("partition by {}", exact.join(", ")) };
                format!("select *, row_number() over ({partition} order by {order}) as pair_number from {rel}")
            };
            let on = exact.iter().map(|c| format!("x.{c} is not distinct from y.{c}")).chain(["x.pair_number = y.pair_number".into()]);
            let relative = floats
                .iter()
                .map(|c| format!("coalesce(abs(x.{c} - y.{c}), case when (x.{c} is null) = (y.{c} is null) then 0 else 1e308 end)"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "select count(*) filter (where d > {float_tolerance}), coalesce(max(d), 0) from (
                   select greatest({relative}) as d
                   from ({}) x join ({}) y on {})",
                numbered(&a_name),
                numbered(&quote(&b_name)),
                on.collect::<Vec<_>>().join(" and ")
            );
            let (beyond, largest): (i64, f64) = conn.query_row(&sql, [], |r| Ok((r.get(0)?, r.get(1)?)))?;
            diff.only_in_a = beyond as u64;
            diff.only_in_b = beyond as u64;
            out.max_float_difference = out.max_float_difference.max(largest);
        }
        conn.execute_batch(&format!("drop table {}", quote(&b_name)))?;
        out.diffs.push(diff);
    }
    Ok(out)
}
