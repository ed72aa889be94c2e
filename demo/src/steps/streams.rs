//! Steps 5 to 8: what a stream does to messages. Boundaries lost, large
//! writes taken in part, Nagle's delay, and the three meanings of a zero
//! timeout.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use socket2::SockRef;
use sockmodes_common::frame::{encode_frame, Decoder};
use sockmodes_nonblocking::{Client, ClientSettings, TrySend};
use sockmodes_python::SocketMode;

use super::{millis, pair, step, Ctx, Step};
use sockmodes_loadgen::delayed::DelayedEcho;

pub fn tcp_is_a_stream(ctx: &Ctx) -> anyhow::Result<Step> {
    let lang = ctx.lang;
    let mut s = step(ctx, 5);
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
    s.observe("one_send_reads", lang.fill("v.reads", &[("n", &reads)]));
    for word in [&b"uno"[..], b"dos", b"tres"] {
        server.write_all(word)?;
    }
    thread::sleep(Duration::from_millis(50));
    let n = client.read(&mut buf)?;
    let text = format!("{:?}", String::from_utf8_lossy(&buf[..n]));
    s.observe(
        "three_sends",
        lang.fill("v.one_read", &[("n", &n), ("text", &text)]),
    );
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
    let list = format!("{frames:?}");
    s.observe(
        "framed",
        lang.fill("v.messages", &[("n", &frames.len()), ("list", &list)]),
    );
    Ok(s)
}

pub fn partial_writes(ctx: &Ctx) -> anyhow::Result<Step> {
    let mut s = step(ctx, 6);
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let mut nb = Client::connect(listener.local_addr()?, &ClientSettings::default())?;
    let (_peer_never_reads, _) = listener.accept()?;
    let big = vec![1u8; 64 << 20];
    let first = nb.try_send(&big)?;
    let second = nb.try_send(&big)?;
    if let TrySend::Sent(n) = first {
        s.observe("asked_to_send", "64 MiB".into());
        let mib = format!("{:.1}", n as f64 / (1 << 20) as f64);
        s.observe(
            "kernel_took",
            ctx.lang.fill("v.bytes_mib", &[("n", &n), ("mib", &mib)]),
        );
    }
    s.observe(
        "next_send",
        if second == TrySend::WouldBlock {
            "WouldBlock (BlockingIOError)".into()
        } else {
            format!("{second:?}")
        },
    );
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

/// Step 7 against a server that answers only once a whole frame is in, as
/// a request/response server does: the delayed echo with no delay. Against
/// the streaming echo server Nagle would never wait: it echoes the 4-byte
/// header at once, that answer carries the ACK of the header along, and the
/// held payload goes out straight away (measured: 14 µs against 9 µs).
pub fn nagle_and_delayed_ack(ctx: &Ctx) -> anyhow::Result<Step> {
    let mut s = step(ctx, 7);
    let server = DelayedEcho::start("127.0.0.1:0".parse()?, Duration::ZERO, None)?;
    let addr = server.addr();
    s.observe(
        "nagle_server",
        ctx.lang.t("v.whole_frame_server").to_string(),
    );
    let n = ctx.pace.nagle_round_trips;
    let slow = echo_rtt(addr, false, true, n)?;
    let nodelay = echo_rtt(addr, true, true, n)?;
    let one_write = echo_rtt(addr, false, false, n)?;
    s.observe("nagle_two_writes", millis(slow));
    s.observe("nodelay_two_writes", millis(nodelay));
    s.observe("nagle_one_write", millis(one_write));
    s.observe(
        "nagle_slowdown",
        format!(
            "{:.0}×",
            slow.as_secs_f64() / nodelay.as_secs_f64().max(1e-9)
        ),
    );
    drop(server);
    Ok(s)
}

pub fn zero_timeout_trap(ctx: &Ctx) -> anyhow::Result<Step> {
    let mut s = step(ctx, 8);
    let (client, _peer) = pair()?;
    s.observe(
        "python_zero",
        format!("{:?}", SocketMode::from_settimeout(Some(0.0))?),
    );
    match client.set_read_timeout(Some(Duration::ZERO)) {
        Err(e) => s.observe("std_says", format!("{:?}: {e}", e.kind())),
        Ok(()) => s.observe("std_says", "Ok (?!)".into()),
    }
    let sock = SockRef::from(&client);
    sock.set_read_timeout(Some(Duration::ZERO))?;
    s.observe("socket2_says", "Ok".into());
    let now = format!("{:?}", sock.read_timeout()?);
    s.observe(
        "timeout_now",
        ctx.lang.fill("v.block_forever", &[("value", &now)]),
    );
    Ok(s)
}
