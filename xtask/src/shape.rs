//! The shape of the workspace, checked: arrows between crates that must never exist, the
//! generator's row-only build without the heavy writers, and dependencies no code uses.

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
    if problems.is_empty() { Ok(()) } else { Err(format!("the workspace's shape is off:\n  {}", problems.join("\n  "))) }
}

/// Each crate's `[dependencies]` that its sources never name (the check cargo-machete makes).
fn unused_dependencies() -> Result<Vec<String>> {
    let root = workspace_root();
    let mut problems = Vec::new();
    for dir in ["crates/schema", "crates/delta", "crates/gen", "crates/bronze", "crates/silver_gold", "crates/quality", "crates/cli"] {
        let manifest = std::fs::read_to_string(root.join(dir).join("Cargo.toml")).map_err(|e| format!("{dir}/Cargo.toml: {e}"))?;
        let mut code = String::new();
        for sub in ["src", "build.rs"] {
            collect_rust(&root.join(dir).join(sub), &mut code);
        }
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

fn collect_rust(path: &std::path::Path, out: &mut String) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
            collect_rust(&entry.path(), out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push_str(&std::fs::read_to_string(path).unwrap_or_default());
    }
}
