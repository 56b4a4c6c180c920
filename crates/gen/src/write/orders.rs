//! The order files: per day a header and a lines CSV (part 0, and a late part 1 with an
//! increment), and per month segment a shipments Parquet file.

use std::ops::Range;
use std::sync::Arc;

use arrow::array::RecordBatch;
use medallion_delta::{FileOptions, ParquetFile};
use medallion_schema::{PathVars, Table, render_path};

use super::sink::TextSink;
use super::{Ctx, UnitOutput};
use crate::orders::{DayOrders, DayRow, LATE_PART, Shipment, push_header, push_line};
use crate::text::{Day, date_string};
use crate::{ArrowRow, GenError, Generated, SourceRow};

fn day_path(table: Table, day: Day, part: u32) -> Result<String, GenError> {
    let date = date_string(day);
    Ok(render_path(&table.raw().path, &PathVars { date: Some(&date), part: Some(part), ..Default::default() })?)
}

/// The shipments file of a month segment, written day by day.
struct ShipmentFile {
    rel: String,
    file: ParquetFile,
    /// The day's shipments, written when the day is done.
    day: Vec<Shipment>,
    rows: u64,
}

impl ShipmentFile {
    fn create(root: &std::path::Path, rel: String) -> Result<Self, GenError> {
        let options = FileOptions {
            zstd_level: 3,
            max_row_group_rows: 128 * 1024,
            created_by: "medallion-gen".into(),
            // Unique ids gain nothing from a dictionary and its hash table costs memory.
            no_dictionary: vec!["shipment_id".into(), "order_id".into()],
            ..Default::default()
        };
        let file = ParquetFile::create(&root.join(&rel), canonical_shipments(), &options)?;
        Ok(ShipmentFile { rel, file, day: Vec::new(), rows: 0 })
    }

    fn flush(&mut self) -> Result<(), GenError> {
        if !self.day.is_empty() {
            let columns = Shipment::to_batch(&self.day).map_err(|source| GenError::Arrow { table: Table::Shipments, source })?;
            // The file keeps the canonical nullability (ids are required).
            let batch = RecordBatch::try_new(canonical_shipments(), columns.columns().to_vec())
                .map_err(|source| GenError::Arrow { table: Table::Shipments, source })?;
            self.file.write(&batch)?;
            self.day.clear();
        }
        Ok(())
    }
}

/// The canonical shipments schema without its descriptive metadata.
fn canonical_shipments() -> arrow::datatypes::SchemaRef {
    Arc::new(Table::Shipments.schema().as_ref().clone().with_metadata(Default::default()))
}

/// Writes the header and lines files of one (day, part); shipments go to `ships` if given.
fn write_day_files(
    ctx: &Ctx<'_>,
    day: Day,
    part: u32,
    out: &mut UnitOutput,
    mut ships: Option<&mut ShipmentFile>,
) -> Result<(TextSink, TextSink), GenError> {
    let cfg = ctx.cfg;
    let mut headers = TextSink::csv(&cfg.out, day_path(Table::OrdersHeader, day, part)?, Table::OrdersHeader)?;
    let mut lines = TextSink::csv(&cfg.out, day_path(Table::OrdersLines, day, part)?, Table::OrdersLines)?;
    let run: Range<Day> = cfg.start..cfg.end();
    for row in DayOrders::new(ctx.model, day, part, run) {
        match row {
            DayRow::Header(Generated { row, mark }) => {
                if let Some(mark) = mark {
                    out.truth.push(Table::OrdersHeader, mark.code(), row.truth_key(mark), &headers.rel, headers.next_line_no());
                }
                push_header(&mut headers.line, &row);
                headers.end_line()?;
            }
            DayRow::Line(Generated { row, mark }) => {
                if let Some(mark) = mark {
                    out.truth.push(Table::OrdersLines, mark.code(), row.truth_key(mark), &lines.rel, lines.next_line_no());
                }
                push_line(&mut lines.line, &row);
                lines.end_line()?;
            }
            DayRow::Shipment(Generated { row, mark }) => {
                if let Some(file) = ships.as_deref_mut() {
                    if let Some(mark) = mark {
                        out.truth.push(Table::Shipments, mark.code(), row.truth_key(mark), &file.rel, file.rows);
                    }
                    file.day.push(row);
                    file.rows += 1;
                }
            }
        }
    }
    Ok((headers, lines))
}

/// Days `from..to` (within the run's range): one header and one lines file per day, and one
/// shipments file for the segment.
pub fn write_orders(ctx: &Ctx<'_>, from: Day, to: Day, out: &mut UnitOutput) -> Result<(), GenError> {
    let (a, b) = (date_string(from), date_string(to - 1));
    let rel = render_path(&Table::Shipments.raw().path, &PathVars { from: Some(&a), to: Some(&b), ..Default::default() })?;
    let mut ships = ShipmentFile::create(&ctx.cfg.out, rel)?;
    for day in from..to {
        let (headers, lines) = write_day_files(ctx, day, 0, out, Some(&mut ships))?;
        out.close(ctx, Table::OrdersHeader, headers)?;
        out.close(ctx, Table::OrdersLines, lines)?;
        ships.flush()?;
    }
    let rows = ships.rows;
    let bytes = ships.file.close()?;
    out.add_file(Table::Shipments, rows, bytes);
    ctx.progress.rows(Table::Shipments, rows);
    Ok(())
}

/// A late file: part 1 of the day before the increment, carrying orders and their lines only
/// (their shipments are not in this feed).
pub fn write_late_orders(ctx: &Ctx<'_>, day: Day, out: &mut UnitOutput) -> Result<(), GenError> {
    let (headers, lines) = write_day_files(ctx, day, LATE_PART, out, None)?;
    out.close(ctx, Table::OrdersHeader, headers)?;
    out.close(ctx, Table::OrdersLines, lines)
}
