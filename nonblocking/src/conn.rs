//! One server connection on a non-blocking socket: common's
//! [`ServerSession`] driven by readiness instead of by waiting.
//!
//! Readiness is edge-triggered: an event says "something changed", so after
//! each one we read until `WouldBlock` (or until a short read, which on Linux
//! means the receive queue is empty) and write until `WouldBlock`; stopping
//! earlier would leave bytes that no new event announces. Two exceptions are
//! deliberate: reading pauses while output is over its cap (backpressure; the
//! WRITABLE event that drains it resumes reading), and each connection has a
//! budget per turn of the loop (`serving/src/turn.rs`): at most [`READ_BUDGET`] reads
//! and [`TURN_BYTES`] bytes moved (read plus written), so one busy peer
//! cannot starve the others. A connection that spends its budget with bytes
//! left either way sets `again`, and the loop comes back to it after the
//! others without waiting for an event.
//!
//! Every byte moved is told to the connection's [`Liveness`] (the idle and
//! minimum-rate rules, common's `liveness.rs`), and after each turn what
//! the peer owes; the loop's sweep asks it for a verdict.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::time::Instant;

use mio::net::TcpStream;
use mio::{Interest, Registry, Token};
use sockmodes_common::ServerSession;
use sockmodes_python::{interrupted, would_block};
pub use sockmodes_serving::ending::{Closing, End};
use sockmodes_serving::liveness::{Liveness, Owed};
use sockmodes_serving::ServerConfig;

use crate::turn::Budget;
pub use crate::turn::{READ_BUDGET, TURN_BYTES};

/// A connection owned by an event loop.
#[derive(Debug)]
pub struct Conn {
    /// The socket.
    pub stream: TcpStream,
    /// The peer's address.
    pub peer: SocketAddr,
    /// The protocol state.
    pub session: ServerSession,
    /// When bytes last moved, and the rate of what is owed (`liveness.rs`).
    pub liveness: Liveness,
    /// WRITABLE is in the registered interest.
    writable_registered: bool,
    /// The turn's budget ran out with bytes left to move: drive it again
    /// after the others, without an event.
    pub again: bool,
    /// On the loop's requeue list: driven once in the next turn's requeue
    /// pass, and not for its events meanwhile (see the loop's `requeue`).
    pub requeued: bool,
    /// Set once the connection is in its lingering close.
    pub closing: Option<Closing>,
    /// System calls made on this socket since the loop last took the count
    /// (reads, writes, `epoll_ctl`, shutdown).
    pub syscalls: u64,
    /// Unique per loop: tells this connection's work from the work of an
    /// earlier one under the same token (`work.rs`).
    pub serial: u64,
}

impl Conn {
    /// Wraps an accepted stream and registers it for READABLE.
    ///
    /// # Errors
    /// The registration or socket-option failure.
    pub fn register(
        mut stream: TcpStream,
        peer: SocketAddr,
        token: Token,
        registry: &Registry,
        config: &ServerConfig,
    ) -> io::Result<Conn> {
        stream.set_nodelay(config.nodelay)?;
        registry.register(&mut stream, token, Interest::READABLE)?;
        Ok(Conn {
            stream,
            peer,
            session: ServerSession::for_config(config),
            liveness: Liveness::new(config.limits(), Instant::now()),
            writable_registered: false,
            again: false,
            requeued: false,
            closing: None,
            syscalls: 0,
            serial: 0,
        })
    }

    /// Begins the lingering close: every answer already owed is flushed,
    /// then the write side is shut, then input is discarded until the peer
    /// closes. `Ok(true)` when it is already over and the socket can close.
    ///
    /// # Errors
    /// The socket failed: close at once.
    pub fn begin_close(
        &mut self,
        token: Token,
        registry: &Registry,
        scratch: &mut [u8],
    ) -> io::Result<bool> {
        self.closing = Some(Closing::begun(Instant::now()));
        self.again = false;
        self.linger(token, registry, scratch)
    }

    /// One step of the lingering close (see [`begin_close`](Self::begin_close)).
    fn linger(
        &mut self,
        token: Token,
        registry: &Registry,
        scratch: &mut [u8],
    ) -> io::Result<bool> {
        // What was owed leaves first, whatever the turn's budget (the
        // lingering close is bounded in time instead).
        self.flush(&mut Budget {
            bytes: usize::MAX,
            ..Budget::FULL
        })?;
        if !self.session.output().is_empty() {
            self.update_interest(token, registry)?;
            return Ok(false);
        }
        let closing = self.closing.as_mut().expect("lingering");
        if !closing.shut {
            closing.shut = true;
            self.syscalls += 1;
            match self.stream.shutdown(Shutdown::Write) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotConnected => return Ok(true),
                Err(e) => return Err(e),
            }
        }
        loop {
            self.syscalls += 1;
            match self.stream.read(scratch) {
                Ok(0) => return Ok(true),
                Ok(_) => closing.last_read = Instant::now(),
                Err(e) if would_block(&e) => break,
                Err(e) if interrupted(&e) => {}
                Err(e) => return Err(e),
            }
        }
        self.update_interest(token, registry)?;
        Ok(false)
    }

    /// Makes all the progress the socket allows now. `Ok(true)` when the
    /// connection is finished and can be closed. Messages completed on the way
    /// are passed to `on_message`.
    ///
    /// # Errors
    /// Why the connection must be closed.
    ///
    /// `scratch` is the loop's shared read buffer: between frames, bytes are
    /// read into it and decoded from it, so idle connections own no buffer.
    ///
    /// `short_read_drains`: the event that brought us here reported neither
    /// end of stream nor an error, so a short read means the receive queue is
    /// empty (see [`Self::drive`]'s body). False when driving without an event.
    pub fn drive(
        &mut self,
        token: Token,
        registry: &Registry,
        scratch: &mut [u8],
        short_read_drains: bool,
        on_message: &mut dyn FnMut(SocketAddr, Vec<u8>),
    ) -> Result<bool, End> {
        if self.closing.is_some() {
            return Ok(self.linger(token, registry, scratch)?);
        }
        let mut budget = Budget::FULL;
        let mut drained = false;
        self.again = false;
        loop {
            self.flush(&mut budget)?;
            if self.session.is_finished() {
                return Ok(true);
            }
            if budget.spent() {
                // Bytes may be left either way (unsent output the socket
                // would take, unread input): no event would say so.
                self.again = !self.session.output().is_empty() || self.session.wants_read();
                break;
            }
            if drained {
                break;
            }
            if !self.session.wants_read() {
                // Read side done, or paused by backpressure: then output is
                // pending, WRITABLE is registered, and the writable event that
                // drains it brings us back here to read on.
                break;
            }
            budget.read();
            self.syscalls += 1;
            let direct = self.session.reads_direct();
            let (read, offered) = if direct {
                let space = self.session.read_space();
                let len = budget.cap(space.len());
                (self.stream.read(&mut space[..len]), len)
            } else {
                // No more than the session has room for (memory bound).
                let limit = self.session.read_limit().min(scratch.len());
                (self.stream.read(&mut scratch[..limit]), limit)
            };
            match read {
                Ok(0) => {
                    self.session.received_eof()?;
                    if let Some(m) = self.session.take_message() {
                        on_message(self.peer, m);
                    }
                }
                Ok(n) => {
                    // A short read emptied the receive queue, and on Linux,
                    // with edge-triggered epoll, anything arriving later
                    // (bytes, FIN, RST) raises a new event: the read that
                    // would only say WouldBlock, one syscall per message, can
                    // be skipped. Not when the event already reported end of
                    // stream or an error: a FIN queued before the wait raises
                    // no new event and must be read now.
                    drained = short_read_drains && n < offered;
                    budget.spend(n);
                    self.liveness.moved(Instant::now(), n, 0);
                    if direct {
                        self.session.received(n)?;
                    } else {
                        self.session.received_from(&scratch[..n])?;
                    }
                    // The session's buffer may be full of unflushed output;
                    // the flush at the top of the loop makes room.
                }
                Err(e) if would_block(&e) => break,
                Err(e) if interrupted(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
        self.liveness
            .owed(Instant::now(), Owed::of(&self.session, false));
        self.update_interest(token, registry)?;
        Ok(false)
    }

    /// Writes pending output until done, `WouldBlock` or the turn's byte
    /// budget is spent; a partial write keeps the rest for the next
    /// WRITABLE event or turn (never `write_all` here).
    fn flush(&mut self, budget: &mut Budget) -> io::Result<()> {
        while !self.session.output().is_empty() && budget.bytes > 0 {
            self.syscalls += 1;
            let out = self.session.output();
            let out = &out[..budget.cap(out.len())];
            match self.stream.write(out) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.session.wrote(n);
                    budget.spend(n);
                    self.liveness.moved(Instant::now(), 0, n);
                }
                Err(e) if would_block(&e) => break,
                Err(e) if interrupted(&e) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Interest follows state: WRITABLE only while output is pending, so an
    /// idle connection never wakes the loop.
    fn update_interest(&mut self, token: Token, registry: &Registry) -> io::Result<()> {
        let want_writable = !self.session.output().is_empty();
        if want_writable != self.writable_registered {
            let interest = if want_writable {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            self.syscalls += 1;
            registry.reregister(&mut self.stream, token, interest)?;
            self.writable_registered = want_writable;
        }
        Ok(())
    }
}
