//! The dbt side: a git-ignored venv built from `dbt/requirements.txt` (recreated when that file
//! changes), and dbt commands pointed at a warehouse file.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Result, run, workspace_root};

/// The venv folder: `.venv/` in the checkout, or `MEDALLION_VENV` (CI keeps one outside the clone).
fn venv_dir() -> PathBuf {
    std::env::var_os("MEDALLION_VENV").map(PathBuf::from).unwrap_or_else(|| workspace_root().join(".venv"))
}

pub fn venv_bin(venv: &Path, program: &str) -> PathBuf {
    if cfg!(windows) { venv.join("Scripts").join(format!("{program}.exe")) } else { venv.join("bin").join(program) }
}

/// Makes sure the venv has exactly the pinned requirements; returns its folder.
pub fn ensure_venv() -> Result<PathBuf> {
    let venv = venv_dir();
    let requirements = workspace_root().join("dbt").join("requirements.txt");
    let wanted = std::fs::read_to_string(&requirements).map_err(|e| format!("{}: {e}", requirements.display()))?;
    // The marker holds the requirements the venv was built from.
    let marker = venv.join("medallion-requirements.txt");
    if std::fs::read_to_string(&marker).is_ok_and(|have| have == wanted) && venv_bin(&venv, "dbt").exists() {
        return Ok(venv);
    }
    eprintln!("xtask: building the dbt venv in {} (once; dbt-core, dbt-duckdb, duckdb)", venv.display());
    let _ = std::fs::remove_dir_all(&venv);
    let python = if cfg!(windows) { "python" } else { "python3" };
    run(Command::new(python).args(["-m", "venv"]).arg(&venv))
        .map_err(|e| format!("{e}\nxtask: the dbt steps need Python 3 (with the venv module) on PATH"))?;
    run(Command::new(venv_bin(&venv, "python"))
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"])
        .arg(&requirements))?;
    std::fs::write(&marker, wanted).map_err(|e| format!("{}: {e}", marker.display()))?;
    Ok(venv)
}

/// The venv with the Spark side added (`dbt/requirements-spark.txt`: pyspark, dbt-spark), for
/// `cargo xtask spark`; returns its folder.
pub fn ensure_spark_venv() -> Result<PathBuf> {
    let venv = ensure_venv()?;
    let requirements = workspace_root().join("dbt").join("requirements-spark.txt");
    let wanted = std::fs::read_to_string(&requirements).map_err(|e| format!("{}: {e}", requirements.display()))?;
    let marker = venv.join("medallion-spark-requirements.txt");
    if std::fs::read_to_string(&marker).is_ok_and(|have| have == wanted) {
        return Ok(venv);
    }
    eprintln!("xtask: adding pyspark and dbt-spark to the venv in {} (once)", venv.display());
    // With the dbt pins of requirements.txt, so dbt-spark cannot move dbt-core.
    run(Command::new(venv_bin(&venv, "python"))
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"])
        .arg(&requirements)
        .arg("-r")
        .arg(workspace_root().join("dbt").join("requirements.txt")))?;
    std::fs::write(&marker, wanted).map_err(|e| format!("{}: {e}", marker.display()))?;
    Ok(venv)
}

/// `dbt <args>` on the project in dbt/, against `warehouse`; `target` holds dbt's target/ and
/// logs/. dbt is launched by `medallion dbt` (binary `medallion`), the one place that knows how.
pub fn dbt(medallion: &Path, warehouse: &Path, target: &Path, args: &[&str]) -> Result<()> {
    run(&mut dbt_command(medallion, warehouse, target, &project_dir(), args)?)
}

/// Like [`dbt`], returning dbt's output (also on failure, in the error).
pub fn dbt_output(medallion: &Path, warehouse: &Path, target: &Path, args: &[&str]) -> Result<String> {
    dbt_output_with_profiles(medallion, warehouse, target, &project_dir(), args)
}

/// Like [`dbt_output`], with the profiles.yml of folder `profiles` instead of the project's.
pub fn dbt_output_with_profiles(medallion: &Path, warehouse: &Path, target: &Path, profiles: &Path, args: &[&str]) -> Result<String> {
    let out = dbt_command(medallion, warehouse, target, profiles, args)?
        .env("DBT_USE_COLORS", "false")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", medallion.display()))?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    if out.status.success() {
        Ok(text)
    } else {
        Err(format!("dbt {} failed:\n{text}{}", args.join(" "), String::from_utf8_lossy(&out.stderr)))
    }
}

fn project_dir() -> PathBuf {
    workspace_root().join("dbt")
}

fn dbt_command(medallion: &Path, warehouse: &Path, target: &Path, profiles: &Path, args: &[&str]) -> Result<Command> {
    let venv = ensure_venv()?;
    let mut cmd = crate::command_with_env(medallion.to_path_buf())?;
    cmd.arg("dbt")
        .arg("--dbt")
        .arg(venv_bin(&venv, "dbt"))
        .arg("--project")
        .arg(project_dir())
        .arg("--profiles-dir")
        .arg(profiles)
        .arg("--warehouse")
        .arg(warehouse)
        .arg("--target-path")
        .arg(target.join("target"))
        .arg("--log-path")
        .arg(target.join("logs"))
        .arg("--")
        .args(args);
    Ok(cmd)
}

/// The venv's Python (built first if needed), for the checks that use its packages.
pub fn python() -> Result<PathBuf> {
    Ok(venv_bin(&ensure_venv()?, "python"))
}
