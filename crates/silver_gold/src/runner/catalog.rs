//! The warehouse's catalog as the materializations and tests need it: whether a relation
//! exists, its columns, and creating its schema.

use std::sync::Mutex;

use duckdb::Connection;

use crate::Result;

/// Whether `schema.name` is a table of the current database.
pub(crate) fn exists(conn: &Connection, relation: &str) -> Result<bool> {
    let (schema, name) = relation.split_once('.').unwrap_or(("main", relation));
    let n: i64 = conn.query_row(
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = ? and database_name = current_database()",
        [schema, name],
        |r| r.get(0),
    )?;
    Ok(n > 0)
}

/// Column names and types of a relation (a table or temp table by name) or of a query.
pub(crate) fn describe(conn: &Connection, relation_or_query: &str) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare(&format!("describe\n{relation_or_query}"))?;
    let cols = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?.collect::<Result<_, _>>()?;
    Ok(cols)
}

/// Creates the schema of `schema.name` if missing.
pub(crate) fn ensure_schema(conn: &Connection, relation: &str) -> Result<()> {
    // One at a time: two connections creating the same schema at once is a DuckDB write-write
    // conflict, even with `if not exists`.
    static CREATING: Mutex<()> = Mutex::new(());
    if let Some((schema, _)) = relation.split_once('.') {
        let _one_at_a_time = CREATING.lock().unwrap_or_else(|e| e.into_inner());
        conn.execute_batch(&format!("create schema if not exists {schema}"))?;
    }
    Ok(())
}
