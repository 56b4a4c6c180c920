//! The dashboard in a real browser (issue 12), run by `cargo xtask test` on the Gold the dbt
//! check built: Debian's `chromium` (installed with apt when CI runs as root, else the exact
//! command to run is printed) driven by npm's `playwright-core` (which never downloads a
//! browser). The script (`xtask/browser/check.mjs`) opens every page served and exported,
//! fails on a console error or a failed request, compares the KPI cards with SQL computed here
//! (not the report's SQL), clicks a bar to cross-filter, sets slicer combinations and sees the
//! cards follow the filtered SQL, and saves screenshots under
//! `<target>/browser-check/screenshots/`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{Result, command_with_env, run, target_dir, workspace_root};

/// The playwright-core release that drives chromium.
const PLAYWRIGHT_VERSION: &str = "1.49.1";

/// The browser: Debian's chromium, installed if CI runs as root.
fn ensure_chromium() -> Result<PathBuf> {
    let path = PathBuf::from("/usr/bin/chromium");
    if path.exists() {
        return Ok(path);
    }
    crate::apt_install("chromium", "the dashboard's browser test")?;
    Ok(path)
}

/// `<target>/browser-check/` with playwright-core installed from the npm registry.
fn ensure_playwright() -> Result<PathBuf> {
    let dir = target_dir().join("browser-check");
    let marker = dir.join("node_modules").join("playwright-core").join("package.json");
    let installed = std::fs::read_to_string(&marker).is_ok_and(|t| t.contains(&format!("\"version\": \"{PLAYWRIGHT_VERSION}\"")));
    if !installed {
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        run(Command::new("npm")
            .args(["install", "--no-save", "--no-audit", "--no-fund", "--silent", &format!("playwright-core@{PLAYWRIGHT_VERSION}")])
            .current_dir(&dir))?;
    }
    Ok(dir)
}

/// One value computed by SQL on `db` (through `medallion sql`, to a CSV file).
fn sql_value(binary: &Path, db: &Path, dir: &Path, sql: &str) -> Result<String> {
    let out = dir.join("value.csv");
    let copy = format!("copy ({sql}) to '{}' (header false)", out.display());
    run(command_with_env(binary.to_path_buf())?.arg("sql").arg("--db").arg(db).arg(&copy).stdout(Stdio::null()))?;
    let text = std::fs::read_to_string(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    Ok(text.trim().to_string())
}

/// Serves and exports the dashboard of `warehouse`, then runs the browser script on both.
pub fn check(binary: &Path, warehouse: &Path, assets: &Path) -> Result<()> {
    let chromium = ensure_chromium()?;
    let dir = ensure_playwright()?;
    let report = workspace_root().join("analytics/report.yml");
    let export = dir.join("export");
    let screenshots = dir.join("screenshots");
    let _ = std::fs::remove_dir_all(&export);
    let _ = std::fs::remove_dir_all(&screenshots);
    std::fs::create_dir_all(&screenshots).map_err(|e| format!("{}: {e}", screenshots.display()))?;
    let dashboard = |extra: &[&str]| -> Result<Command> {
        let mut cmd = command_with_env(binary.to_path_buf())?;
        cmd.arg("dashboard").arg("--warehouse").arg(warehouse).arg("--report").arg(&report).arg("--assets").arg(assets).args(extra);
        Ok(cmd)
    };
    run(dashboard(&["--export"])?.arg(&export).stdout(Stdio::null()))?;

    // Expected KPIs, by SQL written here against Gold (and the saved scorecard), not the
    // report's SQL.
    let value = |sql: &str| sql_value(binary, warehouse, &dir, sql);
    let sales = |filter: &str| -> Result<String> {
        let from = "from gold.fct_sales join gold.dim_store using (store_key) join gold.dim_date using (date_key)";
        Ok(format!(
            r#"{{"Total Sales": "{}", "Orders": "{}"}}"#,
            value(&format!("select sum(net_amount_aud) {from} where {filter}"))?,
            value(&format!("select count(distinct order_number) {from} where {filter}"))?
        ))
    };
    let caught = "rejected_in_bronze + flagged_in_silver";
    let expected = format!(
        r#"{{
  "pages": {{
    "Executive": {},
    "Data Quality": {{"Detection Recall": "{}", "Detection Precision": "{}", "Rows Rejected": "{}"}}
  }},
  "cross_filter": {{"visual": "Sales by region", "slicer": "region", "value": "ANZ", "expected": {}}},
  "combinations": [
    {{"name": "region ANZ", "page": "Executive", "slicers": {{"region": "ANZ"}}, "expected": {}}},
    {{"name": "15 Jan to 15 Feb 2024, web", "page": "Executive", "slicers": {{"from": "2024-01-15", "to": "2024-02-15", "channel": "web"}}, "expected": {}}},
    {{"name": "EMEA, Electronics", "page": "Executive", "slicers": {{"region": "EMEA", "category": "Electronics"}}, "expected": {}}}
  ]
}}"#,
        sales("true")?,
        value(&format!("select sum({caught}) / sum(in_log) from quality.scorecard"))?,
        value(&format!("select sum({caught}) / sum({caught} + false_alarms) from quality.scorecard"))?,
        value("select count(*) from bronze.rejects")?,
        sales("region = 'ANZ'")?,
        sales("region = 'ANZ'")?,
        sales("date_day between date '2024-01-15' and date '2024-02-15' and fct_sales.channel = 'web'")?,
        sales("region = 'EMEA' and product_key in (select product_key from gold.dim_product_scd where category = 'Electronics')")?,
    );

    // Serve on a free port; the first line says where.
    let mut server = dashboard(&["--port", "0"])?
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting the dashboard: {e}"))?;
    let mut first = String::new();
    BufReader::new(server.stdout.take().ok_or("no stdout from the dashboard")?).read_line(&mut first).map_err(|e| e.to_string())?;
    let url = first.split_whitespace().find(|w| w.starts_with("http://")).map(str::to_string);
    let result = (|| -> Result<()> {
        let url = url.ok_or_else(|| format!("the dashboard did not say where it listens: {first:?}"))?;
        let script = dir.join("check.mjs");
        std::fs::copy(workspace_root().join("xtask/browser/check.mjs"), &script).map_err(|e| format!("{}: {e}", script.display()))?;
        let config = dir.join("config.json");
        let pages = r#"["Executive", "Customer", "Product", "Operations", "Data Quality"]"#;
        let text = format!(
            r#"{{"chromium": {:?}, "url": {:?}, "export": {:?}, "screenshots": {:?}, "pages": {pages}, "expected": {expected}}}"#,
            chromium.display().to_string(),
            url.trim_end_matches('/'),
            format!("file://{}", export.join("index.html").display()),
            screenshots.display().to_string(),
        );
        std::fs::write(&config, text).map_err(|e| format!("{}: {e}", config.display()))?;
        run(Command::new("node").arg(&script).arg(&config).current_dir(&dir))?;
        eprintln!("xtask: screenshots of every page in {}", screenshots.display());
        Ok(())
    })();
    let _ = server.kill();
    let _ = server.wait();
    result
}
