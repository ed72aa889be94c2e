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
//! One file (about 530 lines): each WouldBlock-visible call sits next to
//! the convenience call built on it, which is the lesson of the file.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use sockmodes_common::client::{check_echo, check_sink, send_counted, CONFIRM_WAIT};
use sockmodes_common::frame::{encode_frame, Decoder};
use sockmodes_common::{
    interrupted, net, would_block, ClientError, MessageReceipt, Mode, Op, SinkSummary, SinkTally,
    SocketError, DEFAULT_MAX_FRAME,
};

const ME: Token = Token(0);

/// Outcome of [`NbClient::try_send`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrySend {
    /// The kernel took this many bytes (possibly fewer than offered).
    Sent(usize),
    /// The send buffer is full: Python's `BlockingIOError`.
    WouldBlock,
}

/// Outcome of [`NbClient::try_recv`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecv {
    /// This many bytes were received.
    Data(usize),
    /// Nothing to read now: Python's `BlockingIOError`.
    WouldBlock,
    /// The peer closed its side (Python's `recv` returns `b''`).
    Closed,
}

/// How many times each kind of call met WouldBlock: each is a moment where
/// Python would have raised `BlockingIOError`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WouldBlockCounts {
    /// Connect checks that found the handshake still in progress (EINPROGRESS).
    pub connect: u64,
    /// Sends that found the send buffer full.
    pub send: u64,
    /// Receives that found nothing to read.
    pub recv: u64,
}

/// Options of the non-blocking client.
#[derive(Debug, Clone)]
pub struct NbOptions {
    /// Longest any convenience call waits in `poll` (`None`: no limit).
    /// Running out gives `TimeoutError`.
    pub timeout: Option<Duration>,
    /// Connection attempts to repeat after a refusal.
    pub retries: u32,
    /// Pause before the first retry; doubled after each, up to 2 s.
    pub retry_backoff: Duration,
    /// Set `TCP_NODELAY` once connected.
    pub nodelay: bool,
    /// Largest frame accepted from the server.
    pub max_frame: usize,
}

impl Default for NbOptions {
    fn default() -> Self {
        NbOptions {
            timeout: None,
            retries: 0,
            retry_backoff: Duration::from_millis(100),
            nodelay: true,
            max_frame: DEFAULT_MAX_FRAME,
        }
    }
}

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
    /// Starts a connect and returns at once, with the handshake in progress
    /// (the kernel said `EINPROGRESS`; mio returns `Ok`). Even a refused
    /// connect succeeds here: the refusal arrives with a later event.
    ///
    /// # Errors
    /// Failures the kernel reports at once (e.g. an unusable address).
    pub fn connect_start(addr: SocketAddr, options: &NbOptions) -> Result<NbClient, ClientError> {
        let err = SocketError::on(Op::Connect, addr, Mode::NonBlocking);
        let poll = Poll::new().map_err(&err)?;
        let mut stream = TcpStream::connect(addr).map_err(&err)?;
        poll.registry()
            .register(&mut stream, ME, Interest::READABLE | Interest::WRITABLE)
            .map_err(&err)?;
        Ok(NbClient {
            poll,
            // Why 8: one socket produces at most a readable and a writable event.
            events: Events::with_capacity(8),
            stream,
            peer: addr,
            connected: false,
            nodelay: options.nodelay,
            timeout: options.timeout,
            decoder: Decoder::new(options.max_frame),
            counts: WouldBlockCounts::default(),
            wakeups: 0,
        })
    }

    /// Connects, waiting in `poll` for the handshake, retrying refusals as
    /// `options` say.
    ///
    /// # Errors
    /// `ConnectionRefusedError` (from `take_error` after the event),
    /// `TimeoutError`, ...
    pub fn connect(addr: SocketAddr, options: &NbOptions) -> Result<NbClient, ClientError> {
        let mut backoff = options.retry_backoff;
        let mut attempt = 0;
        loop {
            let mut client = NbClient::connect_start(addr, options)?;
            match client.wait_connected() {
                Ok(()) => return Ok(client),
                Err(e) if blocking_refused(&e) && attempt < options.retries => {
                    attempt += 1;
                    tracing::info!(%addr, attempt, of = options.retries, wait = ?backoff, "connection refused; retrying");
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(2));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Checks once, without waiting, whether the handshake finished:
    /// `Ok(true)` connected, `Ok(false)` still in progress (counted as a
    /// WouldBlock), `Err` for a refusal or other failure.
    ///
    /// # Errors
    /// The connect failure, classified.
    pub fn try_finish_connect(&mut self) -> Result<bool, ClientError> {
        if self.connected {
            return Ok(true);
        }
        let err = SocketError::on(Op::Connect, self.peer, Mode::NonBlocking);
        if let Some(e) = self.stream.take_error().map_err(&err)? {
            return Err(err(e).into());
        }
        match self.stream.peer_addr() {
            Ok(_) => {
                self.connected = true;
                self.stream.set_nodelay(self.nodelay).map_err(&err)?;
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::NotConnected || would_block(&e) => {
                self.counts.connect += 1;
                Ok(false)
            }
            Err(e) => Err(err(e).into()),
        }
    }

    /// Waits in `poll` until the handshake finished.
    ///
    /// # Errors
    /// As [`try_finish_connect`](Self::try_finish_connect), or `TimeoutError`.
    pub fn wait_connected(&mut self) -> Result<(), ClientError> {
        let deadline = self.deadline();
        while !self.try_finish_connect()? {
            self.wait(Op::Connect, deadline)?;
        }
        Ok(())
    }

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
        let deadline =
            Some(Instant::now() + self.timeout.map_or(CONFIRM_WAIT, |t| t.min(CONFIRM_WAIT)));
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

fn blocking_refused(e: &ClientError) -> bool {
    e.exception() == Some(sockmodes_common::PyException::ConnectionRefusedError)
}
