//! The exchange-rates workbook (XLSX), as a treasury team would send it.

use medallion_schema::{PathVars, Table, render_path};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};

use super::sink::write_atomic;
use super::{Ctx, UnitOutput};
use crate::fx::ExchangeRates;
use crate::text::{civil_from_days, date_string};
use crate::{GenError, Generated};

/// `exchange_rates.xlsx` (or the increment's workbook) with the run's days.
pub fn write_exchange_rates(ctx: &Ctx<'_>, out: &mut UnitOutput) -> Result<(), GenError> {
    let (cfg, model) = (ctx.cfg, ctx.model);
    let raw = Table::ExchangeRates.raw();
    let rel = if cfg.increment {
        let (a, b) = (date_string(cfg.start), date_string(cfg.end() - 1));
        let pattern = raw.increment_path.as_deref().unwrap_or(&raw.path);
        render_path(pattern, &PathVars { from: Some(&a), to: Some(&b), ..Default::default() })?
    } else {
        raw.path.clone()
    };
    let fail = |source: rust_xlsxwriter::XlsxError| GenError::Xlsx { file: rel.clone(), source };
    let mut wb = Workbook::new();
    // A fixed creation time keeps the workbook byte-identical between runs.
    let created = ExcelDateTime::from_ymd(2000, 1, 1).map_err(fail)?;
    wb.set_properties(&DocProperties::new().set_creation_datetime(&created).set_author("medallion-gen"));
    let date_fmt = Format::new().set_num_format("yyyy-mm-dd");
    let ws = wb.add_worksheet();
    ws.set_name("rates").map_err(fail)?;
    for (c, name) in raw.column_names().iter().enumerate() {
        ws.write_string(0, c as u16, *name).map_err(fail)?;
    }
    let mut row = 1u32;
    for Generated { row: rate, .. } in ExchangeRates::new(model, cfg.start, cfg.end()) {
        let (y, m, d) = civil_from_days(rate.date);
        let date = ExcelDateTime::from_ymd(y as u16, m as u8, d as u8).map_err(fail)?;
        ws.write_date_with_format(row, 0, &date, &date_fmt).map_err(fail)?;
        ws.write_string(row, 1, rate.currency).map_err(fail)?;
        ws.write_number(row, 2, rate.rate_to_aud).map_err(fail)?;
        row += 1;
    }
    let bytes = wb.save_to_buffer().map_err(fail)?;
    write_atomic(&cfg.out.join(&rel), &bytes)?;
    let rows = (row - 1) as u64;
    out.add_file(Table::ExchangeRates, rows, bytes.len() as u64);
    ctx.progress.rows(Table::ExchangeRates, rows);
    Ok(())
}
