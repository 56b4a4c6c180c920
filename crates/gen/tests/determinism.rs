//! Same seed ⇒ the same bytes, whatever the thread count or the split into parts; another seed ⇒
//! other bytes. The returns Delta table is compared by rows per version (its log records commit
//! times and random file names).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use arrow::util::pretty::pretty_format_batches;
use common::*;
use medallion_gen::GenConfig;

fn config(out: &Path, seed: u64, threads: usize) -> GenConfig {
    let mut cfg = small_config(out, 0.003, 75);
    cfg.seed = seed;
    cfg.threads = threads;
    cfg
}

/// Every file but the Delta table's, with its bytes.
fn plain_files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    files(root).into_iter().filter(|p| !p.starts_with("returns")).map(|p| (p.clone(), std::fs::read(root.join(&p)).unwrap())).collect()
}

/// The returns table's rows at every version, rendered sorted.
fn delta_versions(root: &Path) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let url = medallion_delta::table_url(&root.join("returns")).unwrap();
    let latest = rt.block_on(deltalake::open_table(url.clone())).unwrap().version().unwrap();
    (0..=latest)
        .map(|v| {
            let table = rt.block_on(deltalake::open_table_with_version(url.clone(), v)).unwrap();
            let mut files: Vec<String> = table.get_file_uris().unwrap().collect();
            files.sort();
            let mut lines: Vec<String> = Vec::new();
            for f in files {
                let path = f.strip_prefix("file://").unwrap_or(&f).to_string();
                let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).unwrap())
                    .unwrap()
                    .build()
                    .unwrap();
                let batches: Vec<RecordBatch> = reader.collect::<Result<_, _>>().unwrap();
                let text = pretty_format_batches(&batches).unwrap().to_string();
                lines.extend(text.lines().filter(|l| l.starts_with("| ")).map(str::to_string));
            }
            lines.sort();
            lines.join("\n")
        })
        .collect()
}

#[test]
fn same_seed_same_bytes_across_threads_and_parts() {
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();
    generate(&config(one.path(), 7, 1));
    generate(&config(two.path(), 7, 2));
    let reference = plain_files(one.path());
    assert!(reference.len() > 200, "expected a few hundred files, got {}", reference.len());
    assert!(reference == plain_files(two.path()), "--threads 1 and --threads 2 differ");
    let versions = delta_versions(one.path());
    assert_eq!(versions.len(), 4, "base history has four versions");
    assert_eq!(versions, delta_versions(two.path()));

    // Two parts made separately, then merged by copying, equal the single run.
    let parts: Vec<_> = (0..2u32)
        .map(|part| {
            let dir = tempfile::tempdir().unwrap();
            let mut cfg = config(dir.path(), 7, 1);
            cfg.part = part;
            cfg.parts = 2;
            generate(&cfg);
            dir
        })
        .collect();
    let mut merged = BTreeMap::new();
    for p in &parts {
        for (path, bytes) in plain_files(p.path()) {
            assert!(merged.insert(path.clone(), bytes).is_none(), "{} written by both parts", path.display());
        }
    }
    assert!(merged == reference, "--parts 2 merged differs from a single run");
    let delta_part = parts.iter().find(|p| p.path().join("returns").exists()).expect("one part owns returns");
    assert_eq!(delta_versions(delta_part.path()), versions);
}

#[test]
fn another_seed_gives_other_data() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    generate(&config(a.path(), 1, 0));
    generate(&config(b.path(), 2, 0));
    let (fa, fb) = (plain_files(a.path()), plain_files(b.path()));
    for name in ["customers.csv", "products.csv", "stores.csv", "exchange_rates.xlsx"] {
        assert_ne!(fa[Path::new(name)], fb[Path::new(name)], "{name} did not change with the seed");
    }
    let differing = fa.iter().filter(|(p, bytes)| fb.get(*p) != Some(bytes)).count();
    assert!(differing * 10 > fa.len() * 9, "only {differing} of {} files differ", fa.len());
}
