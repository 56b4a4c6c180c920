//! Rows as Arrow record batches: the adapter that turns any row generator into batches of its
//! table's canonical schema.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{Schema, SchemaRef};
use arrow::error::ArrowError;

use crate::row::{Generated, SourceRow};

/// A row type that can be laid out as columns of its table's canonical schema.
pub trait ArrowRow: SourceRow + Sized {
    /// The schema of the batches: the canonical columns, all nullable, since raw rows may carry
    /// anomalies (a missing sensor timestamp) the canonical schema would refuse.
    fn arrow_schema() -> SchemaRef {
        let canonical = Self::TABLE.schema();
        Arc::new(Schema::new(canonical.fields().iter().map(|f| f.as_ref().clone().with_nullable(true)).collect::<Vec<_>>()))
    }

    /// One batch of `rows`, in [`ArrowRow::arrow_schema`].
    fn to_batch(rows: &[Self]) -> Result<RecordBatch, ArrowError>;
}

/// Record batches of up to `batch_size` rows from a row generator; knows its schema before the
/// first batch. Memory is one batch of rows.
///
/// ```
/// use medallion_gen::{ArrowBatches, dims::Stores, model::Model};
/// let model = Model::new(7, 0.01, 20_000);
/// let batches = ArrowBatches::new(Stores::new(&model), 8);
/// assert_eq!(batches.schema().field(0).name(), "store_id");
/// let rows: usize = batches.map(|b| b.unwrap().num_rows()).sum();
/// assert_eq!(rows as i64, model.n_stores);
/// ```
pub struct ArrowBatches<I, R> {
    rows: I,
    batch_size: usize,
    buffer: Vec<R>,
    schema: SchemaRef,
}

impl<I, R> ArrowBatches<I, R>
where
    I: Iterator<Item = Generated<R>>,
    R: ArrowRow,
{
    /// Batches of `batch_size` rows (at least 1) from `rows`.
    pub fn new(rows: I, batch_size: usize) -> Self {
        let batch_size = batch_size.max(1);
        ArrowBatches { rows, batch_size, buffer: Vec::with_capacity(batch_size), schema: R::arrow_schema() }
    }

    /// The schema of every batch.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

impl<I, R> Iterator for ArrowBatches<I, R>
where
    I: Iterator<Item = Generated<R>>,
    R: ArrowRow,
{
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.buffer.clear();
        self.buffer.extend(self.rows.by_ref().take(self.batch_size).map(|g| g.row));
        if self.buffer.is_empty() {
            return None;
        }
        Some(R::to_batch(&self.buffer))
    }
}
