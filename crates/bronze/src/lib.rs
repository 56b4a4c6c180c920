//! Bronze ingestion: read every raw source, cast each row to its canonical schema, and split good
//! rows from rejects that keep their reason, file, line and original text; write the good rows to
//! Parquet and Delta with audit columns, and record every file in the manifest.
//!
//! Formats: CSV, JSONL, XLSX and Parquet files, and the returns Delta table replayed version by
//! version (MERGE with tombstones).
#![warn(missing_docs)]

pub mod cast;
pub mod csv;
pub mod discover;
pub mod layout;
pub mod load;
pub mod lock;
pub mod maintain;
pub mod manifest;
pub mod read;
pub mod returns;
mod rewrite;
pub mod tables;
pub mod verify;

use std::path::{Path, PathBuf};

use medallion_schema::Table;

pub use load::{BronzeConfig, RunReport, run, run_with_progress};
pub use medallion_schema::{NoProgress, Progress};

/// Why a Bronze run stopped. Bad rows and unreadable files are not errors (they are rejects and
/// `failed` manifest rows); these are failures of the run itself. Each keeps its cause.
#[derive(Debug, thiserror::Error)]
pub enum BronzeError {
    /// A file or folder could not be read, written or renamed.
    #[error("{}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// Another run holds the lake's lock.
    #[error("{owner} is using this lake; wait for it to finish (lock file {})", path.display())]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// Who holds it.
        owner: String,
    },
    /// The manifest (DuckDB) refused a statement.
    #[error("manifest")]
    Manifest(#[from] duckdb::Error),
    /// A Delta table operation failed.
    #[error("Delta table")]
    Delta(#[from] deltalake::DeltaTableError),
    /// Writing or committing Delta data files failed.
    #[error(transparent)]
    DeltaFiles(#[from] medallion_delta::DeltaIoError),
    /// A load's commit to a table's Delta log failed (e.g. a full disk): nothing of it is
    /// visible, and the next run finishes it from the journal.
    #[error("{table}: committing a load to {}", log.display())]
    Commit {
        /// The table.
        table: Table,
        /// Its Delta log folder.
        log: PathBuf,
        /// What the commit said.
        source: medallion_delta::DeltaIoError,
    },
    /// Reading or writing Parquet failed.
    #[error("Parquet")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// Arrow refused a batch or a cast.
    #[error("Arrow")]
    Arrow(#[from] arrow::error::ArrowError),
    /// The catalogue refused a name or pattern.
    #[error(transparent)]
    Schema(#[from] medallion_schema::SchemaError),
    /// A journal entry of an interrupted run cannot be read.
    #[error("{}: unreadable journal entry of an interrupted run", path.display())]
    Journal {
        /// The journal file.
        path: PathBuf,
        /// What the JSON parser said.
        source: serde_json::Error,
    },
    /// A path given to the run cannot be what it should (a lake that is a file, a warehouse that
    /// is not a DuckDB file, a parent folder that does not exist).
    #[error("{flag} {}: {problem}", path.display())]
    BadPath {
        /// The option (`--lake`, `--manifest`).
        flag: &'static str,
        /// The path given.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// The lake holds something this version cannot continue from (another layout, a broken
    /// returns history).
    #[error("{0}")]
    Lake(String),
    /// The worker pool could not be started.
    #[error("cannot start the worker pool")]
    Threads(#[from] rayon::ThreadPoolBuildError),
    /// A crash injected on purpose by the tests.
    #[error("stopped on purpose at `{0}` (MEDALLION_BRONZE_FAIL_AT)")]
    Injected(String),
}

/// The result type of this crate.
pub type Result<T, E = BronzeError> = std::result::Result<T, E>;

impl BronzeError {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        BronzeError::Io { path: path.to_path_buf(), source }
    }
}
