//! Every way a server ends an echo or sink connection ends it with end of
//! stream, never a reset (a `message` not read whole is reset on purpose:
//! `message_endings.rs`): the shutdown story (in process, and by SIGTERM to the command),
//! the idle timeout, and a protocol error followed by more bytes. A reset
//! would also throw away answers the client had not yet read, so each test
//! reads from a raw socket and tells `Ok(0)` (EOF) from `ConnectionReset`.
//!
//! The shutdown story (every model): stopping closes connections at rest at
//! once and busy ones when they come to rest, each with a lingering close;
//! a closed-loop client has at most one frame in flight, and that frame is
//! the only one that may go unanswered.

mod util;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use sockmodes_common::frame::encode_frame;
use sockmodes_common::Service;
use sockmodes_models::Model;
use sockmodes_serving::config::LINGER_TIME;
use util::{never_read_answers, server, wait_until};

/// How a raw client's connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Ending {
    Eof,
    Reset,
    Other(ErrorKind),
}

/// What one closed-loop client saw.
#[derive(Debug)]
struct Seen {
    answered: u64,
    unanswered: u64,
    ending: Ending,
}

fn ending(e: &std::io::Error) -> Ending {
    match e.kind() {
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe => {
            Ending::Reset
        }
        k => Ending::Other(k),
    }
}

/// Reads exactly `buf.len()` bytes; `Err(ending)` when the stream ends first.
fn read_all(s: &mut TcpStream, buf: &mut [u8]) -> Result<(), Ending> {
    let mut got = 0;
    while got < buf.len() {
        match s.read(&mut buf[got..]) {
            Ok(0) => return Err(Ending::Eof),
            Ok(n) => got += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(ending(&e)),
        }
    }
    Ok(())
}

/// One echo frame at a time until the server ends the connection.
fn closed_loop(addr: SocketAddr, ready: &Barrier) -> Seen {
    let mut s = TcpStream::connect(addr).expect("connects");
    s.set_nodelay(true).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut frame = Vec::new();
    encode_frame(&mut frame, &[7u8; 16]).unwrap();
    let mut reply = vec![0u8; frame.len()];
    let mut seen = Seen {
        answered: 0,
        unanswered: 0,
        ending: Ending::Eof,
    };
    ready.wait();
    loop {
        if let Err(e) = s.write_all(&frame) {
            seen.ending = ending(&e);
            return seen;
        }
        match read_all(&mut s, &mut reply) {
            Ok(()) => {
                assert_eq!(reply, frame, "an echo is the frame");
                seen.answered += 1;
            }
            Err(end) => {
                seen.unanswered += 1;
                seen.ending = end;
                return seen;
            }
        }
    }
}

/// 20 closed-loop clients against `addr`; `stop` is called once all run.
#[track_caller]
fn story(model: &str, addr: SocketAddr, stop: impl FnOnce()) {
    let ready = Arc::new(Barrier::new(21));
    let clients: Vec<_> = (0..20)
        .map(|_| {
            let ready = Arc::clone(&ready);
            thread::spawn(move || closed_loop(addr, &ready))
        })
        .collect();
    ready.wait();
    thread::sleep(Duration::from_millis(300));
    stop();
    for c in clients {
        let seen = c.join().expect("client thread");
        assert_eq!(seen.ending, Ending::Eof, "{model}: {seen:?}");
        assert!(seen.answered > 0, "{model}: {seen:?}");
        assert!(seen.unanswered <= 1, "{model}: {seen:?}");
    }
}

#[test]
fn shutdown_ends_every_busy_connection_with_eof_in_every_model() {
    for model in Model::servers() {
        let (srv, _) = server(model, Service::Echo, |_| {});
        let addr = srv.local_addr();
        wait_until("listening", || srv.stats().active == 0);
        story(model.name(), addr, move || {
            let deadline = Duration::from_secs(5);
            let started = Instant::now();
            srv.shutdown(deadline);
            // A bound, not a timing: the shutdown cannot outlast the
            // deadline and the lingering closes (a second's slack for a
            // loaded machine).
            let took = started.elapsed();
            assert!(
                took <= deadline + LINGER_TIME + Duration::from_secs(1),
                "{model}: shutdown took {took:?}"
            );
        });
    }
}

/// The command's own shutdown: SIGTERM (Windows has no SIGTERM for one
/// child, and `terminate` is TerminateProcess there: the in-process test
/// above covers Windows).
#[cfg(unix)]
#[test]
fn sigterm_to_the_server_ends_every_connection_with_eof_and_exits_0() {
    use sockmodes_models::child::ServerProcess;
    for model in sockmodes_models::Model::servers().iter().map(|m| m.name()) {
        let bin = std::path::Path::new(env!("CARGO_BIN_EXE_sockmodes"));
        let srv = ServerProcess::start(bin, &["--mode", model, "--service", "echo"])
            .expect("server starts");
        let addr = srv.addr;
        story(model, addr, move || {
            let started = Instant::now();
            let status = srv.terminate().expect("the server exits");
            assert!(status.success(), "{model}: {status:?}");
            // The command's deadline is 5 s; plus the lingering bound.
            let took = started.elapsed();
            assert!(
                took <= Duration::from_secs(5) + LINGER_TIME + Duration::from_secs(1),
                "{model}: exit took {took:?}"
            );
        });
    }
}

/// Sends `first`, reads until the server ends the connection, then sends
/// `more` and reads again: a server that closed with unread input, or
/// that is gone, answers the second send with a reset.
fn after_the_server_ends(addr: SocketAddr, first: &[u8], more: &[u8]) -> (Ending, Ending) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(first).unwrap();
    let mut buf = [0u8; 4096];
    let drain = |s: &mut TcpStream, buf: &mut [u8]| loop {
        match s.read(buf) {
            Ok(0) => return Ending::Eof,
            Ok(_) => {}
            // A read under SO_RCVTIMEO is not restarted after a signal or
            // io_uring's task work (the completion server stopped just
            // before, on this thread): read again.
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return ending(&e),
        }
    };
    let first_end = drain(&mut s, &mut buf);
    let second = match s.write_all(more) {
        Ok(()) => drain(&mut s, &mut buf),
        Err(e) => ending(&e),
    };
    (first_end, second)
}

#[test]
fn an_idle_timeout_lingers_and_the_client_sees_eof() {
    for model in Model::servers() {
        let (srv, _) = server(model, Service::Echo, |c| {
            c.idle_timeout = Duration::from_millis(300);
        });
        // Half a frame, then silence: the idle timeout ends it.
        let (first, second) =
            after_the_server_ends(srv.local_addr(), &[0, 0, 1, 0, 1, 2], &[3u8; 200]);
        assert_eq!(first, Ending::Eof, "{model}");
        assert_eq!(
            second,
            Ending::Eof,
            "{model}: bytes after our FIN are read, not reset"
        );
        wait_until("the timeout counted", || srv.stats().timed_out == 1);
        srv.shutdown(Duration::from_secs(1));
    }
}

#[test]
fn an_oversized_header_followed_by_more_bytes_ends_with_eof() {
    for model in Model::servers() {
        let (srv, _) = server(model, Service::Echo, |c| c.max_frame = 1 << 20);
        // A good frame is answered first, then the bad header and 64 KiB
        // more that the server never reads as frames.
        let mut wire = Vec::new();
        encode_frame(&mut wire, b"before").unwrap();
        wire.extend_from_slice(&u32::MAX.to_be_bytes());
        wire.extend_from_slice(&[9u8; 64 * 1024]);
        let mut s = TcpStream::connect(srv.local_addr()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(&wire).unwrap();
        let mut answer = [0u8; 10];
        read_all(&mut s, &mut answer).expect("the good frame is answered");
        assert_eq!(&answer[4..], b"before");
        let mut rest = [0u8; 64];
        let end = match s.read(&mut rest) {
            Ok(0) => Ending::Eof,
            Ok(n) => panic!("{model}: {n} unexpected bytes"),
            Err(e) => ending(&e),
        };
        assert_eq!(
            end,
            Ending::Eof,
            "{model}: the unread 64 KiB cause no reset"
        );
        wait_until("the protocol error", || srv.stats().protocol_errors == 1);
        srv.shutdown(Duration::from_secs(1));
    }
}

#[test]
fn a_peer_that_never_reads_is_ended_by_the_idle_timeout_in_every_server() {
    for model in Model::servers() {
        let (srv, _) = server(model, Service::Echo, |c| {
            c.idle_timeout = Duration::from_millis(300);
        });
        // Echo frames are sent and their answers never read, until both
        // directions' buffers are full: the blocking server's write times
        // out, the event loop and the ring stop reading and see no
        // progress. All three call that the idle timeout, and count it.
        // (The ending is not checked here: this peer leaves its answers
        // unread on purpose.)
        let mut s = TcpStream::connect(srv.local_addr()).unwrap();
        never_read_answers(&mut s, || false);
        wait_until("the timeout counted and the connection closed", || {
            let stats = srv.stats();
            stats.timed_out == 1 && stats.active == 0
        });
        drop(s);
        srv.shutdown(Duration::from_secs(1));
    }
}

/// Connections still in the listen queue when a stop begins are accepted
/// and closed with a lingering close, as every other connection: each
/// client sees end of stream, none a reset. The blocking server's accept
/// thread starts a thread per connection and so falls behind a flood: its
/// queue is full when the stop comes, and closing a listener resets every
/// connection in its queue.
#[test]
fn a_connect_flood_at_a_stop_ends_every_connection_with_eof_in_every_server() {
    const FLOOD: usize = 1000;
    for model in Model::servers() {
        let (srv, _) = server(model, Service::Echo, |_| {});
        let addr = srv.local_addr();
        let clients: Vec<TcpStream> = (0..FLOOD)
            .map(|_| TcpStream::connect(addr).expect("connects (the backlog is 1024)"))
            .collect();
        // At once: under the flood the queue still holds connections.
        srv.shutdown(Duration::from_secs(5));
        let mut endings = std::collections::HashMap::new();
        for mut c in clients {
            c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let mut buf = [0u8; 64];
            let end = match c.read(&mut buf) {
                Ok(0) => Ending::Eof,
                Ok(n) => panic!("{model}: {n} bytes never asked for"),
                Err(e) => ending(&e),
            };
            *endings.entry(end).or_insert(0) += 1;
        }
        assert_eq!(
            endings.get(&Ending::Eof),
            Some(&FLOOD),
            "{model}: {endings:?}"
        );
    }
}
