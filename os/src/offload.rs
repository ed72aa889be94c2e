//! `--offload N`: a pool of N worker threads that runs frames' work off an
//! I/O thread, as tokio's `spawn_blocking` or Python's
//! `loop.run_in_executor` do. What a job is, how many the queue holds and
//! what the pool may cost are the core's (`sockmodes_serving::offload`);
//! starting the threads and running the work is here.
//!
//! The I/O thread submits a [`Job`] (which connection, which ticket) with
//! [`Pool::try_submit`]; a worker runs it ([`Perform`]), puts it on the
//! done list and calls the `wake` it was given (a mio `Waker`, an eventfd
//! the ring reads): the I/O thread then takes the done jobs with
//! [`Pool::take_done`] and hands each ticket back to its session. A full
//! queue ([`queue_capacity`]) gives the job back.
//!
//! An event loop or a ring holds its pool in a [`Runner`], which also
//! parks `wait` work on the thread's timer, and hands finished work back
//! with [`finish`] (`runner.rs`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

use sockmodes_serving::offload::{
    check_thread_limit, queue_capacity, Job, OffloadError, ThreadLimit, WORKER_STACK,
};

use crate::work::Perform;

mod runner;
pub use runner::{finish, hand_back, Runner, Started, WorkDriver};

/// A running pool; dropping it lets the workers finish the job in hand,
/// drops what is queued, and joins them.
#[derive(Debug)]
pub struct Pool {
    queue: Option<SyncSender<Job>>,
    cut: Arc<AtomicBool>,
    done: Arc<Mutex<Vec<Job>>>,
    workers: Vec<JoinHandle<()>>,
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
        queue
            .try_send(job)
            .map_err(|(TrySendError::Full(job) | TrySendError::Disconnected(job))| job)
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
        let Ok(job) = jobs.lock().expect("job queue").recv() else {
            return; // the pool was dropped
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
