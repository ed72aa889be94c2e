//! Where an event loop's or a ring's frames' work runs, and how finished
//! work goes back to its connection: one piece both drivers call, so that
//! they differ only in how they wake (a mio `Waker`, an eventfd) and how
//! they send an answer on its way (drive a connection, post a send).
//!
//! A frame's work starts in [`Runner::start_within`]: `wait` is parked on a timer
//! ([`Waits`]), `cpu` and `block` go to the pool when there is one, and
//! otherwise run inline, at once.
//!
//! The pool is shared fairly: jobs enter its queue in the order they
//! started, and a job waits in the runner's own list while any job that
//! started before it is still waiting there. A connection has one job in
//! work at a time (its session reads no further until it is done), so this
//! order is round-robin among connections: a newcomer waits behind at most
//! one job of each other connection, never behind a pipelining client's
//! next job, which starts only after the newcomer's. What finished
//! meanwhile goes back through [`finish`]: each job to its session, unless
//! its connection closed (a reused key is told apart by the serial number
//! in its [`Tag`]).

use std::collections::VecDeque;
use std::time::Instant;

use sockmodes_common::session::{ServerSession, SessionError};
use sockmodes_common::work::WorkKind;
use sockmodes_serving::offload::{Job, Tag, Waits};
use sockmodes_serving::running::Stop;

use super::Pool;
use crate::work::Perform;

/// The work of one I/O thread: its pool (with `--offload`), its timer's
/// waits, and the jobs the pool's full queue gave back.
#[derive(Debug, Default)]
pub struct Runner {
    pool: Option<Pool>,
    waits: Waits,
    /// Jobs waiting for room in the pool's queue, in the order they
    /// started (one per connection at most: its session waits for that
    /// work before it reads more).
    blocked: VecDeque<Job>,
    /// Finished jobs being handed back (kept to reuse its allocation).
    done: Vec<Job>,
}

/// What [`Runner::start_within`] did with a job.
#[derive(Debug)]
pub enum Started {
    /// Done inline, here and now: hand it back ([`hand_back`]).
    Done(Job),
    /// Parked on the timer (`wait` work): arm it for [`Runner::next_due`].
    Waiting,
    /// On the pool, or waiting for room in its queue.
    Queued,
    /// Inline, and cut short at the shutdown deadline: its answer is never
    /// sent; end its connection ([`Runner::start_within`]).
    Cut,
}

impl Runner {
    /// A runner with `pool` for `cpu` and `block` work (`None`: inline).
    pub fn new(pool: Option<Pool>) -> Runner {
        Runner {
            pool,
            ..Runner::default()
        }
    }

    /// Starts `job` at `now`: on the timer, on the pool, or inline, where
    /// it stops early once `stop`'s deadline has passed ([`Started::Cut`]):
    /// the thread doing it is the one that would cut it, so it looks at the
    /// clock between slices of the work. Otherwise a stop with frames
    /// pipelined behind inline work would wait for all of them, far past
    /// its deadline.
    pub fn start_within(&mut self, job: Job, now: Instant, stop: &Stop) -> Started {
        match (job.ticket.work.kind, &self.pool) {
            (WorkKind::Wait, _) => {
                self.waits.push(job.ticket.work.due(now), job);
                Started::Waiting
            }
            (_, Some(_)) => {
                // Behind every job that started before it.
                self.blocked.push_back(job);
                self.submit_blocked();
                Started::Queued
            }
            (_, None) => {
                let past = || stop.deadline().is_some_and(|t| Instant::now() >= t);
                if job.ticket.work.perform_until(past) {
                    Started::Done(job)
                } else {
                    Started::Cut
                }
            }
        }
    }

    /// True while something may finish without the thread's own doing
    /// (a pool, or a wait): the driver calls [`finish`] after each turn.
    pub fn has_pending(&self) -> bool {
        self.pool.is_some() || !self.waits.is_empty()
    }

    /// When the earliest wait is due (the timer to arm, the longest sleep).
    pub fn next_due(&self) -> Option<Instant> {
        self.waits.next_due()
    }

    /// The shutdown deadline: work in the pool stops early (its answer is
    /// never sent) and the refused jobs are dropped.
    pub fn cut(&mut self) {
        if let Some(pool) = &self.pool {
            pool.cut();
        }
        self.blocked.clear();
    }

    /// Moves waiting jobs into the pool's queue, oldest first, while it has
    /// room.
    fn submit_blocked(&mut self) {
        let Some(pool) = &self.pool else {
            return;
        };
        while let Some(job) = self.blocked.pop_front() {
            if let Err(job) = pool.try_submit(job) {
                self.blocked.push_front(job);
                break;
            }
        }
    }
}

/// What an I/O thread lends [`finish`] and [`hand_back`]: its runner, its
/// connections' sessions, and its two ways of going on.
pub trait WorkDriver {
    /// This thread's runner.
    fn runner(&mut self) -> &mut Runner;

    /// The session of `tag`'s connection when it is still that connection
    /// and still answering (not closing); the driver marks it as making
    /// progress (a connection waiting for its work is not idle).
    fn answering(&mut self, tag: Tag) -> Option<&mut ServerSession>;

    /// The session refused a result: end connection `key` (a lingering
    /// close, as for any protocol error).
    fn refused(&mut self, key: usize, error: SessionError);

    /// Connection `key` has an answer to send and may read again.
    fn resume(&mut self, key: usize);
}

/// Hands a finished job back to its session. True when its connection is
/// still there (the caller lets it go on).
pub fn hand_back<D: WorkDriver + ?Sized>(driver: &mut D, job: Job) -> bool {
    let Some(session) = driver.answering(job.tag) else {
        return false; // closed meanwhile; the key may be another's now
    };
    match session.work_done(job.ticket) {
        Ok(_) => true,
        Err(e) => {
            driver.refused(job.tag.key, e);
            false
        }
    }
}

/// Takes what the pool finished and the waits due by `now`, hands each
/// back and resumes its connection, then refills the pool's queue from
/// the jobs it refused. Returns how many finished.
pub fn finish<D: WorkDriver + ?Sized>(driver: &mut D, now: Instant) -> usize {
    let runner = driver.runner();
    let mut done = std::mem::take(&mut runner.done);
    if let Some(pool) = &runner.pool {
        pool.take_done(&mut done);
    }
    runner.waits.take_due(now, &mut done);
    let finished = done.len();
    for job in done.drain(..) {
        if hand_back(driver, job) {
            driver.resume(job.tag.key);
        }
    }
    let runner = driver.runner();
    runner.done = done;
    if finished > 0 {
        runner.submit_blocked();
    }
    finished
}
