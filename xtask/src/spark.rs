//! `cargo xtask spark` (issue 16): the dbt project on a real Apache Spark cluster on this
//! machine, equal to DuckDB. Installs pinned pyspark and dbt-spark into the project's venv,
//! needs Java 17 (Debian's `openjdk-17-jre-headless`: installed with apt when CI runs as root,
//! else the command to run is printed), starts a standalone master and two workers on
//! 127.0.0.1 with pyspark's own `spark-class`, and for a small base load and then an increment
//! into one Bronze runs `dbt build --target spark`, exports Spark's Silver and Gold to Parquet
//! and compares every table and view with the DuckDB build of the same Bronze; the cluster is
//! stopped at the end (always, also on failure).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Result, cargo, command_with_env, dbt, debug_binary, run, target_dir, workspace_root};

/// The cluster's fixed ports: master RPC, master web UI, one web UI per worker.
const MASTER_PORT: u16 = 7077;
const WEB_UI_PORTS: [u16; 3] = [18080, 18081, 18082];

/// The stated tolerance for floating-point values: one unit of the third decimal (and the
/// binary representation's slack on it).
const FLOAT_TOLERANCE: &str = "0.0010001";

/// Java 17 from Debian: installed if CI runs as root, else the exact command to run.
fn ensure_java() -> Result<()> {
    if Command::new("java").arg("-version").stderr(Stdio::null()).status().is_ok_and(|s| s.success()) {
        return Ok(());
    }
    crate::apt_install("openjdk-17-jre-headless", "Spark (Java 17)")
}

/// A standalone master and two one-core workers; stopped when dropped.
struct Cluster {
    processes: Vec<Child>,
}

impl Cluster {
    fn start(spark_home: &Path, dir: &Path) -> Result<Cluster> {
        for port in std::iter::once(MASTER_PORT).chain(WEB_UI_PORTS) {
            TcpListener::bind(("127.0.0.1", port)).map_err(|e| {
                format!("port {port} on 127.0.0.1 is taken ({e}): stop what uses it (a Spark cluster left running?) and retry")
            })?;
        }
        let spark_class = spark_home.join("bin").join("spark-class");
        let mut cluster = Cluster { processes: Vec::new() };
        let master_log = dir.join("master.log");
        let launch = |args: Vec<String>, log: &Path| -> Result<Child> {
            let out = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
            let err = out.try_clone().map_err(|e| format!("{}: {e}", log.display()))?;
            Command::new(&spark_class)
                .args(args)
                .env("SPARK_HOME", spark_home)
                .env("SPARK_LOCAL_IP", "127.0.0.1")
                .stdout(out)
                .stderr(err)
                .spawn()
                .map_err(|e| format!("cannot start {}: {e}", spark_class.display()))
        };
        let master = format!("spark://127.0.0.1:{MASTER_PORT}");
        cluster.processes.push(launch(
            [
                "org.apache.spark.deploy.master.Master",
                "--host",
                "127.0.0.1",
                "--port",
                &MASTER_PORT.to_string(),
                "--webui-port",
                &WEB_UI_PORTS[0].to_string(),
            ]
            .map(String::from)
            .to_vec(),
            &master_log,
        )?);
        for (i, ui) in WEB_UI_PORTS[1..].iter().enumerate() {
            let work = dir.join(format!("worker-{}", i + 1));
            std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
            let args = ["org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "1", "--memory", "2g", "--webui-port"];
            let mut args: Vec<String> = args.map(String::from).to_vec();
            args.extend([ui.to_string(), "--work-dir".into(), work.display().to_string(), master.clone()]);
            cluster.processes.push(launch(args, &dir.join(format!("worker-{}.log", i + 1)))?);
        }
        // Ready when the master has registered both workers.
        let started = Instant::now();
        loop {
            let log = std::fs::read_to_string(&master_log).unwrap_or_default();
            if log.matches("Registering worker").count() >= 2 {
                eprintln!("xtask: Spark master {master} with 2 workers up in {:.1} s", started.elapsed().as_secs_f64());
                return Ok(cluster);
            }
            if started.elapsed() > Duration::from_secs(90) {
                return Err(format!("the Spark cluster did not come up in 90 s; see {}", dir.display()));
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for p in &mut self.processes {
            let _ = p.kill();
            let _ = p.wait();
        }
        eprintln!("xtask: Spark cluster stopped");
    }
}

/// `cargo xtask spark`.
pub fn check() -> Result<()> {
    ensure_java()?;
    let venv = dbt::ensure_spark_venv()?;
    let python = dbt::venv_bin(&venv, "python");
    let spark_home = String::from_utf8_lossy(
        &Command::new(&python)
            .args(["-c", "import os, pyspark; print(os.path.dirname(pyspark.__file__))"])
            .output()
            .map_err(|e| format!("cannot run {}: {e}", python.display()))?
            .stdout,
    )
    .trim()
    .to_string();
    run(&mut cargo(&["build", "-p", "medallion-cli"])?)?;
    let binary = debug_binary();
    let medallion = |args: &[&str]| -> Result<Command> {
        let mut cmd = command_with_env(binary.clone())?;
        cmd.args(args).stdout(Stdio::null());
        Ok(cmd)
    };
    let root = target_dir().join("spark-check");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
    let abs = |p: PathBuf| std::path::absolute(&p).map_err(|e| format!("{}: {e}", p.display()));
    let (raw, lake, warehouse) = (root.join("raw"), abs(root.join("lake"))?, root.join("duckdb.duckdb"));
    // Not under a name starting with `_`: Spark skips such files as hidden.
    let manifest = abs(root.join("manifest_processed_files.parquet"))?;
    let spark_warehouse = abs(root.join("spark-warehouse"))?;
    let project = workspace_root().join("dbt");
    let master = format!("spark://127.0.0.1:{MASTER_PORT}");
    let cluster_dir = root.join("cluster");
    std::fs::create_dir_all(&cluster_dir).map_err(|e| format!("{}: {e}", cluster_dir.display()))?;
    let _cluster = Cluster::start(Path::new(&spark_home), &cluster_dir)?;

    // Two loads into one Bronze, each built by both engines and compared: the base (two months,
    // first builds, snapshots created) and an increment (two days, a late file, price and address
    // changes: incremental models on DuckDB against tables rebuilt on Parquet, and the Parquet
    // snapshot rewrite closing and adding versions).
    let loads = [("base", crate::BASE_LOAD), ("increment", crate::INCREMENT_LOAD)];
    for (step, gen_args) in loads {
        run(medallion(&["gen", "--scale", "0.01"])?.args(gen_args).arg("--out").arg(&raw))?;
        run(crate::bronze_command(binary.clone(), &raw, &lake, &warehouse)?.stdout(Stdio::null()))?;
        let copy = format!("copy main.manifest_processed_files to '{}' (format parquet)", manifest.display());
        run(medallion(&["sql", "--db"])?.arg(&warehouse).arg(&copy))?;

        let started = Instant::now();
        run(medallion(&["transform", "--engine", "embedded", "--project"])?
            .arg(&project)
            .arg("--warehouse")
            .arg(&warehouse)
            .arg("--target-path")
            .arg(root.join(format!("duckdb-target-{step}"))))?;
        let duckdb_seconds = started.elapsed().as_secs_f64();

        let started = Instant::now();
        let vars = "{spark_file_format: parquet, spark_bronze_format: parquet}";
        // Tests run on Spark with the base build. The increment's rows are proven by the
        // comparison below against DuckDB's build, whose tests passed; running the tests' SQL
        // again on Spark took the increment from 95 s to 193 s (decision 106).
        let tests_with_base_only: &[&str] = if step == "base" { &[] } else { &["--exclude-resource-type", "unit_test", "test"] };
        run(Command::new(dbt::venv_bin(&venv, "dbt"))
            .current_dir(&project)
            .args(["build", "--target", "spark", "--vars", vars])
            .args(tests_with_base_only)
            .arg("--profiles-dir")
            .arg(&project)
            .arg("--target-path")
            .arg(root.join(format!("spark-target-{step}")))
            .arg("--log-path")
            .arg(root.join(format!("spark-logs-{step}")))
            .env("MEDALLION_SPARK_MASTER", &master)
            .env("MEDALLION_SPARK_WAREHOUSE", &spark_warehouse)
            .env("MEDALLION_SPARK_LAKE", &lake)
            .env("MEDALLION_SPARK_MANIFEST", &manifest)
            .env("SPARK_LOCAL_IP", "127.0.0.1")
            .env("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
            .env("DBT_VERSION_CHECK", "false"))?;
        let spark_seconds = started.elapsed().as_secs_f64();
        let export = root.join(format!("spark-export-{step}"));
        run(Command::new(&python)
            .arg(workspace_root().join("xtask").join("spark").join("export.py"))
            .arg(&master)
            .arg(&spark_warehouse)
            .arg(&export)
            .env("SPARK_LOCAL_IP", "127.0.0.1"))?;
        eprintln!("xtask: {step}: dbt build on DuckDB (embedded runner) {duckdb_seconds:.1} s, on the Spark cluster {spark_seconds:.1} s");
        // Floating-point columns within one unit of the third decimal: Gold rounds its averages
        // to three decimals, and a tie at the fourth rounds differently when DuckDB averages in
        // DOUBLE and Spark in exact DECIMAL (docs/scale-out.md). Everything else must be equal.
        let mut compare = command_with_env(binary.clone())?;
        run(compare.args(["dq", "compare-export", "--float-tolerance", FLOAT_TOLERANCE]).arg(&warehouse).arg(&export))?;
    }
    Ok(())
}
