//! `--offload N`: a pool of N worker threads that runs frames' work off an
//! I/O thread, as tokio's `spawn_blocking` or Python's
//! `loop.run_in_executor` do.
//!
//! The I/O thread submits a [`Job`] (which connection, which ticket) with
//! [`Pool::try_submit`]; a worker runs it ([`Work::perform`]), puts it on
//! the done list and calls the `wake` it was given (a mio `Waker`, an
//! eventfd the ring reads): the I/O thread then takes the done jobs with
//! [`Pool::take_done`] and hands each ticket back to its session.
//!
//! **The queue is bounded** ([`queue_capacity`]). When it is full,
//! `try_submit` gives the job back: the driver keeps it (in its own list,
//! one entry per connection at most) and submits it when a job is done.
//! Meanwhile that connection's session waits for its work and reads no
//! more (`ServerSession::wants_read`), so its peer is held by TCP's flow
//! control, not by our memory. What the pool itself can hold is
//! [`memory_bound`]: its queue, its done list and its workers' stacks.
//!
//! An event loop or a ring holds its pool in a [`Runner`], which also
//! parks `wait` work on the thread's timer, and hands finished work back
//! with [`finish`] (`runner.rs`).
//!
//! [`Work::perform`]: crate::work::Work::perform

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

use crate::work::WorkTicket;

mod runner;
mod waits;
pub use runner::{finish, hand_back, Runner, Started, WorkDriver};
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

/// A running pool; dropping it lets the workers finish the job in hand,
/// drops what is queued, and joins them.
pub struct Pool {
    queue: Option<SyncSender<Job>>,
    cut: Arc<AtomicBool>,
    done: Arc<Mutex<Vec<Job>>>,
    workers: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("workers", &self.workers.len())
            .finish()
    }
}

impl Pool {
    /// Starts `workers` threads; each calls `wake` after putting a job on
    /// the done list (only when the list was empty: one wake per batch).
    /// `limits` are the system's limits on threads
    /// (`sockmodes_os::limits::thread_limits()`), checked first.
    ///
    /// # Errors
    /// [`OffloadError`]: over a thread limit, or a refused thread.
    pub fn start(
        workers: usize,
        limits: &[ThreadLimit],
        wake: Arc<dyn Fn() + Send + Sync>,
    ) -> Result<Pool, OffloadError> {
        check_thread_limit(workers, limits)?;
        let (queue, jobs) = mpsc::sync_channel(queue_capacity(workers));
        let jobs = Arc::new(Mutex::new(jobs));
        let done = Arc::new(Mutex::new(Vec::new()));
        let cut = Arc::new(AtomicBool::new(false));
        let mut pool = Pool {
            queue: Some(queue),
            cut: Arc::clone(&cut),
            done: Arc::clone(&done),
            workers: Vec::with_capacity(workers),
        };
        for index in 0..workers {
            let (jobs, done, wake) = (Arc::clone(&jobs), Arc::clone(&done), Arc::clone(&wake));
            let cut = Arc::clone(&cut);
            let worker = thread::Builder::new()
                .name(format!("sockmodes-work-{index}"))
                .stack_size(WORKER_STACK)
                .spawn(move || work(&jobs, &done, &cut, &*wake))
                .map_err(|source| OffloadError::Spawn {
                    asked: workers,
                    index: index + 1,
                    source,
                })?;
            pool.workers.push(worker);
        }
        Ok(pool)
    }

    /// Queues `job`, or gives it back when the queue is full.
    ///
    /// # Errors
    /// The job itself, when the queue is full: keep it and try again after
    /// [`take_done`](Self::take_done) returned something.
    pub fn try_submit(&self, job: Job) -> Result<(), Job> {
        let queue = self.queue.as_ref().expect("open until drop");
        match queue.try_send(job) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) => Err(job),
        }
    }

    /// Moves every finished job into `into`.
    pub fn take_done(&self, into: &mut Vec<Job>) {
        into.append(&mut self.done.lock().expect("done list"));
    }

    /// The shutdown deadline passed: work in hand stops early (its answer
    /// is never sent) and nothing more is started.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::Release);
    }

    /// The number of workers.
    pub fn workers(&self) -> usize {
        self.workers.len()
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.cut();
        drop(self.queue.take());
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

/// A worker: takes a job, does it, reports it, until the queue closes.
fn work(
    jobs: &Mutex<Receiver<Job>>,
    done: &Mutex<Vec<Job>>,
    cut: &AtomicBool,
    wake: &(dyn Fn() + Send + Sync),
) {
    loop {
        let job = match jobs.lock().expect("job queue").recv() {
            Ok(job) => job,
            Err(_) => return, // the pool was dropped
        };
        if !job.ticket.work.perform_unless(cut) {
            continue; // cut at the deadline: its connection is closing
        }
        let mut list = done.lock().expect("done list");
        let first = list.is_empty();
        list.push(job);
        drop(list);
        if first {
            wake();
        }
    }
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
    let asked = workers as u64;
    let own = ThreadLimit {
        name: "this program's own limit where the system states none",
        max: UNSTATED_MAX as u64,
    };
    match limits
        .iter()
        .chain(std::iter::once(&own))
        .find(|l| asked > l.max)
    {
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
    use crate::work::Work;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    fn job(key: usize) -> Job {
        let work: Work = "block:1ms".parse().unwrap();
        Job {
            tag: Tag { key, serial: 0 },
            ticket: WorkTicket { id: 0, work },
        }
    }

    #[test]
    fn every_job_comes_back_and_a_full_queue_gives_the_job_back() {
        let wakes = Arc::new(AtomicUsize::new(0));
        let w = Arc::clone(&wakes);
        let pool = Pool::start(
            1,
            &[],
            Arc::new(move || {
                w.fetch_add(1, Ordering::Relaxed);
            }),
        )
        .unwrap();
        let (mut accepted, mut refused) = (Vec::new(), Vec::new());
        // One worker, four slots: more than five at once cannot all fit.
        // (The worker may finish one meanwhile, so the keys accepted need
        // not be the first ones.)
        for key in 0..20 {
            match pool.try_submit(job(key)) {
                Ok(()) => accepted.push(key),
                Err(j) => refused.push(j.tag.key),
            }
        }
        let queued = accepted.len();
        assert!(!refused.is_empty(), "the queue is bounded");
        assert!(queued <= queue_capacity(1) + 1, "{queued} queued");
        let mut done = Vec::new();
        while done.len() < queued {
            pool.take_done(&mut done);
            thread::sleep(Duration::from_millis(1));
        }
        assert!(wakes.load(Ordering::Relaxed) >= 1);
        let mut keys: Vec<usize> = done.iter().map(|j| j.tag.key).collect();
        keys.sort_unstable();
        assert_eq!(keys, accepted);
    }

    #[test]
    fn too_many_threads_is_a_clear_error() {
        let e = Pool::start(usize::MAX / 2, &[], Arc::new(|| {})).unwrap_err();
        let line = e.to_string();
        assert!(
            line.contains("more threads than this system allows"),
            "{line}"
        );
    }

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
