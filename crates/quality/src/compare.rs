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
            let minus = |x: &str, y: &str| -> Result<u64, QualityError> {
                let sql = format!("select count(*) from (select {select} from {} except all select {select} from {})", name(x), name(y));
                Ok(conn.query_row(&sql, [], |r| r.get::<_, i64>(0))? as u64)
            };
            diff.only_in_a = minus("a", "b")?;
            diff.only_in_b = minus("b", "a")?;
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
