//! Maintenance of a lake's Bronze Delta tables with deltalake's OPTIMIZE and VACUUM: small
//! files compacted to a target size (optionally Z-ordered on `ingestion_ts`, the column the
//! incremental Silver builds select Bronze rows by), then files no version within the
//! retention period uses deleted. Time travel within the retention keeps working; the
//! retention can never be shorter than the table's own time-travel window
//! (`delta.deletedFileRetentionDuration`, Delta's default one week).

use std::path::{Path, PathBuf};
use std::time::Instant;

use deltalake::table::config::TablePropertiesExt;
use medallion_schema::Table;

use crate::BronzeError;
use crate::tables::{files_at, sync_mirror, table_dir};

/// What `maintain` does.
#[derive(Debug, Clone)]
pub struct MaintainOptions {
    /// VACUUM keeps files that a version of the last this many hours uses.
    pub retention_hours: u64,
    /// OPTIMIZE's target file size.
    pub target_file_bytes: u64,
    /// Z-order on `ingestion_ts` instead of plain compaction.
    pub zorder: bool,
    /// Change nothing: list what VACUUM would delete.
    pub dry_run: bool,
    /// Only these tables (all when empty).
    pub tables: Vec<Table>,
}

impl Default for MaintainOptions {
    fn default() -> Self {
        MaintainOptions { retention_hours: 7 * 24, target_file_bytes: 64 << 20, zorder: false, dry_run: false, tables: Vec::new() }
    }
}

/// One table's maintenance.
#[derive(Debug, Clone, Default)]
pub struct TableMaintenance {
    /// The table.
    pub table: Option<Table>,
    /// Data files of the current version, and their bytes, before and after.
    pub active_before: (usize, u64),
    /// See [`TableMaintenance::active_before`].
    pub active_after: (usize, u64),
    /// Data files on disk (every version's), and their bytes, before and after.
    pub on_disk_before: (usize, u64),
    /// See [`TableMaintenance::on_disk_before`].
    pub on_disk_after: (usize, u64),
    /// Files OPTIMIZE replaced, and the files it wrote.
    pub compacted: (u64, u64),
    /// Files VACUUM deleted (or, in a dry run, would delete).
    pub vacuumed: Vec<String>,
    /// Wall time.
    pub seconds: f64,
}

fn size_of(files: &[PathBuf]) -> u64 {
    files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum()
}

/// Every Parquet file under a table's folder (all versions' data files).
fn on_disk(dir: &Path) -> (usize, u64) {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for p in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "_delta_log") {
                    walk(&p, out);
                }
            } else if p.extension().is_some_and(|x| x == "parquet") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, &mut files);
    (files.len(), size_of(&files))
}

/// Maintains every Bronze Delta table of `lake` (those of `opts.tables`), holding the lake's
/// lock. Refuses a retention shorter than a table's time-travel window before changing anything.
pub fn maintain(lake: &Path, opts: &MaintainOptions) -> Result<Vec<TableMaintenance>, BronzeError> {
    let _lock = crate::lock::Lock::acquire(&lake.join("_bronze.lock"))?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| BronzeError::io(lake, e))?;
    let tables: Vec<Table> = Table::ALL
        .into_iter()
        .filter(|t| opts.tables.is_empty() || opts.tables.contains(t))
        .filter(|t| table_dir(lake, *t).join("_delta_log").is_dir())
        .collect();
    let retention = chrono::Duration::hours(opts.retention_hours as i64);
    // Every table's window first: a refusal changes nothing anywhere.
    for table in &tables {
        let window = rt.block_on(async {
            let delta = medallion_delta::open(medallion_delta::table_url(&table_dir(lake, *table))?).await?;
            Ok::<_, BronzeError>(delta.snapshot()?.table_config().deleted_file_retention_duration())
        })?;
        if retention.num_milliseconds() < window.as_millis() as i64 {
            return Err(BronzeError::Lake(format!(
                "{table}: a retention of {} h is shorter than the table's time-travel window of {} h (delta.deletedFileRetentionDuration); \
                 VACUUM would delete files that time travel needs",
                opts.retention_hours,
                window.as_secs() / 3600
            )));
        }
    }
    let mut out = Vec::new();
    for table in tables {
        let started = Instant::now();
        let dir = table_dir(lake, table);
        let mut m = TableMaintenance { table: Some(table), on_disk_before: on_disk(&dir), ..Default::default() };
        let (_, files) = files_at(lake, table, None)?;
        m.active_before = (files.len(), size_of(&files));
        if !opts.dry_run {
            m.compacted = rt.block_on(compact(&dir, table, opts.target_file_bytes.max(1 << 20), opts.zorder))?;
            sync_mirror(lake, table, &rt)?;
        }
        m.vacuumed = rt.block_on(async {
            let delta = medallion_delta::open(medallion_delta::table_url(&dir)?).await?;
            let (_, metrics) = delta.vacuum().with_retention_period(retention).with_dry_run(opts.dry_run).await?;
            Ok::<_, BronzeError>(metrics.files_deleted)
        })?;
        let (_, files) = files_at(lake, table, None)?;
        m.active_after = (files.len(), size_of(&files));
        m.on_disk_after = on_disk(&dir);
        m.seconds = started.elapsed().as_secs_f64();
        out.push(m);
    }
    Ok(out)
}

/// OPTIMIZE: in each partition holding more than one file, its files' rows rewritten into as few
/// files as `target_bytes` allows — sorted by `ingestion_ts` with `zorder` (a Z-order on one
/// column is that sort) — committed as one Delta OPTIMIZE that changes no row (`dataChange`
/// false). Returns the files taken out and put in.
async fn compact(dir: &Path, table: Table, target_bytes: u64, zorder: bool) -> Result<(u64, u64), BronzeError> {
    use crate::rewrite;
    let delta = medallion_delta::open(medallion_delta::table_url(dir)?).await?;
    let files = rewrite::current_files(&delta)?;
    let mut by_partition: std::collections::BTreeMap<&str, Vec<&rewrite::CurrentFile>> = Default::default();
    for f in &files {
        by_partition.entry(f.part_dir()).or_default().push(f);
    }
    let (schema, _) = rewrite::layout_of(table);
    let version = delta.version().unwrap_or(0).to_string();
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    for (part, mut group) in by_partition.into_iter().filter(|(_, g)| g.len() > 1) {
        group.sort_by(|a, b| a.rel.cmp(&b.rel));
        let mut rows = rewrite::read_rows(dir, &group, &schema)?;
        if zorder {
            let all = arrow::compute::concat_batches(&schema, &rows)?;
            let column = all.column_by_name("ingestion_ts").ok_or_else(|| BronzeError::Lake(format!("{table} has no ingestion_ts")))?;
            let order = arrow::compute::sort_to_indices(column, None, None)?;
            rows = vec![arrow::compute::take_record_batch(&all, &order)?];
        }
        let stem = format!("compact-{}", rewrite::stem_hash(&[&version, part]));
        added.extend(rewrite::write_rows(dir, table, group[0], &stem, &rows, target_bytes)?);
        removed.extend(group);
    }
    if removed.is_empty() {
        return Ok((0, 0));
    }
    let operation = deltalake::protocol::DeltaOperation::Optimize { predicate: None, target_size: target_bytes as i64 };
    rewrite::replace(&delta, table, &removed, &added, false, operation, None, Vec::new()).await?;
    Ok((removed.len() as u64, added.len() as u64))
}

/// The fixed queries `medallion maintain` times before and after: every table's row count and
/// latest load, read from its current data files (as the transform reads Bronze). Seconds.
pub fn time_queries(lake: &Path) -> Result<f64, BronzeError> {
    let conn = duckdb::Connection::open_in_memory()?;
    let started = Instant::now();
    for table in Table::ALL.into_iter().filter(|t| table_dir(lake, *t).join("_delta_log").is_dir()) {
        let (_, files) = files_at(lake, table, None)?;
        if files.is_empty() {
            continue;
        }
        let list: Vec<String> = files.iter().map(|f| format!("'{}'", f.display().to_string().replace('\'', "''"))).collect();
        conn.query_row(&format!("select count(*), max(ingestion_ts) from read_parquet([{}])", list.join(", ")), [], |r| {
            r.get::<_, i64>(0)
        })?;
    }
    Ok(started.elapsed().as_secs_f64())
}
