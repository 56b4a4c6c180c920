//! The returns Delta table, with the history a source system would leave behind: v0 the base
//! load, v1 an append that adds `return_reason_code` (schema evolution), v2 a MERGE that corrects
//! some returns, v3 a DELETE of cancelled ones. An increment appends the new days' returns as a
//! further version.

use arrow::array::RecordBatch;
use deltalake::kernel::Action;
use deltalake::protocol::DeltaOperation;
use medallion_delta::{Commit, DataFile, DataFileWriter, FileOptions};
use medallion_schema::truth::{CHANGE_RETURN_DELETED, CHANGE_RETURN_UPDATED};
use medallion_schema::{Table, returns_evolved_schema};
use rayon::prelude::*;

use super::{Ctx, UnitOutput};
use crate::GenError;
use crate::model::Model;
use crate::orders::Return;
use crate::returns::{Returns, bare, returns_batch_with};
use crate::rng::{Stream, hash, unit};
use crate::text::{Day, MICROS_PER_DAY};

/// Arrow refused a returns batch.
fn arrow_err(source: arrow::error::ArrowError) -> GenError {
    GenError::Arrow { table: Table::Returns, source }
}

/// Share of returns corrected in v2 and cancelled (deleted) in v3.
const UPDATE_SHARE: f64 = 0.03;
const DELETE_SHARE: f64 = 0.01;

/// Bumped whenever the way the history is written changes, so a rerun rewrites an old table.
const HISTORY_LAYOUT: u32 = 3;

/// Returns per data file: small enough to keep memory flat, large enough for few files.
const ROWS_PER_FILE: u64 = 256 * 1024;

fn file_options() -> FileOptions {
    FileOptions {
        max_row_group_rows: 16 * 1024,
        max_file_rows: u64::MAX,
        target_file_bytes: u64::MAX,
        created_by: "medallion-gen".into(),
        ..Default::default()
    }
}

/// One data file of v0/v1 and its rewrites: as corrected by v2 (MERGE) and then by v3 (DELETE).
/// A rewrite replaces its file only if a row in it changed, as MERGE and DELETE would.
struct FileGroup {
    base: DataFileWriter,
    merged: DataFileWriter,
    deleted: DataFileWriter,
    updates: usize,
    deletes: usize,
}

struct FinishedGroup {
    base: DataFile,
    merged: Option<DataFile>,
    /// The file after v3; `None` with `has_deletes` if every row was cancelled.
    deleted: Option<DataFile>,
    has_deletes: bool,
}

/// The data files of one part of the history (v0 rows, or v1 rows), written as they stream by.
struct Segment {
    root: std::path::PathBuf,
    name: String,
    evolved: bool,
    pending: Vec<(Return, Change)>,
    open: Option<FileGroup>,
    done: Vec<FinishedGroup>,
}

/// Rows buffered before they are written as one batch to each stage.
const FLUSH_ROWS: usize = 8192;

impl Segment {
    fn new(root: &std::path::Path, name: &str, evolved: bool) -> Self {
        Segment { root: root.to_path_buf(), name: name.to_string(), evolved, pending: Vec::new(), open: None, done: Vec::new() }
    }

    fn push(&mut self, r: &Return, change: Change) -> Result<(), GenError> {
        self.pending.push((*r, change));
        if self.pending.len() >= FLUSH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the buffered rows to the open group's three stages.
    fn flush(&mut self) -> Result<(), GenError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        if self.open.is_none() {
            let n = self.done.len();
            let writer = |stage: &str, evolved: bool| {
                let schema = if evolved { bare(&returns_evolved_schema()) } else { bare(&Table::Returns.schema()) };
                DataFileWriter::new(&self.root, "", &format!("{stage}-{}-{n:03}", self.name), schema, Vec::new(), file_options())
            };
            self.open = Some(FileGroup {
                base: writer("base", self.evolved)?,
                merged: writer("merged", true)?,
                deleted: writer("deleted", true)?,
                updates: 0,
                deletes: 0,
            });
        }
        let g = self.open.as_mut().expect("opened above");
        let evolved = self.evolved;
        let base: Vec<Return> = self.pending.iter().map(|(r, _)| *r).collect();
        g.base.write(&returns_batch_with(&base, evolved, |r| evolved.then_some(r.reason_code)).map_err(arrow_err)?)?;
        // v2 corrects some rows; rows from before the evolution keep a null code unless corrected.
        let merged: Vec<(Return, bool)> =
            self.pending.iter().map(|(r, c)| if *c == Change::Update { (correction(r), true) } else { (*r, evolved) }).collect();
        g.updates += self.pending.iter().filter(|(_, c)| *c == Change::Update).count();
        g.deletes += self.pending.iter().filter(|(_, c)| *c == Change::Delete).count();
        let code_of =
            |rows: &[(Return, bool)]| -> Vec<Option<&'static str>> { rows.iter().map(|(r, has)| has.then_some(r.reason_code)).collect() };
        let rows: Vec<Return> = merged.iter().map(|(r, _)| *r).collect();
        let codes = code_of(&merged);
        g.merged.write(&returns_batch_indexed(&rows, &codes)?)?;
        let kept: Vec<usize> = (0..rows.len()).filter(|i| self.pending[*i].1 != Change::Delete).collect();
        let kept_rows: Vec<Return> = kept.iter().map(|i| rows[*i]).collect();
        let kept_codes: Vec<Option<&'static str>> = kept.iter().map(|i| codes[*i]).collect();
        if !kept_rows.is_empty() {
            g.deleted.write(&returns_batch_indexed(&kept_rows, &kept_codes)?)?;
        }
        self.pending.clear();
        if g.base.rows() >= ROWS_PER_FILE {
            self.close_group()?;
        }
        Ok(())
    }

    fn close_group(&mut self) -> Result<(), GenError> {
        self.flush()?;
        let Some(g) = self.open.take() else { return Ok(()) };
        let one = |w: DataFileWriter| -> Result<Option<DataFile>, GenError> { Ok(w.finish()?.into_iter().next()) };
        // A group is opened by its first rows, so its base file always exists.
        let Some(base) = one(g.base)? else { return Ok(()) };
        let (merged, deleted) = (one(g.merged)?, one(g.deleted)?);
        // Unchanged rewrites are not part of the history.
        let keep = |f: Option<DataFile>, changed: bool| -> Result<Option<DataFile>, GenError> {
            match f {
                Some(f) if !changed => {
                    let path = self.root.join(&f.rel);
                    std::fs::remove_file(&path).map_err(|e| GenError::io(&path, e))?;
                    Ok(None)
                }
                other => Ok(other),
            }
        };
        let merged = keep(merged, g.updates > 0)?;
        let deleted = keep(deleted, g.deletes > 0)?;
        self.done.push(FinishedGroup { base, merged, deleted, has_deletes: g.deletes > 0 });
        Ok(())
    }
}

/// A batch of evolved-schema returns with a code per row.
fn returns_batch_indexed(rows: &[Return], codes: &[Option<&'static str>]) -> Result<RecordBatch, GenError> {
    let mut i = 0;
    returns_batch_with(rows, true, |_| {
        let c = codes[i];
        i += 1;
        c
    })
    .map_err(arrow_err)
}

/// What v2's MERGE makes of a corrected return: one item, damaged (DMG) — or, for a return that
/// already says exactly that, wrong item (WRG). A correction always changes the row: one equal
/// to it would be logged as `return_updated` while Bronze, which sees versions by their content,
/// rightly finds nothing changed (18 of 2,915 updates at scale 1 before this).
fn correction(r: &Return) -> Return {
    let already = r.qty == 1 && r.reason == "damaged" && r.reason_code == "DMG";
    let (reason, reason_code) = if already { ("wrong_item", "WRG") } else { ("damaged", "DMG") };
    Return { qty: 1, reason, reason_code, ..*r }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    None,
    Update,
    Delete,
}

/// Whether v2 corrects a return or v3 cancels it: a pure function of the return, so the history
/// streams. The first two returns of a base history are always picked, so even tiny scales
/// have every kind of version.
fn change_of(model: &Model, r: &Return, index: u64) -> Change {
    let u = unit(hash(model.seed, Stream::ReturnChange, r.return_id as u64, 0));
    match index {
        0 => Change::Update,
        1 => Change::Delete,
        _ if u < UPDATE_SHARE => Change::Update,
        _ if u < UPDATE_SHARE + DELETE_SHARE => Change::Delete,
        _ => Change::None,
    }
}

/// Calls `f` with every return of orders placed on days `from..to`, in return_id order,
/// generating a few days at a time in parallel (memory stays flat with scale).
fn for_each_return(
    model: &Model,
    from: Day,
    to: Day,
    as_of: Day,
    mut f: impl FnMut(&Return) -> Result<(), GenError>,
) -> Result<(), GenError> {
    let chunk = (rayon::current_num_threads() as Day * 4).max(1);
    let mut day = from;
    while day < to {
        let end = (day + chunk).min(to);
        let days: Vec<Vec<Return>> =
            (day..end).into_par_iter().map(|d| Returns::new(model, d, d + 1, as_of).map(|g| g.row).collect()).collect();
        for r in days.iter().flatten() {
            f(r)?;
        }
        day = end;
    }
    Ok(())
}

pub fn write_returns(ctx: &Ctx<'_>, out: &mut UnitOutput) -> Result<(), GenError> {
    let (cfg, model) = (ctx.cfg, ctx.model);
    let dir = cfg.out.join(&Table::Returns.raw().path);
    let unit = unit_name(cfg);
    // Files are staged outside the table and moved in once the history is known to be new.
    let staging = cfg.out.join(format!("_staging/returns_{unit}"));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(|e| GenError::io(&staging, e))?;
    }
    std::fs::create_dir_all(&staging).map_err(|e| GenError::io(&staging, e))?;
    let cutoff_us = (cfg.end() as i64 - (cfg.days as i64 / 10).clamp(1, 60)) * MICROS_PER_DAY;
    let (mut old, mut new) = if cfg.increment {
        (Segment::new(&staging, "unused", false), Segment::new(&staging, &format!("inc_{unit}"), true))
    } else {
        (Segment::new(&staging, "v0", false), Segment::new(&staging, "v1", true))
    };
    let mut rows = 0u64;
    let mut print = 0u64;
    for_each_return(model, cfg.start, cfg.end(), cfg.end(), |r| {
        print = fingerprint_step(print, r);
        let change = if cfg.increment { Change::None } else { change_of(model, r, rows) };
        match change {
            Change::Update => out.truth.push(Table::Returns, CHANGE_RETURN_UPDATED, r.return_id.to_string(), "returns", 2),
            Change::Delete => out.truth.push(Table::Returns, CHANGE_RETURN_DELETED, r.return_id.to_string(), "returns", 3),
            Change::None => {}
        }
        rows += 1;
        if !cfg.increment && r.return_ts_us < cutoff_us { old.push(r, change) } else { new.push(r, change) }
    })?;
    old.close_group()?;
    new.close_group()?;

    // A Delta log records commit times, so rewriting the same history would look like new
    // source data downstream. A marker with the history's fingerprint makes a rerun leave an
    // identical table (and an already applied increment) alone.
    let marker = dir.join(format!("_medallion_gen_{unit}.json"));
    let fingerprint = format!(
        "{{\"layout\":{HISTORY_LAYOUT},\"seed\":{},\"scale\":{},\"rows\":{},\"hash\":\"{:016x}\"}}",
        cfg.seed, cfg.scale, rows, print
    );
    if !std::fs::read_to_string(&marker).is_ok_and(|m| m == fingerprint) {
        if !cfg.increment && dir.exists() {
            // A base run starts the table afresh.
            std::fs::remove_dir_all(&dir).map_err(|e| GenError::io(&dir, e))?;
        }
        install(&staging, &dir)?;
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| GenError::io(&dir, e))?;
        rt.block_on(commit_history(&dir, cfg.increment, &old, &new))?;
        super::sink::write_atomic(&marker, fingerprint.as_bytes())?;
    }
    std::fs::remove_dir_all(&staging).map_err(|e| GenError::io(&staging, e))?;
    let _ = std::fs::remove_dir(cfg.out.join("_staging"));
    let bytes = dir_size(&dir);
    out.add_file(Table::Returns, rows, bytes);
    ctx.progress.rows(Table::Returns, rows);
    Ok(())
}

/// Moves every staged data file into the table folder.
fn install(staging: &std::path::Path, dir: &std::path::Path) -> Result<(), GenError> {
    std::fs::create_dir_all(dir).map_err(|e| GenError::io(dir, e))?;
    for entry in std::fs::read_dir(staging).map_err(|e| GenError::io(staging, e))? {
        let from = entry.map_err(|e| GenError::io(staging, e))?.path();
        let to = dir.join(from.file_name().expect("a file in the staging folder"));
        std::fs::rename(&from, &to).map_err(|e| GenError::io(&to, e))?;
    }
    Ok(())
}

/// Commits the staged files as the table's versions: v0 base, v1 evolution, v2 MERGE, v3
/// DELETE — or, for an increment, one append.
async fn commit_history(dir: &std::path::Path, increment: bool, old: &Segment, new: &Segment) -> Result<(), GenError> {
    let url = medallion_delta::table_url(dir)?;
    let base_schema = bare(&Table::Returns.schema());
    let evolved = bare(&returns_evolved_schema());
    let files = |s: &Segment| s.done.iter().map(|g| g.base.clone()).collect::<Vec<_>>();
    if increment {
        let table = medallion_delta::open(url).await?;
        medallion_delta::commit(&table, &evolved, None, Commit::append(&files(new), None)).await?;
        return Ok(());
    }
    let table = medallion_delta::open(url).await?;
    let table = medallion_delta::commit(&table, &base_schema, None, Commit::append(&files(old), None)).await?;
    let mut v1 = Commit::append(&files(new), None);
    v1.actions.insert(0, medallion_delta::schema_change(&table, &evolved, None)?);
    let table = medallion_delta::commit(&table, &evolved, None, v1).await?;

    let ms = medallion_delta::now_ms();
    let groups = || old.done.iter().chain(&new.done);
    let mut v2 = Vec::new();
    for g in groups() {
        if let Some(m) = &g.merged {
            v2.push(Action::Remove(g.base.remove(ms)));
            v2.push(Action::Add(m.add(ms)));
        }
    }
    let merge = medallion_delta::merge_operation("target.return_id = source.return_id");
    // A history without returns has nothing to correct or cancel.
    if v2.is_empty() {
        return Ok(());
    }
    let table =
        medallion_delta::commit(&table, &evolved, None, Commit { actions: v2, operation: merge, app_txn: None, metadata: Vec::new() })
            .await?;
    let mut v3 = Vec::new();
    for g in groups() {
        if g.has_deletes {
            let current = g.merged.as_ref().unwrap_or(&g.base);
            v3.push(Action::Remove(current.remove(ms)));
            v3.extend(g.deleted.as_ref().map(|d| Action::Add(d.add(ms))));
        }
    }
    if v3.is_empty() {
        return Ok(());
    }
    let delete = DeltaOperation::Delete { predicate: Some("return_id IN (cancelled returns)".into()) };
    medallion_delta::commit(&table, &evolved, None, Commit { actions: v3, operation: delete, app_txn: None, metadata: Vec::new() }).await?;
    Ok(())
}

fn unit_name(cfg: &crate::GenConfig) -> String {
    if cfg.increment {
        format!("{}_{}", crate::text::date_string(cfg.start), crate::text::date_string(cfg.end() - 1))
    } else {
        "base".into()
    }
}

/// Folds one return into the history's fingerprint (order-sensitive).
fn fingerprint_step(acc: u64, r: &Return) -> u64 {
    let h = [r.return_id as u64, r.order_id as u64, r.product_id as u64, r.return_ts_us as u64, r.qty as u64, r.reason.len() as u64]
        .iter()
        .fold(acc, |a, v| crate::rng::mix(a ^ v));
    crate::rng::mix(h)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_correction_always_changes_the_return() {
        let base = Return { return_id: 101, order_id: 1, product_id: 7, return_ts_us: 0, qty: 3, reason: "too_small", reason_code: "SZS" };
        for (qty, (reason, reason_code)) in [1, 2, 3].into_iter().flat_map(|q| crate::world::RETURN_REASONS.map(|r| (q, r))) {
            let r = Return { qty, reason, reason_code, ..base };
            let c = correction(&r);
            assert!((c.qty, c.reason, c.reason_code) != (r.qty, r.reason, r.reason_code), "{r:?} is its own correction");
            assert!(c.qty <= r.qty, "a correction never returns more than was returned");
        }
    }
}
