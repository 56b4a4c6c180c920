//! The DAG of a planned project, computed once per run: each node's parents count and children
//! (references, plus dbt build's rule that a model's tests run before what is built on it), its
//! scheduling priority, and the build order.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

use super::plan::{Planned, cfg_str};
use crate::project::Kind;
use crate::{Result, TransformError};

/// The scheduling priority among ready nodes (smallest first): the longest chain of work still
/// behind a node, so a long chain (orders → their tests → dim_customer → fct_sales) starts before
/// work nothing waits for; then kind and name, so a one-thread run is reproducible.
pub(crate) type Priority = (Reverse<u64>, Kind, String);

/// The project's DAG.
pub(crate) struct Dag {
    /// Each node's number of parents.
    pub parents: Vec<usize>,
    /// Each node's children.
    pub children: Vec<Vec<usize>>,
    /// Each node's [`Priority`].
    pub priority: Vec<Priority>,
}

impl Dag {
    /// Builds the DAG of `planned`; a reference to an unknown node or a cycle is an error.
    pub fn new(planned: &[Planned]) -> Result<Dag> {
        let (parents, children) = edges(planned)?;
        let priority = priorities(planned, &children);
        // A project whose references form a cycle cannot be built at all.
        topological_order(&parents, &children, &priority)?;
        Ok(Dag { parents, children, priority })
    }
}

/// Every node's number of parents and its children: references, plus dbt build's rule that a
/// model's generic tests run before what is built on the model.
fn edges(planned: &[Planned]) -> Result<(Vec<usize>, Vec<Vec<usize>>)> {
    let index: BTreeMap<&str, usize> = planned
        .iter()
        .enumerate()
        .filter(|(_, p)| !matches!(p.node.kind, Kind::Test | Kind::UnitTest))
        .map(|(i, p)| (p.node.name.as_str(), i))
        .collect();
    let mut parents = vec![0usize; planned.len()];
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); planned.len()];
    for (i, p) in planned.iter().enumerate() {
        for d in p.deps.iter().filter(|d| !d.starts_with("source:")) {
            let Some(&j) = index.get(d.as_str()) else {
                return Err(TransformError::UnknownRef { file: p.node.path.clone(), name: d.clone() });
            };
            parents[i] += 1;
            children[j].push(i);
        }
    }
    // dbt build: a model's unit tests run before the model.
    for (u, p) in planned.iter().enumerate() {
        if let Some(&model) = p.node.unit.as_ref().and_then(|t| index.get(t.model.as_str())) {
            parents[model] += 1;
            children[u].push(model);
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
                parents[c] += 1;
                children[t].push(c);
            }
        }
    }
    Ok((parents, children))
}

/// Each node's [`Priority`]. A node's own weight is a guess at its cost: a table, incremental
/// model, snapshot or seed counts 10, a view or a test 1.
fn priorities(planned: &[Planned], children: &[Vec<usize>]) -> Vec<Priority> {
    fn chain(i: usize, planned: &[Planned], children: &[Vec<usize>], memo: &mut [Option<u64>]) -> u64 {
        if let Some(v) = memo[i] {
            return v;
        }
        memo[i] = Some(0); // a cycle (reported by `topological_order`) ends here
        let p = &planned[i];
        let light = matches!(p.node.kind, Kind::Test | Kind::UnitTest | Kind::Exposure)
            || (p.node.kind == Kind::Model && cfg_str(&p.config, "materialized").unwrap_or("view") == "view");
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

/// Kahn's algorithm, ready nodes taken by priority: the order of a one-thread run. Tests come
/// right after the last node they depend on (dbt build order).
fn topological_order(parents: &[usize], children: &[Vec<usize>], priority: &[Priority]) -> Result<Vec<usize>> {
    let mut waiting = parents.to_vec();
    let mut ready: BTreeSet<(&Priority, usize)> = (0..parents.len()).filter(|i| waiting[*i] == 0).map(|i| (&priority[i], i)).collect();
    let mut out = Vec::with_capacity(parents.len());
    while let Some((_, i)) = ready.pop_first() {
        out.push(i);
        for &c in &children[i] {
            waiting[c] -= 1;
            if waiting[c] == 0 {
                ready.insert((&priority[c], c));
            }
        }
    }
    if out.len() != parents.len() {
        return Err(TransformError::Cycle);
    }
    Ok(out)
}
