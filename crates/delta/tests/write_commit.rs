//! Files written by `DataFileWriter` and committed by `commit` form a Delta table that deltalake
//! reads back: rows, partitions, stats, schema evolution and idempotent application transactions.

use std::sync::Arc;

use arrow::array::{Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use medallion_delta::{Commit, DataFileWriter, FileOptions, commit, has_app_txn, open, schema_change, table_url};

fn batch(schema: &Arc<Schema>, ids: std::ops::Range<i64>) -> RecordBatch {
    let names: Vec<Option<String>> = ids.clone().map(|i| (i % 3 != 0).then(|| format!("n{i}"))).collect();
    RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from_iter_values(ids)), Arc::new(StringArray::from(names))]).unwrap()
}

fn rows_at(url: url::Url, version: u64) -> (usize, Vec<String>) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let table = rt.block_on(deltalake::open_table_with_version(url, version)).unwrap();
    let columns = table.snapshot().unwrap().schema().fields().map(|f| f.name().to_string()).collect();
    let mut rows = 0;
    for uri in table.get_file_uris().unwrap() {
        let path = uri.strip_prefix("file://").unwrap_or(&uri).to_string();
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).unwrap())
            .unwrap()
            .build()
            .unwrap();
        rows += reader.map(|b| b.unwrap().num_rows()).sum::<usize>();
    }
    (rows, columns)
}

#[test]
fn streamed_files_commit_as_a_readable_partitioned_table() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("t");
    let schema = Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, false), Field::new("name", DataType::Utf8, true)]));
    let options = FileOptions { max_file_rows: 250, max_row_group_rows: 100, ..FileOptions::default() };
    let part = vec![("month".to_string(), "2024-01".to_string())];
    let mut w = DataFileWriter::new(&root, "month=2024-01", "part-a", schema.clone(), part, options.clone()).unwrap();
    w.write(&batch(&schema, 0..300)).unwrap();
    w.write(&batch(&schema, 300..600)).unwrap();
    assert_eq!(w.rows(), 600);
    let files = w.finish().unwrap();
    // Files roll at 250 rows, with deterministic names and no temporary leftovers.
    let names: Vec<&str> = files.iter().map(|f| f.rel.as_str()).collect();
    assert_eq!(names, ["month=2024-01/part-a-00000.parquet", "month=2024-01/part-a-00001.parquet", "month=2024-01/part-a-00002.parquet"]);
    assert_eq!(files.iter().map(|f| f.rows).collect::<Vec<_>>(), [250, 250, 100]);
    assert!(std::fs::read_dir(root.join("month=2024-01")).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().ends_with(".tmp")));
    let add = files[0].add(0);
    let stats: serde_json::Value = serde_json::from_str(add.stats.as_deref().unwrap()).unwrap();
    assert_eq!(stats["numRecords"], 250);
    assert_eq!(stats["nullCount"]["name"], (0..250).filter(|i| i % 3 == 0).count());
    assert_eq!(add.partition_values["month"].as_deref(), Some("2024-01"));

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let url = table_url(&root).unwrap();
    let table = rt.block_on(open(url.clone())).unwrap();
    assert!(!rt.block_on(has_app_txn(&table, "load-1")).unwrap());
    let table = rt.block_on(commit(&table, &schema, Some("month"), Commit::append(&files, Some("month")).with_app_txn("load-1"))).unwrap();
    assert_eq!(table.version(), Some(0));
    assert!(rt.block_on(has_app_txn(&table, "load-1")).unwrap());
    assert_eq!(rows_at(url.clone(), 0), (600, vec!["id".into(), "name".into(), "month".into()]));

    // A second append with a new column (schema evolution) becomes version 1.
    let evolved = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("name", DataType::Utf8, true),
        Field::new("code", DataType::Utf8, true),
    ]));
    let more = RecordBatch::try_new(
        evolved.clone(),
        vec![
            Arc::new(Int64Array::from(vec![1000, 1001])),
            Arc::new(StringArray::from(vec!["x", "y"])),
            Arc::new(StringArray::from(vec!["A", "B"])),
        ],
    )
    .unwrap();
    let mut w =
        DataFileWriter::new(&root, "month=2024-02", "part-b", evolved.clone(), vec![("month".into(), "2024-02".into())], options).unwrap();
    w.write(&more).unwrap();
    let mut c = Commit::append(&w.finish().unwrap(), Some("month"));
    c.actions.insert(0, schema_change(&table, &evolved, Some("month")).unwrap());
    let table = rt.block_on(commit(&table, &evolved, Some("month"), c)).unwrap();
    assert_eq!(table.version(), Some(1));
    assert_eq!(rows_at(url.clone(), 1), (602, vec!["id".into(), "name".into(), "code".into(), "month".into()]));
    // Time travel still sees version 0 as it was.
    assert_eq!(rows_at(url, 0).0, 600);
}
