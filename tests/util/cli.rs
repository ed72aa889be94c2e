//! The built `sockmodes` binary, run as a user runs it.

use std::path::Path;
use std::process::{Command, Output};

use sockmodes_models::child::ServerProcess;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_sockmodes");

/// `sockmodes server --addr 127.0.0.1:0 ARGS...`, started.
#[track_caller]
pub fn start_server(args: &[&str]) -> ServerProcess {
    ServerProcess::start(Path::new(BIN), args).expect("sockmodes server starts")
}

/// Runs `sockmodes ARGS` and returns what it did.
#[track_caller]
pub fn sockmodes(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("sockmodes runs")
}

/// Runs `sockmodes ARGS`, requires success (showing stderr if not), and
/// returns its stdout.
#[track_caller]
pub fn sockmodes_ok(args: &[&str]) -> String {
    let out = sockmodes(args);
    assert!(
        out.status.success(),
        "sockmodes {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}
