//! How the connections of a run ended, counted and said: the counts add
//! up to the connections asked for, and each way but served gets one
//! sentence of why (`account.rs` decides each connection's ending).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sockmodes_python::show::count;

use super::account::{ConnTally, Ending};

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

/// One sentence per way connections ended other than served: why.
pub fn endings_said(e: &Endings, size: usize) -> Vec<String> {
    let frame = format!(
        "closed by the server before any answer: as a server does with a frame over its limit \
         (is --size {size} over its --max-frame?)"
    );
    let said = [
        (
            e.rejected,
            "reset by the server before any answer: rejected, as a server over its connection \
             limit (--max-conns) does",
        ),
        (e.closed_unanswered, frame.as_str()),
        (
            e.closed,
            "closed by the server mid-run with messages owed (was it stopped?)",
        ),
        (
            e.failed,
            "failed: a reset after answers, a wrong answer or another socket error",
        ),
        (
            e.never_answered,
            "still owed an answer when the run gave up (window end + 5 s, or twice the ramp if \
             longer): never answered",
        ),
        (
            e.never_connected,
            "could not connect (refused or timed out)",
        ),
    ];
    said.into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, why)| {
            format!(
                "{n} of {} {why}",
                count(e.asked as u64, "connection", "connections")
            )
        })
        .collect()
}
