//! The blocking client: std::net calls that wait, in Blocking or Timeout mode.
//!
//! Every failure comes back as a [`ClientError`] whose socket errors are
//! classified the Python way with the server's address, e.g.
//! `ConnectionRefusedError (os error 111): nothing is listening on 127.0.0.1:8080; is the server running?`.

use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::thread;
use std::time::Duration;

use sockmodes_common::client::{check_echo, check_sink, confirm_wait, send_counted};
use sockmodes_common::frame::{header, Decoder};
use sockmodes_common::{
    interrupted, timed_out, ClientError, MessageReceipt, Mode, Op, PyException, SinkSummary,
    SinkTally, SocketError, DEFAULT_MAX_FRAME,
};
use sockmodes_os::{net, ApplyMode};
use tracing::info;

/// How a client connects and waits.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// `Blocking` or `Timeout(t)` (connect, send and recv each wait at most `t`).
    pub mode: Mode,
    /// Connection attempts to repeat after a refusal (0: fail at once).
    pub retries: u32,
    /// Pause before the first retry; doubled after each, up to 2 s.
    pub retry_backoff: Duration,
    /// Set `TCP_NODELAY`.
    pub nodelay: bool,
    /// Largest frame accepted from the server.
    pub max_frame: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            mode: Mode::Blocking,
            retries: 0,
            // Why 100 ms: a server started a moment after its client is found on
            // the first or second retry; doubling keeps a long wait cheap.
            retry_backoff: Duration::from_millis(100),
            nodelay: true,
            max_frame: DEFAULT_MAX_FRAME,
        }
    }
}

/// Payloads above this are echoed with a second thread sending (see
/// `Client::echo_large`).
///
/// Why 256 KiB: far below what loopback's socket buffers hold (megabytes),
/// so a smaller frame is always taken whole before the reply is read; a
/// thread per larger echo costs little next to moving the frame.
const SEND_WHILE_READING: usize = 256 * 1024;

/// Longest pause between connection retries.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// A connected blocking client.
#[derive(Debug)]
pub struct Client {
    stream: TcpStream,
    peer: SocketAddr,
    mode: Mode,
    decoder: Decoder,
}

impl Client {
    /// Connects to `addr`, retrying refused attempts as `options` say.
    ///
    /// # Errors
    /// The last attempt's failure, classified (`ConnectionRefusedError`,
    /// `TimeoutError`, ...); [`ClientError::UnsupportedMode`] for `NonBlocking`
    /// (that is the non-blocking crate's client).
    pub fn connect(addr: SocketAddr, options: &ClientOptions) -> Result<Client, ClientError> {
        if options.mode == Mode::NonBlocking {
            return Err(ClientError::UnsupportedMode(options.mode));
        }
        let mut backoff = options.retry_backoff;
        let mut attempt = 0;
        let stream = loop {
            let result = match options.mode.io_timeout() {
                Some(t) => TcpStream::connect_timeout(&addr, t),
                None => TcpStream::connect(addr),
            };
            match result {
                Ok(stream) => break stream,
                Err(e)
                    if e.kind() == io::ErrorKind::ConnectionRefused
                        && attempt < options.retries =>
                {
                    attempt += 1;
                    info!(%addr, attempt, of = options.retries, wait = ?backoff, "connection refused; retrying");
                    thread::sleep(backoff);
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
                Err(e) => return Err(SocketError::new(Op::Connect, addr, options.mode, e).into()),
            }
        };
        let configure = SocketError::on(Op::Configure, addr, options.mode);
        options.mode.apply(&stream).map_err(&configure)?;
        net::set_nodelay(&stream, options.nodelay).map_err(&configure)?;
        Ok(Client {
            stream,
            peer: addr,
            mode: options.mode,
            decoder: Decoder::new(options.max_frame),
        })
    }

    /// The server's address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// This end's address.
    ///
    /// # Errors
    /// The OS error from getsockname.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.stream.local_addr()
    }

    /// The socket, for demonstrations that need a raw call.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    fn err(&self, op: Op) -> impl Fn(io::Error) -> ClientError + '_ {
        move |e| SocketError::new(op, self.peer, self.mode, e).into()
    }

    /// `message` service: sends `message`, shuts down the write side (the end
    /// of the message), and waits briefly for the server's close to confirm.
    ///
    /// # Errors
    /// A failed send, or a reset instead of a close (the server refused it).
    pub fn send_message(mut self, message: &[u8]) -> Result<MessageReceipt, ClientError> {
        self.stream.write_all(message).map_err(self.err(Op::Send))?;
        self.stream
            .shutdown(Shutdown::Write)
            .map_err(self.err(Op::Send))?;
        let wait = confirm_wait(self.mode.io_timeout());
        self.stream
            .set_read_timeout(Some(wait))
            .map_err(self.err(Op::Configure))?;
        let mut scratch = [0u8; 512];
        let confirmed = loop {
            match self.stream.read(&mut scratch) {
                Ok(0) => break true,
                Ok(_) => continue,
                Err(e) if interrupted(&e) => continue,
                // The wait ran out (EAGAIN on Unix, WSAETIMEDOUT on Windows).
                Err(e) if timed_out(&e) => break false,
                Err(e) => return Err(self.err(Op::Recv)(e)),
            }
        };
        Ok(MessageReceipt {
            bytes: message.len(),
            confirmed,
        })
    }

    /// Sends one frame: header and payload in one vectored write.
    ///
    /// # Errors
    /// [`ClientError::TooLarge`] over the frame limit; a failed send.
    pub fn send_frame(&mut self, payload: &[u8]) -> Result<(), ClientError> {
        let head = header(payload.len()).map_err(|_| ClientError::TooLarge {
            len: payload.len(),
            max: u32::MAX as usize,
        })?;
        let mut bufs = [IoSlice::new(&head), IoSlice::new(payload)];
        let mut bufs = &mut bufs[..];
        while !bufs.is_empty() {
            match self.stream.write_vectored(bufs) {
                Ok(0) => return Err(self.err(Op::Send)(io::ErrorKind::WriteZero.into())),
                Ok(n) => IoSlice::advance_slices(&mut bufs, n),
                Err(e) if interrupted(&e) => {}
                Err(e) => return Err(self.err(Op::Send)(e)),
            }
        }
        Ok(())
    }

    /// Reads until a whole frame is buffered. `Ok(false)` on a clean end of
    /// stream between frames.
    fn fill_frame(&mut self) -> Result<bool, ClientError> {
        let peer = self.peer;
        let protocol = |source| ClientError::Protocol { addr: peer, source };
        while !self.decoder.frame_ready().map_err(protocol)? {
            match self.stream.read(self.decoder.read_space()) {
                Ok(0) => {
                    self.decoder.finish().map_err(protocol)?;
                    return Ok(false);
                }
                Ok(n) => self.decoder.filled(n),
                Err(e) if interrupted(&e) => {}
                Err(e) => return Err(self.err(Op::Recv)(e)),
            }
        }
        Ok(true)
    }

    /// Receives one frame; `None` when the server closed cleanly between frames.
    ///
    /// # Errors
    /// A failed recv (`TimeoutError` in Timeout mode), a torn or oversized frame.
    pub fn recv_frame(&mut self) -> Result<Option<Vec<u8>>, ClientError> {
        if !self.fill_frame()? {
            return Ok(None);
        }
        Ok(self.next_buffered().map(<[u8]>::to_vec))
    }

    fn next_buffered(&mut self) -> Option<&[u8]> {
        self.decoder.next_frame().ok().flatten()
    }

    /// Receives one frame and hands it to `f` without copying it; `None`
    /// when the server closed cleanly between frames.
    ///
    /// A call that fails with a timeout (a read timeout set on the
    /// [`stream`](Self::stream)) keeps what it had read, so calling again
    /// resumes the same frame: a caller can wait in ticks and check a
    /// deadline in between.
    ///
    /// # Errors
    /// A failed recv, a torn or oversized frame.
    pub fn recv_with<T>(&mut self, f: impl FnOnce(&[u8]) -> T) -> Result<Option<T>, ClientError> {
        if !self.fill_frame()? {
            return Ok(None);
        }
        Ok(Some(f(self.next_buffered().unwrap_or_default())))
    }

    /// One echo round trip: sends `payload` and checks the reply is identical.
    ///
    /// # Errors
    /// Socket and protocol failures, [`ClientError::Closed`], [`ClientError::EchoMismatch`].
    pub fn echo(&mut self, payload: &[u8]) -> Result<(), ClientError> {
        if payload.len() > SEND_WHILE_READING {
            return self.echo_large(payload);
        }
        self.send_frame(payload)?;
        let peer = self.peer;
        self.recv_with(|reply| check_echo(peer, payload, reply))?
            .unwrap_or(Err(ClientError::Closed { addr: peer }))
    }

    /// Echo of a frame too large for the socket buffers: the servers echo
    /// while the frame arrives, so a thread sends while this one reads.
    /// (Sending all first would fill both sides' buffers and stall both,
    /// the classic deadlock of a blocking client against a streaming peer.)
    fn echo_large(&mut self, payload: &[u8]) -> Result<(), ClientError> {
        let writer = self.stream.try_clone().map_err(self.err(Op::Configure))?;
        let peer = self.peer;
        let mode = self.mode;
        std::thread::scope(|scope| {
            let sender = scope.spawn(move || {
                let mut w = Client {
                    stream: writer,
                    peer,
                    mode,
                    decoder: Decoder::new(0),
                };
                w.send_frame(payload)
            });
            let got = self
                .recv_with(|reply| check_echo(peer, payload, reply))
                .and_then(|r| r.unwrap_or(Err(ClientError::Closed { addr: peer })));
            if got.is_err() {
                // The sender may be blocked on a peer that stopped reading.
                let _ = self.stream.shutdown(Shutdown::Both);
            }
            let sent = sender.join().unwrap_or_else(|_| {
                Err(self.err(Op::Send)(io::Error::other(
                    "the sending thread panicked",
                )))
            });
            sent.and(got)
        })
    }

    /// Shuts down the write side: the server sees end of stream.
    ///
    /// # Errors
    /// The OS error from shutdown.
    pub fn shutdown_write(&mut self) -> Result<(), ClientError> {
        self.stream
            .shutdown(Shutdown::Write)
            .map_err(self.err(Op::Send))
    }

    /// `sink` service: sends every frame, shuts down the write side, reads the
    /// server's summary and checks it against what was sent.
    ///
    /// # Errors
    /// Socket and protocol failures; [`ClientError::SinkMismatch`].
    pub fn sink_upload<'a, I>(mut self, frames: I) -> Result<SinkSummary, ClientError>
    where
        I: IntoIterator<Item = &'a [u8]>,
    {
        let tally = send_counted(frames, |frame| self.send_frame(frame))?;
        self.finish_sink(&tally)
    }

    /// Ends a sink upload whose frames were sent with [`send_frame`](Self::send_frame)
    /// and counted in `sent`: shuts down the write side and checks the summary.
    ///
    /// # Errors
    /// Socket and protocol failures; [`ClientError::SinkMismatch`].
    pub fn finish_sink(mut self, sent: &SinkTally) -> Result<SinkSummary, ClientError> {
        self.shutdown_write()?;
        if !self.fill_frame()? {
            return Err(ClientError::Closed { addr: self.peer });
        }
        let peer = self.peer;
        let payload = self.next_buffered().unwrap_or_default();
        check_sink(peer, sent.summary(), payload)
    }
}

/// True when `e` is the refusal a client started before its server meets.
pub fn is_refused(e: &ClientError) -> bool {
    e.exception() == Some(PyException::ConnectionRefusedError)
}
