//! Driving the session on a non-blocking socket: write until WouldBlock,
//! read until WouldBlock, then sleep in `poll` until either can go on.
//! Reading while writing is what lets a frame of any size stream through a
//! server that echoes it as it arrives.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::Instant;

use mio::net::TcpStream;
use sockmodes_client::error::confirm_wait;
use sockmodes_client::{AtServer, Exchange};
use sockmodes_client::{ClientDriver, ClientError};
use sockmodes_common::ClientEvent;
use sockmodes_os::net;
use sockmodes_python::{interrupted, would_block, Op, SocketError, SocketMode};

use super::{Client, TryRecv, TrySend, WouldBlockCounts};

/// One non-blocking send on `stream`, counting a WouldBlock.
pub(super) fn send_once(
    stream: &mut TcpStream,
    counts: &mut WouldBlockCounts,
    peer: SocketAddr,
    bytes: &[u8],
) -> Result<TrySend, ClientError> {
    let sent = once(Op::Send, peer, &mut counts.send, || stream.write(bytes))?;
    Ok(sent.map_or(TrySend::WouldBlock, TrySend::Sent))
}

/// One non-blocking receive on `stream`, counting a WouldBlock.
pub(super) fn recv_once(
    stream: &mut TcpStream,
    counts: &mut WouldBlockCounts,
    peer: SocketAddr,
    buf: &mut [u8],
) -> Result<TryRecv, ClientError> {
    Ok(
        match once(Op::Recv, peer, &mut counts.recv, || stream.read(buf))? {
            None => TryRecv::WouldBlock,
            Some(0) => TryRecv::Closed,
            Some(n) => TryRecv::Data(n),
        },
    )
}

/// One non-blocking call `io` (operation `op`): `Ok(None)` when it would
/// block (counted in `would_blocks`); an interrupted call is made again.
fn once(
    op: Op,
    peer: SocketAddr,
    would_blocks: &mut u64,
    mut io: impl FnMut() -> io::Result<usize>,
) -> Result<Option<usize>, ClientError> {
    loop {
        match io() {
            Ok(n) => return Ok(Some(n)),
            Err(e) if would_block(&e) => {
                *would_blocks += 1;
                return Ok(None);
            }
            Err(e) if interrupted(&e) => {}
            Err(e) => return Err(SocketError::new(op, peer, SocketMode::NonBlocking, e).into()),
        }
    }
}

impl Client {
    /// Writes until nothing is left or the socket would block (`true`),
    /// shutting the write side down when the session asks.
    fn write_available(&mut self) -> Result<bool, ClientError> {
        loop {
            if self.x.session.wants_shutdown() {
                net::shutdown_write(&self.stream).map_err(|e| {
                    SocketError::new(Op::Send, self.peer, SocketMode::NonBlocking, e)
                })?;
                self.x.session.shut_down();
            }
            if !self.x.session.wants_write() {
                return Ok(false);
            }
            let out = self.x.session.output();
            match send_once(&mut self.stream, &mut self.counts, self.peer, out)? {
                TrySend::Sent(n) => self.x.session.wrote(n),
                TrySend::WouldBlock => return Ok(true),
            }
        }
    }

    /// Reads until the socket would block or the server closed.
    fn read_available(&mut self) -> Result<(), ClientError> {
        let peer = self.peer;
        while !self.x.session.read_closed() {
            let space = self.x.session.read_space();
            match recv_once(&mut self.stream, &mut self.counts, peer, space)? {
                TryRecv::Data(n) => self.x.session.received(n).map_err(|e| e.at(peer))?,
                TryRecv::Closed => self.x.session.received_eof().map_err(|e| e.at(peer))?,
                TryRecv::WouldBlock => break,
            }
        }
        Ok(())
    }

    /// Moves bytes both ways, then, unless something happened, sleeps in
    /// `poll` until the socket can go on (or `deadline`: `TimeoutError`).
    fn pump_until(&mut self, deadline: Option<Instant>) -> Result<(), ClientError> {
        let blocked = self.write_available()?;
        self.read_available()?;
        if self.x.session.has_event() || self.x.session.read_closed() {
            return Ok(());
        }
        if blocked {
            self.wait_for(Op::Send, deadline, true)
        } else {
            self.wait(Op::Recv, deadline)
        }
    }
}

impl ClientDriver for Client {
    fn exchange(&mut self) -> &mut Exchange {
        &mut self.x
    }

    fn pump(&mut self) -> Result<(), ClientError> {
        let deadline = self.deadline();
        self.pump_until(deadline)
    }

    fn flush(&mut self) -> Result<(), ClientError> {
        let deadline = self.deadline();
        while self.write_available()? {
            // Read while writing: a streaming server answers before we finish.
            self.read_available()?;
            self.wait_for(Op::Send, deadline, true)?;
        }
        Ok(())
    }

    fn await_close(&mut self) -> Result<bool, ClientError> {
        let deadline = Some(Instant::now() + confirm_wait(self.timeout));
        loop {
            if let Some(event) = self.x.session.next_event() {
                return Ok(event == ClientEvent::Confirmed);
            }
            match self.pump_until(deadline) {
                Ok(()) => {}
                Err(ClientError::Socket(e)) if e.io.kind() == io::ErrorKind::TimedOut => {
                    return Ok(false)
                }
                Err(e) => return Err(e),
            }
        }
    }
}
