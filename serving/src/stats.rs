//! A running server's live counters, shared by its threads and read from
//! outside while it runs (the command's `kill -USR1` line, the benches, the
//! tests): connections admitted, refused, open, timed out and torn; the
//! system calls it made; the frames it handed to work. Each is one relaxed
//! atomic add where the event happens, in the model that makes it.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use sockmodes_common::session::CountsWork;

/// Live counters of a server, readable while it runs.
#[derive(Debug, Default)]
pub struct ServerStats {
    accepted: AtomicU64,
    rejected: AtomicU64,
    active: AtomicUsize,
    timed_out: AtomicU64,
    protocol_errors: AtomicU64,
    syscalls: AtomicU64,
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
    /// Connections closed by the idle timeout.
    pub timed_out: u64,
    /// Connections closed for a protocol error.
    pub protocol_errors: u64,
    /// System calls the server made for its sockets so far: accepts,
    /// reads, writes, shutdowns and socket options, plus its waits
    /// (`epoll_wait` and `epoll_ctl` for the event loop, `io_uring_enter`
    /// for the completion server). Counted by the server itself, each model
    /// where it makes the call (see each server's `count_syscalls` calls).
    pub syscalls: u64,
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

    /// Counts a connection closed by the idle timeout.
    pub fn note_timeout(&self) {
        self.timed_out.fetch_add(1, Ordering::Relaxed);
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

    /// Counts a frame handed to its work (see
    /// [`StatsSnapshot::work_started`]). One relaxed add per frame, against
    /// at least one system call per frame.
    pub fn note_work_started(&self) {
        self.work_started.fetch_add(1, Ordering::Relaxed);
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
            protocol_errors: self.protocol_errors.load(Ordering::Relaxed),
            syscalls: self.syscalls.load(Ordering::Relaxed),
            work_started: self.work_started.load(Ordering::Relaxed),
        }
    }
}

/// The session counts each frame it hands to work here, in every model.
impl CountsWork for ServerStats {
    fn work_started(&self) {
        self.note_work_started();
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
}
