//! The non-blocking client: every call returns at once, and the moments where
//! it could not proceed are shown, not hidden.
//!
//! In Python, a non-blocking `recv` with nothing to read raises
//! `BlockingIOError`. Here [`Client::try_recv`] returns
//! [`TryRecv::WouldBlock`], [`Client::try_send`] returns
//! [`TrySend::WouldBlock`] (or how many bytes the kernel took: a partial
//! send), and a connect is visibly in progress until a WRITABLE event, after
//! which `take_error` reveals a refusal (`ConnectionRefusedError`).
//!
//! The convenience calls (`echo`, `send_message`, `sink_upload`) drive a
//! [`ClientSession`](sockmodes_common::ClientSession) (`common`), which holds the protocol's rules: on
//! WouldBlock they sleep in `Poll::poll` until the socket is ready, never in
//! a busy loop, and they count every WouldBlock they met. They read while
//! they write (`drive.rs`), so a frame of any size streams through.
//!
//! The WouldBlock-visible calls and the convenience calls are here; the
//! driving of the session in `drive.rs`; the connect, visibly in progress
//! until an event says how it ended, in `connect.rs`; what the calls
//! return, in `types.rs`.

use std::io;

mod connect;
mod drive;
mod types;

use std::net::SocketAddr;
use std::time::{Duration, Instant};
pub use types::{TryRecv, TrySend, WouldBlockCounts};

use drive::{recv_once, send_once};
use mio::net::TcpStream;
use mio::{Events, Poll, Token};
use sockmodes_client::ClientError;
use sockmodes_client::Exchange;
use sockmodes_python::{interrupted, Op, SocketError, SocketMode};

const ME: Token = Token(0);

/// A non-blocking client connection with its own `Poll`.
pub struct Client {
    poll: Poll,
    events: Events,
    stream: TcpStream,
    peer: SocketAddr,
    connected: bool,
    nodelay: bool,
    timeout: Option<Duration>,
    x: Exchange,
    counts: WouldBlockCounts,
    wakeups: u64,
}

impl Client {
    /// One non-blocking send attempt.
    ///
    /// # Errors
    /// A failed send (reset, broken pipe), classified.
    pub fn try_send(&mut self, bytes: &[u8]) -> Result<TrySend, ClientError> {
        send_once(&mut self.stream, &mut self.counts, self.peer, bytes)
    }

    /// One non-blocking receive attempt.
    ///
    /// # Errors
    /// A failed recv (reset), classified.
    pub fn try_recv(&mut self, buf: &mut [u8]) -> Result<TryRecv, ClientError> {
        recv_once(&mut self.stream, &mut self.counts, self.peer, buf)
    }

    fn deadline(&self) -> Option<Instant> {
        self.timeout.map(|t| Instant::now() + t)
    }

    /// Sleeps in `poll` until this socket is ready for `op` (readable for
    /// `Recv`, writable for `Send` and `Connect`; errors and hang-ups count as
    /// ready, so the next call reports them), or fails with `TimeoutError` at
    /// `deadline`. Edge-triggered: call only after a WouldBlock, which
    /// guarantees a later edge.
    fn wait(&mut self, op: Op, deadline: Option<Instant>) -> Result<(), ClientError> {
        self.wait_for(op, deadline, false)
    }

    /// As [`wait`](Self::wait); with `either`, readable also counts while
    /// sending (a streaming peer answers before we finish).
    fn wait_for(
        &mut self,
        op: Op,
        deadline: Option<Instant>,
        either: bool,
    ) -> Result<(), ClientError> {
        loop {
            let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if timeout == Some(Duration::ZERO) {
                let mode = self
                    .timeout
                    .map_or(SocketMode::NonBlocking, SocketMode::Timeout);
                return Err(
                    SocketError::new(op, self.peer, mode, io::ErrorKind::TimedOut.into()).into(),
                );
            }
            match self.poll.poll(&mut self.events, timeout) {
                Ok(()) => {}
                Err(e) if interrupted(&e) => continue,
                Err(e) => {
                    return Err(SocketError::new(op, self.peer, SocketMode::NonBlocking, e).into())
                }
            }
            self.wakeups += 1;
            let ready = self.events.iter().filter(|e| e.token() == ME).any(|e| {
                let readable = e.is_readable() || e.is_read_closed();
                let direction = match op {
                    Op::Recv => readable,
                    _ => e.is_writable() || e.is_write_closed() || (either && readable),
                };
                direction || e.is_error()
            });
            if ready {
                return Ok(());
            }
        }
    }

    /// Sleeps in `poll` for up to `duration` waiting for this socket to become
    /// readable; returns whether it did. Each return from `poll` is counted in
    /// [`wakeups`](Self::wakeups).
    ///
    /// # Errors
    /// A failed poll.
    pub fn wait_readable(&mut self, duration: Duration) -> Result<bool, ClientError> {
        self.wait_within(Op::Recv, duration)
    }

    /// Sleeps in `poll` for up to `duration` waiting for this socket to become
    /// writable (or to report an error, e.g. a refused connect); returns
    /// whether it did.
    ///
    /// # Errors
    /// A failed poll.
    pub fn wait_writable(&mut self, duration: Duration) -> Result<bool, ClientError> {
        self.wait_within(Op::Send, duration)
    }

    /// [`wait`](Self::wait) for up to `duration`: whether the socket became ready.
    fn wait_within(&mut self, op: Op, duration: Duration) -> Result<bool, ClientError> {
        match self.wait(op, Some(Instant::now() + duration)) {
            Ok(()) => Ok(true),
            Err(ClientError::Socket(e)) if e.io.kind() == io::ErrorKind::TimedOut => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// WouldBlock counts so far.
    pub fn would_blocks(&self) -> WouldBlockCounts {
        self.counts
    }

    /// Returns from `poll` so far (an idle client should add none).
    pub fn wakeups(&self) -> u64 {
        self.wakeups
    }
}
