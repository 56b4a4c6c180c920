//! Scheduling: runs the picked nodes of the DAG on the profile's threads, one DuckDB connection
//! per worker, like dbt's thread pool. A ready node starts by priority; a node whose parent
//! failed (or whose model's tests failed) is skipped, and so is everything built on it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Condvar, Mutex};
use std::time::Instant;

use duckdb::Connection;

use super::RunOptions;
use super::dag::{Dag, Priority};
use super::data_test::run_test;
use super::materialize::run_node;
use super::plan::{Planned, plan, selected};
use super::results::{NodeResult, Status, line, write_run_results};
use super::unit_test::run_unit_test;
use crate::project::{Kind, Project};
use crate::render::Macros;
use crate::{Result, TransformError, one_line};

/// Shared state of a run: what may run next, what broke, what finished.
struct Schedule<'a> {
    /// Parents of each node not yet finished.
    waiting_on: Vec<usize>,
    ready: BTreeSet<(&'a Priority, usize)>,
    remaining: usize,
    /// Nodes that failed or were skipped: their children are skipped.
    broken: BTreeSet<String>,
    /// Models with a failing test: what is built on them is skipped (tests still run).
    failing_tests_on: BTreeSet<String>,
    /// Models with a failing unit test: they are skipped (and so what is built on them).
    failing_unit_tests_of: BTreeSet<String>,
    results: Vec<NodeResult>,
}

/// Everything a worker reads.
struct Run<'a> {
    project: &'a Project,
    macros: &'a Macros,
    planned: &'a [Planned],
    dag: &'a Dag,
    picked: &'a BTreeSet<usize>,
    relations: &'a BTreeMap<String, String>,
    opts: &'a RunOptions,
    total: usize,
}

/// Runs the project like `dbt build` (optionally a selection); returns every node's result.
pub fn build(project: &Project, opts: &RunOptions) -> Result<Vec<NodeResult>> {
    let started = Instant::now();
    let macros = Macros::new(project);
    let planned = plan(project, &macros)?;
    let dag = Dag::new(&planned)?;
    let picked = selected(&planned, &opts.select);
    let relations: BTreeMap<String, String> = planned.iter().filter_map(|p| p.relation.clone().map(|r| (p.node.name.clone(), r))).collect();
    let conn = Connection::open(&opts.warehouse).map_err(|source| TransformError::Warehouse { path: opts.warehouse.clone(), source })?;
    // DuckDB's pool (shared by the connections): one thread more than the cores, as Bronze
    // does, because writing tables blocks on I/O (scale 1: 17.5 → 15.7 s on 2 cores). A
    // `threads` in the profile's settings wins.
    if !project.settings.iter().any(|(k, _)| k.eq_ignore_ascii_case("threads")) {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        conn.execute_batch(&format!("set threads = {}", cores + 1))?;
    }
    // Only edges between picked nodes count: an unpicked parent is taken as already built.
    let mut waiting_on = vec![0usize; planned.len()];
    for &i in &picked {
        for &c in dag.children[i].iter().filter(|c| picked.contains(c)) {
            waiting_on[c] += 1;
        }
    }
    debug_assert!(dag.parents.iter().zip(&waiting_on).all(|(all, picked)| picked <= all));
    let ready = picked.iter().filter(|i| waiting_on[**i] == 0).map(|&i| (&dag.priority[i], i)).collect();
    let state = Mutex::new(Schedule {
        waiting_on,
        ready,
        remaining: picked.len(),
        broken: BTreeSet::new(),
        failing_tests_on: BTreeSet::new(),
        failing_unit_tests_of: BTreeSet::new(),
        results: Vec::new(),
    });
    let run =
        Run { project, macros: &macros, planned: &planned, dag: &dag, picked: &picked, relations: &relations, opts, total: picked.len() };
    let wake = Condvar::new();
    std::thread::scope(|scope| -> Result<()> {
        for _ in 0..project.threads.max(1) {
            // Each worker has its own connection: temp tables are per connection.
            let conn = conn.try_clone()?;
            for (k, v) in &project.settings {
                conn.execute_batch(&format!("set {k} = '{}'", v.replace('\'', "''")))?;
            }
            // Tables are unordered; letting DuckDB write them in parallel is faster.
            conn.execute_batch("set preserve_insertion_order = false")?;
            let (state, wake, run) = (&state, &wake, &run);
            scope.spawn(move || worker(run, &conn, state, wake));
        }
        Ok(())
    })?;
    let results = state.into_inner().unwrap_or_else(|e| e.into_inner()).results;
    write_run_results(&opts.target_dir, &results, started.elapsed().as_secs_f64())?;
    Ok(results)
}

/// Takes ready nodes until none remain: runs (or skips) each, records its result and releases
/// its children.
fn worker<'a>(run: &'a Run<'a>, conn: &Connection, state: &Mutex<Schedule<'a>>, wake: &Condvar) {
    loop {
        let (i, blocked) = {
            let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                if s.remaining == 0 {
                    return;
                }
                if let Some((_, i)) = s.ready.pop_first() {
                    let p = &run.planned[i];
                    let is_test = matches!(p.node.kind, Kind::Test | Kind::UnitTest);
                    let blocked = s.failing_unit_tests_of.contains(&p.node.name) && p.node.kind == Kind::Model
                        || p.deps.iter().any(|d| s.broken.contains(d) || (!is_test && s.failing_tests_on.contains(d)));
                    break (i, blocked);
                }
                s = wake.wait(s).unwrap_or_else(|e| e.into_inner());
            }
        };
        let p = &run.planned[i];
        let t = Instant::now();
        let status = if blocked {
            Status::Skipped
        } else {
            let ran = match p.node.kind {
                Kind::Test => run_test(conn, run.project, run.macros, run.relations, p, run.opts.store_failures),
                Kind::UnitTest => run_unit_test(conn, run.project, run.macros, run.relations, run.planned, p),
                Kind::Exposure => Ok(Status::NoOp),
                _ => run_node(run.project, run.macros, run.relations, conn, p, run.opts),
            };
            match ran {
                Ok(s) => s,
                // Project errors name their file and line already; SQL errors get the file.
                Err(e @ TransformError::At { .. }) => Status::Error(one_line(&e)),
                Err(e) => Status::Error(format!("{}: {}", p.node.path, one_line(&e))),
            }
        };
        let seconds = t.elapsed().as_secs_f64();
        let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
        if status.is_failure() || status == Status::Skipped {
            match (&p.node.test, p.node.kind) {
                (Some(t), _) => {
                    s.failing_tests_on.insert(t.model.clone());
                }
                (None, Kind::UnitTest) => {
                    let model = p.node.unit.as_ref().map(|u| u.model.clone()).unwrap_or_default();
                    s.failing_unit_tests_of.insert(model);
                }
                (None, Kind::Test) => {}
                (None, _) => {
                    s.broken.insert(p.node.name.clone());
                }
            }
        }
        if run.opts.verbose {
            println!("{}", line(s.results.len() + 1, run.total, p, &status, seconds));
        }
        s.results.push(NodeResult {
            unique_id: p.node.unique_id(&run.project.name),
            kind: p.node.kind,
            name: p.node.name.clone(),
            relation: p.relation.clone(),
            status,
            seconds,
        });
        s.remaining -= 1;
        for &c in run.dag.children[i].iter().filter(|c| run.picked.contains(c)) {
            s.waiting_on[c] -= 1;
            if s.waiting_on[c] == 0 {
                s.ready.insert((&run.dag.priority[c], c));
            }
        }
        wake.notify_all();
    }
}
