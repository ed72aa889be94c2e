//! The blocking server: an accept loop, and one named thread per connection.
//!
//! Each connection thread gets a small stack ([`ServerConfig::stack_size`],
//! 64 KiB by default) so thousands of connections fit: a thread's stack is
//! reserved address space, and only the pages it touches become resident.
//!
//! Shutdown: the accept thread sleeps in `accept`, so [`RunningServer::shutdown`]
//! wakes it with a connection of its own. Seeing the stop flag, the accept
//! thread takes every connection still in the listen queue (accepting
//! until `WouldBlock`) and serves each like the others (its own waking
//! connection aside): at rest, it ends at once with a lingering close, so a
//! client that connected just before the stop sees end of stream, never a
//! reset (closing a listener with connections in its queue resets every
//! one of them); a `message` is read first. Then it shuts the
//! listener down, and the handle closes it (later connects are refused,
//! not reset; Windows still queues connects on a listener shut down, to
//! reset them when it closes). Only if the
//! waking connection fails (the queue full under a flood, and the thread
//! busy taking it) is the listener shut down at once, which on Linux wakes
//! a blocked `accept` with `EINVAL`. The handle then waits for open
//! connections to finish up to a deadline, shuts the stragglers' sockets
//! down so their blocked reads return, and joins every thread.

use std::collections::HashMap;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use socket2::SockRef;
use sockmodes_common::Service;
use sockmodes_os::handle::{self, RawSocketHandle};
use sockmodes_os::net::{self, AcceptErrorAction};
use sockmodes_python::{interrupted, Op, SocketError, SocketMode};
use sockmodes_serving::config::LINGER_TIME;
use sockmodes_serving::ending::Close;
use sockmodes_serving::throttle::Throttle;
use sockmodes_serving::{MessageHandler, RunningServer, ServerConfig, ServerStats};
use tracing::{debug, info, warn};

use crate::connection::{linger, serve_connection, ConnState, Watch};

/// An open connection, as the stopping server reaches it from outside.
struct Open {
    raw: RawSocketHandle,
    state: Arc<ConnState>,
}

/// State shared by the accept thread, the connection threads and the handle.
struct Shared {
    config: ServerConfig,
    on_message: MessageHandler,
    stats: Arc<ServerStats>,
    stopping: AtomicBool,
    /// Set at the shutdown deadline: connection threads still running end.
    cut: AtomicBool,
    next_id: AtomicU64,
    /// Raw handles of open connections, so shutdown can wake their blocked
    /// reads. A thread removes its entry (under this lock) before its socket
    /// closes, so every handle in the map is open while the lock is held.
    open: Mutex<HashMap<u64, Open>>,
    /// Signalled whenever a connection ends.
    ended: Condvar,
    threads: Mutex<Vec<JoinHandle<()>>>,
    /// The local address of the connection the stopping handle makes to
    /// wake the accept thread. The accept thread drops that one rather than
    /// serve it: under the `message` service it would be an empty message.
    /// Held while the handle connects, so the accept thread, which can take
    /// the connection as soon as it is made, waits to learn its address.
    waker: Mutex<Option<SocketAddr>>,
}

/// A running blocking server.
pub struct ServerHandle {
    local_addr: SocketAddr,
    /// Shared with the accept thread; let go once that thread has ended, so
    /// that the socket closes and later connects are refused.
    listener: Option<Arc<TcpListener>>,
    shared: Arc<Shared>,
    accept_thread: Option<JoinHandle<()>>,
}

/// Binds `config.addr` and starts serving in background threads.
///
/// # Errors
/// The bind/listen failure, classified (e.g. `OSError (os error 98)` for an
/// address in use).
pub fn start(
    config: ServerConfig,
    on_message: MessageHandler,
) -> Result<ServerHandle, SocketError> {
    let (listener, local_addr) =
        net::server_listener(config.addr, config.backlog, SocketMode::Blocking)?;
    let listener = Arc::new(listener);
    let shared = Arc::new(Shared {
        config,
        on_message,
        stats: Arc::default(),
        stopping: AtomicBool::new(false),
        cut: AtomicBool::new(false),
        next_id: AtomicU64::new(0),
        open: Mutex::new(HashMap::new()),
        ended: Condvar::new(),
        threads: Mutex::new(Vec::new()),
        waker: Mutex::new(None),
    });
    let accept_thread = {
        let (listener, shared) = (Arc::clone(&listener), Arc::clone(&shared));
        let spawn_err = SocketError::on(Op::Accept, local_addr, SocketMode::Blocking);
        thread::Builder::new()
            .name("sockmodes-accept".into())
            .spawn(move || accept_loop(&listener, &shared))
            .map_err(spawn_err)?
    };
    debug!(%local_addr, mode = "blocking", service = %shared.config.service, "listening");
    Ok(ServerHandle {
        local_addr,
        listener: Some(listener),
        shared,
        accept_thread: Some(accept_thread),
    })
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    let mut out_of_resources = Throttle::default();
    loop {
        let accepted = listener.accept();
        shared.stats.count_syscalls(1);
        if shared.stopping.load(Ordering::Acquire) {
            // A connection taken while stopping is served like the others
            // (the shutdown deadline covers it): accepted is never dropped.
            if let Ok((stream, peer)) = accepted {
                admit_unless_waker(stream, peer, shared);
            }
            drain_queue(listener, shared);
            return;
        }
        match accepted {
            Ok((stream, peer)) => {
                admit(stream, peer, shared);
                if shared.config.once {
                    return;
                }
            }
            Err(e) => match net::after_accept_error(&mut out_of_resources, &e) {
                AcceptErrorAction::Retry => {}
                AcceptErrorAction::Backoff => thread::sleep(net::ACCEPT_BACKOFF),
                AcceptErrorAction::Fatal => return,
            },
        }
    }
}

/// The server is stopping: takes every connection left in the listen
/// queue and serves it (as any other connection while stopping), then
/// shuts the listener down so that later connects are refused. Closing
/// the listener with connections queued would reset each of them.
fn drain_queue(listener: &TcpListener, shared: &Arc<Shared>) {
    shared.stats.count_syscalls(1);
    if listener.set_nonblocking(true).is_ok() {
        loop {
            shared.stats.count_syscalls(1);
            match listener.accept() {
                Ok((stream, peer)) => {
                    shared.stats.count_syscalls(1);
                    // Accepted sockets inherit O_NONBLOCK on some systems.
                    if stream.set_nonblocking(false).is_ok() {
                        admit_unless_waker(stream, peer, shared);
                    }
                }
                Err(e) if interrupted(&e) => {}
                Err(e) if net::accept_error_action(&e) == AcceptErrorAction::Retry => {}
                Err(_) => break, // WouldBlock: the queue is empty
            }
        }
    }
    shared.stats.count_syscalls(1);
    let _ = SockRef::from(listener).shutdown(Shutdown::Read);
}

/// Admits a connection taken while stopping, unless it is the stopping
/// handle's own, made only to wake the accept thread.
fn admit_unless_waker(stream: TcpStream, peer: SocketAddr, shared: &Arc<Shared>) {
    if *shared.waker.lock().expect("waker lock") != Some(peer) {
        admit(stream, peer, shared);
    }
}

fn admit(stream: TcpStream, peer: SocketAddr, shared: &Arc<Shared>) {
    if !shared.stats.try_admit(shared.config.max_conns) {
        net::log_over_limit(peer, shared.config.max_conns);
        // Best effort: if setting SO_LINGER fails the close is a plain FIN.
        let _ = net::reset_on_close(&stream);
        return;
    }
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
    let state = Arc::new(ConnState::default());
    shared.open.lock().expect("registry lock").insert(
        id,
        Open {
            raw: handle::raw_handle(&stream),
            state: Arc::clone(&state),
        },
    );
    let worker = Arc::clone(shared);
    let spawned = thread::Builder::new()
        .name(format!("sockmodes-conn-{id}"))
        .stack_size(shared.config.stack_size)
        .spawn(move || run_connection(id, stream, peer, &worker, &state));
    match spawned {
        Ok(handle) => {
            let mut threads = shared.threads.lock().expect("threads lock");
            threads.retain(|t| !t.is_finished());
            threads.push(handle);
        }
        Err(e) => {
            // The closure (and the stream with it) was dropped: undo the admission.
            warn!(%peer, error = %e, "could not start a connection thread; connection closed");
            shared.open.lock().expect("registry lock").remove(&id);
            shared.stats.release();
        }
    }
}

/// An address to connect to a listener bound at `bound`: the loopback of the
/// same family where it was bound to "any" (0.0.0.0 or ::).
fn reachable(mut addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    addr
}

fn run_connection(
    id: u64,
    mut stream: TcpStream,
    peer: SocketAddr,
    shared: &Shared,
    state: &ConnState,
) {
    debug!(%peer, "connection accepted");
    let watch = Watch {
        stopping: &shared.stopping,
        cut: &shared.cut,
        state,
        stats: &shared.stats,
    };
    let end = serve_connection(&mut stream, peer, &shared.config, &shared.on_message, watch);
    end.note(peer, &shared.stats, Instant::now());
    match end.close(shared.config.service) {
        Close::Linger => linger(&stream, &shared.stats),
        // Best effort: if setting SO_LINGER fails the close is a plain FIN.
        Close::Reset => {
            shared.stats.count_syscalls(1);
            let _ = net::reset_on_close(&stream);
        }
        Close::Now => {}
    }
    // Deregister before the last descriptor closes (see `Shared::open`).
    shared.open.lock().expect("registry lock").remove(&id);
    drop(stream);
    shared.stats.release();
    shared.ended.notify_all();
}

impl RunningServer for ServerHandle {
    fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    fn stats_handle(&self) -> Arc<ServerStats> {
        Arc::clone(&self.shared.stats)
    }

    fn is_finished(&self) -> bool {
        self.accept_thread
            .as_ref()
            .is_none_or(JoinHandle::is_finished)
            && self.shared.stats.active() == 0
    }

    fn wait(mut self: Box<Self>) {
        if let Some(t) = self.accept_thread.take() {
            let _ = t.join();
        }
        self.join_connections();
    }

    /// See the module's header: the accept thread is woken, connections
    /// at rest have their write side shut, the rest at the deadline.
    fn shutdown(mut self: Box<Self>, deadline: Duration) -> usize {
        self.shared.stopping.store(true, Ordering::Release);
        // Wakes the blocked accept with a connection of our own (closed at
        // once; the accept thread drains the queue, see the module's
        // header). Failing that, shutting the listener down wakes it on
        // Linux (EINVAL), at the cost of resetting what is queued.
        let woke = {
            let mut waker = self.shared.waker.lock().expect("waker lock");
            let woke =
                TcpStream::connect_timeout(&reachable(self.local_addr), Duration::from_secs(1));
            *waker = woke.as_ref().ok().and_then(|s| s.local_addr().ok());
            woke
        };
        if woke.is_err() {
            if let Some(listener) = &self.listener {
                let _ = SockRef::from(&**listener).shutdown(Shutdown::Read);
            }
        }
        drop(woke);
        if let Some(t) = self.accept_thread.take() {
            let _ = t.join();
        }
        // The accept thread shut the listener down, which on Linux refuses
        // later connects; on Windows a shut-down listener still queues
        // them (to be reset when it closes), so it is closed now.
        self.listener = None;
        // Connections waiting at rest: shut their write side now; the
        // peer's close (or its next frame) wakes the thread, which lingers.
        // Busy ones stop as soon as they come to rest (connection.rs).
        self.shut_open(Shutdown::Write, |o| o.state.take_if_at_rest());
        let until = Instant::now() + deadline;
        let cut = self.wait_for_connections(until);
        // At the deadline every connection ends: set the flag (Windows
        // threads see it at their next read tick), and shut every write side
        // so blocked writes fail and peers close, waking blocked reads. A
        // message's sender would take that end of stream as the sign its
        // message was read, so a message connection (which never blocks in a
        // write) has its read side shut instead: the read wakes at once and
        // the thread resets the connection.
        self.shared.cut.store(true, Ordering::Release);
        let (at_deadline, past_lingering) = match self.shared.config.service {
            Service::Message => (Shutdown::Read, Shutdown::Read),
            Service::Echo | Service::Sink => (Shutdown::Write, Shutdown::Both),
        };
        self.shut_open(at_deadline, |_| true);
        if cut > 0 {
            info!(
                cut,
                "shutdown deadline passed; remaining connections closing"
            );
        }
        // Their lingering closes are bounded by LINGER_TIME; past that, a
        // peer that neither reads nor closes has its reads woken too (a
        // message connection's already were: its read side again, so that
        // a thread slow to run still resets rather than sends end of stream).
        let left = self.wait_for_connections(Instant::now() + LINGER_TIME);
        if left > 0 {
            self.shut_open(past_lingering, |_| true);
        }
        self.join_connections();
        cut
    }
}

impl ServerHandle {
    /// Shuts `how` the sockets of the open connections that `claim` takes,
    /// holding the registry lock (so each one's socket stays open meanwhile).
    /// `claim` may change a connection's state: the first shutdown's takes
    /// a connection at rest, so that its thread lingers instead of reading.
    fn shut_open(&self, how: Shutdown, claim: impl Fn(&Open) -> bool) {
        for o in self.shared.open.lock().expect("registry lock").values() {
            if claim(o) {
                // SAFETY: the registry lock is held (see `Shared::open`).
                let _ = unsafe { handle::shutdown_raw(o.raw, how) };
            }
        }
    }

    /// Waits until no connection is open or `until`; returns how many are.
    fn wait_for_connections(&self, until: Instant) -> usize {
        let open = self.shared.open.lock().expect("registry lock");
        let left = until.saturating_duration_since(Instant::now());
        let (open, _) = self
            .shared
            .ended
            .wait_timeout_while(open, left, |open| !open.is_empty())
            .expect("registry lock");
        open.len()
    }

    fn join_connections(&self) {
        let threads = std::mem::take(&mut *self.shared.threads.lock().expect("threads lock"));
        for t in threads {
            let _ = t.join();
        }
    }
}
