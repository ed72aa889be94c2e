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
//! sending; a reset only over `--max-conns`; on shutdown, connections at
//! rest close at once and busy ones when they come to rest or at the
//! deadline. A shutdown reaches the sleeping thread through an eventfd
//! whose read is one of the ring's operations.
//!
//! `accept.rs` takes new connections (and stops taking them); `closing.rs`
//! ends them (lingering close, the idle sweep, the shutdown, and the drain
//! that waits for every operation before the ring goes); `lending.rs` lends
//! the pool's buffers that came back to connections that found it empty.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use io_uring::{opcode, types};
use sockmodes_common::config::LINGER_TIME;
use sockmodes_common::slab::Slab;
use sockmodes_common::throttle::Throttle;
use sockmodes_common::{
    MessageHandler, Mode, Op, ServerConfig, ServerStats, SocketError, StatsSnapshot,
};
use sockmodes_os::net::{self};
use tracing::{debug, info, warn};

mod accept;
mod closing;
mod lending;
#[cfg(test)]
mod tests;
mod work;

use crate::conn::{self, Conn, End, Next};
use crate::pool::Pool;
use crate::ring::{Completion, Ring};
use crate::{RecvBuffers, POOL_BUFFERS};
use sockmodes_common::offload::{self as offload, Job, Waits};

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

struct Shared {
    config: ServerConfig,
    on_message: MessageHandler,
    stats: Arc<ServerStats>,
    stopping: AtomicBool,
    stop_deadline: Mutex<Option<Instant>>,
    enters: AtomicU64,
    cut: AtomicUsize,
    /// Receives that found the pool empty and waited for a buffer.
    pool_waits: AtomicU64,
}

/// A running completion server.
pub struct ServerHandle {
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    wake_fd: Arc<EventFd>,
    thread: JoinHandle<()>,
}

/// An eventfd, closed on drop.
struct EventFd(i32);

impl EventFd {
    fn new() -> std::io::Result<EventFd> {
        // SAFETY: eventfd takes no pointers.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(EventFd(fd))
    }

    fn signal(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64 to our own descriptor.
        unsafe { libc::write(self.0, (&one as *const u64).cast(), 8) };
    }
}

impl Drop for EventFd {
    fn drop(&mut self) {
        // SAFETY: our own descriptor, closed once.
        unsafe { libc::close(self.0) };
    }
}

/// Binds `config.addr`, sets up the ring and starts its thread.
///
/// # Errors
/// The bind failure, or the kernel's refusal of io_uring (as a bind error
/// naming it; `crate::probe` says it better, before binding).
pub fn start(
    config: ServerConfig,
    on_message: MessageHandler,
) -> Result<ServerHandle, SocketError> {
    start_with_pool(config, on_message, POOL_BUFFERS)
}

/// [`start`] with a pool of `pool_buffers` receive buffers (a power of
/// two); the tests use a small one to run it dry.
fn start_with_pool(
    config: ServerConfig,
    on_message: MessageHandler,
    pool_buffers: u16,
) -> Result<ServerHandle, SocketError> {
    let addr = config.addr;
    let bind_err = SocketError::on(Op::Bind, addr, Mode::NonBlocking);
    let listener = net::listen(addr, config.backlog).map_err(&bind_err)?;
    let local_addr = listener.local_addr().map_err(&bind_err)?;
    let ring = Ring::new(RING_ENTRIES).map_err(|why| bind_err(std::io::Error::other(why)))?;
    let wake_fd = Arc::new(EventFd::new().map_err(&bind_err)?);
    let (work_pool, work_fd) = match work::start_pool(&config) {
        Ok(Some((pool, fd))) => (Some(pool), Some(fd)),
        Ok(None) => (None, None),
        Err(e) => {
            let start_err = SocketError::on(Op::Start, local_addr, Mode::NonBlocking);
            return Err(start_err(std::io::Error::other(e.to_string())));
        }
    };
    let shared = Arc::new(Shared {
        config,
        on_message,
        stats: Arc::default(),
        stopping: AtomicBool::new(false),
        stop_deadline: Mutex::new(None),
        enters: AtomicU64::new(0),
        cut: AtomicUsize::new(0),
        pool_waits: AtomicU64::new(0),
    });
    let pool = match RecvBuffers::from_env() {
        RecvBuffers::Pool => match ring.register_pool(pool_buffers) {
            Ok(pool) => Some(pool),
            Err(e) => {
                // Before Linux 5.19: each connection receives into its own.
                debug!(error = %e, "no provided-buffer ring; each connection has its own receive buffer");
                None
            }
        },
        RecvBuffers::Own => None,
    };
    let mut event_loop = Loop {
        ring,
        pool,
        conns: Slab::default(),
        listener: Some(listener),
        accept_pending: false,
        accept_retry_at: None,
        out_of_resources: Throttle::default(),
        wake_fd: Arc::clone(&wake_fd),
        wake_buf: Box::new([0; 8]),
        wake_pending: false,
        shared: Arc::clone(&shared),
        next_sweep: None,
        lingering: 0,
        work_pool,
        work_fd,
        work_buf: Box::new([0; 8]),
        waits: Waits::default(),
        blocked: VecDeque::new(),
        done: Vec::new(),
        serials: 0,
        ready: Vec::new(),
    };
    event_loop.post_accept().map_err(&bind_err)?;
    event_loop.post_wake().map_err(&bind_err)?;
    event_loop.post_work_wake().map_err(&bind_err)?;
    let thread = thread::Builder::new()
        .name("sockmodes-ring".into())
        .spawn(move || event_loop.run())
        .map_err(&bind_err)?;
    debug!(%local_addr, mode = "completion", service = %shared.config.service, "listening");
    Ok(ServerHandle {
        local_addr,
        shared,
        wake_fd,
        thread,
    })
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
    /// `--offload`: the workers that run cpu and block work (`work.rs`),
    /// and the eventfd they signal.
    work_pool: Option<offload::Pool>,
    work_fd: Option<Arc<EventFd>>,
    work_buf: Box<[u8; 8]>,
    /// `wait` work: frames waiting for their deadline.
    waits: Waits,
    /// Jobs the pool's full queue refused, in order.
    blocked: VecDeque<Job>,
    done: Vec<Job>,
    serials: u64,
    /// Connections that used their inline budget of work this turn.
    ready: Vec<usize>,
}

impl Loop {
    fn run(mut self) {
        let mut completions = Vec::with_capacity(RING_ENTRIES as usize);
        let mut stop_at: Option<Instant> = None;
        let mut cut_done = false;
        loop {
            let timeout = self.timeout(stop_at);
            if let Err(e) = self.ring.submit_and_wait(timeout) {
                warn!(error = %e, "io_uring_enter failed; the server stops");
                break;
            }
            let before = self.shared.enters.swap(self.ring.enters, Ordering::Relaxed);
            self.shared
                .stats
                .count_syscalls(self.ring.enters.saturating_sub(before));
            self.ring.completions(&mut completions);
            for c in completions.drain(..) {
                self.complete(c);
            }
            if self.work_pool.is_some() || !self.waits.is_empty() {
                self.finish_work();
            }
            self.start_ready();
            self.lend();
            if self.accept_retry_at.is_some_and(|t| Instant::now() >= t) {
                self.accept_retry_at = None;
                self.post_accept_or_stop();
            }
            if stop_at.is_none() && self.shared.stopping.load(Ordering::Acquire) {
                let at = *self.shared.stop_deadline.lock().expect("deadline lock");
                stop_at = Some(at.unwrap_or_else(Instant::now));
                self.begin_stop();
            }
            if self.listener.is_none() && self.conns.is_empty() && !self.accept_pending {
                break;
            }
            if let Some(t) = stop_at {
                let now = Instant::now();
                if now >= t + LINGER_TIME {
                    break;
                }
                if now >= t && !cut_done {
                    cut_done = true;
                    self.cut_work();
                    self.cut_at_deadline();
                }
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
        let sweep = if self.conns.is_empty() {
            None
        } else {
            self.next_sweep
        };
        let stop = stop_at.map(|t| {
            if Instant::now() >= t {
                t + LINGER_TIME
            } else {
                t
            }
        });
        [stop, sweep, self.accept_retry_at, self.waits.next_due()]
            .into_iter()
            .flatten()
            .min()
            .map(|t| t.saturating_duration_since(Instant::now()))
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
        let stopping = self.shared.stopping.load(Ordering::Relaxed);
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

impl ServerHandle {
    /// The address really bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Live counters.
    pub fn stats(&self) -> StatsSnapshot {
        self.shared.stats.snapshot()
    }

    /// The live counters themselves, to read from another thread.
    pub fn stats_handle(&self) -> Arc<ServerStats> {
        Arc::clone(&self.shared.stats)
    }

    /// `io_uring_enter` calls so far: every system call the loop makes for
    /// I/O (accepts, receives and sends go through the ring).
    pub fn enters(&self) -> u64 {
        self.shared.enters.load(Ordering::Relaxed)
    }

    /// Receives so far that found the pool empty and waited for a buffer.
    pub fn pool_waits(&self) -> u64 {
        self.shared.pool_waits.load(Ordering::Relaxed)
    }

    /// True once the thread stopped by itself (`once`).
    pub fn is_finished(&self) -> bool {
        self.thread.is_finished()
    }

    /// Blocks until the server stops by itself (`once`).
    pub fn wait(self) {
        let _ = self.thread.join();
    }

    /// Stops accepting, lets open connections finish for up to `deadline`,
    /// closes the rest, and joins the thread. Returns how many were cut.
    pub fn shutdown(self, deadline: Duration) -> usize {
        *self.shared.stop_deadline.lock().expect("deadline lock") = Some(Instant::now() + deadline);
        self.shared.stopping.store(true, Ordering::Release);
        self.wake_fd.signal();
        let _ = self.thread.join();
        let cut = self.shared.cut.load(Ordering::Relaxed);
        if cut > 0 {
            info!(
                cut,
                "shutdown deadline passed; remaining connections closed"
            );
        }
        cut
    }
}
