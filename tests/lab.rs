//! The Python lab (`lab/`) against the Rust servers and clients: every
//! script talks to `sockmodes server` and `sockmodes client` in both modes,
//! so a student can mix them freely. Needs `python3` (every CI machine has
//! it); where there is none the tests say so on stderr. Under Wine they are
//! ignored: Wine runs the Windows .exe, and there is no Windows Python.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use sockmodes_models::child::ServerProcess;

fn python() -> Option<&'static str> {
    ["python3", "python"].into_iter().find(|p| {
        Command::new(p)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

fn lab(script: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("lab")
        .join(script)
}

fn sockmodes() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sockmodes"))
}

#[track_caller]
fn ok(out: Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what}: {:?}\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
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
        let mut child = Command::new(py)
            .arg(lab(script))
            .arg(port.to_string())
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python starts");
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
fn the_lab_servers_take_messages_from_sockmodes_clients_in_both_modes() {
    let Some(py) = python() else {
        eprintln!("no python3 here: the lab tests did not run");
        return;
    };
    for mode in sockmodes_models::IoMode::CLIENTS.map(|m| m.name()) {
        // servidor.py serves one connection, then ends.
        let mut one = PyServer::start(py, "servidor.py");
        let addr = format!("127.0.0.1:{}", one.port);
        let out = sockmodes()
            .args([
                "client",
                "--mode",
                mode,
                "--addr",
                &addr,
                "message",
                "Hola, servidor!",
            ])
            .output()
            .unwrap();
        ok(
            out,
            &format!("sockmodes client --mode {mode} to servidor.py"),
        );
        one.expect_line("Mensaje recibido: Hola, servidor!");
        for script in ["servidor_hilos.py", "servidor_selectors.py"] {
            let mut many = PyServer::start(py, script);
            let addr = format!("127.0.0.1:{}", many.port);
            for k in 0..3 {
                let text = format!("mensaje {k} de {mode}");
                let out = sockmodes()
                    .args(["client", "--mode", mode, "--addr", &addr, "message", &text])
                    .output()
                    .unwrap();
                ok(out, &format!("{mode} client to {script}"));
                many.expect_line(&text);
            }
        }
    }
}

#[test]
#[cfg_attr(windows, ignore = "no Python under Wine; runs on Linux and macOS")]
fn the_lab_clients_reach_sockmodes_servers_in_both_modes() {
    let Some(py) = python() else {
        eprintln!("no python3 here: the lab tests did not run");
        return;
    };
    let bin = Path::new(env!("CARGO_BIN_EXE_sockmodes"));
    for mode in sockmodes_models::IoMode::servers().iter().map(|m| m.name()) {
        let mut srv = ServerProcess::start(bin, &["--mode", mode]).expect("server starts");
        let port = srv.addr.port().to_string();
        let mut printed = BufReader::new(srv.child.stdout.take().expect("piped"));
        let mut next_message = || {
            let mut line = String::new();
            printed
                .read_line(&mut line)
                .expect("the server prints each message");
            line
        };
        let out = Command::new(py)
            .arg(lab("cliente.py"))
            .args([&port, "Hola, servidor!"])
            .output()
            .unwrap();
        assert!(ok(out, "cliente.py").contains("Mensaje enviado al servidor: Hola, servidor!"));
        assert_eq!(next_message().trim(), "Hola, servidor!", "{mode}");

        let out = Command::new(py)
            .arg(lab("cliente_lento.py"))
            .args([&port, "0.01", "byte a byte"])
            .output()
            .unwrap();
        ok(out, "cliente_lento.py");
        assert_eq!(
            next_message().trim(),
            "byte a byte",
            "{mode}: the pieces make one message"
        );

        let out = Command::new(py)
            .arg(lab("cliente_no_bloqueante.py"))
            .args([&port, "sin esperar"])
            .output()
            .unwrap();
        let said = ok(out, "cliente_no_bloqueante.py");
        assert!(said.contains("El servidor cerró"), "{mode}: {said}");
        assert!(said.contains("BlockingIOError"), "{mode}: {said}");
        assert_eq!(next_message().trim(), "sin esperar", "{mode}");
        let _ = srv.terminate();
    }
}

#[test]
#[cfg_attr(windows, ignore = "no Python under Wine; runs on Linux and macOS")]
fn the_lab_client_started_first_is_refused() {
    let Some(py) = python() else {
        eprintln!("no python3 here: the lab tests did not run");
        return;
    };
    let port = free_port().to_string();
    let out = Command::new(py)
        .arg(lab("cliente.py"))
        .arg(&port)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ConnectionRefusedError"), "{err}");
    // The non-blocking client learns it from select (the writable set on
    // Linux and macOS, the error set on Windows) and SO_ERROR.
    let out = Command::new(py)
        .arg(lab("cliente_no_bloqueante.py"))
        .arg(&port)
        .output()
        .unwrap();
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
    let Some(py) = python() else {
        eprintln!("no python3 here: the lab tests did not run");
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
fn ctrl_c_stops_servidor_py_while_it_waits_in_accept() {
    let Some(py) = python() else {
        eprintln!("no python3 here: the lab tests did not run");
        return;
    };
    let mut srv = PyServer::start(py, "servidor.py");
    // SAFETY: kill only sends SIGINT (Ctrl+C) to our own child.
    unsafe {
        libc::kill(srv.child.id() as i32, libc::SIGINT);
    }
    srv.expect_line("Servidor detenido");
    assert!(
        srv.child.wait().unwrap().success(),
        "a clean exit, no traceback"
    );
}

#[test]
#[cfg_attr(windows, ignore = "no Python under Wine; runs on Linux and macOS")]
fn the_asyncio_server_serves_every_client_whether_its_work_waits_blocks_or_goes_to_a_thread() {
    let Some(py) = python() else {
        eprintln!("no python3 here: the lab tests did not run");
        return;
    };
    for how in [&[][..], &["--bloquea"], &["--hilo"]] {
        let mut args = how.to_vec();
        args.extend(["--segundos", "0.05"]);
        let mut server = PyServer::start_with(py, "servidor_asyncio.py", &args);
        let addr = format!("127.0.0.1:{}", server.port);
        for mode in sockmodes_models::IoMode::CLIENTS.map(|m| m.name()) {
            let text = format!("Hola desde {mode}");
            let out = sockmodes()
                .args(["client", "--mode", mode, "--addr", &addr, "message", &text])
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
