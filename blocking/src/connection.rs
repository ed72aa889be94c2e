//! One connection, served with blocking calls: the thin adapter between a
//! `std::net::TcpStream` and common's [`ServerSession`].
//!
//! The thread sleeps in `read` until bytes arrive, hands them to the session,
//! and writes every reply before it reads again, so pending output never
//! builds up here: a peer that does not read makes our `write` block, TCP's
//! own flow control stops the peer, and the minimum rate ends the standoff.
//! With work per frame (`--work`), each answer is written as soon as its
//! own frame's work is done, before the next frame's work begins.
//!
//! The idle and minimum-rate rules are common's [`Liveness`], fed with
//! every read's and write's bytes; the socket's timeouts only wake the
//! thread to ask it: a read waits up to the idle timeout at rest, and
//! [`Limits::check_every`] while a rate window is open (a frame partly in);
//! a write waits up to `check_every` at a time.
//!
//! A connection that ends while the peer may still be sending ends as
//! [`End::close`] says: with a lingering close ([`linger`]): answers
//! flushed, write side shut, input read and discarded until the peer
//! closes or a bound passes, so the peer sees end of stream and never a
//! reset; a `message` not read whole, with a reset. While the thread waits in `read`
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
use sockmodes_serving::liveness::{Limits, Liveness, Owed};
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
/// `on_message`. The caller closes the connection as [`End::close`] says
/// ([`linger`] for a lingering close).
pub fn serve_connection(
    stream: &mut TcpStream,
    peer: SocketAddr,
    config: &ServerConfig,
    on_message: &MessageHandler,
    watch: Watch<'_>,
) -> End {
    // Three socket options (see `configure`).
    watch.stats.count_syscalls(3);
    let limits = config.limits();
    let read_timeout = match configure(stream, &limits, config.nodelay) {
        Ok(t) => t,
        Err(e) => return End::Io(e),
    };
    let mut served = Served {
        stream,
        watch,
        session: ServerSession::for_config(config),
        liveness: Liveness::new(limits, Instant::now()),
        read_timeout,
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
    watch: Watch<'a>,
    session: ServerSession,
    /// When bytes last moved, and the rate of what is owed.
    liveness: Liveness,
    /// The read timeout set on the socket now (changed only when needed).
    read_timeout: Duration,
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
        self.set_read_timeout()?;
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
            // Past the deadline the server shuts this socket's read side to
            // wake this read (`ServerHandle::shutdown`): its 0 is not the
            // peer's end of stream, and taking it as one would hand on a
            // message cut short as if it were whole.
            Ok(0) if self.watch.cut.load(Ordering::Acquire) => {
                return Err(End::ShutdownDeadline);
            }
            Ok(0) => {
                let eof = self.session.received_eof();
                self.owed_first(eof)?;
            }
            Ok(n) => {
                self.liveness.moved(Instant::now(), n, 0);
                let units = if direct {
                    self.session.received(n)
                } else {
                    self.session.received_from(&scratch[..n])
                };
                self.owed_first(units)?;
            }
            Err(e) => return self.read_failed(e),
        }
        self.work_and_answer()?;
        if let Some(message) = self.session.take_message() {
            on_message(message);
        }
        self.write()?;
        if self.session.is_finished() {
            return Err(End::Finished);
        }
        self.judge(Owed::of(&self.session, false))
    }

    /// Ends the connection at the shutdown deadline; otherwise tells the
    /// liveness rules what is `owed` now, and ends it if they cut it.
    fn judge(&mut self, owed: Owed) -> Result<(), End> {
        if self.watch.cut.load(Ordering::Acquire) {
            return Err(End::ShutdownDeadline);
        }
        let now = Instant::now();
        self.liveness.owed(now, owed);
        self.liveness
            .verdict(now)
            .map_or(Ok(()), |cut| Err(End::Cut(cut)))
    }

    /// Sets the read timeout the liveness rules want now (a system call
    /// only when it changes): while a rate window is open,
    /// [`Limits::check_every`], so a verdict comes at most that late; at
    /// rest, the time left until the idle timeout would end it; on Windows
    /// at most [`CUT_TICK`].
    fn set_read_timeout(&mut self) -> Result<(), End> {
        let now = Instant::now();
        let mut want = if self.liveness.judging() {
            self.liveness.limits().check_every()
        } else {
            let left = self.liveness.due(now).saturating_duration_since(now);
            left.max(Duration::from_millis(1))
        };
        if cfg!(windows) {
            want = want.min(CUT_TICK);
        }
        // Within a tenth: not worth a system call per read.
        let near = self.read_timeout.abs_diff(want) <= want / 10;
        if !near {
            self.watch.stats.count_syscalls(1);
            self.stream.set_read_timeout(Some(want))?;
            self.read_timeout = want;
        }
        Ok(())
    }

    /// Does each frame's work the session hands out, here on the
    /// connection's thread (`--work`): cpu computes, block sleeps, and so
    /// does wait, since a thread per connection has no one else to serve
    /// meanwhile. Before each work, every answer already done is written:
    /// an answer leaves when its own work is done, not when the last
    /// pipelined frame's is. [`End::ShutdownDeadline`] when the shutdown
    /// deadline cut a work short (that answer is never sent; the ones
    /// before it were).
    fn work_and_answer(&mut self) -> Result<(), End> {
        loop {
            self.write()?;
            let Some(ticket) = self.session.next_work(self.watch.stats) else {
                return Ok(());
            };
            if !ticket.work.perform_unless(self.watch.cut) {
                return Err(End::ShutdownDeadline);
            }
            self.liveness.worked(Instant::now());
            let done = self.session.work_done(ticket);
            self.owed_first(done)?;
        }
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

    /// A failed read: `Ok` to read again (interrupted, or a timeout that
    /// only woke the thread to look), or how the connection ends.
    fn read_failed(&mut self, e: io::Error) -> Result<(), End> {
        if interrupted(&e) {
            return Ok(());
        }
        // Under SO_RCVTIMEO a read that waited too long fails with EAGAIN
        // on Unix (the code a non-blocking read gives) and WSAETIMEDOUT on
        // Windows (see common::sys).
        if !timed_out(&e) {
            return Err(End::Io(e));
        }
        self.judge(Owed::of(&self.session, false))
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

    /// Writes the session's output until none is left. A write that timed
    /// out (the write timeout, [`Limits::check_every`]) only woke the
    /// thread to ask the liveness rules: from then on answers are owed
    /// (and nothing is owed the other way, since this thread reads nothing
    /// while it writes), so a peer that reads slower than the minimum rate
    /// is cut as too slow sending, as in the other servers. A write that
    /// does not block changes nothing: the turn's end says what is owed.
    fn write(&mut self) -> Result<(), End> {
        while !self.session.output().is_empty() {
            self.watch.stats.count_syscalls(1);
            match self.stream.write(self.session.output()) {
                Ok(0) => return Err(End::Io(io::ErrorKind::WriteZero.into())),
                Ok(n) => {
                    self.session.wrote(n);
                    self.liveness.moved(Instant::now(), 0, n);
                }
                Err(e) if interrupted(&e) => {}
                Err(e) if timed_out(&e) => self.judge(Owed {
                    receiving: false,
                    sending: true,
                })?,
                Err(e) => return Err(End::Io(e)),
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

/// Sets the socket's timeouts and `TCP_NODELAY`; returns the read timeout
/// set. The timeouts only wake the thread to ask the liveness rules (see
/// the module's header): reads at first after the idle timeout, writes
/// every [`Limits::check_every`] (a peer that does not read is judged by
/// the rate). On Windows a read wakes every [`CUT_TICK`] too.
fn configure(stream: &TcpStream, limits: &Limits, nodelay: bool) -> io::Result<Duration> {
    let read_timeout = if cfg!(windows) {
        limits.idle.min(CUT_TICK)
    } else {
        limits.idle
    };
    stream.set_read_timeout(Some(read_timeout))?;
    stream.set_write_timeout(Some(limits.check_every()))?;
    net::set_nodelay(stream, nodelay)?;
    Ok(read_timeout)
}
