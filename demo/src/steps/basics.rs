//! Steps 1 to 4: one socket's calls. A refused connect, a recv that waits, a
//! recv that does not, and a recv with a timeout, each as the OS it runs on
//! really reports it.

use std::io::Read;
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use sockmodes_client::ClientError;
use sockmodes_common::Service;
use sockmodes_nonblocking::{Client, ClientDriver, ClientSettings, TryRecv};
use sockmodes_python::sys::code;
use sockmodes_python::{classify, PyException, SocketMode};

use super::{micros, millis, pair, server, step, Ctx, Step};
use sockmodes_models::Model;

pub fn refused(ctx: &Ctx) -> anyhow::Result<Step> {
    let lang = ctx.lang;
    let mut s = step(ctx, 1);
    let (_reserved, addr) = sockmodes_os::net::unlistened_port()?;
    let t = Instant::now();
    let Err(err) = TcpStream::connect(addr) else {
        anyhow::bail!("connected to {addr}, where nothing should listen");
    };
    let error = os_error(classify(&err, SocketMode::Blocking), err.raw_os_error());
    let took = micros(t.elapsed());
    s.observe(
        "std_connect",
        lang.fill("v.error_after", &[("error", &error), ("time", &took)]),
    );
    // Python's connect after setblocking(False): the OS's own answer.
    let (_socket, answer) = sockmodes_os::net::connect_nonblocking(addr)?;
    s.observe(
        "py_nb_connect",
        match answer {
            Err(e) => os_error(classify(&e, SocketMode::NonBlocking), e.raw_os_error()),
            Ok(()) => lang.t("v.connected_at_once").to_string(),
        },
    );
    let t = Instant::now();
    let mut nb = Client::connect_start(addr, &ClientSettings::default())?;
    s.observe("mio_connect", lang.t("v.in_progress").to_string());
    let event = nb.wait_writable(Duration::from_secs(5))?;
    let took = micros(t.elapsed());
    let wakeups = nb.wakeups();
    s.observe(
        "mio_poll",
        lang.fill(
            "v.event_after",
            &[("event", &event), ("time", &took), ("wakeups", &wakeups)],
        ),
    );
    let err = nb
        .try_finish_connect()
        .expect_err("refused, reported by take_error");
    let code = match &err {
        ClientError::Socket(s) => s.io.raw_os_error(),
        _ => None,
    };
    let name = err.exception().map_or("?", PyException::name);
    s.observe("mio_take_error", os_error(name, code));
    Ok(s)
}

/// "ConnectionRefusedError (os error 111)".
fn os_error(name: impl std::fmt::Display, code: Option<i32>) -> String {
    format!("{name} (os error {})", code.unwrap_or(0))
}

pub fn blocking_recv_waits(ctx: &Ctx) -> anyhow::Result<Step> {
    let mut s = step(ctx, 2);
    let (mut client, mut server) = pair()?;
    let delay = ctx.pace.peer_delay;
    let sender = thread::spawn(move || {
        thread::sleep(delay);
        std::io::Write::write_all(&mut server, b"hola")
    });
    let t = Instant::now();
    let mut buf = [0u8; 64];
    let n = client.read(&mut buf)?;
    let waited = millis(t.elapsed());
    sender.join().expect("sender thread")?;
    s.observe("peer_sent_after", millis(delay));
    let text = format!("{:?}", String::from_utf8_lossy(&buf[..n]));
    s.observe(
        "recv_returned",
        ctx.lang.fill(
            "v.bytes_after",
            &[("n", &n), ("text", &text), ("time", &waited)],
        ),
    );
    Ok(s)
}

pub fn nonblocking_recv_would_block(ctx: &Ctx) -> anyhow::Result<Step> {
    let lang = ctx.lang;
    let mut s = step(ctx, 3);
    let server = server(Model::NON_BLOCKING, Service::Echo)?;
    let mut nb = Client::connect(server.local_addr(), &ClientSettings::default())?;
    let mut buf = [0u8; 64];
    let t = Instant::now();
    let first = nb.try_recv(&mut buf)?;
    let took = micros(t.elapsed());
    s.observe(
        "try_recv",
        if first == TryRecv::WouldBlock {
            lang.fill("v.would_block_in", &[("time", &took)])
        } else {
            format!("{first:?}")
        },
    );
    thread::sleep(ctx.pace.peer_delay / 4);
    nb.send_frame(b"hola")?;
    let before = nb.wakeups();
    let t = Instant::now();
    let ready = nb.wait_readable(Duration::from_secs(5))?;
    let waited = micros(t.elapsed());
    let got = nb.try_recv(&mut buf)?;
    let wakeups = nb.wakeups() - before;
    s.observe(
        "poll",
        lang.fill(
            "v.readable_after",
            &[("ready", &ready), ("time", &waited), ("wakeups", &wakeups)],
        ),
    );
    s.observe(
        "then_try_recv",
        match got {
            TryRecv::Data(n) => lang.fill("v.header_and_hola", &[("n", &n)]),
            other => format!("{other:?}"),
        },
    );
    drop(nb);
    server.shutdown(Duration::from_secs(1));
    Ok(s)
}

/// Step 4 says what *this* OS does: Unix gives a timed-out read the code of
/// an empty non-blocking read (EAGAIN); Windows has its own (WSAETIMEDOUT).
pub fn timeout_mode(ctx: &Ctx) -> anyhow::Result<Step> {
    let lang = ctx.lang;
    let mut s = step(ctx, 4);
    let (mut client, _silent) = pair()?;
    client.set_read_timeout(Some(ctx.pace.timeout))?;
    let t = Instant::now();
    let Err(err) = client.read(&mut [0u8; 16]) else {
        anyhow::bail!("the silent peer sent data");
    };
    let waited = millis(t.elapsed());
    let kind = format!("{:?}", err.kind());
    let os = err.raw_os_error().unwrap_or(0);
    let std_line = lang.fill("s4.std", &[("kind", &kind), ("code", &os)]);
    if let Some(line) = s.lines.iter_mut().find(|(label, _)| *label == "std") {
        line.1 = std_line;
    }
    s.lesson = if os == code::WOULD_BLOCK {
        lang.fill("s4.lesson.same", &[("code", &os)])
    } else {
        lang.fill(
            "s4.lesson.distinct",
            &[("code", &os), ("wb", &code::WOULD_BLOCK)],
        )
    };
    s.observe("recv_failed_after", waited);
    s.observe(
        "os_said",
        lang.fill("v.kind_code", &[("kind", &kind), ("code", &os)]),
    );
    let as_timeout = classify(&err, SocketMode::Timeout(ctx.pace.timeout));
    s.observe("as_timeout", as_timeout.name().to_string());
    // An empty read, had the socket been non-blocking: on Unix the very
    // code this read got (the code cannot tell), on Windows its own.
    let empty_nonblocking = std::io::Error::from_raw_os_error(code::WOULD_BLOCK);
    let as_nonblocking = classify(&empty_nonblocking, SocketMode::NonBlocking);
    s.observe("as_nonblocking", as_nonblocking.name().to_string());
    Ok(s)
}
