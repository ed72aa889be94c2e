//! Reliability under load, faults and hostile input, against BOTH servers.
//!
//! Sizes here are CI's (e.g. 50 clients x 50 frames); the full sizes of the
//! issue run with `cargo test --release --test reliability -- --ignored`.
//! Time scales are shrunk the same way (an idle timeout of 400 ms instead of
//! 30 s): the behaviour under test is the same, only faster.
//!
//! One file (about 430 lines): the guarantees matrix of the README, one test
//! per row, all run against both servers with the same helpers.

mod util;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use sockmodes::{Client, ClientSettings, IoMode, Server};
use sockmodes_common::frame::{encode_frame, header};
use sockmodes_common::{PyException, Service};
use sockmodes_nonblocking::multi::{Event, MultiClient};
use util::proxy::{Fault, Proxy};
use util::{client, payload, reference_crc32, server, wait_until};

/// A small deterministic generator (xorshift): reproducible "random" sizes.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Each client sends `frames` echo frames of random sizes (0 B to 64 KiB) in
/// windows of 4 and checks every reply; half the clients are blocking, half
/// non-blocking.
fn mixed_clients_lose_nothing(mode: IoMode, clients: usize, frames: usize) {
    let _ = sockmodes_common::net::raise_nofile_limit();
    let (srv, _) = server(mode, Service::Echo, |_| {});
    let addr = srv.local_addr();
    let start = Arc::new(Barrier::new(clients));
    let workers: Vec<_> = (0..clients)
        .map(|i| {
            let start = Arc::clone(&start);
            thread::spawn(move || {
                let client_mode = if i % 2 == 0 {
                    IoMode::Blocking
                } else {
                    IoMode::NonBlocking
                };
                let mut c = Client::connect(client_mode, addr, &ClientSettings::default())
                    .expect("connect");
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1));
                start.wait();
                let mut sent = 0;
                while sent < frames {
                    let window: Vec<Vec<u8>> = (0..4.min(frames - sent))
                        .map(|k| payload(rng.below(64 * 1024 + 1) as usize, (sent + k) as u8))
                        .collect();
                    for f in &window {
                        c.send_frame(f).expect("send");
                    }
                    for f in &window {
                        let got = c.recv_frame().expect("recv").expect("a reply, not a close");
                        assert!(
                            got == *f,
                            "client {i} ({client_mode}): frame {sent} corrupted or out of order"
                        );
                        sent += 1;
                    }
                }
                c.shutdown_write().unwrap();
                assert_eq!(c.recv_frame().unwrap(), None, "clean close");
            })
        })
        .collect();
    for w in workers {
        w.join().expect("client thread");
    }
    srv.shutdown(Duration::from_secs(2));
}

#[test]
fn concurrent_mixed_clients_lose_nothing() {
    for mode in IoMode::servers() {
        mixed_clients_lose_nothing(mode, 50, 50);
    }
}

#[test]
#[ignore = "full size: 200 clients x 500 frames; run with --release -- --ignored"]
fn concurrent_mixed_clients_lose_nothing_full_size() {
    for mode in IoMode::servers() {
        mixed_clients_lose_nothing(mode, 200, 500);
    }
}

#[test]
fn everything_through_a_one_byte_slicer() {
    let slicer = Fault::Slice {
        piece: 1,
        delay: Duration::from_micros(100),
    };
    for mode in IoMode::servers() {
        let (echo, _) = server(mode, Service::Echo, |_| {});
        let proxy = Proxy::start(echo.local_addr(), slicer);
        let mut c = client(IoMode::NonBlocking, proxy.addr);
        for size in [0, 1, 17, 300] {
            c.echo(&payload(size, 3))
                .unwrap_or_else(|e| panic!("{mode} echo {size}: {e}"));
        }
        echo.shutdown(Duration::from_secs(1));

        let (sink, _) = server(mode, Service::Sink, |_| {});
        let proxy = Proxy::start(sink.local_addr(), slicer);
        let frames: Vec<Vec<u8>> = (0..5).map(|i| payload(40, i)).collect();
        let summary = client(IoMode::Blocking, proxy.addr)
            .sink_upload(frames.iter().map(Vec::as_slice))
            .unwrap();
        assert_eq!(
            summary.crc32,
            reference_crc32(frames.iter().map(Vec::as_slice)),
            "{mode}"
        );
        sink.shutdown(Duration::from_secs(1));

        let (msg, inbox) = server(mode, Service::Message, |_| {});
        let proxy = Proxy::start(msg.local_addr(), slicer);
        client(IoMode::Blocking, proxy.addr)
            .send_message(b"Hola, servidor! (a pedazos)")
            .unwrap();
        wait_until("the sliced message", || !inbox.lock().unwrap().is_empty());
        assert_eq!(inbox.lock().unwrap()[0], b"Hola, servidor! (a pedazos)");
        msg.shutdown(Duration::from_secs(1));
    }
}

/// Sends `bytes` on a raw connection, then reads until the server closes it;
/// true when it did close (EOF or reset) within 5 s.
fn server_closes_after(addr: std::net::SocketAddr, bytes: &[u8], half_close: bool) -> bool {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = s.write_all(bytes);
    if half_close {
        let _ = s.shutdown(Shutdown::Write);
    }
    let mut sink = [0u8; 4096];
    loop {
        match s.read(&mut sink) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

#[track_caller]
fn assert_still_serves(srv: &Server) {
    let mut c = client(IoMode::Blocking, srv.local_addr());
    c.echo(b"still serving").expect("the next client is served");
}

#[test]
fn a_header_over_max_frame_closes_that_connection_only() {
    for mode in IoMode::servers() {
        let (srv, _) = server(mode, Service::Echo, |c| c.max_frame = 1 << 20);
        let mut other = client(IoMode::NonBlocking, srv.local_addr());
        assert!(
            server_closes_after(srv.local_addr(), &u32::MAX.to_be_bytes(), false),
            "{mode}"
        );
        wait_until("the protocol error", || srv.stats().protocol_errors == 1);
        other.echo(b"undisturbed").unwrap();
        assert_still_serves(&srv);
        srv.shutdown(Duration::from_secs(1));
    }
}

#[test]
fn garbage_and_truncated_frames_never_take_a_server_down() {
    for mode in IoMode::servers() {
        let (srv, _) = server(mode, Service::Echo, |c| c.max_frame = 64 * 1024);
        let mut rng = Rng(42);
        for i in 0..40 {
            let len = 1 + rng.below(3000) as usize;
            let garbage: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            server_closes_after(srv.local_addr(), &garbage, i % 2 == 0);
        }
        // Truncated frames: the header promises more than ever arrives.
        for cut in [1, 3, 4, 50] {
            let mut frame = Vec::new();
            encode_frame(&mut frame, &[7u8; 100]).unwrap();
            assert!(
                server_closes_after(srv.local_addr(), &frame[..cut], true),
                "{mode} cut {cut}"
            );
        }
        // Every slot came back: no connection thread died holding one.
        wait_until("all garbage connections to be closed", || {
            srv.stats().active == 0
        });
        assert_still_serves(&srv);
        srv.shutdown(Duration::from_secs(1));
    }
}

#[test]
fn reset_and_half_close_in_the_middle_of_a_frame() {
    for mode in IoMode::servers() {
        let (srv, _) = server(mode, Service::Echo, |_| {});
        let mut frame = Vec::new();
        encode_frame(&mut frame, &payload(100, 1)).unwrap();

        let reset = Proxy::start(srv.local_addr(), Fault::ResetAfter { after: 54 });
        let mut s = TcpStream::connect(reset.addr).unwrap();
        s.write_all(&frame).unwrap();
        wait_until("the reset connection to be dropped", || {
            srv.stats().accepted >= 1 && srv.stats().active == 0
        });

        let half = Proxy::start(srv.local_addr(), Fault::HalfCloseAfter { after: 54 });
        let mut s2 = TcpStream::connect(half.addr).unwrap();
        s2.write_all(&frame).unwrap();
        wait_until("the torn frame to be reported", || {
            srv.stats().protocol_errors == 1
        });
        wait_until("its slot back", || srv.stats().active == 0);
        assert_still_serves(&srv);
        drop((s, s2));
        srv.shutdown(Duration::from_secs(1));
    }
}

#[test]
fn slow_loris_connections_are_dropped_and_others_served() {
    for mode in IoMode::servers() {
        let (srv, _) = server(mode, Service::Echo, |c| {
            c.idle_timeout = Duration::from_millis(400)
        });
        let silent = TcpStream::connect(srv.local_addr()).unwrap();
        // One byte every 100 ms: bytes keep coming, but no frame ever completes.
        let addr = srv.local_addr();
        let dribbler = thread::spawn(move || {
            let mut s = TcpStream::connect(addr).unwrap();
            let _ = s.write_all(&header(1000).unwrap());
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(5) {
                if s.write_all(b"x").is_err() {
                    return true; // dropped by the server
                }
                thread::sleep(Duration::from_millis(100));
            }
            false
        });
        wait_until("both slow connections to count", || srv.stats().active >= 2);
        assert_still_serves(&srv);
        wait_until("the idle timeout to drop them", || srv.stats().active == 0);
        assert!(srv.stats().timed_out >= 2, "{mode}: {:?}", srv.stats());
        assert!(dribbler.join().unwrap(), "{mode}: the dribbler was cut off");
        drop(silent);
        srv.shutdown(Duration::from_secs(1));
    }
}

#[test]
#[cfg(target_os = "linux")] // reads the server's memory from /proc
fn a_slow_reader_cannot_grow_either_server() {
    use sockmodes::child::ServerProcess;
    use sockmodes_common::procfs::resident_bytes;
    use sockmodes_nonblocking::{NbClient, NbOptions, TrySend};
    // The server runs as its own process so that its resident memory is its
    // own, not mixed with the other tests running in this one.
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_sockmodes"));
    for mode in sockmodes::IoMode::servers().iter().map(|m| m.name()) {
        let srv = ServerProcess::start(bin, &["--mode", mode, "--service", "echo"])
            .expect("server starts");
        let rss = || resident_bytes(Some(srv.pid())).expect("server RSS");
        let mut hog = NbClient::connect(srv.addr, &NbOptions::default()).unwrap();
        let mut frame = Vec::new();
        encode_frame(&mut frame, &[9u8; 64 * 1024]).unwrap();
        let before = rss();
        let (mut sent, mut offset, mut stalled) = (0usize, 0usize, None::<Instant>);
        while sent < 256 << 20 {
            match hog.try_send(&frame[offset..]).unwrap() {
                TrySend::Sent(n) => {
                    sent += n;
                    offset = (offset + n) % frame.len();
                    stalled = None;
                }
                TrySend::WouldBlock => {
                    if stalled.get_or_insert_with(Instant::now).elapsed()
                        > Duration::from_millis(500)
                    {
                        break;
                    }
                    thread::sleep(Duration::from_millis(2));
                }
            }
        }
        let grown = rss().saturating_sub(before);
        assert!(
            sent < 256 << 20,
            "{mode}: the server kept reading a peer that never reads"
        );
        assert!(
            grown < 64 << 20,
            "{mode}: memory grew by {} MiB",
            grown >> 20
        );
        let mut other = client(IoMode::Blocking, srv.addr);
        other
            .echo(b"served meanwhile")
            .expect("another client is served");
        drop(hog);
        srv.terminate().unwrap();
    }
}

/// Connects in one burst: five times std's default backlog of 128 over.
#[cfg(not(windows))]
const BURST: usize = 5000;
/// Windows runs here under Wine 8, which stalls somewhere between 1,500
/// (served in 4 s) and 5,000 simultaneous connects; not investigated further.
#[cfg(windows)]
const BURST: usize = 1500;

#[test]
fn a_burst_of_connects_is_all_served() {
    let _ = sockmodes_common::net::raise_nofile_limit();
    for mode in IoMode::servers() {
        let (srv, _) = server(mode, Service::Echo, |_| {});
        let mut multi = MultiClient::new(1024).unwrap();
        for _ in 0..BURST {
            multi.connect(srv.local_addr()).expect("connect starts");
        }
        let (mut echoed, mut failed) = (0, 0);
        let deadline = Instant::now() + Duration::from_secs(60);
        while echoed + failed < BURST && Instant::now() < deadline {
            multi
                .poll(
                    Some(Duration::from_millis(100)),
                    |_, event, out| match event {
                        Event::Connected => out.send_frame(b"burst").unwrap(),
                        Event::Frame(f) => {
                            assert_eq!(f, b"burst");
                            echoed += 1;
                            out.shutdown_write();
                        }
                        Event::Failed(e) => {
                            eprintln!("{mode}: {e}");
                            failed += 1;
                        }
                        Event::Closed => {}
                    },
                )
                .unwrap();
        }
        assert_eq!(
            (echoed, failed),
            (BURST, 0),
            "{mode}: every connection served"
        );
        drop(multi);
        srv.shutdown(Duration::from_secs(2));
    }
}

#[test]
#[cfg_attr(
    windows,
    ignore = "hangs under Wine 8: the over-limit reset never reaches the client; not tried on real Windows"
)]
fn over_the_connection_limit_is_a_clear_refusal() {
    for mode in IoMode::servers() {
        let (srv, _) = server(mode, Service::Echo, |c| c.max_conns = 3);
        let mut held: Vec<Client> = (0..3)
            .map(|_| client(IoMode::Blocking, srv.local_addr()))
            .collect();
        for c in &mut held {
            c.echo(b"in").unwrap();
        }
        for client_mode in IoMode::CLIENTS {
            let err = Client::connect(client_mode, srv.local_addr(), &ClientSettings::default())
                .and_then(|mut c| c.echo(b"one too many"))
                .unwrap_err();
            assert_eq!(
                err.exception(),
                Some(PyException::ConnectionResetError),
                "{err}"
            );
            assert!(err.to_string().contains("connection limit"), "clear: {err}");
        }
        for c in &mut held {
            c.echo(b"undisturbed").unwrap();
        }
        srv.shutdown(Duration::from_secs(1));
    }
}

#[test]
fn messages_of_10_mib_and_of_non_utf8_bytes_arrive_intact() {
    for mode in IoMode::servers() {
        // A message is kept whole, so its limit is raised for this one.
        let (srv, inbox) = server(mode, Service::Message, |c| c.max_message = 16 << 20);
        let big = payload(10 << 20, 5);
        client(IoMode::Blocking, srv.local_addr())
            .send_message(&big)
            .unwrap();
        let odd = vec![0xff, 0xfe, 0x00, b'\n', 0xc3, 0x28];
        client(IoMode::NonBlocking, srv.local_addr())
            .send_message(&odd)
            .unwrap();
        wait_until("both messages", || inbox.lock().unwrap().len() == 2);
        let got = inbox.lock().unwrap();
        assert!(got.contains(&big), "{mode}: 10 MiB intact");
        assert!(got.contains(&odd), "{mode}: bytes delivered as they are");
        drop(got);
        srv.shutdown(Duration::from_secs(1));
    }
}
