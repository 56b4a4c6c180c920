//! Launching real dbt (dbt-duckdb) on the project and a warehouse: the one place that knows how
//! dbt is found and which environment the project's `profiles.yml` reads. The CLI's
//! `transform --engine dbt` and `medallion dbt` use it; so does `cargo xtask` (through
//! `medallion dbt`) for the parity check and the benchmark.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Result, TransformError};

/// A dbt invocation's fixed parts.
#[derive(Debug, Clone)]
pub struct Dbt {
    /// The dbt executable.
    pub program: PathBuf,
    /// The dbt project folder (holding `dbt_project.yml`).
    pub project: PathBuf,
    /// The folder holding `profiles.yml` (the project's own by default).
    pub profiles: PathBuf,
    /// The DuckDB warehouse file the profile's `path` points at (`MEDALLION_WAREHOUSE`).
    pub warehouse: PathBuf,
    /// dbt's target folder (`run_results.json`, compiled SQL).
    pub target_path: PathBuf,
    /// dbt's log folder; dbt's default (`<project>/logs`) when `None`.
    pub log_path: Option<PathBuf>,
}

impl Dbt {
    /// dbt from `$MEDALLION_DBT`, else the project venv's (`.venv/bin/dbt` from the current
    /// folder, as `cargo xtask` builds it), else `dbt` on PATH.
    pub fn locate() -> PathBuf {
        std::env::var_os("MEDALLION_DBT")
            .map(PathBuf::from)
            .or_else(|| Some(PathBuf::from(".venv/bin/dbt")).filter(|p| p.exists()))
            .unwrap_or_else(|| PathBuf::from("dbt"))
    }

    /// dbt on `project` (profiles from the project) against `warehouse`, writing `target_path`.
    pub fn new(program: PathBuf, project: &Path, warehouse: &Path, target_path: &Path) -> Self {
        Dbt {
            program,
            project: project.to_path_buf(),
            profiles: project.to_path_buf(),
            warehouse: warehouse.to_path_buf(),
            target_path: target_path.to_path_buf(),
            log_path: None,
        }
    }

    /// The command `dbt <args>`, run from the project folder with absolute paths in its
    /// environment, no telemetry and no version check (the machine may have no internet).
    pub fn command<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Result<Command> {
        let abs = |p: &Path| std::path::absolute(p).map_err(|source| TransformError::Io { path: p.to_path_buf(), source });
        let mut cmd = Command::new(&self.program);
        cmd.current_dir(&self.project)
            .args(args)
            .arg("--project-dir")
            .arg(abs(&self.project)?)
            .arg("--profiles-dir")
            .arg(abs(&self.profiles)?)
            .env("MEDALLION_WAREHOUSE", abs(&self.warehouse)?)
            .env("DBT_TARGET_PATH", abs(&self.target_path)?)
            .env("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
            .env("DBT_VERSION_CHECK", "false");
        if let Some(logs) = &self.log_path {
            cmd.env("DBT_LOG_PATH", abs(logs)?);
        }
        Ok(cmd)
    }

    /// Runs `dbt <args>` with its output on this process's; returns whether it succeeded.
    pub fn run<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Result<bool> {
        let status = self.command(args)?.status().map_err(|source| TransformError::DbtMissing { program: self.program.clone(), source })?;
        Ok(status.success())
    }
}
