//! Reviewed snapshots of the SQL the embedded runner renders from the real dbt project: an
//! incremental staging model on its first build and on a later one (the watermark and the
//! dedup macro expanded), and a Gold fact with its dimension lookups. A change in rendering (or
//! in the project's SQL) shows here as a diff to review (`cargo insta review`).

use std::collections::BTreeMap;
use std::path::Path;

use medallion_silver_gold::project::Project;
use medallion_silver_gold::render::{Context, Macros, render};

fn rendered(model: &str, incremental: bool) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dbt");
    let project = Project::load(&root).expect("the dbt project loads");
    let macros = Macros::new(&project);
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
    let ctx = Context { project: &project, macros: &macros, relations: &relations, this, is_incremental: incremental };
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
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dbt");
    let project = Project::load(&root).expect("the dbt project loads");
    let mut readers = Vec::new();
    for node in project.nodes.iter().filter(|n| !n.sql.is_empty()) {
        for incremental in [false, true] {
            let sql = rendered(&node.name, incremental).to_ascii_lowercase();
            for clock in ["current_date", "current_timestamp", "now()", "today()", "get_current_time", "localtimestamp"] {
                if sql.contains(clock) && !readers.contains(&(node.name.clone(), clock)) {
                    readers.push((node.name.clone(), clock));
                }
            }
        }
    }
    assert!(readers.is_empty(), "models reading the wall clock: {readers:?}");
}
