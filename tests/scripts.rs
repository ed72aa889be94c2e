//! The scripts a user runs beside the command (`scripts/`): bad input is
//! one line and a non-zero exit, never a traceback, and nothing is left
//! running.

#![cfg(unix)]

use std::path::Path;
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

fn has_hdrh() -> bool {
    python(&["-c", "import hdrh"]).status.success()
}

/// Garbage, an empty file, bad base64, a truncated histogram, a missing
/// file: one line naming the file, exit 1. A real log merges.
#[test]
fn merge_hdr_logs_refuses_what_is_not_a_log_in_one_line() {
    let dir = std::env::temp_dir().join(format!("sockmodes-hlog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases: [(&str, &str); 4] = [
        ("garbage.hlog", "garbage\nmore garbage\n"),
        ("empty.hlog", ""),
        (
            "base64.hlog",
            "#[StartTime: 1.0]\n0.000,1.000,1.000,HISTFAAAAB!!!notbase64\n",
        ),
        (
            "truncated.hlog",
            "0.000,1.000,1.000,HISTFAAAACl42pNpmSzMwMDAyAABzFCaEURcm7yEwf4DRGA1MwAlUgPB\n",
        ),
    ];
    let script = "scripts/merge-hdr-logs.py";
    if !has_hdrh() {
        let path = dir.join("empty.hlog");
        std::fs::write(&path, "").unwrap();
        let out = python(&[script, path.to_str().unwrap()]);
        assert_one_line_failure(&out, "pip install hdrhistogram");
        return;
    }
    for (name, text) in cases {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let out = python(&[script, path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        assert_one_line_failure(&out, name);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "{name}: {stderr}");
    }
    let missing = dir.join("missing.hlog");
    let out = python(&[script, missing.to_str().unwrap()]);
    assert_one_line_failure(&out, "missing.hlog");
    // A log the command wrote merges.
    let server = util::cli::start_server(&["--service", "echo"]);
    let log = dir.join("real.hlog");
    let _ = std::fs::remove_file(&log);
    util::cli::sockmodes_ok(&[
        "load",
        "--addr",
        &server.addr.to_string(),
        "--connections",
        "2",
        "--duration",
        "1",
        "--warmup",
        "0",
        "--hdr-log",
        log.to_str().unwrap(),
    ]);
    server.terminate().unwrap();
    let out = python(&[script, log.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("messages  "), "{stdout}");
    assert!(!stdout.starts_with("messages  0\n"), "{stdout}");
    let _ = std::fs::remove_dir_all(Path::new(&dir));
}
