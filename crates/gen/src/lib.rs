//! `medallion_gen`: a deterministic, anomaly-seeded generator of a retailer's eleven raw sources.
//!
//! **Rows.** Each source has a typed row and a generator: an iterator over the rows of one
//! chunk (a day of orders, a day of events, a store's month of sensor readings, a dimension),
//! each row paired with the anomaly injected into it, if any ([`Generated`]). Chunks are pure
//! functions of (seed, table, chunk), so any chunk can be made alone, on any thread or machine.
//!
//! | source | row | generator |
//! |---|---|---|
//! | customers | [`dims::Customer`] | [`dims::Customers`], [`dims::CustomerChanges`] |
//! | products | [`dims::Product`] | [`dims::Products`], [`dims::ProductChanges`] |
//! | stores | [`dims::Store`] | [`dims::Stores`] |
//! | suppliers | [`dims::Supplier`] | [`dims::Suppliers`] |
//! | orders_header | [`orders::OrderHeader`] | [`orders::OrderHeaders`] |
//! | orders_lines | [`orders::OrderLine`] | [`orders::OrderLines`] |
//! | shipments | [`orders::Shipment`] | [`orders::Shipments`] |
//! | events | [`events::Event`] | [`events::Events`] |
//! | sensors | [`sensors::SensorReading`] | [`sensors::SensorReadings`] |
//! | exchange_rates | [`fx::ExchangeRate`] | [`fx::ExchangeRates`] |
//! | returns | [`orders::Return`] | [`returns::Returns`] |
//!
//! **Arrow.** [`ArrowBatches`] turns any generator into record batches of the table's
//! canonical schema ([`ArrowRow`]), the way tpchgen-arrow does for TPC-H.
//!
//! **Files** (default feature `files`). [`generate`] writes a whole dataset as the raw sources
//! look in the wild (CSV, JSONL, an XLSX workbook, Parquet, a Delta table with history) with its
//! ground-truth log. Without the feature the crate builds without Delta Lake, DataFusion,
//! Parquet or the XLSX writer.
//!
//! ```
//! use medallion_gen::{ArrowBatches, model::Model, orders::OrderLines, text::parse_date};
//!
//! let day = parse_date("2024-03-01").unwrap();
//! let model = Model::new(42, 0.01, day + 1);
//! // The order lines of one day, as typed rows…
//! let lines: Vec<_> = OrderLines::new(&model, day, 0, day..day + 1).collect();
//! assert!(lines.iter().all(|g| g.row.line_number >= 1));
//! // …or as Arrow batches of the canonical `orders_lines` schema.
//! let batches = ArrowBatches::new(OrderLines::new(&model, day, 0, day..day + 1), 1024);
//! let rows: usize = batches.map(|b| b.unwrap().num_rows()).sum();
//! assert_eq!(rows, lines.len());
//! ```
#![warn(missing_docs)]

mod arrow_rows;
pub mod dims;
pub mod events;
pub mod fx;
pub mod model;
pub mod orders;
pub mod returns;
pub mod rng;
mod row;
pub mod sensors;
pub mod text;
pub mod world;
#[cfg(feature = "files")]
mod write;

/// The ground-truth log format (defined beside the anomaly catalogue in `medallion-schema`).
pub use medallion_schema::truth;
pub use medallion_schema::{NoProgress, Progress};

use std::path::{Path, PathBuf};

use medallion_schema::Table;

pub use arrow_rows::{ArrowBatches, ArrowRow};
pub use model::Model;
pub use row::{Generated, Mark, SourceRow};
use text::{Day, civil_from_days, date_string, days_from_civil};
#[cfg(feature = "files")]
pub use write::{Summary, TableStats, Unit, generate, plan};

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
    /// The output folder holds another dataset; generating would mix the two.
    #[error("{} holds another dataset ({found}); this run would write {wanted}. Use --replace to delete it first, or another --out", out.display())]
    OtherDataset {
        /// The output folder.
        out: PathBuf,
        /// The dataset there.
        found: String,
        /// The dataset asked for.
        wanted: String,
    },
    /// The output would not fit on its disk.
    #[error("{}: about {:.1} GB would be written but {:.1} GB are free; free space, lower --scale or --days, or use --force", out.display(), *needed as f64 / 1e9, *available as f64 / 1e9)]
    NoSpace {
        /// The output folder.
        out: PathBuf,
        /// Estimated bytes to write.
        needed: u64,
        /// Free bytes on its file system.
        available: u64,
    },
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
    /// An XLSX workbook could not be written.
    #[cfg(feature = "files")]
    #[error("{file}: writing XLSX")]
    Xlsx {
        /// The file, relative to the output folder.
        file: String,
        /// What the XLSX writer said.
        source: rust_xlsxwriter::XlsxError,
    },
    /// A Parquet file or the returns Delta table could not be written or committed.
    #[cfg(feature = "files")]
    #[error("writing Parquet / Delta")]
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
    /// The random seed: the same seed gives the same bytes.
    pub seed: u64,
    /// 1.0 = the brief's volumes (≈1 M orders over three years).
    pub scale: f64,
    /// First day generated.
    pub start: Day,
    /// Days generated.
    pub days: u32,
    /// The output folder.
    pub out: PathBuf,
    /// Worker threads; 0 = one per core. Never changes the output.
    pub threads: usize,
    /// This run makes work units `i` with `i % parts == part`.
    pub part: u32,
    /// How many parts the run is split into.
    pub parts: u32,
    /// An increment: facts for the days plus dimension changes, no full dimension snapshots.
    pub increment: bool,
    /// With an increment: also one late file, back-dated to the day before `start`.
    pub late_file: bool,
    /// Only the units that write these tables (all when empty).
    pub tables: Vec<Table>,
    /// Delete another dataset found in `out` (other seed, scale or days) instead of refusing.
    pub replace: bool,
    /// Write even when the output's estimated size exceeds the free space.
    pub force: bool,
    /// Anomaly rates and popularity laws (the SPEC's by default).
    pub profile: medallion_schema::profile::Profile,
}

impl GenConfig {
    /// The defaults (seed 42, scale 1, three years from 2023-01-01) writing into `out`.
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
            replace: false,
            force: false,
            profile: Default::default(),
        }
    }

    /// The day after the last generated day.
    pub fn end(&self) -> Day {
        self.start + self.days as Day
    }

    /// Refuses a configuration the generator cannot honour, naming the option.
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

    /// The world model of this configuration (sizes and distributions for its seed and scale).
    pub fn model(&self) -> Model {
        Model::with_profile(self.seed, self.scale, self.end(), &self.profile)
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
