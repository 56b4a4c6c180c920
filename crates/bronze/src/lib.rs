//! Bronze ingestion: read every raw source, cast each row to its canonical schema, and split good
//! rows from rejects that keep their reason, file, line and original text; write the good rows to
//! Parquet and Delta with audit columns, and record every file in the manifest.
//!
//! Formats: CSV, JSONL, XLSX and Parquet files, and the returns Delta table replayed version by
//! version (MERGE with tombstones).

pub mod cast;
pub mod csv;
pub mod load;
mod lock;
pub mod manifest;
pub mod read;
pub mod returns;

use std::path::{Path, PathBuf};

pub use load::{BronzeConfig, NoProgress, Progress, RunReport, run, run_with_progress};

#[derive(Debug, thiserror::Error)]
pub enum BronzeError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Locked(String),
    #[error("manifest: {0}")]
    Manifest(#[from] duckdb::Error),
    #[error("Delta: {0}")]
    Delta(#[from] deltalake::DeltaTableError),
    #[error("{0}")]
    DeltaFiles(#[from] medallion_delta::DeltaIoError),
    #[error("Parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("Arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    #[error("{0}")]
    Schema(#[from] medallion_schema::SchemaError),
    #[error("{0}")]
    Corrupt(String),
    #[error("stopped on purpose at `{0}` (MEDALLION_BRONZE_FAIL_AT)")]
    Injected(String),
}

impl BronzeError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        BronzeError::Io { path: path.to_path_buf(), source }
    }
}
