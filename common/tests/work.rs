//! Work per frame on byte slices: an answer leaves only after its frame's
//! work is done, answers keep their order, and the session, not the
//! driver, holds them.

use proptest::prelude::*;
use sockmodes_common::frame::encode_frame;
use sockmodes_common::session::CountsWork;
use sockmodes_common::{ServerSession, Service, SinkSummary, SinkTally, Work, WorkTicket};
use std::cell::Cell;

/// Counts the tickets handed out, as a server's stats do.
#[derive(Default)]
struct Started(Cell<u64>);

impl CountsWork for Started {
    fn work_started(&self) {
        self.0.set(self.0.get() + 1);
    }
}

impl Started {
    fn count(&self) -> u64 {
        self.0.get()
    }
}

fn work() -> Option<Work> {
    Some("cpu:1us".parse::<Work>().unwrap())
}

fn wire(sizes: &[usize]) -> (Vec<Vec<u8>>, Vec<u8>) {
    let payloads: Vec<Vec<u8>> = sizes
        .iter()
        .map(|&n| (0..n).map(|i| (i * 31 + n) as u8).collect())
        .collect();
    let mut wire = Vec::new();
    for p in &payloads {
        encode_frame(&mut wire, p).unwrap();
    }
    (payloads, wire)
}

/// Byte offsets in the wire where each frame ends.
fn frame_ends(sizes: &[usize]) -> Vec<usize> {
    let mut at = 0;
    sizes
        .iter()
        .map(|n| {
            at += 4 + n;
            at
        })
        .collect()
}

fn drain(s: &mut ServerSession, sent: &mut Vec<u8>, max: usize) {
    let n = s.output().len().min(max);
    sent.extend_from_slice(&s.output()[..n]);
    s.wrote(n);
}

#[test]
fn an_echo_waits_for_its_work_and_the_next_frame_waits_behind_it() {
    let (_, bytes) = wire(&[3, 0, 5]);
    let mut s = ServerSession::new(Service::Echo, 1 << 20, 1 << 20).with_work(work());
    let stats = Started::default();
    // All three frames arrive in one read.
    assert_eq!(
        s.received_from(&bytes).unwrap(),
        1,
        "only the first is taken"
    );
    assert!(s.output().is_empty(), "its answer waits for the work");
    assert!(!s.wants_read(), "no more input while the work is out");
    let first = s.next_work(&stats).expect("a ticket for the first frame");
    assert_eq!(s.next_work(&stats), None, "handed out once");
    assert_eq!(stats.count(), 1, "and counted once");
    let mut sent = Vec::new();
    drain(&mut s, &mut sent, usize::MAX);
    assert!(sent.is_empty());
    // Done: its answer leaves, and the second frame (empty) is taken.
    assert_eq!(s.work_done(first).unwrap(), 1);
    drain(&mut s, &mut sent, usize::MAX);
    assert_eq!(sent, bytes[..7]);
    let second = s.next_work(&stats).unwrap();
    assert_eq!(s.work_done(second).unwrap(), 1);
    // A stale ticket changes nothing.
    assert_eq!(s.work_done(first).unwrap(), 0);
    let third = s.next_work(&stats).unwrap();
    drain(&mut s, &mut sent, usize::MAX);
    assert_eq!(sent, bytes[..11], "the third still waits");
    s.received_eof().unwrap();
    assert!(!s.is_finished(), "not while work is out");
    s.work_done(third).unwrap();
    drain(&mut s, &mut sent, usize::MAX);
    assert_eq!(sent, bytes);
    assert!(s.is_finished());
    assert_eq!(stats.count(), 3, "one per frame");
}

#[test]
fn end_of_stream_behind_waiting_frames_comes_after_them() {
    let (payloads, bytes) = wire(&[1, 2, 3]);
    let mut s = ServerSession::new(Service::Sink, 1 << 20, 1 << 20).with_work(work());
    let stats = Started::default();
    s.received_from(&bytes).unwrap();
    s.received_eof().unwrap();
    let mut tickets = 0;
    while let Some(t) = s.next_work(&stats) {
        assert!(
            s.output().is_empty(),
            "the summary waits for every frame's work"
        );
        tickets += 1;
        s.work_done(t).unwrap();
    }
    assert_eq!(tickets, 3);
    let mut tally = SinkTally::new();
    for p in &payloads {
        tally.add_bytes(p);
        tally.end_frame();
    }
    let mut expected = Vec::new();
    encode_frame(&mut expected, &tally.summary().encode()).unwrap();
    assert_eq!(s.output(), expected);
    assert_eq!(
        SinkSummary::decode(&s.output()[4..]).unwrap(),
        tally.summary()
    );
}

#[test]
fn without_work_no_ticket_is_issued() {
    let (_, bytes) = wire(&[3]);
    let mut s = ServerSession::new(Service::Echo, 1 << 20, 1 << 20);
    let stats = Started::default();
    s.received_from(&bytes).unwrap();
    assert_eq!(s.next_work(&stats), None);
    assert_eq!(s.output(), bytes);
    let mut m = ServerSession::new(Service::Message, 1 << 20, 1 << 20).with_work(work());
    m.received_from(b"hola").unwrap();
    assert_eq!(m.next_work(&stats), None, "message has no frames");
    assert_eq!(stats.count(), 0, "nothing counted");
}

/// A driver that reads `chunk` bytes at a time (directly or through a
/// scratch buffer, as the session asks), writes `out` bytes at a time, and
/// finishes each ticket `delays[i]` steps after taking it. Checks at every
/// step that no byte of a frame left before that frame's work was done.
fn run_with_work(
    service: Service,
    sizes: &[usize],
    chunk: usize,
    out: usize,
    delays: &[u8],
) -> (Vec<u8>, usize) {
    let (_, bytes) = wire(sizes);
    let ends = frame_ends(sizes);
    let mut s = ServerSession::new(service, 1 << 20, 256).with_work(work());
    let stats = Started::default();
    let (mut pos, mut sent, mut done) = (0, Vec::new(), 0usize);
    let mut out_ticket: Option<(WorkTicket, u8)> = None;
    for _ in 0..1_000_000 {
        if s.wants_read() {
            if pos == bytes.len() {
                s.received_eof().unwrap();
            } else if s.reads_direct() {
                let room = s.read_space();
                let n = room.len().min(chunk).min(bytes.len() - pos);
                room[..n].copy_from_slice(&bytes[pos..pos + n]);
                pos += n;
                s.received(n).unwrap();
            } else {
                let n = chunk.min(bytes.len() - pos).min(s.read_limit());
                s.received_from(&bytes[pos..pos + n]).unwrap();
                pos += n;
            }
        }
        if out_ticket.is_none() {
            out_ticket = s
                .next_work(&stats)
                .map(|t| (t, delays.get(done).copied().unwrap_or(0)));
        }
        match &mut out_ticket {
            Some((t, 0)) => {
                s.work_done(*t).unwrap();
                done += 1;
                out_ticket = None;
            }
            Some((_, left)) => *left -= 1,
            None => {}
        }
        drain(&mut s, &mut sent, out);
        if service == Service::Echo {
            // Everything sent belongs to frames whose work is done.
            let allowed = if done == 0 { 0 } else { ends[done - 1] };
            assert!(
                sent.len() <= allowed,
                "sent {} before work allowed {allowed}",
                sent.len()
            );
            assert_eq!(sent[..], bytes[..sent.len()], "in order");
        }
        if s.is_finished() {
            // Asked at every step, each ticket was counted once.
            assert_eq!(stats.count(), done as u64);
            return (sent, done);
        }
    }
    panic!("the session never finished");
}

proptest! {
    #[test]
    fn echo_answers_wait_for_their_work_and_keep_their_order(
        sizes in proptest::collection::vec(0usize..600, 1..12),
        chunk in 1usize..2000,
        out in 1usize..700,
        delays in proptest::collection::vec(0u8..4, 0..12),
    ) {
        let (sent, done) = run_with_work(Service::Echo, &sizes, chunk, out, &delays);
        prop_assert_eq!(sent, wire(&sizes).1);
        prop_assert_eq!(done, sizes.len(), "one ticket per frame");
    }

    #[test]
    fn the_sink_summary_waits_for_every_frame(
        sizes in proptest::collection::vec(0usize..600, 1..12),
        chunk in 1usize..2000,
        delays in proptest::collection::vec(0u8..4, 0..12),
    ) {
        let (sent, done) = run_with_work(Service::Sink, &sizes, chunk, 7, &delays);
        prop_assert_eq!(done, sizes.len());
        let summary = SinkSummary::decode(&sent[4..]).unwrap();
        prop_assert_eq!(summary.frames as usize, sizes.len());
    }
}
