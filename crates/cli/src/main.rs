//! `medallion`: the command line. Argument parsing, progress and exit codes only; the work is
//! done by the library crates.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

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

fn run_gen(args: GenArgs) -> Result<Summary, String> {
    let start =
        text::parse_date(&args.start_date).ok_or_else(|| format!("--start-date: `{}` is not a date (YYYY-MM-DD)", args.start_date))?;
    let tables = args.tables.iter().map(|t| t.parse::<Table>().map_err(|e| format!("--tables: {e}"))).collect::<Result<Vec<_>, _>>()?;
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
    };
    let bars = Bars { multi: MultiProgress::new(), bars: Mutex::new(BTreeMap::new()) };
    let summary = medallion_gen::generate(&cfg, &bars).map_err(|e| e.to_string())?;
    for bar in bars.bars.lock().unwrap_or_else(|e| e.into_inner()).values() {
        bar.finish_and_clear();
    }
    print_summary(&cfg, &summary);
    Ok(summary)
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Gen(args) => run_gen(args).map(|_| ()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("medallion: error: {e}");
            ExitCode::from(2)
        }
    }
}
