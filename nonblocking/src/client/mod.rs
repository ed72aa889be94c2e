//! The non-blocking client: every call returns at once, and the moments where
//! it could not proceed are shown, not hidden.
//!
//! In Python, a non-blocking `recv` with nothing to read raises
//! `BlockingIOError`. Here [`NbClient::try_recv`] returns
//! [`TryRecv::WouldBlock`], [`NbClient::try_send`] returns
//! [`TrySend::WouldBlock`] (or how many bytes the kernel took: a partial
//! send), and a connect is visibly in progress until a WRITABLE event, after
//! which `take_error` reveals a refusal (`ConnectionRefusedError`).
//!
//! The convenience calls (`echo`, `send_message`, `sink_upload`) are built on
//! those: on WouldBlock they sleep in `Poll::poll` until the socket is ready,
//! never in a busy loop, and they count every WouldBlock they met.
//!
//! Each WouldBlock-visible call sits next to the convenience call built on
//! it, which is the lesson of the file; the connect, visibly in progress
//! until an event says how it ended, is in `connect.rs`; what the calls
//! return, and the options, in `types.rs`.

use std::io::{self, Read, Write};

mod connect;
mod types;

use std::net::{Shutdown, SocketAddr};
use std::time::{Duration, Instant};
pub use types::{NbOptions, TryRecv, TrySend, WouldBlockCounts};

use mio::net::TcpStream;
use mio::{Events, Poll, Token};
use sockmodes_common::client::{check_echo, check_sink, confirm_wait, send_counted};
use sockmodes_common::frame::{encode_frame, Decoder};
use sockmodes_common::{
    interrupted, would_block, ClientError, MessageReceipt, Mode, Op, SinkSummary, SinkTally,
    SocketError,
};
use sockmodes_os::net;

const ME: Token = Token(0);

/// A non-blocking client connection with its own `Poll`.
pub struct NbClient {
    poll: Poll,
    events: Events,
    stream: TcpStream,
    peer: SocketAddr,
    connected: bool,
    nodelay: bool,
    timeout: Option<Duration>,
    decoder: Decoder,
    counts: WouldBlockCounts,
    wakeups: u64,
}

impl NbClient {
    /// One non-blocking send attempt.
    ///
    /// # Errors
    /// A failed send (reset, broken pipe), classified.
    pub fn try_send(&mut self, bytes: &[u8]) -> Result<TrySend, ClientError> {
        loop {
            match self.stream.write(bytes) {
                Ok(n) => return Ok(TrySend::Sent(n)),
                Err(e) if would_block(&e) => {
                    self.counts.send += 1;
                    return Ok(TrySend::WouldBlock);
                }
                Err(e) if interrupted(&e) => {}
                Err(e) => {
                    return Err(SocketError::new(Op::Send, self.peer, Mode::NonBlocking, e).into())
                }
            }
        }
    }

    /// One non-blocking receive attempt.
    ///
    /// # Errors
    /// A failed recv (reset), classified.
    pub fn try_recv(&mut self, buf: &mut [u8]) -> Result<TryRecv, ClientError> {
        loop {
            match self.stream.read(buf) {
                Ok(0) => return Ok(TryRecv::Closed),
                Ok(n) => return Ok(TryRecv::Data(n)),
                Err(e) if would_block(&e) => {
                    self.counts.recv += 1;
                    return Ok(TryRecv::WouldBlock);
                }
                Err(e) if interrupted(&e) => {}
                Err(e) => {
                    return Err(SocketError::new(Op::Recv, self.peer, Mode::NonBlocking, e).into())
                }
            }
        }
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
                let mode = self.timeout.map_or(Mode::NonBlocking, Mode::Timeout);
                return Err(
                    SocketError::new(op, self.peer, mode, io::ErrorKind::TimedOut.into()).into(),
                );
            }
            match self.poll.poll(&mut self.events, timeout) {
                Ok(()) => {}
                Err(e) if interrupted(&e) => continue,
                Err(e) => return Err(SocketError::new(op, self.peer, Mode::NonBlocking, e).into()),
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

    /// Sends all of `bytes`, waiting for writability after each partial send.
    ///
    /// # Errors
    /// Socket failures, `TimeoutError`.
    pub fn send_all(&mut self, mut bytes: &[u8]) -> Result<(), ClientError> {
        let deadline = self.deadline();
        while !bytes.is_empty() {
            match self.try_send(bytes)? {
                TrySend::Sent(n) => bytes = &bytes[n..],
                TrySend::WouldBlock => self.wait(Op::Send, deadline)?,
            }
        }
        Ok(())
    }

    /// Sends one frame (header and payload in one buffer).
    ///
    /// # Errors
    /// Socket failures, `TimeoutError`, [`ClientError::TooLarge`].
    pub fn send_frame(&mut self, payload: &[u8]) -> Result<(), ClientError> {
        let mut wire = Vec::new();
        encode_frame(&mut wire, payload).map_err(|_| ClientError::TooLarge {
            len: payload.len(),
            max: u32::MAX as usize,
        })?;
        self.send_all(&wire)
    }

    /// Reads whatever has arrived into the decoder, without waiting.
    fn read_available(&mut self) -> Result<(), ClientError> {
        let peer = self.peer;
        loop {
            match self.stream.read(self.decoder.read_space()) {
                // End of stream: `fill_frame` reports it after the send.
                Ok(0) => return Ok(()),
                Ok(n) => self.decoder.filled(n),
                Err(e) if would_block(&e) => {
                    self.counts.recv += 1;
                    return Ok(());
                }
                Err(e) if interrupted(&e) => {}
                Err(e) => return Err(SocketError::new(Op::Recv, peer, Mode::NonBlocking, e).into()),
            }
        }
    }

    /// Receives until a whole frame is buffered; `Ok(false)` on a clean close.
    fn fill_frame(&mut self) -> Result<bool, ClientError> {
        let deadline = self.deadline();
        let peer = self.peer;
        let protocol = |source| ClientError::Protocol { addr: peer, source };
        while !self.decoder.frame_ready().map_err(protocol)? {
            let space = self.decoder.read_space();
            match self.stream.read(space) {
                Ok(0) => {
                    self.decoder.finish().map_err(protocol)?;
                    return Ok(false);
                }
                Ok(n) => self.decoder.filled(n),
                Err(e) if would_block(&e) => {
                    self.counts.recv += 1;
                    self.wait(Op::Recv, deadline)?;
                }
                Err(e) if interrupted(&e) => {}
                Err(e) => return Err(SocketError::new(Op::Recv, peer, Mode::NonBlocking, e).into()),
            }
        }
        Ok(true)
    }

    /// Receives one frame; `None` on a clean close between frames.
    ///
    /// # Errors
    /// Socket and protocol failures, `TimeoutError`.
    pub fn recv_frame(&mut self) -> Result<Option<Vec<u8>>, ClientError> {
        if !self.fill_frame()? {
            return Ok(None);
        }
        Ok(self.decoder.next_frame().ok().flatten().map(<[u8]>::to_vec))
    }

    /// One echo round trip, checked byte for byte.
    ///
    /// # Errors
    /// Socket and protocol failures, [`ClientError::EchoMismatch`].
    pub fn echo(&mut self, payload: &[u8]) -> Result<(), ClientError> {
        // The servers stream: they echo a large frame while it arrives, so
        // the reply is read while the frame is still being sent. (Sending
        // all first would fill both sides' buffers and stall both.)
        let mut wire = Vec::new();
        encode_frame(&mut wire, payload).map_err(|_| ClientError::TooLarge {
            len: payload.len(),
            max: u32::MAX as usize,
        })?;
        let deadline = self.deadline();
        let mut rest = &wire[..];
        while !rest.is_empty() {
            match self.try_send(rest)? {
                TrySend::Sent(n) => rest = &rest[n..],
                TrySend::WouldBlock => {
                    self.read_available()?;
                    self.wait_for(Op::Send, deadline, true)?;
                }
            }
        }
        if !self.fill_frame()? {
            return Err(ClientError::Closed { addr: self.peer });
        }
        let reply = self.decoder.next_frame().ok().flatten().unwrap_or_default();
        check_echo(self.peer, payload, reply)
    }

    /// Shuts down the write side.
    ///
    /// # Errors
    /// The OS error, classified.
    pub fn shutdown_write(&mut self) -> Result<(), ClientError> {
        self.stream
            .shutdown(Shutdown::Write)
            .map_err(|e| SocketError::new(Op::Send, self.peer, Mode::NonBlocking, e).into())
    }

    /// `message` service: sends, shuts down the write side, and waits up to
    /// a second for the server's close.
    ///
    /// # Errors
    /// Socket failures (a reset means the server refused it).
    pub fn send_message(&mut self, message: &[u8]) -> Result<MessageReceipt, ClientError> {
        self.send_all(message)?;
        self.shutdown_write()?;
        let deadline = Some(Instant::now() + confirm_wait(self.timeout));
        let mut scratch = [0u8; 512];
        let confirmed = loop {
            match self.try_recv(&mut scratch)? {
                TryRecv::Closed => break true,
                TryRecv::Data(_) => {}
                TryRecv::WouldBlock => match self.wait(Op::Recv, deadline) {
                    Ok(()) => {}
                    Err(ClientError::Socket(e)) if e.io.kind() == io::ErrorKind::TimedOut => {
                        break false
                    }
                    Err(e) => return Err(e),
                },
            }
        };
        Ok(MessageReceipt {
            bytes: message.len(),
            confirmed,
        })
    }

    /// `sink` service: sends every frame, shuts down the write side, and checks
    /// the server's summary.
    ///
    /// # Errors
    /// Socket and protocol failures, [`ClientError::SinkMismatch`].
    pub fn sink_upload<'a, I>(&mut self, frames: I) -> Result<SinkSummary, ClientError>
    where
        I: IntoIterator<Item = &'a [u8]>,
    {
        let tally = send_counted(frames, |frame| self.send_frame(frame))?;
        self.finish_sink(&tally)
    }

    /// Ends a sink upload whose frames were counted in `sent`.
    ///
    /// # Errors
    /// Socket and protocol failures, [`ClientError::SinkMismatch`].
    pub fn finish_sink(&mut self, sent: &SinkTally) -> Result<SinkSummary, ClientError> {
        self.shutdown_write()?;
        if !self.fill_frame()? {
            return Err(ClientError::Closed { addr: self.peer });
        }
        let payload = self.decoder.next_frame().ok().flatten().unwrap_or_default();
        check_sink(self.peer, sent.summary(), payload)
    }

    /// Sleeps in `poll` for up to `duration` waiting for this socket to become
    /// readable; returns whether it did. Each return from `poll` is counted in
    /// [`wakeups`](Self::wakeups).
    ///
    /// # Errors
    /// A failed poll.
    pub fn wait_readable(&mut self, duration: Duration) -> Result<bool, ClientError> {
        match self.wait(Op::Recv, Some(Instant::now() + duration)) {
            Ok(()) => Ok(true),
            Err(ClientError::Socket(e)) if e.io.kind() == io::ErrorKind::TimedOut => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Sleeps in `poll` for up to `duration` waiting for this socket to become
    /// writable (or to report an error, e.g. a refused connect); returns
    /// whether it did.
    ///
    /// # Errors
    /// A failed poll.
    pub fn wait_writable(&mut self, duration: Duration) -> Result<bool, ClientError> {
        match self.wait(Op::Send, Some(Instant::now() + duration)) {
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

    /// The server's address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// The mio socket, for demonstrations that need a raw call.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// Sets `SO_LINGER` 0 so that dropping the client resets the connection.
    ///
    /// # Errors
    /// The OS error.
    pub fn reset_on_drop(&self) -> io::Result<()> {
        net::reset_on_close(&self.stream)
    }
}
