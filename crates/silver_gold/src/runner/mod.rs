//! The embedded dbt runner: builds the project's DAG and runs it on the warehouse with the
//! linked DuckDB — seeds, models (view, table, incremental delete+insert), snapshots (timestamp
//! strategy) and tests (built-in and project generic tests, singular tests, severity and
//! thresholds) — printing one line per node like dbt and writing `target/run_results.json`.
//!
//! One module per job, in the order a run goes through them:
//! `plan` (nodes, relations, dependencies, selection) → `dag` (edges, priorities, order,
//! computed once) → `schedule` (workers) → `materialize` (seeds, models, snapshots) and
//! `data_test` (tests) and `unit_test` (unit tests) → `results` (statuses, `run_results.json`).

mod catalog;
mod dag;
mod data_test;
mod materialize;
mod plan;
mod results;
mod schedule;
mod unit_test;

use std::path::PathBuf;

pub use results::{NodeResult, Status};
pub use schedule::build;

/// What a run builds and how.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The DuckDB warehouse file.
    pub warehouse: PathBuf,
    /// dbt-style selectors: `name`, `+name`, `name+`, `tag:x`, `path:models/gold`; empty = all.
    pub select: Vec<String>,
    /// Rebuild incremental models from scratch.
    pub full_refresh: bool,
    /// Where `run_results.json` goes.
    pub target_dir: PathBuf,
    /// Print a line per node.
    pub verbose: bool,
    /// Keep every test's failing rows in a table of schema `dbt_test__audit` (dbt's `--store-failures`).
    pub store_failures: bool,
}
