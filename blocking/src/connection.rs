//! One connection, served with blocking calls: the thin adapter between a
//! `std::net::TcpStream` and common's [`ServerSession`].
//!
//! The thread sleeps in `read` until bytes arrive, hands them to the session,
//! and writes every reply before it reads again, so pending output never
//! builds up here: a peer that does not read makes our `write` block, TCP's
//! own flow control stops the peer, and the write timeout ends the standoff.
//!
//! A connection that ends while the peer may still be sending ends with a
//! lingering close ([`linger`]): answers flushed, write side shut, input
//! read and discarded until the peer closes or a bound passes, so the peer
//! sees end of stream and never a reset. While the thread waits in `read`
//! at rest it says so in its [`ConnState`], so that a stopping server can
//! shut its write side from outside and the peer's reaction wakes it.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::{Duration, Instant};

use sockmodes_common::ServerSession;
use sockmodes_os::net;
use sockmodes_os::work::Perform;
use sockmodes_python::{interrupted, timed_out};
use sockmodes_serving::config::{LINGER_GAP, LINGER_TIME};
pub use sockmodes_serving::ending::End;
use sockmodes_serving::stats::ServerStats;
use sockmodes_serving::{MessageHandler, ServerConfig};

/// Bytes of the per-thread read buffer used between frames.
///
/// Why 4 KiB: one page, already resident near the top of the thread's stack;
/// small frames arrive in one read, and a large frame's first read tells its
/// length, after which the rest is read straight into the frame's buffer.
const SCRATCH: usize = 4096;

/// Where a blocked read cannot be woken from another thread, how often a
/// connection thread wakes to see whether the server is cutting it.
///
/// Why only on Windows, and why 250 ms: on Linux and macOS the server's
/// shutdown of the socket wakes the read at once; Windows does not, so the
/// read times out every tick instead. A quarter second keeps a shutdown
/// prompt and costs four wake-ups a second per idle connection.
const CUT_TICK: Duration = Duration::from_millis(250);

/// Where a connection thread is, as the stopping server sees it.
#[derive(Debug, Default)]
pub struct ConnState(AtomicU8);

const BUSY: u8 = 0;
const WAITING_AT_REST: u8 = 1;
const SHUT_BY_SERVER: u8 = 2;

impl ConnState {
    /// The server is stopping: if the thread waits in `read` at rest, take
    /// the connection from it (true: the caller now shuts its write side,
    /// and the peer's close wakes the thread).
    pub fn take_if_at_rest(&self) -> bool {
        self.0
            .compare_exchange(
                WAITING_AT_REST,
                SHUT_BY_SERVER,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }
}

impl ConnState {
    /// The thread takes its "waiting" back, unless the server already took
    /// the connection (then the server shuts it, and the read wakes).
    fn take_back(&self) -> bool {
        self.0
            .compare_exchange(WAITING_AT_REST, BUSY, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }
}

/// The server's flags a connection thread watches.
#[derive(Debug, Clone, Copy)]
pub struct Watch<'a> {
    /// Set when the server begins to stop: a connection at rest ends.
    pub stopping: &'a AtomicBool,
    /// Set at the shutdown deadline: every connection ends.
    pub cut: &'a AtomicBool,
    /// This connection's state, for the stopping server.
    pub state: &'a ConnState,
    /// The server's counters (system calls are counted here).
    pub stats: &'a ServerStats,
}

/// Serves `stream` with `config.service` until the peer is done or fails,
/// or the server stops (`watch`). Messages (service `message`) go to
/// `on_message`. The caller ends the connection ([`linger`] where
/// [`End::lingers`]).
pub fn serve_connection(
    stream: &mut TcpStream,
    peer: SocketAddr,
    config: &ServerConfig,
    on_message: &MessageHandler,
    watch: Watch<'_>,
) -> End {
    // Three socket options (see `configure`).
    watch.stats.count_syscalls(3);
    if let Err(e) = configure(stream, config) {
        return End::Io(e);
    }
    let mut served = Served {
        stream,
        config,
        watch,
        session: ServerSession::for_config(config),
        last_progress: Instant::now(),
    };
    // Between frames the thread reads into this stack buffer and frames are
    // decoded straight out of it, so an idle connection holds no heap buffer.
    let mut scratch = [0u8; SCRATCH];
    loop {
        if let Err(end) = served.turn(&mut scratch, |m| on_message(peer, m)) {
            return end;
        }
    }
}

/// One connection being served: its socket, its session, and what the
/// thread watches.
struct Served<'a> {
    stream: &'a mut TcpStream,
    config: &'a ServerConfig,
    watch: Watch<'a>,
    session: ServerSession,
    /// Last time a frame completed (the idle timeout).
    last_progress: Instant,
}

impl Served<'_> {
    /// One turn: wait in `read`, hand the bytes to the session, do the work
    /// of the frames they completed, and write every answer. `Err` is how
    /// the connection ends.
    fn turn(
        &mut self,
        scratch: &mut [u8; SCRATCH],
        on_message: impl FnOnce(Vec<u8>),
    ) -> Result<(), End> {
        if self.session.at_rest() {
            self.rest()?;
        }
        let direct = self.session.reads_direct();
        self.watch.stats.count_syscalls(1);
        let read = if direct {
            self.stream.read(self.session.read_space())
        } else {
            let limit = self.session.read_limit().min(SCRATCH);
            self.stream.read(&mut scratch[..limit])
        };
        if self.watch.state.0.swap(BUSY, Ordering::AcqRel) == SHUT_BY_SERVER {
            // The stopping server shut our write side while we waited: what
            // this read brought was sent after our FIN reached the peer.
            return Err(End::Stopping);
        }
        match read {
            Ok(0) => {
                let eof = self.session.received_eof();
                self.owed_first(eof)?;
            }
            Ok(n) => {
                let units = if direct {
                    self.session.received(n)
                } else {
                    self.session.received_from(&scratch[..n])
                };
                match self.owed_first(units)? {
                    0 if self.last_progress.elapsed() > self.config.idle_timeout => {
                        return Err(End::IdleTimeout(self.config.idle_timeout))
                    }
                    0 => {}
                    _ => self.last_progress = Instant::now(),
                }
            }
            Err(e) => return self.read_failed(e),
        }
        let worked = work_inline(&mut self.session, self.watch);
        if self.owed_first(worked)? > 0 {
            self.last_progress = Instant::now();
        }
        if let Some(message) = self.session.take_message() {
            on_message(message);
        }
        self.write().map_err(|e| self.write_failed(e))?;
        if self.session.is_finished() {
            return Err(End::Finished);
        }
        if self.watch.cut.load(Ordering::Acquire) {
            return Err(End::ShutdownDeadline);
        }
        Ok(())
    }

    /// Between frames: ends the connection if the server is stopping, or
    /// says it waits at rest, so that a server that begins to stop while
    /// it waits in `read` shuts its write side from outside.
    fn rest(&self) -> Result<(), End> {
        let watch = &self.watch;
        if watch.stopping.load(Ordering::Acquire) {
            return Err(End::Stopping);
        }
        watch.state.0.store(WAITING_AT_REST, Ordering::Release);
        // The server may have begun to stop just before the store, and
        // found this thread busy: look again, or wait until the deadline.
        if watch.stopping.load(Ordering::Acquire) && watch.state.take_back() {
            return Err(End::Stopping);
        }
        Ok(())
    }

    /// A failed read: `Ok` to read again (interrupted, or a Windows tick),
    /// or how the connection ends.
    fn read_failed(&self, e: io::Error) -> Result<(), End> {
        if interrupted(&e) {
            return Ok(());
        }
        // Under SO_RCVTIMEO a read that waited too long fails with EAGAIN
        // on Unix (the code a non-blocking read gives) and WSAETIMEDOUT on
        // Windows (see common::sys). On Windows it may be only a tick.
        if !timed_out(&e) {
            return Err(End::Io(e));
        }
        if self.watch.cut.load(Ordering::Acquire) {
            return Err(End::ShutdownDeadline);
        }
        if self.last_progress.elapsed() >= self.config.idle_timeout || !cfg!(windows) {
            return Err(End::IdleTimeout(self.config.idle_timeout));
        }
        Ok(())
    }

    /// How a failed write ends the connection. One that timed out waited
    /// the idle timeout (the write timeout, see `configure`) for a peer
    /// that does not read: the event loop and the ring find that peer idle
    /// too, and all three end it alike (a lingering close, counted as a
    /// timeout). Any other failure is the socket's.
    fn write_failed(&self, e: io::Error) -> End {
        if timed_out(&e) {
            End::IdleTimeout(self.config.idle_timeout)
        } else {
            End::Io(e)
        }
    }

    /// On the session's refusal (a protocol error, a cut work), what is
    /// owed goes out first: every complete frame before the bad one is
    /// answered, and a torn echo frame may already be partly echoed.
    fn owed_first<T>(&mut self, step: Result<T, impl Into<End>>) -> Result<T, End> {
        step.map_err(|e| {
            let _ = self.write();
            e.into()
        })
    }

    /// Writes the session's output until none is left.
    fn write(&mut self) -> io::Result<()> {
        while !self.session.output().is_empty() {
            self.watch.stats.count_syscalls(1);
            match self.stream.write(self.session.output()) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.session.wrote(n),
                Err(e) if interrupted(&e) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// The lingering close: shut the write side (the peer reads what we sent,
/// then end of stream), then read and discard until the peer closes, or
/// [`LINGER_GAP`] passes with nothing from it, or [`LINGER_TIME`] in all.
/// Closing afterwards leaves no unread input, so no reset. The caller has
/// flushed every answer it owed (a write error means the peer is gone).
pub fn linger(stream: &TcpStream, stats: &ServerStats) {
    stats.count_syscalls(1);
    if stream.shutdown(Shutdown::Write).is_err() {
        return; // not connected any more: nothing to protect
    }
    let since = Instant::now();
    let mut discard = [0u8; SCRATCH];
    let mut reader = stream;
    loop {
        let left = LINGER_TIME.saturating_sub(since.elapsed());
        // A timeout to set, then a read.
        stats.count_syscalls(2);
        if left.is_zero() || stream.set_read_timeout(Some(left.min(LINGER_GAP))).is_err() {
            return;
        }
        match reader.read(&mut discard) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if interrupted(&e) => {}
            Err(_) => return, // the gap passed (a timeout), or the socket failed
        }
    }
}

/// Does every frame's work the session handed out, here on the
/// connection's thread (`--work`): cpu computes, block sleeps, and so does
/// wait, since a thread per connection has no one else to serve meanwhile.
/// Returns how many tickets were done; [`End::ShutdownDeadline`] when the
/// shutdown deadline cut a work short (its answer is never sent).
fn work_inline(session: &mut ServerSession, watch: Watch<'_>) -> Result<usize, End> {
    let mut done = 0;
    while let Some(ticket) = session.next_work(watch.stats) {
        if !ticket.work.perform_unless(watch.cut) {
            return Err(End::ShutdownDeadline);
        }
        session.work_done(ticket)?;
        done += 1;
    }
    Ok(done)
}

fn configure(stream: &TcpStream, config: &ServerConfig) -> io::Result<()> {
    // Why the read timeout equals the idle timeout: a silent peer fails the
    // read after one idle period; a dribbling one is caught by the progress
    // check after each read. Either way the thread is back within about two
    // idle periods, without a setsockopt on every read.
    // On Windows the read wakes every CUT_TICK (see there).
    let read_timeout = if cfg!(windows) {
        config.idle_timeout.min(CUT_TICK)
    } else {
        config.idle_timeout
    };
    stream.set_read_timeout(Some(read_timeout))?;
    stream.set_write_timeout(Some(config.idle_timeout))?;
    net::set_nodelay(stream, config.nodelay)
}
