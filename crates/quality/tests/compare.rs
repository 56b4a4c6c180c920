//! `compare` finds every kind of difference between two warehouses, and none where there is none.

use medallion_quality::compare::compare;

fn warehouse(dir: &std::path::Path, name: &str, sql: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    let conn = duckdb::Connection::open(&path).unwrap();
    conn.execute_batch("create schema gold;").unwrap();
    conn.execute_batch(sql).unwrap();
    path
}

#[test]
fn differences_in_rows_multiplicity_columns_and_tables_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let a = warehouse(
        dir.path(),
        "a.duckdb",
        "create table gold.same as select * from (values (1, 'x'), (2, 'y')) t(id, v);
         create table gold.rows as select * from (values (1, 'x'), (2, 'y')) t(id, v);
         create table gold.dupes as select * from (values (1, 'x'), (1, 'x')) t(id, v);
         create table gold.cols as select 1 as id, 'x' as v;
         create table gold.only_a as select 1 as id;
         create table gold.ignored as select 1 as id, now() as run_ts;",
    );
    let b = warehouse(
        dir.path(),
        "b.duckdb",
        "create table gold.same as select * from (values (2, 'y'), (1, 'x')) t(id, v);
         create table gold.rows as select * from (values (1, 'x'), (3, 'z')) t(id, v);
         create table gold.dupes as select * from (values (1, 'x')) t(id, v);
         create table gold.cols as select 1 as id, 2 as v;
         create table gold.ignored as select 1 as id, now() - interval 1 day as run_ts;",
    );
    let diffs = compare(&a, &b, &["gold"], &["run_ts"]).unwrap();
    let get = |t: &str| diffs.iter().find(|d| d.table == t).unwrap_or_else(|| panic!("{t} not compared"));
    assert!(get("same").is_equal(), "row order does not matter");
    assert!(get("ignored").is_equal(), "ignored columns are left out");
    assert_eq!((get("rows").only_in_a, get("rows").only_in_b), (1, 1));
    assert_eq!((get("dupes").only_in_a, get("dupes").only_in_b), (1, 0), "rows compare as a multiset");
    assert!(get("cols").column_difference.contains("v INTEGER"), "{:?}", get("cols"));
    assert_eq!((get("only_a").rows_a, get("only_a").rows_b), (Some(1), None));
    assert!(!get("only_a").is_equal());
    assert_eq!(diffs.len(), 6);
}
