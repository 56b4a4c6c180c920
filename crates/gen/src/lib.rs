//! `medallion_gen`: a deterministic, anomaly-seeded generator of a retailer's eleven raw sources.
//!
//! Use it as a library: build a [`GenConfig`], call [`generate`], and read the result under
//! `config.out`, or call the per-table row functions ([`orders::OrderGen`], [`dims`], …) to get
//! typed rows without writing files. Every (table, chunk) draws from its own random stream derived
//! from the seed, so the bytes never depend on the thread count or on how a run is split into
//! `--parts`.

pub mod dims;
pub mod events;
pub mod fx;
pub mod model;
pub mod orders;
pub mod returns;
pub mod rng;
pub mod sensors;
mod sink;
pub mod text;
pub mod world;

/// The ground-truth log format (defined beside the anomaly catalogue in `medallion-schema`).
pub use medallion_schema::truth;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use medallion_schema::Table;
use rayon::prelude::*;

pub use model::Model;
use text::{Day, civil_from_days, date_string, days_from_civil};

/// Why a generator run failed. Each variant keeps its cause as `source()`.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    /// A file or folder could not be created, written or renamed.
    #[error("{}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The configuration asks for something the generator cannot do (scale, dates, parts).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A path pattern of the catalogue could not be rendered.
    #[error(transparent)]
    Schema(#[from] medallion_schema::SchemaError),
    /// The ground-truth log could not be written.
    #[error("ground-truth log")]
    Truth(#[from] medallion_schema::truth::TruthError),
    /// Arrow refused a batch (a column that does not fit the table's schema).
    #[error("{table}: building an Arrow batch")]
    Arrow {
        /// The table whose batch it was.
        table: Table,
        /// What Arrow said.
        source: arrow::error::ArrowError,
    },
    /// A Parquet file could not be written.
    #[error("{file}: writing Parquet")]
    Parquet {
        /// The file, relative to the output folder.
        file: String,
        /// What the Parquet writer said.
        source: parquet::errors::ParquetError,
    },
    /// An XLSX workbook could not be written.
    #[error("{file}: writing XLSX")]
    Xlsx {
        /// The file, relative to the output folder.
        file: String,
        /// What the XLSX writer said.
        source: rust_xlsxwriter::XlsxError,
    },
    /// The returns Delta table could not be written or committed.
    #[error("returns Delta table")]
    Delta(#[from] medallion_delta::DeltaIoError),
    /// The worker pool could not be started.
    #[error("cannot start {threads} worker threads")]
    Threads {
        /// Threads asked for.
        threads: usize,
        /// What rayon said.
        source: rayon::ThreadPoolBuildError,
    },
}

/// The generator's result type.
pub type Result<T, E = GenError> = std::result::Result<T, E>;

impl GenError {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        GenError::Io { path: path.to_path_buf(), source }
    }
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenConfig {
    pub seed: u64,
    /// 1.0 = the brief's volumes (≈1 M orders over three years).
    pub scale: f64,
    /// First day generated.
    pub start: Day,
    pub days: u32,
    pub out: PathBuf,
    /// Worker threads; 0 = one per core. Never changes the output.
    pub threads: usize,
    /// This run makes work units `i` with `i % parts == part`.
    pub part: u32,
    pub parts: u32,
    /// An increment: facts for the days plus dimension changes, no full dimension snapshots.
    pub increment: bool,
    /// With an increment: also one late file, back-dated to the day before `start`.
    pub late_file: bool,
    /// Only the units that write these tables (all when empty).
    pub tables: Vec<Table>,
}

impl GenConfig {
    pub fn new(out: impl Into<PathBuf>) -> Self {
        GenConfig {
            seed: 42,
            scale: 1.0,
            start: model::DEFAULT_START,
            days: model::DEFAULT_DAYS,
            out: out.into(),
            threads: 0,
            part: 0,
            parts: 1,
            increment: false,
            late_file: false,
            tables: Vec::new(),
        }
    }

    pub fn end(&self) -> Day {
        self.start + self.days as Day
    }

    pub fn validate(&self) -> Result<(), GenError> {
        let bad = |m: String| Err(GenError::Config(m));
        if !(self.scale.is_finite() && self.scale > 0.0 && self.scale <= 100.0) {
            return bad(format!("--scale must be a number in (0, 100], got {}", self.scale));
        }
        if self.days == 0 || self.days > 20_000 {
            return bad(format!("--days must be between 1 and 20000, got {}", self.days));
        }
        if self.start < model::FX_EPOCH || self.end() > days_from_civil(2099, 12, 31) {
            return bad(format!("dates must lie between {} and 2099-12-31", date_string(model::FX_EPOCH)));
        }
        if self.parts == 0 || self.part >= self.parts {
            return bad(format!("--part must be below --parts (got part {} of {})", self.part, self.parts));
        }
        if self.late_file && !self.increment {
            return bad("--late-file only makes sense with --increment".into());
        }
        Ok(())
    }

    pub fn model(&self) -> Model {
        Model::new(self.seed, self.scale, self.end())
    }
}

/// One independently generated piece of output.
#[derive(Debug, Clone, PartialEq)]
pub enum Unit {
    Customers,
    Products,
    Stores,
    Suppliers,
    ExchangeRates,
    Returns,
    /// Orders, lines and shipments for days `from..to` (one calendar month at most).
    Orders {
        from: Day,
        to: Day,
    },
    Events {
        from: Day,
        to: Day,
    },
    Sensors {
        store_id: i64,
        shelves: u32,
        from: Day,
        to: Day,
    },
    /// A file of orders and lines for `day` that arrives late, with an increment.
    LateOrders {
        day: Day,
    },
    CustomerChanges,
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

/// Splits `from..to` at calendar-month boundaries.
pub fn month_segments(from: Day, to: Day) -> Vec<(Day, Day)> {
    let mut out = Vec::new();
    let mut a = from;
    while a < to {
        let (y, m, _) = civil_from_days(a);
        let next = if m == 12 { days_from_civil(y + 1, 1, 1) } else { days_from_civil(y, m + 1, 1) };
        let b = next.min(to);
        out.push((a, b));
        a = b;
    }
    out
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
        units.extend(sensors::sensor_stores(model).into_iter().map(|(store_id, shelves)| Unit::Sensors {
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
    pub rows: u64,
    pub files: u64,
    pub bytes: u64,
    /// Seconds spent in this table's units, summed over threads.
    pub busy_seconds: f64,
}

/// What one unit produced.
#[derive(Debug)]
pub struct UnitOutput {
    pub stats: BTreeMap<Table, TableStats>,
    pub truth: truth::TruthLog,
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

pub use medallion_schema::{NoProgress, Progress};

/// The run's summary.
#[derive(Debug, Default)]
pub struct Summary {
    pub tables: BTreeMap<Table, TableStats>,
    pub anomalies: BTreeMap<(String, String), u64>,
    pub units: usize,
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
    let truth = truth::TruthLog::create(&ctx.cfg.out, &unit.id(ctx.cfg))?;
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

fn probe_writable(dir: &Path) -> Result<(), GenError> {
    let probe = dir.join(".medallion-write-probe");
    std::fs::write(&probe, b"").map_err(|e| GenError::io(dir, e))?;
    std::fs::remove_file(&probe).map_err(|e| GenError::io(&probe, e))
}
