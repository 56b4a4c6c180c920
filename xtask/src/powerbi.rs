//! `cargo xtask powerbi`: the committed Power BI project (`analytics/powerbi/`) is what
//! `medallion report powerbi` generates from Gold (a golden test), and it holds up: every JSON
//! file validates against its vendored Microsoft schema, DAX and M parse, every reference
//! resolves, relationships and the date table hold on the data (`powerbi/check_project.py`),
//! and Microsoft's own PBIR validator (npm `@microsoft/powerbi-report-authoring-cli`, offline
//! mode) finds no error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::{Result, run, target_dir, workspace_root};

/// The release of Microsoft's PBIR authoring CLI whose `validate --no-schema` runs offline
/// (0.4.0 does not install from the registry here).
const AUTHORING_CLI: &str = "@microsoft/powerbi-report-authoring-cli@0.1.4";

/// Microsoft's PBIR validator, installed once from the npm registry into the target dir.
fn ensure_authoring_cli() -> Result<PathBuf> {
    let dir = target_dir().join("powerbi-authoring-cli");
    let bin = dir.join("node_modules").join(".bin").join("powerbi-report-author");
    let marker = dir.join("node_modules/@microsoft/powerbi-report-authoring-cli/package.json");
    let version = AUTHORING_CLI.rsplit('@').next().unwrap_or_default();
    if !std::fs::read_to_string(&marker).is_ok_and(|t| t.contains(&format!("\"version\": \"{version}\""))) {
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        run(std::process::Command::new("npm")
            .args(["install", "--no-save", "--no-audit", "--no-fund", "--silent", AUTHORING_CLI])
            .current_dir(&dir))?;
    }
    Ok(bin)
}

/// Every file under `dir` (relative path → bytes).
fn files(dir: &Path) -> Result<BTreeMap<PathBuf, Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(folder) = todo.pop() {
        for entry in std::fs::read_dir(&folder).map_err(|e| format!("{}: {e}", folder.display()))? {
            let path = entry.map_err(|e| format!("{}: {e}", folder.display()))?.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                out.insert(path.strip_prefix(dir).expect("under dir").to_path_buf(), bytes);
            }
        }
    }
    Ok(out)
}

/// Checks the committed project against `warehouse` (its Gold) with the binary `medallion`;
/// `work` is a scratch folder.
pub fn check(medallion: &Path, warehouse: &Path, work: &Path) -> Result<()> {
    let root = workspace_root();
    let committed = root.join("analytics").join("powerbi");
    let generated = work.join("generated");
    let _ = std::fs::remove_dir_all(work);
    let command = |args: &[&str]| -> Result<std::process::Command> {
        let mut cmd = crate::command_with_env(medallion.to_path_buf())?;
        cmd.args(args);
        Ok(cmd)
    };
    run(command(&["report", "powerbi", "--warehouse"])?
        .arg(warehouse)
        .arg("--report")
        .arg(root.join("analytics/report.yml"))
        .arg("--out")
        .arg(&generated))?;
    let (want, have) = (files(&generated)?, files(&committed)?);
    let differing: Vec<String> = want
        .keys()
        .chain(have.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter(|p| want.get(*p) != have.get(*p))
        .map(|p| p.display().to_string())
        .collect();
    if !differing.is_empty() {
        return Err(format!(
            "analytics/powerbi/ is not what `medallion report powerbi` generates ({} file(s) differ or are missing: {}{}).\n\
             If the change is intended: medallion report powerbi --warehouse {} (then review and commit the diff)",
            differing.len(),
            differing.iter().take(5).cloned().collect::<Vec<_>>().join(", "),
            if differing.len() > 5 { ", …" } else { "" },
            warehouse.display()
        ));
    }
    eprintln!("xtask: analytics/powerbi/ equals the generated project ({} files)", want.len());
    let lake = work.join("lake");
    run(command(&["export", "--warehouse"])?.arg(warehouse).arg("--lake").arg(&lake).stdout(std::process::Stdio::null()))?;
    // Microsoft's validator: PBIR conformance (bindings, sizes, visual types) without fetching
    // schemas (the vendored ones are checked above).
    let pbip = have.keys().find(|p| p.extension().is_some_and(|e| e == "pbip")).ok_or("analytics/powerbi/ holds no .pbip file")?;
    run(std::process::Command::new(ensure_authoring_cli()?)
        .args(["validate", "--no-schema", "--format", "text"])
        .arg(committed.join(pbip)))?;
    run(std::process::Command::new(crate::dbt::python()?)
        .arg(root.join("xtask/powerbi/check_project.py"))
        .arg(&committed)
        .arg(root.join("vendor/microsoft-json-schemas"))
        .arg("--warehouse")
        .arg(warehouse)
        .arg("--lake")
        .arg(lake.join("gold")))
}
