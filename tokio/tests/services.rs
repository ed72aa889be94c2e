//! The tokio server speaks every service as the others do (the session is
//! the same): echo round trips of every size, the sink's summary, a
//! message handed whole to the handler; and its counters count as the
//! others' do.

mod support;

use std::io::{Read, Write};
use std::net::Shutdown;
use std::time::Duration;

use sockmodes_common::{Service, SinkSummary, SinkTally};
use sockmodes_serving::{ServerStats, StatsSnapshot};
use support::{connect, frame, payload, read_to_end, server, wait_until, Ending};

#[test]
fn echo_answers_every_frame_whole_and_in_order() {
    let (srv, _) = server(Service::Echo, |_| {});
    let mut s = connect(srv.local_addr());
    // Pipelined, and larger than the output cap and one read.
    let sizes = [0, 1, 17, 4096, 200 * 1024, 3];
    let mut wire = Vec::new();
    for (i, size) in sizes.iter().enumerate() {
        wire.extend_from_slice(&frame(&payload(*size, i as u8)));
    }
    let writer = {
        let (mut w, wire) = (s.try_clone().unwrap(), wire.clone());
        std::thread::spawn(move || w.write_all(&wire).unwrap())
    };
    let mut back = vec![0u8; wire.len()];
    s.read_exact(&mut back).unwrap();
    writer.join().unwrap();
    assert!(back == wire, "every echo, whole and in order");
    s.shutdown(Shutdown::Write).unwrap();
    assert_eq!(read_to_end(&mut s), (Vec::new(), Ending::Eof));
    wait_until("the connection's end", || srv.stats().active == 0);
    srv.shutdown(Duration::from_secs(1));
}

#[test]
fn sink_answers_its_summary_at_end_of_stream() {
    let (srv, _) = server(Service::Sink, |_| {});
    let mut s = connect(srv.local_addr());
    let frames: Vec<Vec<u8>> = (0..5).map(|i| payload(1000 * i, i as u8)).collect();
    let mut tally = SinkTally::new();
    for f in &frames {
        s.write_all(&frame(f)).unwrap();
        tally.add(f);
    }
    s.shutdown(Shutdown::Write).unwrap();
    let (answer, ending) = read_to_end(&mut s);
    assert_eq!(ending, Ending::Eof);
    let summary = SinkSummary::decode(&answer[4..]).expect("a summary frame");
    assert_eq!(summary, tally.summary());
    assert_eq!(summary.frames, 5);
    srv.shutdown(Duration::from_secs(1));
}

#[test]
fn a_message_reaches_the_handler_whole() {
    let (srv, inbox) = server(Service::Message, |_| {});
    let mut s = connect(srv.local_addr());
    let big = payload(60 * 1024, 7);
    s.write_all(&big).unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    assert_eq!(read_to_end(&mut s), (Vec::new(), Ending::Eof));
    wait_until("the message", || !inbox.lock().unwrap().is_empty());
    assert_eq!(inbox.lock().unwrap().as_slice(), [big]);
    srv.shutdown(Duration::from_secs(1));
}

#[test]
fn the_blocking_client_talks_to_it() {
    let (srv, _) = server(Service::Echo, |_| {});
    let mut c = sockmodes_blocking::Client::connect(srv.local_addr(), &Default::default())
        .expect("connects");
    use sockmodes_client::ClientDriver;
    for size in [0, 5, 70_000] {
        c.echo(&payload(size, 1)).unwrap();
    }
    drop(c);
    srv.shutdown(Duration::from_secs(1));
}

#[test]
fn counters_count_connections_errors_and_calls() {
    let (srv, _) = server(Service::Echo, |c| c.max_frame = 1024);
    let stats = srv.stats_handle();
    assert_eq!(stats.snapshot(), StatsSnapshot::default(), "nothing yet");
    let mut a = connect(srv.local_addr());
    a.write_all(&frame(b"one")).unwrap();
    let mut back = [0u8; 7];
    a.read_exact(&mut back).unwrap();
    wait_until("one open", || stats.active() == 1);
    // A header over max_frame: a protocol error, counted.
    let mut b = connect(srv.local_addr());
    b.write_all(&2048u32.to_be_bytes()).unwrap();
    assert_eq!(read_to_end(&mut b).1, Ending::Eof);
    wait_until("the protocol error", || {
        stats.snapshot().protocol_errors == 1
    });
    drop(a);
    wait_until("both closed", || stats.active() == 0);
    let s = stats.snapshot();
    assert_eq!((s.accepted, s.rejected, s.active), (2, 0, 0));
    assert_eq!((s.timed_out, s.work_started), (0, 0));
    assert!(
        s.syscalls >= 2 * 3 + 3,
        "accepts, options, reads and writes are counted: {s:?}"
    );
    srv.shutdown(Duration::from_secs(1));
    let _: &ServerStats = &stats;
}
