//! A Bronze run: discover raw files, skip what the manifest has, load the rest in batches (one
//! batch = the new files of one table partition) and commit each batch in a fixed order:
//! journal → Parquet data + rejects (atomic renames) → Delta commit (tagged with the batch id as
//! an application transaction) → manifest rows → journal removed. A run killed anywhere is
//! finished by the next run from the journal, so nothing is lost or loaded twice.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use arrow::array::{ArrayRef, Int64Builder, RecordBatch, StringArray, StringBuilder, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use deltalake::DeltaTable;
use medallion_delta::{Commit, DataFileWriter, FileOptions, has_app_txn};
use medallion_schema::{RawFormat, Table, match_path};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::BronzeError;
use crate::manifest::{Manifest, ManifestRow};
use crate::read::{FileRead, read_file};

/// Where a Bronze run reads and writes.
#[derive(Debug, Clone)]
pub struct BronzeConfig {
    pub raw: PathBuf,
    pub lake: PathBuf,
    pub manifest: PathBuf,
    pub dry_run: bool,
    /// Load only these tables (empty: all); other files are left for a later run.
    pub tables: Vec<Table>,
}

/// A raw file found under `raw/`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SourceFile {
    pub table: String,
    /// Relative to the raw folder, `/`-separated.
    pub rel: String,
    pub content_hash: String,
    pub bytes: u64,
    /// Bronze partition value (e.g. `2024-01` of `order_month`), empty for unpartitioned tables.
    pub partition: String,
}

/// Bronze partitioning: monthly for daily feeds (daily partitions would be thousands of tiny
/// files), by month for sensors; see docs/decisions.md.
pub fn partition_column(table: Table) -> Option<&'static str> {
    match table {
        Table::OrdersHeader | Table::OrdersLines => Some("order_month"),
        Table::Events => Some("event_month"),
        Table::Sensors => Some("sensor_month"),
        _ => None,
    }
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
            let partition = match partition_column(table) {
                None => String::new(),
                Some(_) => get("month").or_else(|| get("date").map(|d| &d[..d.len().min(7)])).unwrap_or_default().to_string(),
            };
            return Some((table, partition));
        }
    }
    None
}

/// Every raw file of `tables` (empty: all), in path order, with its content hash (computed in
/// parallel). Folders starting with `_` or `.` (the ground truth, hidden files), temporary files
/// and Delta tables are not raw files.
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
            if name.starts_with('_') || name.starts_with('.') || name.ends_with(".tmp") {
                continue;
            }
            let rel = path.strip_prefix(raw).unwrap_or(&path).to_string_lossy().replace('\\', "/");
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
            Ok(SourceFile { table: table.name().to_string(), rel, content_hash, bytes, partition })
        })
        .collect::<Result<_, BronzeError>>()?;
    found.extend(hashed);
    found.sort();
    unknown.sort();
    Ok((found, unknown))
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
        out.push(SourceFile { table: table.name().to_string(), rel: commit, content_hash, bytes, partition: version });
    }
    Ok(out)
}

fn hash_file(path: &Path) -> Result<(String, u64), BronzeError> {
    let mut hasher = blake3::Hasher::new();
    let bytes =
        hasher.update_reader(fs::File::open(path).map_err(|e| BronzeError::io(path, e))?).map_err(|e| BronzeError::io(path, e))?.count();
    Ok((hasher.finalize().to_hex()[..32].to_string(), bytes))
}

/// The new files of one table partition, loaded and committed together.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Batch {
    pub id: String,
    pub table: String,
    pub partition: String,
    pub files: Vec<SourceFile>,
    /// The batch's `ingestion_ts`, fixed when it is journalled so a replay writes the same rows.
    pub ingestion_us: i64,
}

impl Batch {
    fn new(table: &str, partition: &str, files: Vec<SourceFile>) -> Self {
        let mut h = blake3::Hasher::new();
        h.update(table.as_bytes());
        for f in &files {
            h.update(f.rel.as_bytes());
            h.update(f.content_hash.as_bytes());
        }
        let ingestion_us = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros() as i64);
        Batch { id: h.finalize().to_hex()[..16].to_string(), table: table.into(), partition: partition.into(), files, ingestion_us }
    }

    fn table(&self) -> Table {
        self.table.parse().expect("batches are made from known tables")
    }
}

/// The Bronze schema of a table: canonical columns (timestamps as UTC instants), then the
/// audit columns. The partition column is not stored in data files (Hive-style folders).
pub fn bronze_schema(table: Table) -> SchemaRef {
    Arc::new(Schema::new(bronze_fields(&table.schema())))
}

/// Canonical fields with timestamps as UTC instants, followed by the audit columns.
pub(crate) fn bronze_fields(canonical: &Schema) -> Vec<Field> {
    let mut fields: Vec<Field> = canonical
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Timestamp(unit, None) => Field::new(f.name(), DataType::Timestamp(*unit, Some("UTC".into())), f.is_nullable()),
            _ => f.as_ref().clone(),
        })
        .collect();
    fields.push(Field::new("ingestion_ts", DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())), false));
    fields.push(Field::new("src_filename", DataType::Utf8, false));
    fields.push(Field::new("src_row_hash", DataType::Binary, false));
    fields
}

fn rejects_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("src_filename", DataType::Utf8, false),
        Field::new("src_line", DataType::Int64, false),
        Field::new("reason_code", DataType::Utf8, false),
        Field::new("reason", DataType::Utf8, false),
        Field::new("raw_text", DataType::Utf8, false),
        Field::new("ingestion_ts", DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())), false),
    ]))
}

/// Adds the audit columns to a batch of canonical rows.
fn audit(batch: RecordBatch, hashes: ArrayRef, table: Table, src: &str, ingestion_us: i64) -> Result<RecordBatch, BronzeError> {
    let schema = bronze_schema(table);
    let n = batch.num_rows();
    let mut cols: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for (col, field) in batch.columns().iter().zip(schema.fields()) {
        cols.push(if col.data_type() == field.data_type() { col.clone() } else { arrow::compute::cast(col, field.data_type())? });
    }
    cols.push(Arc::new(TimestampMicrosecondArray::from(vec![ingestion_us; n]).with_timezone("UTC")));
    cols.push(Arc::new(StringArray::from(vec![src; n])));
    cols.push(hashes);
    Ok(RecordBatch::try_new(schema, cols)?)
}

/// What happened to each file of a run.
#[derive(Debug, Default)]
pub struct RunReport {
    pub loaded: Vec<ManifestRow>,
    /// Files already in the manifest with the same content.
    pub skipped: usize,
    /// Files in the manifest whose content has changed since: reported, never loaded twice.
    pub changed: Vec<String>,
    /// Files under raw/ that belong to no table.
    pub unrecognised: Vec<String>,
    /// Batches finished from a previous, interrupted run.
    pub recovered: usize,
    pub seconds: f64,
}

/// Test hook: fail on purpose at a named step, as a crash would (`MEDALLION_BRONZE_FAIL_AT`).
fn crash_point(step: &str) -> Result<(), BronzeError> {
    match std::env::var("MEDALLION_BRONZE_FAIL_AT") {
        Ok(s) if s == step => Err(BronzeError::Injected(step.to_string())),
        _ => Ok(()),
    }
}

/// Hears about each file as it is read (for progress bars); called from worker threads.
pub trait Progress: Sync {
    fn file_read(&self, table: Table, rows: u64);
}

/// Reports nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn file_read(&self, _: Table, _: u64) {}
}

/// What a batch commit needs.
struct Ctx<'a> {
    cfg: &'a BronzeConfig,
    manifest: &'a Manifest,
    rt: &'a tokio::runtime::Runtime,
    progress: &'a dyn Progress,
    /// Each table's Delta state, opened once per run; its commits take turns through the lock.
    deltas: BTreeMap<Table, Mutex<Option<DeltaTable>>>,
}

impl Ctx<'_> {
    /// Runs `f` on the table's Delta state (opened on first use), holding the table's turn.
    fn with_delta<T>(&self, table: Table, f: impl AsyncFnOnce(&mut DeltaTable) -> Result<T, BronzeError>) -> Result<T, BronzeError> {
        let slot = self.deltas.get(&table).expect("a slot per table");
        let mut guard = slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        self.rt.block_on(async {
            if guard.is_none() {
                let dir = self.cfg.lake.join(format!("bronze/delta/{table}"));
                // Its schema was checked when the run started (check_table_schemas).
                *guard = Some(medallion_delta::open(medallion_delta::table_url(&dir)?).await?);
            }
            f(guard.as_mut().expect("opened above")).await
        })
    }
}

/// Runs Bronze over `cfg.raw`.
pub fn run(cfg: &BronzeConfig) -> Result<RunReport, BronzeError> {
    run_with_progress(cfg, &NoProgress)
}

/// Runs Bronze, reporting each file read to `progress`.
pub fn run_with_progress(cfg: &BronzeConfig, progress: &dyn Progress) -> Result<RunReport, BronzeError> {
    let started = Instant::now();
    let (files, unrecognised) = discover(&cfg.raw, &cfg.tables)?;
    if cfg.dry_run {
        return dry_run(cfg, files, unrecognised, progress);
    }
    fs::create_dir_all(&cfg.lake).map_err(|e| BronzeError::io(&cfg.lake, e))?;
    let _lock = crate::lock::Lock::acquire(&cfg.lake.join("_bronze.lock"))?;
    let manifest = Manifest::open(&cfg.manifest)?;
    let mut report = RunReport { unrecognised, ..Default::default() };

    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().map_err(|e| BronzeError::io(&cfg.lake, e))?;
    check_table_schemas(cfg, &rt)?;
    // First finish what an interrupted run left in the journal.
    let journal = cfg.lake.join("_bronze_journal");
    let deltas = Table::ALL.iter().map(|t| (*t, Mutex::new(None))).collect();
    let ctx = Ctx { cfg, manifest: &manifest, rt: &rt, progress, deltas };
    for batch in read_journal(&journal)? {
        report.recovered += 1;
        report.loaded.extend(commit_batch(&ctx, &batch)?);
    }

    let known = manifest.known_files()?;
    let mut pending: BTreeMap<(String, String), Vec<SourceFile>> = BTreeMap::new();
    for f in files {
        match known.get(&f.rel) {
            Some(hash) if *hash == f.content_hash => report.skipped += 1,
            Some(_) => report.changed.push(f.rel),
            None => pending.entry((f.table.clone(), f.partition.clone())).or_default().push(f),
        }
    }
    // Batches load in parallel, largest first, each journalled first. Returns versions form
    // one chain that applies in order; any other batch stands alone.
    let mut chains: Vec<Vec<Batch>> = Vec::new();
    let mut returns_chain = Vec::new();
    for ((table, partition), files) in pending {
        let batch = Batch::new(&table, &partition, files);
        if batch.table() == Table::Returns { returns_chain.push(batch) } else { chains.push(vec![batch]) }
    }
    if !returns_chain.is_empty() {
        chains.push(returns_chain);
    }
    let size = |chain: &Vec<Batch>| chain.iter().flat_map(|b| &b.files).map(|f| f.bytes).sum::<u64>();
    chains.sort_by_key(|c| std::cmp::Reverse(size(c)));
    // One worker more than cores: commits wait on fsync, and the spare worker keeps the CPU busy.
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()) + 1;
    let pool =
        rayon::ThreadPoolBuilder::new().num_threads(workers).build().map_err(|e| BronzeError::Corrupt(format!("thread pool: {e}")))?;
    let loaded: Vec<Vec<ManifestRow>> = pool.install(|| {
        chains
            .into_par_iter()
            .with_max_len(1)
            .map(|batches| {
                let mut rows = Vec::new();
                for batch in batches {
                    write_journal(&journal, &batch)?;
                    rows.extend(commit_batch(&ctx, &batch)?);
                }
                Ok(rows)
            })
            .collect::<Result<_, BronzeError>>()
    })?;
    report.loaded.extend(loaded.into_iter().flatten());
    report.loaded.sort_by(|a, b| a.src_path.cmp(&b.src_path));
    manifest.register_views(&cfg.lake)?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

fn dry_run(
    cfg: &BronzeConfig,
    files: Vec<SourceFile>,
    unrecognised: Vec<String>,
    progress: &dyn Progress,
) -> Result<RunReport, BronzeError> {
    let known = if cfg.manifest.exists() { Manifest::open_read_only(&cfg.manifest)?.known_files()? } else { Default::default() };
    let mut report = RunReport { unrecognised, ..Default::default() };
    for f in files {
        match known.get(&f.rel) {
            Some(hash) if *hash == f.content_hash => report.skipped += 1,
            Some(_) => report.changed.push(f.rel),
            None => {
                let table: Table = f.table.parse()?;
                let started = Instant::now();
                let read = read_file::<BronzeError>(&cfg.raw.join(&f.rel), table, &mut |_, _| Ok(()))?;
                progress.file_read(table, read.rows_read);
                report.loaded.push(ManifestRow::new(&f, &read, "would_load", "dry-run", started.elapsed().as_secs_f64()));
            }
        }
    }
    Ok(report)
}

fn write_journal(dir: &Path, batch: &Batch) -> Result<(), BronzeError> {
    fs::create_dir_all(dir).map_err(|e| BronzeError::io(dir, e))?;
    let path = dir.join(format!("{}.json", batch.id));
    let tmp = path.with_extension("json.tmp");
    fs::write(&tmp, serde_json::to_vec_pretty(batch).expect("plain struct")).map_err(|e| BronzeError::io(&tmp, e))?;
    fs::rename(&tmp, &path).map_err(|e| BronzeError::io(&path, e))
}

fn read_journal(dir: &Path) -> Result<Vec<Batch>, BronzeError> {
    let Ok(entries) = fs::read_dir(dir) else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for e in entries {
        let path = e.map_err(|e| BronzeError::io(dir, e))?.path();
        if path.extension().is_some_and(|x| x == "json") {
            let text = fs::read(&path).map_err(|e| BronzeError::io(&path, e))?;
            out.push(serde_json::from_slice(&text).map_err(|e| BronzeError::Corrupt(format!("{}: {e}", path.display())))?);
        }
    }
    out.sort_by(|a: &Batch, b: &Batch| a.id.cmp(&b.id));
    Ok(out)
}

pub(crate) fn write_parquet(path: &Path, schema: SchemaRef, batches: &[RecordBatch]) -> Result<u64, BronzeError> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| BronzeError::io(dir, e))?;
    }
    let tmp = path.with_extension("parquet.tmp");
    let file = fs::File::create(&tmp).map_err(|e| BronzeError::io(&tmp, e))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).expect("valid level")))
        .set_max_row_group_row_count(Some(1 << 20))
        .build();
    let mut w = ArrowWriter::try_new(file, schema, Some(props))?;
    for b in batches {
        w.write(b)?;
    }
    w.close()?;
    fs::rename(&tmp, path).map_err(|e| BronzeError::io(path, e))?;
    Ok(fs::metadata(path).map_err(|e| BronzeError::io(path, e))?.len())
}

/// The URL of a local Delta table folder (which must exist).
pub(crate) fn table_url(path: &Path) -> Result<url::Url, BronzeError> {
    let abs = fs::canonicalize(path).map_err(|e| BronzeError::io(path, e))?;
    url::Url::from_directory_path(&abs).map_err(|_| BronzeError::Corrupt(format!("not a usable path: {}", abs.display())))
}

/// Loads one batch and commits it; every step is idempotent, so a journal replay is safe.
///
/// Rows stream from the readers into data files inside the Delta table's folder (invisible to
/// readers until the commit), the Delta commit carries the batch id, then the same files are
/// hard-linked into the plain Parquet layout: each row is encoded once.
fn commit_batch(ctx: &Ctx<'_>, batch: &Batch) -> Result<Vec<ManifestRow>, BronzeError> {
    let (cfg, manifest) = (ctx.cfg, ctx.manifest);
    let table = batch.table();
    if table == Table::Returns {
        return commit_returns_version(ctx, batch);
    }
    let ingestion_us = batch.ingestion_us;
    let delta_dir = cfg.lake.join(format!("bronze/delta/{table}"));
    let app_id = format!("medallion-bronze-{}", batch.id);
    let pcol = partition_column(table);
    let part_dir = pcol.map(|c| format!("{c}={}", batch.partition)).unwrap_or_default();
    // A replay of a batch whose Delta commit went through only re-counts its rows.
    let committed = ctx.with_delta(table, async |delta| Ok(has_app_txn(delta, &app_id).await?))?;
    let mut writer = if committed {
        None
    } else {
        let values = pcol.map(|c| vec![(c.to_string(), batch.partition.clone())]).unwrap_or_default();
        let options = FileOptions {
            created_by: "medallion-bronze".into(),
            no_dictionary: unique_columns(table),
            // Hashes are random bytes: compressing them only costs time.
            uncompressed: vec!["src_row_hash".into()],
            zstd_level: 1,
            ..FileOptions::default()
        };
        Some(DataFileWriter::new(&delta_dir, &part_dir, &format!("part-{}", batch.id), bronze_schema(table), values, options)?)
    };
    let mut rejects = RejectColumns::default();
    let mut rows = Vec::new();
    for f in &batch.files {
        let started = Instant::now();
        let read: FileRead = read_file::<BronzeError>(&cfg.raw.join(&f.rel), table, &mut |b, hashes| {
            if let Some(w) = writer.as_mut() {
                w.write(&audit(b, hashes, table, &f.rel, ingestion_us)?)?;
            }
            Ok(())
        })?;
        for r in &read.rejects {
            rejects.push(&f.rel, r.line, &r.code, &r.reason, &r.raw, ingestion_us);
        }
        let status = match (&read.file_error, read.rows_loaded) {
            (Some(_), _) => "failed",
            (None, _) if !read.rejects.is_empty() => "loaded_with_rejects",
            _ => "loaded",
        };
        ctx.progress.file_read(table, read.rows_read);
        let message = read.file_error.as_ref().map(|(c, m)| format!("{c}: {m}")).unwrap_or_default();
        rows.push(ManifestRow::new(f, &read, status, &message, started.elapsed().as_secs_f64()));
    }
    if rejects.len() > 0 {
        let path = cfg.lake.join(format!("_rejects/{table}/rejects-{}.parquet", batch.id));
        write_parquet(&path, rejects_schema(), &[rejects.finish()?])?;
    }
    if let Some(writer) = writer {
        let files = writer.finish()?;
        crash_point("after_parquet")?;
        if !files.is_empty() {
            // Batches of one table load in parallel; their commits take turns.
            let commit = Commit::append(&files, pcol).with_app_txn(&app_id);
            ctx.with_delta(table, async |delta| {
                *delta = medallion_delta::commit(delta, &bronze_schema(table), pcol, commit).await?;
                Ok(())
            })?;
        }
    }
    crash_point("after_delta")?;
    link_into_parquet(&delta_dir.join(&part_dir), &cfg.lake.join(format!("bronze/parquet/{table}")).join(&part_dir), &batch.id)?;
    manifest.record(&batch.id, &rows)?;
    crash_point("after_manifest")?;
    let journal = cfg.lake.join("_bronze_journal").join(format!("{}.json", batch.id));
    let _ = fs::remove_file(journal);
    Ok(rows)
}

/// Refuses a lake whose Bronze Delta tables have another schema than this version writes (a
/// lake from an older medallion): appending would mix layouts, and Silver would break later
/// with a less helpful message.
fn check_table_schemas(cfg: &BronzeConfig, rt: &tokio::runtime::Runtime) -> Result<(), BronzeError> {
    for table in Table::ALL {
        let dir = cfg.lake.join(format!("bronze/delta/{table}"));
        if !dir.join("_delta_log").exists() {
            continue;
        }
        let (schema, pcol) = match table {
            Table::Returns => (crate::returns::bronze_returns_schema(), None),
            _ => (bronze_schema(table), partition_column(table)),
        };
        let delta = rt.block_on(medallion_delta::open(medallion_delta::table_url(&dir)?))?;
        if !medallion_delta::schema_matches(&delta, &schema, pcol)? {
            return Err(BronzeError::Corrupt(format!(
                "{}: the table's schema is not {table}'s Bronze schema (a lake from an older medallion?); \
                 move lake/ and duckdb/warehouse.duckdb aside and load again",
                dir.display()
            )));
        }
    }
    Ok(())
}

/// Columns whose values are (nearly) all distinct: the row hash and the table's key.
fn unique_columns(table: Table) -> Vec<String> {
    let mut cols: Vec<String> = table.raw().primary_key.clone();
    cols.push("src_row_hash".into());
    cols
}

/// Hard-links the batch's committed data files into the plain Parquet layout (a copy where
/// links are impossible); files already there are left alone.
fn link_into_parquet(delta_part: &Path, parquet_part: &Path, batch_id: &str) -> Result<(), BronzeError> {
    let Ok(entries) = fs::read_dir(delta_part) else { return Ok(()) };
    let prefix = format!("part-{batch_id}-");
    for entry in entries {
        let from = entry.map_err(|e| BronzeError::io(delta_part, e))?.path();
        let name = from.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        if !name.starts_with(&prefix) || !name.ends_with(".parquet") {
            continue;
        }
        let to = parquet_part.join(&name);
        if to.exists() {
            continue;
        }
        fs::create_dir_all(parquet_part).map_err(|e| BronzeError::io(parquet_part, e))?;
        let tmp = to.with_extension("parquet.tmp");
        let _ = fs::remove_file(&tmp);
        if fs::hard_link(&from, &tmp).is_err() {
            fs::copy(&from, &tmp).map_err(|e| BronzeError::io(&tmp, e))?;
        }
        fs::rename(&tmp, &to).map_err(|e| BronzeError::io(&to, e))?;
    }
    Ok(())
}

/// One raw returns version: its changes MERGEd into Bronze returns, then the Parquet mirror.
fn commit_returns_version(ctx: &Ctx<'_>, batch: &Batch) -> Result<Vec<ManifestRow>, BronzeError> {
    let (cfg, manifest, rt) = (ctx.cfg, ctx.manifest, ctx.rt);
    let f = batch.files.first().ok_or_else(|| BronzeError::Corrupt(format!("batch {} has no file", batch.id)))?;
    let version =
        crate::returns::log_version(&f.rel).ok_or_else(|| BronzeError::Corrupt(format!("{} is not a Delta commit file", f.rel)))?;
    let started = Instant::now();
    let raw_table = cfg.raw.join(&Table::Returns.raw().path);
    let bronze_table = cfg.lake.join("bronze/delta/returns");
    let ch = rt.block_on(crate::returns::changes(&raw_table, version, &f.rel, batch.ingestion_us))?;
    crash_point("after_parquet")?;
    let changed = ch.batch.num_rows() as u64;
    rt.block_on(crate::returns::merge(&bronze_table, ch.batch, &format!("medallion-bronze-{}", batch.id)))?;
    crash_point("after_delta")?;
    rt.block_on(crate::returns::mirror(&bronze_table, &cfg.lake.join("bronze/parquet/returns/part-current.parquet")))?;
    let read = FileRead { rows_read: changed + ch.keyless as u64, rows_loaded: changed, ..Default::default() };
    ctx.progress.file_read(Table::Returns, read.rows_read);
    let message = format!("version {version}: {} inserted, {} updated, {} deleted (tombstones)", ch.inserted, ch.updated, ch.deleted);
    let mut row = ManifestRow::new(
        f,
        &read,
        if ch.keyless > 0 { "loaded_with_rejects" } else { "loaded" },
        &message,
        started.elapsed().as_secs_f64(),
    );
    row.rows_rejected = ch.keyless as u64;
    if ch.keyless > 0 {
        row.rejects_by_reason.insert("null_required".into(), ch.keyless as u64);
    }
    manifest.record(&batch.id, std::slice::from_ref(&row))?;
    crash_point("after_manifest")?;
    let _ = fs::remove_file(cfg.lake.join("_bronze_journal").join(format!("{}.json", batch.id)));
    Ok(vec![row])
}

#[derive(Default)]
struct RejectColumns {
    file: StringBuilder,
    line: Int64Builder,
    code: StringBuilder,
    reason: StringBuilder,
    raw: StringBuilder,
    ts: Vec<i64>,
}

impl RejectColumns {
    fn push(&mut self, file: &str, line: u64, code: &str, reason: &str, raw: &str, ts: i64) {
        self.file.append_value(file);
        self.line.append_value(line as i64);
        self.code.append_value(code);
        self.reason.append_value(reason);
        self.raw.append_value(raw);
        self.ts.push(ts);
    }

    fn len(&self) -> usize {
        self.ts.len()
    }

    fn finish(&mut self) -> Result<RecordBatch, BronzeError> {
        let ts = TimestampMicrosecondArray::from(std::mem::take(&mut self.ts)).with_timezone("UTC");
        Ok(RecordBatch::try_new(
            rejects_schema(),
            vec![
                Arc::new(self.file.finish()),
                Arc::new(self.line.finish()),
                Arc::new(self.code.finish()),
                Arc::new(self.reason.finish()),
                Arc::new(self.raw.finish()),
                Arc::new(ts),
            ],
        )?)
    }
}
