//! Silver and Gold. The SQL lives in the dbt project (`dbt/`); this crate runs it on the embedded
//! DuckDB without Python ([`runner`], with [`project`] loading and [`render`] rendering it), and
//! scores and checks what it builds: the data-quality scorecard against the generator's ground truth
//! ([`scorecard`]), a table-by-table comparison of two warehouses ([`compare`]) and the GDPR
//! scan of Gold ([`gdpr`]), and exports Silver and Gold to the lake as Parquet ([`export`]).

pub mod compare;
pub mod export;
pub mod gdpr;
pub mod project;
pub mod render;
pub mod runner;
pub mod scorecard;

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum DqError {
    #[error("{}: {source}", path.display())]
    Warehouse { path: PathBuf, source: duckdb::Error },
    #[error("{0}")]
    Sql(#[from] duckdb::Error),
    #[error("ground truth: {0}")]
    Truth(#[from] medallion_gen::GenError),
    #[error("{0}")]
    Missing(String),
}

/// An in-memory DuckDB session with `path` attached read-only as `w` (so nothing is written to
/// the warehouse, and its views — over absolute Parquet paths — still resolve).
pub(crate) fn attach(conn: &duckdb::Connection, path: &Path, alias: &str) -> Result<(), DqError> {
    if !path.exists() {
        return Err(DqError::Missing(format!("{}: no such warehouse file", path.display())));
    }
    let sql = format!("attach '{}' as {alias} (read_only)", path.display().to_string().replace('\'', "''"));
    conn.execute_batch(&sql).map_err(|source| DqError::Warehouse { path: path.to_path_buf(), source })
}
