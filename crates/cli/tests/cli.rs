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
