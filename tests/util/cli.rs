//! The built `sockmodes` binary, run as a user runs it.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use sockmodes_models::child::ServerProcess;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_sockmodes");

/// `sockmodes server --addr 127.0.0.1:0 ARGS...`, started.
#[track_caller]
pub fn start_server(args: &[&str]) -> ServerProcess {
    ServerProcess::start(Path::new(BIN), args).expect("sockmodes server starts")
}

/// `sockmodes server --addr 127.0.0.1:0 --mode MODE --service echo --work
/// WORK EXTRA...`, started.
#[track_caller]
pub fn start_echo_with_work(model: &str, work: &str, extra: &[&str]) -> ServerProcess {
    let mut args = vec!["--mode", model, "--service", "echo", "--work", work];
    args.extend_from_slice(extra);
    start_server(&args)
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
    stdout_of_success(sockmodes(args), args)
}

/// The stdout of a run of `sockmodes ARGS` that must have succeeded
/// (showing its stderr if not).
#[track_caller]
fn stdout_of_success(out: Output, args: &[&str]) -> String {
    assert!(
        out.status.success(),
        "sockmodes {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// `sockmodes client --addr ADDR ARGS...`, run.
#[track_caller]
pub fn client_to(addr: SocketAddr, args: &[&str]) -> Output {
    let addr = addr.to_string();
    let mut all = vec!["client", "--addr", &addr];
    all.extend_from_slice(args);
    sockmodes(&all)
}

/// `sockmodes client --addr ADDR ARGS...`, required to succeed (showing
/// stderr if not); its stdout.
#[track_caller]
pub fn client_ok(addr: SocketAddr, args: &[&str]) -> String {
    stdout_of_success(client_to(addr, args), args)
}

/// A listener that never accepts or closes, and its address: a server
/// that takes the connection (the kernel's handshake) and never answers.
pub fn silent_listener() -> (TcpListener, String) {
    let silent = TcpListener::bind("127.0.0.1:0").expect("a port");
    let addr = silent.local_addr().unwrap().to_string();
    (silent, addr)
}

/// `sockmodes client --mode MODE --addr ADDR --timeout SECS ARGS...`, run.
#[track_caller]
pub fn client_with_timeout(model: &str, addr: &str, secs: &str, args: &[&str]) -> Output {
    let mut all = vec!["client", "--mode", model, "--addr", addr, "--timeout", secs];
    all.extend_from_slice(args);
    sockmodes(&all)
}

/// `load --addr ADDR` for a short run: 2 connections, 0.3 s, no warm-up.
pub fn short_load(addr: &str) -> Vec<&str> {
    let mut args = vec!["load", "--addr", addr, "--connections", "2"];
    args.extend(["--duration", "0.3", "--warmup", "0"]);
    args
}

/// Runs `sockmodes ARGS` with stdout on a full disk (`/dev/full`), and
/// requires one line saying it cannot write `what` (exit 1, no panic).
#[cfg(target_os = "linux")]
#[track_caller]
pub fn fails_in_one_line_on_a_full_stdout(args: &[&str], what: &str) {
    let full = Command::new(BIN)
        .args(args)
        .stdout(std::fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&full.stderr);
    assert_eq!(full.status.code(), Some(1), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains(&format!("sockmodes: error: cannot write {what} to stdout"))
            && stderr.contains("No space left on device"),
        "{args:?}: {stderr}"
    );
}

/// Runs `command` with a stdout pipe whose reader is gone before anything
/// is written, and requires the quiet end Unix tools give that: exit 0, no
/// panic. Returns its stderr.
#[track_caller]
pub fn ends_quietly_on_a_closed_stdout(command: &mut Command) -> String {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    drop(child.stdout.take());
    let closed = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&closed.stderr).into_owned();
    assert_eq!(closed.status.code(), Some(0), "{command:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// A listener whose accept queue is full, its address, and the connections
/// that fill it: a server that takes no more handshakes (the kernel drops
/// their SYNs) until it accepts, which it never does. Panics unless a
/// further connect is shown not to complete.
#[cfg(target_os = "linux")]
pub fn full_listener() -> (TcpListener, String, Vec<std::net::TcpStream>) {
    use std::net::TcpStream;
    use std::os::fd::AsRawFd;
    use std::time::Duration;
    // Why 1 s: on loopback a handshake the queue has room for takes well
    // under a millisecond; one the kernel drops is never answered.
    let wait = Duration::from_secs(1);
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    // Backlog 0 (std listens with 128): Linux queues one connection more
    // than the backlog, then drops SYNs until one is accepted.
    // SAFETY: the descriptor is the listener's own and open.
    assert_eq!(unsafe { libc::listen(listener.as_raw_fd(), 0) }, 0);
    let addr = listener.local_addr().unwrap();
    let mut filling = Vec::new();
    for _ in 0..8 {
        match TcpStream::connect_timeout(&addr, wait) {
            Ok(s) => filling.push(s),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => break,
            Err(e) => panic!("filling the accept queue: {e}"),
        }
    }
    // Full: a further connect does not complete.
    let further = TcpStream::connect_timeout(&addr, wait);
    assert!(
        further
            .as_ref()
            .is_err_and(|e| e.kind() == std::io::ErrorKind::TimedOut),
        "the accept queue of {addr} is not full after {} connections: {further:?}",
        filling.len()
    );
    (listener, addr.to_string(), filling)
}
