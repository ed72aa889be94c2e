//! Where a frame's work runs on the ring's thread (`--work`, `--offload`),
//! as on the event loop (the non-blocking server's `work.rs` tells the
//! story): inline by default; `wait` as a deadline of the ring's own wait
//! (`io_uring_enter` with a timeout, nanosecond precision), so the thread
//! serves others meanwhile; with `--offload N`, cpu and block on N workers
//! whose results wake the ring through an eventfd whose read is one of the
//! ring's operations. The pool's queue is bounded; a job it refuses waits
//! in the OS layer's `offload::Runner`, and its connection receives nothing more
//! until then. The runner decides where work goes and hands finished work
//! back, the same way here and on the event loop.

use std::sync::Arc;
use std::time::Instant;

use io_uring::{opcode, types};
use sockmodes_common::{ServerSession, SessionError};
use sockmodes_os::offload::{self, Pool, Runner, Started, WorkDriver};
use sockmodes_serving::offload::{Job, OffloadError, Tag, INLINE_BUDGET};

use super::{EventFd, Loop, WORK_WAKE};
use crate::conn::End;

/// The pool and the eventfd its workers signal, when `--offload` asked
/// for one and the work holds a thread (cpu, block).
pub(super) fn start_pool(
    config: &sockmodes_serving::ServerConfig,
) -> Result<Option<(Pool, Arc<EventFd>)>, OffloadError> {
    let holds = config.work.is_some_and(|w| w.kind.holds_thread());
    if config.offload == 0 || !holds {
        return Ok(None);
    }
    let fd = Arc::new(EventFd::new().map_err(|source| OffloadError::Spawn {
        asked: config.offload,
        index: 0,
        source,
    })?);
    let signal = Arc::clone(&fd);
    let limits = sockmodes_os::limits::thread_limits();
    let pool = Pool::start(config.offload, &limits, Arc::new(move || signal.signal()))?;
    Ok(Some((pool, fd)))
}

impl Loop {
    /// Posts the read of the pool's eventfd (again after each completion).
    pub(super) fn post_work_wake(&mut self) -> std::io::Result<()> {
        let Some(fd) = &self.work_fd else {
            return Ok(());
        };
        let sqe = opcode::Read::new(types::Fd(fd.0), self.work_buf.as_mut_ptr(), 8)
            .build()
            .user_data(WORK_WAKE);
        // SAFETY: work_buf and the eventfd live in `self`, dropped after the ring.
        unsafe { self.ring.push(&sqe)? };
        Ok(())
    }

    /// Starts the work of the frames `key`'s session began: inline ones
    /// are done here, at once, one after another.
    ///
    /// At most `INLINE_BUDGET` inline works per turn; then the connection
    /// waits in `ready` for the next turn, so others get theirs.
    pub(super) fn start_work(&mut self, key: usize) {
        for _ in 0..INLINE_BUDGET {
            let Some(c) = self.conns.get_mut(key) else {
                return;
            };
            if c.closing.is_some() || c.dying {
                return;
            }
            let Some(ticket) = c.session.next_work(&self.shared.stats) else {
                return;
            };
            let tag = Tag {
                key,
                serial: c.serial,
            };
            // A wait is a deadline of the ring's own wait (`timeout`).
            let job = Job { tag, ticket };
            match self
                .work
                .start_within(job, Instant::now(), &self.shared.stop)
            {
                Started::Done(job) => {
                    self.worked_inline = true;
                    if !offload::hand_back(self, job) {
                        return;
                    }
                    // Its answer leaves now, not after the budget's
                    // other frames' work.
                    self.post(key);
                }
                Started::Waiting | Started::Queued => return,
                Started::Cut => {
                    // The shutdown deadline passed during it.
                    self.shared.stop.count_cut(1);
                    self.end(key, End::ShutdownDeadline);
                    return;
                }
            }
        }
        self.ready.push(key);
    }

    /// Connections that used their inline budget: their turn again.
    pub(super) fn start_ready(&mut self) {
        for key in std::mem::take(&mut self.ready) {
            self.start_work(key);
            self.post(key);
        }
    }

    /// Hands back what the pool finished and the waits that came due, and
    /// posts their answers.
    pub(super) fn finish_work(&mut self) {
        offload::finish(self, Instant::now());
    }
}

impl WorkDriver for Loop {
    fn runner(&mut self) -> &mut Runner {
        &mut self.work
    }

    fn answering(&mut self, tag: Tag) -> Option<&mut ServerSession> {
        let c = self.conns.get_mut(tag.key)?;
        if c.serial != tag.serial || c.closing.is_some() || c.dying {
            return None;
        }
        c.liveness.worked(Instant::now());
        Some(&mut c.session)
    }

    fn refused(&mut self, key: usize, error: SessionError) {
        self.end(key, End::from(error));
    }

    fn resume(&mut self, key: usize) {
        self.start_work(key);
        self.post(key);
    }
}
