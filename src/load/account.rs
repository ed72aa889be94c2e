//! One accounting for both engines: what a connection owes, what it was
//! answered, and why it ended, defined once and free of sockets.
//!
//! Each engine keeps a [`Ledger`] per connection and tells it what happened
//! (a send, an answer, the server closing or resetting, the run giving up);
//! the ledger decides what counts. So the blocking threads and the mio loops
//! cannot disagree on what "unanswered" or "rejected" means: they only
//! report events, and the same events give the same counts, as the tests
//! below show with hand-made sequences.
//!
//! - An **answer** counts in `messages` (and its latency in the histograms)
//!   when it arrives inside the measured window, whenever its message was
//!   due: a message due in the warm-up and answered inside the window is
//!   also **carried in**. So `messages/s` is what the server answered in the
//!   window, and the wait of a backlog that began in the warm-up is in the
//!   percentiles. An answer after the window, during the drain, is counted
//!   apart ([`Recorder::after_window`]).
//! - A sink frame counts when the server's summary confirms it: until then
//!   it is owed, like an echo not yet answered.
//! - A connection ends in exactly one [`Ending`]; every ending but
//!   [`Ending::Served`] is one error. What it still owed then is
//!   **unanswered**, with the age of the oldest.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sockmodes_common::{ClientError, PyException};

use super::fairness::ConnTally;
use super::record::{Recorder, Window};

/// Why a connection ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Ending {
    /// It owed nothing when the run ended: every message answered.
    #[default]
    Served,
    /// The server reset it before any answer: what a server over its
    /// `--max-conns` does with a connection it cannot take.
    Rejected,
    /// The server closed it (cleanly) before any answer: what a server does
    /// with a frame over its `--max-frame`.
    ClosedUnanswered,
    /// The server closed it, after answering some, while something was
    /// owed: a server stopping mid-run.
    Closed,
    /// Any other failure: a reset after answers, a wrong answer, a socket
    /// error.
    Failed,
    /// Still open and owed an answer when the run gave up (the window's end
    /// plus the drain).
    NeverAnswered,
    /// The connection could not be made (refused, timed out).
    NeverConnected,
}

/// How the server ended a connection, as an engine saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trouble {
    /// Reset (`ECONNRESET`, or `EPIPE` on a write after the reset).
    Reset,
    /// End of stream where an answer was owed.
    Closed,
    /// Anything else: a wrong answer, a protocol error, another socket error.
    Other,
}

impl Trouble {
    /// Classifies a client error.
    pub fn of(e: &ClientError) -> Trouble {
        match e.exception() {
            Some(PyException::ConnectionResetError | PyException::BrokenPipeError) => {
                Trouble::Reset
            }
            Some(PyException::UnexpectedEof) => Trouble::Closed,
            _ => Trouble::Other,
        }
    }
}

/// One connection's account.
#[derive(Debug, Clone)]
pub struct Ledger {
    tally: ConnTally,
    /// Due times of the messages sent and not yet answered, oldest first.
    in_flight: VecDeque<Instant>,
    /// Sink: frames sent, the first one's due time, and those the socket
    /// took inside the window (counted once the summary confirms them).
    sink_frames: u64,
    sink_first: Option<Instant>,
    sink_window: (u64, u64),
    /// Sink: the summary is owed (the sending side was shut).
    summary_owed: Option<Instant>,
    answered_any: bool,
    /// The client shut its sending side.
    shut: bool,
    ending: Option<Ending>,
}

impl Ledger {
    /// A connection that was made; `index` numbers it in the run.
    pub fn new(index: usize) -> Ledger {
        Ledger {
            tally: ConnTally {
                index,
                ..ConnTally::default()
            },
            in_flight: VecDeque::new(),
            sink_frames: 0,
            sink_first: None,
            sink_window: (0, 0),
            summary_owed: None,
            answered_any: false,
            shut: false,
            ending: None,
        }
    }

    /// A connection whose connect failed: reset by the server (rejected), or
    /// never made at all.
    pub fn unconnected(index: usize, trouble: Trouble) -> ConnTally {
        ConnTally {
            index,
            ending: match trouble {
                Trouble::Reset => Ending::Rejected,
                _ => Ending::NeverConnected,
            },
            ..ConnTally::default()
        }
    }

    /// Messages sent and not yet answered.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// True once it ended (the engine stops driving it).
    pub fn ended(&self) -> bool {
        self.ending.is_some()
    }

    /// True while something is owed: an answer, or the sink's summary
    /// for the frames sent.
    pub fn owes(&self) -> bool {
        !self.in_flight.is_empty() || self.summary_owed.is_some() || self.sink_frames > 0
    }

    /// The client shut its sending side (the window is over).
    pub fn shut(&mut self) {
        self.shut = true;
    }

    /// The connection's number in the run.
    pub fn index(&self) -> usize {
        self.tally.index
    }

    /// An echo sent for the message due at `due`.
    pub fn sent(&mut self, due: Instant) {
        self.in_flight.push_back(due);
    }

    /// The oldest message in flight was answered at `at` (`start`: the run's
    /// start line). Returns its due time, or `None` for an answer nobody
    /// asked for (the engine ends the connection with [`Trouble::Other`]).
    pub fn answered(
        &mut self,
        start: Instant,
        window: Option<Window>,
        at: Instant,
        bytes: usize,
        rec: &mut Recorder,
    ) -> Option<Instant> {
        let due = self.in_flight.pop_front()?;
        self.first(start, at);
        if rec.complete(window, due, at, bytes) {
            self.tally.answered_in_window += 1;
        }
        Some(due)
    }

    fn first(&mut self, start: Instant, at: Instant) {
        self.answered_any = true;
        if self.tally.first_answer.is_none() {
            self.tally.first_answer = Some(at.saturating_duration_since(start));
        }
    }

    /// True once the connection had its first answer (sink: its first
    /// frame taken): it no longer holds up the warm-up.
    pub fn has_first_answer(&self) -> bool {
        self.tally.first_answer.is_some()
    }

    /// Sink: the socket took a frame of `bytes` due at `due`, at `at`. Its
    /// latency (how long the send held the writer) is recorded now; it
    /// counts as a message once the summary confirms it.
    pub fn frame_taken(
        &mut self,
        start: Instant,
        window: Option<Window>,
        due: Instant,
        at: Instant,
        bytes: usize,
        rec: &mut Recorder,
    ) {
        if self.tally.first_answer.is_none() {
            self.tally.first_answer = Some(at.saturating_duration_since(start));
        }
        self.sink_frames += 1;
        self.sink_first.get_or_insert(due);
        if rec.sink_sent(window, due, at) {
            self.sink_window.0 += 1;
            self.sink_window.1 += bytes as u64;
        }
    }

    /// Sink: a frame due at `due` that the socket never took (the run gave
    /// up first): owed like the others.
    pub fn frame_stuck(&mut self, due: Instant) {
        self.sink_frames += 1;
        self.sink_first.get_or_insert(due);
    }

    /// Sink: the sending side was shut at `at`; the summary is owed.
    pub fn summary_asked(&mut self, at: Instant) {
        self.shut = true;
        self.summary_owed.get_or_insert(at);
    }

    /// Sink: the server's summary confirmed every frame: the frames taken
    /// in the window count, and the connection is served.
    pub fn confirmed(&mut self, rec: &mut Recorder) {
        let (frames, bytes) = self.sink_window;
        rec.messages += frames;
        rec.bytes += bytes;
        self.tally.answered_in_window += frames;
        self.answered_any = true;
        self.summary_owed = None;
        self.sink_frames = 0;
        self.sink_first = None;
        self.end(Ending::Served, None);
    }

    /// The server ended the connection at `at` with `trouble`. A close
    /// after the client shut its sending side, with nothing owed, is the
    /// normal end.
    pub fn trouble(&mut self, trouble: Trouble, at: Instant) {
        let ending = match (trouble, self.answered_any) {
            (Trouble::Closed, _) if self.shut && !self.owes() => Ending::Served,
            (Trouble::Reset, false) => Ending::Rejected,
            (Trouble::Closed, false) => Ending::ClosedUnanswered,
            (Trouble::Closed, true) => Ending::Closed,
            _ => Ending::Failed,
        };
        self.end(ending, Some(at));
    }

    /// The run is over at `at`: a connection that has not ended yet ends
    /// now, served if it owes nothing, never answered otherwise.
    pub fn finish(&mut self, at: Instant) -> ConnTally {
        if self.ending.is_none() {
            let ending = if self.owes() {
                Ending::NeverAnswered
            } else {
                Ending::Served
            };
            self.end(ending, Some(at));
        }
        self.tally
    }

    /// Ends the connection once: what it still owes is unanswered, aged at
    /// `at`.
    fn end(&mut self, ending: Ending, at: Option<Instant>) {
        if self.ending.is_some() {
            return;
        }
        self.ending = Some(ending);
        self.tally.ending = ending;
        let oldest = self
            .in_flight
            .front()
            .copied()
            .into_iter()
            .chain(self.sink_first)
            .chain(self.summary_owed)
            .min();
        let owed = self.in_flight.len() as u64
            + if self.sink_frames > 0 {
                self.sink_frames
            } else {
                u64::from(self.summary_owed.is_some())
            };
        if let (Some(oldest), Some(at), true) = (oldest, at, owed > 0) {
            self.tally.unanswered = owed;
            self.tally.oldest_unanswered = Some(at.saturating_duration_since(oldest));
        }
        self.in_flight.clear();
    }
}

impl Default for Ledger {
    /// A placeholder for a slot without a connection (`Ledger::new(0)`).
    fn default() -> Self {
        Ledger::new(0)
    }
}

/// How many connections ended which way; they add up to those asked for.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Endings {
    /// Connections asked for (`--connections`).
    pub asked: usize,
    /// Owed nothing at the end: every message answered.
    pub served: usize,
    /// Reset by the server before any answer (over its `--max-conns`).
    pub rejected: usize,
    /// Closed by the server before any answer (a frame over its limit).
    pub closed_unanswered: usize,
    /// Closed by the server after some answers, with something owed (a
    /// server stopping mid-run).
    pub closed: usize,
    /// Failed otherwise (a reset after answers, a wrong answer).
    pub failed: usize,
    /// Open and owed an answer when the run gave up.
    pub never_answered: usize,
    /// The connect failed.
    pub never_connected: usize,
}

impl Endings {
    /// Counts every connection's ending.
    pub fn of(tallies: &[ConnTally]) -> Endings {
        let mut e = Endings {
            asked: tallies.len(),
            ..Endings::default()
        };
        for t in tallies {
            *match t.ending {
                Ending::Served => &mut e.served,
                Ending::Rejected => &mut e.rejected,
                Ending::ClosedUnanswered => &mut e.closed_unanswered,
                Ending::Closed => &mut e.closed,
                Ending::Failed => &mut e.failed,
                Ending::NeverAnswered => &mut e.never_answered,
                Ending::NeverConnected => &mut e.never_connected,
            } += 1;
        }
        e
    }

    /// Connections made: all asked for but those never connected (a
    /// rejected connection was made, then reset).
    pub fn made(&self) -> usize {
        self.asked - self.never_connected
    }

    /// Connections that did not end served: one error each.
    pub fn failures(&self) -> u64 {
        (self.asked - self.served) as u64
    }
}

/// Ages a duration for the report, ms to the µs.
pub fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

#[cfg(test)]
mod tests {
    use super::*;

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
                rec: Recorder::new(),
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
        use sockmodes_common::{Mode, Op, SocketError};
        let addr = "127.0.0.1:1".parse().unwrap();
        let io = |kind: std::io::ErrorKind| -> ClientError {
            SocketError::new(Op::Recv, addr, Mode::Blocking, kind.into()).into()
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
}
