//! Returns: every return of the orders placed on a range of days, a pure function of the seed
//! (the orders are regenerated, not looked up). The Delta table with its history of versions is
//! written by the file writers.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Builder, Int64Builder, RecordBatch, StringBuilder, TimestampMicrosecondBuilder};
use arrow::datatypes::Schema;
use arrow::error::ArrowError;
use medallion_schema::{Table, returns_evolved_schema};

use crate::model::Model;
use crate::orders::{Order, OrderGen, Return};
use crate::text::Day;
use crate::{ArrowRow, Generated};

/// Every return of orders placed on days `from..to`, in return_id order.
pub fn returns_of_days(model: &Model, from: Day, to: Day, as_of: Day) -> Vec<Return> {
    Returns::new(model, from, to, as_of).map(|g| g.row).collect()
}

/// Every return of orders placed on days `from..to` that has happened by `as_of`, in
/// return_id order, one day's orders at a time.
///
/// ```
/// use medallion_gen::{model::Model, returns::Returns, text::parse_date};
/// let day = parse_date("2024-05-01").unwrap();
/// let model = Model::new(42, 0.05, day + 60);
/// let returns: Vec<_> = Returns::new(&model, day, day + 7, day + 60).collect();
/// assert!(!returns.is_empty());
/// assert!(returns.windows(2).all(|w| w[0].row.return_id < w[1].row.return_id));
/// ```
pub struct Returns<'m> {
    model: &'m Model,
    day: Day,
    to: Day,
    as_of: Day,
    order: Order,
    /// The current day's returns, in reverse order.
    pending: Vec<Return>,
}

impl<'m> Returns<'m> {
    /// The returns of orders placed on `from..to`, as of `as_of`.
    pub fn new(model: &'m Model, from: Day, to: Day, as_of: Day) -> Self {
        Returns { model, day: from, to, as_of, order: Order::default(), pending: Vec::new() }
    }
}

impl Iterator for Returns<'_> {
    type Item = Generated<Return>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.pending.is_empty() {
            if self.day >= self.to {
                return None;
            }
            let g = OrderGen::new(self.model, self.day, 0, self.as_of);
            for idx in 0..g.count {
                g.order(idx, &mut self.order);
                self.pending.extend_from_slice(&self.order.returns);
            }
            self.pending.reverse();
            self.day += 1;
        }
        self.pending.pop().map(Generated::clean)
    }
}

/// The canonical schema without the descriptive metadata (Delta keeps its own).
pub(crate) fn bare(schema: &Schema) -> Arc<Schema> {
    Arc::new(Schema::new(schema.fields().clone()))
}

/// Builds a batch of returns; `with_code` adds the evolved column.
pub fn returns_batch(rows: &[Return], with_code: bool) -> Result<RecordBatch, ArrowError> {
    returns_batch_with(rows, with_code, |r| Some(r.reason_code))
}

/// Builds a batch of returns; `code` gives each row's `return_reason_code` if `with_code`.
pub(crate) fn returns_batch_with(
    rows: &[Return],
    with_code: bool,
    mut code_of: impl FnMut(&Return) -> Option<&'static str>,
) -> Result<RecordBatch, ArrowError> {
    let mut id = Int64Builder::with_capacity(rows.len());
    let mut order = Int64Builder::with_capacity(rows.len());
    let mut product = Int64Builder::with_capacity(rows.len());
    let mut ts = TimestampMicrosecondBuilder::with_capacity(rows.len());
    let mut qty = Int32Builder::with_capacity(rows.len());
    let mut reason = StringBuilder::new();
    let mut code = StringBuilder::new();
    for r in rows {
        id.append_value(r.return_id);
        order.append_value(r.order_id);
        product.append_value(r.product_id);
        ts.append_value(r.return_ts_us);
        qty.append_value(r.qty);
        reason.append_value(r.reason);
        code.append_option(code_of(r));
    }
    let mut cols: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(order.finish()),
        Arc::new(product.finish()),
        Arc::new(ts.finish()),
        Arc::new(qty.finish()),
        Arc::new(reason.finish()),
    ];
    let schema = if with_code {
        cols.push(Arc::new(code.finish()));
        bare(&returns_evolved_schema())
    } else {
        bare(&Table::Returns.schema())
    };
    RecordBatch::try_new(schema, cols)
}

impl ArrowRow for Return {
    /// The original canonical schema (no `return_reason_code`: that column arrives with the
    /// table's schema evolution; see [`returns_batch`]).
    fn to_batch(rows: &[Self]) -> Result<RecordBatch, ArrowError> {
        let batch = returns_batch(rows, false)?;
        RecordBatch::try_new(Self::arrow_schema(), batch.columns().to_vec())
    }
}
