//! Writing a dataset: the run is split into work units (a dimension, a month of orders, a
//! store's sensors, …), each writing its files and its ground-truth log; units run in parallel
//! and their output never depends on the order they run in. Every writer consumes the row
//! generators of the crate root's modules and encodes their rows (CSV, JSONL, XLSX, Parquet,
//! Delta).

mod dims;
mod events;
mod fx;
mod orders;
mod returns;
mod sensors;
pub(crate) mod sink;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use medallion_schema::profile::PROFILE_FILE;
use medallion_schema::truth::TruthLog;
use medallion_schema::{Progress, Table};
use rayon::prelude::*;

use crate::model::{self, Model};
use crate::text::{Day, date_string};
use crate::{GenConfig, GenError, month_segments};

/// One independently generated piece of output.
#[derive(Debug, Clone, PartialEq)]
pub enum Unit {
    /// The base customers file.
    Customers,
    /// The base products file.
    Products,
    /// The stores file.
    Stores,
    /// The suppliers file.
    Suppliers,
    /// The exchange-rates workbook.
    ExchangeRates,
    /// The returns Delta table (its history, or an increment's version).
    Returns,
    /// Orders, lines and shipments for days `from..to` (one calendar month at most).
    Orders {
        /// First day.
        from: Day,
        /// Day after the last.
        to: Day,
    },
    /// Events for days `from..to`.
    Events {
        /// First day.
        from: Day,
        /// Day after the last.
        to: Day,
    },
    /// One store's sensors over days `from..to`, a file per month.
    Sensors {
        /// The store.
        store_id: i64,
        /// Its instrumented shelves.
        shelves: u32,
        /// First day.
        from: Day,
        /// Day after the last.
        to: Day,
    },
    /// A file of orders and lines for `day` that arrives late, with an increment.
    LateOrders {
        /// The late day.
        day: Day,
    },
    /// An increment's customer moves.
    CustomerChanges,
    /// An increment's price changes.
    ProductChanges,
}

impl Unit {
    /// The unit's name, used for its ground-truth file.
    pub fn id(&self, cfg: &GenConfig) -> String {
        let range = || format!("{}_{}", date_string(cfg.start), date_string(cfg.end() - 1));
        match self {
            Unit::Customers => "customers".into(),
            Unit::Products => "products".into(),
            Unit::Stores => "stores".into(),
            Unit::Suppliers => "suppliers".into(),
            Unit::ExchangeRates if cfg.increment => format!("exchange_rates_{}", range()),
            Unit::ExchangeRates => "exchange_rates".into(),
            Unit::Returns if cfg.increment => format!("returns_{}", range()),
            Unit::Returns => "returns".into(),
            Unit::Orders { from, .. } => format!("orders_{}", date_string(*from)),
            Unit::Events { from, .. } => format!("events_{}", date_string(*from)),
            Unit::Sensors { store_id, .. } => format!("sensors_{store_id}"),
            Unit::LateOrders { day } => format!("orders_late_{}", date_string(*day)),
            Unit::CustomerChanges => format!("customers_{}", range()),
            Unit::ProductChanges => format!("products_{}", range()),
        }
    }

    /// The tables a unit writes.
    pub fn tables(&self) -> &'static [Table] {
        match self {
            Unit::Customers | Unit::CustomerChanges => &[Table::Customers],
            Unit::Products | Unit::ProductChanges => &[Table::Products],
            Unit::Stores => &[Table::Stores],
            Unit::Suppliers => &[Table::Suppliers],
            Unit::ExchangeRates => &[Table::ExchangeRates],
            Unit::Returns => &[Table::Returns],
            Unit::Orders { .. } => &[Table::OrdersHeader, Table::OrdersLines, Table::Shipments],
            Unit::LateOrders { .. } => &[Table::OrdersHeader, Table::OrdersLines],
            Unit::Events { .. } => &[Table::Events],
            Unit::Sensors { .. } => &[Table::Sensors],
        }
    }

    /// A rough cost, to start the longest units first.
    fn cost(&self) -> i64 {
        match self {
            Unit::Orders { from, to } => 20 * (to - from) as i64,
            Unit::Events { from, to } => 8 * (to - from) as i64,
            Unit::Sensors { shelves, from, to, .. } => *shelves as i64 * (to - from) as i64,
            Unit::Returns => 10_000,
            _ => 100,
        }
    }
}

/// Every unit of a run, in a fixed order (the order `--parts` splits by).
pub fn plan(cfg: &GenConfig, model: &Model) -> Vec<Unit> {
    let mut units = Vec::new();
    if cfg.increment {
        units.extend([Unit::CustomerChanges, Unit::ProductChanges, Unit::ExchangeRates, Unit::Returns]);
        if cfg.late_file {
            units.push(Unit::LateOrders { day: cfg.start - 1 });
        }
    } else {
        units.extend([Unit::Customers, Unit::Products, Unit::Stores, Unit::Suppliers, Unit::ExchangeRates, Unit::Returns]);
    }
    let months = month_segments(cfg.start, cfg.end());
    units.extend(months.iter().map(|&(from, to)| Unit::Orders { from, to }));
    units.extend(months.iter().map(|&(from, to)| Unit::Events { from, to }));
    if !cfg.increment {
        let from = cfg.end() - (cfg.days.min(model::SENSOR_DAYS) as Day);
        units.extend(crate::sensors::sensor_stores(model).into_iter().map(|(store_id, shelves)| Unit::Sensors {
            store_id,
            shelves,
            from,
            to: cfg.end(),
        }));
    }
    units
}

/// Rows, files and bytes written for one table.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct TableStats {
    /// Rows written.
    pub rows: u64,
    /// Files written.
    pub files: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Seconds spent in this table's units, summed over threads.
    pub busy_seconds: f64,
}

/// What one unit produced.
#[derive(Debug)]
pub struct UnitOutput {
    pub stats: BTreeMap<Table, TableStats>,
    pub truth: TruthLog,
}

/// What travels back from a unit: its counts (never its rows or records).
struct UnitCounts {
    stats: BTreeMap<Table, TableStats>,
    /// Ground-truth records per (table, kind).
    anomaly_counts: BTreeMap<(String, String), u64>,
}

impl UnitOutput {
    pub fn add_file(&mut self, table: Table, rows: u64, bytes: u64) {
        let s = self.stats.entry(table).or_default();
        s.rows += rows;
        s.files += 1;
        s.bytes += bytes;
    }

    /// Completes a text file: renames it into place, counts it and reports progress.
    pub(crate) fn close(&mut self, ctx: &Ctx<'_>, table: Table, sink: sink::TextSink) -> Result<(), GenError> {
        let rows = sink.rows();
        let bytes = sink.finish()?;
        self.add_file(table, rows, bytes);
        ctx.progress.rows(table, rows);
        Ok(())
    }
}

/// The run's summary.
#[derive(Debug, Default)]
pub struct Summary {
    /// Rows, files and bytes per table.
    pub tables: BTreeMap<Table, TableStats>,
    /// Ground-truth records per (table, kind).
    pub anomalies: BTreeMap<(String, String), u64>,
    /// Work units run.
    pub units: usize,
    /// Wall time.
    pub wall_seconds: f64,
}

/// Everything a unit needs.
pub struct Ctx<'a> {
    pub cfg: &'a GenConfig,
    pub model: &'a Model,
    pub progress: &'a dyn Progress,
}

fn run_unit(ctx: &Ctx<'_>, unit: &Unit) -> Result<UnitCounts, GenError> {
    let started = Instant::now();
    let truth = TruthLog::create(&ctx.cfg.out, &unit.id(ctx.cfg))?;
    let mut out = UnitOutput { stats: BTreeMap::new(), truth };
    match unit {
        Unit::Customers => dims::write_customers(ctx, &mut out)?,
        Unit::Products => dims::write_products(ctx, &mut out)?,
        Unit::Stores => dims::write_stores(ctx, &mut out)?,
        Unit::Suppliers => dims::write_suppliers(ctx, &mut out)?,
        Unit::CustomerChanges => dims::write_customer_changes(ctx, &mut out)?,
        Unit::ProductChanges => dims::write_product_changes(ctx, &mut out)?,
        Unit::ExchangeRates => fx::write_exchange_rates(ctx, &mut out)?,
        Unit::Returns => returns::write_returns(ctx, &mut out)?,
        Unit::Orders { from, to } => orders::write_orders(ctx, *from, *to, &mut out)?,
        Unit::LateOrders { day } => orders::write_late_orders(ctx, *day, &mut out)?,
        Unit::Events { from, to } => events::write_events(ctx, *from, *to, &mut out)?,
        Unit::Sensors { store_id, shelves, from, to } => sensors::write_sensors(ctx, *store_id, *shelves, *from, *to, &mut out)?,
    }
    let secs = started.elapsed().as_secs_f64();
    let n = out.stats.len().max(1) as f64;
    for s in out.stats.values_mut() {
        s.busy_seconds += secs / n;
    }
    Ok(UnitCounts { stats: out.stats, anomaly_counts: out.truth.finish()? })
}

/// Generates everything `cfg` asks for under `cfg.out`.
pub fn generate(cfg: &GenConfig, progress: &dyn Progress) -> Result<Summary, GenError> {
    cfg.validate()?;
    let started = Instant::now();
    std::fs::create_dir_all(&cfg.out).map_err(|e| GenError::io(&cfg.out, e))?;
    probe_writable(&cfg.out)?;
    check_space(cfg)?;
    claim_dataset(cfg)?;
    let model = cfg.model();
    let ctx = Ctx { cfg, model: &model, progress };
    let wanted = |u: &Unit| cfg.tables.is_empty() || u.tables().iter().any(|t| cfg.tables.contains(t));
    let mut units: Vec<(usize, Unit)> =
        plan(cfg, &model).into_iter().enumerate().filter(|(i, u)| *i as u32 % cfg.parts == cfg.part && wanted(u)).collect();
    // Longest first keeps both cores busy to the end; the order never affects the bytes.
    units.sort_by_key(|(i, u)| (-u.cost(), *i));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.threads)
        .build()
        .map_err(|source| GenError::Threads { threads: cfg.threads, source })?;
    let outputs: Vec<UnitCounts> = pool.install(|| units.par_iter().map(|(_, u)| run_unit(&ctx, u)).collect::<Result<_, _>>())?;
    let mut summary = Summary { units: units.len(), ..Default::default() };
    for o in outputs {
        for (t, s) in o.stats {
            let acc = summary.tables.entry(t).or_default();
            acc.rows += s.rows;
            acc.files += s.files;
            acc.bytes += s.bytes;
            acc.busy_seconds += s.busy_seconds;
        }
        for (key, n) in o.anomaly_counts {
            *summary.anomalies.entry(key).or_default() += n;
        }
    }
    summary.wall_seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// The file naming the dataset an output folder holds: `seed=… scale=… start=… days=…` of
/// its base run (increments add days of the same seed and scale).
pub const DATASET_FILE: &str = "_dataset";

/// The identity of `cfg`'s base dataset; a profile other than the default is part of it.
fn dataset_line(cfg: &GenConfig) -> String {
    let profile = cfg.profile.fingerprint();
    let profile = if profile == "default" { String::new() } else { format!(" profile={profile}") };
    format!("seed={} scale={} start={} days={}{profile}", cfg.seed, cfg.scale, date_string(cfg.start), cfg.days)
}

/// Makes sure `cfg.out` holds this dataset or none: a base run writes the marker, an increment
/// must extend the dataset there (same seed and scale). Another dataset is refused — or, with
/// `replace`, its files are deleted first — so files of two datasets never mix.
fn claim_dataset(cfg: &GenConfig) -> Result<(), GenError> {
    let marker = cfg.out.join(DATASET_FILE);
    let wanted = dataset_line(cfg);
    let found = std::fs::read_to_string(&marker).ok().map(|t| t.trim().to_string());
    let same = |found: &str| {
        if cfg.increment {
            // Seed, scale (the first two fields) and profile.
            let profile = |line: &str| line.split(' ').find(|f| f.starts_with("profile=")).map(str::to_string);
            found.split(' ').take(2).eq(wanted.split(' ').take(2)) && profile(found) == profile(&wanted)
        } else {
            found == wanted
        }
    };
    match found {
        Some(found) if !same(&found) => {
            if !cfg.replace {
                return Err(GenError::OtherDataset { out: cfg.out.clone(), found, wanted });
            }
            remove_dataset(&cfg.out)?;
        }
        // No marker but table files: a folder written before markers existed, or by hand.
        None if cfg.replace => remove_dataset(&cfg.out)?,
        _ => {}
    }
    if !cfg.increment && cfg.part == 0 {
        std::fs::write(&marker, format!("{wanted}\n")).map_err(|e| GenError::io(&marker, e))?;
        // Every value spelled out: `--profile <out>/_profile.yml` makes the same data again.
        let profile = cfg.out.join(PROFILE_FILE);
        std::fs::write(&profile, cfg.profile.to_yaml()).map_err(|e| GenError::io(&profile, e))?;
    }
    Ok(())
}

/// Deletes what the generator writes in `out` (each table's files and folders, the
/// ground-truth log, the marker), leaving anything else (a README, committed samples).
fn remove_dataset(out: &Path) -> Result<(), GenError> {
    let ours = |name: &str| {
        name == "_anomalies"
            || name == DATASET_FILE
            || name == PROFILE_FILE
            || Table::ALL
                .iter()
                .any(|t| name == t.name() || name.starts_with(&format!("{}_", t.name())) || name.starts_with(&format!("{}.", t.name())))
    };
    for entry in std::fs::read_dir(out).map_err(|e| GenError::io(out, e))? {
        let path = entry.map_err(|e| GenError::io(out, e))?.path();
        if !path.file_name().is_some_and(|n| ours(&n.to_string_lossy())) {
            continue;
        }
        let removed = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
        removed.map_err(|e| GenError::io(&path, e))?;
    }
    Ok(())
}

/// Raw bytes written per unit of scale and per day, all tables (measured: scale 1 over the
/// default three years wrote 1.06 GB), with a margin.
const BYTES_PER_SCALE_DAY: f64 = 1.1e6;

impl GenConfig {
    /// About how many bytes this run writes.
    pub fn estimated_bytes(&self) -> u64 {
        (BYTES_PER_SCALE_DAY * self.scale * f64::from(self.days) / f64::from(self.parts)) as u64
    }
}

/// Refuses a run whose estimated output exceeds the free space of its disk (unless `force`).
fn check_space(cfg: &GenConfig) -> Result<(), GenError> {
    let needed = cfg.estimated_bytes();
    match free_bytes(&cfg.out) {
        Some(available) if needed > available && !cfg.force => Err(GenError::NoSpace { out: cfg.out.clone(), needed, available }),
        _ => Ok(()),
    }
}

/// Free bytes for an unprivileged writer on the file system of `dir` (None where unknown).
#[cfg(unix)]
fn free_bytes(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: a NUL-terminated path and a zeroed struct statvfs fills in.
    if unsafe { libc::statvfs(path.as_ptr(), &mut stat) } != 0 {
        return None;
    }
    Some(stat.f_bavail as u64 * stat.f_frsize as u64)
}

#[cfg(not(unix))]
fn free_bytes(_dir: &Path) -> Option<u64> {
    None
}

fn probe_writable(dir: &Path) -> Result<(), GenError> {
    let probe = dir.join(".medallion-write-probe");
    std::fs::write(&probe, b"").map_err(|e| GenError::io(dir, e))?;
    std::fs::remove_file(&probe).map_err(|e| GenError::io(&probe, e))
}
