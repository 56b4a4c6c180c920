//! Returns as a real Delta table with a history a source system would leave behind:
//! v0 the base load, v1 an append that adds `return_reason_code` (schema evolution),
//! v2 a MERGE that corrects some returns, v3 a DELETE of cancelled ones. An increment appends
//! the new days' returns as a further version.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Builder, Int64Builder, RecordBatch, StringBuilder, TimestampMicrosecondBuilder};
use arrow::datatypes::Schema;
use deltalake::datafusion::prelude::{SessionContext, col};
use deltalake::operations::write::SchemaMode;
use deltalake::protocol::SaveMode;
use deltalake::{DeltaTable, DeltaTableError};
use medallion_schema::{Table, returns_evolved_schema};
use rayon::prelude::*;

use crate::model::Model;
use crate::orders::{Order, OrderGen, Return};
use crate::rng::{Stream, hash, unit};
use crate::text::{Day, MICROS_PER_DAY};
use crate::truth::{CHANGE_RETURN_DELETED, CHANGE_RETURN_UPDATED};
use crate::{Ctx, GenError, UnitOutput};

/// Share of returns corrected in v2 and cancelled (deleted) in v3.
const UPDATE_SHARE: f64 = 0.03;
const DELETE_SHARE: f64 = 0.01;

/// Every return of orders placed on days `from..to`, in return_id order.
pub fn returns_of_days(model: &Model, from: Day, to: Day, as_of: Day) -> Vec<Return> {
    (from..to)
        .into_par_iter()
        .map(|day| {
            let g = OrderGen::new(model, day, 0, as_of);
            let mut order = Order::default();
            let mut out = Vec::new();
            for idx in 0..g.count {
                g.order(idx, &mut order);
                out.extend_from_slice(&order.returns);
            }
            out
        })
        .flatten()
        .collect()
}

/// The canonical schema without the descriptive metadata (Delta keeps its own).
fn bare(schema: &Schema) -> Arc<Schema> {
    Arc::new(Schema::new(schema.fields().clone()))
}

/// Builds a batch of returns; `with_code` adds the evolved column.
pub fn returns_batch(rows: &[Return], with_code: bool) -> Result<RecordBatch, GenError> {
    let mut id = Int64Builder::new();
    let mut order = Int64Builder::new();
    let mut product = Int64Builder::new();
    let mut ts = TimestampMicrosecondBuilder::new();
    let mut qty = Int32Builder::new();
    let mut reason = StringBuilder::new();
    let mut code = StringBuilder::new();
    for r in rows {
        id.append_value(r.return_id);
        order.append_value(r.order_id);
        product.append_value(r.product_id);
        ts.append_value(r.return_ts_us);
        qty.append_value(r.qty);
        reason.append_value(r.reason);
        code.append_value(r.reason_code);
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
    RecordBatch::try_new(schema, cols).map_err(|e| GenError::Invalid(format!("returns batch: {e}")))
}

fn delta_err(e: DeltaTableError) -> GenError {
    GenError::Format { file: "returns".into(), message: format!("Delta: {e}") }
}

pub fn table_url(path: &std::path::Path) -> Result<url::Url, GenError> {
    std::fs::create_dir_all(path).map_err(|e| GenError::io(path, e))?;
    let abs = std::fs::canonicalize(path).map_err(|e| GenError::io(path, e))?;
    url::Url::from_directory_path(&abs).map_err(|_| GenError::Invalid(format!("not a usable path: {}", abs.display())))
}

async fn append(table: DeltaTable, batch: RecordBatch) -> Result<DeltaTable, GenError> {
    table.write(vec![batch]).with_save_mode(SaveMode::Append).with_schema_mode(SchemaMode::Merge).await.map_err(delta_err)
}

pub fn write_returns(ctx: &Ctx<'_>, out: &mut UnitOutput) -> Result<(), GenError> {
    let (cfg, model) = (ctx.cfg, ctx.model);
    let dir = cfg.out.join(&Table::Returns.raw().path);
    let all = returns_of_days(model, cfg.start, cfg.end(), cfg.end());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| GenError::io(&dir, e))?;
    let rows = all.len() as u64;
    // A Delta log records commit times, so rewriting the same history would look like new
    // source data downstream. A marker with the history's fingerprint makes a rerun leave an
    // identical table (and an already applied increment) alone.
    let marker = dir.join(format!("_medallion_gen_{}.json", unit_name(cfg)));
    let fingerprint =
        format!("{{\"seed\":{},\"scale\":{},\"rows\":{},\"hash\":\"{:016x}\"}}", cfg.seed, cfg.scale, rows, fingerprint(&all));
    if std::fs::read_to_string(&marker).is_ok_and(|m| m == fingerprint) {
        if !cfg.increment {
            record_changes(model, &all, out);
        }
        out.add_file(Table::Returns, rows, dir_size(&dir));
        ctx.progress.rows(Table::Returns, rows);
        return Ok(());
    }
    if cfg.increment {
        rt.block_on(async {
            let table = DeltaTable::try_from_url(table_url(&dir)?).await.map_err(delta_err)?;
            append(table, returns_batch(&all, true)?).await
        })?;
    } else {
        // A base run starts the table afresh.
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| GenError::io(&dir, e))?;
        }
        let (updates, deletes) = record_changes(model, &all, out);
        let cutoff_us = (cfg.end() as i64 - (cfg.days as i64 / 10).clamp(1, 60)) * MICROS_PER_DAY;
        let (v0, v1): (Vec<Return>, Vec<Return>) = all.iter().partition(|r| r.return_ts_us < cutoff_us);
        rt.block_on(async {
            let table = DeltaTable::try_from_url(table_url(&dir)?).await.map_err(delta_err)?;
            let table = table.write(vec![returns_batch(&v0, false)?]).with_save_mode(SaveMode::Overwrite).await.map_err(delta_err)?;
            let table = append(table, returns_batch(&v1, true)?).await?;
            let source = SessionContext::new().read_batch(returns_batch(&updates, true)?).map_err(|e| delta_err(e.into()))?;
            let (table, _) = table
                .merge(source, col("target.return_id").eq(col("source.return_id")))
                .with_source_alias("source")
                .with_target_alias("target")
                .when_matched_update(|u| {
                    u.update("qty", col("source.qty"))
                        .update("reason", col("source.reason"))
                        .update("return_reason_code", col("source.return_reason_code"))
                })
                .map_err(delta_err)?
                .await
                .map_err(delta_err)?;
            if !deletes.is_empty() {
                let ids: Vec<String> = deletes.iter().map(i64::to_string).collect();
                table.delete().with_predicate(format!("return_id IN ({})", ids.join(","))).await.map_err(delta_err)?;
            }
            Ok::<_, GenError>(())
        })?;
    }
    crate::sink::write_atomic(&marker, fingerprint.as_bytes())?;
    let bytes = dir_size(&dir);
    out.add_file(Table::Returns, rows, bytes);
    ctx.progress.rows(Table::Returns, rows);
    Ok(())
}

fn unit_name(cfg: &crate::GenConfig) -> String {
    if cfg.increment {
        format!("{}_{}", crate::text::date_string(cfg.start), crate::text::date_string(cfg.end() - 1))
    } else {
        "base".into()
    }
}

/// A hash of every return of the history (order-sensitive).
fn fingerprint(all: &[Return]) -> u64 {
    all.iter().fold(0u64, |acc, r| {
        let h = [r.return_id as u64, r.order_id as u64, r.product_id as u64, r.return_ts_us as u64, r.qty as u64, r.reason.len() as u64]
            .iter()
            .fold(acc, |a, v| crate::rng::mix(a ^ v));
        crate::rng::mix(h)
    })
}

/// Picks the returns corrected in v2 and cancelled in v3, and logs them in the ground truth.
fn record_changes(model: &Model, all: &[Return], out: &mut UnitOutput) -> (Vec<Return>, Vec<i64>) {
    let picked = |r: &Return, lo: f64, hi: f64| {
        let u = unit(hash(model.seed, Stream::ReturnChange, r.return_id as u64, 0));
        lo <= u && u < hi
    };
    let mut updates: Vec<&Return> = all.iter().filter(|r| picked(r, 0.0, UPDATE_SHARE)).collect();
    let mut deletes: Vec<i64> = all.iter().filter(|r| picked(r, UPDATE_SHARE, UPDATE_SHARE + DELETE_SHARE)).map(|r| r.return_id).collect();
    // Tiny scales still get one of each, so every version of the history exists.
    if updates.is_empty() && all.len() >= 2 {
        updates.push(&all[0]);
    }
    if deletes.is_empty() && all.len() >= 2 {
        deletes.push(all[all.len() - 1].return_id);
    }
    let updates: Vec<Return> = updates.into_iter().map(|r| Return { qty: 1, reason: "damaged", reason_code: "DMG", ..*r }).collect();
    for r in &updates {
        out.truth.push(Table::Returns, CHANGE_RETURN_UPDATED, r.return_id.to_string(), "returns", 2);
    }
    for id in &deletes {
        out.truth.push(Table::Returns, CHANGE_RETURN_DELETED, id.to_string(), "returns", 3);
    }
    (updates, deletes)
}

fn dir_size(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            _ => e.metadata().map(|m| m.len()).unwrap_or(0),
        })
        .sum()
}
