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

use arrow::array::{Int64Builder, RecordBatch, StringBuilder, TimestampMicrosecondArray};
use deltalake::DeltaTable;
use medallion_delta::{Commit, DataFileWriter, has_app_txn};
use medallion_schema::{NoProgress, Table};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::BronzeError;
use crate::discover::{SourceFile, discover};
use crate::layout::{audit, bronze_schema, data_file_options, partition_column, rejects_schema};
use crate::manifest::{FileStatus, Manifest, ManifestRow};
use crate::read::{FileRead, read_file};
use medallion_schema::Progress;

/// Where a Bronze run reads and writes.
#[derive(Debug, Clone)]
pub struct BronzeConfig {
    /// The raw folder.
    pub raw: PathBuf,
    /// The lake folder (`bronze/`, `_rejects/`, the journal and the lock).
    pub lake: PathBuf,
    /// The DuckDB warehouse holding the manifest.
    pub manifest: PathBuf,
    /// Read and report, write nothing.
    pub dry_run: bool,
    /// Load only these tables (empty: all); other files are left for a later run.
    pub tables: Vec<Table>,
}

/// The new files of one table partition, loaded and committed together.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Batch {
    /// BLAKE3 of the table and its files' paths and hashes (16 hex digits).
    pub id: String,
    /// The table.
    pub table: Table,
    /// The partition value (or the Delta version for returns).
    pub partition: String,
    /// Its files.
    pub files: Vec<SourceFile>,
    /// The batch's `ingestion_ts`, fixed when it is journalled so a replay writes the same rows.
    pub ingestion_us: i64,
}

impl Batch {
    fn new(table: Table, partition: &str, files: Vec<SourceFile>) -> Self {
        let mut h = blake3::Hasher::new();
        h.update(table.name().as_bytes());
        for f in &files {
            h.update(f.rel.as_bytes());
            h.update(f.content_hash.as_bytes());
        }
        let ingestion_us = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros() as i64);
        Batch { id: h.finalize().to_hex()[..16].to_string(), table, partition: partition.into(), files, ingestion_us }
    }
}

/// What happened to each file of a run.
#[derive(Debug, Default)]
pub struct RunReport {
    /// Files loaded (or, in a dry run, that would be).
    pub loaded: Vec<ManifestRow>,
    /// Files already in the manifest with the same content.
    pub skipped: usize,
    /// Files in the manifest whose content has changed since: reported, never loaded twice.
    pub changed: Vec<String>,
    /// Files whose every row was rejected, re-sent with another content: loaded in their place
    /// (their old rejects removed).
    pub replaced: Vec<String>,
    /// Files under raw/ that belong to no table.
    pub unrecognised: Vec<String>,
    /// Files under the lake's _rejects/ that Bronze did not write or that are not whole
    /// Parquet files: left out of the `bronze.rejects` view.
    pub stray_rejects: Vec<PathBuf>,
    /// Bronze tables whose Delta log cannot be read (table, the file and why): their raw files
    /// wait, the other tables load.
    pub unreadable_tables: Vec<(Table, String)>,
    /// Raw files not looked at because their table is unreadable.
    pub not_loaded: usize,
    /// Batches finished from a previous, interrupted run.
    pub recovered: usize,
    /// Wall time.
    pub seconds: f64,
}

/// Test hook: fail on purpose at a named step, as a crash would (`MEDALLION_BRONZE_FAIL_AT`).
fn crash_point(step: &str) -> Result<(), BronzeError> {
    match std::env::var("MEDALLION_BRONZE_FAIL_AT") {
        Ok(s) if s == step => Err(BronzeError::Injected(step.to_string())),
        _ => Ok(()),
    }
}

/// What a batch commit needs.
struct Ctx<'a> {
    cfg: &'a BronzeConfig,
    manifest: &'a Manifest,
    rt: &'a tokio::runtime::Runtime,
    progress: &'a dyn Progress,
    /// Each table's Delta state, opened once per run; its commits take turns through the lock.
    deltas: BTreeMap<Table, Mutex<Option<DeltaTable>>>,
    /// The raw returns table at the version replayed last: the next version's `before`.
    returns_snapshot: Mutex<Option<(u64, RecordBatch)>>,
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

/// Refuses paths that cannot be a lake or a warehouse before anything is created: a lake that
/// is a file, a lake or warehouse whose parent folder does not exist (a typo would otherwise
/// create a tree anywhere), a warehouse file that DuckDB did not write.
pub fn check_paths(cfg: &BronzeConfig) -> Result<(), BronzeError> {
    let bad = |flag, path: &Path, problem: String| Err(BronzeError::BadPath { flag, path: path.to_path_buf(), problem });
    let parent_exists = |path: &Path| path.parent().is_none_or(|p| p.as_os_str().is_empty() || p.is_dir());
    if cfg.lake.exists() && !cfg.lake.is_dir() {
        return bad("--lake", &cfg.lake, "is a file, not a lake folder".into());
    }
    if !cfg.lake.exists() && !parent_exists(&cfg.lake) {
        return bad("--lake", &cfg.lake, "its parent folder does not exist (the lake folder itself is created)".into());
    }
    let warehouse = &cfg.manifest;
    if warehouse.is_dir() {
        return bad("--manifest", warehouse, "is a folder; give the warehouse file (e.g. duckdb/warehouse.duckdb)".into());
    }
    if warehouse.is_file() {
        // DuckDB's files carry "DUCK" at bytes 8..12.
        let mut head = [0u8; 12];
        let is_duckdb =
            fs::File::open(warehouse).and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head)).is_ok() && &head[8..12] == b"DUCK";
        if !is_duckdb {
            return bad("--manifest", warehouse, "is not a DuckDB database file".into());
        }
    } else if warehouse.parent().is_some_and(|p| !p.as_os_str().is_empty() && !p.is_dir() && !parent_exists(p)) {
        return bad("--manifest", warehouse, "its folder's parent does not exist".into());
    }
    Ok(())
}

/// The file `medallion gen` writes in a raw folder naming its dataset; Bronze keeps a copy in
/// the lake, so a lake never mixes two datasets.
const DATASET_FILE: &str = "_dataset";

/// Refuses raw files of another dataset than the lake holds (another seed, scale or extent:
/// their files would all look "changed" and nothing would load); a first load adopts the raw
/// folder's dataset.
fn check_dataset(cfg: &BronzeConfig) -> Result<(), BronzeError> {
    let Ok(raw) = fs::read_to_string(cfg.raw.join(DATASET_FILE)) else { return Ok(()) };
    let in_lake = cfg.lake.join(DATASET_FILE);
    match fs::read_to_string(&in_lake) {
        Ok(lake) if lake.trim() != raw.trim() => Err(BronzeError::BadPath {
            flag: "--raw",
            path: cfg.raw.clone(),
            problem: format!(
                "holds dataset `{}` but the lake holds `{}`: load it into a new lake (--lake and --manifest elsewhere), or delete the lake and the warehouse first",
                raw.trim(),
                lake.trim()
            ),
        }),
        Ok(_) => Ok(()),
        Err(_) => fs::write(&in_lake, raw).map_err(|e| BronzeError::io(&in_lake, e)),
    }
}

/// Runs Bronze, reporting each file read to `progress`.
pub fn run_with_progress(cfg: &BronzeConfig, progress: &dyn Progress) -> Result<RunReport, BronzeError> {
    check_paths(cfg)?;
    let started = Instant::now();
    let (files, unrecognised) = discover(&cfg.raw, &cfg.tables)?;
    if cfg.dry_run {
        return dry_run(cfg, files, unrecognised, progress);
    }
    fs::create_dir_all(&cfg.lake).map_err(|e| BronzeError::io(&cfg.lake, e))?;
    let _lock = crate::lock::Lock::acquire(&cfg.lake.join("_bronze.lock"))?;
    check_dataset(cfg)?;
    let manifest = Manifest::open(&cfg.manifest)?;
    let mut report = RunReport { unrecognised, ..Default::default() };

    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().map_err(|e| BronzeError::io(&cfg.lake, e))?;
    report.unreadable_tables = check_table_schemas(cfg, &rt)?;
    // First finish what an interrupted run left in the journal.
    let journal = cfg.lake.join("_bronze_journal");
    let deltas = Table::ALL.iter().map(|t| (*t, Mutex::new(None))).collect();
    let ctx = Ctx { cfg, manifest: &manifest, rt: &rt, progress, deltas, returns_snapshot: Mutex::new(None) };
    let unreadable: Vec<Table> = report.unreadable_tables.iter().map(|(t, _)| *t).collect();
    // A batch of an unreadable table stays in the journal until the table is repaired.
    for batch in read_journal(&journal)?.into_iter().filter(|b| !unreadable.contains(&b.table)) {
        report.recovered += 1;
        report.loaded.extend(commit_batch(&ctx, &batch)?);
    }
    // Files just finished from the journal are in the manifest now, but loaded by this run.
    let recovered: std::collections::BTreeSet<String> = report.loaded.iter().map(|r| r.src_path.clone()).collect();

    let known = manifest.known_files()?;
    let mut pending: BTreeMap<(Table, String), Vec<SourceFile>> = BTreeMap::new();
    for f in files {
        match known.get(&f.rel) {
            _ if unreadable.contains(&f.table) => report.not_loaded += 1,
            Some(_) if recovered.contains(&f.rel) => {}
            Some((hash, _)) if *hash == f.content_hash => report.skipped += 1,
            // Every row of it was rejected: a corrected copy replaces it, and its rejects go.
            Some((_, true)) => {
                if let Some(old) = manifest.batch_of(&f.rel)? {
                    crate::layout::drop_rejects_of(&cfg.lake, f.table, &old, &f.rel)?;
                }
                report.replaced.push(f.rel.clone());
                pending.entry((f.table, f.partition.clone())).or_default().push(f);
            }
            Some(_) => report.changed.push(f.rel),
            None => pending.entry((f.table, f.partition.clone())).or_default().push(f),
        }
    }
    // Batches load in parallel, largest first, each journalled first. Returns versions form
    // one chain that applies in order; any other batch stands alone.
    let mut chains: Vec<Vec<Batch>> = Vec::new();
    let mut returns_chain = Vec::new();
    for ((table, partition), files) in pending {
        let batch = Batch::new(table, &partition, files);
        if batch.table == Table::Returns { returns_chain.push(batch) } else { chains.push(vec![batch]) }
    }
    if !returns_chain.is_empty() {
        chains.push(returns_chain);
    }
    let size = |chain: &Vec<Batch>| chain.iter().flat_map(|b| &b.files).map(|f| f.bytes).sum::<u64>();
    chains.sort_by_key(|c| std::cmp::Reverse(size(c)));
    // One worker more than cores: commits wait on fsync, and the spare worker keeps the CPU busy.
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()) + 1;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(workers).build()?;
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
    report.stray_rejects = manifest.register_views(&cfg.lake)?;
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
            Some((hash, _)) if *hash == f.content_hash => report.skipped += 1,
            Some((_, false)) => report.changed.push(f.rel),
            _ => {
                let table = f.table;
                let started = Instant::now();
                let read = read_file::<BronzeError>(&cfg.raw.join(&f.rel), table, &mut |_, _| Ok(()))?;
                progress.rows(table, read.rows_read);
                report.loaded.push(ManifestRow::new(&f, &read, FileStatus::WouldLoad, "dry-run", started.elapsed().as_secs_f64()));
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
            out.push(serde_json::from_slice(&text).map_err(|source| BronzeError::Journal { path: path.clone(), source })?);
        }
    }
    out.sort_by(|a: &Batch, b: &Batch| a.id.cmp(&b.id));
    Ok(out)
}

/// Loads one batch and commits it; every step is idempotent, so a journal replay is safe.
///
/// Rows stream from the readers into data files inside the Delta table's folder (invisible to
/// readers until the commit), the Delta commit carries the batch id, then the same files are
/// hard-linked into the plain Parquet layout: each row is encoded once.
fn commit_batch(ctx: &Ctx<'_>, batch: &Batch) -> Result<Vec<ManifestRow>, BronzeError> {
    let (cfg, manifest) = (ctx.cfg, ctx.manifest);
    let table = batch.table;
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
        Some(DataFileWriter::new(
            &delta_dir,
            &part_dir,
            &format!("part-{}", batch.id),
            bronze_schema(table),
            values,
            data_file_options(table),
        )?)
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
            (Some(_), _) => FileStatus::Failed,
            (None, _) if !read.rejects.is_empty() => FileStatus::LoadedWithRejects,
            _ => FileStatus::Loaded,
        };
        ctx.progress.rows(table, read.rows_read);
        let message = read.file_error.as_ref().map(|(c, m)| format!("{c}: {m}")).unwrap_or_default();
        rows.push(ManifestRow::new(f, &read, status, &message, started.elapsed().as_secs_f64()));
    }
    if rejects.len() > 0 {
        let path = cfg.lake.join(format!("_rejects/{table}/rejects-{}.parquet", batch.id));
        crate::layout::write_parquet(&path, rejects_schema(), &[rejects.finish()?])?;
    }
    if let Some(writer) = writer {
        let files = writer.finish()?;
        crash_point("after_parquet")?;
        if !files.is_empty() {
            // Batches of one table load in parallel; their commits take turns.
            let commit = Commit::append(&files, pcol).with_app_txn(&app_id).with_metadata(medallion_delta::INGESTION_KEY, ingestion_us);
            ctx.with_delta(table, async |delta| {
                *delta = medallion_delta::commit(delta, &bronze_schema(table), pcol, commit)
                    .await
                    .map_err(|source| BronzeError::Commit { table, log: delta_dir.join("_delta_log"), source })?;
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
fn check_table_schemas(cfg: &BronzeConfig, rt: &tokio::runtime::Runtime) -> Result<Vec<(Table, String)>, BronzeError> {
    let mut unreadable = Vec::new();
    for table in Table::ALL.into_iter().filter(|t| cfg.tables.is_empty() || cfg.tables.contains(t)) {
        let dir = cfg.lake.join(format!("bronze/delta/{table}"));
        if !dir.join("_delta_log").exists() {
            continue;
        }
        let (schema, pcol) = match table {
            Table::Returns => (crate::layout::bronze_returns_schema(), None),
            _ => (bronze_schema(table), partition_column(table)),
        };
        // One table's broken log stops that table, named with the file, never the others.
        let delta = match rt.block_on(medallion_delta::open(medallion_delta::table_url(&dir)?)) {
            Ok(delta) => delta,
            Err(e) => {
                let file = first_unreadable_log_file(&dir.join("_delta_log")).map(|f| f.display().to_string());
                unreadable.push((table, format!("{} ({e})", file.unwrap_or_else(|| dir.join("_delta_log").display().to_string()))));
                continue;
            }
        };
        if !medallion_delta::schema_matches(&delta, &schema, pcol)? {
            return Err(BronzeError::Lake(format!(
                "{}: the table's schema is not {table}'s Bronze schema (a lake from an older medallion?); \
                 move lake/ and duckdb/warehouse.duckdb aside and load again",
                dir.display()
            )));
        }
    }
    Ok(unreadable)
}

/// The first commit file of a Delta log that is not JSON lines (what a truncated or
/// overwritten commit looks like).
pub fn first_unreadable_log_file(log: &Path) -> Option<PathBuf> {
    let mut files: Vec<PathBuf> =
        fs::read_dir(log).ok()?.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "json")).collect();
    files.sort();
    files.into_iter().find(|f| {
        fs::read_to_string(f).map_or(true, |text| {
            text.lines().filter(|l| !l.trim().is_empty()).any(|l| serde_json::from_str::<serde_json::Value>(l).is_err())
        })
    })
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
    let f = batch.files.first().ok_or_else(|| BronzeError::Lake(format!("batch {} has no file", batch.id)))?;
    let version = crate::returns::log_version(&f.rel).ok_or_else(|| BronzeError::Lake(format!("{} is not a Delta commit file", f.rel)))?;
    let started = Instant::now();
    let raw_table = cfg.raw.join(&Table::Returns.raw().path);
    let bronze_table = cfg.lake.join("bronze/delta/returns");
    let mut last = ctx.returns_snapshot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let before = last.take().filter(|(v, _)| *v + 1 == version).map(|(_, snapshot)| snapshot);
    let (ch, snapshot) = rt.block_on(crate::returns::changes(&raw_table, version, &f.rel, batch.ingestion_us, before))?;
    *last = Some((version, snapshot));
    drop(last);
    crash_point("after_parquet")?;
    let changed = ch.batch.num_rows() as u64;
    rt.block_on(crate::returns::merge(&bronze_table, ch.batch, &format!("medallion-bronze-{}", batch.id)))?;
    crash_point("after_delta")?;
    crate::tables::sync_mirror(&cfg.lake, Table::Returns, rt)?;
    let read = FileRead { rows_read: changed + ch.keyless as u64, rows_loaded: changed, ..Default::default() };
    ctx.progress.rows(Table::Returns, read.rows_read);
    let message = format!("version {version}: {} inserted, {} updated, {} deleted (tombstones)", ch.inserted, ch.updated, ch.deleted);
    let mut row = ManifestRow::new(
        f,
        &read,
        if ch.keyless > 0 { FileStatus::LoadedWithRejects } else { FileStatus::Loaded },
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
