//! Where a frame's work runs on the event loop (`--work`, `--offload`).
//!
//! The session hands out one ticket per frame and holds that frame's answer
//! until the ticket comes back (common's `session.rs`); the OS layer's
//! `offload::Runner` decides where the work happens, the same way here and
//! on the ring, and this file wires it to the loop's waker and timer:
//!
//! - **inline** (the default): `cpu` and `block` run right here, on the
//!   loop's thread. Every other connection waits meanwhile: the classic
//!   mistake ("don't block the event loop"), and the ceiling of
//!   1 / work time messages per second whatever the connection count.
//! - **a timer** for `wait`: the frame is parked in common's `Waits` and the
//!   loop's timer (a timerfd on Linux, `timer.rs`) wakes it when due; the
//!   loop serves others meanwhile.
//! - **the pool** (`--offload N`): `cpu` and `block` go to N workers; a
//!   worker's result wakes the loop through its mio `Waker`. The pool's
//!   queue is bounded: a job it refuses waits in the runner (one per
//!   connection at most), and its connection reads nothing more until
//!   then (backpressure; the session's `wants_read`).

use std::sync::Arc;
use std::time::Instant;

use mio::Waker;
use sockmodes_common::{ServerSession, SessionError};
use sockmodes_os::offload::{self, Pool, Runner, Started, WorkDriver};
use sockmodes_serving::offload::{Job, OffloadError, Tag, INLINE_BUDGET};
use sockmodes_serving::ServerConfig;
use tracing::debug;

use super::EventLoop;
use crate::conn::End;

/// The loop's own pool, when `--offload` asked for one and the work holds
/// a thread (cpu, block).
pub(super) fn start_pool(
    config: &ServerConfig,
    waker: &Arc<Waker>,
) -> Result<Option<Pool>, OffloadError> {
    let holds = config.work.is_some_and(|w| w.kind.holds_thread());
    if config.offload == 0 || !holds {
        return Ok(None);
    }
    let waker = Arc::clone(waker);
    Pool::start(
        config.offload,
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
    /// its next turn, as after its read budget. Inline work stops at the
    /// shutdown deadline (the runner looks at the clock between slices),
    /// so a stop ends within its deadline and the lingering bound however
    /// many frames are pipelined.
    pub(super) fn drive(&mut self, key: usize, short_read_drains: bool) {
        let mut short = short_read_drains;
        let mut worked = 0;
        while self.drive_once(key, short) {
            if worked == INLINE_BUDGET {
                self.requeue(key);
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
        let Some(ticket) = conn.session.next_work(&self.shared.stats) else {
            return false;
        };
        let tag = Tag {
            key,
            serial: conn.serial,
        };
        let job = Job { tag, ticket };
        match self
            .work
            .start_within(job, Instant::now(), &self.shared.stop)
        {
            Started::Done(job) => offload::hand_back(self, job),
            Started::Waiting => {
                self.arm_timer();
                false
            }
            Started::Queued => false,
            Started::Cut => {
                self.shared.stop.count_cut(1);
                self.end(key, End::ShutdownDeadline);
                false
            }
        }
    }

    /// Hands back what the pool finished and the waits that came due,
    /// drives their connections, and rearms the timer.
    pub(super) fn finish_work(&mut self) {
        if offload::finish(self, Instant::now()) > 0 {
            self.arm_timer();
        }
    }

    /// Arms the loop's timer for the earliest wait.
    fn arm_timer(&mut self) {
        if let (Some(timer), Some(at)) = (&self.timer, self.work.next_due()) {
            if let Err(e) = timer.arm(at) {
                debug!(error = %e, "could not arm the wait timer; the poll timeout covers it");
            }
        }
    }
}

impl WorkDriver for EventLoop {
    fn runner(&mut self) -> &mut Runner {
        &mut self.work
    }

    fn answering(&mut self, tag: Tag) -> Option<&mut ServerSession> {
        let conn = self.conns.get_mut(tag.key)?;
        if conn.serial != tag.serial || conn.closing.is_some() {
            return None;
        }
        conn.liveness.worked(Instant::now());
        Some(&mut conn.session)
    }

    fn refused(&mut self, key: usize, error: SessionError) {
        self.end(key, End::from(error));
    }

    fn resume(&mut self, key: usize) {
        self.drive(key, false);
    }
}
