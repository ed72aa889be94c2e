//! Frames of the protocol's default limit (16 MiB) through every load
//! engine against every server, each with its default settings (what
//! users get: `sockmodes server` with no option): each client session
//! streams them both ways
//! through fixed buffers, so no engine deadlocks on a server that echoes
//! while the frame arrives (the blocking engine once wrote the whole frame
//! before reading, and both ends waited forever), every connection is
//! answered, and the client's memory does not grow with the frame.
//!
//! **One at a time** ([`ONE_AT_A_TIME`]). 100 connections of 16 MiB frames
//! fill the kernel's socket buffers both ways: one such load peaked at
//! 0.45 GiB of the machine's TCP memory against the completion server and
//! 0.87 GiB against the blocking one. (Where it sits, from `ss -tm` at the
//! peak: against the blocking server, 355 MiB in the server's send queues
//! and 330 MiB in the client's: its hundred threads echo faster than the
//! client reads, so data waits in the kernel both ways (the peak of the
//! three engines' runs); against the completion server, 402 MiB in the
//! client's send queues and 9 MiB in the server's: its one thread is the
//! slower side.) Past `net.ipv4.tcp_mem`'s pressure threshold (1.46 GiB
//! on this 24 GiB machine) the kernel drops what arrives on sockets over their
//! share, and an echo with full buffers stalls for good: three of the
//! blocking variant at once left 4 to 10 connections of each unanswered
//! for 600 s, and five of the completion variant at once stalled all five
//! (`os/src/kernel_tcp.rs`). That, with other tests running beside it, is
//! what once left "one connection of 100 never answered" here, blamed on
//! the blocking server and the completion engine in turn. So these loads
//! run one at a time, and a failure shows the run's `kernel_tcp`: whether
//! the kernel ran short meanwhile (from this or any other process).
//!
//! The drain after the window lasts twice the ramp when that is longer
//! than 5 s (`loadgen/src/start.rs`, `RAMP_GRACE`): the round of 16 MiB
//! frames in flight at the window's end is as much work as the ramp.

mod util;

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use sockmodes_common::{Service, DEFAULT_MAX_FRAME};
use sockmodes_loadgen::{self as load, LoadConfig};
use sockmodes_models::Model;
use util::server;

/// Held by each test for its whole run: one 1.6 GB load at a time (see
/// the top).
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Waits for the other tests' loads to end (a failed one still ends).
fn alone() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A `server_model` echo server with the settings users get: its idle
/// timeout counts bytes moved, not frames completed, and its minimum rate
/// (500 B/s over 20 s) is far below a 16 MiB frame's share of the machine,
/// so a large frame moving slowly is never cut (`liveness.rs`).
fn default_server(server_model: Model) -> sockmodes_models::Server {
    server(server_model, Service::Echo, |_| {}).0
}

/// Every engine, 100 connections of 16 MiB frames against a `server_model`
/// echo server: every connection answered, none failed.
fn every_engine_answers_every_connection(server_model: Model) {
    let _alone = alone();
    for model in Model::CLIENTS {
        let srv = default_server(server_model);
        let config = LoadConfig {
            connections: 100,
            size: DEFAULT_MAX_FRAME,
            duration: Duration::from_millis(500),
            warmup: Duration::ZERO,
            // Until every connection's first answer: 1.6 GB each way.
            warmup_cap: Duration::from_secs(600),
            ..LoadConfig::new(model, srv.local_addr())
        };
        let run = load::run(&config, Arc::new(AtomicU64::new(0))).expect("load runs");
        let r = run.report();
        let what = format!(
            "{model} -> {server_model}: {:?}, ramp {:?}, kernel's TCP memory {:?}",
            r.ended, r.ramp, r.kernel_tcp
        );
        assert_eq!(r.ended.served, 100, "{what}");
        // Answered at least once each, in the warm-up or the window (the
        // window is too short for every 16 MiB round trip to land in it).
        assert_eq!(r.ramp.never_answered, 0, "{what}");
        assert_eq!(r.errors, 0, "{what}");
        drop(srv);
    }
}

#[test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "1.6 GB each way per engine: minutes under Wine; run it with --ignored"
)]
fn frames_of_16_mib_on_100_connections_against_the_blocking_server() {
    every_engine_answers_every_connection(Model::BLOCKING);
}

/// Against the mio server, in process, where the child-process variant
/// below cannot run (it reads the child's peak with Linux's `wait4`).
#[cfg(not(target_os = "linux"))]
#[test]
#[ignore = "1.6 GB each way per engine: minutes under Wine; run it with --ignored"]
fn frames_of_16_mib_on_100_connections_against_the_mio_server() {
    every_engine_answers_every_connection(Model::NON_BLOCKING);
}

/// Against tokio's server: its connection tasks share the runtime by
/// yielding after a turn's bytes (`tokio/src/connection.rs`).
#[test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "1.6 GB each way per engine: minutes under Wine; run it with --ignored"
)]
fn frames_of_16_mib_on_100_connections_against_the_tokio_server() {
    every_engine_answers_every_connection(Model::TOKIO);
}

/// Against the ring's server (Linux only, as the server).
#[cfg(target_os = "linux")]
#[test]
fn frames_of_16_mib_on_100_connections_against_the_completion_server() {
    every_engine_answers_every_connection(Model::COMPLETION);
}

/// Against the mio server, each engine as `sockmodes load` in a process of
/// its own: every connection answered, and the client's memory does not
/// grow with the frame: it peaks at most 64 MiB above the same load with
/// 64-byte frames (its size with 100 connections and no large frame). The
/// peak is the kernel's `ru_maxrss` of the ended process (`wait4`), so no
/// sample can miss it.
#[cfg(target_os = "linux")]
#[test]
fn frames_of_16_mib_on_100_connections_against_the_mio_server_in_at_most_64_mib_more() {
    const BUDGET: u64 = 64 << 20;
    let _alone = alone();
    let srv = default_server(Model::NON_BLOCKING);
    let addr = srv.local_addr().to_string();
    for model in Model::CLIENTS {
        let small = peak_of_load(model.name(), &addr, "64");
        let large = peak_of_load(model.name(), &addr, &DEFAULT_MAX_FRAME.to_string());
        let grown = large.saturating_sub(small);
        assert!(
            grown <= BUDGET,
            "{model}: 16 MiB frames peaked at {} MiB, 64 B frames at {} MiB: {} MiB more",
            large >> 20,
            small >> 20,
            grown >> 20
        );
    }
}

/// Runs `sockmodes load` (100 connections of `size`-byte echo frames) in a
/// child process, requires every connection served and none failed, and
/// returns the child's peak resident memory in bytes.
#[cfg(target_os = "linux")]
#[allow(clippy::zombie_processes)] // reaped by `wait4`, which also tells its peak
fn peak_of_load(model: &str, addr: &str, size: &str) -> u64 {
    use std::io::Read;
    use std::process::{Command, Stdio};

    let mut child = Command::new(util::cli::BIN)
        .args(["load", "--mode", model, "--addr", addr, "--size", size])
        .args(["--connections", "100", "--duration", "0.5", "--warmup", "0"])
        .args(["--warmup-cap", "600", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("sockmodes load starts");
    let mut json = String::new();
    child
        .stdout
        .take()
        .expect("piped")
        .read_to_string(&mut json)
        .expect("its report");
    let pid = i32::try_from(child.id()).expect("a pid");
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: our own child, reaped here (not by `Child::wait`), and
    // pointers to two locals that outlive the call.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4: {}", std::io::Error::last_os_error());
    // 1: no answer landed in the half-second window (a 16 MiB round trip
    // through a debug build takes longer); `ended` says whether all came.
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) <= 1,
        "{model} --size {size}: status {status}"
    );
    let r: serde_json::Value = serde_json::from_str(&json).expect("one JSON object");
    let what = format!(
        "{model} --size {size}: {}, ramp {}, kernel's TCP memory {}",
        r["ended"], r["ramp"], r["kernel_tcp"]
    );
    assert_eq!(r["ended"]["served"], 100, "{what}");
    assert_eq!(r["ramp"]["never_answered"], 0, "{what}");
    assert_eq!(r["errors"], 0, "{what}");
    // ru_maxrss is in KiB on Linux.
    u64::try_from(usage.ru_maxrss).expect("a size") * 1024
}
