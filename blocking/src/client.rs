//! The blocking client: std::net calls that wait, in Blocking or Timeout
//! mode, driving a [`ClientSession`](sockmodes_common::ClientSession) (`common`), which holds every rule of
//! the protocol: this file only moves bytes, and the calls built on that
//! (`echo`, `send_frame`, `sink_upload`, ...) are [`ClientDriver`]'s.
//!
//! Every failure comes back as a [`ClientError`] whose socket errors are
//! classified the Python way with the server's address, e.g.
//! `ConnectionRefusedError (os error 111): nothing is listening on 127.0.0.1:8080; is the server running?`.
//!
//! **A blocking client must read while it writes.** Our servers echo a frame
//! while it arrives; a client that wrote a whole 16 MiB frame before reading
//! would fill the server's output, the server would stop reading, and both
//! would wait forever. So while an answer is owed, this client writes at
//! most [`WRITE_WHILE_OWED`] bytes in one blocking call and then takes
//! whatever has arrived without waiting (the socket is made non-blocking
//! for that drain only: std has no poll, and this needs none). Small frames
//! go as before: one write, then a read that waits.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;

use sockmodes_client::error::{confirm_wait, retry_refused};
use sockmodes_client::{AtServer, Exchange};
use sockmodes_client::{ClientDriver, ClientError, ClientSettings};
use sockmodes_common::ClientEvent;
use sockmodes_os::{net, SetSocketMode};
use sockmodes_python::{interrupted, timed_out, would_block, Op, SocketError, SocketMode};

/// The most one blocking write sends while an answer is owed.
///
/// Why 16 KiB: after a drain our receive buffer is empty, and a write
/// smaller than it can never wait on a server that waits on us (the
/// server's answers have room to land). Every OS gives a socket more than
/// this (Linux 128 KiB, Windows 64 KiB by default); a frame of 16 MiB
/// costs 1,024 writes, far cheaper than moving it.
pub const WRITE_WHILE_OWED: usize = 16 * 1024;

/// A connected blocking client.
#[derive(Debug)]
pub struct Client {
    stream: TcpStream,
    peer: SocketAddr,
    mode: SocketMode,
    x: Exchange,
}

impl Client {
    /// Connects to `addr`, retrying refused attempts as `settings` say,
    /// in `Blocking` mode or, with a timeout, `Timeout(t)` (connect, send
    /// and recv each wait at most `t`).
    ///
    /// # Errors
    /// The last attempt's failure, classified (`ConnectionRefusedError`,
    /// `TimeoutError`, ...).
    pub fn connect(addr: SocketAddr, settings: &ClientSettings) -> Result<Client, ClientError> {
        let mode = settings.mode();
        let attempt = || {
            match mode.io_timeout() {
                Some(t) => TcpStream::connect_timeout(&addr, t),
                None => TcpStream::connect(addr),
            }
            .map_err(|e| SocketError::new(Op::Connect, addr, mode, e).into())
        };
        let (first, retries) = (settings.retry_backoff, settings.retries);
        let stream = retry_refused(addr, first, retries, attempt, thread::sleep)?;
        let configure = SocketError::on(Op::Configure, addr, mode);
        mode.apply(&stream).map_err(&configure)?;
        net::set_nodelay(&stream, settings.nodelay).map_err(&configure)?;
        Ok(Client {
            stream,
            peer: addr,
            mode,
            x: Exchange::new(addr, settings.max_frame),
        })
    }

    /// The socket, for demonstrations that need a raw call.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    fn err(&self, op: Op) -> impl Fn(io::Error) -> ClientError + '_ {
        move |e| SocketError::new(op, self.peer, self.mode, e).into()
    }

    /// One step of the sending side; `false` when there was nothing to do.
    fn step_write(&mut self) -> Result<bool, ClientError> {
        if self.x.session.wants_shutdown() {
            net::shutdown_write(&self.stream).map_err(self.err(Op::Send))?;
            self.x.session.shut_down();
            return Ok(true);
        }
        if !self.x.session.wants_write() {
            return Ok(false);
        }
        let owed = self.x.session.owes_answer();
        let out = self.x.session.output();
        let n = if owed { WRITE_WHILE_OWED } else { out.len() }.min(out.len());
        match self.stream.write(&out[..n]) {
            Ok(0) => return Err(self.err(Op::Send)(io::ErrorKind::WriteZero.into())),
            Ok(k) => self.x.session.wrote(k),
            Err(e) if interrupted(&e) => {}
            Err(e) => return Err(self.err(Op::Send)(e)),
        }
        if owed && self.x.session.wants_write() {
            self.drain()?;
        }
        Ok(true)
    }

    /// Takes whatever has arrived, without waiting.
    fn drain(&mut self) -> Result<(), ClientError> {
        self.stream
            .set_nonblocking(true)
            .map_err(self.err(Op::Configure))?;
        let drained = self.read(true);
        self.stream
            .set_nonblocking(false)
            .map_err(self.err(Op::Configure))?;
        drained
    }

    /// Reads into the session: once (waiting), or with `until_empty` on a
    /// non-blocking socket until it would block.
    fn read(&mut self, until_empty: bool) -> Result<(), ClientError> {
        while !self.x.session.read_closed() {
            let peer = self.peer;
            match self.stream.read(self.x.session.read_space()) {
                Ok(0) => self.x.session.received_eof().map_err(|e| e.at(peer))?,
                Ok(n) => self.x.session.received(n).map_err(|e| e.at(peer))?,
                Err(e) if interrupted(&e) => continue,
                Err(e) if until_empty && would_block(&e) => return Ok(()),
                Err(e) => return Err(self.err(Op::Recv)(e)),
            }
            if !until_empty {
                break;
            }
        }
        Ok(())
    }
}

impl ClientDriver for Client {
    fn exchange(&mut self) -> &mut Exchange {
        &mut self.x
    }

    /// Writes a step if there is one (reading between writes while an
    /// answer is owed); otherwise waits in a read.
    fn pump(&mut self) -> Result<(), ClientError> {
        if !self.step_write()? {
            self.read(false)?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ClientError> {
        while self.step_write()? {}
        Ok(())
    }

    fn await_close(&mut self) -> Result<bool, ClientError> {
        let wait = confirm_wait(self.mode.io_timeout());
        self.stream
            .set_read_timeout(Some(wait))
            .map_err(self.err(Op::Configure))?;
        match self.next_event() {
            Ok(event) => Ok(event == ClientEvent::Confirmed),
            // The wait ran out (EAGAIN on Unix, WSAETIMEDOUT on Windows).
            Err(ClientError::Socket(e)) if timed_out(&e.io) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
