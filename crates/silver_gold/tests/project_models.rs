//! The real project's models (dbt/) run by the embedded runner on small, crafted Bronze tables:
//! inputs the generator does not make but a source system can send.

use std::path::Path;

use medallion_silver_gold::project::{Kind, Project};
use medallion_silver_gold::runner::{NodeResult, RunOptions, Status, build};

/// Builds `select` of the real project on a warehouse holding `bronze_sql`'s tables.
fn build_on(dir: &Path, bronze_sql: &str, select: &[&str]) -> (std::path::PathBuf, Vec<NodeResult>) {
    let warehouse = dir.join("warehouse.duckdb");
    let conn = duckdb::Connection::open(&warehouse).unwrap();
    conn.execute_batch(&format!("create schema bronze; {bronze_sql}")).unwrap();
    drop(conn);
    let project = Project::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dbt")).unwrap();
    let opts = RunOptions {
        warehouse: warehouse.clone(),
        select: select.iter().map(|s| s.to_string()).collect(),
        full_refresh: false,
        target_dir: dir.join("target"),
        verbose: false,
        store_failures: false,
    };
    let results = build(&project, &opts).unwrap();
    (warehouse, results)
}

#[test]
fn exchange_rates_are_one_row_per_day_and_normalised_currency() {
    // The same day's USD rate twice, once as ' usd' from a later load: one row must remain, the
    // later one, or every USD sales line of that day would be counted twice.
    let dir = tempfile::tempdir().unwrap();
    let bronze = "create table bronze.exchange_rates as select * from (values
            (date '2024-03-01', 'USD', 1.52::decimal(18,8), timestamptz '2024-03-02 00:00:00+00', 'exchange_rates.xlsx', '\\x01'::blob),
            (date '2024-03-01', ' usd', 1.53::decimal(18,8), timestamptz '2024-03-03 00:00:00+00', 'exchange_rates_increments/a.xlsx', '\\x02'::blob),
            (date '2024-03-01', 'GBP', 1.93::decimal(18,8), timestamptz '2024-03-02 00:00:00+00', 'exchange_rates.xlsx', '\\x03'::blob)
        ) t(\"date\", currency, rate_to_aud, ingestion_ts, src_filename, src_row_hash)";
    let (warehouse, results) = build_on(dir.path(), bronze, &["stg_exchange_rates"]);
    let failed: Vec<_> = results.iter().filter(|r| matches!(r.status, Status::Error(_) | Status::Fail(_))).collect();
    assert!(failed.is_empty(), "{failed:?}");
    let conn = duckdb::Connection::open(&warehouse).unwrap();
    let usd: Vec<(String, String)> = conn
        .prepare("select currency, cast(rate_to_aud as varchar) from silver.stg_exchange_rates where currency like '%USD%' or currency like '%usd%'")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(usd, vec![("USD".to_string(), "1.53000000".to_string())]);
}

/// Bronze tables with their real columns (as `medallion bronze` makes them).
const BRONZE_TABLES: &str = "
    create schema if not exists bronze;
    create table bronze.customers (customer_id BIGINT, natural_key VARCHAR, first_name VARCHAR, last_name VARCHAR, email VARCHAR,
        phone VARCHAR, address_line1 VARCHAR, address_line2 VARCHAR, city VARCHAR, state_region VARCHAR, postcode VARCHAR,
        country_code VARCHAR, latitude DOUBLE, longitude DOUBLE, birth_date DATE, join_ts TIMESTAMPTZ, is_vip BOOLEAN,
        gdpr_consent BOOLEAN, ingestion_ts TIMESTAMPTZ, src_filename VARCHAR, src_row_hash BLOB);
    create table bronze.stores (store_id BIGINT, store_code VARCHAR, name VARCHAR, channel VARCHAR, region VARCHAR, state VARCHAR,
        latitude DOUBLE, longitude DOUBLE, open_dt DATE, close_dt DATE, ingestion_ts TIMESTAMPTZ, src_filename VARCHAR, src_row_hash BLOB);
    create table bronze.products (product_id BIGINT, sku VARCHAR, name VARCHAR, category VARCHAR, subcategory VARCHAR,
        current_price DECIMAL(12,4), currency VARCHAR, is_discontinued BOOLEAN, introduced_dt DATE, discontinued_dt DATE,
        ingestion_ts TIMESTAMPTZ, src_filename VARCHAR, src_row_hash BLOB);
    create table bronze.orders_header (order_id BIGINT, order_ts TIMESTAMPTZ, order_dt_local DATE, customer_id BIGINT, store_id BIGINT,
        channel VARCHAR, payment_method VARCHAR, coupon_code VARCHAR, shipping_fee DECIMAL(12,2), currency VARCHAR,
        ingestion_ts TIMESTAMPTZ, src_filename VARCHAR, src_row_hash BLOB, order_month VARCHAR);
    create table bronze.orders_lines (order_id BIGINT, line_number INTEGER, product_id BIGINT, qty INTEGER, unit_price DECIMAL(12,4),
        line_discount_pct DECIMAL(5,4), tax_pct DECIMAL(5,4), ingestion_ts TIMESTAMPTZ, src_filename VARCHAR, src_row_hash BLOB,
        order_month VARCHAR);";

/// Loads one Bronze batch stamped `ingestion_ts`: `rows` is (table, file, column list, values).
fn load_batch(warehouse: &Path, ingestion_ts: &str, rows: &[(&str, &str, &str, &str)]) {
    let conn = duckdb::Connection::open(warehouse).unwrap();
    for (table, file, columns, values) in rows {
        conn.execute_batch(&format!(
            "insert into bronze.{table} ({columns}, ingestion_ts, src_filename, src_row_hash)
             select *, timestamptz '{ingestion_ts}', '{file}', md5('{file}' || row_number() over ())::blob from (values {values});"
        ))
        .unwrap_or_else(|e| panic!("{table}: {e}"));
    }
}

fn build_warehouse(warehouse: &Path, target: &Path, select: &[&str], full_refresh: bool) {
    let project = Project::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dbt")).unwrap();
    let opts = RunOptions {
        warehouse: warehouse.to_path_buf(),
        select: select.iter().map(|s| s.to_string()).collect(),
        full_refresh,
        target_dir: target.to_path_buf(),
        verbose: false,
        store_failures: false,
    };
    let results = build(&project, &opts).unwrap();
    // Data tests may fail on a handful of crafted rows (an FK-violation rate of 50 %); models,
    // snapshots and unit tests may not.
    let failed: Vec<_> =
        results.iter().filter(|r| r.kind != Kind::Test && r.status != Status::Success && r.status != Status::Pass).collect();
    assert!(failed.is_empty(), "{failed:?}");
}

/// Rows of `table` in one warehouse and not in the other, both ways.
fn differences(a: &Path, b: &Path, table: &str) -> i64 {
    let conn = duckdb::Connection::open(a).unwrap();
    conn.execute_batch(&format!("attach '{}' as other (read_only)", b.display())).unwrap();
    conn.query_row(
        &format!(
            "select count(*) from ((select * from {table} except all select * from other.{table})
             union all (select * from other.{table} except all select * from {table}))"
        ),
        [],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
fn incremental_orders_catch_replayed_batches_and_late_members_like_a_full_refresh() {
    let dir = tempfile::tempdir().unwrap();
    let incremental = dir.path().join("incremental.duckdb");
    duckdb::Connection::open(&incremental).unwrap().execute_batch(BRONZE_TABLES).unwrap();
    let (header, lines) = (
        "order_id, order_ts, order_dt_local, customer_id, store_id, channel, currency",
        "order_id, line_number, product_id, qty, unit_price",
    );
    // Day 1: customer 1, store 1, product 10; order 101's customer 2 and its line's product 11
    // are unknown yet. Orders 200-299 are ordinary ones, so the unknown members stay under the
    // FK-violation rate at which the project's tests stop the build.
    let ordinary_orders: Vec<String> =
        (200..300).map(|id| format!("({id}, timestamptz '2024-03-01 09:00:00+00', date '2024-03-01', 1, 1, 'web', 'AUD')")).collect();
    let ordinary_lines: Vec<String> = (200..300).map(|id| format!("({id}, 1, 10, 1, 5)")).collect();
    let day_one_orders = format!(
        "(100, timestamptz '2024-03-01 10:00:00+00', date '2024-03-01', 1, 1, 'web', 'AUD'), (101, timestamptz '2024-03-01 11:00:00+00', date '2024-03-01', 2, 1, 'web', 'AUD'), {}",
        ordinary_orders.join(", ")
    );
    let day_one_lines = format!("(100, 1, 10, 1, 5), (101, 1, 11, 1, 7), {}", ordinary_lines.join(", "));
    load_batch(
        &incremental,
        "2024-03-02 00:00:00+00",
        &[
            ("customers", "customers.csv", "customer_id, natural_key, join_ts", "(1, 'n1', timestamptz '2023-01-01 00:00:00+00')"),
            ("stores", "stores.csv", "store_id, store_code", "(1, 'S1')"),
            ("products", "products.csv", "product_id, name, current_price", "(10, 'Tea', 5)"),
            ("orders_header", "orders_header/order_dt=2024-03-01/part-00000.csv", header, &day_one_orders),
            ("orders_lines", "orders_lines/order_dt=2024-03-01/part-00000.csv", lines, &day_one_lines),
        ],
    );
    let select = ["+int_orders_with_unknown_members", "+int_order_lines_with_unknown_product"];
    build_warehouse(&incremental, &dir.path().join("t1"), &select, false);
    // Day 5: the late members arrive, and a new order.
    load_batch(
        &incremental,
        "2024-03-05 00:00:00+00",
        &[
            (
                "customers",
                "customers_increments/2024-03-04_2024-03-05.csv",
                "customer_id, natural_key, join_ts",
                "(2, 'n2', timestamptz '2024-03-04 00:00:00+00')",
            ),
            ("products", "products_increments/2024-03-04_2024-03-05.csv", "product_id, name, current_price", "(11, 'Cake', 7)"),
            (
                "orders_header",
                "orders_header/order_dt=2024-03-04/part-00000.csv",
                header,
                "(103, timestamptz '2024-03-04 10:00:00+00', date '2024-03-04', 1, 1, 'web', 'AUD')",
            ),
            ("orders_lines", "orders_lines/order_dt=2024-03-04/part-00000.csv", lines, "(103, 1, 10, 2, 5)"),
        ],
    );
    // Then a recovered batch, loaded last but stamped with an older ingestion time: a new order
    // (104) and an older copy of order 100, which must not replace the copy loaded after it.
    load_batch(
        &incremental,
        "2024-03-01 00:00:00+00",
        &[
            (
                "orders_header",
                "orders_header/order_dt=2024-02-29/recovered.csv",
                header,
                "(104, timestamptz '2024-02-29 10:00:00+00', date '2024-02-29', 1, 1, 'web', 'AUD'), (100, timestamptz '2024-03-01 10:00:00+00', date '2024-03-01', 1, 1, 'replayed', 'AUD')",
            ),
            ("orders_lines", "orders_lines/order_dt=2024-02-29/recovered.csv", lines, "(104, 1, 10, 3, 5)"),
        ],
    );
    build_warehouse(&incremental, &dir.path().join("t2"), &select, false);

    let conn = duckdb::Connection::open(&incremental).unwrap();
    let orders: Vec<(i64, String)> = conn
        .prepare("select order_id, channel from silver.stg_orders_header where order_id < 200 order by order_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let web = |id: i64| (id, "web".to_string());
    assert_eq!(orders, vec![web(100), web(101), web(103), web(104)], "replayed order kept, older copy ignored");
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(count("select count(*) from silver.int_orders_with_unknown_members"), 0, "the late customer is no longer unknown");
    assert_eq!(count("select count(*) from silver.int_order_lines_with_unknown_product"), 0, "the late product is no longer unknown");
    drop(conn);

    // A full refresh over the same Bronze gives the same Silver.
    let full = dir.path().join("full.duckdb");
    std::fs::copy(&incremental, &full).unwrap();
    build_warehouse(&full, &dir.path().join("t3"), &select, true);
    for table in ["silver.stg_orders_header", "silver.stg_orders_lines"] {
        assert_eq!(differences(&incremental, &full, table), 0, "{table}");
    }
}
