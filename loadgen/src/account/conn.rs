//! One connection's part in a run, the same in both engines: its
//! [`Ledger`], the progress counter, and telling the start line, once, that
//! the connection no longer holds up the warm-up.
//!
//! An engine only reports what its client session said (an answer, a frame
//! the socket took, a trouble); what that does to the run is decided here.

use std::sync::atomic::Ordering;
use std::time::Instant;

use super::super::record::{Recorder, Window};
use super::super::Start;
use super::{Ledger, Trouble};

/// A connection's accounting while the run goes on.
#[derive(Default)]
pub(crate) struct ConnAccount {
    /// What it owes and was answered, and how it ended.
    pub ledger: Ledger,
    /// Counted at the start line (answered once, or ended).
    settled: bool,
}

impl ConnAccount {
    /// The connection of index `index` among those asked for.
    pub fn new(index: usize) -> ConnAccount {
        ConnAccount {
            ledger: Ledger::new(index),
            settled: false,
        }
    }

    /// Echo: the oldest message in flight was answered `now` (`window`:
    /// the measured window, `None` while warming up). `false` for an answer
    /// nobody asked for: the connection then ends as failed.
    pub fn answered(
        &mut self,
        run: &Start,
        window: Option<Window>,
        now: Instant,
        bytes: usize,
        rec: &mut Recorder,
    ) -> bool {
        let before = rec.messages;
        let due = self.ledger.answered(run.started(), window, now, bytes, rec);
        if due.is_none() {
            self.trouble(run, Trouble::Other, now);
            return false;
        }
        run.progress
            .fetch_add(rec.messages - before, Ordering::Relaxed);
        self.settle(run);
        true
    }

    /// Sink: the socket took, `now`, a frame of `bytes` due at `due`.
    pub fn taken(
        &mut self,
        run: &Start,
        window: Option<Window>,
        (due, now): (Instant, Instant),
        bytes: usize,
        rec: &mut Recorder,
    ) {
        self.ledger
            .frame_taken(run.started(), window, due, now, bytes, rec);
        run.progress.fetch_add(1, Ordering::Relaxed);
        self.settle(run);
    }

    /// The connection ended `at` with `trouble`.
    pub fn trouble(&mut self, run: &Start, trouble: Trouble, at: Instant) {
        self.ledger.trouble(trouble, at);
        self.settle(run);
    }

    /// Tells the start line, once, that this connection no longer holds up
    /// the warm-up.
    pub fn settle(&mut self, run: &Start) {
        if !self.settled {
            self.settled = true;
            run.settle();
        }
    }
}
