//! The Python lab (`lab/`) against the Rust servers and clients: every
//! script talks to `sockmodes server` and `sockmodes client` in every model,
//! so a student can mix them freely. Needs `python3` (every CI machine has
//! it); where there is none the tests say so on stderr. Under Wine they are
//! ignored: Wine runs the Windows .exe, and there is no Windows Python.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use sockmodes_models::child::ServerProcess;

mod util;

use util::python::{ok, python_or_say};

fn lab(script: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("lab")
        .join(script)
}

/// `python lab/SCRIPT ARGS...`, run to its end.
#[track_caller]
fn run_lab(py: &str, script: &str, args: &[&str]) -> Output {
    Command::new(py)
        .arg(lab(script))
        .args(args)
        .output()
        .expect("python starts")
}

fn sockmodes() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sockmodes"))
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A lab server on a free port, once it says it listens; its stdout lines.
struct PyServer {
    child: Child,
    port: u16,
    lines: BufReader<std::process::ChildStdout>,
}

impl PyServer {
    fn start(py: &str, script: &str) -> PyServer {
        PyServer::start_with(py, script, &[])
    }

    /// The server with `extra` arguments after its port.
    fn start_with(py: &str, script: &str, extra: &[&str]) -> PyServer {
        let port = free_port();
        let mut command = Command::new(py);
        command
            .arg(lab(script))
            .arg(port.to_string())
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        // Ctrl+C as a terminal gives it: Python turns SIGINT into
        // KeyboardInterrupt only where SIGINT is not ignored at its start,
        // and a test run from a background job inherits it ignored.
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            // SAFETY: signal() is async-signal-safe, as pre_exec requires.
            unsafe {
                command.pre_exec(|| {
                    libc::signal(libc::SIGINT, libc::SIG_DFL);
                    Ok(())
                });
            }
        }
        let mut child = command.spawn().expect("python starts");
        let mut lines = BufReader::new(child.stdout.take().expect("piped"));
        let mut first = String::new();
        lines.read_line(&mut first).expect("a first line");
        assert!(first.contains("escuchando en"), "{script}: {first}");
        PyServer { child, port, lines }
    }

    /// The next line that contains `text` (panics at end of output).
    #[track_caller]
    fn expect_line(&mut self, text: &str) -> String {
        loop {
            let mut line = String::new();
            let n = self.lines.read_line(&mut line).expect("server output");
            assert!(n > 0, "the server ended before printing {text:?}");
            if line.contains(text) {
                return line;
            }
        }
    }
}

impl Drop for PyServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
#[cfg_attr(windows, ignore = "no Python under Wine; runs on Linux and macOS")]
fn the_lab_servers_take_messages_from_sockmodes_clients_in_every_model() {
    let Some(py) = python_or_say("the lab tests did not run") else {
        return;
    };
    for model in sockmodes_models::Model::CLIENTS.map(|m| m.name()) {
        // servidor.py serves one connection, then ends.
        let mut one = PyServer::start(py, "servidor.py");
        let addr = format!("127.0.0.1:{}", one.port);
        let out = sockmodes()
            .args([
                "client",
                "--mode",
                model,
                "--addr",
                &addr,
                "message",
                "Hola, servidor!",
            ])
            .output()
            .unwrap();
        ok(
            out,
            &format!("sockmodes client --mode {model} to servidor.py"),
        );
        one.expect_line("Mensaje recibido: Hola, servidor!");
        for script in ["servidor_hilos.py", "servidor_selectors.py"] {
            let mut many = PyServer::start(py, script);
            let addr = format!("127.0.0.1:{}", many.port);
            for k in 0..3 {
                let text = format!("mensaje {k} de {model}");
                let out = sockmodes()
                    .args(["client", "--mode", model, "--addr", &addr, "message", &text])
                    .output()
                    .unwrap();
                ok(out, &format!("{model} client to {script}"));
                many.expect_line(&text);
            }
        }
    }
}

#[test]
#[cfg_attr(windows, ignore = "no Python under Wine; runs on Linux and macOS")]
fn the_lab_clients_reach_sockmodes_servers_in_every_model() {
    let Some(py) = python_or_say("the lab tests did not run") else {
        return;
    };
    let bin = Path::new(env!("CARGO_BIN_EXE_sockmodes"));
    for model in sockmodes_models::Model::servers().iter().map(|m| m.name()) {
        let mut srv = ServerProcess::start(bin, &["--mode", model]).expect("server starts");
        let port = srv.addr.port().to_string();
        let mut printed = BufReader::new(srv.child.stdout.take().expect("piped"));
        let mut next_message = || {
            let mut line = String::new();
            printed
                .read_line(&mut line)
                .expect("the server prints each message");
            line
        };
        let out = run_lab(py, "cliente.py", &[&port, "Hola, servidor!"]);
        assert!(ok(out, "cliente.py").contains("Mensaje enviado al servidor: Hola, servidor!"));
        assert_eq!(next_message().trim(), "Hola, servidor!", "{model}");

        let out = run_lab(
            py,
            "cliente_lento.py",
            &[&port, "byte a byte", "--pausa", "0.01"],
        );
        ok(out, "cliente_lento.py");
        assert_eq!(
            next_message().trim(),
            "byte a byte",
            "{model}: the pieces make one message"
        );

        let out = run_lab(py, "cliente_no_bloqueante.py", &[&port, "sin esperar"]);
        let said = ok(out, "cliente_no_bloqueante.py");
        assert!(said.contains("El servidor cerró"), "{model}: {said}");
        assert!(said.contains("BlockingIOError"), "{model}: {said}");
        assert_eq!(next_message().trim(), "sin esperar", "{model}");
        let _ = srv.terminate();
    }
}

#[test]
#[cfg_attr(windows, ignore = "no Python under Wine; runs on Linux and macOS")]
fn the_lab_client_started_first_is_refused() {
    let Some(py) = python_or_say("the lab tests did not run") else {
        return;
    };
    let port = free_port().to_string();
    let out = run_lab(py, "cliente.py", &[&port]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ConnectionRefusedError"), "{err}");
    // The non-blocking client learns it from select (the writable set on
    // Linux and macOS, the error set on Windows) and SO_ERROR.
    let out = run_lab(py, "cliente_no_bloqueante.py", &[&port]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ConnectionRefusedError"), "{err}");
    assert!(!err.contains("TimeoutError"), "{err}");
}

/// What a classmate could send to a lab server: red text, a new window
/// title, a bell and a NUL.
const HOSTILE: &[u8] = b"hola \x1b[31mROJO\x1b]0;titulo\x07 \x00 fin";

#[test]
#[cfg_attr(windows, ignore = "no Python under Wine; runs on Linux and macOS")]
fn the_lab_servers_show_control_bytes_escaped_never_raw() {
    let Some(py) = python_or_say("the lab tests did not run") else {
        return;
    };
    for script in ["servidor.py", "servidor_hilos.py", "servidor_selectors.py"] {
        let mut srv = PyServer::start(py, script);
        let mut client = std::net::TcpStream::connect(("127.0.0.1", srv.port)).unwrap();
        client.write_all(HOSTILE).unwrap();
        client.shutdown(std::net::Shutdown::Write).unwrap();
        let line = srv.expect_line(" fin");
        for control in ['\x1b', '\x07', '\0'] {
            assert!(
                !line.contains(control),
                "{script}: {control:?} reached stdout raw: {line:?}"
            );
        }
        assert!(
            line.trim_end()
                .ends_with(r"hola \x1b[31mROJO\x1b]0;titulo\x07 \x00 fin"),
            "{script}: {line:?}"
        );
    }
}

#[test]
#[cfg(unix)]
fn ctrl_c_stops_every_lab_server_while_it_waits_in_accept() {
    let Some(py) = python_or_say("the lab tests did not run") else {
        return;
    };
    for script in SERVERS {
        let mut srv = PyServer::start(py, script);
        // SAFETY: kill only sends SIGINT (Ctrl+C) to our own child.
        unsafe {
            libc::kill(srv.child.id() as i32, libc::SIGINT);
        }
        srv.expect_line("Servidor detenido");
        assert!(
            srv.child.wait().unwrap().success(),
            "{script}: a clean exit, no traceback"
        );
    }
}

/// Every lab server: what each shows of a peer's bytes is the same
/// (`lab/mostrar.py`).
const SERVERS: [&str; 4] = [
    "servidor.py",
    "servidor_hilos.py",
    "servidor_selectors.py",
    "servidor_asyncio.py",
];

/// Sends `bytes` to the server on `port` and closes, from a thread: a server
/// that stops reading must not hang the test (the line it prints says it).
fn send_and_close(port: u16, bytes: Vec<u8>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let Ok(mut c) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
            return;
        };
        let _ = c.write_all(&bytes);
        let _ = c.shutdown(std::net::Shutdown::Write);
    })
}

/// The most a lab server's process may hold at its peak (VmHWM) after one
/// huge message: a Python interpreter with the server loaded takes about
/// 15 MiB here; a server that kept the message would need at least its size
/// (24 MiB) on top, twice that while joining or copying it.
#[cfg(target_os = "linux")]
const PEAK_KIB: u64 = 48 * 1024;

/// The process's peak resident memory, in KiB: VmHWM while it runs; once
/// it has ended (servidor.py ends after its one message), the peak the
/// kernel reports when it is reaped.
#[cfg(target_os = "linux")]
fn peak_kib(child: &mut Child) -> u64 {
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
    let running = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok());
    running.unwrap_or_else(|| {
        // A zombie has no memory left to show: reap it for its rusage.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let mut wstatus = 0;
        // SAFETY: waits for our own child, into locals that outlive the call.
        let pid = unsafe { libc::wait4(child.id() as i32, &mut wstatus, 0, &mut usage) };
        assert_eq!(pid, child.id() as i32, "wait4");
        usage.ru_maxrss as u64 // KiB on Linux
    })
}

#[test]
#[cfg_attr(windows, ignore = "no Python under Wine; runs on Linux and macOS")]
fn a_huge_message_is_shown_cut_and_counted_and_never_kept_whole() {
    let Some(py) = python_or_say("the lab tests did not run") else {
        return;
    };
    const SIZE: usize = 24 << 20;
    for script in SERVERS {
        let mut srv = PyServer::start(py, script);
        let sender = send_and_close(srv.port, vec![b'x'; SIZE]);
        let line = srv.expect_line("xxxx");
        sender.join().unwrap();
        #[cfg(target_os = "linux")]
        let peak = peak_kib(&mut srv.child);
        let shown = format!("{}… (+{} bytes)", "x".repeat(1024), SIZE - 1024);
        assert!(
            line.contains(&shown) && !line.contains(&format!("{shown}x")),
            "{script}: 1024 characters shown, the rest counted; got {} bytes: {}…",
            line.len(),
            &line[..line.len().min(120)]
        );
        assert!(line.len() < 1200, "{script}: a {}-byte line", line.len());
        #[cfg(target_os = "linux")]
        assert!(
            peak < PEAK_KIB,
            "{script}: peak {peak} KiB after a {} MiB message (at most {PEAK_KIB} KiB)",
            SIZE >> 20
        );
    }
}

#[test]
#[cfg_attr(windows, ignore = "no Python under Wine; runs on Linux and macOS")]
fn the_asyncio_server_serves_every_client_whether_its_work_waits_blocks_or_goes_to_a_thread() {
    let Some(py) = python_or_say("the lab tests did not run") else {
        return;
    };
    for how in [&[][..], &["--bloquea"], &["--hilo"]] {
        let mut args = how.to_vec();
        args.extend(["--segundos", "0.05"]);
        let mut server = PyServer::start_with(py, "servidor_asyncio.py", &args);
        let addr = format!("127.0.0.1:{}", server.port);
        for model in sockmodes_models::Model::CLIENTS.map(|m| m.name()) {
            let text = format!("Hola desde {model}");
            let out = sockmodes()
                .args(["client", "--mode", model, "--addr", &addr, "message", &text])
                .output()
                .unwrap();
            ok(out, "a sockmodes client to servidor_asyncio.py");
            let line = server.expect_line(&text);
            assert!(
                line.contains("s del arranque; trabajo: 0,"),
                "{how:?}: {line}"
            );
        }
    }
}

#[test]
#[cfg_attr(windows, ignore = "no Python under Wine; runs on Linux and macOS")]
fn a_literal_backslash_is_never_shown_as_the_control_it_spells() {
    let Some(py) = python_or_say("the lab tests did not run") else {
        return;
    };
    for script in SERVERS {
        for (sent, shown) in [
            (&b"texto \\x1b fin"[..], r"texto \\x1b fin"),
            (&b"real \x1b fin"[..], r"real \x1b fin"),
            (&b"C:\\dir fin"[..], r"C:\\dir fin"),
        ] {
            let mut srv = PyServer::start(py, script);
            send_and_close(srv.port, sent.to_vec()).join().unwrap();
            let line = srv.expect_line(" fin");
            assert!(
                line.contains(&format!(": {shown}")),
                "{script}: {sent:?} should show as {shown}: {line:?}"
            );
        }
    }
}

#[test]
#[cfg_attr(windows, ignore = "no Python under Wine; runs on Linux and macOS")]
fn bytes_the_console_cannot_write_never_stop_a_server() {
    let Some(py) = python_or_say("the lab tests did not run") else {
        return;
    };
    // Windows with stdout redirected writes cp1252: 漢字 has no cp1252 form.
    for script in SERVERS {
        let port = free_port();
        let mut child = Command::new(py)
            .arg(lab(script))
            .arg(port.to_string())
            .env("PYTHONIOENCODING", "cp1252")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python starts");
        let mut lines = BufReader::new(child.stdout.take().expect("piped"));
        // cp1252 is not UTF-8: read bytes, show them lossily.
        let mut next_line = || {
            let mut l = Vec::new();
            lines.read_until(b'\n', &mut l).unwrap();
            String::from_utf8_lossy(&l).into_owned()
        };
        let line = next_line();
        assert!(line.contains("escuchando en"), "{script}: {line}");
        send_and_close(port, "漢字 fin".as_bytes().to_vec())
            .join()
            .unwrap();
        let mut said = String::new();
        while !said.contains(" fin") {
            let l = next_line();
            if l.is_empty() {
                break;
            }
            said.push_str(&l);
        }
        assert!(
            said.contains(r"\u6f22\u5b57 fin"),
            "{script}: escaped for cp1252, not a crash: {said:?}"
        );
        if script != "servidor.py" {
            // Still serving: the next message is printed too.
            send_and_close(port, b"sigue fin".to_vec()).join().unwrap();
            let l = next_line();
            assert!(l.contains("sigue fin"), "{script}: {l:?}");
            let _ = child.kill();
        }
        let status = child.wait().unwrap();
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        assert!(!err.contains("Error"), "{script}: {err}");
        if script == "servidor.py" {
            assert!(status.success(), "servidor.py ends cleanly: {err}");
        }
    }
}

/// Every script the student runs, with what its `--help` must say.
const SCRIPTS: [(&str, &[&str]); 9] = [
    ("servidor.py", &["5050"]),
    ("servidor_hilos.py", &["5050"]),
    ("servidor_selectors.py", &["5050"]),
    (
        "servidor_asyncio.py",
        &["5050", "--bloquea", "--hilo", "--segundos"],
    ),
    ("cliente.py", &["5050", "Hola, servidor!"]),
    ("cliente_lento.py", &["5050", "--pausa", "por defecto, 1:"]),
    ("cliente_no_bloqueante.py", &["5050"]),
    ("conectar_no_bloqueante.py", &["5050"]),
    ("nagle.py", &["5050", "--veces", "--nagle"]),
];

#[test]
#[cfg_attr(windows, ignore = "no Python under Wine; runs on Linux and macOS")]
fn every_lab_script_explains_itself_with_help_and_names_its_default_port() {
    let Some(py) = python_or_say("the lab tests did not run") else {
        return;
    };
    for (script, says) in SCRIPTS {
        let out = run_lab(py, script, &["--help"]);
        let help = ok(out, &format!("{script} --help"));
        // argparse wraps help text: compare with the blanks made one space.
        let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(help.starts_with("usage:"), "{script}: {help}");
        for word in says {
            assert!(
                help.contains(word),
                "{script} --help lacks {word:?}: {help}"
            );
        }
        let out = run_lab(py, script, &["70000"]);
        assert_eq!(out.status.code(), Some(2), "{script} 70000: a usage error");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("el puerto va de 1 a 65535"), "{script}: {err}");
    }
    // Every script in lab/ is in the list (arranque.py and mostrar.py are modules).
    let mut found: Vec<String> = std::fs::read_dir(lab(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".py") && n != "arranque.py" && n != "mostrar.py")
        .collect();
    found.sort();
    let mut listed: Vec<String> = SCRIPTS.iter().map(|(s, _)| s.to_string()).collect();
    listed.sort();
    assert_eq!(found, listed);
}

#[test]
#[cfg(target_os = "linux")]
fn the_non_blocking_connect_shows_einprogress_then_learns_the_outcome_from_so_error() {
    let Some(py) = python_or_say("the lab tests did not run") else {
        return;
    };
    // Refused: nobody listens. connect() says "in progress", SO_ERROR says refused.
    let port = free_port().to_string();
    let out = run_lab(py, "conectar_no_bloqueante.py", &[&port]);
    let said = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains(
            "connect() lanzó BlockingIOError: errno 115 (EINPROGRESS: Operation now in progress)"
        ),
        "{said}"
    );
    assert!(
        said.contains("SO_ERROR = 111 (ECONNREFUSED: Connection refused)"),
        "{said}"
    );
    assert!(
        err.trim_end()
            .ends_with("ConnectionRefusedError: [Errno 111] ECONNREFUSED: Connection refused"),
        "{err}"
    );
    // Accepted: the same start, SO_ERROR 0, and the message arrives.
    let mut srv = PyServer::start(py, "servidor.py");
    let out = run_lab(
        py,
        "conectar_no_bloqueante.py",
        &[&srv.port.to_string(), "sin esperar"],
    );
    let said = ok(out, "conectar_no_bloqueante.py");
    assert!(said.contains("errno 115 (EINPROGRESS"), "{said}");
    assert!(said.contains("SO_ERROR = 0 (conectado)"), "{said}");
    assert!(
        said.contains("Mensaje enviado al servidor: sin esperar"),
        "{said}"
    );
    srv.expect_line("Mensaje recibido: sin esperar");
}

#[test]
#[cfg_attr(windows, ignore = "no Python under Wine; runs on Linux and macOS")]
fn nagle_py_listens_on_the_port_it_is_given() {
    let Some(py) = python_or_say("the lab tests did not run") else {
        return;
    };
    // Something already on the port: nagle.py must use THAT port, so it fails.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = run_lab(py, "nagle.py", &[&port, "--veces", "2"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Address already in use"));
    drop(taken);
    let out = run_lab(py, "nagle.py", &[&port, "--veces", "2"]);
    let said = ok(out, "nagle.py");
    assert!(
        said.contains("con Nagle (TCP_NODELAY=0): mediana "),
        "{said}"
    );
    assert!(
        said.contains("sin Nagle (TCP_NODELAY=1): mediana "),
        "{said}"
    );
}
