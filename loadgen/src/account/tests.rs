//! The accounting checked against hand-made event sequences: no sockets.

use super::*;
use crate::endings::Endings;
use std::time::Duration;

/// A window of 3 s from 1 s after `t0`; times below in ms from `t0`.
struct Run {
    t0: Instant,
    window: Window,
    rec: Recorder,
}

impl Run {
    fn new() -> Run {
        let t0 = Instant::now();
        Run {
            t0,
            window: Window {
                from: t0 + Duration::from_secs(1),
                to: t0 + Duration::from_secs(4),
            },
            rec: Recorder::default(),
        }
    }
    fn at(&self, ms: u64) -> Instant {
        self.t0 + Duration::from_millis(ms)
    }
    fn answer(&mut self, l: &mut Ledger, ms: u64) -> Option<Instant> {
        let (t0, w, at) = (self.t0, Some(self.window), self.at(ms));
        l.answered(t0, w, at, 8, &mut self.rec)
    }
}

#[test]
fn answers_count_when_they_arrive_in_the_window_whenever_they_were_due() {
    let mut r = Run::new();
    let mut l = Ledger::new(0);
    for due in [500, 1500, 3500] {
        l.sent(r.at(due));
    }
    // Due in the warm-up, answered in the window: counted, carried in,
    // its whole wait in the histogram.
    assert_eq!(r.answer(&mut l, 2500), Some(r.at(500)));
    // Due and answered in the window.
    r.answer(&mut l, 1600);
    // Due in the window, answered in the drain: not a window message.
    r.answer(&mut l, 4200);
    assert_eq!((r.rec.messages, r.rec.carried_in), (2, 1));
    assert_eq!(r.rec.after_window, 1);
    assert_eq!(r.rec.total().len(), 2);
    assert!(r.rec.total().equivalent(r.rec.total().max(), 2_000_000));
    let t = l.finish(r.at(9000));
    assert_eq!(
        (t.ending, t.answered_in_window, t.unanswered),
        (Ending::Served, 2, 0)
    );
}

#[test]
fn a_connection_that_owes_nothing_at_the_end_is_served_whatever_the_server_does_next() {
    // The server answers everything but never closes after the
    // half-close: nothing is owed, so nothing is missing.
    let mut r = Run::new();
    let mut l = Ledger::new(3);
    l.sent(r.at(1100));
    r.answer(&mut l, 1200);
    let t = l.finish(r.at(9000));
    assert_eq!(t.ending, Ending::Served);
    assert_eq!((t.unanswered, t.oldest_unanswered), (0, None));
    assert_eq!(Endings::of(&[t]).failures(), 0);
}

#[test]
fn a_server_that_stops_mid_run_leaves_what_was_in_flight_unanswered() {
    let mut r = Run::new();
    let mut l = Ledger::new(0);
    l.sent(r.at(1100));
    r.answer(&mut l, 1200);
    l.sent(r.at(1300));
    l.trouble(Trouble::Closed, r.at(2300));
    let t = l.finish(r.at(9000));
    assert_eq!(t.ending, Ending::Closed);
    assert_eq!(t.unanswered, 1);
    assert_eq!(t.oldest_unanswered, Some(Duration::from_millis(1000)));
}

#[test]
fn a_reset_or_close_before_any_answer_says_why() {
    let r = Run::new();
    let mut reset = Ledger::new(0);
    reset.sent(r.at(0));
    reset.trouble(Trouble::Reset, r.at(1));
    let mut closed = Ledger::new(1);
    closed.sent(r.at(0));
    closed.trouble(Trouble::Closed, r.at(2));
    // A reset seen while connecting is a rejection too.
    let early = Ledger::unconnected(2, Trouble::Reset);
    let refused = Ledger::unconnected(3, Trouble::Other);
    let tallies = [
        reset.finish(r.at(9000)),
        closed.finish(r.at(9000)),
        early,
        refused,
    ];
    assert_eq!(tallies[0].ending, Ending::Rejected);
    assert_eq!(
        tallies[0].unanswered, 0,
        "refused with its connection, not left unanswered"
    );
    assert_eq!(tallies[1].ending, Ending::ClosedUnanswered);
    assert_eq!(tallies[1].unanswered, 1);
    let e = Endings::of(&tallies);
    assert_eq!(
        (e.asked, e.rejected, e.closed_unanswered, e.never_connected),
        (4, 2, 1, 1)
    );
    assert_eq!(e.made(), 3);
    assert_eq!(e.failures(), 4);
}

#[test]
fn a_reset_after_answers_is_a_failure_and_the_first_ending_stands() {
    let mut r = Run::new();
    let mut l = Ledger::new(0);
    l.sent(r.at(1100));
    r.answer(&mut l, 1150);
    l.sent(r.at(1200));
    l.trouble(Trouble::Reset, r.at(1250));
    l.trouble(Trouble::Closed, r.at(1300));
    let t = l.finish(r.at(9000));
    assert_eq!((t.ending, t.unanswered), (Ending::Failed, 1));
    assert_eq!(t.oldest_unanswered, Some(Duration::from_millis(50)));
}

#[test]
fn still_owed_when_the_run_gives_up_is_never_answered_and_aged() {
    let r = Run::new();
    let mut l = Ledger::new(0);
    l.sent(r.at(3900));
    l.sent(r.at(3950));
    let t = l.finish(r.at(9000));
    assert_eq!((t.ending, t.unanswered), (Ending::NeverAnswered, 2));
    assert_eq!(t.oldest_unanswered, Some(Duration::from_millis(5100)));
    assert!(t.first_answer.is_none());
}

#[test]
fn a_sink_frame_counts_only_once_the_summary_confirms_it() {
    let mut r = Run::new();
    let (t0, w) = (r.t0, Some(r.window));
    // A server that confirms: the window's frames count.
    let mut ok = Ledger::new(0);
    ok.frame_taken(t0, w, r.at(500), r.at(500), 100, &mut r.rec);
    ok.frame_taken(t0, w, r.at(1500), r.at(1501), 100, &mut r.rec);
    ok.summary_asked(r.at(4000));
    assert!(ok.owes());
    ok.confirmed(&mut r.rec);
    assert_eq!((r.rec.messages, r.rec.bytes), (1, 100));
    // A server that never reads: the socket took frames, nothing counts.
    let mut deaf = Ledger::new(1);
    deaf.frame_taken(t0, w, r.at(1500), r.at(1502), 100, &mut r.rec);
    deaf.frame_taken(t0, w, r.at(1600), r.at(1602), 100, &mut r.rec);
    deaf.summary_asked(r.at(4000));
    let tallies = [ok.finish(r.at(9000)), deaf.finish(r.at(9000))];
    assert_eq!((r.rec.messages, r.rec.bytes), (1, 100));
    assert_eq!(tallies[0].ending, Ending::Served);
    assert_eq!(tallies[0].answered_in_window, 1);
    assert_eq!(tallies[1].ending, Ending::NeverAnswered);
    assert_eq!(tallies[1].answered_in_window, 0, "starved");
    assert_eq!(tallies[1].unanswered, 2, "two frames never confirmed");
    assert_eq!(
        tallies[1].oldest_unanswered,
        Some(Duration::from_millis(7500))
    );
}

#[test]
fn errors_come_from_endings_and_trouble_is_classified_from_the_client_error() {
    use sockmodes_python::{Op, SocketError, SocketMode};
    let addr = "127.0.0.1:1".parse().unwrap();
    let io = |kind: std::io::ErrorKind| -> ClientError {
        SocketError::new(Op::Recv, addr, SocketMode::Blocking, kind.into()).into()
    };
    assert_eq!(
        Trouble::of(&io(std::io::ErrorKind::ConnectionReset)),
        Trouble::Reset
    );
    assert_eq!(
        Trouble::of(&io(std::io::ErrorKind::BrokenPipe)),
        Trouble::Reset
    );
    assert_eq!(Trouble::of(&ClientError::Closed { addr }), Trouble::Closed);
    assert_eq!(
        Trouble::of(&io(std::io::ErrorKind::ConnectionRefused)),
        Trouble::Other
    );
}
