//! The events files: one JSONL file per day.

use medallion_schema::{PathVars, Table, render_path};

use super::sink::TextSink;
use super::{Ctx, UnitOutput};
use crate::events::Events;
use crate::text::{Day, date_string};
use crate::{GenError, Generated, SourceRow};

/// Events of days `from..to`, one file per day.
pub fn write_events(ctx: &Ctx<'_>, from: Day, to: Day, out: &mut UnitOutput) -> Result<(), GenError> {
    for day in from..to {
        let date = date_string(day);
        let rel = render_path(&Table::Events.raw().path, &PathVars { date: Some(&date), part: Some(0), ..Default::default() })?;
        let mut sink = TextSink::create(&ctx.cfg.out, rel)?;
        for Generated { row, mark } in Events::new(ctx.model, day) {
            row.push_json(&mut sink.line);
            if let Some(mark) = mark {
                out.truth.push(Table::Events, mark.code(), row.truth_key(mark), &sink.rel, sink.next_line_no());
            }
            sink.end_line()?;
        }
        out.close(ctx, Table::Events, sink)?;
    }
    Ok(())
}
