//! Reviewed snapshots of what a user reads: the help of every command and the messages of bad
//! input (`cargo insta review` after an intended change).

use std::process::Command;

/// Exit code, stdout and stderr of `medallion <args>`, with the temporary folder's path masked.
fn run(args: &[&str], tmp: &std::path::Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_medallion")).args(args).output().expect("the binary runs");
    let text = format!(
        "exit {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    text.replace(&tmp.display().to_string(), "[TMP]")
}

#[test]
fn help_of_every_command() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, args) in [
        ("help", &["--help"][..]),
        ("help_gen", &["gen", "--help"]),
        ("help_bronze", &["bronze", "--help"]),
        ("help_transform", &["transform", "--help"]),
        ("help_dbt", &["dbt", "--help"]),
        ("help_export", &["export", "--help"]),
        ("help_dq", &["dq", "--help"]),
        ("help_sql", &["sql", "--help"]),
        ("help_delta", &["delta", "--help"]),
        ("help_maintain", &["maintain", "--help"]),
    ] {
        insta::assert_snapshot!(name, run(args, tmp.path()));
    }
}

#[test]
fn messages_of_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("raw");
    let out = out.to_str().unwrap();
    let file = tmp.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let below = file.join("raw");
    for (name, args) in [
        ("error_unknown_table", vec!["gen", "--tables", "customers,nope", "--out", out]),
        ("error_scale", vec!["gen", "--scale", "0", "--out", out]),
        ("error_date", vec!["gen", "--start-date", "2024-02-30", "--out", out]),
        ("error_out_below_a_file", vec!["gen", "--scale", "0.001", "--out", below.to_str().unwrap()]),
        ("error_no_raw_folder", vec!["bronze", "--raw", out, "--lake", out]),
        ("error_no_warehouse", vec!["export", "--warehouse", out, "--lake", out]),
    ] {
        insta::assert_snapshot!(name, run(&args, tmp.path()));
    }
}
