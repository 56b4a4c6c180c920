//! Exports the Silver and Gold tables of the warehouse to the lake as Parquet
//! (`lake/<schema>/<table>.parquet`), so tools that read files, not DuckDB, see the same data.

use std::path::{Path, PathBuf};

use duckdb::Connection;

use crate::{DqError, attach};

/// One exported table.
#[derive(Debug, Clone, PartialEq)]
pub struct Exported {
    pub schema: String,
    pub table: String,
    pub rows: u64,
    pub path: PathBuf,
}

/// Writes every table (not view) of `schemas` to `lake/<schema>/<table>.parquet` (temp file,
/// then rename: readers never see half a file). Files of tables that no longer exist stay.
pub fn export(warehouse: &Path, lake: &Path, schemas: &[&str]) -> Result<Vec<Exported>, DqError> {
    let conn = Connection::open_in_memory()?;
    attach(&conn, warehouse, "w")?;
    let mut out = Vec::new();
    for schema in schemas {
        let mut stmt = conn.prepare("select table_name from duckdb_tables() where database_name = 'w' and schema_name = ? order by 1")?;
        let tables: Vec<String> = stmt.query_map([schema], |r| r.get(0))?.collect::<Result<_, _>>()?;
        if tables.is_empty() {
            continue;
        }
        let dir = lake.join(schema);
        std::fs::create_dir_all(&dir).map_err(|e| DqError::Missing(format!("{}: {e}", dir.display())))?;
        for table in tables {
            let path = dir.join(format!("{table}.parquet"));
            let tmp = dir.join(format!("{table}.parquet.tmp"));
            let sql = format!(
                "copy (select * from w.\"{schema}\".\"{table}\") to '{}' (format parquet, compression zstd)",
                tmp.display().to_string().replace('\'', "''")
            );
            conn.execute_batch(&sql)?;
            std::fs::rename(&tmp, &path).map_err(|e| DqError::Missing(format!("{}: {e}", path.display())))?;
            let rows: i64 = conn.query_row(&format!("select count(*) from w.\"{schema}\".\"{table}\""), [], |r| r.get(0))?;
            out.push(Exported { schema: schema.to_string(), table, rows: rows as u64, path });
        }
    }
    Ok(out)
}
