//! The ground-truth log: one JSON line per injected anomaly (and per deliberate change such as a
//! price change or a deleted return), naming the table, the kind, the key and the file position.
//!
//! Each work unit writes its own file `_anomalies/<unit>.jsonl`, so runs split with `--parts`
//! merge by copying folders and still equal a single run's log.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::GenError;

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

/// A unit's log, streamed to `_anomalies/<unit>.jsonl` as records come (holding them would grow
/// with scale); only the counts per (table, kind) stay in memory.
#[derive(Debug)]
pub struct TruthLog {
    path: PathBuf,
    tmp: PathBuf,
    out: BufWriter<fs::File>,
    /// The first write error, reported by `finish` (so `push` stays infallible).
    error: Option<std::io::Error>,
    pub counts: BTreeMap<(String, String), u64>,
}

impl TruthLog {
    /// Starts the unit's log (always written, even empty, so every unit leaves its mark).
    pub fn create(root: &Path, unit: &str) -> Result<Self, GenError> {
        let path = root.join(TRUTH_DIR).join(format!("{unit}.jsonl"));
        crate::sink::ensure_parent(&path)?;
        let tmp = path.with_extension("jsonl.tmp");
        let file = fs::File::create(&tmp).map_err(|e| GenError::io(&tmp, e))?;
        Ok(TruthLog { path, tmp, out: BufWriter::with_capacity(64 << 10, file), error: None, counts: BTreeMap::new() })
    }

    pub fn push(&mut self, table: medallion_schema::Table, kind: &str, key: String, file: &str, line: u64) {
        let rec = TruthRecord { table: table.name().to_string(), kind: kind.to_string(), key, file: file.to_string(), line };
        if self.error.is_none() {
            let written = serde_json::to_writer(&mut self.out, &rec).map_err(std::io::Error::from).and_then(|_| self.out.write_all(b"\n"));
            self.error = written.err();
        }
        *self.counts.entry((rec.table, rec.kind)).or_default() += 1;
    }

    /// Completes the file; returns the counts per (table, kind).
    pub fn finish(mut self) -> Result<BTreeMap<(String, String), u64>, GenError> {
        if let Some(e) = self.error.take() {
            return Err(GenError::io(&self.tmp, e));
        }
        self.out.flush().map_err(|e| GenError::io(&self.tmp, e))?;
        drop(self.out);
        fs::rename(&self.tmp, &self.path).map_err(|e| GenError::io(&self.path, e))?;
        Ok(self.counts)
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
