//! The scripts a user runs beside the command (`scripts/`): bad input is
//! one line and a non-zero exit, never a traceback, and nothing is left
//! running. Linux only: the soak script reads /proc.

#![cfg(target_os = "linux")]

use std::process::{Command, Output};

mod util;

use util::cli::BIN;

fn python(args: &[&str]) -> Output {
    Command::new("python3")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("python3 runs")
}

#[track_caller]
fn assert_one_line_failure(out: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(!stderr.contains("Traceback"), "{stderr}");
    assert!(stderr.contains(needle), "expected {needle:?} in {stderr}");
}

/// `--minutes nan` (or negative, or absurd) is refused before any server
/// starts: argparse's usage and one line, exit 2.
#[cfg(target_os = "linux")]
#[test]
fn soak_refuses_a_bad_duration_before_starting_anything() {
    for bad in ["nan", "-1", "0", "inf", "1e9", "soon"] {
        let out = python(&["scripts/soak", "--minutes", bad, "--bin", BIN]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert_one_line_failure(&out, "--minutes");
        assert!(
            out.stdout.is_empty(),
            "{bad}: nothing started: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
