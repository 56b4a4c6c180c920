//! The shape of Bronze: each table's Bronze schema (canonical columns with UTC timestamps, then
//! the audit columns `ingestion_ts`, `src_filename`, `src_row_hash`), the returns table's extra
//! columns, the rejects schema, and how tables are partitioned.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use medallion_schema::{Table, returns_evolved_schema};

use crate::BronzeError;

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

/// The rejects' schema: file, line, reason code and sentence, the raw text, `ingestion_ts`.
pub fn rejects_schema() -> SchemaRef {
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
pub(crate) fn audit(batch: RecordBatch, hashes: ArrayRef, table: Table, src: &str, ingestion_us: i64) -> Result<RecordBatch, BronzeError> {
    let schema = bronze_schema(table);
    let n = batch.num_rows();
    let mut cols: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for (col, field) in batch.columns().iter().zip(schema.fields()) {
        cols.push(to_bronze_type(col, field.data_type())?);
    }
    cols.push(Arc::new(TimestampMicrosecondArray::from(vec![ingestion_us; n]).with_timezone("UTC")));
    cols.push(Arc::new(StringArray::from(vec![src; n])));
    cols.push(hashes);
    Ok(RecordBatch::try_new(schema, cols)?)
}

/// A canonical column as its Bronze type. Readers give timestamps as UTC wall-clock values
/// without a zone; Bronze's are UTC instants: the same numbers, so the array is relabelled, not
/// cast (a cast would convert every value from "local time in UTC" to UTC one by one).
pub(crate) fn to_bronze_type(col: &ArrayRef, to: &DataType) -> Result<ArrayRef, BronzeError> {
    match (col.data_type(), to) {
        (from, to) if from == to => Ok(col.clone()),
        (DataType::Timestamp(from_unit, None), DataType::Timestamp(to_unit, Some(zone)))
            if from_unit == to_unit && zone.as_ref() == "UTC" =>
        {
            Ok(arrow::array::make_array(col.to_data().into_builder().data_type(to.clone()).build()?))
        }
        _ => Ok(arrow::compute::cast(col, to)?),
    }
}

/// Bronze returns: the evolved canonical columns (timestamps as UTC), the audit columns, the
/// tombstone flag and the raw version the row state comes from.
pub fn bronze_returns_schema() -> SchemaRef {
    let mut fields = bronze_fields(&returns_evolved_schema());
    fields.push(Field::new("is_deleted", DataType::Boolean, false));
    fields.push(Field::new("src_version", DataType::Int64, false));
    // What that raw version did to the row: insert, update or delete.
    fields.push(Field::new("src_change", DataType::Utf8, false));
    Arc::new(Schema::new(fields))
}

/// Columns whose values are (nearly) all distinct: the row hash, the table's key and its event
/// times. A dictionary for them is built up to its size limit and then dropped: time spent for
/// nothing.
pub(crate) fn unique_columns(table: Table) -> Vec<String> {
    let mut cols: Vec<String> = table.raw().primary_key.clone();
    for field in table.schema().fields() {
        if matches!(field.data_type(), DataType::Timestamp(..)) && !cols.contains(field.name()) {
            cols.push(field.name().clone());
        }
    }
    cols.push("src_row_hash".into());
    cols
}

/// How Bronze encodes a table's data files: the one setup that loads and repairs share, so a
/// repaired file is the loaded one byte for byte.
pub(crate) fn data_file_options(table: Table) -> medallion_delta::FileOptions {
    medallion_delta::FileOptions {
        created_by: "medallion-bronze".into(),
        no_dictionary: unique_columns(table),
        // Hashes are random bytes: compressing them or keeping their min/max only costs time.
        random_bytes: vec!["src_row_hash".into()],
        zstd_level: 1,
        checksum: true,
        ..medallion_delta::FileOptions::default()
    }
}

/// Writes Bronze's own single Parquet files (a batch's rejects, the returns mirror) atomically;
/// returns the file's size.
pub(crate) fn write_parquet(path: &std::path::Path, schema: SchemaRef, batches: &[RecordBatch]) -> Result<u64, BronzeError> {
    let options = medallion_delta::FileOptions {
        zstd_level: 3,
        max_row_group_rows: 1 << 20,
        created_by: "medallion-bronze".into(),
        ..Default::default()
    };
    let mut file = medallion_delta::ParquetFile::create(path, schema, &options)?;
    for b in batches {
        file.write(b)?;
    }
    Ok(file.close()?)
}

/// Removes the rejects of raw file `path` from batch `batch`'s rejects file (the file is
/// re-sent corrected and loads now), rewriting it without them, or deleting it when nothing
/// else is left. Atomic: a temp file, then a rename.
pub(crate) fn drop_rejects_of(lake: &std::path::Path, table: Table, batch: &str, path: &str) -> Result<(), BronzeError> {
    let file = lake.join(format!("_rejects/{table}/rejects-{batch}.parquet"));
    if !file.is_file() {
        return Ok(());
    }
    let conn = duckdb::Connection::open_in_memory()?;
    let quoted = |p: &std::path::Path| p.display().to_string().replace('\'', "''");
    let others: i64 =
        conn.query_row(&format!("select count(*) from read_parquet('{}') where src_filename <> ?", quoted(&file)), [path], |r| r.get(0))?;
    if others == 0 {
        return std::fs::remove_file(&file).map_err(|e| BronzeError::io(&file, e));
    }
    let tmp = file.with_extension("parquet.tmp");
    conn.execute(
        &format!(
            "copy (select * from read_parquet('{}') where src_filename <> ?) to '{}' (format parquet, compression zstd)",
            quoted(&file),
            quoted(&tmp)
        ),
        [path],
    )?;
    std::fs::rename(&tmp, &file).map_err(|e| BronzeError::io(&file, e))
}
