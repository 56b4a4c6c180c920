//! Discovery: the raw files under a raw folder, which table each belongs to (by the catalogue's
//! path patterns), its Bronze partition and its content hash. Known non-data paths (the ground
//! truth, hidden and temporary files, READMEs, the committed `samples/` dataset) are skipped
//! silently; anything else that belongs to no table is reported.

use std::fs;
use std::path::{Path, PathBuf};

use medallion_schema::{RawFormat, Table, match_path};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::BronzeError;

/// A raw file found under `raw/`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SourceFile {
    /// The table the file belongs to.
    pub table: Table,
    /// Relative to the raw folder, `/`-separated.
    pub rel: String,
    /// BLAKE3 of the content (32 hex digits).
    pub content_hash: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Bronze partition value (e.g. `2024-01` of `order_month`), empty for unpartitioned tables.
    pub partition: String,
}

/// The table a raw path belongs to and its Bronze partition value.
pub fn classify(rel: &str) -> Option<(Table, String)> {
    for table in Table::ALL {
        let raw = table.raw();
        if raw.format == RawFormat::Delta {
            // A Delta source's commit files; the version number keeps each its own batch.
            let prefix = format!("{}/_delta_log/", raw.path);
            if let Some(name) = rel.strip_prefix(&prefix).and_then(|n| n.strip_suffix(".json"))
                && name.len() == 20
                && name.bytes().all(|c| c.is_ascii_digit())
            {
                return Some((table, name.to_string()));
            }
            continue;
        }
        let vars = match_path(&raw.path, rel).or_else(|| raw.increment_path.as_deref().and_then(|p| match_path(p, rel)));
        if let Some(vars) = vars {
            let get = |k: &str| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
            let partition = match crate::layout::partition_column(table) {
                None => String::new(),
                Some(_) => get("month").or_else(|| get("date").map(|d| &d[..d.len().min(7)])).unwrap_or_default().to_string(),
            };
            return Some((table, partition));
        }
    }
    None
}

/// Every raw file of `tables` (empty: all), in path order, with its content hash (computed in
/// parallel), and the files that belong to no table (known non-data paths left out).
pub fn discover(raw: &Path, tables: &[Table]) -> Result<(Vec<SourceFile>, Vec<String>), BronzeError> {
    let wanted = |t: Table| tables.is_empty() || tables.contains(&t);
    let mut found = Vec::new();
    let mut to_hash: Vec<(PathBuf, String, Table, String)> = Vec::new();
    let mut unknown = Vec::new();
    let mut stack = vec![raw.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).map_err(|e| BronzeError::io(&dir, e))? {
            let path = entry.map_err(|e| BronzeError::io(&dir, e))?.path();
            let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            let rel = path.strip_prefix(raw).unwrap_or(&path).to_string_lossy().replace('\\', "/");
            if is_known_non_data(&rel, &name, path.is_dir()) {
                continue;
            }
            if path.is_dir() {
                if !path.join("_delta_log").exists() {
                    stack.push(path);
                } else if match_path(&Table::Returns.raw().path, &rel).is_some() {
                    if !wanted(Table::Returns) {
                        continue;
                    }
                    // A Delta source: each commit file is one source file, replayed in order.
                    found.extend(delta_commits(&path, &rel)?);
                } else {
                    unknown.push(rel);
                }
                continue;
            }
            match classify(&rel) {
                Some((table, partition)) if wanted(table) => to_hash.push((path, rel, table, partition)),
                Some(_) => {}
                None => unknown.push(rel),
            }
        }
    }
    let hashed: Vec<SourceFile> = to_hash
        .into_par_iter()
        .map(|(path, rel, table, partition)| {
            let (content_hash, bytes) = hash_file(&path)?;
            Ok(SourceFile { table, rel, content_hash, bytes, partition })
        })
        .collect::<Result<_, BronzeError>>()?;
    found.extend(hashed);
    found.sort();
    unknown.sort();
    Ok((found, unknown))
}

/// Paths known not to be raw data, skipped without a word: the ground truth and other `_`
/// folders, hidden and temporary files, READMEs, and the committed sample dataset `samples/`
/// (a dataset of its own, loaded by pointing `--raw` at it).
fn is_known_non_data(rel: &str, name: &str, is_dir: bool) -> bool {
    let lower = name.to_ascii_lowercase();
    name.starts_with('_')
        || name.starts_with('.')
        || lower.ends_with(".tmp")
        || (!is_dir && (lower.starts_with("readme") || lower.ends_with(".md")))
        || (is_dir && rel == "samples")
}

fn delta_commits(dir: &Path, rel: &str) -> Result<Vec<SourceFile>, BronzeError> {
    let log = dir.join("_delta_log");
    let mut out = Vec::new();
    for entry in fs::read_dir(&log).map_err(|e| BronzeError::io(&log, e))? {
        let path = entry.map_err(|e| BronzeError::io(&log, e))?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let commit = format!("{rel}/_delta_log/{name}");
        // Checkpoints and other log files are not commits.
        let Some((table, version)) = classify(&commit) else { continue };
        let (content_hash, bytes) = hash_file(&path)?;
        out.push(SourceFile { table, rel: commit, content_hash, bytes, partition: version });
    }
    Ok(out)
}

pub(crate) fn hash_file(path: &Path) -> Result<(String, u64), BronzeError> {
    let (hash, bytes) = blake3_file(path)?;
    Ok((hash.to_hex()[..32].to_string(), bytes))
}

/// BLAKE3 of a file's content, and its size.
pub(crate) fn blake3_file(path: &Path) -> Result<(blake3::Hash, u64), BronzeError> {
    let mut hasher = blake3::Hasher::new();
    let bytes =
        hasher.update_reader(fs::File::open(path).map_err(|e| BronzeError::io(path, e))?).map_err(|e| BronzeError::io(path, e))?.count();
    Ok((hasher.finalize(), bytes))
}
