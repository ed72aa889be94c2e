//! The `sockmodes` command's forms, run as a user runs them: the built binary,
//! servers on port 0.

use std::io::Read;
use std::process::Output;
use std::thread;
use std::time::Duration;

mod util;

use sockmodes_models::child::ServerProcess;
use util::cli::{
    client_ok, client_with_timeout, short_load, silent_listener, sockmodes, sockmodes_ok,
    start_server,
};

#[track_caller]
fn assert_one_clear_error(out: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "should fail: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("backtrace"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(needle), "expected {needle:?} in {stderr}");
}

#[test]
fn message_reaches_stdout_in_every_model() {
    for m in sockmodes_models::Model::servers() {
        let model = m.name();
        let mut server = start_server(&["--mode", model, "--once"]);
        // A model without a client here is talked to by the non-blocking one.
        let client_model = if m.has_client() { model } else { "nonblocking" };
        let stdout = client_ok(
            server.addr,
            &["--mode", client_model, "message", "Hola, servidor!"],
        );
        assert!(stdout.contains("sent 15 bytes"));
        let status = server.child.wait().unwrap();
        assert!(status.success(), "--once exits cleanly");
        let mut stdout = String::new();
        server
            .child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .unwrap();
        assert_eq!(stdout, "Hola, servidor!\n", "{model}");
    }
}

/// What a classmate could send to a lab server: red text, a new window
/// title, a bell and a NUL.
const HOSTILE: &[u8] = b"hola \x1b[31mROJO\x1b]0;titulo\x07 \x00 fin";

#[test]
fn a_message_with_control_bytes_is_shown_escaped_never_raw() {
    for m in sockmodes_models::Model::servers() {
        let model = m.name();
        let mut server = start_server(&["--mode", model, "--once"]);
        let mut client = std::net::TcpStream::connect(server.addr).unwrap();
        std::io::Write::write_all(&mut client, HOSTILE).unwrap();
        client.shutdown(std::net::Shutdown::Write).unwrap();
        // The server's close: it has taken the message.
        let _ = client.read_to_end(&mut Vec::new());
        assert!(server.child.wait().unwrap().success(), "{model}");
        let mut stdout = Vec::new();
        server
            .child
            .stdout
            .take()
            .unwrap()
            .read_to_end(&mut stdout)
            .unwrap();
        for control in [0x1b, 0x07, 0x00] {
            assert!(
                !stdout.contains(&control),
                "{model}: byte {control:#04x} reached stdout raw: {stdout:?}"
            );
        }
        assert_eq!(
            String::from_utf8(stdout).unwrap(),
            "hola \\x1b[31mROJO\\x1b]0;titulo\\x07 \\x00 fin\n",
            "{model}"
        );
    }
}

#[test]
fn echo_and_sink_verify_in_every_model() {
    for model in sockmodes_models::Model::servers().iter().map(|m| m.name()) {
        let echo = start_server(&["--mode", model, "--service", "echo"]);
        for client_model in sockmodes_models::Model::CLIENTS.map(|m| m.name()) {
            let stdout = client_ok(
                echo.addr,
                &[
                    "--mode",
                    client_model,
                    "echo",
                    "--size",
                    "70000",
                    "--count",
                    "5",
                ],
            );
            assert!(stdout.contains("came back intact"));
        }
        let status = echo.terminate().unwrap();
        if ServerProcess::TERMINATE_IS_GRACEFUL {
            assert!(status.success(), "SIGTERM shuts down gracefully");
        }

        let sink = start_server(&["--mode", model, "--service", "sink"]);
        let stdout = client_ok(sink.addr, &["sink", "--size", "1000", "--count", "7"]);
        assert!(stdout.contains("counted 7 frames, 7000 bytes"), "{stdout}");
        let file = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
        let len = std::fs::metadata(file).unwrap().len();
        let stdout = client_ok(sink.addr, &["sink", "--size", "100", "--file", file]);
        assert!(stdout.contains(&format!("{len} bytes")));
        sink.terminate().unwrap();
    }
}

#[test]
fn load_json_in_every_model() {
    let fields = [
        "mode",
        "service",
        "connections",
        "duration_s",
        "messages",
        "messages_per_s",
        "bytes_per_s",
        "p50_us",
        "p90_us",
        "p99_us",
        "p999_us",
        "max_us",
        "errors",
    ];
    // The thirteen above keep their names and meaning; every field is
    // listed, with its type, beside the schema's version.
    let mut want: Vec<&str> = util::json_schema::FIELDS
        .iter()
        .map(|f| f.split(['.', '[', ':']).next().unwrap())
        .collect();
    want.sort_unstable();
    want.dedup();
    assert!(fields.iter().all(|f| want.contains(f)));
    for server_model in sockmodes_models::Model::servers().iter().map(|m| m.name()) {
        for (service, extra) in [("echo", vec![]), ("sink", vec!["--size", "4096"])] {
            let server = start_server(&["--mode", server_model, "--service", service]);
            for model in sockmodes_models::Model::CLIENTS.map(|m| m.name()) {
                let mut args = vec![
                    "load",
                    "--mode",
                    model,
                    "--service",
                    service,
                    "--connections",
                    "4",
                    "--duration",
                    "0.5",
                    "--warmup",
                    "0.2",
                    "--json",
                ];
                let addr = server.addr.to_string();
                args.extend(["--addr", &addr]);
                args.extend(extra.iter().copied());
                let stdout = sockmodes_ok(&args);
                let v: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON object");
                let obj = v.as_object().unwrap();
                let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
                keys.sort_unstable();
                assert_eq!(keys, want, "exactly the documented fields");
                assert_eq!(obj["schema_version"], sockmodes_loadgen::SCHEMA_VERSION);
                for number in &fields[3..] {
                    assert!(obj[*number].is_number(), "{number} is a number: {v}");
                }
                assert_eq!(obj["mode"], model);
                assert_eq!(obj["service"], service);
                assert!(obj["messages"].as_u64().unwrap() > 0, "{v}");
                assert_eq!(obj["errors"].as_u64(), Some(0), "{v}");
                assert!(obj["bytes_per_s"].as_f64().unwrap() > 0.0, "{v}");
                // Every connection served: none starved, all answered once.
                assert_eq!(obj["fairness"]["starved"], 0, "{v}");
                assert_eq!(obj["ramp"]["never_answered"], 0, "{v}");
                assert_eq!(obj["unanswered"], 0, "{v}");
            }
            server.terminate().unwrap();
        }
    }
}

/// `sockmodes load --mode MODE --addr ADDR --connections 4 --warmup 0 --json
/// EXTRA...`, required to succeed; its JSON.
#[track_caller]
fn load_json(model: &str, addr: std::net::SocketAddr, extra: &[&str]) -> serde_json::Value {
    let addr = addr.to_string();
    let mut args = vec!["load", "--mode", model, "--addr", &addr];
    args.extend(["--connections", "4", "--warmup", "0", "--json"]);
    args.extend(extra);
    serde_json::from_str(&sockmodes_ok(&args)).expect("one JSON object")
}

#[test]
fn load_on_the_servers_machine_says_so_once_and_records_the_placement() {
    let server = start_server(&["--service", "echo"]);
    let addr = server.addr.to_string();
    for model in sockmodes_models::Model::CLIENTS.map(|m| m.name()) {
        let mut args = short_load(&addr);
        args.extend(["--mode", model, "--json"]);
        let out = sockmodes(&args);
        assert!(out.status.success(), "{out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let notes = stderr
            .lines()
            .filter(|l| l.contains("the server is on this machine"))
            .count();
        assert_eq!(notes, 1, "{model}: the note once: {stderr}");
        assert!(stderr.contains("not of the server alone"), "{stderr}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
        let p = &v["placement"];
        assert_eq!(p["same_machine"], true, "{v}");
        assert_eq!(p["why"], "loopback address", "{v}");
        for side in ["client", "server"] {
            let cores = &p[side];
            assert!(
                cores == "unpinned" || cores == "unknown" || cores["pinned"].is_array(),
                "{side}: {cores}"
            );
        }
        if cfg!(target_os = "linux") {
            assert_eq!(
                p["server_pid"].as_u64(),
                Some(u64::from(server.pid())),
                "{v}"
            );
            assert_ne!(p["client"], "unknown", "{v}");
        }
    }
    server.terminate().unwrap();
}

#[test]
fn open_loop_load_runs_at_the_rate() {
    let server = start_server(&["--service", "echo"]);
    for model in sockmodes_models::Model::CLIENTS.map(|m| m.name()) {
        let v = load_json(model, server.addr, &["--duration", "1", "--rate", "400"]);
        // The schedule fixes the count: 400/s for 1 s are due in the window.
        // How many of them `messages` holds depends on timing (answers due
        // at its end arrive after it; those due in the warm-up may arrive
        // inside it), so the test checks the account that holds at any
        // speed: each due send is answered in the window, answered after
        // it, unanswered, or never sent.
        let n = |k: &str| v[k].as_u64().unwrap_or_else(|| panic!("{k}: {v}"));
        let due = n("messages") - n("carried_in")
            + n("answered_after_window")
            + n("unanswered")
            + n("unsent");
        assert_eq!(due, 400, "{model}: {v}");
        // An echo server on loopback answers every send, and 100 sends a
        // second per connection is far below any client's pace: a client
        // that could not make half of them is broken, not slow.
        assert_eq!(n("unanswered"), 0, "{model}: {v}");
        assert!(n("unsent") <= 200, "{model}: {v}");
    }
    server.terminate().unwrap();
}

#[test]
fn hdr_log_decodes_to_the_json_figures() {
    let server = start_server(&["--mode", "nonblocking", "--service", "echo"]);
    let dir = std::env::temp_dir().join(format!("sockmodes-hdrlog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for model in sockmodes_models::Model::CLIENTS.map(|m| m.name()) {
        let log = dir.join(format!("{model}.hlog"));
        let log_arg = log.to_str().unwrap();
        let v = load_json(
            model,
            server.addr,
            &["--duration", "1.5", "--hdr-log", log_arg],
        );
        let text = std::fs::read(&log).unwrap();
        let log_total = sockmodes_loadgen::hdrlog::read_log(&text).expect("the log decodes");
        let (total, tags) = (log_total.histogram, log_total.tags);
        assert_eq!(tags, vec![format!("{model}-echo")]);
        // The histograms hold the window's messages: every answer that
        // arrived inside it, those carried in from the warm-up included.
        assert_eq!(Some(total.len()), v["messages"].as_u64(), "{v}");
        assert!(!total.is_empty());
        assert_eq!(
            total.value_at_quantile(0.5) as f64,
            v["p50_us"].as_f64().unwrap()
        );
        assert_eq!(total.max() as f64, v["max_us"].as_f64().unwrap());
        let intervals = String::from_utf8(text)
            .unwrap()
            .lines()
            .filter(|l| l.starts_with("Tag="))
            .count();
        assert!(
            (2..=3).contains(&intervals),
            "one interval a second: {intervals}"
        );
    }
    let out = sockmodes(&[
        "load",
        "--addr",
        &server.addr.to_string(),
        "--hdr-log",
        "/nonexistent-dir/x.hlog",
    ]);
    assert_eq!(out.status.code(), Some(2), "refused before the run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot create the HdrHistogram log"), "{err}");
    server.terminate().unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn refused_bad_address_and_address_in_use_are_one_clear_line() {
    let (_reserved, closed) = sockmodes_os::net::unlistened_port().unwrap();
    let closed = closed.to_string();
    for model in sockmodes_models::Model::CLIENTS.map(|m| m.name()) {
        let out = sockmodes(&[
            "client", "--mode", model, "--addr", &closed, "message", "hola",
        ]);
        assert_one_clear_error(&out, "ConnectionRefusedError");
        assert!(String::from_utf8_lossy(&out.stderr).contains("is the server running?"));
        assert!(String::from_utf8_lossy(&out.stderr).contains(&closed));
    }
    let out = sockmodes(&["client", "--addr", "not-an-address", "message", "hola"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("HOST:PORT") && !stderr.contains("panicked"),
        "{stderr}"
    );

    let server = start_server(&[]);
    for model in sockmodes_models::Model::servers().iter().map(|m| m.name()) {
        let out = sockmodes(&[
            "server",
            "--mode",
            model,
            "--addr",
            &server.addr.to_string(),
        ]);
        assert_one_clear_error(&out, "already in use");
    }
    server.terminate().unwrap();
}

/// A server whose accept queue stays full never finishes a handshake:
/// every load engine gives up after its connect wait with the same error
/// (exit 1), rather than waiting out the kernel's SYN retries.
#[cfg(target_os = "linux")]
#[test]
fn load_against_a_full_accept_queue_says_no_handshake_finished() {
    let (_listener, addr, _filling) = util::cli::full_listener();
    // The engines in parallel: each waits its whole connect wait. Each
    // asks for a log, which a failed run must not leave behind.
    let log = |model: &str| {
        std::env::temp_dir().join(format!(
            "sockmodes-full-queue-{model}-{}.hlog",
            std::process::id()
        ))
    };
    let runs: Vec<_> = sockmodes_models::Model::CLIENTS
        .map(|m| {
            let (addr, log) = (addr.clone(), log(m.name()));
            thread::spawn(move || {
                let mut args = short_load(&addr);
                args.extend(["--mode", m.name(), "--hdr-log", log.to_str().unwrap()]);
                (m.name(), sockmodes(&args))
            })
        })
        .into_iter()
        .collect();
    for run in runs {
        let (model, out) = run.join().unwrap();
        assert!(!log(model).exists(), "{model}: a failed run left its log");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{model}: {stderr}");
        assert!(!stderr.contains("panicked"), "{model}: {stderr}");
        let errors: Vec<&str> = stderr.lines().filter(|l| l.contains("error")).collect();
        assert_eq!(
            errors,
            [
                "sockmodes: error: no connection could be made: no handshake finished in time \
              (is the server's accept queue full?)"
            ],
            "{model}: {stderr}"
        );
    }
}

#[test]
fn timeout_and_oversized_frames_are_one_clear_line() {
    let (_silent, addr) = silent_listener();
    for model in sockmodes_models::Model::CLIENTS.map(|m| m.name()) {
        let out = client_with_timeout(model, &addr, "0.3", &["echo"]);
        assert_one_clear_error(&out, "TimeoutError");
    }
    let out = sockmodes(&["client", "--addr", &addr, "echo", "--size", "20000000"]);
    assert_one_clear_error(&out, "exceeds the frame limit");
    thread::sleep(Duration::from_millis(10));
}

/// `kill -USR1` makes every server print its counters; the system calls
/// grow with the traffic.
#[cfg(unix)]
#[test]
fn usr1_prints_the_counters_and_system_calls_grow_with_traffic() {
    for m in sockmodes_models::Model::servers() {
        let server = start_server(&["--mode", m.name(), "--service", "echo"]);
        let reader = server.counter_reader();
        let before = reader.read().expect("a counters line");
        assert_eq!(before.accepted, 0, "{m}");
        client_ok(
            server.addr,
            &["--mode", "nonblocking", "echo", "--count", "50"],
        );
        let after = reader.read().expect("a counters line");
        assert_eq!(after.accepted, 1, "{m}");
        assert!(
            after.syscalls > before.syscalls,
            "{m}: {before:?} -> {after:?}"
        );
        server.terminate().unwrap();
    }
}

/// A `kill -USR1` that comes while a server is still starting (here with
/// work to set up) is held for the counters thread, never fatal: SIGUSR1
/// is blocked first thing in `main`, before any thread. The signals start
/// as soon as the main thread shows SIGUSR1 blocked, every 200 µs until
/// the server listens: a thread started before the block (which would
/// take the signal and die of it), or code that unblocks it, fails this.
/// The Rust runtime's own start, before `main`, cannot block anything; on
/// this machine it takes 0.1-0.2 ms between ignoring SIGPIPE and `main`,
/// so a test that signalled from the runtime's start would test the
/// runtime, not the server.
#[cfg(target_os = "linux")]
#[test]
fn usr1_while_the_server_starts_is_never_fatal() {
    for model in sockmodes_models::Model::servers() {
        if let Err(death) = signalled_while_starting(model.name()) {
            panic!("{model}: {death}");
        }
    }
}

/// Starts a server, signals it until it listens; the death if it died.
#[cfg(target_os = "linux")]
fn signalled_while_starting(model: &str) -> Result<(), String> {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let mut child = Command::new(util::cli::BIN)
        .args(["server", "--mode", model, "--service", "echo"])
        .args(["--work", "cpu:1ms", "--addr", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let status = format!("/proc/{pid}/status");
    let exe = format!("/proc/{pid}/exe");
    let bin = std::fs::canonicalize(util::cli::BIN).unwrap();
    // Our binary (before the exec, the child still has the test's mask),
    // and bit 10 of the main thread's SigBlk: SIGUSR1, blocked by `main`.
    let usr1_blocked = || {
        std::fs::read_link(&exe).is_ok_and(|p| p == bin)
            && std::fs::read_to_string(&status)
                .ok()
                .and_then(|s| {
                    let hex = s.lines().find(|l| l.starts_with("SigBlk:"))?[7..].trim();
                    u64::from_str_radix(hex, 16).ok()
                })
                .is_some_and(|blocked| blocked & (1 << (libc::SIGUSR1 - 1)) != 0)
    };
    while !usr1_blocked() {
        assert!(child.try_wait().unwrap().is_none(), "{model}: exited");
    }
    let listening = Arc::new(AtomicBool::new(false));
    let stderr = child.stderr.take().unwrap();
    let seen = Arc::clone(&listening);
    let reader = thread::spawn(move || {
        let mut text = String::new();
        for line in std::io::BufReader::new(stderr).lines() {
            let line = line.unwrap_or_default();
            if line.contains("listening on") {
                seen.store(true, Ordering::Release);
            }
            text.push_str(&line);
            text.push('\n');
        }
        text
    });
    let mut sent = 0;
    while !listening.load(Ordering::Acquire) {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        // SAFETY: kill only sends a signal to our child.
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGUSR1) };
        sent += 1;
        thread::sleep(Duration::from_micros(200));
    }
    let alive = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let status = child.wait().unwrap();
    let text = reader.join().unwrap();
    if alive {
        Ok(())
    } else {
        Err(format!(
            "died after {sent} SIGUSR1 while starting ({status}): {text}"
        ))
    }
}

/// Results go to stdout through a writer that reports its failure: a full
/// disk is one line and exit 1, never a panic; a reader that closed the
/// pipe ends the command quietly (exit 0), as Unix tools take it.
#[cfg(target_os = "linux")]
#[test]
fn a_full_or_closed_stdout_is_one_line_or_the_quiet_end_never_a_panic() {
    use std::process::Command;
    let server = start_server(&["--service", "echo"]);
    let addr = server.addr.to_string();
    let client = ["client", "--addr", &addr, "echo", "--count", "3"];
    let load = short_load(&addr);
    for (args, what) in [(&client[..], "the result"), (&load[..], "the figures")] {
        util::cli::fails_in_one_line_on_a_full_stdout(args, what);
        // A pipe whose reader is gone before anything is written.
        let stderr =
            util::cli::ends_quietly_on_a_closed_stdout(Command::new(util::cli::BIN).args(args));
        assert!(!stderr.contains("error"), "{stderr}");
    }
    server.terminate().unwrap();
}

/// `--hdr-log` never overwrites a file (or a symlink's target) unless
/// told to with `--overwrite`, and then only with a run (one that failed
/// leaves it as it was); a log that cannot be written loses no figure:
/// the figures are printed first, then the failure, exit 1.
#[cfg(target_os = "linux")]
#[test]
fn hdr_log_keeps_existing_files_and_a_failed_log_keeps_the_figures() {
    let dir = std::env::temp_dir().join(format!("sockmodes-hdr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let existing = dir.join("kept.hlog");
    std::fs::write(&existing, "precious").unwrap();
    let link = dir.join("link.hlog");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&existing, &link).unwrap();
    let server = start_server(&["--service", "echo"]);
    let addr = server.addr.to_string();
    let run = |log: &str, extra: &[&str]| {
        let mut args = short_load(&addr);
        args.extend(["--hdr-log", log]);
        args.extend_from_slice(extra);
        util::cli::sockmodes(&args)
    };
    for path in [&existing, &link] {
        let out = run(path.to_str().unwrap(), &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("--overwrite"), "{stderr}");
        assert!(out.stdout.is_empty(), "refused before the run");
    }
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "precious");
    let (_held, nowhere) = sockmodes_os::net::unlistened_port().expect("a free port");
    let nowhere = nowhere.to_string();
    let mut failed = short_load(&nowhere);
    failed.extend(["--hdr-log", existing.to_str().unwrap(), "--overwrite"]);
    let out = util::cli::sockmodes(&failed);
    assert_eq!(out.status.code(), Some(1), "a refused run fails");
    assert_eq!(
        std::fs::read_to_string(&existing).unwrap(),
        "precious",
        "a failed run replaces nothing"
    );
    let out = run("/dev/full", &["--overwrite"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stdout.contains("messages/s"), "the figures: {stdout}");
    assert!(stderr.contains("the figures are above"), "{stderr}");
    let out = run(link.to_str().unwrap(), &["--overwrite"]);
    assert!(out.status.success());
    assert_ne!(std::fs::read_to_string(&existing).unwrap(), "precious");
    server.terminate().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
