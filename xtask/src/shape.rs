//! The shape of the workspace, checked: arrows between crates that must never exist, module
//! cycles inside a crate, the generator's row-only build without the heavy writers, and
//! dependencies no code uses.

use std::collections::BTreeSet;
use std::process::Command;

use crate::{Result, workspace_root};

/// (crate, what it must never depend on, why).
const FORBIDDEN: &[(&str, &[&str], &str)] = &[
    (
        "medallion-schema",
        &["medallion-delta", "medallion-gen", "medallion-bronze", "medallion-silver-gold", "medallion-quality"],
        "the catalogue knows no stage",
    ),
    (
        "medallion-delta",
        &["medallion-gen", "medallion-bronze", "medallion-silver-gold", "medallion-quality"],
        "Delta file writing knows no layer",
    ),
    ("medallion-silver-gold", &["medallion-gen", "medallion-bronze", "medallion-quality"], "layers meet through files and the warehouse"),
    (
        "medallion-quality",
        &["medallion-gen", "medallion-bronze", "medallion-silver-gold", "medallion-delta"],
        "checks read the warehouse, never a layer's code",
    ),
    ("medallion-bronze", &["medallion-gen", "medallion-silver-gold", "medallion-quality"], "Bronze reads raw files, not the generator"),
    ("medallion-gen", &["medallion-bronze", "medallion-silver-gold", "medallion-quality"], "the generator knows no downstream layer"),
    (
        "medallion-analytics",
        &["medallion-gen", "medallion-bronze", "medallion-silver-gold", "medallion-quality", "medallion-delta", "medallion-schema"],
        "the report reads Gold in the warehouse, never a layer's code",
    ),
    (
        "medallion-dashboard",
        &["medallion-gen", "medallion-bronze", "medallion-silver-gold", "medallion-quality", "medallion-delta", "medallion-schema"],
        "the dashboard draws the report's measures, nothing else",
    ),
    (
        "medallion-powerbi",
        &[
            "medallion-gen",
            "medallion-bronze",
            "medallion-silver-gold",
            "medallion-quality",
            "medallion-delta",
            "medallion-schema",
            "medallion-dashboard",
        ],
        "the Power BI project renders the report's definition on Gold's columns, nothing else",
    ),
];

/// The product's crates (xtask apart), by folder.
const LIBRARY_AND_CLI_CRATES: &[&str] = &[
    "crates/schema",
    "crates/delta",
    "crates/gen",
    "crates/bronze",
    "crates/silver_gold",
    "crates/quality",
    "crates/analytics",
    "crates/dashboard",
    "crates/powerbi",
    "crates/cli",
];

/// Dependencies that need not be named in code, and why.
const NOT_NAMED_IN_CODE: &[(&str, &str)] =
    &[("buoyant_kernel_derive", "a version pin that keeps deltalake's kernel building (DEPENDENCIES.md)")];

/// The normal (non-dev) dependency closure of `package`, with `args` (e.g. feature flags).
fn closure(package: &str, args: &[&str]) -> Result<BTreeSet<String>> {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(workspace_root())
        .args(["tree", "--quiet", "--offline", "-e", "normal", "--prefix", "none", "--format", "{p}", "-p", package])
        .args(args)
        .output()
        .map_err(|e| format!("cannot run cargo tree: {e}"))?;
    if !out.status.success() {
        return Err(format!("cargo tree -p {package} failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.split_whitespace().next()).map(str::to_string).collect())
}

pub fn check() -> Result<()> {
    let mut problems = Vec::new();
    for (package, never, why) in FORBIDDEN {
        let deps = closure(package, &[])?;
        for n in never.iter().filter(|n| deps.contains(**n)) {
            problems.push(format!("{package} depends on {n} ({why})"));
        }
    }
    let rows_only = closure("medallion-gen", &["--no-default-features"])?;
    for heavy in ["deltalake", "datafusion", "parquet", "rust_xlsxwriter", "medallion-delta"] {
        if rows_only.contains(heavy) {
            problems.push(format!("medallion-gen --no-default-features pulls in {heavy}"));
        }
    }
    problems.extend(unused_dependencies()?);
    problems.extend(module_cycles()?);
    if problems.is_empty() { Ok(()) } else { Err(format!("the workspace's shape is off:\n  {}", problems.join("\n  "))) }
}

/// Each crate's `[dependencies]` that its sources never name (the check cargo-machete makes).
fn unused_dependencies() -> Result<Vec<String>> {
    let root = workspace_root();
    let mut problems = Vec::new();
    for dir in LIBRARY_AND_CLI_CRATES {
        let manifest = std::fs::read_to_string(root.join(dir).join("Cargo.toml")).map_err(|e| format!("{dir}/Cargo.toml: {e}"))?;
        let mut files = Vec::new();
        list_rs(&root.join(dir).join("src"), &mut files);
        files.push(root.join(dir).join("build.rs"));
        let code: String = files.iter().map(|f| std::fs::read_to_string(f).unwrap_or_default()).collect();
        let mut in_deps = false;
        for line in manifest.lines() {
            let line = line.trim();
            if line.starts_with('[') {
                in_deps = line == "[dependencies]";
                continue;
            }
            let Some(name) = line.split(['=', '.', ' ']).next().filter(|n| in_deps && !n.is_empty() && !n.starts_with('#')) else {
                continue;
            };
            let ident = name.replace('-', "_");
            if NOT_NAMED_IN_CODE.iter().any(|(d, _)| *d == name) {
                continue;
            }
            if !code.contains(&format!("{ident}::")) && !code.contains(&format!("use {ident}")) && !code.contains(&format!("{ident}!")) {
                problems.push(format!("{dir}: dependency `{name}` is never used"));
            }
        }
    }
    Ok(problems)
}

/// Cycles between the modules of each crate: module A naming module B (`crate::b`, `super::b`)
/// while B names A, directly or through others. A module naming its ancestors (the crate root's
/// error type, a parent's options) is not counted: parents are facades.
pub fn module_cycles() -> Result<Vec<String>> {
    let root = workspace_root();
    let mut problems = Vec::new();
    for krate in LIBRARY_AND_CLI_CRATES.iter().chain(&["xtask"]) {
        let src = root.join(krate).join("src");
        let mut files = Vec::new();
        list_rs(&src, &mut files);
        // Module path of each file: src/a/b.rs → a::b, src/a/mod.rs → a, src/lib.rs → "".
        let modules: Vec<(String, String)> = files
            .iter()
            .map(|f| {
                let rel = f.strip_prefix(&src).unwrap_or(f).with_extension("");
                let mut parts: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().to_string()).collect();
                if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                    parts.pop();
                }
                (parts.join("::"), std::fs::read_to_string(f).unwrap_or_default())
            })
            .collect();
        let known: BTreeSet<&str> = modules.iter().map(|(m, _)| m.as_str()).collect();
        let mut edges: std::collections::BTreeMap<&str, BTreeSet<String>> = Default::default();
        for (module, text) in &modules {
            let code: String = text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
            for target in referenced_modules(module, &code) {
                let target = longest_known(&target, &known);
                let is_ancestor = |a: &str| a.is_empty() || module == a || module.starts_with(&format!("{a}::"));
                if let Some(t) = target.filter(|t| !is_ancestor(t) && t != module) {
                    edges.entry(module.as_str()).or_default().insert(t);
                }
            }
        }
        for (a, targets) in &edges {
            for b in targets {
                if reaches(&edges, b, a, &mut BTreeSet::new()) {
                    problems.push(format!("{krate}: module cycle {a} → {b} → … → {a}"));
                }
            }
        }
    }
    Ok(problems)
}

fn list_rs(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            list_rs(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// Module paths named after `crate::` or `super::` in `code` (grouped imports expanded).
fn referenced_modules(module: &str, code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let parent = module.rsplit_once("::").map_or("", |(p, _)| p);
    for (prefix, base) in [("crate::", String::new()), ("super::", parent.to_string())] {
        let mut rest = code;
        while let Some(i) = rest.find(prefix) {
            let before = rest[..i].chars().last();
            rest = &rest[i + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            for path in expand(rest) {
                let full = if base.is_empty() { path } else { format!("{base}::{path}") };
                out.push(full);
            }
        }
    }
    out
}

/// The paths at the start of `s`: `a::b::c` or `{a::b, c}` (one level of braces).
fn expand(s: &str) -> Vec<String> {
    let ident = |s: &str| s.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect::<String>();
    if let Some(inner) = s.strip_prefix('{') {
        let end = inner.find('}').unwrap_or(inner.len());
        inner[..end].split(',').map(|p| ident(p.trim())).filter(|p| !p.is_empty()).collect()
    } else {
        let p = ident(s);
        if p.is_empty() { Vec::new() } else { vec![p] }
    }
}

/// The longest prefix of `path` (a `::` path) that is a module of the crate.
fn longest_known(path: &str, known: &BTreeSet<&str>) -> Option<String> {
    let parts: Vec<&str> = path.trim_end_matches(':').split("::").collect();
    (1..=parts.len()).rev().map(|n| parts[..n].join("::")).find(|p| known.contains(p.as_str()))
}

fn reaches(edges: &std::collections::BTreeMap<&str, BTreeSet<String>>, from: &str, to: &str, seen: &mut BTreeSet<String>) -> bool {
    if from == to || to.starts_with(&format!("{from}::")) {
        return true;
    }
    if !seen.insert(from.to_string()) {
        return false;
    }
    // A module is its file and its children: naming `runner` reaches what `runner::plan` names.
    let inside = |m: &str| m == from || m.starts_with(&format!("{from}::"));
    edges.iter().filter(|(m, _)| inside(m)).any(|(_, ts)| ts.iter().any(|t| reaches(edges, t, to, seen)))
}
