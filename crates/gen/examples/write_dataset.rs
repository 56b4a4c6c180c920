//! Writing a whole raw dataset (the `files` feature, on by default): a small base run into a
//! temporary folder, with its ground-truth log.
//!
//! cargo run -p medallion-gen --example write_dataset

use medallion_gen::{GenConfig, NoProgress, generate, text::parse_date, truth::read_truth};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::temp_dir().join(format!("medallion-example-{}", std::process::id()));
    let mut cfg = GenConfig::new(&out);
    cfg.scale = 0.01;
    cfg.start = parse_date("2024-01-01").expect("a valid date");
    cfg.days = 14;
    let summary = generate(&cfg, &NoProgress)?;
    for (table, stats) in &summary.tables {
        println!("{table:<16} {:>8} rows in {:>3} file(s)", stats.rows, stats.files);
    }
    println!("{} anomalies logged in {}", read_truth(&out)?.len(), out.join("_anomalies").display());
    std::fs::remove_dir_all(&out)?;
    Ok(())
}
