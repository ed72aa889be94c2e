//! Where a frame's work runs on the event loop (`--work`, `--offload`).
//!
//! The session hands out one ticket per frame and holds that frame's answer
//! until the ticket comes back (common's `session.rs`); this file only
//! decides where the work happens:
//!
//! - **inline** (the default): `cpu` and `block` run right here, on the
//!   loop's thread. Every other connection waits meanwhile: the classic
//!   mistake ("don't block the event loop"), and the ceiling of
//!   1 / work time messages per second whatever the connection count.
//! - **a timer** for `wait`: the frame is parked in [`Waits`] and the
//!   loop's timer (a timerfd on Linux, `timer.rs`) wakes it when due; the
//!   loop serves others meanwhile.
//! - **the pool** (`--offload N`): `cpu` and `block` go to N workers; a
//!   worker's result wakes the loop through its mio `Waker`. The pool's
//!   queue is bounded: a job it refuses waits in `blocked` (one per
//!   connection at most), and its connection reads nothing more until
//!   then (backpressure; the session's `wants_read`).

use std::sync::Arc;
use std::time::Instant;

use mio::Waker;
use sockmodes_common::offload::{Job, OffloadError, Pool, Tag};
use sockmodes_common::WorkKind;
use tracing::debug;

use super::EventLoop;
use crate::conn::End;

/// The loop's own pool, when `--offload` asked for one.
pub(super) fn start_pool(workers: usize, waker: &Arc<Waker>) -> Result<Option<Pool>, OffloadError> {
    if workers == 0 {
        return Ok(None);
    }
    let waker = Arc::clone(waker);
    Pool::start(
        workers,
        &sockmodes_os::limits::thread_limits(),
        Arc::new(move || {
            // A failed wake means the loop is gone.
            let _ = waker.wake();
        }),
    )
    .map(Some)
}

impl EventLoop {
    /// Drives a connection, and while its frames' work runs inline, does
    /// it and drives it again (`work.rs`).
    /// At most `INLINE_BUDGET` works per turn: then the connection waits
    /// its next turn, as after its read budget.
    pub(super) fn drive(&mut self, key: usize, short_read_drains: bool) {
        let mut short = short_read_drains;
        let mut worked = 0;
        while self.drive_once(key, short) {
            if worked == sockmodes_common::offload::INLINE_BUDGET {
                self.requeue.push(key);
                break;
            }
            if !self.start_work(key) {
                break;
            }
            worked += 1;
            short = false;
        }
    }

    /// Starts the work of the frame `key`'s session just began, if any.
    /// True when it was done inline: drive the connection again (its
    /// answer may leave, and input waiting behind it may be read).
    pub(super) fn start_work(&mut self, key: usize) -> bool {
        let Some(conn) = self.conns.get_mut(key) else {
            return false;
        };
        if conn.closing.is_some() {
            return false; // lingering: nothing more is answered
        }
        let Some(ticket) = conn.session.next_work() else {
            return false;
        };
        let job = Job {
            tag: Tag {
                key,
                serial: conn.serial,
            },
            ticket,
        };
        match (ticket.work.kind, &self.pool) {
            (WorkKind::Wait, _) => {
                self.waits.push(ticket.work.due(Instant::now()), job);
                self.arm_timer();
                false
            }
            (_, Some(pool)) => {
                if let Err(job) = pool.try_submit(job) {
                    self.blocked.push_back(job);
                }
                false
            }
            (_, None) => {
                ticket.work.perform();
                self.work_done(job)
            }
        }
    }

    /// Hands a finished job back to its session. True when the connection
    /// is still there and should be driven.
    fn work_done(&mut self, job: Job) -> bool {
        let Some(conn) = self.conns.get_mut(job.tag.key) else {
            return false;
        };
        if conn.serial != job.tag.serial || conn.closing.is_some() {
            return false; // closed meanwhile; the key may be another's now
        }
        // Work is progress: a connection waiting for the pool is not idle.
        conn.last_progress = Instant::now();
        match conn.session.work_done(job.ticket) {
            Ok(_) => true,
            Err(e) => {
                self.end(job.tag.key, End::from(e));
                false
            }
        }
    }

    /// Takes what the pool finished and the waits that came due, hands
    /// each back, and drives its connection; refills the pool's queue from
    /// the jobs it refused.
    pub(super) fn finish_work(&mut self) {
        let mut done = std::mem::take(&mut self.done);
        if let Some(pool) = &self.pool {
            pool.take_done(&mut done);
        }
        if self.waits.next_due().is_some_and(|t| t <= Instant::now()) {
            self.waits.take_due(Instant::now(), &mut done);
        }
        let finished = done.len();
        for job in done.drain(..) {
            if self.work_done(job) {
                self.drive(job.tag.key, false);
            }
        }
        self.done = done;
        if finished > 0 {
            self.submit_blocked();
            self.arm_timer();
        }
    }

    /// Moves refused jobs into the pool's queue while it has room.
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

    /// Arms the loop's timer for the earliest wait.
    fn arm_timer(&mut self) {
        if let (Some(timer), Some(at)) = (&self.timer, self.waits.next_due()) {
            if let Err(e) = timer.arm(at) {
                debug!(error = %e, "could not arm the wait timer; the poll timeout covers it");
            }
        }
    }

    /// The shutdown deadline: work in the pool stops early.
    pub(super) fn cut_work(&mut self) {
        if let Some(pool) = &self.pool {
            pool.cut();
        }
        self.blocked.clear();
    }
}
