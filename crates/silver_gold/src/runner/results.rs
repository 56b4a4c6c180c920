//! How nodes ended: their status, the line printed per node (dbt's format) and
//! `run_results.json` (the subset of dbt's artifact that tools and the parity test read).

use std::path::Path;

use serde_json::Value as Json;

use super::plan::{Planned, cfg_str};
use crate::project::Kind;
use crate::{Result, TransformError};

/// How a node ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// A seed, model or snapshot built.
    Success,
    /// A test found no failing rows (or fewer than its thresholds).
    Pass,
    /// A test over its `warn_if` threshold (or of severity warn): the failing rows.
    Warn(u64),
    /// A test over its `error_if` threshold: the failing rows.
    Fail(u64),
    /// The node could not run: why, naming its file.
    Error(String),
    /// Not run because something it depends on failed.
    Skipped,
    /// Nothing to run (an exposure).
    NoOp,
}

impl Status {
    /// dbt's word for it in run_results.json.
    pub fn dbt_name(&self) -> &'static str {
        match self {
            Status::Success => "success",
            Status::Pass => "pass",
            Status::Warn(_) => "warn",
            Status::Fail(_) => "fail",
            Status::Error(_) => "error",
            Status::Skipped => "skipped",
            Status::NoOp => "no-op",
        }
    }

    pub(crate) fn is_failure(&self) -> bool {
        matches!(self, Status::Fail(_) | Status::Error(_))
    }
}

/// One node's outcome.
#[derive(Debug, Clone)]
pub struct NodeResult {
    /// dbt's unique id.
    pub unique_id: String,
    /// What the node is.
    pub kind: Kind,
    /// The node's name.
    pub name: String,
    /// The relation it built (`schema.name`), none for tests.
    pub relation: Option<String>,
    /// How it ended.
    pub status: Status,
    /// Wall time.
    pub seconds: f64,
}

/// The line printed for a node, like dbt's: `  3 of 87 OK      table model gold.fct_sales [1.23s]`.
pub(crate) fn line(n: usize, total: usize, p: &Planned, status: &Status, seconds: f64) -> String {
    let what = match p.node.kind {
        Kind::Test => p.node.name.clone(),
        Kind::UnitTest => format!("unit_test {}::{}", p.node.unit.as_ref().map_or("", |u| u.model.as_str()), p.node.name),
        Kind::Seed => format!("seed {}", p.relation.as_deref().unwrap_or_default()),
        Kind::Exposure => format!("exposure {}", p.node.name),
        Kind::Snapshot => format!("snapshot {}", p.relation.as_deref().unwrap_or_default()),
        Kind::Model => {
            format!("{} model {}", cfg_str(&p.config, "materialized").unwrap_or("view"), p.relation.as_deref().unwrap_or_default())
        }
    };
    let verdict = match status {
        Status::Success => "OK".to_string(),
        Status::Pass => "PASS".to_string(),
        Status::Warn(k) => format!("WARN {k}"),
        Status::Fail(k) => format!("FAIL {k}"),
        Status::Error(_) => "ERROR".to_string(),
        Status::Skipped => "SKIP".to_string(),
        Status::NoOp => "NO-OP".to_string(),
    };
    let mut out = format!("{n:>3} of {total} {verdict:<7} {what} [{seconds:.2}s]");
    if let Status::Error(e) = status {
        out.push_str(&format!("\n        {e}"));
    }
    out
}

pub(crate) fn write_run_results(dir: &Path, results: &[NodeResult], elapsed: f64) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| TransformError::Io { path: dir.to_path_buf(), source })?;
    let rows: Vec<Json> = results
        .iter()
        .map(|r| {
            let (failures, message) = match &r.status {
                Status::Warn(k) | Status::Fail(k) => (Json::from(*k), Json::Null),
                Status::Pass => (Json::from(0), Json::Null),
                Status::Error(e) => (Json::Null, Json::from(e.as_str())),
                _ => (Json::Null, Json::Null),
            };
            serde_json::json!({
                "unique_id": r.unique_id,
                "status": r.status.dbt_name(),
                "execution_time": r.seconds,
                "failures": failures,
                "message": message,
                "relation_name": r.relation,
            })
        })
        .collect();
    let doc = serde_json::json!({ "metadata": { "generator": "medallion embedded runner" }, "results": rows, "elapsed_time": elapsed });
    let path = dir.join("run_results.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&doc).expect("plain json"))
        .map_err(|source| TransformError::Io { path: path.clone(), source })
}
