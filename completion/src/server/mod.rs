//! The completion server: one thread, one ring, every connection's
//! operations in flight at once.
//!
//! Each turn of the loop makes one system call, `io_uring_enter`, which
//! submits the operations queued since the last turn and sleeps until at
//! least one completes (or until the next deadline: the idle sweep, a
//! lingering close, the shutdown deadline). Then it handles every
//! completion: a new connection from the multishot accept (one accept
//! operation that keeps producing connections), bytes received (handed to
//! the session, whose answer is queued as a send), bytes sent. An idle
//! server sleeps in that one call: no timer, no spin.
//!
//! Connections end as in the other two servers (the non-blocking server's
//! `closing.rs` tells why): a lingering close where the peer may still be
//! sending; a reset over `--max-conns`, and for a `message` not read whole
//! (`serving::ending::Close`); on shutdown, connections at
//! rest close at once and busy ones when they come to rest or at the
//! deadline. A shutdown reaches the sleeping thread through an eventfd
//! whose read is one of the ring's operations.
//!
//! This file is the loop itself. `handle.rs` starts it and holds the
//! handle (`RunningServer`); `accept.rs` takes new connections (and stops
//! taking them); `closing.rs` ends them (lingering close, the idle sweep,
//! the shutdown, and the drain that waits for every operation before the
//! ring goes); `lending.rs` lends the pool's buffers that came back to
//! connections that found it empty; `work.rs` wires frames' work to the
//! ring; `eventfd.rs` is how other threads wake it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use io_uring::{opcode, types};
use sockmodes_os::offload::Runner;
use sockmodes_serving::ending::sleep_for;
use sockmodes_serving::running::{Deadline, Stopping};
use sockmodes_serving::slab::Slab;
use sockmodes_serving::throttle::Throttle;
use tracing::warn;

mod accept;
mod closing;
mod eventfd;
mod handle;
mod lending;
#[cfg(test)]
mod tests;
mod work;

use crate::conn::{self, Conn, End, Next};
use crate::pool::Pool;
use crate::ring::{Completion, Ring};
use eventfd::EventFd;
pub use handle::{start, ServerHandle};

/// `user_data` of the listener's multishot accept.
const ACCEPT: u64 = u64::MAX;
/// `user_data` of the eventfd read that carries a shutdown.
const WAKE: u64 = u64::MAX - 1;
/// `user_data` of the accept's cancellation.
const ACCEPT_CANCEL: u64 = u64::MAX - 2;
/// `user_data` of the read of the eventfd the offload pool signals.
const WORK_WAKE: u64 = u64::MAX - 3;

/// Submission queue slots.
///
/// Why 4096: a turn with a thousand busy connections queues a receive and a
/// send for each; a fuller queue is submitted early (`Ring::push`), so this
/// bounds batching, not connections.
const RING_ENTRIES: u32 = 4096;

/// The ring's own counters, beside every server's.
#[derive(Debug, Default)]
pub struct RingCounters {
    enters: AtomicU64,
    /// Receives that found the pool empty and waited for a buffer.
    pool_waits: AtomicU64,
}

/// What the ring's thread shares with the handle.
type Shared = sockmodes_os::running::Shared<RingCounters>;

impl RingCounters {
    /// `io_uring_enter` calls so far: every system call the loop makes for
    /// I/O (accepts, receives and sends go through the ring).
    pub fn enters(&self) -> u64 {
        self.enters.load(Ordering::Relaxed)
    }

    /// Receives so far that found the pool empty and waited for a buffer.
    pub fn pool_waits(&self) -> u64 {
        self.pool_waits.load(Ordering::Relaxed)
    }
}

/// The ring's thread and everything it owns. `ring` is the first field, so
/// it is dropped (and the kernel's operations on it end) before the
/// buffers and descriptors they name.
struct Loop {
    ring: Ring,
    /// Receive buffers shared by every connection (`None`: each its own).
    pool: Option<Pool>,
    conns: Slab<Conn>,
    /// `None` once accepting stopped (shutdown, `once`, fatal error).
    listener: Option<std::net::TcpListener>,
    accept_pending: bool,
    accept_retry_at: Option<Instant>,
    /// Its log line, at most once a second.
    out_of_resources: Throttle,
    wake_fd: Arc<EventFd>,
    wake_buf: Box<[u8; 8]>,
    wake_pending: bool,
    shared: Arc<Shared>,
    next_sweep: Option<Instant>,
    lingering: usize,
    /// Where frames' work runs: inline, as a deadline of the ring's wait,
    /// or on the `--offload` pool (`work.rs`), whose workers signal the
    /// eventfd `work_fd`.
    work: Runner,
    work_fd: Option<Arc<EventFd>>,
    work_buf: Box<[u8; 8]>,
    serials: u64,
    /// Connections that used their inline budget of work this turn.
    ready: Vec<usize>,
    /// Work was done inline on this thread since the last submission.
    worked_inline: bool,
    /// When the queued operations were last submitted: once inline work
    /// has held them [`EARLY_SUBMIT`], `post` submits them at once rather
    /// than at the end of the pass. Otherwise a pass that works 1,000
    /// frames inline for 1 ms each holds every answer for a second, and
    /// they leave together.
    last_submit: Instant,
}

/// How long inline work may hold the answers queued before them.
///
/// Why 1 ms: an answer then waits for at most about a millisecond of other
/// connections' inline work before it is submitted; short work (a quick
/// run's `cpu:20us`) keeps one submission per pass, since a submission per
/// message cost it a quarter of its messages per second (26,374 against
/// about 35,000 msg/s at 100 connections).
const EARLY_SUBMIT: Duration = Duration::from_millis(1);

impl Loop {
    fn run(mut self) {
        let mut completions = Vec::with_capacity(RING_ENTRIES as usize);
        let mut stopping = Stopping::default();
        loop {
            let timeout = self.timeout(stopping.deadline());
            if let Err(e) = self.ring.submit_and_wait(timeout) {
                warn!(error = %e, "io_uring_enter failed; the server stops");
                break;
            }
            (self.last_submit, self.worked_inline) = (Instant::now(), false);
            let before = self
                .shared
                .counters
                .enters
                .swap(self.ring.enters, Ordering::Relaxed);
            self.shared
                .stats
                .count_syscalls(self.ring.enters.saturating_sub(before));
            self.ring.completions(&mut completions);
            if !completions.is_empty() {
                self.shared.stats.count_wakeup(completions.len() as u64);
            }
            for c in completions.drain(..) {
                self.complete(c);
            }
            if self.work.has_pending() {
                self.finish_work();
            }
            self.start_ready();
            self.lend();
            if self.accept_retry_at.is_some_and(|t| Instant::now() >= t) {
                self.accept_retry_at = None;
                self.post_accept_or_stop();
            }
            if stopping.seen(&self.shared.stop) {
                self.begin_stop();
            }
            if self.listener.is_none() && self.conns.is_empty() && !self.accept_pending {
                break;
            }
            match stopping.at(Instant::now()) {
                Deadline::Over => break,
                Deadline::Cut => {
                    self.work.cut();
                    self.cut_at_deadline();
                }
                Deadline::Ahead => {}
            }
            self.sweep();
        }
        self.drain();
    }

    /// The longest the next wait may last (see the non-blocking server's
    /// `poll_timeout`): until the sweep, the accept retry or the deadline.
    fn timeout(&self, stop_at: Option<Instant>) -> Option<Duration> {
        if !self.ready.is_empty() {
            return Some(Duration::ZERO);
        }
        let sweep = self.next_sweep.filter(|_| !self.conns.is_empty());
        let due = [sweep, self.accept_retry_at, self.work.next_due()];
        sleep_for(Instant::now(), stop_at, due)
    }

    fn post_wake(&mut self) -> std::io::Result<()> {
        let sqe = opcode::Read::new(types::Fd(self.wake_fd.0), self.wake_buf.as_mut_ptr(), 8)
            .build()
            .user_data(WAKE);
        // SAFETY: wake_buf and the eventfd live in `self`, dropped after the ring.
        unsafe { self.ring.push(&sqe)? };
        self.wake_pending = true;
        Ok(())
    }

    fn complete(&mut self, c: Completion) {
        match c.user_data {
            ACCEPT => self.accepted(c),
            WAKE => self.wake_pending = false, // the stop flag is checked after
            WORK_WAKE => {
                // The pool finished some work (taken after this batch).
                if self.post_work_wake().is_err() {
                    warn!("could not post the offload eventfd's read again");
                }
            }
            ACCEPT_CANCEL => {}
            data => {
                let (key, op) = conn::decode(data);
                self.conn_completed(key, op, c.result, c.flags);
            }
        }
    }

    fn conn_completed(&mut self, key: usize, op: conn::Op, result: i32, flags: u32) {
        let shared = Arc::clone(&self.shared);
        let Some(c) = self.conns.get_mut(key) else {
            return;
        };
        let outcome = match op {
            conn::Op::Recv => c.received(key, result, flags, self.pool.as_mut(), &mut |peer, m| {
                (shared.on_message)(peer, m)
            }),
            conn::Op::Send => c.sent(result),
            conn::Op::Cancel => {
                c.cancel_done();
                Ok(())
            }
        };
        match outcome {
            Ok(()) => {
                self.start_work(key);
                self.post(key);
            }
            Err(end) => self.end(key, end),
        }
    }

    /// Posts a connection's next operations and acts on what it says.
    fn post(&mut self, key: usize) {
        let stopping = self.shared.stop.is_requested();
        let Some(c) = self.conns.get_mut(key) else {
            return;
        };
        if c.dying {
            if !c.in_flight() {
                self.free(key);
            }
            return;
        }
        let next = c.post(key, &mut self.ring, stopping, self.pool.is_some());
        if self.worked_inline && self.last_submit.elapsed() >= EARLY_SUBMIT {
            (self.last_submit, self.worked_inline) = (Instant::now(), false);
            c.syscalls += 1;
            if let Err(e) = self.ring.submit_and_wait(Some(Duration::ZERO)) {
                tracing::debug!(error = %e, "early submission failed; the turn's own submits it");
            }
        }
        self.shared
            .stats
            .count_syscalls(std::mem::take(&mut c.syscalls));
        match next {
            Ok(Next::Wait) => {}
            Ok(Next::End(end)) => self.end(key, end),
            Ok(Next::Close) => self.kill(key),
            Err(e) => self.end(key, End::Io(e)),
        }
    }
}
