//! Impossible inputs, refused: every size, limit, time and count the
//! command cannot honour is one line on stderr and exit status 2, with no
//! panic, before anything is allocated or connected.
//!
//! "Before connecting" is what these tests can see from outside: clients
//! and load runs are pointed at a port where nothing listens, so an input
//! that got past the checks would end in ConnectionRefusedError (exit 1)
//! instead; servers are pointed at an address already in use, so one that
//! got past would end in "already in use" (exit 1), never run on.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use sockmodes_models::child::ServerProcess;

mod util;

use util::cli::{client_ok, client_to, client_with_timeout, silent_listener, sockmodes, BIN};

/// Exit 2, one line naming `needle`, no panic, and not the error of a
/// run that went ahead (`not`).
#[track_caller]
fn assert_refused(args: &[&str], needle: &str, not: &str) {
    let out = sockmodes(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    assert_eq!(
        stderr.trim().lines().count(),
        1,
        "{args:?}: one line: {stderr}"
    );
    assert!(
        stderr.starts_with("sockmodes: error: "),
        "{args:?}: {stderr}"
    );
    assert!(
        stderr.contains(needle),
        "{args:?}: expected {needle:?} in {stderr}"
    );
    assert!(!stderr.contains(not), "{args:?}: went ahead: {stderr}");
    assert!(out.stdout.is_empty(), "{args:?}: printed a result");
}

/// `assert_refused` for `command` followed by each case's arguments, each
/// naming its needle.
#[track_caller]
fn assert_each_refused(command: &[&str], cases: &[(&[&str], &str)], not: &str) {
    for (extra, needle) in cases {
        let mut args = command.to_vec();
        args.extend_from_slice(extra);
        assert_refused(&args, needle, not);
    }
}

/// A server's arguments after `server`: on `addr`, non-blocking, echo, its
/// work (1 ms of blocking) offloaded to `workers` threads.
fn offloading<'a>(addr: &'a str, workers: &'a str) -> [&'a str; 10] {
    [
        "--addr",
        addr,
        "--mode",
        "nonblocking",
        "--service",
        "echo",
        "--work",
        "block:1ms",
        "--offload",
        workers,
    ]
}

/// A port where nothing listens, held for the test's length.
fn nowhere() -> (impl Sized, String) {
    let (held, addr) = sockmodes_os::net::unlistened_port().expect("a free port");
    (held, addr.to_string())
}

/// True where the command checks sizes against the machine's memory.
fn memory_known() -> bool {
    sockmodes_os::procfs::physical_memory().is_ok()
}

const REFUSED: &str = "ConnectionRefusedError";
const IN_USE: &str = "already in use";
const FRAME: &str = "32 bits";

#[test]
fn sizes_past_the_32_bit_length_or_the_machine_are_refused_before_connecting() {
    let (_held, addr) = nowhere();
    let a = addr.as_str();
    for args in [
        &["load", "--addr", a, "--size", "4294967296"][..],
        &["load", "--addr", a, "--size", "99999999999"],
        &["load", "--addr", a, "--service", "sink", "--size", "5G"],
        &[
            "client",
            "--addr",
            a,
            "--max-frame",
            "99999999999",
            "sink",
            "--size",
            "4294967296",
        ],
        &[
            "client",
            "--addr",
            a,
            "--max-frame",
            "4294967296",
            "echo",
            "--size",
            "4294967296",
        ],
        &["client", "--addr", a, "--max-frame", "5G", "echo"],
        &[
            "client",
            "--addr",
            a,
            "--mode",
            "nonblocking",
            "echo",
            "--size",
            "4G",
        ],
    ] {
        assert_refused(args, FRAME, REFUSED);
    }
    assert_refused(
        &[
            "client",
            "--addr",
            a,
            "--max-frame",
            "1M",
            "echo",
            "--size",
            "2M",
        ],
        "exceeds the frame limit of 1048576 bytes",
        REFUSED,
    );
    assert_refused(
        &["client", "--addr", a, "sink", "--size", "0"],
        "uploads nothing",
        REFUSED,
    );
    assert_refused(
        &["client", "--addr", a, "--max-frame", "12X", "echo"],
        "K = 1024",
        REFUSED,
    );
    // A size the frame's length allows costs no memory per connection (the
    // client streams it): the run goes ahead, to a refused connect here.
    let out = sockmodes(&[
        "load",
        "--addr",
        a,
        "--size",
        "4000000000",
        "--connections",
        "2",
        "--duration",
        "0.1",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(REFUSED), "{stderr}");
    assert!(!stderr.contains("this machine's"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn times_rates_grids_and_counts_out_of_bounds_are_refused_before_connecting() {
    let (_held, addr) = nowhere();
    let a = addr.as_str();
    let cases: [(&[&str], &str); 15] = [
        (&["--duration=1e-9"], "between 0.1 and 3600 seconds"),
        (&["--duration", "0"], "between 0.1 and 3600 seconds"),
        (&["--duration", "1e9"], "between 0.1 and 3600 seconds"),
        (&["--warmup=-1"], "between 0 and 3600 seconds"),
        (&["--warmup-cap", "inf"], "between 0 and 3600 seconds"),
        (&["--rate", "0"], "above 0 and at most 100000000"),
        (&["--rate", "1e12"], "above 0 and at most 100000000"),
        (&["--rate", "NaN"], "above 0 and at most 100000000"),
        (&["--rate", "0.1"], "no message in the window"),
        (
            &["--rate", "100", "--send-grid", "99999999999"],
            "from 0 to 1000000",
        ),
        (
            &[
                "--rate",
                "100",
                "--duration",
                "0.5",
                "--send-grid",
                "900000",
            ],
            "longer than --duration",
        ),
        (&["--connections", "0"], "from 1 to 65535"),
        (&["--connections", "100000000"], "from 1 to 65535"),
        (&["--size", "lots"], "K = 1024"),
        (&["--duration", "soon"], "not a number of seconds"),
    ];
    assert_each_refused(&["load", "--addr", a], &cases, REFUSED);
}

#[test]
fn server_limits_out_of_bounds_are_refused_before_binding() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("a port");
    let addr = taken.local_addr().unwrap().to_string();
    let a = addr.as_str();
    let cases: [(&[&str], &str); 10] = [
        (
            &["--mode", "nonblocking", "--threads", "0"],
            "from 1 to 1024",
        ),
        (
            &["--mode", "nonblocking", "--threads", "100000"],
            "from 1 to 1024",
        ),
        (&["--max-conns", "0"], "at least 1"),
        (&["--max-frame", "5G"], FRAME),
        (&["--max-message", "0"], "at least 1 byte"),
        (&["--max-memory", "0"], "at least 1 byte"),
        (&["--idle-timeout", "0"], "positive number of seconds"),
        // Under a microsecond: a socket would take it as no timeout.
        (&["--idle-timeout", "1e-30"], "minimum of 0.000001 seconds"),
        // Threads times workers past any count: refused, not overflowed.
        (
            &[
                "--mode",
                "nonblocking",
                "--threads",
                "2",
                "--service",
                "echo",
                "--work",
                "cpu:1ms",
                "--offload",
                "9223372036854775808",
            ],
            "more threads than this system allows",
        ),
        // Not even one connection fits: said so, not "at most 0".
        (&["--max-memory", "1K"], "not even one connection fits"),
    ];
    assert_each_refused(&["server", "--addr", a], &cases, IN_USE);
    // The largest --max-conns is a warning of its worst case, then the
    // bind's own error: no overflow on the way.
    for model in ["blocking", "nonblocking"] {
        let args = [
            "server",
            "--addr",
            a,
            "--mode",
            model,
            "--max-conns",
            "18446744073709551615",
        ];
        let out = sockmodes(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(IN_USE), "{args:?}: {stderr}");
        assert!(!stderr.contains("17179869184"), "{args:?}: {stderr}");
    }
    // A worst case past any u64 (the sum saturated) reads as what it is,
    // never as the precise figure u64::MAX bytes would print as.
    let args = [
        "server",
        "--addr",
        a,
        "--mode",
        "nonblocking",
        "--max-conns",
        "18446744073709551615",
        "--max-memory",
        "1G",
    ];
    assert_refused(&args, "per connection = 16 EiB or more (", IN_USE);
    let out = sockmodes(&args);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("17179869184"));
    let out = sockmodes(&["server", "--addr", a, "--max-memory", "1K"]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("at most 0"));
    // Too little memory for the connections asked: how many would fit.
    assert_refused(
        &[
            "server",
            "--addr",
            a,
            "--service",
            "echo",
            "--max-memory",
            "100M",
        ],
        "lower --max-conns to at most",
        IN_USE,
    );
    // A --max-message past any machine: refused as such, not an overflow
    // in the sum of a connection's bound.
    for model in ["blocking", "nonblocking", "completion"] {
        assert_refused(
            &[
                "server",
                "--addr",
                a,
                "--mode",
                model,
                "--max-message",
                "18446744073709551615",
            ],
            "more bytes than any machine has",
            IN_USE,
        );
    }
    if memory_known() {
        // A connection that may hold a message of a million GiB.
        assert_refused(
            &["server", "--addr", a, "--max-message", "1000000G"],
            "one connection alone may need",
            IN_USE,
        );
    }
}

#[test]
fn byte_suffixes_are_accepted_alike_on_every_byte_option() {
    let server = ServerProcess::start(
        Path::new(BIN),
        &[
            "--service",
            "sink",
            "--max-frame",
            "1M",
            "--max-message",
            "100M",
            "--max-memory",
            "8G",
            "--max-conns",
            "10",
        ],
    )
    .expect("a server with K/M/G limits starts");
    let stdout = client_ok(
        server.addr,
        &["--max-frame", "1M", "sink", "--size", "64K", "--count", "2"],
    );
    assert!(stdout.contains("2 frames, 131072 bytes"), "{stdout}");
    server.terminate().unwrap();
}

#[test]
fn the_message_wait_is_the_one_asked_for_and_sink_to_echo_says_it_once() {
    // A listener that never accepts or closes: the close never comes.
    let (_silent, addr) = silent_listener();
    for model in sockmodes_models::Model::CLIENTS.map(|m| m.name()) {
        let out = client_with_timeout(model, &addr, "0.5", &["message", "hola"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        // No receipt is no success: the message may never be read.
        assert_eq!(out.status.code(), Some(1), "{model}: {stderr}");
        assert!(
            stderr.contains("did not close the connection within 0.5 s: it may not have read them"),
            "{model}: {stderr}"
        );
    }
    let echo = ServerProcess::start(Path::new(BIN), &["--service", "echo"]).unwrap();
    let out = client_to(echo.addr, &["sink", "--count", "1"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr.matches("must be 20 bytes").count(),
        1,
        "said once: {stderr}"
    );
    assert!(stderr.contains("is it a sink server?"), "{stderr}");
    echo.terminate().unwrap();
}

/// A `sockmodes server` on 127.0.0.1:0 whose stderr goes to a file in the
/// temporary directory, read as it grows.
struct LoggingServer {
    child: Child,
    log: PathBuf,
    model: &'static str,
}

impl LoggingServer {
    /// `sockmodes server --mode MODE --service echo --addr 127.0.0.1:0`
    /// with `extra` arguments, started by `start` (which may set the
    /// process up first); `what` names its log. Returns once the server
    /// says it listens, with the address.
    #[track_caller]
    fn start(
        what: &str,
        model: &'static str,
        extra: &[&str],
        start: impl FnOnce(&mut Command) -> Child,
    ) -> (LoggingServer, String) {
        let log = std::env::temp_dir().join(format!(
            "sockmodes-{what}-{}-{model}.log",
            std::process::id()
        ));
        let mut command = Command::new(BIN);
        command
            .args(["server", "--mode", model, "--service", "echo"])
            .args(["--addr", "127.0.0.1:0"])
            .args(extra)
            .stderr(std::fs::File::create(&log).unwrap());
        let mut server = LoggingServer {
            child: start(&mut command),
            log,
            model,
        };
        let addr = loop {
            if let Some(a) = server.text().split("listening on ").nth(1) {
                break a.split_whitespace().next().unwrap().to_string();
            }
            let running = server.child.try_wait().unwrap().is_none();
            assert!(running, "{model}: {}", server.text());
            std::thread::sleep(Duration::from_millis(20));
        };
        (server, addr)
    }

    fn text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Ends the server (then the `held` connections) and checks its
    /// `event` lines over the run since `started`: at least one, the first
    /// at once and then one per whole second at most, each later one
    /// saying `counted` (how many it left out). Removes the log.
    #[track_caller]
    fn assert_logged_once_a_second<T>(
        mut self,
        started: Instant,
        held: Vec<T>,
        (event, counted): (&str, &str),
    ) {
        let elapsed = started.elapsed();
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        drop(held);
        let (text, model) = (self.text(), self.model);
        let lines: Vec<&str> = text.lines().filter(|l| l.contains(event)).collect();
        assert!(!lines.is_empty(), "{model}: {event:?} was logged: {text}");
        assert!(
            lines.len() as u64 <= elapsed.as_secs() + 1,
            "{model}: {} lines in {elapsed:?}: {text}",
            lines.len()
        );
        assert!(
            lines.iter().skip(1).all(|l| l.contains(counted)),
            "{model}: later lines count what they left out: {text}"
        );
        let _ = std::fs::remove_file(&self.log);
    }
}

/// The line a server logs when accept runs out of descriptors, and what its
/// later lines say of the failures they left out.
#[cfg(target_os = "linux")]
const OUT_OF_DESCRIPTORS: (&str, &str) = (
    "out of resources",
    "more failure(s) since the last such line",
);

/// The line a server logs for a reset over `--max-conns`, and what its
/// later lines say of the resets they left out.
const OVER_THE_LIMIT: (&str, &str) = ("over the connection limit", "more since the last");

/// Every server, out of descriptors (an open-file limit of 40, 80
/// connections held open), logs "accept: out of resources" at most once a
/// second with the count of failures left out, not every 50 ms.
#[test]
#[cfg(target_os = "linux")]
fn accept_out_of_descriptors_is_logged_once_a_second_with_a_count() {
    use std::os::unix::process::CommandExt;
    for model in sockmodes_models::Model::servers().iter().map(|m| m.name()) {
        let (server, addr) = LoggingServer::start("emfile", model, &[], |command| {
            // SAFETY: setrlimit only, between fork and exec.
            unsafe {
                command.pre_exec(|| {
                    let lim = libc::rlimit {
                        rlim_cur: 40,
                        rlim_max: 40,
                    };
                    match libc::setrlimit(libc::RLIMIT_NOFILE, &lim) {
                        0 => Ok(()),
                        _ => Err(std::io::Error::last_os_error()),
                    }
                });
            }
            command.spawn().unwrap()
        });
        let started = Instant::now();
        let held: Vec<_> = (0..80)
            .filter_map(|_| std::net::TcpStream::connect(&addr).ok())
            .collect();
        std::thread::sleep(Duration::from_millis(2500));
        server.assert_logged_once_a_second(started, held, OUT_OF_DESCRIPTORS);
    }
}

/// Every server, flooded past `--max-conns`, logs the resets at most once
/// a second with the count left out, not one line per reset.
#[test]
fn resets_over_the_connection_limit_are_logged_once_a_second_with_a_count() {
    use std::io::Read;
    for model in sockmodes_models::Model::servers().iter().map(|m| m.name()) {
        let (server, addr) =
            LoggingServer::start("over-limit", model, &["--max-conns", "2"], |command| {
                command.spawn().unwrap()
            });
        let started = Instant::now();
        let mut held = Vec::new();
        for _ in 0..60 {
            if let Ok(mut s) = std::net::TcpStream::connect(&addr) {
                // Wait for the reset (or the end) of the ones over the limit.
                s.set_read_timeout(Some(std::time::Duration::from_millis(50)))
                    .unwrap();
                let _ = s.read(&mut [0u8; 1]);
                held.push(s);
            }
        }
        server.assert_logged_once_a_second(started, held, OVER_THE_LIMIT);
    }
}

/// Threads past what `vm.max_map_count` leaves (about four mappings a
/// thread) are refused before any starts, in one line: past them a
/// thread's start aborts the whole process inside Rust's runtime. Both
/// an offload pool and a thread-per-connection load; a blocking server's
/// --max-conns is lowered to fit, and says so.
#[cfg(target_os = "linux")]
#[test]
fn threads_past_the_mapping_limit_are_refused_before_any_starts() {
    let Some(maps) = sockmodes_os::limits::thread_limit_by_mappings() else {
        return;
    };
    let lowest = sockmodes_os::limits::thread_limit().unwrap();
    let over = (lowest.max + 100).to_string();
    let taken = TcpListener::bind("127.0.0.1:0").expect("a port");
    let addr = taken.local_addr().unwrap().to_string();
    let mut server = vec!["server"];
    server.extend(offloading(&addr, &over));
    assert_refused(&server, lowest.name, IN_USE);
    let (_held, nowhere) = nowhere();
    assert_refused(
        &[
            "load",
            "--addr",
            &nowhere,
            "--mode",
            "blocking",
            "--connections",
            &over,
        ],
        "a thread each, more than this system allows",
        REFUSED,
    );
    // A blocking server whose --max-conns would pass the limit serves
    // fewer, and says how many.
    let asked = (maps.max + 1000).to_string();
    let mut server = std::process::Command::new(BIN)
        .args(["server", "--addr", "127.0.0.1:0", "--max-conns", &asked])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut text = String::new();
    for line in std::io::BufRead::lines(std::io::BufReader::new(server.stderr.take().unwrap())) {
        let line = line.unwrap();
        text.push_str(&line);
        text.push('\n');
        if line.contains("listening on") {
            break;
        }
    }
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(text.contains("using --max-conns"), "{text}");
    assert!(!text.contains(&format!("worst case {asked} x")), "{text}");
}

/// The wording of a few refusals a hostile user met: each one line, exit 2.
#[test]
fn waits_addresses_negatives_and_empty_counts_are_refused_in_their_terms() {
    let (_held, addr) = nowhere();
    let a = addr.as_str();
    let taken = TcpListener::bind("127.0.0.1:0").expect("a port");
    let busy = taken.local_addr().unwrap().to_string();
    let b = busy.as_str();
    assert_each_refused(
        &["server"],
        &[
            (
                &["--addr", b, "--idle-timeout", "1e30"],
                "maximum of 86400 seconds",
            ),
            (&["--addr", "::1"], "missing port: write [::1]:PORT"),
            (&["--addr", b, "--max-conns", "-1"], "must be at least 1"),
            (&offloading(b, "-2"), "must be at least 1 worker"),
        ],
        IN_USE,
    );
    assert_each_refused(
        &["client", "--addr"],
        &[
            (
                &[a, "--timeout", "1e30", "echo"],
                "maximum of 86400 seconds",
            ),
            (&["[::1]", "echo"], "missing port: write [::1]:PORT"),
            (&[a, "--retry", "-1", "echo"], "must not be negative"),
            (&[a, "echo", "--count", "0"], "must be at least 1"),
            (&[a, "sink", "--count", "-2"], "must be at least 1"),
        ],
        REFUSED,
    );
    assert_each_refused(
        &["load", "--addr", a],
        &[
            (&["--rate", "1e-300"], "--rate 1e-300 over"),
            (&["--connections", "-1"], "from 1 to 65535"),
            (&["--size", "-1"], "must not be negative"),
        ],
        REFUSED,
    );
    let out = sockmodes(&["load", "--addr", a, "--rate", "1e-300"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).len() < 200,
        "no 300 digits"
    );
}

/// `client sink --file` and `demo --svg` try their paths first: one that
/// cannot be used is one line and exit 2 before anything connects or runs
/// (the client, pointed where nothing listens, never gets to the refusal;
/// the demo prints none of its steps and creates nothing).
#[test]
fn sink_file_and_svg_paths_that_cannot_be_used_are_refused_before_connecting_or_running() {
    let (_held, addr) = nowhere();
    let missing =
        std::env::temp_dir().join(format!("sockmodes-no-such-dir-{}", std::process::id()));
    let in_missing = missing.join("file").to_string_lossy().into_owned();
    let a_file = std::env::current_exe()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let a_dir = std::env::temp_dir().to_string_lossy().into_owned();
    for (file, why) in [
        (&in_missing, "cannot open it"),
        (&a_dir, "a directory, not a file"),
    ] {
        let args = ["client", "--addr", &addr, "sink", "--file", file];
        assert_refused(&args, &format!("sink --file {file}: {why}"), REFUSED);
    }
    let under_a_file = format!("{a_file}{}pics", std::path::MAIN_SEPARATOR);
    for (dir, why) in [
        (&under_a_file, "cannot create the directory"),
        (&a_file, "exists and is not a directory"),
    ] {
        let args = ["demo", "--fast", "--svg", dir];
        assert_refused(&args, &format!("--svg {dir}: {why}"), "Step 1");
    }
    assert!(
        !missing.exists(),
        "a refused run created {}",
        missing.display()
    );
}
