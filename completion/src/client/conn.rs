//! One client connection on a ring: common's [`ClientSession`] driven by
//! finished operations.
//!
//! The server's rule holds here too (`conn.rs`): **a buffer handed to the
//! kernel is the kernel's until its completion arrives.** So the session's
//! output is copied into `send_buf` before a send (a request queued
//! meanwhile may move the session's buffer), and the address of a connect
//! lives in a box of the connection's own. Receives name no buffer: the
//! kernel takes one from the ring's shared pool when bytes arrive, so a
//! thousand idle connections hold no receive memory. The session is told a
//! send's bytes only when the send completes, so
//! [`unsent`](ClientSession::unsent) stays what the kernel has not taken.
//!
//! At most one connect, one receive and one send are in flight, so bytes go
//! and come in order. A connection that ends cancels what it has in flight
//! and is freed only once every operation has completed.

use std::io;
use std::net::{Shutdown, TcpStream};
use std::os::fd::AsRawFd;

use io_uring::{cqueue, opcode, squeue, types};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use sockmodes_client::ClientError;
use sockmodes_client::{AtServer, Exchange};
use sockmodes_os::net;
use sockmodes_python::{Op as SockOp, SocketError, SocketMode};

use crate::conn::loan::{Borrower, Receive};
use crate::conn::RECVSEND_POLL_FIRST;
use crate::pool::{self, Pool};
use crate::ring::{Completion, Ring};
use crate::POOL_BUFFER;

/// Send buffer kept between requests.
///
/// Why 4 KiB: small frames reuse it; a connection that once sent a 64 KiB
/// chunk of a large frame does not keep it.
const SEND_KEEP: usize = 4096;

/// What an operation was, in the low bits of its `user_data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Connect = 0,
    Recv = 1,
    Send = 2,
    Cancel = 3,
}

/// The `user_data` of connection `key`'s operation `op`.
pub(crate) fn user_data(key: usize, op: Op) -> u64 {
    ((key as u64) << 2) | op as u64
}

/// The connection key and operation of a `user_data`.
pub(crate) fn decode(user_data: u64) -> (usize, Op) {
    let op = match user_data & 3 {
        0 => Op::Connect,
        1 => Op::Recv,
        2 => Op::Send,
        _ => Op::Cancel,
    };
    ((user_data >> 2) as usize, op)
}

/// What a completion did to the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// The handshake completed.
    Connected,
    /// Bytes moved (the session may have events).
    Moved,
    /// The server's end of stream was taken by the session.
    Eof,
    /// Nothing for the caller (a retry, a cancellation, a dead connection).
    Quiet,
}

/// One client connection owned by a ring's thread.
pub(crate) struct Conn {
    stream: TcpStream,
    /// The connect's address: the kernel reads it until the connect completes.
    addr: Box<SockAddr>,
    /// The session, the server's address, and the echoes a person's
    /// `send_frame` sent (`common`'s `ClientDriver`).
    pub x: Exchange,
    /// How failures are named (`TimeoutError` needs a timeout).
    pub mode: SocketMode,
    pub connected: bool,
    send_buf: Vec<u8>,
    connect_pending: bool,
    send_pending: bool,
    cancels: u8,
    /// The receive in flight, or waiting for a pool buffer.
    recv: Receive,
    eof: bool,
    /// Over: nothing more is posted, its completions only free it.
    pub dead: bool,
}

impl Conn {
    /// A TCP socket for `addr` with `TCP_NODELAY` set as `nodelay` says
    /// (before the connect, so no call after it).
    ///
    /// # Errors
    /// The socket could not be made (out of descriptors).
    pub fn open(x: Exchange, mode: SocketMode, nodelay: bool) -> Result<Conn, ClientError> {
        let addr = x.peer;
        let err = SocketError::on(SockOp::Connect, addr, mode);
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
            .map_err(&err)?;
        socket
            .set_tcp_nodelay(nodelay)
            .map_err(SocketError::on(SockOp::Configure, addr, mode))?;
        Ok(Conn {
            stream: socket.into(),
            addr: Box::new(SockAddr::from(addr)),
            x,
            mode,
            connected: false,
            send_buf: Vec::new(),
            connect_pending: false,
            send_pending: false,
            cancels: 0,
            recv: Receive::default(),
            eof: false,
            dead: false,
        })
    }

    fn err(&self, op: SockOp) -> impl Fn(io::Error) -> ClientError + '_ {
        move |e| SocketError::new(op, self.x.peer, self.mode, e).into()
    }

    fn fd(&self) -> types::Fd {
        types::Fd(self.stream.as_raw_fd())
    }

    /// True while some operation is in flight (the connection may not be
    /// freed).
    pub fn in_flight(&self) -> bool {
        self.connect_pending || self.recv.pending || self.send_pending || self.cancels > 0
    }

    /// Queues the connect.
    ///
    /// # Safety
    /// The connection stays in its slab (its boxed address with it) until
    /// [`in_flight`](Self::in_flight) is false.
    pub unsafe fn post_connect(&mut self, key: usize, ring: &mut Ring) -> io::Result<()> {
        let sqe = opcode::Connect::new(self.fd(), self.addr.as_ptr().cast(), self.addr.len())
            .build()
            .user_data(user_data(key, Op::Connect));
        // SAFETY: the boxed address outlives the connect (the caller's promise).
        unsafe { ring.push(&sqe)? };
        self.connect_pending = true;
        Ok(())
    }

    /// Queues what the session needs next: a send of its output, the write
    /// side's shutdown once everything is written, and a receive (always
    /// one, to see answers and the server's close).
    ///
    /// # Errors
    /// The ring refused the operations, or the shutdown failed.
    ///
    /// # Safety
    /// As [`post_connect`](Self::post_connect).
    pub unsafe fn post(&mut self, key: usize, ring: &mut Ring) -> Result<(), ClientError> {
        if self.dead || !self.connected {
            return Ok(());
        }
        let op_err = |e| SocketError::new(SockOp::Send, self.x.peer, self.mode, e);
        if !self.send_pending && self.x.session.wants_write() {
            self.send_buf.clear();
            self.send_buf.extend_from_slice(self.x.session.output());
            let sqe = opcode::Send::new(
                self.fd(),
                self.send_buf.as_ptr(),
                self.send_buf.len() as u32,
            )
            .build()
            .user_data(user_data(key, Op::Send));
            // SAFETY: send_buf is not touched until this send completes.
            unsafe { ring.push(&sqe) }.map_err(op_err)?;
            self.send_pending = true;
        }
        if !self.send_pending && self.x.session.wants_shutdown() {
            net::shutdown_write(&self.stream).map_err(self.err(SockOp::Send))?;
            self.x.session.shut_down();
        }
        if !self.eof && !self.recv.pending && !self.recv.waiting_buffer {
            let sqe = opcode::Recv::new(self.fd(), std::ptr::null_mut(), POOL_BUFFER as u32)
                .buf_group(pool::GROUP)
                .ioprio(RECVSEND_POLL_FIRST)
                .build()
                .flags(squeue::Flags::BUFFER_SELECT)
                .user_data(user_data(key, Op::Recv));
            // SAFETY: the pool outlives the receive (the ring's owner
            // drops the ring first).
            unsafe { ring.push(&sqe) }.map_err(op_err)?;
            self.recv.pending = true;
        }
        Ok(())
    }

    /// Takes the completion `c` of this connection's operation `op`.
    ///
    /// # Errors
    /// A failed operation (refused connect, reset, ...) or a rule the
    /// server broke: the connection is over.
    pub fn complete(
        &mut self,
        key: usize,
        op: Op,
        c: Completion,
        pool: &mut Pool,
    ) -> Result<Step, ClientError> {
        match op {
            Op::Cancel => {
                self.cancels = self.cancels.saturating_sub(1);
                Ok(Step::Quiet)
            }
            Op::Connect => {
                self.connect_pending = false;
                match c.result {
                    _ if self.dead => Ok(Step::Quiet),
                    0 => {
                        self.connected = true;
                        Ok(Step::Connected)
                    }
                    r => Err(self.err(SockOp::Connect)(errno(r))),
                }
            }
            Op::Send => {
                self.send_pending = false;
                match c.result {
                    _ if self.dead => Ok(Step::Quiet),
                    r if r < 0 && retry(r) => Ok(Step::Quiet),
                    r if r < 0 => Err(self.err(SockOp::Send)(errno(r))),
                    0 => Err(self.err(SockOp::Send)(io::ErrorKind::WriteZero.into())),
                    n => {
                        self.x.session.wrote(n as usize);
                        if !self.x.session.wants_write() {
                            self.send_buf.clear();
                            self.send_buf.shrink_to(SEND_KEEP);
                        }
                        Ok(Step::Moved)
                    }
                }
            }
            Op::Recv => self.received(key, c, pool),
        }
    }

    /// A receive completed: its bytes go to the session, its buffer back to
    /// the pool whatever happens.
    fn received(
        &mut self,
        key: usize,
        c: Completion,
        pool: &mut Pool,
    ) -> Result<Step, ClientError> {
        self.recv.pending = false;
        let picked = cqueue::buffer_select(c.flags);
        if picked.is_some() {
            pool.taken();
        }
        let id = self.recv.loan.take().or(picked);
        let outcome = match c.result {
            _ if self.dead => Ok(Step::Quiet),
            r if r == -libc::ENOBUFS && id.is_none() => {
                self.recv.waiting_buffer = true;
                pool.wait(key);
                Ok(Step::Quiet)
            }
            r if r < 0 && retry(r) => Ok(Step::Quiet),
            r if r < 0 => Err(self.err(SockOp::Recv)(errno(r))),
            0 => self.eof(),
            n => match id {
                Some(id) => {
                    let peer = self.x.peer;
                    let bytes = pool.bytes(id, n as usize);
                    let taken = self.x.session.received_from(bytes);
                    taken.map(|()| Step::Moved).map_err(|e| e.at(peer))
                }
                None => Err(self.err(SockOp::Recv)(io::Error::other(
                    "a pooled receive completed without its buffer",
                ))),
            },
        };
        if let Some(id) = id {
            pool.give_back(id);
        }
        outcome
    }

    fn eof(&mut self) -> Result<Step, ClientError> {
        self.eof = true;
        let peer = self.x.peer;
        self.x.session.received_eof().map_err(|e| e.at(peer))?;
        Ok(Step::Eof)
    }

    /// Ends the connection: cancels what is in flight; it is freed once
    /// [`in_flight`](Self::in_flight) is false.
    pub fn kill(&mut self, key: usize, ring: &mut Ring) {
        if self.dead {
            return;
        }
        self.dead = true;
        self.recv.waiting_buffer = false;
        let ops = [
            (self.connect_pending, Op::Connect),
            (self.recv.pending, Op::Recv),
            (self.send_pending, Op::Send),
        ];
        for (_, op) in ops.into_iter().filter(|(pending, _)| *pending) {
            let sqe = opcode::AsyncCancel::new(user_data(key, op))
                .build()
                .user_data(user_data(key, Op::Cancel));
            // SAFETY: a cancellation names no buffer.
            if unsafe { ring.push(&sqe) }.is_ok() {
                self.cancels += 1;
            }
        }
        // A receive that could not be cancelled still ends: the close of
        // both directions makes it complete with 0.
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

/// A completion's `-errno` as an error.
fn errno(result: i32) -> io::Error {
    io::Error::from_raw_os_error(-result)
}

/// Results that only mean "post it again".
fn retry(result: i32) -> bool {
    matches!(-result, libc::EINTR | libc::EAGAIN | libc::ECANCELED)
}

impl Borrower for Conn {
    fn receive(&mut self) -> &mut Receive {
        &mut self.recv
    }

    fn lent_receive(&self, key: usize) -> Option<(types::Fd, u64, usize)> {
        (!self.dead).then(|| (self.fd(), user_data(key, Op::Recv), POOL_BUFFER))
    }
}
