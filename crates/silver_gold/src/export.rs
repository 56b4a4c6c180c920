//! Exports the Silver and Gold tables of the warehouse to the lake as Parquet
//! (`lake/<schema>/<table>.parquet`), so tools that read files, not DuckDB, see the same data.

use std::path::{Path, PathBuf};

use duckdb::Connection;

use crate::{Result, TransformError};

/// One exported table.
#[derive(Debug, Clone, PartialEq)]
pub struct Exported {
    /// `silver` or `gold`.
    pub schema: String,
    /// The table's name.
    pub table: String,
    /// Rows written.
    pub rows: u64,
    /// The Parquet file.
    pub path: PathBuf,
}

/// Writes every table (not view) of `schemas` to `lake/<schema>/<table>.parquet` (temp file,
/// then rename: readers never see half a file). Files of tables that no longer exist stay.
pub fn export(warehouse: &Path, lake: &Path, schemas: &[&str]) -> Result<Vec<Exported>> {
    if !warehouse.exists() {
        let source = std::io::Error::new(std::io::ErrorKind::NotFound, "no such warehouse file");
        return Err(TransformError::Io { path: warehouse.to_path_buf(), source });
    }
    // Attached read-only to an in-memory session: the export writes nothing to the warehouse.
    let conn = Connection::open_in_memory()?;
    let sql = format!("attach '{}' as w (read_only)", warehouse.display().to_string().replace('\'', "''"));
    conn.execute_batch(&sql).map_err(|source| TransformError::Warehouse { path: warehouse.to_path_buf(), source })?;
    // Tables are unordered (decision 38), so their files need not keep the scan order: DuckDB
    // then writes without reordering its threads' batches (scale 1: 7.2–8.1 → 6.7–7.0 CPU-s).
    conn.execute_batch("set preserve_insertion_order = false")?;
    let mut out = Vec::new();
    for schema in schemas {
        let mut stmt = conn.prepare("select table_name from duckdb_tables() where database_name = 'w' and schema_name = ? order by 1")?;
        let tables: Vec<String> = stmt.query_map([schema], |r| r.get(0))?.collect::<Result<_, _>>()?;
        if tables.is_empty() {
            continue;
        }
        let dir = lake.join(schema);
        std::fs::create_dir_all(&dir).map_err(|source| TransformError::Io { path: dir.clone(), source })?;
        for table in tables {
            let path = dir.join(format!("{table}.parquet"));
            let tmp = dir.join(format!("{table}.parquet.tmp"));
            let sql = format!(
                "copy (select * from w.\"{schema}\".\"{table}\") to '{}' (format parquet, compression snappy)",
                tmp.display().to_string().replace('\'', "''")
            );
            conn.execute_batch(&sql)?;
            std::fs::rename(&tmp, &path).map_err(|source| TransformError::Io { path: path.clone(), source })?;
            let rows: i64 = conn.query_row(&format!("select count(*) from w.\"{schema}\".\"{table}\""), [], |r| r.get(0))?;
            out.push(Exported { schema: schema.to_string(), table, rows: rows as u64, path });
        }
    }
    Ok(out)
}
