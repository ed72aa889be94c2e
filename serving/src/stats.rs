//! A running server's live counters, shared by its threads and read from
//! outside while it runs (the command's `kill -USR1` line, the benches, the
//! tests): connections admitted, refused, open, timed out and torn; the
//! system calls it made; how much each of its waits brought (wake-ups and
//! the events they found); the frames it handed to work. Each is one relaxed
//! atomic add where the event happens, in the model that makes it; and
//! the throttle of the cuts' log lines, which every thread shares too.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use crate::liveness::{Cut, Direction};
use crate::throttle::Throttle;

use sockmodes_common::session::CountsWork;

/// Live counters of a server, readable while it runs.
#[derive(Debug, Default)]
pub struct ServerStats {
    accepted: AtomicU64,
    rejected: AtomicU64,
    active: AtomicUsize,
    timed_out: AtomicU64,
    too_slow_receiving: AtomicU64,
    too_slow_sending: AtomicU64,
    /// The log lines of cuts (idle, too slow): one a second at most, with
    /// the count held back, whichever thread cuts (a lock per cut, none per
    /// byte).
    cut_log: Mutex<Throttle>,
    protocol_errors: AtomicU64,
    syscalls: AtomicU64,
    wakeups: AtomicU64,
    events: AtomicU64,
    work_started: AtomicU64,
}

/// A copy of [`ServerStats`] at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatsSnapshot {
    /// Connections accepted and served.
    pub accepted: u64,
    /// Connections refused over the limit.
    pub rejected: u64,
    /// Connections open now.
    pub active: usize,
    /// Connections closed by the idle timeout (no byte moved either way).
    pub timed_out: u64,
    /// Connections closed because their peer sent a frame slower than the
    /// minimum rate (`liveness.rs`).
    pub too_slow_receiving: u64,
    /// Connections closed because their peer read its answers slower than
    /// the minimum rate.
    pub too_slow_sending: u64,
    /// Connections closed for a protocol error.
    pub protocol_errors: u64,
    /// System calls the server made for its sockets so far: accepts,
    /// reads, writes, shutdowns and socket options, plus its waits
    /// (`epoll_wait` and `epoll_ctl` for the event loop, `io_uring_enter`
    /// for the completion server). Counted by the server itself, each model
    /// where it makes the call (see each server's `count_syscalls` calls).
    pub syscalls: u64,
    /// The server's waits that came back with something to do: an event
    /// loop's `poll` that returned at least one event, the ring's turn whose
    /// `io_uring_enter` brought at least one completion. Why: messages per
    /// wake-up is how much a server batches, and it depends on how many
    /// sockets the client makes ready between two waits. The thread per
    /// connection counts none (each thread sleeps in its own read: its
    /// wake-ups are its context switches, in `/proc`), nor does tokio: its
    /// waits are its driver's, which does not say, and its workers' parks
    /// are not them (a busy worker polls the driver without parking).
    pub wakeups: u64,
    /// What those wake-ups found: readiness events (the event loop), or
    /// completions (the ring).
    pub events: u64,
    /// Frames handed to their work (`--work`): inline on a connection's
    /// thread or a loop, to the offload pool (or its runner's queue), or to
    /// a timer for `wait`. Such a frame is owed its answer: a graceful stop
    /// lets its work finish. Counted in one place for every model, where
    /// the session hands the ticket out
    /// ([`ServerSession::next_work`](sockmodes_common::ServerSession::next_work)).
    /// Why: to know from outside that a frame was taken into work, not to
    /// guess it from time passed (the shutdown tests wait for it).
    pub work_started: u64,
}

impl ServerStats {
    /// Takes a slot for a new connection if fewer than `max` are open.
    pub fn try_admit(&self, max: usize) -> bool {
        let admitted = self
            .active
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .is_ok();
        if admitted {
            self.accepted.fetch_add(1, Ordering::Relaxed);
        } else {
            self.rejected.fetch_add(1, Ordering::Relaxed);
        }
        admitted
    }

    /// Gives a connection's slot back.
    pub fn release(&self) {
        self.active.fetch_sub(1, Ordering::AcqRel);
    }

    /// Counts a connection cut by `cut`, and says whether its log line may
    /// be written at `now` (`Some(n)`: yes, `n` cuts before it got none).
    pub fn note_cut(&self, cut: &Cut, now: Instant) -> Option<u64> {
        let counter = match cut {
            Cut::Idle(_) => &self.timed_out,
            Cut::TooSlow(Direction::Receiving, _) => &self.too_slow_receiving,
            Cut::TooSlow(Direction::Sending, _) => &self.too_slow_sending,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.cut_log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .admit(now)
    }

    /// Counts a connection closed for a protocol error.
    pub fn note_protocol_error(&self) {
        self.protocol_errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts `n` system calls (see [`StatsSnapshot::syscalls`]). One
    /// relaxed add: a few nanoseconds against a system call's microsecond.
    pub fn count_syscalls(&self, n: u64) {
        self.syscalls.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts one wake-up that found `events` events or completions (see
    /// [`StatsSnapshot::wakeups`]). Two relaxed adds per wait, against the
    /// wait's system call.
    pub fn count_wakeup(&self, events: u64) {
        self.wakeups.fetch_add(1, Ordering::Relaxed);
        self.events.fetch_add(events, Ordering::Relaxed);
    }

    /// Connections open now.
    pub fn active(&self) -> usize {
        self.active.load(Ordering::Acquire)
    }

    /// All counters.
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            accepted: self.accepted.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            active: self.active(),
            timed_out: self.timed_out.load(Ordering::Relaxed),
            too_slow_receiving: self.too_slow_receiving.load(Ordering::Relaxed),
            too_slow_sending: self.too_slow_sending.load(Ordering::Relaxed),
            protocol_errors: self.protocol_errors.load(Ordering::Relaxed),
            syscalls: self.syscalls.load(Ordering::Relaxed),
            wakeups: self.wakeups.load(Ordering::Relaxed),
            events: self.events.load(Ordering::Relaxed),
            work_started: self.work_started.load(Ordering::Relaxed),
        }
    }
}

/// The session counts each frame it hands to work here, in every model
/// (see [`StatsSnapshot::work_started`]). One relaxed add per frame,
/// against at least one system call per frame.
impl CountsWork for ServerStats {
    fn work_started(&self) {
        self.work_started.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admission_respects_the_limit() {
        let stats = ServerStats::default();
        assert!(stats.try_admit(2));
        assert!(stats.try_admit(2));
        assert!(!stats.try_admit(2));
        stats.release();
        assert!(stats.try_admit(2));
        let s = stats.snapshot();
        assert_eq!((s.accepted, s.rejected, s.active), (3, 1, 2));
    }

    #[test]
    fn a_wakeup_counts_once_and_adds_what_it_found() {
        let stats = ServerStats::default();
        stats.count_wakeup(7);
        stats.count_wakeup(1);
        let s = stats.snapshot();
        assert_eq!((s.wakeups, s.events), (2, 8));
    }

    #[test]
    fn each_cut_is_counted_by_its_reason_and_its_lines_throttled() {
        use crate::liveness::MinRate;
        let stats = ServerStats::default();
        let t0 = Instant::now();
        let idle = Cut::Idle(std::time::Duration::from_secs(30));
        let slow = |d| Cut::TooSlow(d, MinRate::default());
        assert_eq!(stats.note_cut(&idle, t0), Some(0));
        assert_eq!(stats.note_cut(&slow(Direction::Receiving), t0), None);
        assert_eq!(stats.note_cut(&slow(Direction::Sending), t0), None);
        let later = t0 + crate::throttle::LOG_INTERVAL;
        assert_eq!(stats.note_cut(&slow(Direction::Sending), later), Some(2));
        let s = stats.snapshot();
        assert_eq!(
            (s.timed_out, s.too_slow_receiving, s.too_slow_sending),
            (1, 1, 2)
        );
    }
}
