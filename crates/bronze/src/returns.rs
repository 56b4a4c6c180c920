//! Returns arrive as a Delta table with a history. Bronze replays it version by version: each raw
//! commit file (`returns/_delta_log/NNNN.json`) is a source file in the manifest, and its changes
//! (inserts, updates, deletes — found by comparing the raw table at that version with the one
//! before) are MERGEd on `return_id` into Bronze returns, deletes as tombstones
//! (`is_deleted = true`), so history stays auditable and Bronze time travel works. The
//! Parquet mirror links the table's current file, like every other table's.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray, UInt32Array};
use arrow::compute::{cast, concat_batches, take};
use arrow::datatypes::Schema;
use arrow::row::{RowConverter, SortField};
use medallion_schema::{Table, returns_evolved_schema};

use crate::BronzeError;
use crate::layout::bronze_returns_schema;
use crate::rewrite;

/// The version number of a raw commit file `returns/_delta_log/00000000000000000003.json`.
pub fn log_version(rel: &str) -> Option<u64> {
    let name = rel.rsplit('/').next()?;
    name.strip_suffix(".json")?.parse().ok()
}

use medallion_delta::table_url as url_of;

/// The raw table's rows at `version`, in the evolved canonical schema (absent columns null).
pub async fn raw_snapshot(raw_table: &Path, version: u64) -> Result<RecordBatch, BronzeError> {
    let target = returns_evolved_schema();
    let target = Arc::new(Schema::new(target.fields().clone()));
    let table = deltalake::open_table_with_version(url_of(raw_table)?, version).await?;
    let mut batches = Vec::new();
    for uri in table.get_file_uris()? {
        let path = uri.strip_prefix("file://").unwrap_or(&uri).to_string();
        let file = std::fs::File::open(&path).map_err(|e| BronzeError::io(Path::new(&path), e))?;
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)?.build()?;
        for b in reader {
            let b = b?;
            let cols = target
                .fields()
                .iter()
                .map(|f| match b.column_by_name(f.name()) {
                    Some(c) => cast(c, f.data_type()),
                    None => Ok(arrow::array::new_null_array(f.data_type(), b.num_rows())),
                })
                .collect::<Result<Vec<_>, _>>()?;
            batches.push(RecordBatch::try_new(target.clone(), cols)?);
        }
    }
    Ok(concat_batches(&target, &batches)?)
}

/// Row positions of a snapshot by `return_id` (keyless rows left out: they cannot be merged and
/// are counted as rejected by the caller).
fn positions(batch: &RecordBatch) -> Result<HashMap<i64, u32>, BronzeError> {
    let ids = batch.column(0).as_any().downcast_ref::<Int64Array>().ok_or_else(|| BronzeError::Lake("return_id is not int64".into()))?;
    Ok((0..batch.num_rows()).filter(|i| !ids.is_null(*i)).map(|i| (ids.value(i), i as u32)).collect())
}

/// The change set of raw version `version`: rows inserted or updated (from the new snapshot)
/// and rows deleted (their last state, flagged), in the Bronze schema.
pub struct Changes {
    /// The changed rows in Bronze's returns schema.
    pub batch: RecordBatch,
    /// New returns.
    pub inserted: usize,
    /// Changed returns.
    pub updated: usize,
    /// Deleted returns (tombstones).
    pub deleted: usize,
    /// Rows in the raw table at this version.
    pub rows_in_version: usize,
    /// Rows without a `return_id` (rejected).
    pub keyless: usize,
}

/// What raw version `version` changed against the one before (`before`: that snapshot when the
/// caller still holds it from replaying the previous version, else it is read), and the raw
/// table at `version` — the next version's `before`.
pub async fn changes(
    raw_table: &Path,
    version: u64,
    src: &str,
    ingestion_us: i64,
    before: Option<RecordBatch>,
) -> Result<(Changes, RecordBatch), BronzeError> {
    let now = raw_snapshot(raw_table, version).await?;
    let before = match before {
        Some(before) => before,
        None if version == 0 => RecordBatch::new_empty(now.schema()),
        None => raw_snapshot(raw_table, version - 1).await?,
    };
    let (now_at, before_at) = (positions(&now)?, positions(&before)?);
    // Rows compared whole, in the row format of one converter (no allocation per row).
    let converter = RowConverter::new(now.schema().fields().iter().map(|f| SortField::new(f.data_type().clone())).collect())?;
    let (now_rows, before_rows) = (converter.convert_columns(now.columns())?, converter.convert_columns(before.columns())?);
    let mut upsert: Vec<(u32, &str)> = Vec::new();
    let (mut inserted, mut updated) = (0, 0);
    for (id, i) in &now_at {
        match before_at.get(id) {
            None => {
                inserted += 1;
                upsert.push((*i, "insert"));
            }
            Some(j) if now_rows.row(*i as usize) != before_rows.row(*j as usize) => {
                updated += 1;
                upsert.push((*i, "update"));
            }
            Some(_) => continue,
        }
    }
    let mut deleted: Vec<(u32, &str)> = before_at.iter().filter(|(id, _)| !now_at.contains_key(id)).map(|(_, j)| (*j, "delete")).collect();
    upsert.sort_unstable();
    deleted.sort_unstable();
    let schema = bronze_returns_schema();
    let part = |from: &RecordBatch, rows: &[(u32, &str)], is_deleted: bool| -> Result<RecordBatch, BronzeError> {
        let idx = UInt32Array::from(rows.iter().map(|(i, _)| *i).collect::<Vec<_>>());
        let mut cols: Vec<ArrayRef> = Vec::new();
        for (c, f) in from.columns().iter().zip(schema.fields()) {
            cols.push(cast(&take(c.as_ref(), &idx, None)?, f.data_type())?);
        }
        let n = rows.len();
        let taken = RecordBatch::try_new(
            from.schema(),
            from.columns().iter().map(|c| take(c.as_ref(), &idx, None)).collect::<Result<Vec<_>, _>>()?,
        )?;
        cols.push(Arc::new(TimestampMicrosecondArray::from(vec![ingestion_us; n]).with_timezone("UTC")));
        cols.push(Arc::new(StringArray::from(vec![src; n])));
        cols.push(crate::read::row_hashes(&taken)?);
        cols.push(Arc::new(BooleanArray::from(vec![is_deleted; n])));
        cols.push(Arc::new(Int64Array::from(vec![version as i64; n])));
        cols.push(Arc::new(StringArray::from(rows.iter().map(|(_, change)| *change).collect::<Vec<_>>())));
        Ok(RecordBatch::try_new(schema.clone(), cols)?)
    };
    let batch = concat_batches(&schema, &[part(&now, &upsert, false)?, part(&before, &deleted, true)?])?;
    let changes = Changes {
        batch,
        inserted,
        updated,
        deleted: deleted.len(),
        rows_in_version: now.num_rows(),
        keyless: now.num_rows() - now_at.len(),
    };
    Ok((changes, now))
}

/// MERGEs a change set into Bronze returns on `return_id` — a changed or deleted return's row
/// replaced by its new state (tombstones keep `is_deleted`), a new one inserted — as one commit
/// that replaces the table's file with the merged state, tagged so a replay after a crash is a
/// no-op. Bronze returns holds one row per return (≈100 k at scale 1): rewriting it whole is a
/// fraction of a second and needs only Arrow and the Delta commit API.
pub async fn merge(bronze_table: &Path, changes: RecordBatch, app_id: &str) -> Result<(), BronzeError> {
    let delta = medallion_delta::open(url_of(bronze_table)?).await?;
    if medallion_delta::has_app_txn(&delta, app_id).await? {
        return Ok(());
    }
    let schema = bronze_returns_schema();
    let current = if delta.version().is_some() { rewrite::current_files(&delta)? } else { Vec::new() };
    let current: Vec<&rewrite::CurrentFile> = current.iter().collect();
    let mut before = rewrite::read_rows(bronze_table, &current, &schema)?;
    before.push(rewrite::empty(&schema));
    let before = concat_batches(&schema, &before)?;
    let changes = rewrite::conform(&changes, &schema)?;
    let ids = |b: &RecordBatch| -> Result<Int64Array, BronzeError> {
        let ids = cast(b.column(0), &arrow::datatypes::DataType::Int64)?;
        Ok(ids.as_any().downcast_ref::<Int64Array>().cloned().expect("cast to Int64 gives an Int64Array"))
    };
    let changed: HashSet<i64> = ids(&changes)?.iter().flatten().collect();
    let before_ids = ids(&before)?;
    let keep = UInt32Array::from(
        (0..before.num_rows())
            .filter(|i| before_ids.is_null(*i) || !changed.contains(&before_ids.value(*i)))
            .map(|i| i as u32)
            .collect::<Vec<_>>(),
    );
    let kept = RecordBatch::try_new(
        schema.clone(),
        before.columns().iter().map(|c| take(c.as_ref(), &keep, None)).collect::<Result<Vec<_>, _>>()?,
    )?;
    let merged = concat_batches(&schema, &[kept, changes])?;
    let unpartitioned = rewrite::CurrentFile { rel: String::new(), size: 0 };
    let stem = format!("merge-{}", rewrite::stem_hash(&[app_id]));
    let files = rewrite::write_rows(bronze_table, Table::Returns, &unpartitioned, &stem, &[merged], u64::MAX)?;
    let operation = medallion_delta::merge_operation("target.return_id = source.return_id");
    rewrite::replace(&delta, Table::Returns, &current, &files, true, operation, Some(app_id.to_string()), Vec::new()).await?;
    Ok(())
}
