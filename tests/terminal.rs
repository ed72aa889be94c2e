//! Colour on a terminal, by the conventions: `NO_COLOR` (set and not
//! empty) turns it off, `CLICOLOR_FORCE` turns it on anywhere. The command
//! runs under a pseudo-terminal (util-linux's `script`), where it would
//! colour, and the test looks for the escape byte in what it wrote.

#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_sockmodes");
const ESC: u8 = 0x1b;

/// Long enough for a loaded machine; a hung command fails the test
/// instead of holding it. Not a measurement.
const PATIENCE: Duration = Duration::from_secs(300);

/// `script -qec 'COMMAND' /dev/null`: COMMAND on a new pseudo-terminal,
/// its output on `script`'s stdout. The colour variables are cleared, then
/// `env` set.
fn on_a_terminal(command: &str, env: &[(&str, &str)]) -> Command {
    let mut c = Command::new("script");
    c.args(["-qec", command, "/dev/null"])
        .env("TERM", "xterm-256color")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

fn spawn(mut c: Command) -> Child {
    c.spawn()
        .expect("util-linux's `script` runs (Debian: package bsdutils)")
}

/// `sockmodes demo --fast --lang en` on a terminal: everything it wrote.
fn demo(env: &[(&str, &str)]) -> Vec<u8> {
    let child = spawn(on_a_terminal(
        &format!("'{BIN}' demo --fast --lang en"),
        env,
    ));
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = rx
        .recv_timeout(PATIENCE)
        .expect("the demo ends")
        .expect("script ran");
    assert!(
        out.status.success(),
        "the demo failed: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Step 12"),
        "the whole demo ran: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    out.stdout
}

#[test]
fn the_demo_colours_a_terminal_unless_no_color_is_set_and_not_empty() {
    let coloured = demo(&[]);
    assert!(coloured.contains(&ESC), "colour on a terminal");
    // An empty NO_COLOR is not set (no-color.org).
    assert!(demo(&[("NO_COLOR", "")]).contains(&ESC));
    let plain = demo(&[("NO_COLOR", "1")]);
    assert!(
        !plain.contains(&ESC),
        "NO_COLOR=1: {}",
        String::from_utf8_lossy(&plain)
    );
}

/// `sockmodes server` on a terminal: it is sent one message (so it logs
/// one line through its logger), then SIGTERM; everything it wrote.
fn server(env: &[(&str, &str)]) -> String {
    // The shell prints its PID, then becomes the server.
    let mut child = spawn(on_a_terminal(
        &format!("echo pid $$; exec '{BIN}' server --addr 127.0.0.1:0"),
        env,
    ));
    let stdout = child.stdout.take().expect("piped");
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).split(b'\n') {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut all = Vec::new();
    let mut next = || {
        let line = rx.recv_timeout(PATIENCE).expect("the server writes");
        all.extend_from_slice(&line);
        all.push(b'\n');
        String::from_utf8_lossy(&line).trim().to_string()
    };
    let pid: i32 = next()
        .strip_prefix("pid ")
        .and_then(|p| p.parse().ok())
        .expect("the shell's PID");
    let addr: SocketAddr = loop {
        let line = next();
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest
                .split_whitespace()
                .next()
                .and_then(|a| a.parse().ok())
                .expect("an address");
        }
    };
    let mut s = TcpStream::connect(addr).expect("connect");
    s.write_all(b"hola").expect("send");
    s.shutdown(std::net::Shutdown::Write)
        .expect("end of message");
    let _ = s.read_to_end(&mut Vec::new());
    while !next().contains("message received") {}
    // SAFETY: kill(2) with a PID this test started and a plain signal.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0, "SIGTERM sent");
    while let Ok(line) = rx.recv_timeout(PATIENCE) {
        all.extend_from_slice(&line);
        all.push(b'\n');
    }
    let status = child.wait().expect("script ends");
    let text = String::from_utf8_lossy(&all).into_owned();
    assert!(status.success(), "the server stopped cleanly: {text}");
    assert!(text.contains("stop requested"), "{text}");
    text
}

#[test]
fn the_servers_log_colours_a_terminal_unless_no_color_is_set() {
    let coloured = server(&[]);
    assert!(
        coloured.contains('\x1b'),
        "colour on a terminal: {coloured}"
    );
    let plain = server(&[("NO_COLOR", "1")]);
    assert!(!plain.contains('\x1b'), "NO_COLOR=1: {plain:?}");
}

#[test]
fn clicolor_force_colours_the_log_even_into_a_pipe() {
    // Not a terminal: a bad --max-memory is refused before the server
    // starts, and the warning about --threads comes first, through the log.
    let run = |force: Option<&str>| {
        let mut c = Command::new(BIN);
        c.args([
            "server",
            "--addr",
            "127.0.0.1:0",
            "--threads",
            "2",
            "--max-memory",
            "1",
        ])
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("RUST_LOG");
        match force {
            Some(v) => c.env("CLICOLOR_FORCE", v),
            None => c.env_remove("CLICOLOR_FORCE"),
        };
        let out = c.output().expect("sockmodes runs");
        assert_eq!(out.status.code(), Some(2), "refused");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let piped = run(None);
    assert!(piped.contains("--threads applies"), "{piped}");
    assert!(!piped.contains('\x1b'), "no colour into a pipe: {piped:?}");
    let forced = run(Some("1"));
    assert!(forced.contains("--threads applies"), "{forced}");
    assert!(forced.contains('\x1b'), "CLICOLOR_FORCE=1: {forced:?}");
}
