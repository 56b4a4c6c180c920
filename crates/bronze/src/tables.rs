//! Operations on a lake's Bronze Delta tables, with deltalake's own operations: a table's
//! history, its files and rows as of a version, what changed between two versions (by key),
//! and restoring a version (only over commits that were not Bronze loads, which a restore
//! would lose for good: their raw files are in the manifest and would not load again).

use std::path::{Path, PathBuf};

use deltalake::DeltaTable;
use duckdb::Connection;
use medallion_schema::Table;

use crate::BronzeError;

/// The Delta folder of `table` in `lake`.
pub fn table_dir(lake: &Path, table: Table) -> PathBuf {
    lake.join("bronze").join("delta").join(table.name())
}

fn runtime(lake: &Path) -> Result<tokio::runtime::Runtime, BronzeError> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| BronzeError::io(lake, e))
}

/// Opens `table` of `lake`, as of `version` (the latest when none).
async fn open(lake: &Path, table: Table, version: Option<u64>) -> Result<DeltaTable, BronzeError> {
    let dir = table_dir(lake, table);
    if !dir.join("_delta_log").is_dir() {
        return Err(BronzeError::BadPath {
            flag: "--table",
            path: dir,
            problem: format!("no Bronze Delta table {table} here (load it first)"),
        });
    }
    let mut delta = medallion_delta::open(medallion_delta::table_url(&dir)?).await?;
    if let Some(v) = version {
        let latest = delta.version().unwrap_or(0);
        if !(0..=latest).contains(&v) {
            return Err(BronzeError::BadPath {
                flag: "--version",
                path: dir,
                problem: format!("{table} has versions 0 to {latest}; there is no version {v}"),
            });
        }
        delta.load_version(v).await?;
    }
    Ok(delta)
}

/// One commit of a table's history.
#[derive(Debug, Clone, PartialEq)]
pub struct Commit {
    /// The table version it made.
    pub version: u64,
    /// When (milliseconds since the epoch, UTC).
    pub timestamp_ms: Option<i64>,
    /// Delta's name for what it did (WRITE, MERGE, RESTORE, OPTIMIZE, VACUUM START, …).
    pub operation: String,
    /// The Bronze load it belongs to (`medallion-bronze-<batch>`), for commits of a load; for a
    /// repair (`medallion delta repair`), `repair of <file>`.
    pub load: Option<String>,
    /// Its operation metrics, as Delta recorded them (files and rows added, removed, …).
    pub metrics: String,
}

impl Commit {
    /// When, as `YYYY-MM-DD HH:MM:SS.mmm` UTC (empty when the commit has no time).
    pub fn time_utc(&self) -> String {
        let Some(ms) = self.timestamp_ms else { return String::new() };
        let (days, ms_of_day) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
        let (year, month, day) = medallion_schema::calendar::civil_from_days(days as medallion_schema::calendar::Day);
        let (h, m, sec, milli) = (ms_of_day / 3_600_000, ms_of_day / 60_000 % 60, ms_of_day / 1000 % 60, ms_of_day % 1000);
        format!("{year:04}-{month:02}-{day:02} {h:02}:{m:02}:{sec:02}.{milli:03}")
    }
}

/// Every commit of `table`, oldest first.
pub fn history(lake: &Path, table: Table) -> Result<Vec<Commit>, BronzeError> {
    runtime(lake)?.block_on(async {
        let delta = open(lake, table, None).await?;
        let latest = delta.version().unwrap_or(0);
        // deltalake lists the commits newest first, one per commit file.
        let infos: Vec<_> = delta.history(None).await?.collect();
        let mut commits: Vec<Commit> = infos
            .into_iter()
            .enumerate()
            .map(|(i, info)| Commit {
                version: latest.saturating_sub(i as u64),
                timestamp_ms: info.timestamp,
                operation: info.operation.clone().unwrap_or_default(),
                load: info
                    .info
                    .get(medallion_delta::LOAD_KEY)
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
                    .or_else(|| info.info.get(medallion_delta::REPAIR_KEY).and_then(|v| v.as_str()).map(|f| format!("repair of {f}"))),
                metrics: info.info.get("operationMetrics").map(|m| m.to_string()).unwrap_or_default(),
            })
            .collect();
        commits.reverse();
        Ok(commits)
    })
}

/// The data files of `table` as of `version` (the latest when none), and that version.
pub fn files_at(lake: &Path, table: Table, version: Option<u64>) -> Result<(u64, Vec<PathBuf>), BronzeError> {
    runtime(lake)?.block_on(files_of(lake, table, version))
}

async fn files_of(lake: &Path, table: Table, version: Option<u64>) -> Result<(u64, Vec<PathBuf>), BronzeError> {
    let delta = open(lake, table, version).await?;
    let files = delta.get_file_uris()?.map(|uri| PathBuf::from(uri.strip_prefix("file://").unwrap_or(&uri).to_string())).collect();
    Ok((delta.version().unwrap_or(0), files))
}

/// A DuckDB `read_parquet` over `files` (an empty select with no rows when there are none).
fn read_files(files: &[PathBuf]) -> String {
    let list: Vec<String> = files.iter().map(|f| format!("'{}'", f.display().to_string().replace('\'', "''"))).collect();
    format!("read_parquet([{}], union_by_name = true)", list.join(", "))
}

/// What changed in a table between two versions, by key: rows whose key appears only in the
/// later version (added), only in the earlier (removed), or in both with other content
/// (changed, compared by `src_row_hash`, the hash of the raw row).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Diff {
    /// The earlier version.
    pub from: u64,
    /// The later version.
    pub to: u64,
    /// Keys only in `to`.
    pub added: u64,
    /// Keys only in `from`.
    pub removed: u64,
    /// Keys in both whose rows differ.
    pub changed: u64,
    /// Up to five keys of each kind: (kind, key).
    pub examples: Vec<(String, String)>,
}

/// Compares `table` at versions `from` and `to` by its primary key.
pub fn diff(lake: &Path, table: Table, from: u64, to: u64) -> Result<Diff, BronzeError> {
    let (_, before) = files_at(lake, table, Some(from))?;
    let (_, after) = files_at(lake, table, Some(to))?;
    let conn = Connection::open_in_memory()?;
    // The raw primary key where Bronze keeps its columns; otherwise (events keep the raw JSON
    // line) each raw row is its own key, so rows are added or removed, never changed.
    let columns: Vec<String> = match before.first().or(after.first()) {
        Some(_) => {
            let any = if before.is_empty() { &after } else { &before };
            let mut stmt = conn.prepare(&format!("select column_name from (describe select * from {})", read_files(any)))?;
            stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?
        }
        None => Vec::new(),
    };
    let primary = &table.raw().primary_key;
    let key = if primary.iter().all(|k| columns.contains(k)) {
        primary.iter().map(|k| format!("cast(\"{k}\" as varchar)")).collect::<Vec<_>>().join(" || '|' || ")
    } else {
        "src_row_hash".to_string()
    };
    // A version's rows as (key, sorted hashes): a key's content is the set of its raw rows.
    let rows = |files: &[PathBuf]| {
        if files.is_empty() {
            "(select null::varchar as k, null::varchar as h where false)".to_string()
        } else {
            format!("(select {key} as k, string_agg(src_row_hash, ',' order by src_row_hash) as h from {} group by 1)", read_files(files))
        }
    };
    conn.execute_batch(&format!(
        "create temp table a as select * from {}; create temp table b as select * from {};",
        rows(&before),
        rows(&after)
    ))?;
    let count = |sql: &str| -> Result<u64, BronzeError> { Ok(conn.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64) };
    let added = "select k from b where k not in (select k from a)";
    let removed = "select k from a where k not in (select k from b)";
    let changed = "select b.k from a join b on a.k = b.k where a.h is distinct from b.h";
    let mut diff = Diff {
        from,
        to,
        added: count(&format!("select count(*) from ({added})"))?,
        removed: count(&format!("select count(*) from ({removed})"))?,
        changed: count(&format!("select count(*) from ({changed})"))?,
        examples: Vec::new(),
    };
    for (kind, sql) in [("added", added), ("removed", removed), ("changed", changed)] {
        let mut stmt = conn.prepare(&format!("{sql} order by 1 limit 5"))?;
        for k in stmt.query_map([], |r| r.get::<_, String>(0))? {
            diff.examples.push((kind.to_string(), k?));
        }
    }
    Ok(diff)
}

/// Creates (or replaces) the view `bronze_history.<table>_v<version>` in `warehouse`: the table's
/// rows as of that version, for `medallion sql` and dbt. Returns the view's name.
pub fn create_view_at(lake: &Path, warehouse: &Path, table: Table, version: u64) -> Result<String, BronzeError> {
    let (version, files) = files_at(lake, table, Some(version))?;
    let name = format!("bronze_history.{table}_v{version}");
    let conn = Connection::open(warehouse)?;
    let source = if files.is_empty() { format!("(select * from bronze.{table} where false)") } else { read_files(&files) };
    conn.execute_batch(&format!("create schema if not exists bronze_history; create or replace view {name} as select * from {source}"))?;
    Ok(name)
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq)]
pub struct Restored {
    /// The version the table was at.
    pub was: u64,
    /// The version restored.
    pub restored: u64,
    /// The new version the restore committed (the history keeps every version).
    pub now: u64,
    /// Data files the restore took out, and put back.
    pub files_removed: usize,
    /// See [`Restored::files_removed`].
    pub files_restored: usize,
}

/// Restores `table` to `version` with Delta's RESTORE, holding the lake's lock, then brings the
/// Parquet mirror (`bronze/parquet/<table>`, what the `bronze.*` views read) to the same files.
/// Refuses when a commit after `version` is a Bronze load: its rows would be gone and its raw
/// files, already in the manifest, would not load again.
pub fn restore(lake: &Path, table: Table, version: u64) -> Result<Restored, BronzeError> {
    let _lock = crate::lock::Lock::acquire(&lake.join("_bronze.lock"))?;
    // Loads are tagged; an untagged write or merge may be a load of an older medallion.
    let later_loads: Vec<String> = history(lake, table)?
        .into_iter()
        .filter(|c| c.version > version)
        .filter_map(|c| match c.load {
            Some(load) => Some(format!("{load} (version {})", c.version)),
            None if matches!(c.operation.as_str(), "WRITE" | "MERGE" | "CREATE TABLE") => {
                Some(format!("an untagged {} (version {})", c.operation, c.version))
            }
            None => None,
        })
        .collect();
    if !later_loads.is_empty() {
        return Err(BronzeError::Lake(format!(
            "{table}: restoring version {version} would undo Bronze loads whose raw files would not load again: {}. \
             Restore undoes commits made outside Bronze (a bad delete or update); to reload, rebuild the lake",
            later_loads.join(", ")
        )));
    }
    let rt = runtime(lake)?;
    let (was, now, metrics) = rt.block_on(async {
        let delta = open(lake, table, None).await?;
        let was = delta.version().unwrap_or(0);
        if version >= was {
            return Err(BronzeError::BadPath {
                flag: "--version",
                path: table_dir(lake, table),
                problem: format!("{table} is at version {was}; restore takes an earlier version"),
            });
        }
        open(lake, table, Some(version)).await?;
        let (delta, metrics) = delta.restore().with_version_to_restore(version).await?;
        Ok::<_, BronzeError>((was, delta.version().unwrap_or(0), metrics))
    })?;
    sync_mirror(lake, table, &rt)?;
    Ok(Restored { was, restored: version, now, files_removed: metrics.num_removed_file, files_restored: metrics.num_restored_file })
}

/// Deletes the rows of `table` matching `predicate` (a SQL condition on its columns, e.g.
/// `customer_id = 42` for an erasure request), holding the lake's lock: each data file holding
/// such rows is rewritten without them (DuckDB evaluates the condition) and the rewrites are
/// one Delta DELETE commit; the Parquet mirror follows. The history keeps the rows: `restore`
/// brings them back. Returns the rows deleted and the table's version after it.
pub fn delete(lake: &Path, table: Table, predicate: &str) -> Result<(u64, u64), BronzeError> {
    use crate::rewrite;
    let _lock = crate::lock::Lock::acquire(&lake.join("_bronze.lock"))?;
    let rt = runtime(lake)?;
    let dir = table_dir(lake, table);
    let (schema, pcol) = rewrite::layout_of(table);
    let (deleted, version) = rt.block_on(async {
        let delta = open(lake, table, None).await?;
        let files = rewrite::current_files(&delta)?;
        let conn = Connection::open_in_memory()?;
        let (mut deleted, mut removed, mut added) = (0u64, Vec::new(), Vec::new());
        for f in &files {
            // The partition column is in the path, not the file: hive partitioning gives it back.
            let source = format!(
                "read_parquet('{}', hive_partitioning = {})",
                dir.join(&f.rel).display().to_string().replace('\'', "''"),
                pcol.is_some()
            );
            let matching: i64 = conn
                .query_row(&format!("select count(*) from {source} where {predicate}"), [], |r| r.get(0))
                .map_err(|e| BronzeError::Lake(format!("--where {predicate}: {e}")))?;
            if matching == 0 {
                continue;
            }
            deleted += matching as u64;
            let columns: Vec<String> = schema.fields().iter().map(|c| format!("\"{}\"", c.name())).collect();
            let mut stmt =
                conn.prepare(&format!("select {} from {source} where not coalesce(({predicate}), false)", columns.join(", ")))?;
            let kept: Vec<arrow::array::RecordBatch> =
                stmt.query_arrow([])?.map(|b| rewrite::conform(&b, &schema)).collect::<Result<_, _>>()?;
            let stem = format!("rewrite-{}", rewrite::stem_hash(&[&f.rel, predicate]));
            added.extend(rewrite::write_rows(&dir, table, f, &stem, &kept, u64::MAX)?);
            removed.push(f);
        }
        if removed.is_empty() {
            return Ok::<_, BronzeError>((0, delta.version().unwrap_or(0)));
        }
        let operation = deltalake::protocol::DeltaOperation::Delete { predicate: Some(predicate.to_string()) };
        let delta = rewrite::replace(&delta, table, &removed, &added, true, operation, None, Vec::new()).await?;
        Ok((deleted, delta.version().unwrap_or(0)))
    })?;
    sync_mirror(lake, table, &rt)?;
    Ok((deleted, version))
}

/// The mirror of a table without data files: an empty Parquet file that gives the `bronze.*`
/// view its columns (DuckDB cannot read a folder without files).
pub(crate) const EMPTY_MIRROR_FILE: &str = "empty.parquet";

/// Makes the Parquet mirror hold exactly the table's current data files: hard links of them
/// (or [`EMPTY_MIRROR_FILE`] when it has none).
pub(crate) fn sync_mirror(lake: &Path, table: Table, rt: &tokio::runtime::Runtime) -> Result<(), BronzeError> {
    let mirror = lake.join("bronze").join("parquet").join(table.name());
    // deltalake gives absolute file paths: compare them with the absolute table folder.
    let delta_dir = std::fs::canonicalize(table_dir(lake, table)).map_err(|e| BronzeError::io(&table_dir(lake, table), e))?;
    let (_, files) = rt.block_on(files_of(lake, table, None))?;
    let wanted: std::collections::BTreeSet<PathBuf> =
        files.iter().filter_map(|f| f.strip_prefix(&delta_dir).ok().map(Path::to_path_buf)).collect();
    // Remove what the table no longer holds.
    for existing in parquet_files_under(&mirror) {
        let relative = existing.strip_prefix(&mirror).map(Path::to_path_buf).unwrap_or_default();
        let kept_empty_file = wanted.is_empty() && relative == Path::new(EMPTY_MIRROR_FILE);
        if !wanted.contains(&relative) && !kept_empty_file {
            std::fs::remove_file(&existing).map_err(|e| BronzeError::io(&existing, e))?;
        }
    }
    if wanted.is_empty() && !mirror.join(EMPTY_MIRROR_FILE).exists() {
        crate::layout::write_parquet(&mirror.join(EMPTY_MIRROR_FILE), crate::rewrite::layout_of(table).0, &[])?;
    }
    // Link what it holds and the mirror lacks.
    for relative in &wanted {
        let (from, to) = (delta_dir.join(relative), mirror.join(relative));
        if to.exists() {
            continue;
        }
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|e| BronzeError::io(parent, e))?;
        }
        if std::fs::hard_link(&from, &to).is_err() {
            std::fs::copy(&from, &to).map_err(|e| BronzeError::io(&to, e))?;
        }
    }
    Ok(())
}

pub(crate) fn parquet_files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        if path.is_dir() {
            out.extend(parquet_files_under(&path));
        } else if path.extension().is_some_and(|x| x == "parquet") {
            out.push(path);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Commit;

    #[test]
    fn commit_times_read_as_utc() {
        let at =
            |ms| Commit { version: 0, timestamp_ms: Some(ms), operation: String::new(), load: None, metrics: String::new() }.time_utc();
        assert_eq!(at(0), "1970-01-01 00:00:00.000");
        assert_eq!(at(1_709_251_199_999), "2024-02-29 23:59:59.999");
        assert_eq!(at(1_796_169_600_123), "2026-12-02 00:00:00.123");
    }
}
