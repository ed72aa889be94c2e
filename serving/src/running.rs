//! A running server, whatever its I/O model: what the command, the demo,
//! the benches and the tests may ask of it ([`RunningServer`]), the stop
//! request that a handle passes to the threads it stops ([`Stop`]), and
//! where each such thread is in that stop ([`Stopping`]).
//!
//! Each server crate's `start` binds, starts its threads and returns its
//! own handle; the handles differ only inside (an accept thread and one
//! per connection, N event loops, one ring), so the caller holds any of
//! them as a `Box<dyn RunningServer>` and never asks which it is. Nothing
//! here makes a system call: each server's implementation does its own.
//!
//! Stopping is graceful everywhere: stop accepting, let open connections
//! finish up to a deadline, then close the rest with a lingering close
//! (`ending.rs`), so a client sees its answers and end of stream, never a
//! reset.

use core::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::stats::{ServerStats, StatsSnapshot};

/// A server that is running: its address, its counters, and its end.
///
/// `wait` and `shutdown` take the box: a stopped server cannot be asked
/// anything more (read the counters through [`stats_handle`](Self::stats_handle)
/// to keep them past its end).
pub trait RunningServer: Send {
    /// The address really bound (useful with port 0).
    fn local_addr(&self) -> SocketAddr;

    /// The live counters themselves, to read from another thread.
    fn stats_handle(&self) -> Arc<ServerStats>;

    /// The counters now.
    fn stats(&self) -> StatsSnapshot {
        self.stats_handle().snapshot()
    }

    /// True once the server stopped by itself (with `once`: its one
    /// connection is done) and no connection is open.
    fn is_finished(&self) -> bool;

    /// Blocks until the server stops by itself (with `once`, after its one
    /// connection), then joins every thread.
    fn wait(self: Box<Self>);

    /// Stops accepting, lets open connections finish for up to `deadline`,
    /// closes the rest, and joins every thread. Returns how many
    /// connections had to be cut at the deadline.
    fn shutdown(self: Box<Self>, deadline: Duration) -> usize;
}

/// A stop request, from a handle to I/O threads that each serve many
/// connections (event loops, a ring): whether to stop, by when, and how
/// many connections the threads cut at that deadline.
#[derive(Debug, Default)]
pub struct Stop {
    /// Set by the request, once: a handle stops its server once.
    deadline: OnceLock<Instant>,
    cut: AtomicUsize,
}

impl Stop {
    /// Asks the threads to stop, giving open connections until `deadline`
    /// (the handle reads its clock). The caller then wakes them (a waker,
    /// an eventfd).
    pub fn request(&self, deadline: Instant) {
        let _ = self.deadline.set(deadline);
    }

    /// True once a stop was requested (cheap: an I/O thread asks it of
    /// every connection it drives).
    pub fn is_requested(&self) -> bool {
        self.deadline.get().is_some()
    }

    /// The deadline, once a stop was requested.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline.get().copied()
    }

    /// A thread cut `n` connections at the deadline.
    pub fn count_cut(&self, n: usize) {
        self.cut.fetch_add(n, Ordering::Relaxed);
    }

    /// Connections cut at the deadline, once the threads have ended; logged
    /// when there were any.
    pub fn cut(&self) -> usize {
        let cut = self.cut.load(Ordering::Relaxed);
        if cut > 0 {
            tracing::info!(
                cut,
                "shutdown deadline passed; remaining connections closed"
            );
        }
        cut
    }
}

/// Where one I/O thread is in a stop, as it sees it turn by turn: the
/// request seen once (then it closes its connections at rest and stops
/// accepting), the deadline passed once (it cuts the busy ones), and the
/// lingering closes' bound passed after it (it ends). The event loops and
/// the ring keep one each.
#[derive(Debug, Default)]
pub struct Stopping {
    deadline: Option<Instant>,
    cut: bool,
}

/// Where a stopping thread is against its deadline ([`Stopping::at`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    /// No stop, or its deadline is still ahead.
    Ahead,
    /// Just passed: cut the connections still busy (said once).
    Cut,
    /// Passed, and so has every lingering close's bound: the thread ends.
    Over,
}

impl Stopping {
    /// True the first time `stop` is seen requested: begin the stop.
    pub fn seen(&mut self, stop: &Stop) -> bool {
        if self.deadline.is_some() {
            return false;
        }
        self.deadline = stop.deadline();
        self.deadline.is_some()
    }

    /// The deadline, once the stop was seen.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Where the thread is at `now` (time is the driver's). A thread that
    /// first looks after the lingering closes' bound too is still told to
    /// cut first: the cut is where each connection ends as its end says
    /// (a `message` with a reset), and the end closes what is left plainly.
    pub fn at(&mut self, now: Instant) -> Deadline {
        match self.deadline {
            Some(t) if now >= t && !self.cut => {
                self.cut = true;
                Deadline::Cut
            }
            Some(t) if now >= t + crate::config::LINGER_TIME => Deadline::Over,
            _ => Deadline::Ahead,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_is_seen_with_its_deadline_and_its_cuts_add_up() {
        let stop = Stop::default();
        assert!(!stop.is_requested());
        assert_eq!(stop.deadline(), None);
        let by = Instant::now() + Duration::from_secs(5);
        stop.request(by);
        assert!(stop.is_requested());
        assert_eq!(stop.deadline(), Some(by));
        stop.count_cut(2);
        stop.count_cut(1);
        assert_eq!(stop.cut(), 3);
    }

    #[test]
    fn a_thread_sees_the_stop_once_cuts_once_and_ends_past_the_lingering_bound() {
        let (stop, mut stopping) = (Stop::default(), Stopping::default());
        let now = Instant::now();
        assert!(!stopping.seen(&stop), "no request yet");
        assert_eq!(stopping.at(now), Deadline::Ahead);
        let by = now + Duration::from_secs(5);
        stop.request(by);
        assert!(stopping.seen(&stop));
        assert!(!stopping.seen(&stop), "seen once");
        assert_eq!(stopping.deadline(), Some(by));
        assert_eq!(stopping.at(now), Deadline::Ahead);
        assert_eq!(stopping.at(by), Deadline::Cut);
        assert_eq!(stopping.at(by), Deadline::Ahead, "cut once");
        let over = by + crate::config::LINGER_TIME;
        assert_eq!(stopping.at(over), Deadline::Over);
    }

    #[test]
    fn a_thread_that_first_looks_past_every_bound_still_cuts_before_it_ends() {
        let (stop, mut stopping) = (Stop::default(), Stopping::default());
        let by = Instant::now() + Duration::from_secs(5);
        stop.request(by);
        assert!(stopping.seen(&stop));
        let late = by + crate::config::LINGER_TIME * 2;
        assert_eq!(stopping.at(late), Deadline::Cut);
        assert_eq!(stopping.at(late), Deadline::Over);
    }
}
