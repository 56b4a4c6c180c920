//! Planning: every node of the project with its relation, dependencies and configuration,
//! found by rendering it once with placeholder refs; and which nodes a selection picks.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use crate::Result;
use crate::project::{Kind, Node, Project};
use crate::render::{Context, Macros, Rendered, render};

/// A node ready to run: its relation and dependencies (found by rendering it once).
pub(crate) struct Planned {
    pub node: Node,
    pub relation: Option<String>,
    pub deps: Vec<String>,
    pub config: BTreeMap<String, Json>,
}

pub(crate) fn cfg_str<'a>(cfg: &'a BTreeMap<String, Json>, key: &str) -> Option<&'a str> {
    cfg.get(key).and_then(Json::as_str)
}

pub(crate) fn cfg_list(cfg: &BTreeMap<String, Json>, key: &str) -> Vec<String> {
    match cfg.get(key) {
        Some(Json::String(s)) => vec![s.clone()],
        Some(Json::Array(a)) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

/// The schema a node lands in: the project's `generate_schema_name` macro (if any) applied to
/// its `schema` config, else dbt's default (`main`, or `main_<schema>`).
pub(crate) fn schema_of(project: &Project, macros: &Macros, config: &BTreeMap<String, Json>) -> Result<String> {
    let custom = cfg_str(config, "schema");
    let has_macro = project.macros.iter().any(|(_, t)| t.contains("macro generate_schema_name"));
    if !has_macro {
        return Ok(custom.map_or("main".to_string(), |s| format!("main_{s}")));
    }
    let relations = BTreeMap::new();
    let ctx = Context { project, macros, relations: &relations, this: None, is_incremental: false, overrides: None };
    let arg = custom.map_or("none".to_string(), |s| format!("'{s}'"));
    let out = render(&ctx, "generate_schema_name", &format!("{{{{ generate_schema_name({arg}, none) }}}}"))?;
    Ok(out.sql.trim().to_string())
}

/// Plans every node: relations, then dependencies and file configs by rendering once.
pub(crate) fn plan(project: &Project, macros: &Macros) -> Result<Vec<Planned>> {
    let mut relations = BTreeMap::new();
    let mut planned = Vec::new();
    // First pass: the config a file sets (schema) decides its relation, so render for config.
    for node in &project.nodes {
        let mut config = node.config.clone();
        let mut deps = Vec::new();
        if matches!(node.kind, Kind::Model | Kind::Snapshot) || (node.kind == Kind::Test && node.test.is_none()) {
            let ctx = Context { project, macros, relations: &BTreeMap::new(), this: None, is_incremental: false, overrides: None };
            // Refs are not resolvable yet: collect names with a permissive pass.
            let probe = render_probe(&ctx, node)?;
            config.extend(probe.config);
            deps.extend(probe.refs);
            deps.extend(probe.sources.iter().map(|(s, t)| format!("source:{s}.{t}")));
        }
        // A unit test reads what its model reads (for the column types of its inputs).
        if let Some(u) = &node.unit {
            let model = planned.iter().find(|p: &&Planned| p.node.kind == Kind::Model && p.node.name == u.model);
            deps.extend(model.map(|m| m.deps.clone()).unwrap_or_default());
        }
        deps.extend(node.depends_on.iter().cloned());
        if let Some(t) = &node.test {
            deps.push(t.model.clone());
            for v in t.args.values() {
                if let Some(r) = v.as_str().and_then(ref_name) {
                    deps.push(r);
                }
            }
        }
        let relation = match node.kind {
            Kind::Test | Kind::UnitTest | Kind::Exposure => None,
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
pub(crate) fn ref_name(s: &str) -> Option<String> {
    let inner = s.trim().strip_prefix("ref(")?.strip_suffix(')')?.trim();
    Some(inner.trim_matches(|c| c == '\'' || c == '"').to_string())
}

/// Renders with every ref resolving to a placeholder, to learn refs and config.
fn render_probe(ctx: &Context<'_>, node: &Node) -> Result<Rendered> {
    let names: BTreeMap<String, String> = ctx.project.nodes.iter().map(|n| (n.name.clone(), format!("__ref__.{}", n.name))).collect();
    let probe = Context {
        project: ctx.project,
        macros: ctx.macros,
        relations: &names,
        this: Some("__this__".into()),
        is_incremental: false,
        overrides: None,
    };
    Ok(render(&probe, &node.path, &node.sql)?)
}

/// Which nodes `select` picks (all when empty). Tests follow the models they test.
pub(crate) fn selected(planned: &[Planned], select: &[String]) -> BTreeSet<usize> {
    if select.is_empty() {
        return (0..planned.len()).collect();
    }
    let by_name = |n: &str| planned.iter().position(|p| p.node.name == n && !matches!(p.node.kind, Kind::Test | Kind::UnitTest));
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
                if !matches!(p.node.kind, Kind::Test | Kind::UnitTest) && p.deps.contains(&name) && acc.insert(j) {
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
    // The tests of picked nodes (all their parents picked); the unit tests of picked models.
    for (i, p) in planned.iter().enumerate() {
        if let Some(u) = &p.node.unit {
            if by_name(&u.model).is_some_and(|m| picked.contains(&m)) {
                picked.insert(i);
            }
            continue;
        }
        if p.node.kind == Kind::Test {
            let parents: Vec<usize> = p.deps.iter().filter_map(|d| by_name(d)).collect();
            if !parents.is_empty() && parents.iter().all(|j| picked.contains(j)) {
                picked.insert(i);
            }
        }
    }
    picked
}
