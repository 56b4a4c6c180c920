//! The embedded runner on a small project written here: rendering, DAG order, selection, each
//! materialization (view, table, incremental delete+insert, seed, snapshot), tests with
//! severities, and errors that name their file.

use std::path::{Path, PathBuf};

use medallion_silver_gold::project::Project;
use medallion_silver_gold::runner::{NodeResult, RunOptions, Status, build};

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A project with one of everything; `raw.items` is the source.
fn project(dir: &Path) -> PathBuf {
    let root = dir.join("proj");
    write(
        &root,
        "dbt_project.yml",
        "name: demo\nprofile: demo\nvars:\n  factor: 10\nmodels:\n  demo:\n    +materialized: table\n    marts:\n      +schema: mart\n      +tags: [finance]\n",
    );
    write(
        &root,
        "profiles.yml",
        "demo:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: x.duckdb\n      threads: 2\n      settings:\n        TimeZone: UTC\n",
    );
    write(
        &root,
        "macros/util.sql",
        "{% macro generate_schema_name(custom, node) -%}{%- if custom is none -%}main{%- else -%}{{ custom | trim }}{%- endif -%}{%- endmacro %}\n{% macro times(col) -%}{{ col }} * {{ var('factor') }}{%- endmacro %}\n",
    );
    write(
        &root,
        "tests/generic/small.sql",
        "{% test is_small(model, column_name, limit) %}\n{{ config(severity='warn') }}\nselect * from {{ model }} where {{ column_name }} > {{ limit }}\n{% endtest %}\n",
    );
    write(&root, "seeds/colors.csv", "color,code\nred,1\nblue,2\n");
    write(&root, "models/sources.yml", "version: 2\nsources:\n  - name: raw\n    schema: raw\n    tables:\n      - name: items\n");
    write(&root, "models/base.sql", "select id, color, amount, updated_at from {{ source('raw', 'items') }}\n");
    write(
        &root,
        "models/scaled.sql",
        "{{ config(materialized='view') }}\nselect id, {{ times('amount') }} as amount10 from {{ ref('base') }}\n",
    );
    write(
        &root,
        "models/inc.sql",
        "{{ config(materialized='incremental', unique_key='id', on_schema_change='append_new_columns') }}\nselect id, amount, updated_at from {{ ref('base') }}\n{% if is_incremental() %}where updated_at > (select max(updated_at) from {{ this }}){% endif %}\n",
    );
    write(&root, "models/marts/report.sql", "select b.id, c.code from {{ ref('base') }} b join {{ ref('colors') }} c using (color)\n");
    write(
        &root,
        "models/schema.yml",
        "version: 2\nmodels:\n  - name: base\n    columns:\n      - name: id\n        tests: [unique, not_null]\n      - name: color\n        tests:\n          - accepted_values: {arguments: {values: ['red', 'blue']}}\n          - relationships: {arguments: {to: ref('colors'), field: color}}\n      - name: amount\n        tests:\n          - is_small: {arguments: {limit: 100}}\n",
    );
    write(
        &root,
        "snapshots/items_snapshot.sql",
        "{% snapshot items_snapshot %}\n{{ config(unique_key='id', strategy='timestamp', updated_at='updated_at') }}\nselect * from {{ ref('base') }}\n{% endsnapshot %}\n",
    );
    write(&root, "tests/amounts_positive.sql", "select * from {{ ref('base') }} where amount < 0\n");
    root
}

fn warehouse(dir: &Path) -> PathBuf {
    let path = dir.join("w.duckdb");
    let conn = duckdb::Connection::open(&path).unwrap();
    conn.execute_batch(
        "create schema raw;
         create table raw.items as select * from (values
             (1, 'red', 10, timestamp '2024-01-01'), (2, 'blue', 20, timestamp '2024-01-01'), (3, 'red', 500, timestamp '2024-01-01')
         ) t(id, color, amount, updated_at);",
    )
    .unwrap();
    path
}

fn run(root: &Path, w: &Path, select: &[&str], full_refresh: bool) -> Vec<NodeResult> {
    let project = Project::load(root).unwrap();
    let opts = RunOptions {
        warehouse: w.to_path_buf(),
        select: select.iter().map(|s| s.to_string()).collect(),
        full_refresh,
        target_dir: root.join("target"),
        verbose: false,
        store_failures: false,
    };
    build(&project, &opts).unwrap()
}

fn status<'a>(results: &'a [NodeResult], name: &str) -> &'a Status {
    &results.iter().find(|r| r.name == name).unwrap_or_else(|| panic!("{name} did not run")).status
}

fn query<T: duckdb::types::FromSql>(w: &Path, sql: &str) -> T {
    duckdb::Connection::open(w).unwrap().query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn builds_every_materialization_and_tests_like_dbt() {
    let dir = tempfile::tempdir().unwrap();
    let (root, w) = (project(dir.path()), warehouse(dir.path()));
    let results = run(&root, &w, &[], false);
    for name in ["colors", "base", "scaled", "inc", "report", "items_snapshot"] {
        assert_eq!(status(&results, name), &Status::Success, "{name}");
    }
    // Generic tests (built-in and project) and singular tests, with dbt's names and severities.
    assert_eq!(status(&results, "unique_base_id"), &Status::Pass);
    assert_eq!(status(&results, "accepted_values_base_color__red__blue"), &Status::Pass);
    assert_eq!(status(&results, "relationships_base_color__color__ref_colors_"), &Status::Pass);
    assert_eq!(status(&results, "is_small_base_amount__100"), &Status::Warn(1));
    assert_eq!(status(&results, "amounts_positive"), &Status::Pass);
    // Rendering: var() through a macro, schema from the folder config and generate_schema_name.
    assert_eq!(query::<i64>(&w, "select sum(amount10) from main.scaled"), 5300);
    assert_eq!(query::<String>(&w, "select table_type from information_schema.tables where table_name = 'scaled'"), "VIEW");
    assert_eq!(query::<i64>(&w, "select count(*) from mart.report"), 3);
    assert_eq!(query::<i32>(&w, "select max(code) from main.colors"), 2, "seed integers are INTEGER, as dbt types them");
    // run_results.json holds every node.
    let rr: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(root.join("target/run_results.json")).unwrap()).unwrap();
    assert_eq!(rr["results"].as_array().unwrap().len(), results.len());
}

#[test]
fn incremental_merges_on_the_key_and_snapshots_keep_history() {
    let dir = tempfile::tempdir().unwrap();
    let (root, w) = (project(dir.path()), warehouse(dir.path()));
    run(&root, &w, &[], false);
    // A later load: item 2 changes, item 4 is new.
    duckdb::Connection::open(&w)
        .unwrap()
        .execute_batch("update raw.items set amount = 25, updated_at = timestamp '2024-02-01' where id = 2; insert into raw.items values (4, 'blue', 40, timestamp '2024-02-01');")
        .unwrap();
    let results = run(&root, &w, &[], false);
    assert_eq!(status(&results, "inc"), &Status::Success);
    assert_eq!(query::<i64>(&w, "select count(*) from main.inc"), 4, "one row per key");
    assert_eq!(query::<i32>(&w, "select amount from main.inc where id = 2"), 25, "the key's row was replaced");
    // The snapshot closed item 2's first version and opened a second one.
    assert_eq!(query::<i64>(&w, "select count(*) from main.items_snapshot where id = 2"), 2);
    assert_eq!(query::<i64>(&w, "select count(*) from main.items_snapshot where dbt_valid_to is null"), 4);
    assert_eq!(
        query::<String>(&w, "select strftime(dbt_valid_to, '%Y-%m-%d') from main.items_snapshot where id = 2 and dbt_valid_to is not null"),
        "2024-02-01"
    );
    // A full refresh rebuilds the incremental model from scratch, with the same rows.
    run(&root, &w, &["inc"], true);
    assert_eq!(query::<i64>(&w, "select count(*) from main.inc"), 4);
}

#[test]
fn selection_follows_the_graph_tags_and_paths() {
    let dir = tempfile::tempdir().unwrap();
    let (root, w) = (project(dir.path()), warehouse(dir.path()));
    let names = |sel: &[&str]| -> Vec<String> {
        let mut n: Vec<String> = run(&root, &w, sel, false).into_iter().map(|r| r.name).collect();
        n.sort();
        n
    };
    assert_eq!(names(&["scaled"]), ["scaled"]);
    let up = names(&["+scaled"]);
    assert!(up.contains(&"base".to_string()) && up.contains(&"scaled".to_string()) && !up.contains(&"inc".to_string()));
    assert!(up.contains(&"unique_base_id".to_string()), "tests of selected models run too");
    let down = names(&["base+"]);
    for n in ["base", "scaled", "inc", "report", "items_snapshot"] {
        assert!(down.contains(&n.to_string()), "{n} is downstream of base");
    }
    assert!(!down.contains(&"colors".to_string()));
    assert_eq!(names(&["tag:finance"]), ["report"]);
    assert_eq!(names(&["path:models/marts"]), ["report"]);
}

#[test]
fn a_failing_model_names_its_file_and_its_descendants_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let (root, w) = (project(dir.path()), warehouse(dir.path()));
    write(&root, "models/base.sql", "select id, color, amount, updated_at from {{ source('raw', 'items') }} where no_such_column = 1\n");
    let results = run(&root, &w, &[], false);
    match status(&results, "base") {
        Status::Error(e) => assert!(e.contains("models/base.sql") && e.contains("no_such_column"), "{e}"),
        other => panic!("base: {other:?}"),
    }
    for n in ["scaled", "inc", "report", "items_snapshot", "unique_base_id", "amounts_positive"] {
        assert_eq!(status(&results, n), &Status::Skipped, "{n}");
    }
    assert_eq!(status(&results, "colors"), &Status::Success, "the rest continue");
}

#[test]
fn a_failing_test_blocks_what_is_built_on_its_model() {
    let dir = tempfile::tempdir().unwrap();
    let (root, w) = (project(dir.path()), warehouse(dir.path()));
    duckdb::Connection::open(&w).unwrap().execute_batch("insert into raw.items values (5, 'green', 1, timestamp '2024-01-01')").unwrap();
    let results = run(&root, &w, &[], false);
    assert_eq!(status(&results, "accepted_values_base_color__red__blue"), &Status::Fail(1));
    assert_eq!(status(&results, "relationships_base_color__color__ref_colors_"), &Status::Fail(1));
    for n in ["scaled", "inc", "report", "items_snapshot"] {
        assert_eq!(status(&results, n), &Status::Skipped, "{n}");
    }
    // The model's other tests still run.
    assert_eq!(status(&results, "unique_base_id"), &Status::Pass);
    assert_eq!(status(&results, "amounts_positive"), &Status::Pass);
}

#[test]
fn unsupported_jinja_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let (root, w) = (project(dir.path()), warehouse(dir.path()));
    // Like dbt, a template that cannot be rendered stops the run at parse time.
    write(&root, "models/odd.sql", "select 1 as x\n-- a second line\n{{ adapter.get_columns_in_relation(this) }}\n");
    let project = Project::load(&root).unwrap();
    let opts = RunOptions {
        warehouse: w.clone(),
        select: vec![],
        full_refresh: false,
        target_dir: root.join("target"),
        verbose: false,
        store_failures: false,
    };
    let err = build(&project, &opts).unwrap_err().to_string();
    assert!(err.starts_with("models/odd.sql:3:") && err.contains("get_columns_in_relation"), "{err}");
    // A materialization outside the supported subset is refused by name.
    write(&root, "models/odd.sql", "{{ config(materialized='ephemeral') }}\nselect 1 as x\n");
    match status(&run(&root, &w, &["odd"], false), "odd") {
        Status::Error(e) => assert!(e.contains("models/odd.sql") && e.contains("ephemeral"), "{e}"),
        other => panic!("odd: {other:?}"),
    }
}

#[test]
fn contracts_are_enforced_and_failures_can_be_stored() {
    let dir = tempfile::tempdir().unwrap();
    let (root, w) = (project(dir.path()), warehouse(dir.path()));
    let contract = |code_type: &str| {
        format!(
            "version: 2\nmodels:\n  - name: report\n    config:\n      contract: {{enforced: true}}\n    columns:\n      - name: id\n        data_type: integer\n        constraints: [{{type: not_null}}]\n      - name: code\n        data_type: {code_type}\n"
        )
    };
    run(&root, &w, &[], false);
    write(&root, "models/marts/report.yml", &contract("integer"));
    assert_eq!(status(&run(&root, &w, &["report"], false), "report"), &Status::Success);
    write(&root, "models/marts/report.yml", &contract("varchar"));
    match status(&run(&root, &w, &["report"], false), "report") {
        Status::Error(e) => assert!(e.contains("models/marts/report.sql") && e.contains("code varchar (query: code INTEGER)"), "{e}"),
        other => panic!("report: {other:?}"),
    }
    // --store-failures keeps a warning test's failing rows, named as dbt names them.
    let project = Project::load(&root).unwrap();
    let opts = RunOptions {
        warehouse: w.clone(),
        select: vec!["base".into()],
        full_refresh: false,
        target_dir: root.join("target"),
        verbose: false,
        store_failures: true,
    };
    build(&project, &opts).unwrap();
    assert_eq!(query::<i32>(&w, "select amount from dbt_test__audit.is_small_base_amount__100"), 500);
    assert_eq!(query::<i64>(&w, "select count(*) from dbt_test__audit.unique_base_id"), 0);
}

/// A project of `models` (name → SQL) in schema `wide`, run on `threads`, on an empty warehouse.
fn small_project(dir: &Path, threads: usize, models: &[(&str, &str)], yml: &str) -> (PathBuf, PathBuf) {
    let root = dir.join("small");
    write(&root, "dbt_project.yml", "name: small\nprofile: small\nmodels:\n  small:\n    +materialized: table\n    +schema: wide\n");
    write(
        &root,
        "profiles.yml",
        &format!("small:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: x.duckdb\n      threads: {threads}\n"),
    );
    write(&root, "macros/schema.sql", "{% macro generate_schema_name(custom, node) -%}{{ custom | trim }}{%- endmacro %}\n");
    for (name, sql) in models {
        write(&root, &format!("models/{name}.sql"), sql);
    }
    write(&root, "models/schema.yml", yml);
    (root, dir.join("w.duckdb"))
}

#[test]
fn models_racing_to_create_their_schema_all_build() {
    // Eight independent tables in a schema that does not exist yet, four at a time.
    let models: Vec<(String, String)> = (0..8).map(|i| (format!("m{i}"), format!("select {i} as id"))).collect();
    let models: Vec<(&str, &str)> = models.iter().map(|(n, s)| (n.as_str(), s.as_str())).collect();
    for _ in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let (root, w) = small_project(dir.path(), 4, &models, "version: 2\n");
        let results = run(&root, &w, &[], false);
        let failed: Vec<_> = results.iter().filter(|r| r.status != Status::Success).collect();
        assert!(failed.is_empty(), "{failed:?}");
    }
}

#[test]
fn the_longest_chain_starts_first_and_model_level_tests_get_no_column() {
    // `a` is alone; `b → c → d` is a chain: on one thread the chain's head runs first, although
    // `a` sorts first by name.
    let models = [
        ("a", "select 1 as id"),
        ("b", "select 1 as id, 1 as line"),
        ("c", "select * from {{ ref('b') }}"),
        ("d", "select * from {{ ref('c') }}"),
    ];
    let yml = "version: 2\nmodels:\n  - name: d\n    tests:\n      - grain:\n          arguments: {columns: [id, line]}\n";
    let dir = tempfile::tempdir().unwrap();
    let (root, w) = small_project(dir.path(), 1, &models, yml);
    // A model-level generic test: dbt passes the model and the arguments, no column_name.
    write(
        &root,
        "tests/generic/grain.sql",
        "{% test grain(model, columns) %}\nselect {{ columns | join(', ') }} from {{ model }} group by all having count(*) > 1\n{% endtest %}\n",
    );
    let results = run(&root, &w, &[], false);
    let names: Vec<&str> = results.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names[..3], ["b", "c", "d"], "{names:?}");
    assert_eq!(status(&results, "grain_d_id__line"), &Status::Pass);
}

#[test]
fn duckdb_gets_one_thread_more_than_the_cores_unless_the_profile_says() {
    let dir = tempfile::tempdir().unwrap();
    let (root, w) = small_project(dir.path(), 1, &[("pool", "select current_setting('threads') as threads")], "version: 2\n");
    run(&root, &w, &[], false);
    let cores = std::thread::available_parallelism().unwrap().get() as i64;
    assert_eq!(query::<i64>(&w, "select threads from wide.pool"), cores + 1);
    // A `threads` in the profile's settings wins.
    write(
        &root,
        "profiles.yml",
        "small:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: x.duckdb\n      threads: 1\n      settings:\n        threads: 1\n",
    );
    run(&root, &w, &[], false);
    assert_eq!(query::<i64>(&w, "select threads from wide.pool"), 1);
}

#[test]
fn a_null_failure_count_is_an_error_as_in_dbt() {
    // dbt refuses a test whose fail_calc gives NULL (`failures: None is not of type integer`);
    // treating it as 0 would pass a test that measured nothing.
    let models = [("m", "select 1 as id")];
    let yml = "version: 2\nmodels:\n  - name: m\n    columns:\n      - name: id\n        data_tests: [maxtest]\n";
    let dir = tempfile::tempdir().unwrap();
    let (root, w) = small_project(dir.path(), 1, &models, yml);
    write(
        &root,
        "tests/generic/maxtest.sql",
        "{% test maxtest(model, column_name) %}\n{{ config(fail_calc='max(x)') }}\nselect 1 as x from {{ model }} where {{ column_name }} > 100\n{% endtest %}\n",
    );
    let results = run(&root, &w, &[], false);
    match status(&results, "maxtest_m_id") {
        Status::Error(e) => assert!(e.contains("NULL"), "{e}"),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn the_projects_fk_violation_rate_passes_clean_data_and_grades_by_the_spec() {
    // The project's own generic test (dbt/tests/generic), thresholds as in dbt_project.yml:
    // warn from 1.25 %, error from the SPEC's 1.5 %.
    let generic =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dbt/tests/generic/fk_violation_rate.sql")).unwrap();
    // 10,000 children; `bad` of them point at no parent.
    let child = |bad: u32| format!("select i as id, case when i < {bad} then -1 else i % 10 end as parent_id from range(10000) t(i)");
    let models = [
        ("parent", "select i as parent_id from range(10) t(i)".to_string()),
        ("clean", child(0)),
        ("under_warn", child(124)),
        ("at_warn", child(125)),
        ("at_error", child(150)),
    ];
    let models: Vec<(&str, &str)> = models.iter().map(|(n, s)| (*n, s.as_str())).collect();
    let mut yml = String::from("version: 2\nmodels:\n");
    for name in ["clean", "under_warn", "at_warn", "at_error"] {
        yml.push_str(&format!(
            "  - name: {name}\n    columns:\n      - name: parent_id\n        data_tests:\n          - fk_violation_rate: {{arguments: {{to: \"ref('parent')\", field: parent_id}}}}\n"
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let (root, w) = small_project(dir.path(), 1, &models, &yml);
    write(
        &root,
        "dbt_project.yml",
        "name: small\nprofile: small\nvars:\n  fk_violation_warn_rate: 0.0125\n  fk_violation_error_rate: 0.015\nmodels:\n  small:\n    +materialized: table\n    +schema: wide\n",
    );
    write(&root, "tests/generic/fk_violation_rate.sql", &generic);
    let results = run(&root, &w, &[], false);
    let test = |model: &str| status(&results, &format!("fk_violation_rate_{model}_parent_id__parent_id__ref_parent_")).clone();
    assert_eq!(test("clean"), Status::Pass);
    assert_eq!(test("under_warn"), Status::Pass);
    assert_eq!(test("at_warn"), Status::Warn(125));
    assert_eq!(test("at_error"), Status::Fail(150));
}

#[test]
fn unit_tests_run_the_model_on_given_rows_before_it_is_built() {
    let dir = tempfile::tempdir().unwrap();
    let (root, w) = (project(dir.path()), warehouse(dir.path()));
    // `report` joins base and colors: given rows replace both, typed like the real relations
    // (base.amount is an INTEGER, so '7' is 7), and a var is overridden.
    write(
        &root,
        "models/unit.yml",
        "unit_tests:
  - name: report_joins_on_color
    model: report
    given:
      - input: ref('base')
        rows:
          - {id: 1, color: red}
          - {id: 2, color: green}
      - input: ref('colors')
        rows:
          - {color: red, code: 7}
    expect:
      rows:
        - {id: 1, code: 7}
  - name: scaled_uses_the_factor
    model: scaled
    overrides:
      vars: {factor: 3}
    given:
      - input: ref('base')
        format: sql
        rows: select 1 as id, 'red' as color, 5 as amount, timestamp '2024-01-01' as updated_at
    expect:
      rows:
        - {id: 1, amount10: 15}
  - name: inc_is_wrong
    model: inc
    given:
      - input: ref('base')
        rows:
          - {id: 1, amount: 10}
          - {id: 2, amount: 20}
    expect:
      rows:
        - {id: 1, amount: 10}
        - {id: 2, amount: 21}
",
    );
    let results = run(&root, &w, &[], false);
    assert_eq!(status(&results, "report_joins_on_color"), &Status::Pass);
    assert_eq!(status(&results, "scaled_uses_the_factor"), &Status::Pass);
    // One row returned but not expected, one expected but not returned.
    assert_eq!(status(&results, "inc_is_wrong"), &Status::Fail(2));
    // A failing unit test skips its model (and what is built on it), as dbt build does.
    assert_eq!(status(&results, "inc"), &Status::Skipped);
    assert_eq!(status(&results, "report"), &Status::Success);
    // dbt's unique id and order: after the model's parents, before the model.
    let rr: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(root.join("target/run_results.json")).unwrap()).unwrap();
    let ids: Vec<&str> = rr["results"].as_array().unwrap().iter().map(|r| r["unique_id"].as_str().unwrap()).collect();
    let pos = |id: &str| ids.iter().position(|i| *i == id).unwrap_or_else(|| panic!("{id} not in {ids:?}"));
    assert!(pos("model.demo.base") < pos("unit_test.demo.report.report_joins_on_color"));
    assert!(pos("unit_test.demo.report.report_joins_on_color") < pos("model.demo.report"));

    // An input the model reads but the test does not give is an error naming it.
    write(
        &root,
        "models/unit.yml",
        "unit_tests:\n  - name: half_given\n    model: report\n    given:\n      - input: ref('base')\n        rows: [{id: 1}]\n    expect:\n      rows: [{id: 1}]\n",
    );
    let results = run(&root, &w, &["report"], false);
    match status(&results, "half_given") {
        Status::Error(e) => assert!(e.contains("ref('colors')") && e.contains("models/unit.yml"), "{e}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn exposures_are_no_ops_after_their_models_and_skipped_when_one_fails() {
    let dir = tempfile::tempdir().unwrap();
    let (root, w) = (project(dir.path()), warehouse(dir.path()));
    let exposures = "version: 2\nexposures:\n  - name: finance_dashboard\n    type: dashboard\n    owner: {email: a@b.invalid}\n    depends_on: [ref('report'), ref('scaled')]\n";
    write(&root, "models/exposures.yml", exposures);
    let results = run(&root, &w, &[], false);
    assert_eq!(status(&results, "finance_dashboard"), &Status::NoOp);
    let rr: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(root.join("target/run_results.json")).unwrap()).unwrap();
    let rows = rr["results"].as_array().unwrap();
    let pos = |id: &str| rows.iter().position(|r| r["unique_id"] == id).unwrap_or_else(|| panic!("{id} not in run_results"));
    assert_eq!(rows[pos("exposure.demo.finance_dashboard")]["status"], "no-op");
    assert!(pos("model.demo.report") < pos("exposure.demo.finance_dashboard"));
    assert!(pos("model.demo.scaled") < pos("exposure.demo.finance_dashboard"));
    // Selected with its models' children, skipped when one fails, as dbt build does.
    write(&root, "models/scaled.sql", "select nope from {{ ref('base') }}\n");
    let results = run(&root, &w, &["scaled+"], false);
    assert_eq!(status(&results, "finance_dashboard"), &Status::Skipped);
    // A depends_on naming no model is an error naming the file.
    write(&root, "models/exposures.yml", &exposures.replace("ref('report')", "ref('reports')"));
    let err = Project::load(&root).err().expect("an unknown model is an error").to_string();
    assert!(err.contains("models/exposures.yml") && err.contains("ref('reports')"), "{err}");
}

#[test]
fn a_run_is_recorded_from_its_start_so_a_killed_one_is_seen() {
    use medallion_silver_gold::runs;
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path().join("w.duckdb");
    duckdb::Connection::open(&w).unwrap();
    let target = dir.path().join("target");
    std::fs::create_dir_all(&target).unwrap();
    std::fs::write(target.join("run_results.json"), r#"{"results": [{"status": "success"}]}"#).unwrap();
    let (first, interrupted) = runs::begin(&w, "embedded", &target).unwrap();
    assert_eq!((first.id, first.status.as_str(), interrupted), (1, "running", None));
    // The previous results never pass for this run's.
    let results: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(target.join("run_results.json")).unwrap()).unwrap();
    assert_eq!(results["metadata"]["status"], "running");
    assert_eq!(results["results"], serde_json::json!([]));
    // Killed before finish: the next run names it.
    let (second, interrupted) = runs::begin(&w, "embedded", &target).unwrap();
    assert_eq!(second.id, 2);
    assert_eq!(interrupted.map(|r| (r.id, r.status)), Some((1, "running".to_string())));
    runs::finish(&w, second.id, true).unwrap();
    let conn = duckdb::Connection::open(&w).unwrap();
    let latest = runs::latest(&conn, "w").unwrap().unwrap();
    assert_eq!((latest.id, latest.status.as_str()), (2, "success"));
    let (third, interrupted) = runs::begin(&w, "dbt", &target).unwrap();
    drop(conn);
    assert_eq!((third.id, interrupted), (3, None), "a finished run is not reported");
}
