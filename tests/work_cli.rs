//! `sockmodes server --work --offload` at the command line: bad values get
//! one line and exit 2; a good one prints its work and its ceiling
//! before the listening line, and the memory line counts the pool.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use sockmodes_common::Service;
use sockmodes_models::Model;
use sockmodes_serving::ServerConfig;

fn sockmodes() -> Command {
    Command::new(Path::new(env!("CARGO_BIN_EXE_sockmodes")))
}

#[test]
fn bad_work_and_offload_values_get_one_line_and_exit_2() {
    let cases: [&[&str]; 8] = [
        &["--work", "cpu"],
        &["--work", "cpu:50"],
        &["--work", "cpu:0us"],
        &["--work", "wait:11s"],
        &["--work", "nap:1ms"],
        &["--work", "block:1ms", "--offload", "0"],
        &[
            "--mode",
            "nonblocking",
            "--work",
            "block:1ms",
            "--offload",
            "10000000",
        ],
        &["--service", "message", "--work", "block:1ms"],
    ];
    for args in cases {
        let out = sockmodes()
            .args(["server", "--service", "echo", "--addr", "127.0.0.1:0"])
            .args(args)
            .output()
            .expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        let errors: Vec<&str> = err.lines().filter(|l| l.contains("error")).collect();
        assert_eq!(errors.len(), 1, "{args:?}: one line: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

/// The lines a server prints up to and including the listening line.
fn start_lines(args: &[&str]) -> Vec<String> {
    let mut child = sockmodes()
        .args(["server", "--service", "echo", "--addr", "127.0.0.1:0"])
        .args(args)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("starts");
    let mut lines = Vec::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        let done = line.contains("listening on");
        lines.push(line);
        if done {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    lines
}

#[test]
fn every_server_prints_its_work_ceiling_and_pool() {
    for model in Model::servers() {
        let lines = start_lines(&["--mode", model.name(), "--work", "cpu:50us"]);
        let text = lines.join("\n");
        // Computed by the thread's CPU clock, not a calibrated count.
        assert!(
            text.contains("until the thread's CPU clock has advanced by 50us"),
            "{model}: the work: {text}"
        );
        assert!(!text.contains("spins"), "{model}: {text}");
        assert!(text.contains("ceiling (Little's law)"), "{model}: {text}");
        assert!(
            text.contains("50us per message"),
            "{model}: the CPU bound: {text}"
        );
        let lines = start_lines(&[
            "--mode",
            model.name(),
            "--work",
            "block:1ms",
            "--offload",
            "8",
        ]);
        let text = lines.join("\n");
        let pooled = text.contains("8 workers x 1ms = 8,000 msg/s");
        assert_eq!(
            pooled,
            text.contains("offload pool"),
            "{model}: a pool in the ceiling is a pool in the memory line: {text}"
        );
        assert!(
            pooled || text.contains("connections x 1ms"),
            "{model}: a pool, or a thread per connection: {text}"
        );
    }
    // A model whose connections share one I/O thread carries 1,000 msg/s
    // with 1 ms of blocking work inline (where the registry says it runs
    // blocking work inline: tokio never does).
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), Service::Echo);
    config.work = Some("block:1ms".parse().unwrap());
    for model in Model::servers() {
        if model.io_threads(&config) == Some(1) && model.offload_workers(&config).is_none() {
            let lines = start_lines(&["--mode", model.name(), "--work", "block:1ms"]);
            assert!(
                lines.join("\n").contains("1 x 1ms inline = 1,000 msg/s"),
                "{model}: {lines:?}"
            );
        }
    }
}
