//! The real project (dbt/) is documented like a reference dbt project: every model has a
//! description, every docs block it names exists, and every column of every Gold relation
//! (tables and views) is described — counted on the relations a build really makes, so a column
//! added to a model without a description fails here.

use std::collections::BTreeMap;
use std::path::Path;

use medallion_silver_gold::project::{Kind, Project};
use medallion_silver_gold::render::{Context, Macros, render};
use medallion_silver_gold::runner::{RunOptions, Status, build};

fn project() -> Project {
    Project::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dbt")).unwrap()
}

/// A description as dbt shows it: its `doc()` calls replaced by the docs blocks.
fn rendered(project: &Project, macros: &Macros, where_: &str, text: &str) -> String {
    let relations = BTreeMap::new();
    let ctx = Context { project, macros, relations: &relations, this: None, is_incremental: false, overrides: None };
    render(&ctx, where_, text).unwrap_or_else(|e| panic!("{where_}: {}", e.message)).sql
}

#[test]
fn every_model_has_a_description_and_every_docs_block_it_names_exists() {
    let project = project();
    let macros = Macros::new(&project);
    let mut undescribed = Vec::new();
    for node in project.nodes.iter().filter(|n| n.kind == Kind::Model) {
        match &node.description {
            Some(d) if !rendered(&project, &macros, &node.name, d).trim().is_empty() => {}
            _ => undescribed.push(node.name.clone()),
        }
        for (column, d) in &node.column_descriptions {
            assert!(!rendered(&project, &macros, &format!("{}.{column}", node.name), d).trim().is_empty(), "{}.{column}", node.name);
        }
    }
    assert!(undescribed.is_empty(), "models without a description: {undescribed:?}");
}

#[test]
fn every_gold_column_is_documented() {
    // The whole project built on an empty Bronze (which it must survive too), then each column
    // of each relation of schema gold looked up in the YAML.
    let dir = tempfile::tempdir().unwrap();
    let warehouse = dir.path().join("warehouse.duckdb");
    let fixture = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/empty_bronze.sql")).unwrap();
    duckdb::Connection::open(&warehouse).unwrap().execute_batch(&fixture).unwrap();
    let project = project();
    let opts = RunOptions {
        warehouse: warehouse.clone(),
        select: Vec::new(),
        full_refresh: false,
        target_dir: dir.path().join("target"),
        verbose: false,
        store_failures: false,
    };
    let results = build(&project, &opts).unwrap();
    let broken: Vec<_> = results.iter().filter(|r| matches!(r.status, Status::Error(_) | Status::Fail(_) | Status::Skipped)).collect();
    assert!(broken.is_empty(), "the project on an empty Bronze: {broken:?}");

    let conn = duckdb::Connection::open(&warehouse).unwrap();
    let columns: Vec<(String, String)> = conn
        .prepare("select table_name, column_name from duckdb_columns() where schema_name = 'gold' order by table_name, column_index")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let macros = Macros::new(&project);
    let documented = |table: &str, column: &str| -> bool {
        project
            .nodes
            .iter()
            .find(|n| n.kind == Kind::Model && n.name == table)
            .and_then(|n| n.column_descriptions.get(column))
            .is_some_and(|d| !rendered(&project, &macros, table, d).trim().is_empty())
    };
    let missing: Vec<String> = columns.iter().filter(|(t, c)| !documented(t, c)).map(|(t, c)| format!("{t}.{c}")).collect();
    let relations: std::collections::BTreeSet<&str> = columns.iter().map(|(t, _)| t.as_str()).collect();
    assert!(relations.len() >= 16, "expected the Gold tables and views, found {relations:?}");
    assert!(
        missing.is_empty(),
        "Gold column documentation {}/{} ({:.1} %); undocumented: {missing:?}",
        columns.len() - missing.len(),
        columns.len(),
        100.0 * (columns.len() - missing.len()) as f64 / columns.len() as f64
    );
}
