//! The ground-truth log: the contract between the generator, which writes it, and the checks
//! (the data-quality scorecard, Bronze's tests), which read it.
//!
//! One JSON line per injected anomaly (and per deliberate change such as a price change or a
//! deleted return), naming the table, the kind, the key and the file position. Each work unit of
//! a generator run writes its own file `_anomalies/<unit>.jsonl`, so runs split with `--parts`
//! merge by copying folders and still equal a single run's log.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::Table;

/// Folder under a raw dataset's root that holds the log.
pub const TRUTH_DIR: &str = "_anomalies";

/// A deliberate change recorded beside the anomalies (a change a pipeline must keep, not an
/// anomaly to flag): its `kind` in the log.
pub const CHANGE_PRICE: &str = "price_change";
/// A customer's new address (an SCD2 version in Silver).
pub const CHANGE_ADDRESS: &str = "address_change";
/// A return corrected in a later version of the returns Delta table.
pub const CHANGE_RETURN_UPDATED: &str = "return_updated";
/// A return cancelled (deleted) in a later version of the returns Delta table.
pub const CHANGE_RETURN_DELETED: &str = "return_deleted";
/// Every change kind, in a fixed order.
pub const CHANGES: [&str; 4] = [CHANGE_PRICE, CHANGE_ADDRESS, CHANGE_RETURN_UPDATED, CHANGE_RETURN_DELETED];

/// Why the log could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum TruthError {
    /// A file or folder of the log could not be created, written or read.
    #[error("{}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A line of the log is not a ground-truth record.
    #[error("{}:{line}: not a ground-truth record", path.display())]
    Record {
        /// The log file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What the JSON parser said.
        source: serde_json::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> TruthError + '_ {
    move |source| TruthError::Io { path: path.to_path_buf(), source }
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TruthRecord {
    /// The raw table, e.g. `orders_lines`.
    pub table: String,
    /// An anomaly code from [`crate::anomaly::ANOMALIES`], or one of [`CHANGES`].
    pub kind: String,
    /// The row's key; composite keys joined with `|`; empty where the key itself is missing.
    pub key: String,
    /// The file, relative to the dataset's root.
    pub file: String,
    /// 1-based line for CSV/JSONL (the header is line 1), 0-based row for Parquet/XLSX data rows,
    /// the Delta version for returns changes.
    pub line: u64,
}

/// A work unit's log, streamed to `_anomalies/<unit>.jsonl` as records come (holding them would
/// grow with scale); only the counts per (table, kind) stay in memory. The file appears under
/// its final name only when [`TruthLog::finish`] succeeds.
#[derive(Debug)]
pub struct TruthLog {
    path: PathBuf,
    tmp: PathBuf,
    out: BufWriter<fs::File>,
    /// The first write error, reported by `finish` (so `push` stays infallible in hot loops).
    error: Option<std::io::Error>,
    counts: BTreeMap<(String, String), u64>,
}

impl TruthLog {
    /// Starts the unit's log (always written, even empty, so every unit leaves its mark).
    pub fn create(root: &Path, unit: &str) -> Result<Self, TruthError> {
        let dir = root.join(TRUTH_DIR);
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        let path = dir.join(format!("{unit}.jsonl"));
        let tmp = path.with_extension("jsonl.tmp");
        let file = fs::File::create(&tmp).map_err(io(&tmp))?;
        Ok(TruthLog { path, tmp, out: BufWriter::with_capacity(64 << 10, file), error: None, counts: BTreeMap::new() })
    }

    /// Records one anomaly or change at `file:line`.
    pub fn push(&mut self, table: Table, kind: &str, key: String, file: &str, line: u64) {
        let rec = TruthRecord { table: table.name().to_string(), kind: kind.to_string(), key, file: file.to_string(), line };
        if self.error.is_none() {
            let written = serde_json::to_writer(&mut self.out, &rec).map_err(std::io::Error::from).and_then(|_| self.out.write_all(b"\n"));
            self.error = written.err();
        }
        *self.counts.entry((rec.table, rec.kind)).or_default() += 1;
    }

    /// Records so far per (table, kind).
    pub fn counts(&self) -> &BTreeMap<(String, String), u64> {
        &self.counts
    }

    /// Completes the file; returns the counts per (table, kind).
    pub fn finish(mut self) -> Result<BTreeMap<(String, String), u64>, TruthError> {
        if let Some(e) = self.error.take() {
            return Err(TruthError::Io { path: self.tmp, source: e });
        }
        self.out.flush().map_err(io(&self.tmp))?;
        drop(self.out);
        fs::rename(&self.tmp, &self.path).map_err(io(&self.path))?;
        Ok(self.counts)
    }
}

/// Reads every unit's log under the dataset's `root`, sorted.
///
/// ```
/// use medallion_schema::{Table, truth::{TruthLog, read_truth}};
/// let root = std::env::temp_dir().join(format!("truth-doctest-{}", std::process::id()));
/// let mut log = TruthLog::create(&root, "unit")?;
/// log.push(Table::OrdersLines, "negative_qty", "7|1".into(), "orders_lines/a.csv", 3);
/// log.finish()?;
/// let records = read_truth(&root)?;
/// assert_eq!((records[0].kind.as_str(), records[0].line), ("negative_qty", 3));
/// # std::fs::remove_dir_all(&root).ok();
/// # Ok::<(), medallion_schema::truth::TruthError>(())
/// ```
pub fn read_truth(root: &Path) -> Result<Vec<TruthRecord>, TruthError> {
    let dir = root.join(TRUTH_DIR);
    let mut out = Vec::new();
    for entry in fs::read_dir(&dir).map_err(io(&dir))? {
        let path = entry.map_err(io(&dir))?.path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            let text = fs::read_to_string(&path).map_err(io(&path))?;
            for (i, line) in text.lines().enumerate() {
                let rec = serde_json::from_str(line).map_err(|source| TruthError::Record { path: path.clone(), line: i + 1, source })?;
                out.push(rec);
            }
        }
    }
    out.sort();
    Ok(out)
}
