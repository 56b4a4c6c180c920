//! Data quality over a medallion warehouse, reading it only (attached read-only; the writes are
//! [`scorecard::save`] and [`monitor::run`], into its own `quality` schema):
//! - [`monitor`]: every run's metrics against `config/data_quality.yml`, appended to
//!   `quality.data_quality_metrics` (status OK / WARNING / ALERT);
//! - [`scorecard`]: for each anomaly kind of the generator's ground-truth log, how many rows
//!   Bronze rejected or Silver flagged (recall) and how many it raised wrongly (precision);
//! - [`compare`]: two warehouses table by table, and two runs' `run_results.json` node by node;
//! - [`gdpr`]: personal data of customers without consent anywhere in Gold;
//! - [`realism`]: a generated raw dataset's figures (seasonality, spread over customers and
//!   products, baskets, deliveries, anomaly rates) against their target ranges.
//!
//! It depends on the schema catalogue and DuckDB only: never on the generator or a layer.
#![warn(missing_docs)]

pub mod compare;
pub mod gdpr;
pub mod monitor;
pub mod realism;
pub mod scorecard;

use std::path::{Path, PathBuf};

/// Why a check could not run (a check that ran and found problems returns them as data).
#[derive(Debug, thiserror::Error)]
pub enum QualityError {
    /// The warehouse file does not exist.
    #[error("{}: no such warehouse file", .0.display())]
    NoWarehouse(PathBuf),
    /// DuckDB could not attach the warehouse.
    #[error("{}: cannot attach the warehouse", path.display())]
    Attach {
        /// The warehouse file.
        path: PathBuf,
        /// What DuckDB said.
        source: duckdb::Error,
    },
    /// A table the check reads is not in the warehouse.
    #[error("{}: no table {table} ({hint})", warehouse.display())]
    MissingTable {
        /// The warehouse file.
        warehouse: PathBuf,
        /// `schema.table`.
        table: String,
        /// What builds it.
        hint: String,
    },
    /// A query of the check failed.
    #[error(transparent)]
    Sql(#[from] duckdb::Error),
    /// The ground-truth log could not be read.
    #[error("ground-truth log")]
    Truth(#[from] medallion_schema::truth::TruthError),
    /// A file could not be read.
    #[error("{}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The thresholds file is not what `config/data_quality.yml` describes.
    #[error("{0}")]
    Config(String),
    /// A `run_results.json` that is not JSON.
    #[error("{}: not a run_results.json", path.display())]
    RunResults {
        /// The file.
        path: PathBuf,
        /// What the JSON parser said.
        source: serde_json::Error,
    },
}

/// The result type of this crate.
pub type Result<T, E = QualityError> = std::result::Result<T, E>;

/// Attaches the warehouse at `path` read-only as `alias` to an in-memory session, so a check
/// writes nothing to it and its views (over absolute Parquet paths) still resolve.
pub(crate) fn attach(conn: &duckdb::Connection, path: &Path, alias: &str) -> Result<()> {
    if !path.exists() {
        return Err(QualityError::NoWarehouse(path.to_path_buf()));
    }
    let sql = format!("attach '{}' as {alias} (read_only)", path.display().to_string().replace('\'', "''"));
    conn.execute_batch(&sql).map_err(|source| QualityError::Attach { path: path.to_path_buf(), source })
}
