//! Silver and Gold. The SQL lives in the dbt project (`dbt/`); this crate runs it on the embedded
//! DuckDB without Python ([`runner`], with [`project`] loading and [`render`] rendering it),
//! launches real dbt the same way for the parity check ([`dbt`]), and exports Silver and Gold to
//! the lake as Parquet ([`export`]). Checks over what it builds live in `medallion-quality`.
#![warn(missing_docs)]

pub mod dbt;
pub mod export;
pub mod project;
pub mod render;
pub mod runner;
pub mod runs;

use std::path::PathBuf;

/// Why a transform (or an export) could not run. A node that fails is not an error of the run:
/// it is a [`runner::Status`] in the results.
#[derive(Debug, thiserror::Error)]
pub enum TransformError {
    /// A project file is wrong or outside the supported subset: its file and line (0 when the
    /// whole file is at fault).
    #[error("{file}:{line}: {message}")]
    At {
        /// The file, relative to the project (or as given).
        file: String,
        /// 1-based line, 0 for the whole file.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A node refers to a model that is not in the project.
    #[error("{file}: depends on `{name}`, which is not in the project")]
    UnknownRef {
        /// The node's file.
        file: String,
        /// The missing model.
        name: String,
    },
    /// The project's references form a cycle.
    #[error("the project's references form a cycle")]
    Cycle,
    /// A file or folder could not be read or written.
    #[error("{}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The warehouse could not be opened.
    #[error("{}: cannot open the warehouse", path.display())]
    Warehouse {
        /// The warehouse file.
        path: PathBuf,
        /// What DuckDB said.
        source: duckdb::Error,
    },
    /// A statement failed.
    #[error(transparent)]
    Sql(#[from] duckdb::Error),
    /// dbt (the Python program) could not be started.
    #[error("cannot run {program} (set MEDALLION_DBT, or run `cargo xtask dbt` once to build the venv)")]
    DbtMissing {
        /// The program tried.
        program: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
}

/// The result type of this crate.
pub type Result<T, E = TransformError> = std::result::Result<T, E>;

impl TransformError {
    /// An error in a project file at a line (0: the whole file).
    pub fn at(file: &std::path::Path, line: usize, message: String) -> Self {
        TransformError::At { file: file.display().to_string(), line, message }
    }
}

impl From<render::RenderError> for TransformError {
    fn from(e: render::RenderError) -> Self {
        TransformError::At { file: e.file, line: e.line, message: e.message }
    }
}

/// An error and its causes on one line (`outer: inner: …`), for places that keep a message
/// rather than the error, such as a node's status in `run_results.json`.
pub fn one_line(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}
