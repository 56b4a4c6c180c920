//! The ground-truth log: one JSON line per injected anomaly (and per deliberate change such as a
//! price change or a deleted return), naming the table, the kind, the key and the file position.
//!
//! Each work unit writes its own file `_anomalies/<unit>.jsonl`, so runs split with `--parts`
//! merge by copying folders and still equal a single run's log.

use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::GenError;
use crate::sink::write_atomic;

/// Folder under the output root that holds the log.
pub const TRUTH_DIR: &str = "_anomalies";

/// Kinds of deliberate changes recorded beside the anomalies (not anomalies themselves).
pub const CHANGE_PRICE: &str = "price_change";
pub const CHANGE_ADDRESS: &str = "address_change";
pub const CHANGE_RETURN_UPDATED: &str = "return_updated";
pub const CHANGE_RETURN_DELETED: &str = "return_deleted";

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TruthRecord {
    pub table: String,
    /// An anomaly code from `medallion_schema::anomaly::ANOMALIES`, or a change kind above.
    pub kind: String,
    /// The row's key; composite keys joined with `|`; empty where the key itself is missing.
    pub key: String,
    /// The file, relative to the output root.
    pub file: String,
    /// 1-based line for CSV/JSONL (the header is line 1), 0-based row for Parquet/XLSX data rows,
    /// the Delta version for returns changes.
    pub line: u64,
}

/// Collects a unit's records.
#[derive(Debug, Default)]
pub struct TruthLog {
    pub records: Vec<TruthRecord>,
}

impl TruthLog {
    pub fn push(&mut self, table: medallion_schema::Table, kind: &str, key: String, file: &str, line: u64) {
        self.records.push(TruthRecord { table: table.name().to_string(), kind: kind.to_string(), key, file: file.to_string(), line });
    }

    /// Writes `_anomalies/<unit>.jsonl` (always, even empty, so every unit leaves its mark).
    pub fn write(&self, root: &Path, unit: &str) -> Result<(), GenError> {
        let mut text = String::new();
        for r in &self.records {
            text.push_str(&serde_json::to_string(r).expect("plain struct serialises"));
            text.push('\n');
        }
        write_atomic(&root.join(TRUTH_DIR).join(format!("{unit}.jsonl")), text.as_bytes())
    }
}

/// Reads every unit's log under `root`, sorted, for scoring.
pub fn read_truth(root: &Path) -> Result<Vec<TruthRecord>, GenError> {
    let dir = root.join(TRUTH_DIR);
    let mut out = Vec::new();
    let entries = fs::read_dir(&dir).map_err(|e| GenError::io(&dir, e))?;
    for entry in entries {
        let path = entry.map_err(|e| GenError::io(&dir, e))?.path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            let text = fs::read_to_string(&path).map_err(|e| GenError::io(&path, e))?;
            for (i, line) in text.lines().enumerate() {
                let rec = serde_json::from_str(line)
                    .map_err(|e| GenError::Invalid(format!("{}:{}: bad ground-truth record: {e}", path.display(), i + 1)))?;
                out.push(rec);
            }
        }
    }
    out.sort();
    Ok(out)
}
