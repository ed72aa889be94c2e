//! The tokio server's limits: `--max-conns` (over it: a reset, the others
//! undisturbed), the idle timeout (a lingering close, counted), a peer
//! that never reads (backpressure, then the idle timeout).

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use sockmodes_common::Service;
use support::{connect, ending_after_more, frame, read_to_end, server, wait_until, Ending};

#[test]
#[cfg_attr(
    windows,
    ignore = "hangs under Wine 8: the over-limit reset never reaches the client (as for every server)"
)]
fn over_max_conns_is_a_reset_and_the_others_are_undisturbed() {
    let (srv, _) = server(Service::Echo, |c| c.max_conns = 2);
    let mut held: Vec<TcpStream> = (0..2).map(|_| connect(srv.local_addr())).collect();
    for s in &mut held {
        s.write_all(&frame(b"in")).unwrap();
        let mut back = [0u8; 6];
        s.read_exact(&mut back).unwrap();
    }
    let mut extra = connect(srv.local_addr());
    // The reset may come before our write: then the write reports it and
    // the read after it sees only the end of the stream.
    let ending = match extra.write_all(&frame(b"one too many")) {
        Err(e) if matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::BrokenPipe) => {
            Ending::Reset
        }
        _ => read_to_end(&mut extra).1,
    };
    assert_eq!(ending, Ending::Reset);
    wait_until("the refusal counted", || srv.stats().rejected == 1);
    for s in &mut held {
        s.write_all(&frame(b"still")).unwrap();
        let mut back = [0u8; 9];
        s.read_exact(&mut back).unwrap();
        assert_eq!(&back[4..], b"still");
    }
    let stats = srv.stats();
    assert_eq!((stats.accepted, stats.active), (2, 2));
    srv.shutdown(Duration::from_secs(1));
}

#[test]
fn an_idle_connection_mid_frame_ends_with_a_lingering_close() {
    let (srv, _) = server(Service::Echo, |c| {
        c.idle_timeout = Duration::from_millis(300);
    });
    let mut s = connect(srv.local_addr());
    let half = [0, 0, 1, 0, 1, 2];
    s.write_all(&half).unwrap(); // half a frame, then silence
    assert_eq!(
        read_to_end(&mut s),
        (half.to_vec(), Ending::Eof),
        "echo streams what arrived of the frame, then end of stream"
    );
    assert_eq!(
        ending_after_more(&mut s, &[3u8; 200]),
        Ending::Eof,
        "bytes after our FIN are read, not reset"
    );
    wait_until("the timeout counted", || srv.stats().timed_out == 1);
    wait_until("its slot back", || srv.stats().active == 0);
    srv.shutdown(Duration::from_secs(1));
}

#[test]
fn a_dribbling_peer_is_cut_by_the_minimum_rate_though_bytes_arrive() {
    // The rule under test, on a short window: 500 B/s over 1 s.
    let (srv, _) = server(Service::Echo, |c| {
        c.min_rate = sockmodes_serving::liveness::MinRate {
            bytes_per_sec: 500,
            window: Duration::from_secs(1),
        };
    });
    let addr = srv.local_addr();
    // A byte every 50 ms: never silent, 25 times under the rate.
    let dribbler = thread::spawn(move || {
        let mut s = connect(addr);
        let _ = s.write_all(&1000u32.to_be_bytes());
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(5) {
            if s.write_all(b"x").is_err() {
                return true; // dropped by the server
            }
            thread::sleep(Duration::from_millis(50));
        }
        false
    });
    wait_until("the cut counted", || srv.stats().too_slow_receiving == 1);
    assert_eq!(srv.stats().timed_out, 0, "never idle: bytes kept coming");
    assert!(dribbler.join().unwrap(), "the dribbler was cut off");
    wait_until("its slot back", || srv.stats().active == 0);
    srv.shutdown(Duration::from_secs(1));
}

#[test]
fn a_peer_that_never_reads_stops_being_read_then_times_out() {
    let (srv, _) = server(Service::Echo, |c| {
        c.idle_timeout = Duration::from_millis(300);
    });
    let mut s = TcpStream::connect(srv.local_addr()).unwrap();
    s.set_nonblocking(true).unwrap();
    let big = frame(&[7u8; 64 * 1024]);
    let (mut offset, mut sent, mut stalled) = (0, 0usize, None::<Instant>);
    while stalled.is_none_or(|t| t.elapsed() < Duration::from_millis(200)) {
        match s.write(&big[offset..]) {
            Ok(n) => {
                offset = (offset + n) % big.len();
                sent += n;
                stalled = None;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                stalled.get_or_insert_with(Instant::now);
                thread::sleep(Duration::from_millis(5));
            }
            Err(_) => break,
        }
        assert!(
            sent < 256 << 20,
            "the server kept reading a peer that never reads"
        );
    }
    wait_until("the timeout counted and the connection closed", || {
        let stats = srv.stats();
        stats.timed_out == 1 && stats.active == 0
    });
    srv.shutdown(Duration::from_secs(1));
}
