//! How the tokio server stops: a connection at rest closes at once, one
//! mid-frame (here: its frame in work) is cut at the deadline, both with a
//! lingering close (end of stream, never a reset, though bytes were left
//! unread); work in flight before the deadline is answered; `--once`
//! serves one connection and stops by itself.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use sockmodes_common::{Service, Work};
use support::{connect, frame, read_to_end, server, wait_until, Ending};

fn work(text: &str) -> Option<Work> {
    Some(text.parse().unwrap())
}

#[test]
fn a_connection_at_rest_is_closed_at_once_with_eof() {
    let (srv, _) = server(Service::Echo, |_| {});
    let mut s = connect(srv.local_addr());
    s.write_all(&frame(b"answered")).unwrap();
    let mut back = [0u8; 12];
    s.read_exact(&mut back).unwrap();
    let cut = srv.shutdown(Duration::from_secs(5));
    assert_eq!(cut, 0, "nothing to cut: it was at rest");
    assert_eq!(read_to_end(&mut s), (Vec::new(), Ending::Eof));
}

#[test]
fn a_client_mid_frame_is_cut_at_the_deadline_with_eof_not_a_reset() {
    for w in ["wait:10s", "block:10s"] {
        let (srv, _) = server(Service::Echo, |c| c.work = work(w));
        let mut s = connect(srv.local_addr());
        // A frame larger than one read: its header puts it in work
        // (counted), and the rest stays unread in the socket meanwhile.
        let whole = frame(&[5u8; 200 * 1024]);
        let writer = {
            let (mut w, whole) = (s.try_clone().unwrap(), whole.clone());
            std::thread::spawn(move || w.write_all(&whole))
        };
        wait_until("the frame in work", || srv.stats().work_started == 1);
        let cut = srv.shutdown(Duration::from_millis(200));
        assert_eq!(cut, 1, "{w}: the busy connection was cut");
        assert!(writer.join().unwrap().is_ok(), "{w}: the frame was taken");
        assert_eq!(
            read_to_end(&mut s),
            (Vec::new(), Ending::Eof),
            "{w}: no answer (its work was cut), then end of stream: its unread bytes caused no reset"
        );
    }
}

#[test]
fn work_in_flight_before_the_deadline_is_answered_then_eof() {
    for (w, offload) in [("block:200ms", 0), ("block:200ms", 2), ("wait:200ms", 0)] {
        let (srv, _) = server(Service::Echo, |c| {
            (c.work, c.offload) = (work(w), offload);
        });
        let mut clients: Vec<TcpStream> = (0..4).map(|_| connect(srv.local_addr())).collect();
        for s in &mut clients {
            s.write_all(&frame(b"in flight")).unwrap();
        }
        wait_until("every frame in work", || srv.stats().work_started == 4);
        let cut = srv.shutdown(Duration::from_secs(5));
        assert_eq!(cut, 0, "{w} offload {offload}");
        for s in &mut clients {
            let (answer, ending) = read_to_end(s);
            assert_eq!(answer, frame(b"in flight"), "{w} offload {offload}");
            assert_eq!(ending, Ending::Eof, "{w} offload {offload}");
        }
    }
}

#[test]
fn every_kind_of_work_is_done_before_its_answer_and_counted() {
    for (w, offload) in [
        ("cpu:100us", 0),
        ("cpu:100us", 2),
        ("block:1ms", 0),
        ("block:1ms", 1),
        ("wait:1ms", 0),
    ] {
        let (srv, _) = server(Service::Echo, |c| {
            (c.work, c.offload) = (work(w), offload);
        });
        let mut s = connect(srv.local_addr());
        let mut wire = Vec::new();
        for i in 0..8u8 {
            wire.extend_from_slice(&frame(&[i; 40]));
        }
        s.write_all(&wire).unwrap();
        let mut back = vec![0u8; wire.len()];
        s.read_exact(&mut back).unwrap();
        assert!(
            back == wire,
            "{w} offload {offload}: every answer, in order"
        );
        assert_eq!(srv.stats().work_started, 8, "{w} offload {offload}");
        srv.shutdown(Duration::from_secs(5));
    }
}

#[test]
fn a_connection_waiting_for_its_work_is_not_idle() {
    let (srv, _) = server(Service::Echo, |c| {
        c.work = work("wait:600ms");
        c.idle_timeout = Duration::from_millis(200);
    });
    let mut s = connect(srv.local_addr());
    s.write_all(&frame(b"slow")).unwrap();
    let mut back = [0u8; 8];
    s.read_exact(&mut back).unwrap();
    assert_eq!(&back[4..], b"slow");
    assert_eq!(srv.stats().timed_out, 0);
    srv.shutdown(Duration::from_secs(1));
}

#[test]
fn once_serves_one_connection_and_stops_by_itself() {
    let (srv, _) = server(Service::Echo, |c| c.once = true);
    let addr = srv.local_addr();
    let mut s = connect(addr);
    s.write_all(&frame(b"only")).unwrap();
    let mut back = [0u8; 8];
    s.read_exact(&mut back).unwrap();
    assert!(!srv.is_finished(), "its connection is still open");
    s.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(read_to_end(&mut s).1, Ending::Eof);
    wait_until("the server to finish", || srv.is_finished());
    srv.wait();
    let refused = TcpStream::connect(addr).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
}
