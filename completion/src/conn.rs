//! One connection of the completion server: common's [`ServerSession`]
//! driven by finished operations instead of by readiness.
//!
//! The rule that shapes this file: **a buffer handed to the kernel belongs
//! to the kernel until its completion arrives.** So a connection owns two
//! buffers of its own besides the session's: `recv_buf`, which the kernel
//! fills while a receive is in flight, and `send_buf`, into which the
//! session's output is moved before a send (the session may append more
//! output meanwhile, which could move its buffer under the kernel's feet).
//! And a connection is freed only when none of its operations is in flight:
//! closing with a receive pending first cancels it and waits for the
//! cancellation's completion.
//!
//! At most one receive and one send are in flight per connection, so the
//! order of bytes is the order of operations. Backpressure is as in the
//! other servers: no receive is posted while the session's output is at its
//! cap (a peer that does not read stops being read).
//!
//! Every byte a completion reports moved is told to the connection's
//! [`Liveness`] (common's `liveness.rs`), and after each post what the peer
//! owes; the ring's sweep asks it for a verdict.
//!
//! **A bounded share per turn.** With at most one receive (one
//! [`STREAM_CHUNK`] or one pool buffer) and one send (the session's output,
//! under its cap) in flight per connection, and the next posted only when
//! the last completed, no connection can take more than that of a turn of
//! the ring, however much it has to move: the kernel completes every
//! connection's operations in turn, as tokio's budget makes a task yield.
//!
//! This file posts operations; `complete.rs` takes their completions, and
//! `loan.rs` posts a receive into a buffer the server lends.

use std::io;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::ops::ControlFlow;
use std::os::fd::AsRawFd;
use std::time::Instant;

use io_uring::{opcode, squeue, types};
use sockmodes_common::session::STREAM_CHUNK;
use sockmodes_common::ServerSession;
pub use sockmodes_serving::ending::{Closing, End};
use sockmodes_serving::liveness::{Liveness, Owed};
use sockmodes_serving::ServerConfig;

use crate::pool;
use crate::ring::Ring;
use crate::{POOL_BUFFER, RECV_IDLE};
use loan::Receive;

mod complete;
pub(crate) mod loan;

/// `IORING_RECVSEND_POLL_FIRST` (io_uring.h; the `io-uring` crate does not
/// name it), in a receive's `ioprio`: wait for bytes before trying the
/// receive. A pooled receive then takes a buffer only when bytes are there,
/// so ENOBUFS always means "bytes wait, the pool is empty", never "nothing
/// to read yet".
pub(crate) const RECVSEND_POLL_FIRST: u16 = 1;

/// Send buffer capacity kept between replies (as the session's output).
///
/// Why 4 KiB: small replies reuse it, and 10,000 connections that once sent
/// a large reply do not each keep the largest.
const SEND_KEEP: usize = 4096;

/// What an operation was, in the low bits of its `user_data` (the
/// connection's key is in the high bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Recv = 0,
    Send = 1,
    Cancel = 2,
}

/// The `user_data` of connection `key`'s operation `op`.
pub fn user_data(key: usize, op: Op) -> u64 {
    ((key as u64) << 2) | op as u64
}

/// The connection key and operation of a connection's `user_data`.
pub fn decode(user_data: u64) -> (usize, Op) {
    let op = match user_data & 3 {
        0 => Op::Recv,
        1 => Op::Send,
        _ => Op::Cancel,
    };
    ((user_data >> 2) as usize, op)
}

/// What the server should do with a connection after an event.
#[derive(Debug)]
pub enum Next {
    /// Operations are in flight; wait for their completions.
    Wait,
    /// End it (`End::close` says how).
    End(End),
    /// Its lingering close is over: close now.
    Close,
}

/// A connection owned by the ring's thread.
pub struct Conn {
    pub stream: TcpStream,
    pub peer: SocketAddr,
    pub session: ServerSession,
    /// When bytes last moved, and the rate of what is owed (`liveness.rs`).
    pub liveness: Liveness,
    recv_buf: Vec<u8>,
    send_buf: Vec<u8>,
    send_off: usize,
    send_pending: bool,
    /// The receive in flight, or waiting for a pool buffer (`loan.rs`).
    recv: Receive,
    /// Cancellations in flight (their completions are counted too).
    cancels: u8,
    /// The peer's end of stream was seen while lingering.
    eof: bool,
    pub closing: Option<Closing>,
    /// Closing now: cancel what is in flight, free when nothing is.
    pub dying: bool,
    /// System calls made outside the ring since the server last took the
    /// count (the write side's shutdown).
    pub syscalls: u64,
    /// Unique per server: tells this connection's work from an earlier
    /// one's under the same key (`server/work.rs`).
    pub serial: u64,
}

impl Conn {
    /// Wraps an accepted socket.
    pub fn new(stream: TcpStream, peer: SocketAddr, config: &ServerConfig) -> Conn {
        Conn {
            stream,
            peer,
            session: ServerSession::for_config(config),
            liveness: Liveness::new(config.limits(), Instant::now()),
            recv_buf: Vec::new(),
            send_buf: Vec::new(),
            send_off: 0,
            send_pending: false,
            recv: Receive::default(),
            cancels: 0,
            eof: false,
            closing: None,
            dying: false,
            syscalls: 0,
            serial: 0,
        }
    }

    /// True while some operation of this connection is in flight.
    pub fn in_flight(&self) -> bool {
        self.recv.pending || self.send_pending || self.cancels > 0
    }

    /// Bytes handed to the kernel and not yet sent.
    fn sending(&self) -> bool {
        self.send_off < self.send_buf.len()
    }

    /// Posts what the connection needs next: a send of pending output, a
    /// receive while the session (or the lingering close) wants bytes. Says
    /// whether the connection is done.
    ///
    /// # Safety
    /// (Of the operations posted.) `self` must stay where it is, in the
    /// server's slab, until `in_flight()` is false: the kernel holds
    /// pointers into its buffers.
    ///
    /// `pooled`: receives take their buffer from the server's pool (the
    /// kernel picks one when bytes arrive) instead of this connection's.
    pub fn post(
        &mut self,
        key: usize,
        ring: &mut Ring,
        stopping: bool,
        pooled: bool,
    ) -> io::Result<Next> {
        if self.dying {
            return Ok(Next::Wait);
        }
        if !self.send_pending {
            self.post_send(key, ring)?;
        }
        let wants = match self.wants_bytes(stopping)? {
            ControlFlow::Continue(wants) => wants,
            ControlFlow::Break(next) => return Ok(next),
        };
        if wants && !self.recv.pending && !self.recv.waiting_buffer {
            self.post_recv(key, ring, pooled)?;
        }
        let mut owed = Owed::of(&self.session, self.send_pending);
        // A receive waiting for a pool buffer waits for the server, not
        // for the peer.
        owed.receiving &= !self.recv.waiting_buffer;
        self.liveness.owed(Instant::now(), owed);
        Ok(Next::Wait)
    }

    /// Posts a send of what the session has to say, moved into `send_buf`
    /// first (or of the rest of the last one, after a short send).
    fn post_send(&mut self, key: usize, ring: &mut Ring) -> io::Result<()> {
        if !self.sending() && !self.session.output().is_empty() {
            self.send_buf.clear();
            self.send_buf.extend_from_slice(self.session.output());
            let n = self.send_buf.len();
            self.session.wrote(n);
            self.send_off = 0;
        }
        if self.sending() {
            let rest = &self.send_buf[self.send_off..];
            let sqe = opcode::Send::new(
                types::Fd(self.stream.as_raw_fd()),
                rest.as_ptr(),
                rest.len() as u32,
            )
            .build()
            .user_data(user_data(key, Op::Send));
            // SAFETY: send_buf is not touched until this send completes
            // (send_pending), and the connection outlives it (`post`'s
            // contract).
            unsafe { ring.push(&sqe)? };
            self.send_pending = true;
        }
        Ok(())
    }

    /// Whether a receive is wanted (true while the session, or the
    /// lingering close once the write side is shut, wants bytes), or
    /// `Break` with what to do when the connection is done with. While
    /// lingering, shuts the write side once every answer has left.
    fn wants_bytes(&mut self, stopping: bool) -> io::Result<ControlFlow<Next, bool>> {
        let output_pending = self.send_pending || !self.session.output().is_empty();
        let Some(c) = &mut self.closing else {
            if self.session.is_finished() && !output_pending {
                return Ok(ControlFlow::Break(Next::End(End::Finished)));
            }
            if stopping && self.session.at_rest() && !output_pending {
                return Ok(ControlFlow::Break(Next::End(End::Stopping)));
            }
            return Ok(ControlFlow::Continue(self.session.wants_read()));
        };
        if !c.shut && !output_pending {
            c.shut = true;
            self.syscalls += 1;
            match self.stream.shutdown(Shutdown::Write) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                    return Ok(ControlFlow::Break(Next::Close))
                }
                Err(e) => return Err(e),
            }
        }
        if self.eof {
            let next = if self.in_flight() {
                Next::Wait
            } else {
                Next::Close
            };
            return Ok(ControlFlow::Break(next));
        }
        Ok(ControlFlow::Continue(c.shut))
    }

    /// Posts a receive: into the pool (the kernel picks a buffer once bytes
    /// are there) or into `recv_buf`, sized for what the session takes.
    fn post_recv(&mut self, key: usize, ring: &mut Ring, pooled: bool) -> io::Result<()> {
        let fd = types::Fd(self.stream.as_raw_fd());
        let sqe = if pooled {
            // No buffer named: the kernel takes one from the pool's
            // group once bytes are there.
            opcode::Recv::new(fd, std::ptr::null_mut(), self.pooled_len() as u32)
                .buf_group(pool::GROUP)
                .ioprio(RECVSEND_POLL_FIRST)
                .build()
                .flags(squeue::Flags::BUFFER_SELECT)
        } else {
            let size = if self.closing.is_some() {
                RECV_IDLE
            } else if self.session.reads_direct() {
                self.session.read_limit().min(STREAM_CHUNK)
            } else {
                self.session.read_limit().min(RECV_IDLE)
            };
            if self.recv_buf.len() != size {
                self.recv_buf.resize(size, 0);
                if size <= RECV_IDLE {
                    self.recv_buf.shrink_to(RECV_IDLE);
                }
            }
            opcode::Recv::new(fd, self.recv_buf.as_mut_ptr(), size as u32).build()
        };
        let sqe = sqe.user_data(user_data(key, Op::Recv));
        // SAFETY: recv_buf (or the pool's buffer) is not touched until
        // this receive completes (recv_pending), and the connection and
        // the pool outlive it.
        unsafe { ring.push(&sqe)? };
        self.recv.pending = true;
        Ok(())
    }

    /// Bytes a receive into a pooled buffer asks for.
    pub(super) fn pooled_len(&self) -> usize {
        if self.closing.is_some() {
            POOL_BUFFER
        } else {
            self.session.read_limit().min(POOL_BUFFER)
        }
    }

    /// Begins the lingering close: owed output is still sent, then the write
    /// side is shut, then input is discarded until the peer closes.
    pub fn begin_close(&mut self) {
        self.closing = Some(Closing::begun(Instant::now()));
    }

    /// Closes now: cancels whatever is in flight. The server frees the
    /// connection once [`in_flight`](Self::in_flight) is false.
    pub fn kill(&mut self, key: usize, ring: &mut Ring) -> io::Result<()> {
        if self.dying {
            return Ok(());
        }
        self.dying = true;
        for (pending, op) in [(self.recv.pending, Op::Recv), (self.send_pending, Op::Send)] {
            if pending {
                let sqe = opcode::AsyncCancel::new(user_data(key, op))
                    .build()
                    .user_data(user_data(key, Op::Cancel));
                // SAFETY: a cancellation names no buffer.
                unsafe { ring.push(&sqe)? };
                self.cancels += 1;
            }
        }
        Ok(())
    }
}
