//! `--offload N`, the pool's accounting: what a job is, how many the
//! bounded queue holds, what the pool may cost in memory, and whether the
//! system allows that many threads. The pool itself (its threads, the work
//! they run) is in the OS layer, `sockmodes_os::offload`: this crate starts
//! no thread and sleeps on none.
//!
//! The I/O thread submits a [`Job`] (which connection, which ticket); a
//! worker runs it, puts it on a done list and wakes the I/O thread, which
//! hands each ticket back to its session, as tokio's `spawn_blocking` or
//! Python's `loop.run_in_executor` do.
//!
//! **The queue is bounded** ([`queue_capacity`]). When it is full, the
//! pool gives the job back: the driver keeps it (in its own list, one
//! entry per connection at most) and submits it when a job is done.
//! Meanwhile that connection's session waits for its work and reads no
//! more (`ServerSession::wants_read`), so its peer is held by TCP's flow
//! control, not by our memory. What the pool itself can hold is
//! [`memory_bound`]: its queue, its done list and its workers' stacks.
//!
//! `wait` work needs no thread: an event loop or a ring parks it in
//! [`Waits`] until its due time, which the driver passes in.

use sockmodes_common::work::WorkTicket;

mod waits;
pub use waits::{Waits, PER_CONNECTION};

/// Frames a connection may have worked inline in one turn of an event loop
/// or a ring before the others get theirs.
///
/// Why 16: the same budget as the event loop's reads per turn; a client
/// that pipelines thousands of frames gets 16 works, then waits its turn,
/// so one busy connection cannot hold the loop for all of them.
pub const INLINE_BUDGET: usize = 16;

/// Queue slots per worker.
///
/// Why 4: a worker that finishes finds its next job already queued even if
/// the I/O thread is busy for a few jobs' time; a longer queue would only
/// make requests wait in our memory instead of in the sockets, where TCP's
/// flow control holds them for free.
pub const QUEUE_PER_WORKER: usize = 4;

/// Stack of each worker thread.
///
/// Why 64 KiB: a worker spins or sleeps, with a few hundred bytes of
/// frames; the same size as the blocking server's connection threads.
pub const WORKER_STACK: usize = 64 * 1024;

/// Which connection a job belongs to: its slab key, and a serial number
/// that tells a new connection under a reused key from the one that
/// submitted the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag {
    /// The connection's key in its server's slab.
    pub key: usize,
    /// The connection's serial number (unique per server).
    pub serial: u64,
}

/// One frame's work, on its way to a worker or back.
#[derive(Debug, Clone, Copy)]
pub struct Job {
    /// Whose.
    pub tag: Tag,
    /// What (handed back to the session when done).
    pub ticket: WorkTicket,
}

/// How many jobs the queue holds for `workers` workers.
pub fn queue_capacity(workers: usize) -> usize {
    workers.saturating_mul(QUEUE_PER_WORKER)
}

/// The most memory a pool of `workers` holds: every worker's stack, and a
/// job in each queue slot, in each worker's hands and on the done list.
pub fn memory_bound(workers: usize) -> u64 {
    let jobs = 2 * (queue_capacity(workers) + workers);
    (workers * WORKER_STACK + jobs * std::mem::size_of::<Job>()) as u64
}

/// Why the pool could not start.
#[derive(Debug, thiserror::Error)]
pub enum OffloadError {
    /// More workers than this system lets a process have.
    #[error("--offload {asked}: more threads than this system allows ({limit}: at most {max})")]
    TooMany {
        /// Workers asked for.
        asked: usize,
        /// Which limit.
        limit: &'static str,
        /// Its value.
        max: u64,
    },
    /// The OS refused a thread.
    #[error("--offload {asked}: the system refused worker thread {index}: {source}")]
    Spawn {
        /// Workers asked for.
        asked: usize,
        /// Which one failed (from 1).
        index: usize,
        /// What the OS said.
        source: std::io::Error,
    },
}

/// A limit the system puts on a process's threads, as the OS layer reads
/// it (`sockmodes_os::limits::thread_limits`): this crate makes no system
/// call, so the figures come in as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadLimit {
    /// Its name, as the error shows it (`RLIMIT_NPROC`, `kernel.threads-max`).
    pub name: &'static str,
    /// The most threads it allows.
    pub max: u64,
}

/// Refuses more workers than the process may have threads: any of the
/// system's `limits` (the soft `RLIMIT_NPROC` on Unix,
/// `/proc/sys/kernel/threads-max` on Linux), and [`UNSTATED_MAX`] where
/// the system states none.
pub fn check_thread_limit(workers: usize, limits: &[ThreadLimit]) -> Result<(), OffloadError> {
    let own = ThreadLimit {
        name: "this program's own limit where the system states none",
        max: UNSTATED_MAX as u64,
    };
    let over = limits.iter().chain([&own]).find(|l| workers as u64 > l.max);
    match over {
        Some(l) => Err(OffloadError::TooMany {
            asked: workers,
            limit: l.name,
            max: l.max,
        }),
        None => Ok(()),
    }
}

/// The most workers started where the system states no limit of its own.
///
/// Why 32,768: Linux's default `kernel.threads-max` on a small machine is
/// of that order; Windows states no limit, and asking for millions would
/// only fail late, after reserving their stacks.
pub const UNSTATED_MAX: usize = 32_768;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stated_limit_is_named_and_the_own_one_applies_beside_it() {
        let nproc = ThreadLimit {
            name: "RLIMIT_NPROC",
            max: 5,
        };
        assert!(check_thread_limit(5, &[nproc]).is_ok());
        let line = check_thread_limit(6, &[nproc]).unwrap_err().to_string();
        assert!(line.contains("RLIMIT_NPROC: at most 5"), "{line}");
        let roomy = ThreadLimit {
            name: "kernel.threads-max",
            max: u64::MAX,
        };
        let line = check_thread_limit(UNSTATED_MAX + 1, &[roomy])
            .unwrap_err()
            .to_string();
        assert!(line.contains("own limit"), "{line}");
    }

    #[test]
    fn the_bound_counts_stacks_and_slots() {
        assert!(memory_bound(64) >= 64 * WORKER_STACK as u64);
        assert!(memory_bound(64) < memory_bound(65));
    }
}
