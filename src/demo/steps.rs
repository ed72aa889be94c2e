//! The eight steps. Each runs real sockets and reports what it saw.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use socket2::SockRef;
use sockmodes_common::frame::{encode_frame, Decoder};
use sockmodes_common::{classify, Mode, PyException, ServerConfig, Service};
use sockmodes_nonblocking::{NbClient, NbOptions, TryRecv, TrySend};

use super::{Pace, Step};
use crate::{IoMode, Server};

type StepFn = fn(&Pace) -> anyhow::Result<Step>;

/// The steps, in order.
pub const ALL: [StepFn; 8] = [
    refused,
    blocking_recv_waits,
    nonblocking_recv_would_block,
    timeout_mode,
    tcp_is_a_stream,
    partial_writes,
    nagle_and_delayed_ack,
    zero_timeout_trap,
];

fn step(
    title: &'static str,
    python: &'static str,
    std: &'static str,
    mio: &'static str,
    lesson: &'static str,
) -> Step {
    Step {
        number: 0,
        title,
        python,
        std,
        mio,
        observed: Vec::new(),
        lesson,
    }
}

fn micros(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

/// Milliseconds, or microseconds below one millisecond.
fn millis(d: Duration) -> String {
    if d < Duration::from_millis(1) {
        micros(d)
    } else {
        format!("{:.1} ms", d.as_secs_f64() * 1e3)
    }
}

/// A connected pair on loopback: (client, server side).
fn pair() -> anyhow::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let client = TcpStream::connect(listener.local_addr()?)?;
    let (server, _) = listener.accept()?;
    Ok((client, server))
}

fn echo_server() -> anyhow::Result<Server> {
    let config = ServerConfig::new("127.0.0.1:0".parse()?, Service::Echo);
    Ok(Server::start(
        IoMode::NonBlocking,
        config,
        Arc::new(|_, _| {}),
    )?)
}

fn refused(_: &Pace) -> anyhow::Result<Step> {
    let mut s = step(
        "the client starts before the server: connection refused",
        "sock.connect(('127.0.0.1', port))  # raises ConnectionRefusedError",
        "TcpStream::connect(addr)  // Err(ConnectionRefused), os error 111",
        "TcpStream::connect(addr)  // Ok: in progress; the refusal comes with a poll event, via take_error()",
        "With blocking calls the refusal is the connect's result; with mio it is an event you must wait for.",
    );
    let (_reserved, addr) = sockmodes_common::net::unlistened_port()?;
    let t = Instant::now();
    let Err(err) = TcpStream::connect(addr) else {
        anyhow::bail!("connected to {addr}, where nothing should listen");
    };
    s.observed.push((
        "std connect",
        format!(
            "{} (os error {}) after {}",
            classify(&err, Mode::Blocking),
            err.raw_os_error().unwrap_or(0),
            micros(t.elapsed())
        ),
    ));
    let t = Instant::now();
    let mut nb = NbClient::connect_start(addr, &NbOptions::default())?;
    s.observed.push((
        "mio connect",
        "returned Ok: handshake in progress (EINPROGRESS)".into(),
    ));
    let event = nb.wait_writable(Duration::from_secs(5))?;
    s.observed.push((
        "mio poll",
        format!(
            "event={event} after {} ({} wake-up)",
            micros(t.elapsed()),
            nb.wakeups()
        ),
    ));
    let err = nb
        .try_finish_connect()
        .expect_err("refused, reported by take_error");
    s.observed.push((
        "mio take_error",
        format!(
            "{} (os error {})",
            err.exception().map_or("?", PyException::name),
            os_code(&err)
        ),
    ));
    Ok(s)
}

fn os_code(e: &sockmodes_common::ClientError) -> i32 {
    match e {
        sockmodes_common::ClientError::Socket(s) => s.io.raw_os_error().unwrap_or(0),
        _ => 0,
    }
}

fn blocking_recv_waits(pace: &Pace) -> anyhow::Result<Step> {
    let mut s = step(
        "a blocking recv waits until data arrives",
        "data = conn.recv(1024)  # the program stops here",
        "stream.read(&mut buf)  // the thread sleeps in the kernel",
        "(no such call: mio sockets never wait; see step 3)",
        "Blocking is simple: one call, one answer. The price is a thread that can do nothing else meanwhile.",
    );
    let (mut client, mut server) = pair()?;
    let delay = pace.peer_delay;
    let sender = thread::spawn(move || {
        thread::sleep(delay);
        server.write_all(b"hola")
    });
    let t = Instant::now();
    let mut buf = [0u8; 64];
    let n = client.read(&mut buf)?;
    let waited = t.elapsed();
    sender.join().expect("sender thread")?;
    s.observed.push(("peer sent after", millis(delay)));
    s.observed.push((
        "recv returned",
        format!(
            "{n} bytes ({:?}) after {}",
            String::from_utf8_lossy(&buf[..n]),
            millis(waited)
        ),
    ));
    Ok(s)
}

fn nonblocking_recv_would_block(pace: &Pace) -> anyhow::Result<Step> {
    let mut s = step(
        "a non-blocking recv with nothing to read returns at once",
        "sock.setblocking(False); sock.recv(1024)  # raises BlockingIOError",
        "stream.set_nonblocking(true); stream.read(&mut buf)  // Err(WouldBlock)",
        "stream.read(&mut buf)  // Err(WouldBlock); then poll.poll(...) sleeps until READABLE",
        "Non-blocking calls never wait: the program decides what to do instead, and poll says when to try again.",
    );
    let server = echo_server()?;
    let mut nb = NbClient::connect(server.local_addr(), &NbOptions::default())?;
    let mut buf = [0u8; 64];
    let t = Instant::now();
    let first = nb.try_recv(&mut buf)?;
    let took = t.elapsed();
    s.observed.push((
        "try_recv",
        format!(
            "{} in {}",
            if first == TryRecv::WouldBlock {
                "WouldBlock (BlockingIOError)"
            } else {
                "data?!"
            },
            micros(took)
        ),
    ));
    let delay = pace.peer_delay;
    thread::sleep(delay / 4);
    nb.send_frame(b"hola")?;
    let before = nb.wakeups();
    let t = Instant::now();
    let ready = nb.wait_readable(Duration::from_secs(5))?;
    let waited = t.elapsed();
    let got = nb.try_recv(&mut buf)?;
    s.observed.push((
        "poll",
        format!(
            "READABLE={ready} after {} ({} wake-up(s), the last one READABLE)",
            micros(waited),
            nb.wakeups() - before
        ),
    ));
    s.observed.push((
        "then try_recv",
        match got {
            TryRecv::Data(n) => format!("{n} bytes (a 4-byte header + \"hola\")"),
            other => format!("{other:?}"),
        },
    ));
    drop(nb);
    server.shutdown(Duration::from_secs(1));
    Ok(s)
}

fn timeout_mode(pace: &Pace) -> anyhow::Result<Step> {
    let mut s = step(
        "timeout mode: recv gives up after the timeout",
        "sock.settimeout(t); sock.recv(1024)  # raises TimeoutError after t",
        "stream.set_read_timeout(Some(t)); stream.read(&mut buf)  // Err(WouldBlock), os error 11",
        "(mio has no timeouts on calls; give poll a timeout instead)",
        "Linux reports a timed-out read with the same code as an empty non-blocking read: remember the mode to tell TimeoutError from BlockingIOError.",
    );
    let (mut client, _silent) = pair()?;
    client.set_read_timeout(Some(pace.timeout))?;
    let t = Instant::now();
    let Err(err) = client.read(&mut [0u8; 16]) else {
        anyhow::bail!("the silent peer sent data");
    };
    let waited = t.elapsed();
    s.observed.push(("recv failed after", millis(waited)));
    s.observed.push((
        "the OS said",
        format!(
            "{:?}, os error {}",
            err.kind(),
            err.raw_os_error().unwrap_or(0)
        ),
    ));
    s.observed.push((
        "read as timeout mode",
        classify(&err, Mode::Timeout(pace.timeout))
            .name()
            .to_string(),
    ));
    s.observed.push((
        "same code, non-blocking mode",
        classify(&err, Mode::NonBlocking).name().to_string(),
    ));
    Ok(s)
}

fn tcp_is_a_stream(_: &Pace) -> anyhow::Result<Step> {
    let mut s = step(
        "TCP is a stream: sends and recvs do not pair up",
        "conn.sendall(big); ... conn.recv(65536) several times",
        "stream.write_all(&big); stream.read(&mut buf) returns what has arrived",
        "the same, plus WouldBlock between the pieces",
        "Message boundaries are not kept: a length prefix (framing) puts the messages back together.",
    );
    let (mut client, mut server) = pair()?;
    let big = vec![7u8; 300 * 1024];
    let writer = thread::spawn(move || server.write_all(&big).map(|()| server));
    let mut buf = vec![0u8; 64 * 1024];
    let (mut reads, mut total) = (0, 0);
    while total < 300 * 1024 {
        total += client.read(&mut buf)?;
        reads += 1;
    }
    let mut server = writer.join().expect("writer thread")?;
    s.observed
        .push(("one 300 KiB send arrived in", format!("{reads} reads")));
    for word in [&b"uno"[..], b"dos", b"tres"] {
        server.write_all(word)?;
    }
    thread::sleep(Duration::from_millis(50));
    let n = client.read(&mut buf)?;
    s.observed.push((
        "three sends (3+3+4 bytes) arrived in",
        format!(
            "one read of {n} bytes: {:?}",
            String::from_utf8_lossy(&buf[..n])
        ),
    ));
    let mut wire = Vec::new();
    for word in [&b"uno"[..], b"dos", b"tres"] {
        encode_frame(&mut wire, word)?;
    }
    let mut decoder = Decoder::new(1024);
    decoder.push(&wire);
    let mut frames = Vec::new();
    while let Some(f) = decoder.next_frame()? {
        frames.push(String::from_utf8_lossy(f).into_owned());
    }
    s.observed.push((
        "framed, the same bytes decode to",
        format!("{} messages: {frames:?}", frames.len()),
    ));
    Ok(s)
}

fn partial_writes(_: &Pace) -> anyhow::Result<Step> {
    let mut s = step(
        "partial writes: a large non-blocking send is taken only in part",
        "sock.setblocking(False); n = sock.send(big)  # n < len(big); sendall would raise BlockingIOError",
        "stream.write(&big)  // Ok(n) with n < big.len() on a non-blocking socket",
        "stream.write(&big)  // Ok(n), then Err(WouldBlock): keep the rest, wait for WRITABLE",
        "Never write_all on a non-blocking socket: keep what was not taken and send it when poll says WRITABLE.",
    );
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let mut nb = NbClient::connect(listener.local_addr()?, &NbOptions::default())?;
    let (_peer_never_reads, _) = listener.accept()?;
    let big = vec![1u8; 64 << 20];
    let first = nb.try_send(&big)?;
    let second = nb.try_send(&big)?;
    if let TrySend::Sent(n) = first {
        s.observed.push(("asked to send", "64 MiB".into()));
        s.observed.push((
            "the kernel took",
            format!("{n} bytes ({:.1} MiB)", n as f64 / (1 << 20) as f64),
        ));
    }
    s.observed.push((
        "next send",
        if second == TrySend::WouldBlock {
            "WouldBlock (BlockingIOError)".into()
        } else {
            format!("{second:?}")
        },
    ));
    Ok(s)
}

/// Median round trip of `n` echoes, sending header and payload as `split` writes.
fn echo_rtt(addr: SocketAddr, nodelay: bool, split: bool, n: usize) -> anyhow::Result<Duration> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_nodelay(nodelay)?;
    let payload = [b'x'; 100];
    let mut wire = Vec::new();
    encode_frame(&mut wire, &payload)?;
    let mut reply = vec![0u8; wire.len()];
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        if split {
            stream.write_all(&wire[..4])?;
            stream.write_all(&wire[4..])?;
        } else {
            stream.write_all(&wire)?;
        }
        stream.read_exact(&mut reply)?;
        times.push(t.elapsed());
    }
    stream.shutdown(Shutdown::Write)?;
    times.sort_unstable();
    Ok(times[times.len() / 2])
}

fn nagle_and_delayed_ack(pace: &Pace) -> anyhow::Result<Step> {
    let mut s = step(
        "Nagle and delayed ACK: header and payload as two writes",
        "sock.send(header); sock.send(payload)  # vs sock.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1)",
        "stream.write_all(&header)?; stream.write_all(&payload)?  // vs stream.set_nodelay(true)",
        "the same two writes on a mio stream; set_nodelay(true) fixes it too",
        "Nagle holds the second small write until the first is acknowledged, and the peer delays that ACK: send a frame in one write, or set TCP_NODELAY.",
    );
    let server = echo_server()?;
    let addr = server.local_addr();
    let n = pace.nagle_round_trips;
    let slow = echo_rtt(addr, false, true, n)?;
    let nodelay = echo_rtt(addr, true, true, n)?;
    let one_write = echo_rtt(addr, false, false, n)?;
    s.observed
        .push(("two writes, Nagle on (median)", millis(slow)));
    s.observed
        .push(("two writes, TCP_NODELAY (median)", millis(nodelay)));
    s.observed
        .push(("one write, Nagle on (median)", millis(one_write)));
    s.observed.push((
        "slowdown of two writes with Nagle",
        format!(
            "{:.0}x",
            slow.as_secs_f64() / nodelay.as_secs_f64().max(1e-9)
        ),
    ));
    server.shutdown(Duration::from_secs(1));
    Ok(s)
}

fn zero_timeout_trap(_: &Pace) -> anyhow::Result<Step> {
    let mut s = step(
        "the zero-timeout trap",
        "sock.settimeout(0.0)  # non-blocking",
        "stream.set_read_timeout(Some(Duration::ZERO))  // Err(InvalidInput)",
        "socket2: SockRef::from(&s).set_read_timeout(Some(Duration::ZERO))  // Ok, and it means: block forever",
        "Zero means three different things. sockmodes' Mode turns settimeout(0.0) into NonBlocking and never passes a zero timeout down.",
    );
    let (client, _peer) = pair()?;
    s.observed.push((
        "Python settimeout(0.0) is",
        format!("{:?}", Mode::from_settimeout(Some(0.0))?),
    ));
    match client.set_read_timeout(Some(Duration::ZERO)) {
        Err(e) => s
            .observed
            .push(("std says", format!("{:?}: {e}", e.kind()))),
        Ok(()) => s.observed.push(("std says", "Ok (unexpected)".into())),
    }
    let sock = SockRef::from(&client);
    sock.set_read_timeout(Some(Duration::ZERO))?;
    s.observed.push(("socket2 says", "Ok".into()));
    s.observed.push((
        "read timeout now",
        format!("{:?} (no timeout: block forever)", sock.read_timeout()?),
    ));
    Ok(s)
}
