//! The sensors files: one CSV per store and month.

use medallion_schema::{PathVars, Table, render_path};

use super::sink::TextSink;
use super::{Ctx, UnitOutput};
use crate::sensors::SensorReadings;
use crate::text::{Day, month_string};
use crate::{GenError, Generated, SourceRow, month_segments};

/// Store `store_id`'s `shelves` over days `from..to`, one file per calendar month.
pub fn write_sensors(ctx: &Ctx<'_>, store_id: i64, shelves: u32, from: Day, to: Day, out: &mut UnitOutput) -> Result<(), GenError> {
    // Formatted once, not per reading.
    let shelf_ids: Vec<String> = (1..=shelves).map(|n| format!("SH-{n:02}")).collect();
    for (a, b) in month_segments(from, to) {
        let month = month_string(a);
        let rel =
            render_path(&Table::Sensors.raw().path, &PathVars { store_id: Some(store_id), month: Some(&month), ..Default::default() })?;
        let mut sink = TextSink::csv(&ctx.cfg.out, rel, Table::Sensors)?;
        let mut readings = SensorReadings::new(ctx.model, store_id, shelves, a, b);
        // A day at a time, read in place: 6 M readings a year are not moved one by one.
        while let Some(day) = readings.next_day() {
            for Generated { row, mark } in day {
                if let Some(mark) = *mark {
                    out.truth.push(Table::Sensors, mark.code(), row.truth_key(mark), &sink.rel, sink.next_line_no());
                }
                row.push_csv(&mut sink.line, &shelf_ids[row.shelf_no as usize - 1]);
                sink.end_line()?;
            }
        }
        out.close(ctx, Table::Sensors, sink)?;
    }
    Ok(())
}
