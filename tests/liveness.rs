//! The liveness rules (common's `liveness.rs`) in every server model, each
//! cut asserted by its reason through the server's own counters: a
//! slow-loris (one byte a second inside a frame) is cut by the minimum
//! rate as too slow receiving; a peer that never reads its answers is cut
//! by the same rule as too slow sending; a half-open connection (the peer
//! vanished without a FIN, nothing moves) is cut by the idle rule.
//!
//! **Short settings, because these tests are about the timeouts
//! themselves**: a rate window of 1 s instead of 20 s where the rate is
//! tested (with the idle timeout left at its default, 30 s, so that it
//! cannot be what cuts), and an idle timeout of 500 ms where idleness is
//! tested. No test waits on a clock to decide: each waits for a counter.

mod util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::Duration;

use sockmodes_common::frame::encode_frame;
use sockmodes_common::Service;
use sockmodes_models::{Model, Server};
use sockmodes_serving::liveness::{MinRate, MIN_RATE};
use sockmodes_serving::StatsSnapshot;
use util::{never_read_answers, server, wait_until};

/// The shipped rate over a window of 1 s (the shipped window is 20 s).
const SHORT_WINDOW: MinRate = MinRate {
    bytes_per_sec: MIN_RATE,
    window: Duration::from_secs(1),
};

/// The reasons counted so far: (idle, too slow receiving, too slow sending).
fn reasons(s: &StatsSnapshot) -> (u64, u64, u64) {
    (s.timed_out, s.too_slow_receiving, s.too_slow_sending)
}

/// Waits for the cut connection to be closed, then requires `want` as the
/// reasons counted: the one cut, for its reason.
#[track_caller]
fn assert_cut_for(srv: &Server, model: Model, want: (u64, u64, u64)) {
    wait_until(&format!("{model}: the cut, then the close"), || {
        srv.stats().active == 0
    });
    assert_eq!(reasons(&srv.stats()), want, "{model}: {:?}", srv.stats());
}

#[test]
fn a_slow_loris_is_cut_as_too_slow_receiving_in_every_server() {
    for model in Model::servers() {
        let (srv, _) = server(model, Service::Echo, |c| c.min_rate = SHORT_WINDOW);
        let mut s = TcpStream::connect(srv.local_addr()).unwrap();
        s.set_nodelay(true).unwrap();
        // A frame of 1,000 bytes is announced, then its bytes come one a
        // second: never silent for the idle timeout, 500 times too slow.
        s.write_all(&1000u32.to_be_bytes()).unwrap();
        for _ in 0..20 {
            if srv.stats().too_slow_receiving > 0 || s.write_all(&[7]).is_err() {
                break;
            }
            thread::sleep(Duration::from_secs(1));
        }
        assert_cut_for(&srv, model, (0, 1, 0));
        // A lingering close: end of stream, no reset.
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut rest = Vec::new();
        assert!(s.read_to_end(&mut rest).is_ok(), "{model}: end of stream");
        srv.shutdown(Duration::from_secs(1));
    }
}

#[test]
fn a_peer_that_never_reads_is_cut_as_too_slow_sending_in_every_server() {
    for model in Model::servers() {
        let (srv, _) = server(model, Service::Echo, |c| c.min_rate = SHORT_WINDOW);
        // Echo frames are sent and their answers never read, until both
        // directions' buffers are full. Then the peer sits still: answers
        // are owed and nothing moves, so the rate (its 1 s window shorter
        // than the 30 s idle timeout) cuts it, as too slow sending.
        let mut s = TcpStream::connect(srv.local_addr()).unwrap();
        never_read_answers(&mut s, || reasons(&srv.stats()) != (0, 0, 0));
        assert_cut_for(&srv, model, (0, 0, 1));
        drop(s);
        srv.shutdown(Duration::from_secs(1));
    }
}

/// Closes `s` without a FIN or a reset: in TCP repair mode (Linux,
/// CAP_NET_ADMIN) the kernel forgets the socket and tells the peer
/// nothing, as when a peer's machine loses power. `false` where that is
/// not allowed: then the socket is kept open and silent instead, which
/// the server cannot tell apart as long as it sends nothing.
#[cfg(target_os = "linux")]
fn vanish(s: TcpStream) -> Option<TcpStream> {
    use std::os::fd::AsRawFd;
    const TCP_REPAIR: libc::c_int = 19;
    let on: libc::c_int = 1;
    // SAFETY: a valid socket, and a pointer to an int that outlives the call.
    let rc = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::IPPROTO_TCP,
            TCP_REPAIR,
            std::ptr::from_ref(&on).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        drop(s); // closed in repair mode: no FIN, no reset
        None
    } else {
        Some(s)
    }
}

#[cfg(not(target_os = "linux"))]
fn vanish(s: TcpStream) -> Option<TcpStream> {
    Some(s)
}

#[test]
fn a_half_open_connection_is_cut_as_idle_in_every_server() {
    for model in Model::servers() {
        let (srv, _) = server(model, Service::Echo, |c| {
            c.idle_timeout = Duration::from_millis(500);
        });
        let mut s = TcpStream::connect(srv.local_addr()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut frame = Vec::new();
        encode_frame(&mut frame, b"then gone").unwrap();
        s.write_all(&frame).unwrap();
        let mut answer = vec![0u8; frame.len()];
        s.read_exact(&mut answer).unwrap();
        assert_eq!(answer, frame);
        // The peer vanishes between frames: nothing is owed either way,
        // nothing moves, and only the idle rule can end it.
        let kept = vanish(s);
        assert_cut_for(&srv, model, (1, 0, 0));
        drop(kept);
        srv.shutdown(Duration::from_secs(1));
    }
}
