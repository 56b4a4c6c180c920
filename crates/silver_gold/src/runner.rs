//! The embedded dbt runner: builds the project's DAG and runs it on the warehouse with the
//! linked DuckDB — seeds, models (view, table, incremental delete+insert), snapshots (timestamp
//! strategy) and tests (built-in and project generic tests, singular tests, severity and
//! thresholds) — printing one line per node like dbt and writing `target/run_results.json`.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};
use std::time::Instant;

use duckdb::Connection;
use minijinja::value::Value;
use serde_json::Value as Json;

use crate::project::{Kind, Node, Project};
use crate::render::{Context, Macros, RenderError, Rendered, render, render_with};

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{file}:{line}: {message}")]
    At { file: String, line: usize, message: String },
    #[error("{0}")]
    Sql(#[from] duckdb::Error),
    #[error("{0}")]
    Other(String),
}

impl RunError {
    pub fn at(file: &Path, line: usize, message: String) -> Self {
        RunError::At { file: file.display().to_string(), line, message }
    }
}

impl From<RenderError> for RunError {
    fn from(e: RenderError) -> Self {
        RunError::At { file: e.file, line: e.line, message: e.message }
    }
}

/// How a node ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    Success,
    Pass,
    Warn(u64),
    Fail(u64),
    Error(String),
    Skipped,
}

impl Status {
    /// dbt's word for it in run_results.json.
    pub fn dbt_name(&self) -> &'static str {
        match self {
            Status::Success => "success",
            Status::Pass => "pass",
            Status::Warn(_) => "warn",
            Status::Fail(_) => "fail",
            Status::Error(_) => "error",
            Status::Skipped => "skipped",
        }
    }

    fn is_failure(&self) -> bool {
        matches!(self, Status::Fail(_) | Status::Error(_))
    }
}

#[derive(Debug, Clone)]
pub struct NodeResult {
    pub unique_id: String,
    pub kind: Kind,
    pub name: String,
    pub relation: Option<String>,
    pub status: Status,
    pub seconds: f64,
}

pub struct RunOptions {
    pub warehouse: PathBuf,
    /// dbt-style selectors: `name`, `+name`, `name+`, `tag:x`, `path:models/gold`; empty = all.
    pub select: Vec<String>,
    pub full_refresh: bool,
    /// Where `run_results.json` goes.
    pub target_dir: PathBuf,
    /// Print a line per node.
    pub verbose: bool,
    /// Keep every test's failing rows in a table of schema `dbt_test__audit` (dbt's `--store-failures`).
    pub store_failures: bool,
}

/// Shared state of a run: what may run next, what broke, what finished.
struct Schedule {
    indegree: Vec<usize>,
    ready: BTreeSet<(Priority, usize)>,
    remaining: usize,
    broken: BTreeSet<String>,
    failing_tests_on: BTreeSet<String>,
    results: Vec<NodeResult>,
}

/// A node ready to run: its relation and dependencies (found by rendering it once).
struct Planned {
    node: Node,
    relation: Option<String>,
    deps: Vec<String>,
    config: BTreeMap<String, Json>,
}

fn cfg_str<'a>(cfg: &'a BTreeMap<String, Json>, key: &str) -> Option<&'a str> {
    cfg.get(key).and_then(Json::as_str)
}

fn cfg_list(cfg: &BTreeMap<String, Json>, key: &str) -> Vec<String> {
    match cfg.get(key) {
        Some(Json::String(s)) => vec![s.clone()],
        Some(Json::Array(a)) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

/// The schema a node lands in: the project's `generate_schema_name` macro (if any) applied to
/// its `schema` config, else dbt's default (`main`, or `main_<schema>`).
fn schema_of(project: &Project, macros: &Macros, config: &BTreeMap<String, Json>) -> Result<String, RunError> {
    let custom = cfg_str(config, "schema");
    let has_macro = project.macros.iter().any(|(_, t)| t.contains("macro generate_schema_name"));
    if !has_macro {
        return Ok(custom.map_or("main".to_string(), |s| format!("main_{s}")));
    }
    let relations = BTreeMap::new();
    let ctx = Context { project, macros, relations: &relations, this: None, is_incremental: false };
    let arg = custom.map_or("none".to_string(), |s| format!("'{s}'"));
    let out = render(&ctx, "generate_schema_name", &format!("{{{{ generate_schema_name({arg}, none) }}}}"))?;
    Ok(out.sql.trim().to_string())
}

/// Plans every node: relations, then dependencies and file configs by rendering once.
fn plan(project: &Project, macros: &Macros) -> Result<Vec<Planned>, RunError> {
    let mut relations = BTreeMap::new();
    let mut planned = Vec::new();
    // First pass: the config a file sets (schema) decides its relation, so render for config.
    for node in &project.nodes {
        let mut config = node.config.clone();
        let mut deps = Vec::new();
        if matches!(node.kind, Kind::Model | Kind::Snapshot) || (node.kind == Kind::Test && node.test.is_none()) {
            let ctx = Context { project, macros, relations: &BTreeMap::new(), this: None, is_incremental: false };
            // Refs are not resolvable yet: collect names with a permissive pass.
            let probe = render_probe(&ctx, node)?;
            config.extend(probe.config);
            deps.extend(probe.refs);
            deps.extend(probe.sources.iter().map(|(s, t)| format!("source:{s}.{t}")));
        }
        if let Some(t) = &node.test {
            deps.push(t.model.clone());
            for v in t.args.values() {
                if let Some(r) = v.as_str().and_then(ref_name) {
                    deps.push(r);
                }
            }
        }
        let relation = match node.kind {
            Kind::Test => None,
            _ => Some(format!("{}.{}", schema_of(project, macros, &config)?, node.name)),
        };
        if let Some(r) = &relation {
            relations.insert(node.name.clone(), r.clone());
        }
        planned.push(Planned { node: node.clone(), relation, deps, config });
    }
    Ok(planned)
}

/// `ref('x')` in a test argument → `x`.
fn ref_name(s: &str) -> Option<String> {
    let inner = s.trim().strip_prefix("ref(")?.strip_suffix(')')?.trim();
    Some(inner.trim_matches(|c| c == '\'' || c == '"').to_string())
}

/// Renders with every ref resolving to a placeholder, to learn refs and config.
fn render_probe(ctx: &Context<'_>, node: &Node) -> Result<Rendered, RunError> {
    let names: BTreeMap<String, String> = ctx.project.nodes.iter().map(|n| (n.name.clone(), format!("__ref__.{}", n.name))).collect();
    let probe =
        Context { project: ctx.project, macros: ctx.macros, relations: &names, this: Some("__this__".into()), is_incremental: false };
    Ok(render(&probe, &node.path, &node.sql)?)
}

/// Topological order (Kahn), ties broken by kind then name so runs are reproducible.
/// Every node's number of parents and its children: references, plus dbt build's rule that a
/// model's generic tests run before what is built on the model.
fn graph(planned: &[Planned]) -> Result<(Vec<usize>, Vec<Vec<usize>>), RunError> {
    let index: BTreeMap<&str, usize> =
        planned.iter().enumerate().filter(|(_, p)| p.node.kind != Kind::Test).map(|(i, p)| (p.node.name.as_str(), i)).collect();
    let mut indegree = vec![0usize; planned.len()];
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); planned.len()];
    for (i, p) in planned.iter().enumerate() {
        for d in p.deps.iter().filter(|d| !d.starts_with("source:")) {
            let Some(&j) = index.get(d.as_str()) else {
                return Err(RunError::Other(format!("{}: depends on `{d}`, which is not in the project", p.node.path)));
            };
            indegree[i] += 1;
            children[j].push(i);
        }
    }
    // dbt build: a model's generic tests run before what is built on the model, unless that
    // would make a cycle (a test that also reads a descendant).
    let ancestors = |start: &[usize]| -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<usize> = start.to_vec();
        while let Some(k) = stack.pop() {
            for d in planned[k].deps.iter().filter_map(|d| index.get(d.as_str())) {
                if seen.insert(*d) {
                    stack.push(*d);
                }
            }
        }
        seen
    };
    for (t, p) in planned.iter().enumerate() {
        let Some(test) = &p.node.test else { continue };
        let Some(&model) = index.get(test.model.as_str()) else { continue };
        let test_parents: Vec<usize> = p.deps.iter().filter_map(|d| index.get(d.as_str()).copied()).collect();
        let above = ancestors(&test_parents);
        for c in children[model].clone() {
            if planned[c].node.kind != Kind::Test && c != t && !above.contains(&c) && !test_parents.contains(&c) {
                indegree[c] += 1;
                children[t].push(c);
            }
        }
    }
    Ok((indegree, children))
}

/// The scheduling priority among ready nodes (smallest first): the longest chain of work still
/// behind a node, so a long chain (orders → their tests → dim_customer → fct_sales) starts before
/// work nothing waits for; then kind and name, so a one-thread run is reproducible.
type Priority = (Reverse<u64>, Kind, String);

/// Each node's [`Priority`]. A node's own weight is a guess at its cost: a table, incremental
/// model, snapshot or seed counts 10, a view or a test 1.
fn priorities(planned: &[Planned], children: &[Vec<usize>]) -> Vec<Priority> {
    fn chain(i: usize, planned: &[Planned], children: &[Vec<usize>], memo: &mut [Option<u64>]) -> u64 {
        if let Some(v) = memo[i] {
            return v;
        }
        memo[i] = Some(0); // a cycle (reported by `order`) ends here
        let p = &planned[i];
        let light =
            p.node.kind == Kind::Test || (p.node.kind == Kind::Model && cfg_str(&p.config, "materialized").unwrap_or("view") == "view");
        let own = if light { 1 } else { 10 };
        let behind = children[i].iter().map(|&c| chain(c, planned, children, memo)).max().unwrap_or(0);
        memo[i] = Some(own + behind);
        own + behind
    }
    let mut memo = vec![None; planned.len()];
    (0..planned.len())
        .map(|i| (Reverse(chain(i, planned, children, &mut memo)), planned[i].node.kind, planned[i].node.name.clone()))
        .collect()
}

/// Topological order (Kahn), ties broken by [`priority`] so a one-thread run is reproducible.
fn order(planned: &[Planned]) -> Result<Vec<usize>, RunError> {
    let (mut indegree, children) = graph(planned)?;
    let priority = priorities(planned, &children);
    let key = |i: usize| priority[i].clone();
    let mut ready: BTreeSet<(Priority, usize)> = (0..planned.len()).filter(|i| indegree[*i] == 0).map(|i| (key(i), i)).collect();
    let mut out = Vec::new();
    while let Some(first) = ready.iter().next().cloned() {
        ready.remove(&first);
        let i = first.1;
        out.push(i);
        for &c in &children[i] {
            indegree[c] -= 1;
            if indegree[c] == 0 {
                ready.insert((key(c), c));
            }
        }
    }
    if out.len() != planned.len() {
        return Err(RunError::Other("the project's references form a cycle".into()));
    }
    // Tests run right after the last node they depend on (dbt build order).
    Ok(out)
}

/// Which nodes `select` picks (all when empty). Tests follow the models they test.
fn selected(planned: &[Planned], select: &[String]) -> BTreeSet<usize> {
    if select.is_empty() {
        return (0..planned.len()).collect();
    }
    let by_name = |n: &str| planned.iter().position(|p| p.node.name == n && p.node.kind != Kind::Test);
    let mut picked = BTreeSet::new();
    let up = |i: usize, acc: &mut BTreeSet<usize>| {
        let mut stack = vec![i];
        while let Some(k) = stack.pop() {
            for d in &planned[k].deps {
                if let Some(j) = by_name(d)
                    && acc.insert(j)
                {
                    stack.push(j);
                }
            }
        }
    };
    let down = |i: usize, acc: &mut BTreeSet<usize>| {
        let mut stack = vec![i];
        while let Some(k) = stack.pop() {
            let name = planned[k].node.name.clone();
            for (j, p) in planned.iter().enumerate() {
                if p.node.kind != Kind::Test && p.deps.contains(&name) && acc.insert(j) {
                    stack.push(j);
                }
            }
        }
    };
    for sel in select {
        if let Some(tag) = sel.strip_prefix("tag:") {
            for (i, p) in planned.iter().enumerate() {
                if cfg_list(&p.config, "tags").iter().any(|t| t == tag) {
                    picked.insert(i);
                }
            }
            continue;
        }
        if let Some(path) = sel.strip_prefix("path:") {
            for (i, p) in planned.iter().enumerate() {
                if p.node.path.starts_with(path.trim_end_matches('/')) {
                    picked.insert(i);
                }
            }
            continue;
        }
        let (parents, rest) = sel.strip_prefix('+').map_or((false, sel.as_str()), |r| (true, r));
        let (children, name) = rest.strip_suffix('+').map_or((false, rest), |r| (true, r));
        if let Some(i) = by_name(name) {
            picked.insert(i);
            if parents {
                up(i, &mut picked);
            }
            if children {
                down(i, &mut picked);
            }
        }
    }
    // The tests of picked nodes (all their parents picked).
    for (i, p) in planned.iter().enumerate() {
        if p.node.kind == Kind::Test {
            let parents: Vec<usize> = p.deps.iter().filter_map(|d| by_name(d)).collect();
            if !parents.is_empty() && parents.iter().all(|j| picked.contains(j)) {
                picked.insert(i);
            }
        }
    }
    picked
}

/// Runs the project like `dbt build` (optionally a selection); returns every node's result.
pub fn build(project: &Project, opts: &RunOptions) -> Result<Vec<NodeResult>, RunError> {
    let started = Instant::now();
    let macros = Macros::new(project);
    let planned = plan(project, &macros)?;
    let order = order(&planned)?;
    let picked = selected(&planned, &opts.select);
    let relations: BTreeMap<String, String> = planned.iter().filter_map(|p| p.relation.clone().map(|r| (p.node.name.clone(), r))).collect();
    let conn = Connection::open(&opts.warehouse).map_err(|e| RunError::Other(format!("{}: {e}", opts.warehouse.display())))?;
    // DuckDB's pool (shared by the connections): one thread more than the cores, as Bronze
    // does, because writing tables blocks on I/O (scale 1: 17.5 → 15.7 s on 2 cores). A
    // `threads` in the profile's settings wins.
    if !project.settings.iter().any(|(k, _)| k.eq_ignore_ascii_case("threads")) {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        conn.execute_batch(&format!("set threads = {}", cores + 1))?;
    }
    let (_, children) = graph(&planned)?;
    let priority = priorities(&planned, &children);
    let mut indegree = vec![0usize; planned.len()];
    for &i in &picked {
        for &c in &children[i] {
            if picked.contains(&c) {
                indegree[c] += 1;
            }
        }
    }
    let total = order.iter().filter(|i| picked.contains(i)).count();
    let ready: BTreeSet<(Priority, usize)> = picked.iter().filter(|i| indegree[**i] == 0).map(|&i| (priority[i].clone(), i)).collect();
    let state = Mutex::new(Schedule {
        indegree,
        ready,
        remaining: total,
        broken: BTreeSet::new(),
        failing_tests_on: BTreeSet::new(),
        results: Vec::new(),
    });
    let wake = Condvar::new();
    // As many workers as the profile's threads, each with its own connection (temp tables
    // are per connection), like dbt's thread pool.
    std::thread::scope(|scope| -> Result<(), RunError> {
        for _ in 0..project.threads.max(1) {
            let conn = conn.try_clone()?;
            for (k, v) in &project.settings {
                conn.execute_batch(&format!("set {k} = '{}'", v.replace('\'', "''")))?;
            }
            // Tables are unordered; letting DuckDB write them in parallel is faster.
            conn.execute_batch("set preserve_insertion_order = false")?;
            let (state, wake, planned, children, picked, relations, macros, priority) =
                (&state, &wake, &planned, &children, &picked, &relations, &macros, &priority);
            scope.spawn(move || {
                loop {
                    let (i, blocked) = {
                        let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                        loop {
                            if s.remaining == 0 {
                                return;
                            }
                            if let Some((_, i)) = s.ready.pop_first() {
                                let p = &planned[i];
                                let blocked = p
                                    .deps
                                    .iter()
                                    .any(|d| s.broken.contains(d) || (p.node.kind != Kind::Test && s.failing_tests_on.contains(d)));
                                break (i, blocked);
                            }
                            s = wake.wait(s).unwrap_or_else(|e| e.into_inner());
                        }
                    };
                    let p = &planned[i];
                    let t = Instant::now();
                    let status = if blocked {
                        Status::Skipped
                    } else {
                        match run_node(project, macros, relations, &conn, p, opts) {
                            Ok(s) => s,
                            // Render errors name file and line already; SQL errors get the file.
                            Err(e @ RunError::At { .. }) => Status::Error(e.to_string()),
                            Err(e) => Status::Error(format!("{}: {e}", p.node.path)),
                        }
                    };
                    let seconds = t.elapsed().as_secs_f64();
                    let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                    if status.is_failure() || status == Status::Skipped {
                        match (&p.node.test, p.node.kind) {
                            (Some(t), _) => {
                                s.failing_tests_on.insert(t.model.clone());
                            }
                            (None, Kind::Test) => {}
                            (None, _) => {
                                s.broken.insert(p.node.name.clone());
                            }
                        }
                    }
                    if opts.verbose {
                        println!("{}", line(s.results.len() + 1, total, p, &status, seconds));
                    }
                    s.results.push(NodeResult {
                        unique_id: p.node.unique_id(&project.name),
                        kind: p.node.kind,
                        name: p.node.name.clone(),
                        relation: p.relation.clone(),
                        status,
                        seconds,
                    });
                    s.remaining -= 1;
                    for &c in &children[i] {
                        if picked.contains(&c) {
                            s.indegree[c] -= 1;
                            if s.indegree[c] == 0 {
                                s.ready.insert((priority[c].clone(), c));
                            }
                        }
                    }
                    wake.notify_all();
                }
            });
        }
        Ok(())
    })?;
    let results = state.into_inner().unwrap_or_else(|e| e.into_inner()).results;
    write_run_results(&opts.target_dir, &results, started.elapsed().as_secs_f64())?;
    Ok(results)
}

fn line(n: usize, total: usize, p: &Planned, status: &Status, seconds: f64) -> String {
    let what = match p.node.kind {
        Kind::Test => p.node.name.clone(),
        Kind::Seed => format!("seed {}", p.relation.as_deref().unwrap_or_default()),
        Kind::Snapshot => format!("snapshot {}", p.relation.as_deref().unwrap_or_default()),
        Kind::Model => {
            format!("{} model {}", cfg_str(&p.config, "materialized").unwrap_or("view"), p.relation.as_deref().unwrap_or_default())
        }
    };
    let verdict = match status {
        Status::Success => "OK".to_string(),
        Status::Pass => "PASS".to_string(),
        Status::Warn(k) => format!("WARN {k}"),
        Status::Fail(k) => format!("FAIL {k}"),
        Status::Error(_) => "ERROR".to_string(),
        Status::Skipped => "SKIP".to_string(),
    };
    let mut out = format!("{n:>3} of {total} {verdict:<7} {what} [{seconds:.2}s]");
    if let Status::Error(e) = status {
        out.push_str(&format!("\n        {e}"));
    }
    out
}

fn write_run_results(dir: &Path, results: &[NodeResult], elapsed: f64) -> Result<(), RunError> {
    std::fs::create_dir_all(dir).map_err(|e| RunError::Other(format!("{}: {e}", dir.display())))?;
    let rows: Vec<Json> = results
        .iter()
        .map(|r| {
            let (failures, message) = match &r.status {
                Status::Warn(k) | Status::Fail(k) => (Json::from(*k), Json::Null),
                Status::Pass => (Json::from(0), Json::Null),
                Status::Error(e) => (Json::Null, Json::from(e.as_str())),
                _ => (Json::Null, Json::Null),
            };
            serde_json::json!({
                "unique_id": r.unique_id,
                "status": r.status.dbt_name(),
                "execution_time": r.seconds,
                "failures": failures,
                "message": message,
                "relation_name": r.relation,
            })
        })
        .collect();
    let doc = serde_json::json!({ "metadata": { "generator": "medallion embedded runner" }, "results": rows, "elapsed_time": elapsed });
    let path = dir.join("run_results.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&doc).expect("plain json"))
        .map_err(|e| RunError::Other(format!("{}: {e}", path.display())))
}

fn exists(conn: &Connection, relation: &str) -> Result<bool, RunError> {
    let (schema, name) = relation.split_once('.').unwrap_or(("main", relation));
    let n: i64 = conn.query_row(
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = ? and database_name = current_database()",
        [schema, name],
        |r| r.get(0),
    )?;
    Ok(n > 0)
}

/// Column names and types of a relation (a table or temp table by name) or of a query.
fn describe(conn: &Connection, relation_or_query: &str) -> Result<Vec<(String, String)>, RunError> {
    let mut stmt = conn.prepare(&format!("describe\n{relation_or_query}"))?;
    let cols = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?.collect::<Result<_, _>>()?;
    Ok(cols)
}

fn ensure_schema(conn: &Connection, relation: &str) -> Result<(), RunError> {
    // One at a time: two connections creating the same schema at once is a DuckDB write-write
    // conflict, even with `if not exists`.
    static CREATING: Mutex<()> = Mutex::new(());
    if let Some((schema, _)) = relation.split_once('.') {
        let _one_at_a_time = CREATING.lock().unwrap_or_else(|e| e.into_inner());
        conn.execute_batch(&format!("create schema if not exists {schema}"))?;
    }
    Ok(())
}

fn run_node(
    project: &Project,
    macros: &Macros,
    relations: &BTreeMap<String, String>,
    conn: &Connection,
    p: &Planned,
    opts: &RunOptions,
) -> Result<Status, RunError> {
    let relation = p.relation.clone().unwrap_or_default();
    let ctx = |incremental: bool| Context { project, macros, relations, this: p.relation.clone(), is_incremental: incremental };
    match p.node.kind {
        Kind::Seed => {
            ensure_schema(conn, &relation)?;
            let path = project.root.join(&p.node.path);
            conn.execute_batch(&format!(
                "create or replace table {relation} as select * from read_csv('{}', header = true, auto_detect = true)",
                path.display().to_string().replace('\'', "''")
            ))?;
            // dbt types integer seed columns as INTEGER (DuckDB's reader says BIGINT).
            for (c, _) in describe(conn, &relation)?.into_iter().filter(|(_, t)| t == "BIGINT") {
                conn.execute_batch(&format!("alter table {relation} alter column \"{c}\" type integer"))?;
            }
            Ok(Status::Success)
        }
        Kind::Model => {
            ensure_schema(conn, &relation)?;
            let materialized = cfg_str(&p.config, "materialized").unwrap_or("view");
            match materialized {
                "view" => {
                    let sql = render(&ctx(false), &p.node.path, &p.node.sql)?.sql;
                    conn.execute_batch(&format!("create or replace view {relation} as\n{sql}"))?;
                }
                "table" => {
                    let sql = render(&ctx(false), &p.node.path, &p.node.sql)?.sql;
                    check_contract(conn, p, &sql)?;
                    conn.execute_batch(&format!("create or replace table {relation} as\n{sql}"))?;
                    check_not_null(conn, p, &relation)?;
                }
                "incremental" => incremental(conn, &relation, p, &ctx, opts.full_refresh)?,
                other => {
                    return Err(RunError::At {
                        file: p.node.path.clone(),
                        line: 1,
                        message: format!("materialized='{other}' is not supported by the embedded runner (view, table, incremental)"),
                    });
                }
            }
            Ok(Status::Success)
        }
        Kind::Snapshot => {
            ensure_schema(conn, &relation)?;
            snapshot(conn, &relation, p, &ctx(false))?;
            Ok(Status::Success)
        }
        Kind::Test => run_test(conn, project, macros, relations, p, opts.store_failures),
    }
}

/// An enforced contract: the query's columns and types must be exactly the declared ones (in
/// order), checked before anything is built, as dbt does.
fn check_contract(conn: &Connection, p: &Planned, sql: &str) -> Result<(), RunError> {
    let Some(contract) = &p.node.contract else { return Ok(()) };
    let actual = describe(conn, sql)?;
    let norm = |t: &str| t.to_ascii_uppercase().replace(' ', "");
    let mut mismatches: Vec<String> = Vec::new();
    for (i, (name, want)) in contract.columns.iter().enumerate() {
        match actual.get(i) {
            Some((n, t)) if n == name && norm(t) == norm(want) => {}
            Some((n, t)) => mismatches.push(format!("{name} {want} (query: {n} {t})")),
            None => mismatches.push(format!("{name} {want} (missing from the query)")),
        }
    }
    mismatches.extend(actual.iter().skip(contract.columns.len()).map(|(n, t)| format!("{n} {t} (not in the contract)")));
    if mismatches.is_empty() {
        return Ok(());
    }
    Err(RunError::At {
        file: p.node.path.clone(),
        line: 1,
        message: format!("the enforced contract does not hold: {}", mismatches.join("; ")),
    })
}

/// The contract's not-null constraints, on the built table.
fn check_not_null(conn: &Connection, p: &Planned, relation: &str) -> Result<(), RunError> {
    let Some(contract) = &p.node.contract else { return Ok(()) };
    for col in &contract.not_null {
        let nulls: i64 = conn.query_row(&format!("select count(*) from {relation} where \"{col}\" is null"), [], |r| r.get(0))?;
        if nulls > 0 {
            return Err(RunError::At {
                file: p.node.path.clone(),
                line: 1,
                message: format!("contract constraint not_null on {col}: {nulls} null row(s)"),
            });
        }
    }
    Ok(())
}

/// Incremental model, `delete+insert` on `unique_key` (or append without one);
/// `on_schema_change`: `append_new_columns` adds new columns, `ignore` (default) leaves them out,
/// `fail` errors.
fn incremental<'a>(
    conn: &Connection,
    relation: &str,
    p: &Planned,
    ctx: &dyn Fn(bool) -> Context<'a>,
    full_refresh: bool,
) -> Result<(), RunError> {
    if full_refresh || !exists(conn, relation)? {
        let sql = render(&ctx(false), &p.node.path, &p.node.sql)?.sql;
        check_contract(conn, p, &sql)?;
        conn.execute_batch(&format!("create or replace table {relation} as\n{sql}"))?;
        return check_not_null(conn, p, relation);
    }
    let strategy = cfg_str(&p.config, "incremental_strategy").unwrap_or("delete+insert");
    if !matches!(strategy, "delete+insert" | "append") {
        return Err(RunError::At {
            file: p.node.path.clone(),
            line: 1,
            message: format!("incremental_strategy='{strategy}' is not supported (delete+insert, append)"),
        });
    }
    let sql = render(&ctx(true), &p.node.path, &p.node.sql)?.sql;
    conn.execute_batch(&format!("create or replace temp table __dbt_incremental as\n{sql}"))?;
    let new_cols = describe(conn, "__dbt_incremental")?;
    let mut target_cols = describe(conn, relation)?;
    let missing: Vec<(String, String)> = new_cols.iter().filter(|(c, _)| !target_cols.iter().any(|(t, _)| t == c)).cloned().collect();
    match (cfg_str(&p.config, "on_schema_change").unwrap_or("ignore"), missing.is_empty()) {
        (_, true) | ("ignore", _) => {}
        ("append_new_columns", _) | ("sync_all_columns", _) => {
            for (c, t) in &missing {
                conn.execute_batch(&format!("alter table {relation} add column \"{c}\" {t}"))?;
            }
            target_cols.extend(missing);
        }
        (other, _) => {
            return Err(RunError::At {
                file: p.node.path.clone(),
                line: 1,
                message: format!("on_schema_change='{other}': the model has new columns"),
            });
        }
    }
    let keys = cfg_list(&p.config, "unique_key");
    let mut sql = String::from("begin transaction;\n");
    if strategy == "delete+insert" && !keys.is_empty() {
        let cond = keys.iter().map(|k| format!("t.\"{k}\" = s.\"{k}\"")).collect::<Vec<_>>().join(" and ");
        sql.push_str(&format!("delete from {relation} t where exists (select 1 from __dbt_incremental s where {cond});\n"));
    }
    let cols: Vec<String> =
        target_cols.iter().filter(|(c, _)| new_cols.iter().any(|(n, _)| n == c)).map(|(c, _)| format!("\"{c}\"")).collect();
    let list = cols.join(", ");
    sql.push_str(&format!("insert into {relation} ({list}) select {list} from __dbt_incremental;\ncommit;\ndrop table __dbt_incremental;"));
    conn.execute_batch(&sql)?;
    Ok(())
}

/// Snapshot, timestamp strategy: a new version when `updated_at` moves past the current one's;
/// dbt's columns `dbt_scd_id`, `dbt_updated_at`, `dbt_valid_from`, `dbt_valid_to`.
fn snapshot(conn: &Connection, relation: &str, p: &Planned, ctx: &Context<'_>) -> Result<(), RunError> {
    let strategy = cfg_str(&p.config, "strategy").unwrap_or("timestamp");
    let (Some(key), Some(updated_at)) = (cfg_str(&p.config, "unique_key"), cfg_str(&p.config, "updated_at")) else {
        return Err(RunError::At { file: p.node.path.clone(), line: 1, message: "a snapshot needs unique_key and updated_at".into() });
    };
    if strategy != "timestamp" {
        return Err(RunError::At {
            file: p.node.path.clone(),
            line: 1,
            message: format!("snapshot strategy '{strategy}' is not supported (timestamp)"),
        });
    }
    let sql = render(ctx, &p.node.path, &p.node.sql)?.sql;
    let scd_id = format!("md5(coalesce(cast(\"{key}\" as varchar), '') || '|' || coalesce(cast(\"{updated_at}\" as varchar), ''))");
    conn.execute_batch(&format!("create or replace temp table __dbt_snapshot_source as\n{sql}"))?;
    if !exists(conn, relation)? {
        conn.execute_batch(&format!(
            "create table {relation} as select *, {scd_id} as dbt_scd_id, \"{updated_at}\" as dbt_updated_at,
                 \"{updated_at}\" as dbt_valid_from, nullif(\"{updated_at}\", \"{updated_at}\") as dbt_valid_to
             from __dbt_snapshot_source;
             drop table __dbt_snapshot_source;"
        ))?;
        return Ok(());
    }
    conn.execute_batch(&format!(
        "begin transaction;
         create or replace temp table __dbt_snapshot_changes as
             select s.* from __dbt_snapshot_source s
             left join {relation} c on c.\"{key}\" = s.\"{key}\" and c.dbt_valid_to is null
             where c.\"{key}\" is null or s.\"{updated_at}\" > c.dbt_valid_from;
         update {relation} c set dbt_valid_to = s.\"{updated_at}\"
             from __dbt_snapshot_changes s
             where c.\"{key}\" = s.\"{key}\" and c.dbt_valid_to is null;
         insert into {relation} by name
             select *, {scd_id} as dbt_scd_id, \"{updated_at}\" as dbt_updated_at, \"{updated_at}\" as dbt_valid_from,
                 nullif(\"{updated_at}\", \"{updated_at}\") as dbt_valid_to
             from __dbt_snapshot_changes;
         commit;
         drop table __dbt_snapshot_changes;
         drop table __dbt_snapshot_source;"
    ))?;
    Ok(())
}

/// A test's SQL: built-in generic tests, project generic tests (macros `test_<name>`), or a
/// singular test file; `where` narrows the model first.
fn test_sql(
    project: &Project,
    macros: &Macros,
    relations: &BTreeMap<String, String>,
    p: &Planned,
    store_failures: bool,
) -> Result<(String, BTreeMap<String, Json>), RunError> {
    let ctx = Context { project, macros, relations, this: None, is_incremental: false };
    let Some(t) = &p.node.test else {
        let r = render(&ctx, &p.node.path, &p.node.sql)?;
        return Ok((r.sql, r.config));
    };
    let model = relations.get(&t.model).cloned().ok_or_else(|| RunError::Other(format!("{}: no model {}", p.node.path, t.model)))?;
    let model = match cfg_str(&p.config, "where") {
        Some(w) => format!("(select * from {model} where {w}) dbt_subquery"),
        None => model,
    };
    let arg = |name: &str| -> Result<Json, RunError> {
        t.args.get(name).cloned().ok_or_else(|| RunError::Other(format!("{}: test {} needs `{name}`", p.node.path, t.test)))
    };
    let resolve = |v: &Json| -> Json {
        match v.as_str().and_then(ref_name) {
            Some(r) => Json::from(relations.get(&r).cloned().unwrap_or(r)),
            None => v.clone(),
        }
    };
    let col = t.column.clone().unwrap_or_default();
    let builtin = match t.test.as_str() {
        // As dbt: the whole row when failures are stored, else the column.
        "not_null" => Some(format!(
            "select {} from {model} where \"{col}\" is null",
            if store_failures { "*".to_string() } else { format!("\"{col}\"") }
        )),
        "unique" => Some(format!(
            "select \"{col}\" as unique_field, count(*) as n_records from {model} where \"{col}\" is not null group by \"{col}\" having count(*) > 1"
        )),
        "accepted_values" => {
            let values = arg("values")?;
            let list: Vec<String> = values
                .as_array()
                .into_iter()
                .flatten()
                .map(|v| format!("'{}'", v.as_str().map_or(v.to_string(), str::to_string).replace('\'', "''")))
                .collect();
            Some(format!(
                "with all_values as (select \"{col}\" as value_field, count(*) as n_records from {model} group by \"{col}\")
                 select * from all_values where value_field not in ({})",
                list.join(", ")
            ))
        }
        "relationships" => {
            let to = resolve(&arg("to")?);
            let field = arg("field")?;
            Some(format!(
                "with child as (select \"{col}\" as from_field from {model} where \"{col}\" is not null),
                 parent as (select \"{}\" as to_field from {})
                 select from_field from child left join parent on child.from_field = parent.to_field where parent.to_field is null",
                field.as_str().unwrap_or_default(),
                to.as_str().unwrap_or_default()
            ))
        }
        _ => None,
    };
    if let Some(sql) = builtin {
        return Ok((sql, BTreeMap::new()));
    }
    // A project generic test: call its macro with the model, the column (as dbt, only for a
    // column's test) and the arguments.
    let mut vars: BTreeMap<String, Value> = BTreeMap::new();
    vars.insert("__model".into(), Value::from(model));
    let mut call_args = vec!["model=__model".to_string()];
    if t.column.is_some() {
        vars.insert("__column".into(), Value::from(col));
        call_args.push("column_name=__column".to_string());
    }
    for (k, v) in &t.args {
        vars.insert(format!("__arg_{k}"), Value::from_serialize(resolve(v)));
        call_args.push(format!("{k}=__arg_{k}"));
    }
    let call = format!("{{{{ test_{}({}) }}}}", t.test, call_args.join(", "));
    let r = render_with(&ctx, &p.node.path, &call, vars)?;
    Ok((r.sql, r.config))
}

fn run_test(
    conn: &Connection,
    project: &Project,
    macros: &Macros,
    relations: &BTreeMap<String, String>,
    p: &Planned,
    store_failures: bool,
) -> Result<Status, RunError> {
    let store = store_failures || p.config.get("store_failures").and_then(Json::as_bool).unwrap_or(false);
    let (mut sql, from_sql) = test_sql(project, macros, relations, p, store)?;
    let mut config = from_sql;
    config.extend(p.config.clone());
    if store {
        // dbt's test materialization: the failing rows become a table named after the test.
        let mut audit = BTreeMap::new();
        audit.insert("schema".to_string(), config.get("schema").cloned().unwrap_or_else(|| Json::from("dbt_test__audit")));
        let schema = schema_of(project, macros, &audit)?;
        let table = format!("{schema}.\"{}\"", test_alias(conn, &p.node)?);
        ensure_schema(conn, &table)?;
        conn.execute_batch(&format!("create or replace table {table} as\n{sql}"))?;
        sql = format!("select * from {table}");
    }
    let fail_calc = cfg_str(&config, "fail_calc").unwrap_or("count(*)");
    let failures: Option<i64> = conn.query_row(&format!("select {fail_calc} from (\n{sql}\n) dbt_internal_test"), [], |r| r.get(0))?;
    let failures = failures.unwrap_or(0).max(0) as u64;
    let holds = |cond: &str| -> bool { threshold(cond, failures) };
    let severity = cfg_str(&config, "severity").unwrap_or("error").to_ascii_lowercase();
    let error_if = cfg_str(&config, "error_if").unwrap_or("!=0");
    let warn_if = cfg_str(&config, "warn_if").unwrap_or("!=0");
    Ok(if severity == "error" && holds(error_if) {
        Status::Fail(failures)
    } else if holds(warn_if) {
        Status::Warn(failures)
    } else {
        Status::Pass
    })
}

/// The relation name dbt gives a test: its name, or for a generic test whose name reaches 64
/// characters, the first 30 characters of `<test>_<model>` and the md5 of the full name.
fn test_alias(conn: &Connection, node: &Node) -> Result<String, RunError> {
    let Some(t) = &node.test else { return Ok(node.name.clone()) };
    if node.name.len() < 64 {
        return Ok(node.name.clone());
    }
    let identifier: String = format!("{}_{}", t.test, t.model).chars().take(30).collect();
    let md5: String = conn.query_row("select md5(?)", [&node.name], |r| r.get(0))?;
    Ok(format!("{identifier}_{md5}"))
}

/// dbt's `warn_if` / `error_if`: a comparison like `!=0`, `>150`, `>=10`.
fn threshold(cond: &str, n: u64) -> bool {
    let c = cond.replace(' ', "");
    let (op, num) =
        ["!=", ">=", "<=", "==", ">", "<", "="].iter().find_map(|op| c.strip_prefix(op).map(|rest| (*op, rest))).unwrap_or(("!=", "0"));
    let Ok(v) = num.parse::<f64>() else { return n != 0 };
    let n = n as f64;
    match op {
        "!=" => n != v,
        ">=" => n >= v,
        "<=" => n <= v,
        "==" | "=" => n == v,
        ">" => n > v,
        _ => n < v,
    }
}
