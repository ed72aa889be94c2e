//! The non-blocking server: one thread (or N) sleeping in `Poll::poll`, each
//! serving many connections, none of which may make it wait.
//!
//! Tokens: each connection's token is its slab key; two reserved tokens name
//! the listener and the [`Waker`] that [`RunningServer::shutdown`](sockmodes_serving::RunningServer::shutdown) uses to get a
//! sleeping loop's attention. Unknown tokens are ignored: an event can arrive
//! for a connection closed earlier in the same batch (readiness is a hint).
//!
//! With N loops, every loop registers its own handle on the one listening
//! socket and accepts until `WouldBlock`; whichever loop wakes first takes the
//! connection. Counters and the connection limit are shared.
//!
//! `accept.rs` takes new connections; how they end (lingering close, the
//! idle sweep, the shutdown story) is in `closing.rs`; where frames' work
//! runs is in `work.rs`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token, Waker};
use sockmodes_common::WorkKind;
use sockmodes_os::net;
use sockmodes_os::offload::Runner;
use sockmodes_os::running::Loops;
use sockmodes_python::{interrupted, Op, SocketError, SocketMode};
use sockmodes_serving::ending::sleep_for;
use sockmodes_serving::running::{Deadline, Stopping};
use sockmodes_serving::throttle::Throttle;
use sockmodes_serving::{MessageHandler, ServerConfig};
use tracing::{debug, warn};

use crate::conn::{Conn, End};
use crate::slab::Slab;
use crate::timer::Timer;
use crate::turn::Requeue;

mod accept;
mod closing;
mod work;

const LISTENER: Token = Token(usize::MAX - 1);
const WAKER: Token = Token(usize::MAX);
/// The timer that ends `wait` work (`work.rs`).
const TIMER: Token = Token(usize::MAX - 2);

/// Events taken from the kernel per `poll` call.
///
/// Why 1024: one call drains a burst from a thousand busy connections; more
/// simply wait for the next call, which costs one syscall.
const EVENTS_CAPACITY: usize = 1024;

/// Bytes of each loop's shared read buffer.
///
/// Why 64 KiB: a burst of small frames, or a good part of a large one, per
/// read syscall; it is allocated once per loop, not per connection.
const SCRATCH: usize = 64 * 1024;

/// The event loops' own counters, beside every server's.
#[derive(Debug, Default)]
pub struct LoopCounters {
    wakeups: AtomicU64,
}

impl LoopCounters {
    /// How many times the event loops returned from `poll` (an idle server
    /// should not add to it: it sleeps in poll).
    pub fn wakeups(&self) -> u64 {
        self.wakeups.load(Ordering::Relaxed)
    }
}

/// What the event loops share with each other and with the handle.
type Shared = sockmodes_os::running::Shared<LoopCounters>;

/// A running non-blocking server: its event loops, woken through their
/// wakers to stop as `closing.rs` tells; [`LoopCounters::wakeups`] counts
/// their turns (`handle.counters().wakeups()`).
pub type ServerHandle = Loops<LoopCounters>;

/// Binds `config.addr` and starts `config.event_loops` event-loop threads
/// (one when `config.once`), each with its own pool of `config.offload`
/// workers when there is work to offload.
///
/// # Errors
/// The bind/listen failure, classified; or the pool's threads refused.
pub fn start(
    config: ServerConfig,
    on_message: MessageHandler,
) -> Result<ServerHandle, SocketError> {
    let (std_listener, local_addr) =
        net::server_listener(config.addr, config.backlog, SocketMode::NonBlocking)?;
    let loops = if config.once {
        1
    } else {
        config.event_loops.max(1)
    };
    let shared = Shared::new(config, on_message, LoopCounters::default());
    let mut wakers = Vec::with_capacity(loops);
    let mut threads = Vec::with_capacity(loops);
    // What fails past the bind (out of descriptors with many loops) says so.
    let start_err = SocketError::on(Op::Start, local_addr, SocketMode::NonBlocking);
    for i in 0..loops {
        let poll = Poll::new().map_err(&start_err)?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER).map_err(&start_err)?);
        let timer = match shared.config.work.map(|w| w.kind) {
            Some(WorkKind::Wait) => Some(wait_timer(&poll, &waker).map_err(&start_err)?),
            _ => None,
        };
        let pool = work::start_pool(&shared.config, &waker)
            .map_err(|e| start_err(std::io::Error::other(e.to_string())))?;
        let mut listener = TcpListener::from_std(std_listener.try_clone().map_err(&start_err)?);
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)
            .map_err(&start_err)?;
        let event_loop = EventLoop {
            poll,
            listener: Some(listener),
            conns: Slab::default(),
            shared: Arc::clone(&shared),
            scratch: vec![0; SCRATCH],
            requeue: Requeue::default(),
            accept_retry_at: None,
            out_of_resources: Throttle::default(),
            next_sweep: None,
            lingering: 0,
            work: Runner::new(pool),
            timer,
            serials: 0,
        };
        let thread = thread::Builder::new()
            .name(format!("sockmodes-loop-{i}"))
            .spawn(move || event_loop.run())
            .map_err(&start_err)?;
        wakers.push(waker);
        threads.push(thread);
    }
    debug!(%local_addr, mode = "nonblocking", service = %shared.config.service, loops, "listening");
    let wake = Box::new(move || {
        for w in &wakers {
            // A failed wake means that loop is gone already.
            let _ = w.wake();
        }
    });
    Ok(Loops::new(local_addr, shared, threads, wake))
}

struct EventLoop {
    poll: Poll,
    /// `None` once the loop stopped accepting (shutdown, `once`, fatal error).
    listener: Option<TcpListener>,
    conns: Slab<Conn>,
    shared: Arc<Shared>,
    /// The read buffer all this loop's connections share between frames.
    scratch: Vec<u8>,
    /// Connections that used their budget and still have bytes waiting,
    /// each at most once (`Conn::requeued`): driven once a turn, after the
    /// events (`serving/src/turn.rs`).
    requeue: Requeue,
    /// Accepting paused after running out of descriptors; retry then.
    accept_retry_at: Option<Instant>,
    /// Its log line, at most once a second.
    out_of_resources: Throttle,
    next_sweep: Option<Instant>,
    /// Connections in their lingering close (swept every `LINGER_TICK`).
    lingering: usize,
    /// Where frames' work runs: inline, on the timer, or on this loop's
    /// `--offload` pool (`work.rs`).
    work: Runner,
    /// The timer of `wait` work.
    timer: Option<Timer>,
    /// Serial numbers given to connections so far.
    serials: u64,
}

/// The timer of `wait` work: a timerfd on Linux; elsewhere a sleeper
/// thread on the loop's own waker (one `Waker` per `Poll`), whose events
/// the loop already answers by checking its waits.
#[cfg(target_os = "linux")]
fn wait_timer(poll: &Poll, _waker: &Arc<Waker>) -> std::io::Result<Timer> {
    Timer::register(poll.registry(), TIMER)
}

/// See the Linux version.
#[cfg(not(target_os = "linux"))]
fn wait_timer(_poll: &Poll, waker: &Arc<Waker>) -> std::io::Result<Timer> {
    Timer::with_waker(Arc::clone(waker))
}

impl EventLoop {
    fn run(mut self) {
        let mut events = Events::with_capacity(EVENTS_CAPACITY);
        let mut stopping = Stopping::default();
        loop {
            let timeout = self.poll_timeout(stopping.deadline());
            self.shared.stats.count_syscalls(1);
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if interrupted(&e) {
                    continue;
                }
                warn!(error = %e, "poll failed; event loop stops");
                break;
            }
            self.shared.counters.wakeups.fetch_add(1, Ordering::Relaxed);
            let found = events.iter().count() as u64;
            if found > 0 {
                self.shared.stats.count_wakeup(found);
            }
            for event in events.iter() {
                match event.token() {
                    LISTENER => self.accept_all(),
                    WAKER => {} // the stop flag and the pool are checked below
                    TIMER => {
                        if let Some(t) = &self.timer {
                            t.clear();
                        }
                    }
                    // A short read may end the read loop only where
                    // edge-triggered readiness fires again on new data
                    // (Linux epoll); mio on Windows and kqueue re-arm on
                    // WouldBlock, so there the loop reads until then.
                    // A requeued connection is driven in the requeue pass
                    // below, which reads until WouldBlock: its event adds
                    // nothing, and driving it twice would give it two shares.
                    Token(key) if self.conns.get(key).is_some_and(|c| c.requeued) => {}
                    Token(key) => self.drive(
                        key,
                        cfg!(target_os = "linux") && !(event.is_read_closed() || event.is_error()),
                    ),
                }
            }
            for key in self.requeue.take() {
                match self.conns.get_mut(key) {
                    Some(conn) if conn.requeued => conn.requeued = false,
                    _ => continue, // closed meanwhile, its key perhaps reused
                }
                self.drive(key, false);
            }
            if self.work.has_pending() {
                self.finish_work();
            }
            if self.accept_retry_at.is_some_and(|t| Instant::now() >= t) {
                self.accept_retry_at = None;
                self.accept_all();
            }
            if stopping.seen(&self.shared.stop) {
                self.begin_stop();
            }
            if self.listener.is_none() && self.conns.is_empty() {
                break;
            }
            match stopping.at(Instant::now()) {
                // Past the deadline and every lingering close's bound.
                Deadline::Over => break,
                Deadline::Cut => {
                    self.work.cut();
                    self.cut_at_deadline();
                }
                Deadline::Ahead => {}
            }
            self.sweep();
        }
        for key in self.conns.keys() {
            self.close(key, &End::ShutdownDeadline);
        }
    }

    /// Sleep until the earliest thing the loop must do without an event.
    /// With nothing to do the loop sleeps until an event: no timer, no spin.
    fn poll_timeout(&self, stop_at: Option<Instant>) -> Option<Duration> {
        if !self.requeue.is_empty() {
            return Some(Duration::ZERO);
        }
        let sweep = self.next_sweep.filter(|_| !self.conns.is_empty());
        sleep_for(Instant::now(), stop_at, [sweep, self.accept_retry_at])
    }

    /// Puts `key` on the requeue list, unless it is there already.
    pub(super) fn requeue(&mut self, key: usize) {
        if let Some(conn) = self.conns.get_mut(key) {
            self.requeue.push(key, &mut conn.requeued);
        }
    }

    /// One drive; true when the connection is open and waits for events.
    pub(super) fn drive_once(&mut self, key: usize, short_read_drains: bool) -> bool {
        let Some(conn) = self.conns.get_mut(key) else {
            return false; // closed earlier in this batch: a stale event
        };
        let on_message = &self.shared.on_message;
        let result = conn.drive(
            Token(key),
            self.poll.registry(),
            &mut self.scratch,
            short_read_drains,
            &mut |peer, m| on_message(peer, m),
        );
        self.shared
            .stats
            .count_syscalls(std::mem::take(&mut conn.syscalls));
        let stopping_at_rest = self.listener.is_none()
            && self.shared.stop.is_requested()
            && conn.closing.is_none()
            && conn.session.at_rest();
        match result {
            Ok(false) if conn.again => {
                self.requeue(key);
                return true;
            }
            Ok(false) if stopping_at_rest => self.end(key, End::Stopping),
            Ok(false) => return true,
            Ok(true) => self.close(key, &End::Finished),
            Err(end) => self.end(key, end),
        }
        false
    }
}
