//! Writes Parquet data files straight into a Delta table's folder, streaming (one row group in
//! memory), and commits them with the `deltalake` transaction API.
//!
//! Why not `DeltaTable::write`: it takes every batch in memory, plans the write through
//! DataFusion and names files with random UUIDs. Bronze needs each row encoded once (the same
//! file is hard-linked into the plain Parquet layout) and bounded memory; the generator needs
//! deterministic file names and bounded memory at any scale.
#![warn(missing_docs)]

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{Schema, SchemaRef};
use deltalake::kernel::engine::arrow_conversion::TryIntoKernel;
use deltalake::kernel::transaction::{CommitBuilder, CommitProperties};
use deltalake::kernel::{Action, Add, Remove, StructType, Transaction};
use deltalake::protocol::{DeltaOperation, SaveMode};
use deltalake::{DeltaTable, DeltaTableError};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};

/// Why a data file or a commit failed. Each variant keeps its cause as `source()`.
#[derive(Debug, thiserror::Error)]
pub enum DeltaIoError {
    /// A file or folder could not be created, written or renamed.
    #[error("{}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The Parquet writer failed.
    #[error("{file}: writing Parquet")]
    Parquet {
        /// The file.
        file: String,
        /// What the Parquet writer said.
        source: parquet::errors::ParquetError,
    },
    /// The Delta log refused an operation.
    #[error("Delta log")]
    Delta(#[from] DeltaTableError),
    /// Arrow refused a batch or schema.
    #[error("Arrow")]
    Arrow(#[from] arrow::error::ArrowError),
    /// A path or schema Delta cannot take.
    #[error("{0}")]
    Invalid(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DeltaIoError + '_ {
    move |source| DeltaIoError::Io { path: path.to_path_buf(), source }
}

/// How data files are encoded and when a new one is started.
#[derive(Debug, Clone)]
pub struct FileOptions {
    /// zstd level.
    pub zstd_level: i32,
    /// Rows per row group.
    pub max_row_group_rows: usize,
    /// A file is closed once its encoded size reaches this many bytes.
    pub target_file_bytes: u64,
    /// A file is closed once it holds this many rows (deterministic file boundaries).
    pub max_file_rows: u64,
    /// The file's `created_by` (fixed, for byte-identical files).
    pub created_by: String,
    /// Columns with (nearly) unique values: a dictionary only costs time there.
    pub no_dictionary: Vec<String>,
    /// Columns of random bytes (hashes): stored without compression or min/max statistics,
    /// neither of which gains anything there.
    pub random_bytes: Vec<String>,
    /// Record each data file's BLAKE3 in its add action ([`CHECKSUM_TAG`]), so a check can
    /// tell a file changed on disk after it was committed (a flipped byte decodes silently).
    pub checksum: bool,
}

impl Default for FileOptions {
    fn default() -> Self {
        FileOptions {
            zstd_level: 3,
            max_row_group_rows: 512 * 1024,
            target_file_bytes: 192 << 20,
            max_file_rows: u64::MAX,
            created_by: "medallion".into(),
            no_dictionary: Vec::new(),
            random_bytes: Vec::new(),
            checksum: false,
        }
    }
}

impl FileOptions {
    /// The Parquet writer properties these options stand for: the one Parquet setup of the
    /// project (generator, Bronze data files, rejects).
    pub fn writer_properties(&self) -> Result<WriterProperties, DeltaIoError> {
        let level = ZstdLevel::try_new(self.zstd_level).map_err(|source| DeltaIoError::Parquet { file: String::new(), source })?;
        let mut props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(level))
            .set_max_row_group_row_count(Some(self.max_row_group_rows))
            .set_created_by(self.created_by.clone());
        for col in &self.no_dictionary {
            props = props.set_column_dictionary_enabled(col.as_str().into(), false);
        }
        for col in &self.random_bytes {
            props = props
                .set_column_compression(col.as_str().into(), Compression::UNCOMPRESSED)
                .set_column_statistics_enabled(col.as_str().into(), EnabledStatistics::None);
        }
        Ok(props.build())
    }
}

/// One Parquet file written as it streams by (a row group in memory at most), as `<name>.tmp`
/// renamed into place when closed: a crash never leaves a torn file under its final name.
pub struct ParquetFile {
    path: PathBuf,
    tmp: PathBuf,
    writer: ArrowWriter<File>,
    rows: u64,
}

impl ParquetFile {
    /// Starts `path` (its folder is created) with `schema`, encoded as `options` say.
    pub fn create(path: &Path, schema: SchemaRef, options: &FileOptions) -> Result<Self, DeltaIoError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(io(dir))?;
        }
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let file = File::create(&tmp).map_err(io(&tmp))?;
        let writer = ArrowWriter::try_new(file, schema, Some(options.writer_properties()?))
            .map_err(|source| DeltaIoError::Parquet { file: path.display().to_string(), source })?;
        Ok(ParquetFile { path: path.to_path_buf(), tmp, writer, rows: 0 })
    }

    /// Appends a batch.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), DeltaIoError> {
        self.rows += batch.num_rows() as u64;
        self.writer.write(batch).map_err(|source| DeltaIoError::Parquet { file: self.path.display().to_string(), source })
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Finishes the file and renames it into place; returns its size in bytes.
    pub fn close(self) -> Result<u64, DeltaIoError> {
        self.writer.close().map_err(|source| DeltaIoError::Parquet { file: self.path.display().to_string(), source })?;
        fs::rename(&self.tmp, &self.path).map_err(io(&self.path))?;
        Ok(fs::metadata(&self.path).map_err(io(&self.path))?.len())
    }
}

/// One finished data file, relative to the table root.
#[derive(Debug, Clone)]
pub struct DataFile {
    /// Path relative to the table root.
    pub rel: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Rows.
    pub rows: u64,
    /// Partition values recorded in its add action.
    pub partition_values: Vec<(String, String)>,
    /// BLAKE3 of the file (64 hex digits), when its options asked for it.
    pub blake3: Option<String>,
    null_counts: Vec<(String, u64)>,
}

/// The add-action tag holding a data file's BLAKE3 (written when `FileOptions::checksum`).
pub const CHECKSUM_TAG: &str = "medallion.blake3";

impl DataFile {
    /// The Delta `add` action for this file, with row and null-count statistics.
    pub fn add(&self, modification_ms: i64) -> Add {
        let nulls: serde_json::Map<String, serde_json::Value> =
            self.null_counts.iter().map(|(c, n)| (c.clone(), serde_json::Value::from(*n))).collect();
        let stats = serde_json::json!({ "numRecords": self.rows, "nullCount": nulls });
        Add {
            path: self.rel.clone(),
            partition_values: self.partition_values.iter().map(|(k, v)| (k.clone(), Some(v.clone()))).collect(),
            size: self.bytes as i64,
            modification_time: modification_ms,
            data_change: true,
            stats: Some(stats.to_string()),
            tags: self.blake3.as_ref().map(|h| [(CHECKSUM_TAG.to_string(), Some(h.clone()))].into_iter().collect()),
            ..Default::default()
        }
    }

    /// The `remove` action that takes this file out of the table.
    pub fn remove(&self, deletion_ms: i64) -> Remove {
        remove_action(&self.rel, self.bytes, &self.partition_values, true, deletion_ms)
    }
}

/// The operation a MERGE commit records: rows of the source matched to the table on
/// `merge_predicate` (e.g. `target.id = source.id`), as a Delta reader shows it in the history.
pub fn merge_operation(merge_predicate: &str) -> DeltaOperation {
    DeltaOperation::Merge {
        predicate: None,
        merge_predicate: Some(merge_predicate.to_string()),
        matched_predicates: Vec::new(),
        not_matched_predicates: Vec::new(),
        not_matched_by_source_predicates: Vec::new(),
    }
}

/// The `remove` action that takes data file `rel` (of `bytes`, in partition `partition_values`)
/// out of a table; `data_change` false for a rewrite that changes no row.
pub fn remove_action(rel: &str, bytes: u64, partition_values: &[(String, String)], data_change: bool, deletion_ms: i64) -> Remove {
    Remove {
        path: rel.to_string(),
        data_change,
        deletion_timestamp: Some(deletion_ms),
        extended_file_metadata: Some(true),
        partition_values: Some(partition_values.iter().map(|(k, v)| (k.clone(), Some(v.clone()))).collect()),
        size: Some(bytes as i64),
        ..Default::default()
    }
}

/// A file that hashes what is written through it (the data file's checksum costs no re-read).
struct HashingFile {
    file: File,
    hasher: Option<blake3::Hasher>,
}

impl std::io::Write for HashingFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        if let Some(h) = self.hasher.as_mut() {
            h.update(&buf[..n]);
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

struct OpenFile {
    rel: String,
    tmp: PathBuf,
    writer: ArrowWriter<HashingFile>,
    rows: u64,
    nulls: Vec<u64>,
}

/// Streams batches into numbered data files `<dir>/<stem>-<nnnnn>.parquet` under a table root.
/// Files are written as `.tmp` and renamed when closed, so a crash never leaves a torn file
/// under a final name.
pub struct DataFileWriter {
    root: PathBuf,
    prefix: String,
    schema: SchemaRef,
    partition_values: Vec<(String, String)>,
    props: WriterProperties,
    options: FileOptions,
    open: Option<OpenFile>,
    done: Vec<DataFile>,
}

impl DataFileWriter {
    /// `dir` is relative to `root` (e.g. `order_month=2024-01`, or empty); `partition_values`
    /// are recorded in the add actions (the data files do not store partition columns).
    pub fn new(
        root: &Path,
        dir: &str,
        stem: &str,
        schema: SchemaRef,
        partition_values: Vec<(String, String)>,
        options: FileOptions,
    ) -> Result<Self, DeltaIoError> {
        let props = options.writer_properties()?;
        let prefix = if dir.is_empty() { stem.to_string() } else { format!("{dir}/{stem}") };
        Ok(DataFileWriter { root: root.to_path_buf(), prefix, schema, partition_values, props, options, open: None, done: Vec::new() })
    }

    /// The schema of every file.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Rows written so far, in all files.
    pub fn rows(&self) -> u64 {
        self.done.iter().map(|f| f.rows).sum::<u64>() + self.open.as_ref().map_or(0, |f| f.rows)
    }

    /// Writes a batch, starting new files at the size and row limits.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), DeltaIoError> {
        let mut offset = 0;
        while offset < batch.num_rows() {
            let max_rows = self.options.max_file_rows;
            let room = {
                let file = self.open_file()?;
                (max_rows - file.rows).min((batch.num_rows() - offset) as u64) as usize
            };
            let slice = batch.slice(offset, room);
            let file = self.open.as_mut().expect("opened above");
            for (n, col) in file.nulls.iter_mut().zip(slice.columns()) {
                *n += col.null_count() as u64;
            }
            let root = &self.root;
            file.writer
                .write(&slice)
                .map_err(|source| DeltaIoError::Parquet { file: root.join(&file.rel).display().to_string(), source })?;
            file.rows += room as u64;
            offset += room;
            let full = file.rows >= self.options.max_file_rows
                || file.writer.bytes_written() as u64 + file.writer.in_progress_size() as u64 >= self.options.target_file_bytes;
            if full {
                self.close_file()?;
            }
        }
        Ok(())
    }

    fn open_file(&mut self) -> Result<&mut OpenFile, DeltaIoError> {
        if self.open.is_none() {
            let rel = format!("{}-{:05}.parquet", self.prefix, self.done.len());
            let path = self.root.join(&rel);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).map_err(io(parent))?;
            }
            let tmp = path.with_extension("parquet.tmp");
            let file = File::create(&tmp).map_err(io(&tmp))?;
            let file = HashingFile { file, hasher: self.options.checksum.then(blake3::Hasher::new) };
            let writer = ArrowWriter::try_new(file, self.schema.clone(), Some(self.props.clone()))
                .map_err(|source| DeltaIoError::Parquet { file: path.display().to_string(), source })?;
            let nulls = vec![0; self.schema.fields().len()];
            self.open = Some(OpenFile { rel, tmp, writer, rows: 0, nulls });
        }
        Ok(self.open.as_mut().expect("just opened"))
    }

    fn close_file(&mut self) -> Result<(), DeltaIoError> {
        let Some(file) = self.open.take() else { return Ok(()) };
        let path = self.root.join(&file.rel);
        let hashed = file.writer.into_inner().map_err(|source| DeltaIoError::Parquet { file: path.display().to_string(), source })?;
        let blake3 = hashed.hasher.map(|h| h.finalize().to_hex().to_string());
        fs::rename(&file.tmp, &path).map_err(io(&path))?;
        let bytes = fs::metadata(&path).map_err(io(&path))?.len();
        let null_counts = self.schema.fields().iter().zip(file.nulls).map(|(f, n)| (f.name().clone(), n)).collect();
        self.done.push(DataFile {
            rel: file.rel,
            bytes,
            rows: file.rows,
            partition_values: self.partition_values.clone(),
            blake3,
            null_counts,
        });
        Ok(())
    }

    /// Closes the open file; returns every file written (none if no rows were written).
    pub fn finish(mut self) -> Result<Vec<DataFile>, DeltaIoError> {
        self.close_file()?;
        Ok(self.done)
    }
}

/// The URL of a local table folder, created if missing.
pub fn table_url(path: &Path) -> Result<url::Url, DeltaIoError> {
    fs::create_dir_all(path).map_err(io(path))?;
    let abs = fs::canonicalize(path).map_err(io(path))?;
    url::Url::from_directory_path(&abs).map_err(|_| DeltaIoError::Invalid(format!("not a usable path: {}", abs.display())))
}

/// Milliseconds since the epoch, for add/remove actions.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// What a commit adds to a table.
pub struct Commit {
    /// add / remove / metadata actions.
    pub actions: Vec<Action>,
    /// The operation recorded in the commit info.
    pub operation: DeltaOperation,
    /// An application transaction (`txn` action) that makes the commit idempotent.
    pub app_txn: Option<String>,
    /// Further entries of the commit info (e.g. [`INGESTION_KEY`]).
    pub metadata: Vec<(String, serde_json::Value)>,
}

impl Commit {
    /// An append of new data files.
    pub fn append(files: &[DataFile], partition_by: Option<&str>) -> Self {
        let ms = now_ms();
        Commit {
            actions: files.iter().map(|f| Action::Add(f.add(ms))).collect(),
            operation: DeltaOperation::Write {
                mode: SaveMode::Append,
                partition_by: partition_by.map(|c| vec![c.to_string()]),
                predicate: None,
            },
            app_txn: None,
            metadata: Vec::new(),
        }
    }

    /// Tags the commit with an application transaction `app_id` (version 1).
    pub fn with_app_txn(mut self, app_id: impl Into<String>) -> Self {
        self.app_txn = Some(app_id.into());
        self
    }

    /// Adds an entry to the commit info.
    pub fn with_metadata(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.metadata.push((key.to_string(), value.into()));
        self
    }
}

/// The table's schema in Delta terms: data columns, then partition columns (as strings).
pub fn delta_schema(data: &Schema, partition_by: Option<&str>) -> Result<StructType, DeltaIoError> {
    let mut fields: Vec<arrow::datatypes::Field> = data.fields().iter().map(|f| f.as_ref().clone()).collect();
    if let Some(col) = partition_by {
        fields.push(arrow::datatypes::Field::new(col, arrow::datatypes::DataType::Utf8, false));
    }
    Arc::new(Schema::new(fields)).as_ref().try_into_kernel().map_err(|e| DeltaIoError::Invalid(format!("schema: {e}")))
}

/// Whether an existing table's schema is exactly `data_schema` plus the partition column
/// (a table without a version matches anything).
pub fn schema_matches(table: &DeltaTable, data_schema: &Schema, partition_by: Option<&str>) -> Result<bool, DeltaIoError> {
    if table.version().is_none() {
        return Ok(true);
    }
    let want = delta_schema(data_schema, partition_by)?;
    let have = table.snapshot()?.schema();
    Ok(have.fields().map(|f| (f.name(), f.data_type())).eq(want.fields().map(|f| (f.name(), f.data_type()))))
}

/// Whether the application transaction `app_id` is already in the table's log.
pub async fn has_app_txn(table: &DeltaTable, app_id: &str) -> Result<bool, DeltaIoError> {
    if table.version().is_none() {
        return Ok(false);
    }
    Ok(table.snapshot()?.transaction_version(table.log_store().as_ref(), app_id).await?.is_some())
}

/// Opens the table at `url` (a folder without a log yet gives a table without a version).
pub async fn open(url: url::Url) -> Result<DeltaTable, DeltaIoError> {
    Ok(DeltaTable::try_from_url(url).await?)
}

/// The commit key naming the load (application transaction) a commit belongs to, in the commit
/// info: `medallion delta history` shows it, and a restore refuses to undo loads.
pub const LOAD_KEY: &str = "medallion.load";

/// The commit key naming the damaged file a repair commit replaced (`medallion delta repair`).
pub const REPAIR_KEY: &str = "medallion.repair";

/// The commit key holding a load's `ingestion_ts` (microseconds since the epoch): with the raw
/// files the manifest lists, it is what rebuilding the load's data files byte for byte takes.
pub const INGESTION_KEY: &str = "medallion.ingestion_us";

/// The properties of a load's commit: its application transaction (a replay after a crash is a
/// no-op), its id in the commit info ([`LOAD_KEY`]) and any further entries.
pub fn load_commit_properties(app_id: &str, metadata: Vec<(String, serde_json::Value)>) -> CommitProperties {
    let mut entries = vec![(LOAD_KEY.to_string(), serde_json::Value::from(app_id))];
    entries.extend(metadata);
    CommitProperties::default().with_application_transaction(Transaction::new(app_id, 1)).with_metadata(entries)
}

/// Creates `table` with `commit`'s files as version 0 (if it has no log yet), or commits them
/// as the next version. Returns the table as of the new version.
pub async fn commit(
    table: &DeltaTable,
    data_schema: &Schema,
    partition_by: Option<&str>,
    commit: Commit,
) -> Result<DeltaTable, DeltaIoError> {
    let props = match &commit.app_txn {
        Some(id) => load_commit_properties(id, commit.metadata),
        None => CommitProperties::default().with_metadata(commit.metadata),
    };
    if table.version().is_none() {
        let schema = delta_schema(data_schema, partition_by)?;
        let mut create = table
            .clone()
            .create()
            .with_columns(schema.fields().cloned())
            .with_actions(commit.actions)
            .with_commit_properties(props)
            .with_save_mode(SaveMode::ErrorIfExists);
        if let Some(col) = partition_by {
            create = create.with_partition_columns(vec![col.to_string()]);
        }
        return Ok(create.await?);
    }
    CommitBuilder::from(props).with_actions(commit.actions).build(Some(table.snapshot()?), table.log_store(), commit.operation).await?;
    let mut table = table.clone();
    table.update_state().await?;
    Ok(table)
}

/// Metadata action that replaces the table's schema (schema evolution).
pub fn schema_change(table: &DeltaTable, new_data_schema: &Schema, partition_by: Option<&str>) -> Result<Action, DeltaIoError> {
    use deltalake::kernel::MetadataExt;
    let metadata = table
        .snapshot()?
        .metadata()
        .clone()
        .with_schema(&delta_schema(new_data_schema, partition_by)?)
        .map_err(|e| DeltaIoError::Invalid(format!("schema change: {e}")))?;
    Ok(Action::Metadata(metadata))
}
