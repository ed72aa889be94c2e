//! One accounting for both engines: what a connection owes, what it was
//! answered, and why it ended, defined once and free of sockets.
//!
//! Each engine keeps a [`Ledger`] per connection and tells it what happened
//! (a send, an answer, the server closing or resetting, the run giving up);
//! the ledger decides what counts. So the blocking threads and the mio loops
//! cannot disagree on what "unanswered" or "rejected" means: they only
//! report events, and the same events give the same counts, as
//! `account/tests.rs` shows with hand-made sequences.
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
//! - What a connection's events do to the run (the progress counter, the
//!   start line) is [`ConnAccount`] (`conn.rs`), also one for both engines.
//! - A connection ends in exactly one [`Ending`]; every ending but
//!   [`Ending::Served`] is one error. What it still owed then is
//!   **unanswered**, with the age of the oldest (not for a rejected
//!   connection: its messages were refused with it).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use sockmodes_client::ClientError;
use sockmodes_python::PyException;

use super::record::{Recorder, Window};

mod conn;

pub(crate) use conn::ConnAccount;

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

/// What one connection saw, one per connection asked for: what its
/// [`Ledger`] hands over at its end, which `fairness.rs` turns into figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnTally {
    /// The connection's number in the run, 0-based (names starved ones).
    pub index: usize,
    /// From the start line to its first answer (sink: its first frame taken
    /// by the socket); `None`: never answered.
    pub first_answer: Option<Duration>,
    /// Answers that arrived inside the measured window.
    pub answered_in_window: u64,
    /// Messages sent (or due) and never answered by the time the run ended.
    pub unanswered: u64,
    /// How long the oldest of those had waited when the run ended.
    pub oldest_unanswered: Option<Duration>,
    /// Why it ended.
    pub ending: Ending,
}

impl ConnTally {
    /// True when the connection was made (a rejected one was made, then
    /// reset).
    pub fn connected(&self) -> bool {
        self.ending != Ending::NeverConnected
    }
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

/// One connection's account (the default: a placeholder for a slot
/// without a connection).
#[derive(Debug, Clone, Default)]
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
            ..Ledger::default()
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
        self.answered_any = true;
        self.tally
            .first_answer
            .get_or_insert(at.saturating_duration_since(start));
        if rec.complete(window, due, at, bytes) {
            self.tally.answered_in_window += 1;
        }
        Some(due)
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
        self.tally
            .first_answer
            .get_or_insert(at.saturating_duration_since(start));
        self.sink_frames += 1;
        self.sink_first.get_or_insert(due);
        if rec.latency(window, due, at) {
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
        let ending = if self.owes() {
            Ending::NeverAnswered
        } else {
            Ending::Served
        };
        self.end(ending, Some(at));
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
        // Sink: the frames sent, or with none the summary alone.
        let sink_owed = self.sink_frames.max(u64::from(self.summary_owed.is_some()));
        let owed = self.in_flight.len() as u64 + sink_owed;
        // A rejected connection's messages were refused with it: its
        // ending says so, and they are not "never answered".
        let refused = ending == Ending::Rejected;
        if let (Some(oldest), Some(at), true, false) = (oldest, at, owed > 0, refused) {
            self.tally.unanswered = owed;
            self.tally.oldest_unanswered = Some(at.saturating_duration_since(oldest));
        }
        self.in_flight.clear();
    }
}

#[cfg(test)]
mod tests;
