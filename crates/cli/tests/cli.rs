//! The command line's contract: bad arguments give one clear error line and exit status 2; an
//! error with causes gives one line per cause; a good run prints the summary.

use std::process::{Command, Output};

fn medallion(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_medallion")).args(args).output().expect("the binary runs")
}

/// Asserts a failed run with exactly one stderr line containing `needle`.
fn assert_one_line_error(out: &Output, needle: &str) {
    assert!(!out.status.success(), "expected failure");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one error line, got: {err}");
    assert!(lines[0].contains(needle), "`{}` does not mention `{needle}`", lines[0]);
    assert!(!err.contains("panicked"), "{err}");
}

/// Asserts a failed run whose stderr is `medallion: error: …` followed by one `  caused by: …`
/// line per cause, one of them containing `needle`.
fn assert_error_chain(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines[0].starts_with("medallion: error: "), "{err}");
    assert!(lines[1..].iter().all(|l| l.starts_with("  caused by: ")), "{err}");
    assert!(lines.iter().any(|l| l.contains(needle)), "no line mentions `{needle}`: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bad_arguments_give_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("raw");
    let out = out.to_str().unwrap();
    assert_one_line_error(&medallion(&["gen", "--scale", "-1", "--out", out]), "--scale");
    assert_one_line_error(&medallion(&["gen", "--scale", "0", "--out", out]), "--scale");
    assert_one_line_error(&medallion(&["gen", "--tables", "customers,nope", "--out", out]), "unknown table `nope`");
    assert_one_line_error(&medallion(&["gen", "--start-date", "2024-02-30", "--out", out]), "--start-date");
    assert_one_line_error(&medallion(&["gen", "--part", "2", "--parts", "2", "--out", out]), "--part");
    // An --out below a regular file cannot be created.
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let below = file.join("raw");
    assert_error_chain(&medallion(&["gen", "--scale", "0.001", "--out", below.to_str().unwrap()]), "a-file");
}

#[test]
fn a_small_run_prints_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = medallion(&["gen", "--scale", "0.001", "--days", "10", "--out", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for table in medallion_schema::Table::ALL {
        assert!(stdout.lines().any(|l| l.starts_with(table.name())), "summary lacks {table}:\n{stdout}");
    }
    assert!(stdout.contains("ground-truth records"));
    assert!(dir.path().join("customers.csv").exists());
}

/// `medallion bronze` on `raw` into `dir`'s lake and warehouse.
fn bronze(raw: &std::path::Path, dir: &std::path::Path) -> Output {
    std::fs::create_dir_all(dir).unwrap();
    let lake = dir.join("lake");
    let warehouse = dir.join("warehouse.duckdb");
    medallion(&["bronze", "--raw", raw.to_str().unwrap(), "--lake", lake.to_str().unwrap(), "--manifest", warehouse.to_str().unwrap()])
}

#[test]
fn bronze_exit_status_says_whether_every_file_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    let out = medallion(&["gen", "--scale", "0.001", "--days", "3", "--out", raw.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = |o: &Output| String::from_utf8_lossy(&o.stderr).to_string();

    // 0: everything loaded (rows with anomalies go to the rejects, which is not a failure).
    let clean = bronze(&raw, &dir.path().join("clean"));
    assert_eq!(clean.status.code(), Some(0), "{}", stderr(&clean));
    assert_eq!(stderr(&clean), "");

    // 1: a file failed as a whole, or every row of it was rejected; the others loaded.
    let bad = dir.path().join("bad-raw");
    copy_dir(&raw, &bad);
    std::fs::write(bad.join("stores.csv"), b"").unwrap();
    std::fs::write(bad.join("suppliers.csv"), b"colour,size\nred,2\nblue,3\n").unwrap();
    let run = bronze(&bad, &dir.path().join("bad"));
    let err = stderr(&run);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(err.contains("stores.csv: not loaded: empty_file"), "{err}");
    assert!(err.contains("suppliers.csv: every row rejected (2 rows"), "{err}");
    assert!(err.contains("2 file(s) need attention"), "{err}");
    assert!(String::from_utf8_lossy(&run.stdout).contains("1 failed"), "the summary counts the failed file");

    // The transform that follows says which raw file its tables lack, every time.
    let project = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dbt");
    let bad_warehouse = dir.path().join("bad/warehouse.duckdb");
    let transform = |warehouse: &std::path::Path| {
        medallion(&[
            "transform",
            "--select",
            "stg_suppliers",
            "--project",
            project.to_str().unwrap(),
            "--warehouse",
            warehouse.to_str().unwrap(),
            "--target-path",
            dir.path().join("target").to_str().unwrap(),
        ])
    };
    let built = transform(&bad_warehouse);
    assert!(stderr(&built).contains("warning: stores.csv is not in Bronze (empty_file"), "{}", stderr(&built));
    // A transform with no warehouse says what to run first, in one line.
    assert_error_chain(&transform(&dir.path().join("nowhere.duckdb")), "run `medallion bronze` first");

    // 1: a file changed after it was loaded is named, not silently ignored.
    let changed = dir.path().join("changed-raw");
    copy_dir(&raw, &changed);
    let lake = dir.path().join("changed");
    assert_eq!(bronze(&changed, &lake).status.code(), Some(0));
    let stores = std::fs::read_to_string(changed.join("stores.csv")).unwrap();
    std::fs::write(changed.join("stores.csv"), stores.replacen('\n', "\n\n", 2)).unwrap();
    let rerun = bronze(&changed, &lake);
    assert_eq!(rerun.status.code(), Some(1), "{}", stderr(&rerun));
    assert!(stderr(&rerun).contains("stores.csv: changed since it was loaded"), "{}", stderr(&rerun));

    // 2: nothing to load at all.
    let empty = dir.path().join("empty-raw");
    std::fs::create_dir_all(&empty).unwrap();
    assert_one_line_error(&bronze(&empty, &dir.path().join("empty")), "the folder is empty");
    let foreign = dir.path().join("foreign-raw");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), b"hello").unwrap();
    assert_error_chain(&bronze(&foreign, &dir.path().join("foreign")), "no raw files under");
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target)
        } else {
            std::fs::copy(entry.path(), &target).map(|_| ()).unwrap()
        }
    }
}

#[test]
fn paths_that_cannot_be_a_lake_or_a_warehouse_are_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    std::fs::create_dir_all(&raw).unwrap();
    std::fs::write(raw.join("stores.csv"), b"store_id\n1\n").unwrap();
    let (raw, path) = (raw.to_str().unwrap(), |p: &std::path::Path| p.to_str().unwrap().to_string());
    let a_file = dir.path().join("a-file");
    std::fs::write(&a_file, b"not a lake").unwrap();
    let warehouse = path(&dir.path().join("w.duckdb"));

    let lake_is_file = medallion(&["bronze", "--raw", raw, "--lake", &path(&a_file), "--manifest", &warehouse]);
    assert_error_chain(&lake_is_file, "is a file, not a lake folder");
    let typo = dir.path().join("no/such/parent/lake");
    let far = medallion(&["bronze", "--raw", raw, "--lake", &path(&typo), "--manifest", &warehouse]);
    assert_error_chain(&far, "its parent folder does not exist");
    assert!(!dir.path().join("no").exists(), "nothing created for a typo");
    let lake = dir.path().join("lake");
    let not_duckdb = medallion(&["bronze", "--raw", raw, "--lake", &path(&lake), "--manifest", &path(&a_file)]);
    assert_error_chain(&not_duckdb, "is not a DuckDB database file");
    assert!(!lake.exists(), "a bad --manifest leaves no empty lake behind");

    let missing = dir.path().join("typo.duckdb");
    assert_error_chain(&medallion(&["sql", "--db", &path(&missing), "select 1"]), "no such database file");
    assert!(!missing.exists(), "sql --db does not create a database");
}

#[test]
fn gen_never_mixes_two_datasets_and_refuses_what_will_not_fit() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("raw");
    let out_s = out.to_str().unwrap();
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("README.md"), b"# my notes").unwrap();
    let generate = |extra: &[&str]| {
        let mut args = vec!["gen", "--out", out_s];
        args.extend_from_slice(extra);
        medallion(&args)
    };
    assert!(generate(&["--scale", "0.002", "--days", "3"]).status.success());
    let files = |root: &std::path::Path| -> usize { walk(root) };
    let before = files(&out);
    // Another scale into the same folder: refused, naming both datasets and the way out.
    assert_error_chain(&generate(&["--scale", "0.001", "--days", "3"]), "holds another dataset (seed=42 scale=0.002");
    assert_eq!(files(&out), before, "a refused run writes nothing");
    // The same dataset again is fine; an increment of it too.
    assert!(generate(&["--scale", "0.002", "--days", "3"]).status.success());
    assert!(generate(&["--scale", "0.002", "--increment", "--start-date", "2023-01-04", "--days", "1"]).status.success());
    assert_error_chain(
        &generate(&["--scale", "0.001", "--increment", "--start-date", "2023-01-05", "--days", "1"]),
        "holds another dataset",
    );
    // --replace: the old dataset's files are gone, the user's README stays.
    assert!(generate(&["--scale", "0.001", "--days", "3", "--replace"]).status.success());
    assert_eq!(std::fs::read_to_string(out.join("_dataset")).unwrap().trim(), "seed=42 scale=0.001 start=2023-01-01 days=3");
    assert!(out.join("README.md").exists());
    assert!(
        !out.join("orders_header").read_dir().unwrap().any(|d| d.unwrap().file_name() == "order_dt=2023-01-04"),
        "increment days of the old dataset are gone"
    );
    // A run that cannot fit on the disk is refused before it writes.
    let big = dir.path().join("big");
    let refused = medallion(&["gen", "--scale", "100", "--days", "20000", "--out", big.to_str().unwrap()]);
    assert_error_chain(&refused, "GB are free");
    assert_eq!(files(&big), 0);
}

fn walk(root: &std::path::Path) -> usize {
    std::fs::read_dir(root).map_or(0, |d| d.map(|e| e.unwrap().path()).map(|p| if p.is_dir() { walk(&p) } else { 1 }).sum())
}

/// A disk that fills up mid-run, played with a file-size limit (`ulimit -f`, the signal it
/// raises ignored, so writes fail with EFBIG as they would with ENOSPC): the error names the
/// file it could not write, with its table; once there is room, a rerun loads everything.
#[test]
fn a_full_disk_names_the_file_and_a_rerun_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    assert!(medallion(&["gen", "--scale", "0.001", "--days", "3", "--out", raw.to_str().unwrap()]).status.success());
    let (lake, warehouse) = (dir.path().join("lake"), dir.path().join("warehouse.duckdb"));
    let limited = |kib: u32| {
        let command = format!("trap '' XFSZ; ulimit -f {kib}; exec \"$0\" bronze --raw \"$1\" --lake \"$2\" --manifest \"$3\"",);
        Command::new("bash")
            .args(["-c", &command, env!("CARGO_BIN_EXE_medallion")])
            .args([&raw, &lake, &warehouse])
            .output()
            .expect("bash runs")
    };
    // Too little room for the warehouse holding the manifest: it is named.
    let out = limited(4);
    assert_error_chain(&out, "warehouse.duckdb");
    assert!(String::from_utf8_lossy(&out.stderr).contains("File too large"));
    assert!(!warehouse.exists(), "a warehouse that could not be created is not left torn");
    // Room for the manifest, not for a data file: the file and its table are named.
    let out = limited(16);
    assert_error_chain(&out, "bronze/delta/");
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err.lines().find(|l| l.contains("bronze/delta/")).unwrap();
    assert!(line.contains(lake.to_str().unwrap()), "the path is whole: {line}");
    assert!(
        medallion_schema::Table::ALL.iter().any(|t| line.contains(&format!("bronze/delta/{t}/part-"))),
        "the table's folder is named: {line}"
    );
    // With room again, nothing was lost: every file loads and every data file is sound.
    let rerun = bronze(&raw, dir.path());
    assert_eq!(rerun.status.code(), Some(0), "{}", String::from_utf8_lossy(&rerun.stderr));
    let verify = medallion(&["delta", "verify", "--lake", lake.to_str().unwrap(), "--manifest", warehouse.to_str().unwrap()]);
    assert_eq!(verify.status.code(), Some(0), "{}", String::from_utf8_lossy(&verify.stderr));
}

#[test]
fn the_realism_report_passes_on_generated_data_and_names_the_figure_that_is_off() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    let out = medallion(&["gen", "--scale", "0.01", "--out", raw.to_str().unwrap(), "--report"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    for section in [
        "orders by weekday",
        "orders by month",
        "orders by local hour",
        "orders per customer",
        "lines per product",
        "basket size",
        "deliveries",
        "sensor readings",
        "anomalies",
    ] {
        assert!(stdout.lines().any(|l| l.contains(section) && l.starts_with("OK")), "no checked figure of {section}:\n{stdout}");
    }
    let summary = stdout.lines().last().unwrap();
    let (in_range, checked) = summary.split_once(" of ").unwrap();
    assert!(checked.starts_with(in_range) && in_range.parse::<u32>().unwrap() > 50, "{summary}");

    // One customer placing every order is a head no retailer has: the report says which figures.
    for day in std::fs::read_dir(raw.join("orders_header")).unwrap() {
        for file in std::fs::read_dir(day.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let mut lines = text.lines();
            let mut rewritten = format!("{}\n", lines.next().unwrap());
            for line in lines {
                let mut fields: Vec<&str> = line.split(',').collect();
                fields[3] = "1";
                rewritten.push_str(&fields.join(","));
                rewritten.push('\n');
            }
            std::fs::write(&path, rewritten).unwrap();
        }
    }
    let out = medallion(&["dq", "realism", "--raw", raw.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("orders per customer / top fifth's share") && stderr.contains("orders per customer / most ÷ mean"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.lines().any(|l| l.starts_with("OUT") && l.contains("most ÷ mean")), "{stdout}");
}

/// Every file under `root` (path relative to it → bytes).
fn files_of(root: &std::path::Path) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                out.insert(path.strip_prefix(root).unwrap().to_path_buf(), std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

#[test]
fn a_profile_is_recorded_beside_the_data_and_reproduces_it_and_a_bad_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (first, again) = (dir.path().join("first"), dir.path().join("again"));
    let generate = |out: &std::path::Path, profile: &str| {
        medallion(&["gen", "--scale", "0.005", "--days", "20", "--profile", profile, "--out", out.to_str().unwrap()])
    };
    let out = generate(&first, "hostile");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::read_to_string(first.join("_dataset")).unwrap().contains("profile=hostile"));
    let recorded = first.join("_profile.yml");
    let out = generate(&again, recorded.to_str().unwrap());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Every data file the same bytes (Delta's log records when and by which writer id it was
    // written, not data).
    let data = |root: &std::path::Path| {
        let mut files = files_of(root);
        files.retain(|path, _| !path.starts_with("returns/_delta_log"));
        files
    };
    assert!(data(&first) == data(&again), "the recorded profile made other bytes");
    // Another profile is another dataset: refused in the same folder.
    assert_error_chain(&generate(&first, "clean"), "this run would write seed=42 scale=0.005 start=2023-01-01 days=20 profile=clean");

    // 100 % is a legal rate: every customer without a phone, every one of them in the log.
    let all = dir.path().join("all-null-phones.yml");
    std::fs::write(&all, "anomalies:\n  customers: {malformed_email: 0, duplicate_natural_key: 0, null_address: 0, null_phone: 1}\n")
        .unwrap();
    let every = dir.path().join("every");
    let out = medallion(&[
        "gen",
        "--scale",
        "0.005",
        "--days",
        "2",
        "--tables",
        "customers",
        "--profile",
        all.to_str().unwrap(),
        "--out",
        every.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let csv = std::fs::read_to_string(every.join("customers.csv")).unwrap();
    let phone = csv.lines().next().unwrap().split(',').position(|c| c == "phone").unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert!(rows.len() >= 20 && rows.iter().all(|r| r.split(',').nth(phone) == Some("")), "a phone survived");
    let log = std::fs::read_to_string(every.join("_anomalies/customers.jsonl")).unwrap();
    assert_eq!(log.lines().filter(|l| l.contains(r#""kind":"null_phone""#)).count(), rows.len());
    assert_eq!(log.lines().count(), rows.len(), "only null_phone is logged");

    let bad = dir.path().join("bad.yml");
    std::fs::write(&bad, "anomalies:\n  customers:\n    null_phone: 1.5\n").unwrap();
    assert_one_line_error(
        &generate(&dir.path().join("x"), bad.to_str().unwrap()),
        "bad.yml: anomalies.customers.null_phone: 1.5 is outside 0–1",
    );
    std::fs::write(&bad, "anomalies:\n  customers:\n    broken_hearts: 0.1\n").unwrap();
    assert_one_line_error(
        &generate(&dir.path().join("x"), bad.to_str().unwrap()),
        "anomalies.customers.broken_hearts: no such anomaly kind",
    );
    assert_one_line_error(&generate(&dir.path().join("x"), "no-such-profile.yml"), "no-such-profile.yml: -: cannot read the profile");
}
