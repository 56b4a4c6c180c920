//! Reviewed snapshots of the SQL the embedded runner renders from the real dbt project: an
//! incremental staging model on its first build and on a later one (the watermark and the
//! dedup macro expanded), and a Gold fact with its dimension lookups. A change in rendering (or
//! in the project's SQL) shows here as a diff to review (`cargo insta review`).

use std::collections::BTreeMap;
use std::path::Path;

use medallion_silver_gold::project::Project;
use medallion_silver_gold::render::{Context, Macros, render};

/// The real project (dbt/), loaded once per test.
fn project() -> Project {
    Project::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dbt")).expect("the dbt project loads")
}

fn rendered(model: &str, incremental: bool) -> String {
    render_in(&project(), model, incremental)
}

/// `model` of `project` rendered for its first build or a later incremental one.
fn render_in(project: &Project, model: &str, incremental: bool) -> String {
    let macros = Macros::new(project);
    // Every model, seed and snapshot lands in its configured schema (`silver`, `gold`, …).
    let relations: BTreeMap<String, String> = project
        .nodes
        .iter()
        .map(|n| {
            let schema = n.config.get("schema").and_then(|s| s.as_str()).unwrap_or("main");
            (n.name.clone(), format!("{schema}.{}", n.name))
        })
        .collect();
    let node = project.nodes.iter().find(|n| n.name == model).expect("the model exists");
    let this = relations.get(model).cloned();
    let ctx = Context { project, macros: &macros, relations: &relations, this, is_incremental: incremental, overrides: None };
    let sql = render(&ctx, &node.path, &node.sql).expect("it renders").sql;
    // Blank lines left by Jinja blocks carry no meaning.
    sql.lines().filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join("\n")
}

#[test]
fn an_incremental_staging_model_first_and_later_builds() {
    insta::assert_snapshot!("stg_orders_header_full", rendered("stg_orders_header", false));
    insta::assert_snapshot!("stg_orders_header_incremental", rendered("stg_orders_header", true));
}

#[test]
fn a_gold_fact() {
    insta::assert_snapshot!("fct_sales", rendered("fct_sales", false));
}

#[test]
fn no_model_reads_the_wall_clock() {
    // Rebuilding the same Bronze tomorrow must give the same Gold: ages, lifetimes and store
    // status are as of the data's horizon (or var `as_of_date`), never of today.
    let project = project();
    let mut readers = Vec::new();
    for node in project.nodes.iter().filter(|n| !n.sql.is_empty()) {
        for incremental in [false, true] {
            let sql = render_in(&project, &node.name, incremental).to_ascii_lowercase();
            for clock in ["current_date", "current_timestamp", "now()", "today()", "get_current_time", "localtimestamp"] {
                if sql.contains(clock) && !readers.contains(&(node.name.clone(), clock)) {
                    readers.push((node.name.clone(), clock));
                }
            }
        }
    }
    assert!(readers.is_empty(), "models reading the wall clock: {readers:?}");
}

#[test]
fn views_give_utc_dates_whatever_the_session_time_zone() {
    // Views run in the reader's session: a BI tool in Sydney must see the same dates as Gold's
    // date keys (UTC), not its local ones. 23:30 UTC on 1 March is 2 March in Sydney.
    let conn = duckdb::Connection::open_in_memory().unwrap();
    conn.execute_batch(
        "create schema gold;
         create table gold.fct_shipments as select 1 as shipment_id, 'o1' as order_number, 1 as store_key, 'dhl' as carrier,
             timestamptz '2024-03-01 23:30:00+00' as shipped_at, timestamptz '2024-03-01 23:45:00+00' as delivered_at,
             0.1 as delivery_days, 2 as sla_days, false as is_in_transit, true as on_time_flag, 9.95 as shipping_cost;
         create table gold.dim_store as select 1 as store_key, 'Sydney Central' as store_name;
         create table gold.fct_returns as select 7 as return_id, 'o1' as order_number, timestamptz '2024-03-01 23:30:00+00' as return_ts,
             1 as product_key, 1 as quantity, 'damaged' as reason, 'DMG' as return_reason_code;
         create table gold.dim_product_scd as select 1 as product_key, 'Mug' as product_name, 'Home' as category;
         set TimeZone = 'Australia/Sydney';",
    )
    .unwrap();
    let date_of = |view: &str, column: &str| -> String {
        let sql = format!("select cast(\"{column}\" as varchar) from ({}) v", rendered(view, false));
        conn.query_row(&sql, [], |r| r.get(0)).unwrap()
    };
    assert_eq!(date_of("vw_deliveries", "Shipped"), "2024-03-01");
    assert_eq!(date_of("vw_deliveries", "Delivered"), "2024-03-01");
    assert_eq!(date_of("vw_returns", "Return Date"), "2024-03-01");
}
