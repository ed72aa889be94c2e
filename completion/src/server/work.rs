//! Where a frame's work runs on the ring's thread (`--work`, `--offload`),
//! as on the event loop (the non-blocking server's `work.rs` tells the
//! story): inline by default; `wait` as a deadline of the ring's own wait
//! (`io_uring_enter` with a timeout, nanosecond precision), so the thread
//! serves others meanwhile; with `--offload N`, cpu and block on N workers
//! whose results wake the ring through an eventfd whose read is one of the
//! ring's operations. The pool's queue is bounded; a job it refuses waits
//! in `blocked`, and its connection receives nothing more until then.

use std::sync::Arc;
use std::time::Instant;

use io_uring::{opcode, types};
use sockmodes_common::offload::{self, Job, OffloadError, Pool, Tag};
use sockmodes_common::WorkKind;

use super::{EventFd, Loop, WORK_WAKE};
use crate::conn::End;

/// The pool and the eventfd its workers signal, when `--offload` asked
/// for one and the work holds a thread (cpu, block).
pub(super) fn start_pool(
    config: &sockmodes_common::ServerConfig,
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
    /// Gives a new connection its serial number (see `offload::Tag`).
    pub(super) fn number(&mut self, key: usize) {
        self.serials += 1;
        if let Some(c) = self.conns.get_mut(key) {
            c.serial = self.serials;
        }
    }

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
        for _ in 0..offload::INLINE_BUDGET {
            let Some(c) = self.conns.get_mut(key) else {
                return;
            };
            if c.closing.is_some() || c.dying {
                return;
            }
            let Some(ticket) = c.session.next_work() else {
                return;
            };
            let job = Job {
                tag: Tag {
                    key,
                    serial: c.serial,
                },
                ticket,
            };
            match (ticket.work.kind, &self.work_pool) {
                (WorkKind::Wait, _) => {
                    self.waits.push(ticket.work.due(Instant::now()), job);
                    return;
                }
                (_, Some(pool)) => {
                    if let Err(job) = pool.try_submit(job) {
                        self.blocked.push_back(job);
                    }
                    return;
                }
                (_, None) => {
                    ticket.work.perform();
                    if !self.work_done(job) {
                        return;
                    }
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

    /// Hands a finished job back to its session; true when it is still
    /// there (the caller posts its answer).
    fn work_done(&mut self, job: Job) -> bool {
        let Some(c) = self.conns.get_mut(job.tag.key) else {
            return false;
        };
        if c.serial != job.tag.serial || c.closing.is_some() || c.dying {
            return false; // closed meanwhile; the key may be another's now
        }
        c.last_progress = Instant::now();
        match c.session.work_done(job.ticket) {
            Ok(_) => true,
            Err(e) => {
                self.end(job.tag.key, End::from(e));
                false
            }
        }
    }

    /// Hands back what the pool finished and the waits that came due, posts
    /// their answers, and refills the pool's queue.
    pub(super) fn finish_work(&mut self) {
        let mut done = std::mem::take(&mut self.done);
        if let Some(pool) = &self.work_pool {
            pool.take_done(&mut done);
        }
        self.waits.take_due(Instant::now(), &mut done);
        let finished = !done.is_empty();
        for job in done.drain(..) {
            if self.work_done(job) {
                self.start_work(job.tag.key);
                self.post(job.tag.key);
            }
        }
        self.done = done;
        if finished {
            self.submit_blocked();
        }
    }

    fn submit_blocked(&mut self) {
        let Some(pool) = &self.work_pool else {
            return;
        };
        while let Some(job) = self.blocked.pop_front() {
            if let Err(job) = pool.try_submit(job) {
                self.blocked.push_front(job);
                break;
            }
        }
    }

    /// The shutdown deadline: work in the pool stops early.
    pub(super) fn cut_work(&mut self) {
        if let Some(pool) = &self.work_pool {
            pool.cut();
        }
        self.blocked.clear();
    }
}
