//! Checking Bronze's files against the Delta log and the manifest, and repairing a damaged data
//! file from the raw files of the loads whose rows it holds.
//!
//! A check reads every current data file: it must exist with the size the log recorded, hash to
//! the BLAKE3 recorded in its add action (Bronze's own files), have a readable footer with the
//! log's row count, and decode page by page. The Parquet mirror must hold the same files.
//!
//! A repair finds the loads behind a damaged file (its name says its load; a file OPTIMIZE wrote
//! leads, through the commit that wrote it, to the files it replaced), reads those loads' raw
//! files again (their content checked against the manifest's hash) with the load's own
//! `ingestion_ts`, and writes the file again: in place when the rebuilt file is the committed
//! one byte for byte, else as a new file swapped in by one Delta commit. Nothing else changes.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::Path;

use arrow::array::AsArray;
use arrow::datatypes::TimestampMicrosecondType;
use deltalake::protocol::{DeltaOperation, SaveMode};
use medallion_delta::{CHECKSUM_TAG, DataFile, DataFileWriter, INGESTION_KEY, LOAD_KEY};
use medallion_schema::Table;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rayon::prelude::*;
use serde_json::Value;

use crate::BronzeError;
use crate::layout::{audit, bronze_schema, partition_column};
use crate::rewrite;
use crate::tables::table_dir;

/// A current data file that is not what the log says it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Damage {
    /// The file, relative to the table's folder.
    pub rel: String,
    /// What is wrong, in words.
    pub problem: String,
    /// The bytes and rows the Delta log records for it (what a repair must give back).
    pub size_in_log: u64,
    /// See [`Damage::size_in_log`].
    pub rows_in_log: u64,
}

/// One table's check.
#[derive(Debug, Clone, Default)]
pub struct TableCheck {
    /// The table.
    pub table: Option<Table>,
    /// Its current version.
    pub version: u64,
    /// Current data files, their bytes and the rows the log counts in them.
    pub files: usize,
    /// See [`TableCheck::files`].
    pub bytes: u64,
    /// See [`TableCheck::files`].
    pub rows_in_log: u64,
    /// Rows the manifest says Bronze loaded into it (none without a manifest).
    pub rows_loaded: Option<u64>,
    /// Files checked against a BLAKE3 recorded at write time (the others: footer and pages).
    pub checksummed: usize,
    /// Damaged data files.
    pub damaged: Vec<Damage>,
    /// Where the Parquet mirror differs from the table's files.
    pub mirror: Vec<String>,
    /// Why the Delta log cannot be read, when it cannot.
    pub unreadable_log: Option<String>,
}

impl TableCheck {
    /// Nothing wrong.
    pub fn ok(&self) -> bool {
        self.damaged.is_empty() && self.mirror.is_empty() && self.unreadable_log.is_none()
    }

    fn table(&self) -> Table {
        self.table.expect("set by verify")
    }
}

/// One commit of a Delta log as its JSON file holds it.
struct LogCommit {
    info: Value,
    adds: Vec<Value>,
    removes: Vec<Value>,
}

/// Every commit file of a table's log, by version (checkpoints are not read: a file's lineage
/// is traced within the log's retention).
fn read_log(dir: &Path) -> Result<BTreeMap<u64, LogCommit>, BronzeError> {
    let log = dir.join("_delta_log");
    let mut out = BTreeMap::new();
    for entry in fs::read_dir(&log).map_err(|e| BronzeError::io(&log, e))? {
        let path = entry.map_err(|e| BronzeError::io(&log, e))?.path();
        let Some(version) = path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".json")).and_then(|v| v.parse().ok())
        else {
            continue;
        };
        let text = fs::read_to_string(&path).map_err(|e| BronzeError::io(&path, e))?;
        let mut commit = LogCommit { info: Value::Null, adds: Vec::new(), removes: Vec::new() };
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let action: Value = serde_json::from_str(line).map_err(|e| BronzeError::Lake(format!("{}: {e}", path.display())))?;
            if let Some(a) = action.get("add") {
                commit.adds.push(a.clone());
            } else if let Some(r) = action.get("remove") {
                commit.removes.push(r.clone());
            } else if let Some(i) = action.get("commitInfo") {
                commit.info = i.clone();
            }
        }
        out.insert(version, commit);
    }
    Ok(out)
}

fn action_path(action: &Value) -> String {
    let raw = action.get("path").and_then(Value::as_str).unwrap_or_default();
    // Paths in the log are URL-encoded (a partition value may hold any character).
    url::form_urlencoded::parse(format!("p={}", raw.replace('+', "%2B")).as_bytes()).next().map(|(_, v)| v.to_string()).unwrap_or_default()
}

/// What is wrong with one data file, if anything: size, checksum, footer, row count, pages.
fn check_file(path: &Path, size: i64, rows: Option<usize>, checksum: Option<&str>) -> Option<String> {
    let on_disk = match fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) => return Some(format!("cannot be read ({e})")),
    };
    if on_disk != size as u64 {
        return Some(format!("{on_disk} bytes on disk, the Delta log recorded {size} (truncated or overwritten)"));
    }
    if let Some(want) = checksum {
        match crate::discover::blake3_file(path).map(|(hash, _)| hash.to_hex().to_string()) {
            Ok(have) if have == want => {}
            Ok(have) => {
                return Some(format!("content changed since it was written: BLAKE3 {} ≠ {} recorded in the log", &have[..16], &want[..16]));
            }
            Err(e) => return Some(format!("cannot be read ({e})")),
        }
    }
    let decoded = (|| -> Result<u64, String> {
        let file = fs::File::open(path).map_err(|e| e.to_string())?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| format!("unreadable Parquet footer: {e}"))?;
        let in_footer = builder.metadata().file_metadata().num_rows() as u64;
        if let Some(want) = rows
            && in_footer != want as u64
        {
            return Err(format!("its footer holds {in_footer} rows, the Delta log recorded {want}"));
        }
        let mut decoded = 0u64;
        for batch in builder.build().map_err(|e| e.to_string())? {
            decoded += batch.map_err(|e| format!("a page does not decode after row {decoded}: {e}"))?.num_rows() as u64;
        }
        Ok(decoded)
    })();
    match decoded {
        Err(problem) => Some(problem),
        Ok(n) if rows.is_some_and(|want| want as u64 != n) => {
            Some(format!("{n} rows decode, the Delta log recorded {}", rows.unwrap_or(0)))
        }
        Ok(_) => None,
    }
}

/// Checks every Bronze Delta table of `lake` (or `tables`): each current data file against the
/// log, the mirror against the table, the log's rows against the manifest at `manifest` (when
/// it exists). Reads only.
pub fn verify(lake: &Path, manifest: &Path, tables: &[Table]) -> Result<Vec<TableCheck>, BronzeError> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| BronzeError::io(lake, e))?;
    let loaded =
        if manifest.is_file() { crate::manifest::Manifest::open_read_only(manifest)?.rows_loaded_by_table()? } else { HashMap::new() };
    let mut out = Vec::new();
    for table in Table::ALL.into_iter().filter(|t| tables.is_empty() || tables.contains(t)) {
        let dir = table_dir(lake, table);
        if !dir.join("_delta_log").is_dir() {
            continue;
        }
        let mut check = TableCheck { table: Some(table), rows_loaded: loaded.get(table.name()).copied(), ..Default::default() };
        let delta = match rt.block_on(async { medallion_delta::open(medallion_delta::table_url(&dir)?).await }) {
            Ok(delta) => delta,
            Err(e) => {
                let file = crate::load::first_unreadable_log_file(&dir.join("_delta_log")).unwrap_or_else(|| dir.join("_delta_log"));
                check.unreadable_log = Some(format!("{} ({e})", file.display()));
                out.push(check);
                continue;
            }
        };
        check.version = delta.version().unwrap_or(0);
        let checksums: HashMap<String, String> = read_log(&dir)?
            .into_values()
            .flat_map(|c| c.adds)
            .filter_map(|a| Some((action_path(&a), a.get("tags")?.get(CHECKSUM_TAG)?.as_str()?.to_string())))
            .collect();
        let files: Vec<(String, i64, Option<usize>)> =
            delta.snapshot()?.log_data().iter().map(|f| (f.path().to_string(), f.size(), f.num_records())).collect();
        check.files = files.len();
        check.bytes = files.iter().map(|f| f.1 as u64).sum();
        check.rows_in_log = files.iter().map(|f| f.2.unwrap_or(0) as u64).sum();
        check.checksummed = files.iter().filter(|f| checksums.contains_key(&f.0)).count();
        check.damaged = files
            .par_iter()
            .filter_map(|(rel, size, rows)| {
                check_file(&dir.join(rel), *size, *rows, checksums.get(rel).map(String::as_str)).map(|problem| Damage {
                    rel: rel.clone(),
                    problem,
                    size_in_log: *size as u64,
                    rows_in_log: rows.unwrap_or(0) as u64,
                })
            })
            .collect();
        check.damaged.sort_by(|a, b| a.rel.cmp(&b.rel));
        check.mirror = check_mirror(lake, table, &dir, files.iter().map(|f| f.0.as_str()));
        out.push(check);
    }
    Ok(out)
}

/// Where the Parquet mirror of `table` differs from its current files.
fn check_mirror<'a>(lake: &Path, table: Table, delta_dir: &Path, files: impl Iterator<Item = &'a str>) -> Vec<String> {
    use std::os::unix::fs::MetadataExt;
    let mirror = lake.join("bronze").join("parquet").join(table.name());
    let mut problems = Vec::new();
    let mut wanted = std::collections::BTreeSet::new();
    for rel in files {
        wanted.insert(mirror.join(rel));
        let (copy, original) = (fs::metadata(mirror.join(rel)), fs::metadata(delta_dir.join(rel)));
        match (copy, original) {
            (Err(_), _) => problems.push(format!("{rel} is missing from the mirror")),
            (Ok(c), Ok(o)) if c.ino() != o.ino() && c.len() != o.len() => {
                problems.push(format!("{rel} in the mirror is not the table's file"))
            }
            _ => {}
        }
    }
    let empty = wanted.is_empty().then(|| mirror.join(crate::tables::EMPTY_MIRROR_FILE));
    for extra in crate::tables::parquet_files_under(&mirror).into_iter().filter(|p| !wanted.contains(p) && Some(p) != empty.as_ref()) {
        problems.push(format!("{} is in the mirror but not in the table", extra.strip_prefix(&mirror).unwrap_or(&extra).display()));
    }
    problems
}

/// One damaged file put right.
#[derive(Debug, Clone)]
pub struct Repair {
    /// The table.
    pub table: Table,
    /// The damaged file.
    pub rel: String,
    /// The loads whose raw files were read again.
    pub batches: Vec<String>,
    /// The raw files read again.
    pub raw_files: usize,
    /// Rows written back.
    pub rows: u64,
    /// `None` when the file was rebuilt byte for byte in place; else the new file and the
    /// table version whose commit swapped it in.
    pub replaced_by: Option<(String, u64)>,
}

/// The load (batch id) a file Bronze wrote belongs to, from its name `part-<batch>-<n>.parquet`.
fn batch_of_file(rel: &str) -> Option<&str> {
    let name = rel.rsplit('/').next()?;
    let rest = name.strip_prefix("part-")?.strip_suffix(".parquet")?;
    let (batch, n) = rest.split_once('-')?;
    (batch.len() == 16 && batch.bytes().all(|c| c.is_ascii_hexdigit()) && n.len() == 5 && n.bytes().all(|c| c.is_ascii_digit()))
        .then_some(batch)
}

/// The files Bronze's loads wrote whose rows `rel` holds: itself, or — for a file another
/// commit wrote (OPTIMIZE, an earlier repair) — the files that commit took out of the same
/// partition, followed back to loads.
fn load_files_behind(log: &BTreeMap<u64, LogCommit>, rel: &str, table: Table) -> Result<Vec<String>, BronzeError> {
    if batch_of_file(rel).is_some() {
        return Ok(vec![rel.to_string()]);
    }
    let (version, commit) = log
        .iter()
        .rev()
        .find(|(_, c)| c.adds.iter().any(|a| action_path(a) == rel))
        .ok_or_else(|| BronzeError::Lake(format!("{table}: no commit in the log adds {rel} (older than the log's retention?)")))?;
    let partition = |a: &Value| a.get("partitionValues").cloned().unwrap_or(Value::Null);
    let added = commit.adds.iter().find(|a| action_path(a) == rel).map(partition).unwrap_or(Value::Null);
    if commit.adds.iter().filter(|a| partition(a) == added).count() != 1 {
        return Err(BronzeError::Lake(format!(
            "{table}: version {version} wrote {rel} beside other files of its partition; which rows went where is not recorded — \
             restore the version before it (`medallion delta restore`)"
        )));
    }
    let sources: Vec<String> = commit.removes.iter().filter(|r| partition(r) == added).map(action_path).collect();
    if sources.is_empty() {
        return Err(BronzeError::Lake(format!("{table}: version {version} added {rel} without replacing files: not a Bronze load's rows")));
    }
    let mut out = Vec::new();
    for source in sources {
        out.extend(load_files_behind(log, &source, table)?);
    }
    Ok(out)
}

/// The `ingestion_ts` of load `batch`: recorded in its commit, or (lakes loaded before it was)
/// read from the load's rejects or another of its files.
fn ingestion_of(lake: &Path, table: Table, log: &BTreeMap<u64, LogCommit>, batch: &str, damaged: &[String]) -> Result<i64, BronzeError> {
    let app_id = format!("medallion-bronze-{batch}");
    for c in log.values() {
        if c.info.get(LOAD_KEY).and_then(Value::as_str) == Some(app_id.as_str())
            && let Some(us) = c.info.get(INGESTION_KEY).and_then(Value::as_i64)
        {
            return Ok(us);
        }
    }
    let dir = table_dir(lake, table);
    let mut candidates = vec![lake.join(format!("_rejects/{table}/rejects-{batch}.parquet"))];
    candidates.extend(
        log.values()
            .flat_map(|c| &c.adds)
            .map(action_path)
            .filter(|p| batch_of_file(p) == Some(batch) && !damaged.contains(p))
            .map(|p| dir.join(p)),
    );
    for file in candidates {
        let first = fs::File::open(&file).ok().and_then(|f| ParquetRecordBatchReaderBuilder::try_new(f).ok()).and_then(|b| {
            let column = b.schema().index_of("ingestion_ts").ok()?;
            b.with_batch_size(1).build().ok()?.next()?.ok().map(|batch| {
                let ts = batch.column(column).as_primitive::<TimestampMicrosecondType>();
                (!ts.is_empty()).then(|| ts.value(0))
            })
        });
        if let Some(Some(us)) = first {
            return Ok(us);
        }
    }
    Err(BronzeError::Lake(format!(
        "{table}: the ingestion time of load {batch} is recorded nowhere readable; it cannot be rebuilt exactly"
    )))
}

/// The raw files of load `batch` from the manifest, each checked to still hold what was loaded.
fn raw_files_of(raw: &Path, manifest: &crate::manifest::Manifest, table: Table, batch: &str) -> Result<Vec<String>, BronzeError> {
    let files = manifest.files_of_batch(table, batch)?;
    if files.is_empty() {
        return Err(BronzeError::Lake(format!("{table}: the manifest lists no raw file of load {batch}")));
    }
    for (rel, hash) in &files {
        let path = raw.join(rel);
        let (now, _) = crate::discover::hash_file(&path).map_err(|_| {
            BronzeError::Lake(format!("{}: raw file of load {batch} is missing; restore it from the source", path.display()))
        })?;
        if &now != hash {
            return Err(BronzeError::Lake(format!(
                "{}: changed since load {batch} read it; restore the file as it was sent to rebuild the load exactly",
                path.display()
            )));
        }
    }
    Ok(files.into_iter().map(|(rel, _)| rel).collect())
}

/// Writes load `batch`'s data files again under `root` (the table's partition layout), from its
/// raw files, as the load wrote them.
fn rebuild_load(
    raw: &Path,
    root: &Path,
    table: Table,
    batch: &str,
    files: &[String],
    ingestion_us: i64,
) -> Result<Vec<DataFile>, BronzeError> {
    let partition = crate::discover::classify(&files[0]).map(|(_, p)| p).unwrap_or_default();
    let pcol = partition_column(table);
    let part_dir = pcol.map(|c| format!("{c}={partition}")).unwrap_or_default();
    let values = pcol.map(|c| vec![(c.to_string(), partition.clone())]).unwrap_or_default();
    let mut writer = DataFileWriter::new(
        root,
        &part_dir,
        &format!("part-{batch}"),
        bronze_schema(table),
        values,
        crate::layout::data_file_options(table),
    )?;
    for rel in files {
        crate::read::read_file::<BronzeError>(&raw.join(rel), table, &mut |b, hashes| {
            writer.write(&audit(b, hashes, table, rel, ingestion_us)?)?;
            Ok(())
        })?;
    }
    Ok(writer.finish()?)
}

/// Repairs every damaged data file of `lake`'s tables (or `tables`) from the raw files under
/// `raw`, holding the lake's lock, and brings the Parquet mirror to the tables' files.
pub fn repair(lake: &Path, raw: &Path, manifest_path: &Path, tables: &[Table]) -> Result<Vec<Repair>, BronzeError> {
    let _lock = crate::lock::Lock::acquire(&lake.join("_bronze.lock"))?;
    let manifest = crate::manifest::Manifest::open_read_only(manifest_path)?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| BronzeError::io(lake, e))?;
    let mut repairs = Vec::new();
    for check in verify(lake, manifest_path, tables)? {
        let table = check.table();
        if let Some(why) = &check.unreadable_log {
            return Err(BronzeError::Lake(format!("{table}: its Delta log cannot be read: {why}")));
        }
        if check.damaged.is_empty() {
            if !check.mirror.is_empty() {
                crate::tables::sync_mirror(lake, table, &rt)?;
            }
            continue;
        }
        if table == Table::Returns {
            return Err(BronzeError::Lake(format!(
                "returns: {} is damaged; returns' files hold merged versions, not loads: restore the version before it \
                 (`medallion delta history --table returns`, `medallion delta restore`)",
                check.damaged[0].rel
            )));
        }
        let dir = table_dir(lake, table);
        let scratch = lake.join("_repair").join(table.name());
        let _ = fs::remove_dir_all(&scratch);
        let log = read_log(&dir)?;
        let damaged: Vec<String> = check.damaged.iter().map(|d| d.rel.clone()).collect();
        let mut rebuilt: HashMap<String, DataFile> = HashMap::new();
        for Damage { rel, size_in_log, rows_in_log, .. } in &check.damaged {
            let leaves = load_files_behind(&log, rel, table)?;
            let mut batches: Vec<String> = leaves.iter().filter_map(|l| batch_of_file(l).map(str::to_string)).collect();
            batches.sort();
            batches.dedup();
            let mut raw_files = 0;
            for batch in &batches {
                if rebuilt.keys().any(|k| batch_of_file(k) == Some(batch.as_str())) {
                    continue;
                }
                let files = raw_files_of(raw, &manifest, table, batch)?;
                raw_files += files.len();
                let ingestion_us = ingestion_of(lake, table, &log, batch, &damaged)?;
                for f in rebuild_load(raw, &scratch, table, batch, &files, ingestion_us)? {
                    rebuilt.insert(f.rel.clone(), f);
                }
            }
            let repair = put_back(&rt, &dir, &scratch, table, rel, &leaves, &rebuilt, *rows_in_log, *size_in_log)?;
            repairs.push(Repair { table, rel: rel.clone(), batches, raw_files, rows: *rows_in_log, replaced_by: repair });
        }
        let _ = fs::remove_dir_all(&scratch);
        // The mirror's copy of a file rebuilt in place is the damaged one (a hard link of it).
        let mirror = lake.join("bronze").join("parquet").join(table.name());
        for rel in &damaged {
            let _ = fs::remove_file(mirror.join(rel));
        }
        crate::tables::sync_mirror(lake, table, &rt)?;
    }
    let _ = fs::remove_dir(lake.join("_repair"));
    Ok(repairs)
}

/// Puts `rel`'s rows back: the rebuilt file itself when it is the committed one byte for byte,
/// else a new file of the rebuilt rows swapped in by one commit. Refuses when the rebuilt rows
/// are not as many as the log recorded.
#[allow(clippy::too_many_arguments)]
fn put_back(
    rt: &tokio::runtime::Runtime,
    dir: &Path,
    scratch: &Path,
    table: Table,
    rel: &str,
    leaves: &[String],
    rebuilt: &HashMap<String, DataFile>,
    rows_in_log: u64,
    size_in_log: u64,
) -> Result<Option<(String, u64)>, BronzeError> {
    let missing: Vec<&String> = leaves.iter().filter(|l| !rebuilt.contains_key(*l)).collect();
    if !missing.is_empty() {
        return Err(BronzeError::Lake(format!(
            "{table}: rebuilding the loads behind {rel} did not give {} (a load written by another medallion version?)",
            missing[0]
        )));
    }
    let rows: u64 = leaves.iter().map(|l| rebuilt[l].rows).sum();
    if rows != rows_in_log {
        return Err(BronzeError::Lake(format!(
            "{table}: the raw files behind {rel} give {rows} rows, the Delta log recorded {rows_in_log}; nothing changed"
        )));
    }
    // The common case: the file a load wrote, rebuilt byte for byte: put it back in place.
    if let [leaf] = leaves
        && leaf == rel
        && rebuilt[leaf].bytes == size_in_log
    {
        let (from, to) = (scratch.join(rel), dir.join(rel));
        let tmp = to.with_extension("parquet.tmp");
        fs::copy(&from, &tmp).map_err(|e| BronzeError::io(&tmp, e))?;
        fs::rename(&tmp, &to).map_err(|e| BronzeError::io(&to, e))?;
        return Ok(None);
    }
    // Otherwise the rows of its loads, in one new file, replace it in one commit.
    let damaged = rewrite::CurrentFile { rel: rel.to_string(), size: size_in_log as i64 };
    let sources: Vec<rewrite::CurrentFile> = leaves.iter().map(|l| rewrite::CurrentFile { rel: l.clone(), size: 0 }).collect();
    let rows = rewrite::read_rows(scratch, &sources.iter().collect::<Vec<_>>(), &bronze_schema(table))?;
    let stem = format!("repaired-{}", rewrite::stem_hash(&[rel]));
    let new = rewrite::write_rows(dir, table, &damaged, &stem, &rows, u64::MAX)?;
    let operation = DeltaOperation::Write {
        mode: SaveMode::Append,
        partition_by: partition_column(table).map(|c| vec![c.to_string()]),
        predicate: Some(format!("repair of {rel}")),
    };
    let metadata = vec![(medallion_delta::REPAIR_KEY.to_string(), Value::from(rel))];
    let version = rt.block_on(async {
        let delta = medallion_delta::open(medallion_delta::table_url(dir)?).await?;
        let delta = rewrite::replace(&delta, table, &[&damaged], &new, false, operation, None, metadata).await?;
        Ok::<_, BronzeError>(delta.version().unwrap_or(0))
    })?;
    Ok(Some((new.first().map(|f| f.rel.clone()).unwrap_or_default(), version)))
}

#[cfg(test)]
mod tests {
    use super::batch_of_file;

    #[test]
    fn a_loads_file_names_its_load() {
        assert_eq!(batch_of_file("order_month=2024-01/part-0123456789abcdef-00002.parquet"), Some("0123456789abcdef"));
        assert_eq!(batch_of_file("part-0123456789abcdef-00000.parquet"), Some("0123456789abcdef"));
        assert_eq!(batch_of_file("order_month=2024-01/part-00001-5d1c-4e0e-c000.zstd.parquet"), None);
        assert_eq!(batch_of_file("repaired-0123456789abcdef-00000.parquet"), None);
    }
}
