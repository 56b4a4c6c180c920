//! Independent readers for the generated files: arrow's CSV reader and cast kernels, the parquet
//! crate, deltalake, calamine and serde_json — never the generator's own counters.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow::compute::{CastOptions, cast_with_options};
use arrow::csv::ReaderBuilder;
use arrow::datatypes::{DataType, Field, Schema};
use medallion_gen::{GenConfig, NoProgress, Summary};
use medallion_schema::Table;

pub fn generate(cfg: &GenConfig) -> Summary {
    medallion_gen::generate(cfg, &NoProgress).expect("generation succeeds")
}

pub fn small_config(out: &Path, scale: f64, days: u32) -> GenConfig {
    let mut cfg = GenConfig::new(out);
    cfg.scale = scale;
    cfg.days = days;
    cfg.start = medallion_gen::text::parse_date("2025-01-01").unwrap();
    cfg
}

/// Every file under `root`, relative, sorted.
pub fn files(root: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// Files of one table's base layout, found by matching its path pattern.
pub fn table_files(root: &Path, table: Table) -> Vec<String> {
    let pattern = &table.raw().path;
    files(root)
        .into_iter()
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .filter(|p| medallion_schema::match_path(pattern, p).is_some())
        .collect()
}

/// One CSV file parsed as text: (header, rows). Each row keeps its 1-based line number.
pub struct CsvText {
    pub header: Vec<String>,
    pub columns: Vec<ArrayRef>,
    pub lines: Vec<u64>,
}

impl CsvText {
    pub fn len(&self) -> usize {
        self.lines.len()
    }
    pub fn col(&self, name: &str) -> &StringArray {
        let i = self.header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
        self.columns[i].as_any().downcast_ref::<StringArray>().unwrap()
    }
    pub fn get(&self, name: &str, row: usize) -> Option<&str> {
        let c = self.col(name);
        (!c.is_null(row) && !c.value(row).is_empty()).then(|| c.value(row))
    }
}

/// Reads a CSV with every column as text (arrow's CSV reader does the quoting rules).
pub fn read_csv_text(path: &Path) -> CsvText {
    let text = fs::read_to_string(path).unwrap();
    let header: Vec<String> = text.lines().next().unwrap().split(',').map(str::to_string).collect();
    let schema = Arc::new(Schema::new(header.iter().map(|h| Field::new(h, DataType::Utf8, true)).collect::<Vec<_>>()));
    let reader = ReaderBuilder::new(schema.clone()).with_header(true).build(fs::File::open(path).unwrap()).unwrap();
    let batches: Vec<RecordBatch> = reader.collect::<Result<_, _>>().unwrap();
    let batch = arrow::compute::concat_batches(&schema, &batches).unwrap();
    // No field in our CSVs spans lines, so data row i is on line i + 2.
    let lines = (0..batch.num_rows() as u64).map(|i| i + 2).collect();
    CsvText { header, columns: batch.columns().to_vec(), lines }
}

/// Casts each text column to the canonical type; returns the rows (by index) where a non-empty
/// value failed to cast or a non-nullable column is empty, with the column name.
pub fn cast_failures(table: Table, csv: &CsvText) -> (Vec<ArrayRef>, BTreeMap<usize, Vec<String>>) {
    let schema = table.schema();
    assert_eq!(csv.header, table.raw().column_names(), "{table}: header differs from the canonical schema");
    let mut failures: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut typed = Vec::new();
    for (field, col) in schema.fields().iter().zip(&csv.columns) {
        let cast = cast_with_options(col, field.data_type(), &CastOptions { safe: true, ..Default::default() }).unwrap();
        let text = col.as_any().downcast_ref::<StringArray>().unwrap();
        for i in 0..csv.len() {
            let empty = text.is_null(i) || text.value(i).is_empty();
            if (!empty && cast.is_null(i)) || (empty && !field.is_nullable()) {
                failures.entry(i).or_default().push(field.name().clone());
            }
        }
        typed.push(cast);
    }
    (typed, failures)
}

/// Checks a measured anomaly count against the catalogue (see `AnomalySpec::accepted_rate`).
pub fn assert_rate(code: &str, count: usize, rows: usize) {
    let spec = medallion_schema::AnomalyKind::from_code(code).unwrap().spec();
    let (low, high) = spec.accepted_rate(rows as u64);
    assert!(spec.accepts(count as u64, rows as u64), "{code}: {count} of {rows} rows, outside {low:.5}–{high:.5}");
}
