//! The manifest `manifest_processed_files` in the DuckDB warehouse: one row per raw file with its
//! content hash, status and row accounting. It is the last commit point of a batch.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use duckdb::{AccessMode, Config, Connection, params};
use medallion_schema::Table;

use crate::BronzeError;
use crate::discover::SourceFile;
use crate::read::FileRead;

/// What happened to a raw file, as stored in the manifest's `status` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileStatus {
    /// Every row loaded.
    Loaded,
    /// Loaded, and some rows went to the rejects.
    LoadedWithRejects,
    /// The file as a whole could not be read (e.g. a corrupt container); it is tried again when
    /// its content changes.
    Failed,
    /// A dry run would load it (never stored).
    WouldLoad,
}

impl FileStatus {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            FileStatus::Loaded => "loaded",
            FileStatus::LoadedWithRejects => "loaded_with_rejects",
            FileStatus::Failed => "failed",
            FileStatus::WouldLoad => "would_load",
        }
    }

    /// The status of a stored word (`None` for a word this version does not write).
    pub fn parse(word: &str) -> Option<Self> {
        [FileStatus::Loaded, FileStatus::LoadedWithRejects, FileStatus::Failed, FileStatus::WouldLoad]
            .into_iter()
            .find(|s| s.as_str() == word)
    }
}

impl std::fmt::Display for FileStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One file's line in the manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestRow {
    /// The file, relative to the raw folder.
    pub src_path: String,
    /// Its table.
    pub table_name: Table,
    /// BLAKE3 of its content.
    pub content_hash: String,
    /// What happened to it.
    pub status: FileStatus,
    /// Rows read = loaded + rejected.
    pub rows_read: u64,
    /// Rows loaded.
    pub rows_loaded: u64,
    /// Rows rejected.
    pub rows_rejected: u64,
    /// Its size.
    pub bytes: u64,
    /// Time spent on it.
    pub seconds: f64,
    /// Why a file failed as a whole (empty otherwise; returns: what the version did).
    pub message: String,
    /// Rejected rows per reason code (reported, not stored: `bronze.rejects` has the rows).
    pub rejects_by_reason: std::collections::BTreeMap<String, u64>,
}

impl ManifestRow {
    /// The row of file `f` after reading it.
    pub fn new(f: &SourceFile, read: &FileRead, status: FileStatus, message: &str, seconds: f64) -> Self {
        ManifestRow {
            src_path: f.rel.clone(),
            table_name: f.table,
            content_hash: f.content_hash.clone(),
            status,
            rows_read: read.rows_read,
            rows_loaded: read.rows_loaded,
            rows_rejected: read.rejects.len() as u64,
            bytes: f.bytes,
            seconds,
            message: message.to_string(),
            rejects_by_reason: read.rejects.iter().fold(Default::default(), |mut m, r| {
                *m.entry(r.code.clone()).or_default() += 1;
                m
            }),
        }
    }
}

/// The manifest table, opened on one DuckDB connection.
pub struct Manifest {
    conn: Mutex<Connection>,
}

const DDL: &str = "
create table if not exists manifest_processed_files (
    src_path varchar primary key,
    table_name varchar not null,
    content_hash varchar not null,
    status varchar not null,
    rows_read bigint not null,
    rows_loaded bigint not null,
    rows_rejected bigint not null,
    bytes bigint not null,
    seconds double not null,
    batch_id varchar not null,
    processed_at timestamp not null,
    message varchar
)";

impl Manifest {
    /// Opens (and creates if needed) the manifest in the warehouse at `path`.
    pub fn open(path: &Path) -> Result<Self, BronzeError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| BronzeError::io(dir, e))?;
        }
        let new = !path.exists();
        let opened = Connection::open(path).and_then(|conn| conn.execute_batch(DDL).map(|_| conn));
        match opened {
            Ok(conn) => Ok(Manifest { conn: Mutex::new(conn) }),
            Err(e) => {
                // A warehouse that could not even be created (a full disk) is torn: remove it,
                // so the next run starts clean instead of failing to read it.
                if new {
                    let _ = std::fs::remove_file(path);
                    let _ = std::fs::remove_file(format!("{}.wal", path.display()));
                }
                Err(e.into())
            }
        }
    }

    /// Opens an existing warehouse read-only (dry runs).
    pub fn open_read_only(path: &Path) -> Result<Self, BronzeError> {
        let conn = Connection::open_with_flags(path, Config::default().access_mode(AccessMode::ReadOnly)?)?;
        Ok(Manifest { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the warehouse holds a manifest (a run of `medallion bronze` made it).
    pub fn exists(&self) -> Result<bool, BronzeError> {
        let n: i64 = self.conn().query_row(
            "select count(*) from information_schema.tables where table_name = 'manifest_processed_files'",
            [],
            |r| r.get(0),
        )?;
        Ok(n > 0)
    }

    /// The files none of whose rows is in Bronze: failed as a whole, or every row rejected (a
    /// breaking schema change): (path, why), by path.
    pub fn failed_files(&self) -> Result<Vec<(String, String)>, BronzeError> {
        if !self.exists()? {
            return Ok(Vec::new());
        }
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "select src_path, case when status = 'failed' then message else 'every row rejected; see bronze.rejects' end
             from manifest_processed_files where status = 'failed' or (rows_read > 0 and rows_loaded = 0) order by 1",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Files already processed: path → (content hash, whether a new content replaces it).
    /// Failed files are left out, so they are tried again on every run. A file whose every row
    /// was rejected (a breaking schema change) is replaced when its content changes: the
    /// source re-sent it corrected; any other change is reported and never loaded twice.
    pub fn known_files(&self) -> Result<HashMap<String, (String, bool)>, BronzeError> {
        let conn = self.conn();
        let exists: i64 =
            conn.query_row("select count(*) from information_schema.tables where table_name = 'manifest_processed_files'", [], |r| {
                r.get(0)
            })?;
        if exists == 0 {
            return Ok(HashMap::new());
        }
        let mut stmt =
            conn.prepare("select src_path, content_hash, status, rows_read > 0 and rows_loaded = 0 from manifest_processed_files")?;
        let rows =
            stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, bool>(3)?)))?;
        let mut out = HashMap::new();
        for row in rows {
            let (path, hash, status, wholly_rejected) = row?;
            if FileStatus::parse(&status) != Some(FileStatus::Failed) {
                out.insert(path, (hash, wholly_rejected));
            }
        }
        Ok(out)
    }

    /// The batch that last loaded `path`, if any.
    pub fn batch_of(&self, path: &str) -> Result<Option<String>, BronzeError> {
        let conn = self.conn();
        let mut stmt = conn.prepare("select batch_id from manifest_processed_files where src_path = ?")?;
        let mut rows = stmt.query_map([path], |r| r.get::<_, String>(0))?;
        Ok(rows.next().transpose()?)
    }

    /// Rows Bronze loaded per table (returns left out: its rows are versions' changes), none
    /// before the first load.
    pub fn rows_loaded_by_table(&self) -> Result<HashMap<String, u64>, BronzeError> {
        if !self.exists()? {
            return Ok(HashMap::new());
        }
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "select table_name, sum(rows_loaded)::bigint from manifest_processed_files where table_name <> 'returns' group by all",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The raw files load `batch` of `table` read, in the order it read them, with their
    /// content hashes.
    pub fn files_of_batch(&self, table: Table, batch: &str) -> Result<Vec<(String, String)>, BronzeError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "select src_path, content_hash from manifest_processed_files where table_name = ? and batch_id = ? order by src_path",
        )?;
        let rows = stmt.query_map(params![table.name(), batch], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records a batch's files in one transaction.
    pub fn record(&self, batch_id: &str, rows: &[ManifestRow]) -> Result<(), BronzeError> {
        let mut conn = self.conn();
        let now_us = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros() as i64);
        // One statement per batch, not per file: rows go through an appender into a
        // connection-local staging table, then upsert together.
        conn.execute_batch(
            "create temp table if not exists manifest_staging as
                 select * exclude (processed_at), 0::bigint as processed_at_us from manifest_processed_files limit 0;
             delete from manifest_staging",
        )?;
        let tx = conn.transaction()?;
        {
            let mut app = tx.appender("manifest_staging")?;
            for r in rows {
                app.append_row(params![
                    r.src_path,
                    r.table_name.name(),
                    r.content_hash,
                    r.status.as_str(),
                    r.rows_read as i64,
                    r.rows_loaded as i64,
                    r.rows_rejected as i64,
                    r.bytes as i64,
                    r.seconds,
                    batch_id,
                    r.message,
                    now_us
                ])?;
            }
            app.flush()?;
        }
        tx.execute_batch(
            "insert or replace into manifest_processed_files
                 select src_path, table_name, content_hash, status, rows_read, rows_loaded, rows_rejected, bytes, seconds,
                        batch_id, make_timestamp(processed_at_us), message
                 from manifest_staging",
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Views `bronze.<table>` (and `bronze.rejects`) over the Bronze Parquet files, so dbt
    /// sources read them by name.
    pub fn register_views(&self, lake: &Path) -> Result<Vec<std::path::PathBuf>, BronzeError> {
        let lake = std::fs::canonicalize(lake).map_err(|e| BronzeError::io(lake, e))?;
        let conn = self.conn();
        conn.execute_batch("create schema if not exists bronze")?;
        for table in Table::ALL {
            let dir = lake.join(format!("bronze/parquet/{table}"));
            if dir.exists() {
                let glob = dir.join("**").join("*.parquet");
                conn.execute_batch(&format!(
                    "create or replace view bronze.{table} as select * from read_parquet('{}', hive_partitioning = true, union_by_name = true)",
                    glob.display()
                ))?;
            }
        }
        // The rejects view lists the files Bronze wrote (`rejects-<batch>.parquet`, checked to be
        // Parquet), so a stray or broken file under _rejects/ cannot break it: it is left out
        // and returned, for the run to name.
        let mut files = Vec::new();
        let mut left_out = Vec::new();
        for table in Table::ALL {
            let Ok(entries) = std::fs::read_dir(lake.join("_rejects").join(table.name())) else { continue };
            for path in entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()) {
                let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
                if name.starts_with("rejects-") && name.ends_with(".parquet") && is_parquet(&path) {
                    files.push(path);
                } else if !name.ends_with(".tmp") {
                    left_out.push(path);
                }
            }
        }
        files.sort();
        let rejects = if files.is_empty() {
            // Nothing rejected yet (a clean dataset): the view still exists, empty, with the
            // rejects' columns, so models and checks reading it run.
            let columns: Vec<String> = crate::layout::rejects_schema()
                .fields()
                .iter()
                .map(|f| {
                    let sql_type = match f.data_type() {
                        arrow::datatypes::DataType::Int64 => "bigint",
                        arrow::datatypes::DataType::Timestamp(_, _) => "timestamptz",
                        _ => "varchar",
                    };
                    format!("null::{sql_type} as {}", f.name())
                })
                .collect();
            format!("select {} where false", columns.join(", "))
        } else {
            let list: Vec<String> = files.iter().map(|p| format!("'{}'", p.display().to_string().replace('\'', "''"))).collect();
            format!("select * from read_parquet([{}], hive_partitioning = false, filename = false)", list.join(", "))
        };
        conn.execute_batch(&format!("create or replace view bronze.rejects as {rejects}"))?;
        Ok(left_out)
    }
}

/// Whether `path` looks like a whole Parquet file: "PAR1" at both ends.
fn is_parquet(path: &Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else { return false };
    let (mut head, mut tail) = ([0u8; 4], [0u8; 4]);
    f.read_exact(&mut head).is_ok()
        && f.seek(SeekFrom::End(-4)).is_ok()
        && f.read_exact(&mut tail).is_ok()
        && &head == b"PAR1"
        && &tail == b"PAR1"
}
