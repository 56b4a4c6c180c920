//! `medallion`: the command line. Argument parsing, progress and exit codes only; the work is
//! done by the library crates.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use medallion_gen::{GenConfig, Progress, Summary, text};
use medallion_schema::Table;

#[derive(Parser)]
#[command(name = "medallion", version, about = "A retail lakehouse in a box")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate the eleven raw sources (deterministic for a seed, anomalies logged).
    Gen(GenArgs),
    /// Load the raw sources into Bronze (Parquet + Delta), rejects kept, every file in the manifest.
    ///
    /// Exit status: 0 every file loaded (some rows may be in the rejects); 1 some file failed
    /// as a whole (empty, unreadable, every row rejected) or changed since it was loaded — each
    /// named on stderr, the other files loaded; 2 the run could not happen (no raw files, lake
    /// locked, bad paths).
    Bronze(BronzeArgs),
    /// Build Silver and Gold from the dbt project, like `dbt build`: embedded DuckDB (no Python) or dbt-duckdb.
    Transform {
        /// embedded (this binary) or dbt (dbt-duckdb from $MEDALLION_DBT, .venv/bin/dbt or PATH).
        #[arg(long, default_value = "embedded")]
        engine: String,
        /// The dbt project folder.
        #[arg(long, default_value = "dbt")]
        project: PathBuf,
        #[arg(long, default_value = "duckdb/warehouse.duckdb")]
        warehouse: PathBuf,
        /// dbt-style selection: names, +name, name+, tag:x, path:models/gold (space- or comma-separated).
        #[arg(long, value_delimiter = ',', num_args = 1..)]
        select: Vec<String>,
        /// Rebuild incremental models from scratch.
        #[arg(long)]
        full_refresh: bool,
        /// Where run_results.json goes (default: the project's target/).
        #[arg(long)]
        target_path: Option<PathBuf>,
        /// Keep each test's failing rows in a table (schema dbt_test__audit).
        #[arg(long)]
        store_failures: bool,
        /// Override project vars, as dbt's --vars: a YAML mapping, e.g. '{fk_violation_error_rate: 0.2}'.
        #[arg(long)]
        vars: Option<String>,
    },
    /// Run real dbt (dbt-duckdb) on the project against the warehouse, e.g. `medallion dbt -- docs generate`.
    Dbt {
        /// The dbt executable (default: $MEDALLION_DBT, .venv/bin/dbt, or dbt on PATH).
        #[arg(long)]
        dbt: Option<PathBuf>,
        /// The dbt project folder.
        #[arg(long, default_value = "dbt")]
        project: PathBuf,
        /// The folder holding profiles.yml (default: the project).
        #[arg(long)]
        profiles_dir: Option<PathBuf>,
        #[arg(long, default_value = "duckdb/warehouse.duckdb")]
        warehouse: PathBuf,
        /// dbt's target folder (default: the project's target/).
        #[arg(long)]
        target_path: Option<PathBuf>,
        /// dbt's log folder (default: dbt's own, the project's logs/).
        #[arg(long)]
        log_path: Option<PathBuf>,
        /// dbt's own arguments, after `--`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        args: Vec<String>,
    },
    /// Export the Silver and Gold tables of the warehouse to lake/silver/ and lake/gold/ as Parquet.
    Export {
        #[arg(long, default_value = "duckdb/warehouse.duckdb")]
        warehouse: PathBuf,
        #[arg(long, default_value = "lake")]
        lake: PathBuf,
    },
    /// Data-quality checks over Silver and Gold.
    #[command(subcommand)]
    Dq(DqCommand),
    /// The Bronze Delta tables: history, diff between versions, rows as of a version, restore.
    #[command(subcommand)]
    Delta(DeltaCommand),
    /// OPTIMIZE (compaction, optionally Z-order) and VACUUM every Bronze Delta table, holding
    /// the lake's lock; prints files, bytes and the time of a fixed set of queries, before and after.
    Maintain {
        /// The lake folder.
        #[arg(long, default_value = "lake")]
        lake: PathBuf,
        /// VACUUM keeps every file a version of the last N hours uses (at least each table's
        /// delta.deletedFileRetentionDuration, one week by default).
        #[arg(long, default_value_t = 168)]
        retention_hours: u64,
        /// OPTIMIZE's target file size.
        #[arg(long, default_value_t = 64)]
        target_file_mb: u64,
        /// Z-order on ingestion_ts (the column incremental Silver builds select by) instead of compacting.
        #[arg(long)]
        zorder: bool,
        /// Change nothing; list the files VACUUM would delete.
        #[arg(long)]
        dry_run: bool,
        /// Only these tables (comma-separated).
        #[arg(long, value_delimiter = ',')]
        tables: Vec<String>,
    },
    /// The report on Gold (analytics/report.yml).
    #[command(subcommand)]
    Report(ReportCommand),
    /// Serve the report's five pages in the browser (read-only), or export them as static HTML.
    Dashboard {
        #[arg(long, default_value = "duckdb/warehouse.duckdb")]
        warehouse: PathBuf,
        /// The report definition.
        #[arg(long, default_value = "analytics/report.yml")]
        report: PathBuf,
        /// The address to listen on (only this machine by default).
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// The folder holding echarts.min.js (default: $MEDALLION_DASHBOARD_ASSETS; `cargo xtask`
        /// fetches it from the npm registry).
        #[arg(long)]
        assets: Option<PathBuf>,
        /// Write the five pages, unfiltered, as static HTML into this folder instead of serving.
        #[arg(long)]
        export: Option<PathBuf>,
    },
    /// Run SQL on the warehouse (or in memory) with the embedded DuckDB and print the rows.
    Sql {
        /// DuckDB database file; in memory when absent.
        #[arg(long)]
        db: Option<PathBuf>,
        /// Print only the row count and the query's wall time (for benchmarks).
        #[arg(long)]
        timing: bool,
        query: String,
    },
}

#[derive(Subcommand)]
enum DqCommand {
    /// Per anomaly kind of the generator's ground truth: rejected in Bronze or flagged in Silver
    /// (recall), and rejected or flagged without being in the log (precision).
    Scorecard {
        /// The warehouse after `medallion bronze` and `dbt build`.
        #[arg(long, default_value = "duckdb/warehouse.duckdb")]
        warehouse: PathBuf,
        /// The raw folder holding the ground truth (`_anomalies/`).
        #[arg(long, default_value = "data_raw")]
        raw: PathBuf,
        /// Exit with status 1 unless every kind has 100 % recall and 100 % precision.
        #[arg(long)]
        require_perfect: bool,
        /// Also write the scores into the warehouse (table quality.scorecard), for the
        /// dashboard's Data Quality page.
        #[arg(long)]
        save: bool,
    },
    /// Measure the warehouse against config/data_quality.yml and append the metrics to
    /// quality.data_quality_metrics; print them and exit 1 on any ALERT (for cron and CI).
    Monitor {
        #[arg(long, default_value = "duckdb/warehouse.duckdb")]
        warehouse: PathBuf,
        /// The thresholds (the built-in copy of config/data_quality.yml when absent).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Print the latest monitoring run; exit 1 on any ALERT.
    Status {
        #[arg(long, default_value = "duckdb/warehouse.duckdb")]
        warehouse: PathBuf,
    },
    /// Scan every string column of Gold for emails, phones and addresses of customers without
    /// consent; exit 1 if any is found.
    Gdpr {
        #[arg(long, default_value = "duckdb/warehouse.duckdb")]
        warehouse: PathBuf,
    },
    /// The realism report of a generated raw dataset: orders by weekday, month and local hour,
    /// orders per customer, lines per product, baskets, prices, deliveries per carrier against
    /// its SLA, sensor readings per shelf and anomaly rates, each against its target range;
    /// exit 1 when one is outside.
    Realism {
        /// The raw folder `medallion gen` wrote.
        #[arg(long, default_value = "data_raw")]
        raw: PathBuf,
    },
    /// Compare the node statuses of two run_results.json files (e.g. dbt's and the embedded runner's).
    CompareRuns { a: PathBuf, b: PathBuf },
    /// Compare a warehouse with another engine's build of the same Bronze, exported as one
    /// Parquet folder per relation (`DIR/<schema>/<name>/`): every table and view, exact but for
    /// floating-point columns (within --float-tolerance). `cargo xtask spark` uses it.
    CompareExport {
        warehouse: PathBuf,
        dir: PathBuf,
        /// Schemas to compare (comma-separated).
        #[arg(long, value_delimiter = ',', default_value = "silver,gold")]
        schemas: Vec<String>,
        /// Largest (absolute) difference allowed between floating-point values.
        #[arg(long, default_value_t = 1e-9)]
        float_tolerance: f64,
    },
    /// Compare two warehouses table by table (columns, types, rows as a multiset).
    Compare {
        a: PathBuf,
        b: PathBuf,
        /// Schemas to compare (comma-separated).
        #[arg(long, value_delimiter = ',', default_value = "silver,gold")]
        schemas: Vec<String>,
        /// Columns to leave out (comma-separated), e.g. run timestamps.
        #[arg(long, value_delimiter = ',')]
        ignore: Vec<String>,
    },
}

/// Where a Bronze Delta table is.
#[derive(clap::Args)]
struct TableArg {
    /// The Bronze table (e.g. returns).
    #[arg(long)]
    table: String,
    /// The lake folder.
    #[arg(long, default_value = "lake")]
    lake: PathBuf,
}

#[derive(Subcommand)]
enum DeltaCommand {
    /// Every commit of the table: version, time, operation, the Bronze load it belongs to, metrics.
    History(TableArg),
    /// What changed between two versions, by key: rows added, removed and changed.
    Diff {
        #[command(flatten)]
        at: TableArg,
        #[arg(long)]
        from: u64,
        #[arg(long)]
        to: u64,
    },
    /// A view of the table as of a version, `bronze_history.<table>_v<N>`, for `medallion sql` or dbt.
    View {
        #[command(flatten)]
        at: TableArg,
        #[arg(long)]
        version: u64,
        #[arg(long, default_value = "duckdb/warehouse.duckdb")]
        warehouse: PathBuf,
    },
    /// Delete the rows matching a condition (Delta DELETE, e.g. an erasure request), holding
    /// the lake's lock; the history keeps them, `restore` brings them back.
    Delete {
        #[command(flatten)]
        at: TableArg,
        /// A SQL condition on the table's columns, e.g. "customer_id = 42".
        #[arg(long = "where")]
        condition: String,
    },
    /// Restore the table to a version (Delta RESTORE; refused over a Bronze load), holding the
    /// lake's lock; the history keeps every version.
    Restore {
        #[command(flatten)]
        at: TableArg,
        #[arg(long)]
        version: u64,
    },
    /// Check every current data file against the Delta log (size, BLAKE3, footer, row count,
    /// pages), the Parquet mirror against the tables and the rows against the manifest.
    ///
    /// Exit status: 0 all sound, 1 something damaged (named on stderr with what to run).
    Verify(VerifyArgs),
    /// Rebuild every damaged data file from the raw files of the loads whose rows it holds,
    /// holding the lake's lock, then check again (exit 1 if anything is still wrong).
    Repair {
        #[command(flatten)]
        check: VerifyArgs,
        /// Raw sources folder (the loads' files, as the manifest hashed them).
        #[arg(long, default_value = "data_raw")]
        raw: PathBuf,
    },
}

/// Which lake a check reads.
#[derive(clap::Args)]
struct VerifyArgs {
    /// The lake folder.
    #[arg(long, default_value = "lake")]
    lake: PathBuf,
    /// DuckDB warehouse file holding the manifest.
    #[arg(long, default_value = "duckdb/warehouse.duckdb")]
    manifest: PathBuf,
    /// Only these tables (comma-separated).
    #[arg(long, value_delimiter = ',')]
    tables: Vec<String>,
}

#[derive(Subcommand)]
enum ReportCommand {
    /// Every measure of the report computed on the warehouse's Gold, under optional slicers.
    Measures(ReportArgs),
    /// Every visual of the report's pages (or of one) computed on the warehouse's Gold.
    Pages {
        #[command(flatten)]
        args: ReportArgs,
        /// Only this page.
        #[arg(long)]
        page: Option<String>,
    },
    /// Write the report as a Power BI project (`<name>.pbip`, TMDL semantic model reading the
    /// Parquet export of Gold, PBIR report) typed from the warehouse's Gold columns.
    Powerbi {
        #[arg(long, default_value = "duckdb/warehouse.duckdb")]
        warehouse: PathBuf,
        /// The report definition.
        #[arg(long, default_value = "analytics/report.yml")]
        report: PathBuf,
        /// The folder to write the project into (its generated folders are replaced).
        #[arg(long, default_value = "analytics/powerbi")]
        out: PathBuf,
    },
}

/// Where the report and the warehouse are, and the slicers of a request.
#[derive(clap::Args)]
struct ReportArgs {
    #[arg(long, default_value = "duckdb/warehouse.duckdb")]
    warehouse: PathBuf,
    /// The report definition.
    #[arg(long, default_value = "analytics/report.yml")]
    report: PathBuf,
    /// First day of the date range (YYYY-MM-DD); needs --to.
    #[arg(long, requires = "to")]
    from: Option<String>,
    /// Last day of the date range (YYYY-MM-DD); needs --from.
    #[arg(long, requires = "from")]
    to: Option<String>,
    /// A single-value slicer, e.g. `--slicer region=ANZ` (repeatable).
    #[arg(long = "slicer", value_name = "NAME=VALUE")]
    slicers: Vec<String>,
}

#[derive(clap::Args)]
struct BronzeArgs {
    /// Raw sources folder.
    #[arg(long, default_value = "data_raw")]
    raw: PathBuf,
    /// Lake folder (bronze/, _rejects/).
    #[arg(long, default_value = "lake")]
    lake: PathBuf,
    /// DuckDB warehouse file holding the manifest and the bronze.* views.
    #[arg(long, default_value = "duckdb/warehouse.duckdb")]
    manifest: PathBuf,
    /// Validate and report what would be loaded and rejected; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Only these tables (comma-separated); the others wait for a later run.
    #[arg(long, value_delimiter = ',')]
    tables: Vec<String>,
}

#[derive(clap::Args)]
struct GenArgs {
    /// Random seed: the same seed gives byte-identical files.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Output folder.
    #[arg(long, default_value = "data_raw")]
    out: PathBuf,
    /// Volume: 1.0 = the brief's target (~1M orders over three years), 0.01 = 1% of it.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    scale: f64,
    /// First day generated (YYYY-MM-DD).
    #[arg(long, default_value = "2023-01-01")]
    start_date: String,
    /// Number of days generated.
    #[arg(long, default_value_t = medallion_gen::model::DEFAULT_DAYS)]
    days: u32,
    /// Worker threads (0 = one per core); never changes the output.
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Make only part i of n (0-based), to split a run across machines.
    #[arg(long, default_value_t = 0)]
    part: u32,
    #[arg(long, default_value_t = 1)]
    parts: u32,
    /// An increment: facts for the days, dimension changes, no full dimension snapshots.
    #[arg(long)]
    increment: bool,
    /// With --increment: also one late file, back-dated to the day before --start-date.
    #[arg(long)]
    late_file: bool,
    /// Only these tables (comma-separated), e.g. customers,orders_header.
    #[arg(long, value_delimiter = ',')]
    tables: Vec<String>,
    /// The output folder holds another dataset (other seed, scale, start or days): delete its
    /// files first instead of refusing (a README or samples/ stay).
    #[arg(long)]
    replace: bool,
    /// Write even if the estimated output is larger than the free disk space.
    #[arg(long)]
    force: bool,
    /// Anomaly rates and popularity laws: `default` (the SPEC's), `clean` (no anomaly),
    /// `hostile` (every rate ×10) or a profile file (YAML; keys left out keep the default, see
    /// config/profiles/). The profile used is written beside the data as `_profile.yml`.
    #[arg(long, default_value = "default")]
    profile: String,
    /// Then print the realism report of the output folder (as `medallion dq realism`); exit 1
    /// when a figure is outside its target range.
    #[arg(long)]
    report: bool,
}

/// One progress bar per table, created on first use.
struct Bars {
    multi: MultiProgress,
    bars: Mutex<BTreeMap<Table, ProgressBar>>,
}

impl Progress for Bars {
    fn rows(&self, table: Table, rows: u64) {
        let mut bars = self.bars.lock().unwrap_or_else(|e| e.into_inner());
        let bar = bars.entry(table).or_insert_with(|| {
            let b = self.multi.add(ProgressBar::new_spinner());
            b.set_style(ProgressStyle::with_template("{spinner} {prefix:>15} {human_pos:>12} rows  {per_sec}").expect("valid template"));
            b.set_prefix(table.name());
            b
        });
        bar.inc(rows);
    }
}

impl Bars {
    fn new() -> Self {
        Bars { multi: MultiProgress::new(), bars: Mutex::new(BTreeMap::new()) }
    }

    fn clear(&self) {
        for bar in self.bars.lock().unwrap_or_else(|e| e.into_inner()).values() {
            bar.finish_and_clear();
        }
    }
}

fn run_gen(args: GenArgs) -> Result<Summary> {
    let start =
        text::parse_date(&args.start_date).with_context(|| format!("--start-date: `{}` is not a date (YYYY-MM-DD)", args.start_date))?;
    let tables = parse_tables(&args.tables)?;
    let cfg = GenConfig {
        seed: args.seed,
        scale: args.scale,
        start,
        days: args.days,
        out: args.out,
        threads: args.threads,
        part: args.part,
        parts: args.parts,
        increment: args.increment,
        late_file: args.late_file,
        tables,
        replace: args.replace,
        force: args.force,
        profile: medallion_schema::profile::Profile::resolve(&args.profile).map_err(|e| anyhow::anyhow!("--profile: {e}"))?,
    };
    // A bad option is one line, without the "generating into" context.
    cfg.validate()?;
    let bars = Bars::new();
    let summary = medallion_gen::generate(&cfg, &bars).with_context(|| format!("generating into {}", cfg.out.display()))?;
    bars.clear();
    print_summary(&cfg, &summary);
    if args.report {
        println!();
        run_realism(&cfg.out)?;
    }
    Ok(summary)
}

/// Prints the realism report of `raw`; [`CheckFailed`] when a figure is out of range.
fn run_realism(raw: &std::path::Path) -> Result<()> {
    if !raw.is_dir() {
        bail!("--raw {}: no such folder (run `medallion gen` first)", raw.display());
    }
    // The carriers' promises come from the generator's world: the report never assumes them.
    let mut carriers: Vec<medallion_quality::realism::CarrierSla> = Vec::new();
    for c in medallion_gen::world::COUNTRIES.iter().flat_map(|country| country.carriers) {
        if !carriers.iter().any(|k| k.carrier == c.name) {
            carriers.push(medallion_quality::realism::CarrierSla { carrier: c.name.to_string(), sla_days: c.sla_days as f64 });
        }
    }
    let report = medallion_quality::realism::report(raw, &carriers).with_context(|| format!("the realism report of {}", raw.display()))?;
    print!("{}", report.render());
    let out: Vec<String> = report.out_of_range().iter().map(|f| format!("{} / {}", f.section, f.name)).collect();
    if out.is_empty() {
        Ok(())
    } else {
        eprintln!("medallion: {} figure(s) outside their target range: {}", out.len(), out.join("; "));
        Err(CheckFailed.into())
    }
}

fn print_summary(cfg: &GenConfig, s: &Summary) {
    println!("{:<16} {:>12} {:>7} {:>10} {:>9}", "table", "rows", "files", "MB", "busy s");
    let (mut rows, mut files, mut bytes) = (0, 0, 0);
    for (t, st) in &s.tables {
        println!("{:<16} {:>12} {:>7} {:>10.1} {:>9.2}", t.name(), st.rows, st.files, st.bytes as f64 / 1e6, st.busy_seconds);
        rows += st.rows;
        files += st.files;
        bytes += st.bytes;
    }
    println!("{:<16} {:>12} {:>7} {:>10.1} {:>9.2} wall", "total", rows, files, bytes as f64 / 1e6, s.wall_seconds);
    let anomalies: u64 = s.anomalies.values().sum();
    println!(
        "{} units, {} ground-truth records in {}/_anomalies/ ({:.0} rows/s)",
        s.units,
        anomalies,
        cfg.out.display(),
        rows as f64 / s.wall_seconds.max(1e-9)
    );
    if let Some(mb) = peak_rss_mb() {
        println!("peak RSS {mb:.0} MB");
    }
}

/// The process's peak resident set (Linux `VmHWM`), for benchmarks.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb / 1024.0)
}

fn run_bronze(args: BronzeArgs) -> Result<()> {
    if !args.raw.is_dir() {
        bail!("--raw {}: no such folder (run `medallion gen` first)", args.raw.display());
    }
    if std::fs::read_dir(&args.raw).map(|mut d| d.next().is_none()).unwrap_or(false) {
        bail!("--raw {}: the folder is empty (run `medallion gen` first)", args.raw.display());
    }
    let tables = parse_tables(&args.tables)?;
    let cfg = medallion_bronze::BronzeConfig { raw: args.raw, lake: args.lake, manifest: args.manifest, dry_run: args.dry_run, tables };
    let bars = Bars::new();
    let report = medallion_bronze::run_with_progress(&cfg, &bars).with_context(|| format!("loading {} into Bronze", cfg.raw.display()))?;
    bars.clear();
    // Per table: files, rows read / loaded / rejected, MB.
    let mut tables: BTreeMap<&str, (u64, u64, u64, u64, u64, f64)> = BTreeMap::new();
    for r in &report.loaded {
        let t = tables.entry(r.table_name.name()).or_default();
        t.0 += 1;
        t.1 += r.rows_read;
        t.2 += r.rows_loaded;
        t.3 += r.rows_rejected;
        t.4 += r.bytes;
        t.5 += r.seconds;
    }
    println!("{:<16} {:>6} {:>12} {:>12} {:>9} {:>9} {:>8}", "table", "files", "rows read", "loaded", "rejected", "MB", "busy s");
    for (t, (files, read, loaded, rejected, bytes, secs)) in &tables {
        println!("{t:<16} {files:>6} {read:>12} {loaded:>12} {rejected:>9} {:>9.1} {secs:>8.2}", *bytes as f64 / 1e6);
    }
    let mut by_reason: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for r in &report.loaded {
        for (code, n) in &r.rejects_by_reason {
            *by_reason.entry((r.table_name.name(), code.as_str())).or_default() += n;
        }
    }
    if !by_reason.is_empty() {
        println!("\nrejected rows by reason (rows in {}, view bronze.rejects):", cfg.lake.join("_rejects").display());
        for ((t, code), n) in &by_reason {
            println!("  {t:<16} {code:<28} {n:>9}");
        }
    }
    // Files that need the user: on stderr, so cron and CI see them, and exit status 1.
    let mut problems = Vec::new();
    for r in &report.loaded {
        if r.status == medallion_bronze::manifest::FileStatus::Failed {
            problems.push(format!("{}: not loaded: {}", r.src_path, r.message));
        } else if r.rows_read > 0 && r.rows_loaded == 0 {
            let reasons: Vec<String> = r.rejects_by_reason.iter().map(|(code, n)| format!("{code} ×{n}")).collect();
            problems.push(format!("{}: every row rejected ({} rows: {}); see bronze.rejects", r.src_path, r.rows_read, reasons.join(", ")));
        }
    }
    for (table, why) in &report.unreadable_tables {
        problems.push(format!("table {table}: its Delta log cannot be read: {why}; its raw files wait, the other tables loaded"));
    }
    // A few names are enough to see what happened; thousands would bury the rest.
    const SHOWN: usize = 10;
    for c in report.changed.iter().take(SHOWN) {
        problems.push(format!(
            "{c}: changed since it was loaded; not reloaded (Bronze keeps what it loaded: restore the file, or give the new data a new file name)"
        ));
    }
    if report.changed.len() > SHOWN {
        problems.push(format!("… and {} more files changed since they were loaded", report.changed.len() - SHOWN));
    }
    // Not loaded: said once, with a few names to see what they are.
    if let Some(first) = report.unrecognised.first() {
        let more = report.unrecognised.len() - 1;
        println!(
            "{} file(s) under {} belong to no table and were not loaded: {first}{}",
            report.unrecognised.len(),
            cfg.raw.display(),
            if more > 0 { format!(" and {more} more") } else { String::new() }
        );
    }
    for r in &report.replaced {
        println!("{r}: every row of it had been rejected; this new content replaced it (its rejects removed)");
    }
    let failed = report.loaded.iter().filter(|r| r.status == medallion_bronze::manifest::FileStatus::Failed).count();
    println!(
        "{} files {}{}, {} already loaded, {} changed, {} batches recovered from an interrupted run, {:.2} s{}",
        report.loaded.len() - failed,
        if cfg.dry_run { "would load (dry run, nothing written)" } else { "loaded" },
        if failed > 0 { format!(", {failed} failed") } else { String::new() },
        report.skipped,
        report.changed.len(),
        report.recovered,
        report.seconds,
        peak_rss_mb().map(|m| format!(", peak RSS {m:.0} MB")).unwrap_or_default()
    );
    if report.loaded.is_empty() && report.skipped == 0 && report.changed.is_empty() && report.not_loaded == 0 {
        bail!("no raw files under {} (run `medallion gen`, or point --raw at a raw folder)", cfg.raw.display());
    }
    for p in &report.stray_rejects {
        eprintln!("medallion: bronze: warning: {}: not a rejects file Bronze wrote; left out of bronze.rejects", p.display());
    }
    for p in &problems {
        eprintln!("medallion: bronze: {p}");
    }
    if !problems.is_empty() {
        eprintln!("medallion: bronze: {} file(s) need attention; every other file is loaded", problems.len());
        return Err(CheckFailed.into());
    }
    Ok(())
}

/// Prints the scorecard; with `require_perfect`, fails (empty error: exit 1) below 100 %.
fn run_scorecard(warehouse: &std::path::Path, raw: &std::path::Path, require_perfect: bool, save: bool) -> Result<()> {
    let scores = medallion_quality::scorecard::scorecard(warehouse, raw).context("scoring the warehouse against the ground truth")?;
    if save {
        medallion_quality::scorecard::save(warehouse, &scores).context("saving the scorecard into the warehouse")?;
    }
    println!(
        "{:<14} {:<28} {:>7} {:>9} {:>9} {:>7} {:>7} {:>8} {:>9}",
        "table", "anomaly kind", "in log", "rejected", "flagged", "missed", "false", "recall", "precision"
    );
    for s in &scores {
        println!(
            "{:<14} {:<28} {:>7} {:>9} {:>9} {:>7} {:>7} {:>7.1}% {:>8.1}%",
            s.table,
            s.kind,
            s.in_log,
            s.rejected_in_bronze,
            s.flagged_in_silver,
            s.missed,
            s.false_alarms,
            100.0 * s.recall(),
            100.0 * s.precision()
        );
    }
    let imperfect = scores.iter().filter(|s| s.missed > 0 || s.false_alarms > 0).count();
    println!("{} kinds (anomalies and deliberate changes) scored, {imperfect} below 100 % recall or precision", scores.len());
    if save {
        println!("saved as {} in {}", medallion_quality::scorecard::SAVED_TABLE, warehouse.display());
    }
    if require_perfect && imperfect > 0 { Err(CheckFailed.into()) } else { Ok(()) }
}

/// What part of the project a transform builds, and how.
struct Selection {
    select: Vec<String>,
    full_refresh: bool,
    store_failures: bool,
    /// dbt's `--vars` (a YAML mapping).
    vars: Option<String>,
}

/// The raw files the manifest records as failed (path, why), after checking the warehouse is
/// one Bronze made.
fn bronze_failed_files(warehouse: &std::path::Path) -> Result<Vec<(String, String)>> {
    if !warehouse.is_file() {
        bail!("{}: no warehouse (run `medallion bronze` first)", warehouse.display());
    }
    let manifest =
        medallion_bronze::manifest::Manifest::open_read_only(warehouse).with_context(|| format!("opening {}", warehouse.display()))?;
    if !manifest.exists()? {
        bail!("{}: no Bronze manifest in this warehouse (run `medallion bronze` first)", warehouse.display());
    }
    Ok(manifest.failed_files()?)
}

fn run_transform(engine: &str, project: &std::path::Path, warehouse: &std::path::Path, how: Selection, target: PathBuf) -> Result<()> {
    let Selection { select, full_refresh, store_failures, vars } = how;
    let started = std::time::Instant::now();
    let failed = bronze_failed_files(warehouse)?;
    if !matches!(engine, "embedded" | "dbt") {
        bail!("--engine {engine}: expected embedded or dbt");
    }
    // The run is recorded from its start: readers can tell finished results from a run under
    // way or killed midway, and the previous run_results.json never passes for this one's.
    let (run, interrupted) = medallion_silver_gold::runs::begin(warehouse, engine, &target).context("recording the transform run")?;
    if let Some(before) = interrupted {
        eprintln!(
            "medallion: transform: run {} ({}, started {} UTC) never finished; Silver and Gold may mix two runs until this one completes",
            before.id, before.engine, before.started_at
        );
    }
    // Every way the build can end, an error included, is recorded as the run's end.
    let result = (|| match engine {
        "embedded" => {
            let mut proj = medallion_silver_gold::project::Project::load(project)
                .with_context(|| format!("loading the dbt project {}", project.display()))?;
            if let Some(vars) = &vars {
                proj.override_vars(vars).map_err(|e| anyhow::anyhow!("--vars: {e}"))?;
            }
            let opts = medallion_silver_gold::runner::RunOptions {
                warehouse: warehouse.to_path_buf(),
                select,
                full_refresh,
                target_dir: target,
                verbose: true,
                store_failures,
            };
            let results = medallion_silver_gold::runner::build(&proj, &opts).context("building Silver and Gold")?;
            let count = |name: &str| results.iter().filter(|r| r.status.dbt_name() == name).count();
            // Before dbt's closing line, which stays last.
            if let Some(mb) = peak_rss_mb() {
                println!("peak RSS {mb:.0} MB");
            }
            println!(
                "Done in {:.1} s. PASS={} WARN={} ERROR={} SKIP={} NO-OP={} TOTAL={}",
                started.elapsed().as_secs_f64(),
                count("success") + count("pass"),
                count("warn"),
                count("error") + count("fail"),
                count("skipped"),
                count("no-op"),
                results.len()
            );
            if count("error") + count("fail") + count("skipped") > 0 { Err(CheckFailed.into()) } else { Ok(()) }
        }
        "dbt" => {
            let dbt = medallion_silver_gold::dbt::Dbt::new(medallion_silver_gold::dbt::Dbt::locate(), project, warehouse, &target);
            let mut args = vec!["build".to_string()];
            if !select.is_empty() {
                args.push("--select".into());
                args.extend(select);
            }
            if full_refresh {
                args.push("--full-refresh".into());
            }
            if store_failures {
                args.push("--store-failures".into());
            }
            if let Some(vars) = vars {
                args.extend(["--vars".to_string(), vars]);
            }
            if dbt.run(&args)? { Ok(()) } else { Err(CheckFailed.into()) }
        }
        other => Err(anyhow::anyhow!("--engine {other}: expected embedded or dbt")),
    })();
    medallion_silver_gold::runs::finish(warehouse, run.id, result.is_ok()).context("recording the end of the transform run")?;
    // Raw files Bronze could not load are missing from what was just built: say so every time.
    for (file, message) in &failed {
        eprintln!("medallion: transform: warning: {file} is not in Bronze ({message}); Silver and Gold lack its rows");
    }
    result
}

/// Prints the nodes whose status differs; fails (exit 1) if any does.
fn run_compare_runs(a: &std::path::Path, b: &std::path::Path) -> Result<()> {
    let diffs = medallion_quality::compare::compare_run_results(a, b)?;
    for d in &diffs {
        println!("{d}");
    }
    println!("run results compared, {} node(s) differ", diffs.len());
    if diffs.is_empty() { Ok(()) } else { Err(CheckFailed.into()) }
}

fn run_export(warehouse: &std::path::Path, lake: &std::path::Path) -> Result<()> {
    let done = medallion_silver_gold::export::export(warehouse, lake, &["silver", "gold"]).context("exporting Silver and Gold")?;
    let rows: u64 = done.iter().map(|e| e.rows).sum();
    println!("exported {} tables ({rows} rows) to {}/silver and {}/gold", done.len(), lake.display(), lake.display());
    Ok(())
}

/// Serves the dashboard (or exports it); prints where.
fn run_dashboard(
    warehouse: &std::path::Path,
    report: &std::path::Path,
    addr: std::net::SocketAddr,
    assets: Option<PathBuf>,
    export: Option<&std::path::Path>,
) -> Result<()> {
    let assets = assets.or_else(|| std::env::var_os("MEDALLION_DASHBOARD_ASSETS").map(PathBuf::from));
    if assets.as_ref().is_none_or(|a| !a.join(medallion_dashboard::ECHARTS_FILE).is_file()) {
        eprintln!(
            "medallion: warning: no {} (pass --assets or set MEDALLION_DASHBOARD_ASSETS; `cargo xtask pipeline` fetches it): charts are drawn as tables",
            medallion_dashboard::ECHARTS_FILE
        );
    }
    let dashboard = medallion_dashboard::Dashboard::open(report, warehouse, assets).context("opening the dashboard")?;
    if let Some(dir) = export {
        let index = medallion_dashboard::export(&dashboard, dir)?;
        println!("dashboard exported: open {} in a browser", index.display());
        return Ok(());
    }
    dashboard.serve(addr, |bound| println!("dashboard: http://{bound}/ (Ctrl-C to stop)"))?;
    Ok(())
}

/// The report, the slicers of a request and a read-only connection to the warehouse.
fn open_report(args: &ReportArgs) -> Result<(medallion_analytics::Report, medallion_analytics::Slicers, duckdb::Connection)> {
    let (warehouse, report) = (&args.warehouse, &args.report);
    let mut report = medallion_analytics::Report::load(report).context("loading the report definition")?;
    let date = args.from.clone().zip(args.to.clone());
    let mut request = medallion_analytics::Slicers { date, ..Default::default() };
    for s in &args.slicers {
        let (name, value) = s.split_once('=').with_context(|| format!("--slicer {s}: expected NAME=VALUE"))?;
        request.values.insert(name.to_string(), value.to_string());
    }
    report.check_slicers(&request)?;
    let conn = medallion_analytics::open_warehouse(warehouse)?;
    report.materialize(&conn)?;
    Ok((report, request, conn))
}

/// Prints every visual of the pages: a card as `title: value`, a grouped visual as one line per
/// group.
fn run_report_pages(args: &ReportArgs, only: Option<&str>) -> Result<()> {
    let (report, request, conn) = open_report(args)?;
    let mut out = std::io::stdout().lock();
    let blank = |v: &Option<String>| v.clone().unwrap_or_else(|| "(blank)".into());
    for page in report.pages.iter().filter(|p| only.is_none_or(|o| o == p.name)) {
        let started = std::time::Instant::now();
        let visuals = report.evaluate_page(&conn, &page.name, &request)?;
        let mut text = format!("== {} ({:.2} s)\n", page.name, started.elapsed().as_secs_f64());
        for v in visuals {
            match &v.by {
                None => text.push_str(&format!("{}: {}\n", v.title, v.rows.first().map_or("(blank)".into(), |r| blank(&r.1[0])))),
                Some(by) => {
                    text.push_str(&format!("{} ({} by {by})\n", v.title, v.measures.join(", ")));
                    for (group, values) in &v.rows {
                        let values: Vec<String> = values.iter().map(blank).collect();
                        text.push_str(&format!("    {:<24} {}\n", blank(group), values.join("  ")));
                    }
                }
            }
        }
        // A closed pipe (`| head`) ends the listing quietly.
        if out.write_all(text.as_bytes()).is_err() {
            break;
        }
    }
    Ok(())
}

/// Prints every measure's value, in the report's order, with its folder.
fn run_report_measures(args: &ReportArgs) -> Result<()> {
    let (report, request, conn) = open_report(args)?;
    let width = report.measures.iter().map(|m| m.name.chars().count()).max().unwrap_or(0);
    let mut out = std::io::stdout().lock();
    for m in &report.measures {
        let value = report.evaluate(&conn, &m.name, &request)?;
        // A closed pipe (`| head`) ends the listing quietly.
        if writeln!(out, "{:<width$}  {:>24}  {}", m.name, value.as_deref().unwrap_or("(blank)"), m.folder).is_err() {
            break;
        }
    }
    Ok(())
}

/// Generates the Power BI project and says where it is and what it holds.
fn run_report_powerbi(warehouse: &std::path::Path, definition: &std::path::Path, out: &std::path::Path) -> Result<()> {
    let report = medallion_analytics::Report::load(definition).context("loading the report definition")?;
    let conn = medallion_analytics::open_warehouse(warehouse)?;
    let gold = medallion_powerbi::read_gold(&conn, &report)?;
    let project = medallion_powerbi::generate(&report, &gold)?;
    medallion_powerbi::write(&project, &report, out)?;
    let visuals = project.keys().filter(|p| p.ends_with("/visual.json")).count();
    println!(
        "Power BI project: {} ({} tables, {} relationships, {} measures, {} pages, {} visuals, {} files)",
        out.join(format!("{}.pbip", report.model.name)).display(),
        report.model.tables.len(),
        report.model.relationships.len(),
        report.measures.len(),
        report.pages.len(),
        visuals,
        project.len()
    );
    Ok(())
}

/// Measures and appends a monitoring run, prints it; exit 1 on ALERT.
fn run_monitor(warehouse: &std::path::Path, config: Option<&std::path::Path>) -> Result<()> {
    use medallion_quality::monitor;
    let thresholds = monitor::Thresholds::load(config)?;
    let (run, metrics) = monitor::run(warehouse, &thresholds).context("measuring data quality")?;
    print_metrics(&run, &metrics)
}

/// Prints the latest monitoring run; exit 1 on ALERT.
fn run_dq_status(warehouse: &std::path::Path) -> Result<()> {
    match medallion_quality::monitor::latest(warehouse)? {
        Some((run, metrics)) => print_metrics(&run, &metrics),
        None => bail!("{}: no monitoring run yet (run `medallion dq monitor`)", warehouse.display()),
    }
}

/// The metrics, worst first; a line per status count; exit 1 when any is ALERT.
fn print_metrics(run: &str, metrics: &[medallion_quality::monitor::Metric]) -> Result<()> {
    use medallion_quality::monitor::Status;
    let mut sorted: Vec<_> = metrics.iter().filter(|m| m.warn.is_finite() || m.status != Status::Ok).collect();
    sorted.sort_by(|a, b| b.status.cmp(&a.status).then(a.metric.cmp(&b.metric)).then(a.subject.cmp(&b.subject)));
    println!("{:<8} {:<20} {:<52} {:>12} {:>10} {:>10}", "status", "metric", "subject", "value", "warn", "alert");
    for m in &sorted {
        println!(
            "{:<8} {:<20} {:<52} {:>12.6} {:>10} {:>10}",
            m.status.as_str(),
            m.metric,
            m.subject,
            m.value,
            format!("{}", m.warn),
            format!("{}", m.alert)
        );
    }
    let count = |s: Status| metrics.iter().filter(|m| m.status == s).count();
    let alerts = count(Status::Alert);
    println!(
        "{run}: {} metrics: {} OK, {} WARNING, {alerts} ALERT (quality.data_quality_metrics)",
        metrics.len(),
        count(Status::Ok),
        count(Status::Warning)
    );
    if alerts > 0 { Err(CheckFailed.into()) } else { Ok(()) }
}

/// Prints any leak of personal data into Gold; fails (exit 1) if there is one.
fn run_gdpr(warehouse: &std::path::Path) -> Result<()> {
    let leaks = medallion_quality::gdpr::scan(warehouse).context("scanning Gold for personal data")?;
    for l in &leaks {
        println!("{}.{}: {} {} value(s) of customers without consent", l.relation, l.column, l.rows, l.kind);
    }
    println!("GDPR scan of gold: {} leak(s)", leaks.len());
    if leaks.is_empty() { Ok(()) } else { Err(CheckFailed.into()) }
}

/// Prints the differing tables; fails (exit 1) if any differs.
fn run_compare(a: &std::path::Path, b: &std::path::Path, schemas: &[String], ignore: &[String]) -> Result<()> {
    let schemas: Vec<&str> = schemas.iter().map(String::as_str).collect();
    let ignore: Vec<&str> = ignore.iter().map(String::as_str).collect();
    let diffs = medallion_quality::compare::compare(a, b, &schemas, &ignore)?;
    let differing: Vec<_> = diffs.iter().filter(|d| !d.is_equal()).collect();
    for d in &differing {
        let rows = |r: Option<u64>| r.map_or("missing".to_string(), |n| n.to_string());
        println!(
            "{}.{}: rows a {} / b {}, only in a {}, only in b {}{}",
            d.schema,
            d.table,
            rows(d.rows_a),
            rows(d.rows_b),
            d.only_in_a,
            d.only_in_b,
            if d.column_difference.is_empty() { String::new() } else { format!("; columns differ: {}", d.column_difference) }
        );
    }
    println!("{} tables compared, {} differ", diffs.len(), differing.len());
    if differing.is_empty() { Ok(()) } else { Err(CheckFailed.into()) }
}

/// Prints every relation compared and what differs; fails (exit 1) if any differs.
fn run_compare_export(warehouse: &std::path::Path, dir: &std::path::Path, schemas: &[String], float_tolerance: f64) -> Result<()> {
    let schemas: Vec<&str> = schemas.iter().map(String::as_str).collect();
    let result = medallion_quality::compare::compare_with_export(warehouse, dir, &schemas, float_tolerance)?;
    for note in &result.type_notes {
        println!("type named differently (compared as DuckDB's): {note}");
    }
    let rows = |r: Option<u64>| r.map_or("missing".to_string(), |n| n.to_string());
    for d in &result.diffs {
        let verdict = if d.is_equal() {
            "equal".to_string()
        } else {
            format!("DIFFERS: {} row(s) only in DuckDB, {} only in the export", d.only_in_a, d.only_in_b)
        };
        println!(
            "{}.{}: {} / {} rows, {verdict}{}",
            d.schema,
            d.table,
            rows(d.rows_a),
            rows(d.rows_b),
            if d.column_difference.is_empty() { String::new() } else { format!("; columns differ: {}", d.column_difference) }
        );
    }
    let differing = result.diffs.iter().filter(|d| !d.is_equal()).count();
    println!(
        "{} relations compared, {differing} differ; largest difference of floating-point values {:.3e} (tolerance {float_tolerance:e})",
        result.diffs.len(),
        result.max_float_difference
    );
    if differing == 0 { Ok(()) } else { Err(CheckFailed.into()) }
}

fn run_sql(db: Option<PathBuf>, query: &str, timing: bool) -> Result<()> {
    // A typo must not create an empty database that then answers "table not found".
    if let Some(path) = db.as_ref().filter(|p| !p.is_file()) {
        bail!("--db {}: no such database file (leave out --db for an in-memory session)", path.display());
    }
    let conn = match &db {
        Some(path) => duckdb::Connection::open(path),
        None => duckdb::Connection::open_in_memory(),
    }
    .with_context(|| format!("opening {}", db.as_deref().map_or("an in-memory database".into(), |p| p.display().to_string())))?;
    // Timestamps are UTC instants; print and truncate them as dbt (profile TimeZone UTC) does.
    conn.execute_batch("set TimeZone = 'UTC'")?;
    let started = std::time::Instant::now();
    let mut stmt = conn.prepare(query).context("preparing the query")?;
    let batches: Vec<duckdb::arrow::record_batch::RecordBatch> = stmt.query_arrow([]).context("running the query")?.collect();
    if timing {
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        println!("{rows} rows in {:.3} s", started.elapsed().as_secs_f64());
        return Ok(());
    }
    if !batches.is_empty() {
        println!("{}", duckdb::arrow::util::pretty::pretty_format_batches(&batches)?);
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Gen(args) => run_gen(args).map(|_| ()),
        Command::Bronze(args) => run_bronze(args),
        Command::Sql { db, timing, query } => run_sql(db, &query, timing),
        Command::Dq(DqCommand::Scorecard { warehouse, raw, require_perfect, save }) => {
            run_scorecard(&warehouse, &raw, require_perfect, save)
        }
        Command::Dq(DqCommand::Compare { a, b, schemas, ignore }) => run_compare(&a, &b, &schemas, &ignore),
        Command::Dq(DqCommand::CompareExport { warehouse, dir, schemas, float_tolerance }) => {
            run_compare_export(&warehouse, &dir, &schemas, float_tolerance)
        }
        Command::Dq(DqCommand::Gdpr { warehouse }) => run_gdpr(&warehouse),
        Command::Dq(DqCommand::Monitor { warehouse, config }) => run_monitor(&warehouse, config.as_deref()),
        Command::Dq(DqCommand::Status { warehouse }) => run_dq_status(&warehouse),
        Command::Dq(DqCommand::CompareRuns { a, b }) => run_compare_runs(&a, &b),
        Command::Dq(DqCommand::Realism { raw }) => run_realism(&raw),
        Command::Export { warehouse, lake } => run_export(&warehouse, &lake),
        Command::Delta(command) => run_delta(command),
        Command::Maintain { lake, retention_hours, target_file_mb, zorder, dry_run, tables } => parse_tables(&tables).and_then(|tables| {
            let opts = medallion_bronze::maintain::MaintainOptions {
                retention_hours,
                target_file_bytes: target_file_mb << 20,
                zorder,
                dry_run,
                tables,
            };
            run_maintain(&lake, &opts)
        }),
        Command::Report(ReportCommand::Measures(args)) => run_report_measures(&args),
        Command::Dashboard { warehouse, report, bind, port, assets, export } => {
            run_dashboard(&warehouse, &report, std::net::SocketAddr::new(bind, port), assets, export.as_deref())
        }
        Command::Report(ReportCommand::Pages { args, page }) => run_report_pages(&args, page.as_deref()),
        Command::Report(ReportCommand::Powerbi { warehouse, report, out }) => run_report_powerbi(&warehouse, &report, &out),
        Command::Dbt { dbt, project, profiles_dir, warehouse, target_path, log_path, args } => {
            let target = target_path.unwrap_or_else(|| project.join("target"));
            let mut launcher = medallion_silver_gold::dbt::Dbt::new(
                dbt.unwrap_or_else(medallion_silver_gold::dbt::Dbt::locate),
                &project,
                &warehouse,
                &target,
            );
            launcher.profiles = profiles_dir.unwrap_or(project);
            launcher.log_path = log_path;
            launcher.run(&args).map_err(anyhow::Error::from).and_then(|ok| if ok { Ok(()) } else { Err(CheckFailed.into()) })
        }
        Command::Transform { engine, project, warehouse, select, full_refresh, target_path, store_failures, vars } => {
            let target = target_path.unwrap_or_else(|| project.join("target"));
            run_transform(&engine, &project, &warehouse, Selection { select, full_refresh, store_failures, vars }, target)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A check that ran and found problems has printed them: status 1, nothing more to say.
        Err(e) if e.is::<CheckFailed>() => ExitCode::from(1),
        Err(e) => {
            eprintln!("medallion: error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(2)
        }
    }
}

/// A check (scorecard, comparison, scan, a build with failures) found problems and printed them.
#[derive(Debug)]
struct CheckFailed;

impl std::fmt::Display for CheckFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the check failed")
    }
}

impl std::error::Error for CheckFailed {}

/// `--tables a,b` as tables.
/// Prints each table's files and bytes before and after, and the fixed queries' time.
fn run_maintain(lake: &std::path::Path, opts: &medallion_bronze::maintain::MaintainOptions) -> Result<()> {
    use medallion_bronze::maintain;
    if !lake.join("bronze").join("delta").is_dir() {
        bail!("--lake {}: no Bronze Delta tables here (run `medallion bronze` first)", lake.display());
    }
    let before = maintain::time_queries(lake)?;
    let done = maintain::maintain(lake, opts)?;
    let after = maintain::time_queries(lake)?;
    let mb = |b: u64| b as f64 / 1e6;
    println!("{:<16} {:>22} {:>22} {:>12} {:>10} {:>8}", "table", "current files (MB)", "files on disk (MB)", "compacted", "vacuumed", "s");
    for m in &done {
        let table = m.table.map(|t| t.name()).unwrap_or_default();
        println!(
            "{table:<16} {:>22} {:>22} {:>12} {:>10} {:>8.2}",
            format!("{} → {} ({:.1} → {:.1})", m.active_before.0, m.active_after.0, mb(m.active_before.1), mb(m.active_after.1)),
            format!("{} → {} ({:.1} → {:.1})", m.on_disk_before.0, m.on_disk_after.0, mb(m.on_disk_before.1), mb(m.on_disk_after.1)),
            format!("{} → {}", m.compacted.0, m.compacted.1),
            m.vacuumed.len(),
            m.seconds
        );
    }
    if opts.dry_run {
        println!("dry run: nothing changed; VACUUM (retention {} h) would delete:", opts.retention_hours);
        for m in &done {
            for f in &m.vacuumed {
                println!("  {}/{f}", m.table.map(|t| t.name()).unwrap_or_default());
            }
        }
    }
    println!("fixed queries (every table's row count and latest load): {before:.2} s before, {after:.2} s after");
    Ok(())
}

/// `medallion delta …`: the Bronze Delta table operations of `medallion_bronze::tables`.
fn run_delta(command: DeltaCommand) -> Result<()> {
    use medallion_bronze::tables;
    let table = |at: &TableArg| -> Result<Table> { at.table.parse::<Table>().map_err(|e| anyhow::anyhow!("--table: {e}")) };
    match command {
        DeltaCommand::History(at) => {
            let t = table(&at)?;
            println!("{:>7}  {:<23}  {:<14}  {:<36}  metrics", "version", "time (UTC)", "operation", "Bronze load");
            for c in tables::history(&at.lake, t)? {
                println!(
                    "{:>7}  {:<23}  {:<14}  {:<36}  {}",
                    c.version,
                    c.time_utc(),
                    c.operation,
                    c.load.unwrap_or_else(|| "-".into()),
                    c.metrics
                );
            }
        }
        DeltaCommand::Diff { at, from, to } => {
            let d = tables::diff(&at.lake, table(&at)?, from, to)?;
            println!(
                "{} from version {} to {}: {} added, {} removed, {} changed (by key)",
                at.table, d.from, d.to, d.added, d.removed, d.changed
            );
            for (kind, key) in &d.examples {
                println!("  {kind:<8} {key}");
            }
        }
        DeltaCommand::View { at, version, warehouse } => {
            let name = tables::create_view_at(&at.lake, &warehouse, table(&at)?, version)?;
            println!("{name}: {} as of version {version} (select * from {name})", at.table);
        }
        DeltaCommand::Delete { at, condition } => {
            let (rows, version) = tables::delete(&at.lake, table(&at)?, &condition)?;
            println!("{}: {rows} rows deleted where {condition} (now version {version}; `medallion delta restore` undoes it)", at.table);
        }
        DeltaCommand::Verify(args) => return report_verify(&args),
        DeltaCommand::Repair { check, raw } => {
            if !check.lake.join("bronze").join("delta").is_dir() {
                bail!("--lake {}: no Bronze Delta tables here (run `medallion bronze` first)", check.lake.display());
            }
            for r in medallion_bronze::verify::repair(&check.lake, &raw, &check.manifest, &parse_tables(&check.tables)?)? {
                let how = match &r.replaced_by {
                    None => "rebuilt in place, byte for byte".to_string(),
                    Some((file, version)) => format!("replaced by {file} (version {version})"),
                };
                println!(
                    "{}: {} — {} rows from {} raw file(s) of load(s) {}: {how}",
                    r.table,
                    r.rel,
                    r.rows,
                    r.raw_files,
                    r.batches.join(", ")
                );
            }
            return report_verify(&check);
        }
        DeltaCommand::Restore { at, version } => {
            let r = tables::restore(&at.lake, table(&at)?, version)?;
            println!(
                "{} restored to version {} (was {}, now version {}): {} files taken out, {} put back; the Parquet mirror follows",
                at.table, r.restored, r.was, r.now, r.files_removed, r.files_restored
            );
        }
    }
    Ok(())
}

/// Prints each table's check; exit 1 (named on stderr) when anything is damaged.
fn report_verify(args: &VerifyArgs) -> Result<()> {
    if !args.lake.join("bronze").join("delta").is_dir() {
        bail!("--lake {}: no Bronze Delta tables here (run `medallion bronze` first)", args.lake.display());
    }
    let checks = medallion_bronze::verify::verify(&args.lake, &args.manifest, &parse_tables(&args.tables)?)?;
    println!(
        "{:<16} {:>8} {:>6} {:>10} {:>12} {:>14} {:>12}  status",
        "table", "version", "files", "MB", "rows (log)", "rows (manifest)", "checksummed"
    );
    let mut bad = 0;
    for c in &checks {
        let table = c.table.map(|t| t.name()).unwrap_or_default();
        let status = if c.ok() { "OK" } else { "DAMAGED" };
        println!(
            "{table:<16} {:>8} {:>6} {:>10.1} {:>12} {:>14} {:>12}  {status}",
            c.version,
            c.files,
            c.bytes as f64 / 1e6,
            c.rows_in_log,
            c.rows_loaded.map_or("-".into(), |r| r.to_string()),
            c.checksummed
        );
        let dir = args.lake.join("bronze").join("delta").join(table);
        if let Some(why) = &c.unreadable_log {
            eprintln!("{table}: its Delta log cannot be read: {why}");
            bad += 1;
        }
        for d in &c.damaged {
            eprintln!("{}: {}", dir.join(&d.rel).display(), d.problem);
            bad += 1;
        }
        for m in &c.mirror {
            eprintln!("{table}: Parquet mirror: {m}");
            bad += 1;
        }
        if let Some(loaded) = c.rows_loaded.filter(|l| *l != c.rows_in_log && c.ok()) {
            println!(
                "  note: {table} holds {} rows, Bronze loaded {loaded}: a DELETE or RESTORE commit (`medallion delta history --table {table}`)",
                c.rows_in_log
            );
        }
    }
    if bad > 0 {
        eprintln!("{bad} problem(s); `medallion delta repair` rebuilds damaged files from the raw files of their loads");
        return Err(CheckFailed.into());
    }
    println!("every data file matches the Delta log");
    Ok(())
}

fn parse_tables(names: &[String]) -> Result<Vec<Table>> {
    // One line: the message names the bad table and the known ones.
    names.iter().map(|t| t.parse::<Table>().map_err(|e| anyhow::anyhow!("--tables: {e}"))).collect()
}
