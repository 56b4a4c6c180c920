//! Export writes each Silver/Gold table (not views) to lake/<schema>/<table>.parquet, readable
//! with the same rows, and overwrites a previous export.

use medallion_silver_gold::export::export;

#[test]
fn tables_land_in_the_lake_as_parquet_with_their_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.duckdb");
    let conn = duckdb::Connection::open(&path).unwrap();
    conn.execute_batch(
        "create schema silver; create schema gold;
         create table silver.stg_a as select range as id, 'x' || range as v from range(1000);
         create table gold.fct_b as select range as id from range(7);
         create view gold.vw_b as select * from gold.fct_b;",
    )
    .unwrap();
    drop(conn);
    let lake = dir.path().join("lake");
    std::fs::create_dir_all(lake.join("gold")).unwrap();
    std::fs::write(lake.join("gold/fct_b.parquet"), b"an older, broken export").unwrap();
    let done = export(&path, &lake, &["silver", "gold"]).unwrap();
    let names: Vec<(String, u64)> = done.iter().map(|e| (format!("{}.{}", e.schema, e.table), e.rows)).collect();
    assert_eq!(names, [("silver.stg_a".to_string(), 1000), ("gold.fct_b".to_string(), 7)]);
    let check = duckdb::Connection::open_in_memory().unwrap();
    let read = |p: &str| -> (i64, i64) {
        check.query_row(&format!("select count(*), sum(id) from '{}'", lake.join(p).display()), [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap()
    };
    assert_eq!(read("silver/stg_a.parquet"), (1000, 499_500));
    assert_eq!(read("gold/fct_b.parquet"), (7, 21));
    assert!(!lake.join("gold/vw_b.parquet").exists(), "views are not exported");
    assert!(std::fs::read_dir(lake.join("silver")).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().ends_with(".tmp")));
}
