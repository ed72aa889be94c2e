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

use std::io;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::time::Instant;

use io_uring::{cqueue, opcode, squeue, types};
pub use sockmodes_common::ending::{Closing, End};
use sockmodes_common::session::STREAM_CHUNK;
use sockmodes_common::{ServerConfig, ServerSession};

use crate::pool::{self, Pool};
use crate::ring::Ring;
use crate::{POOL_BUFFER, RECV_IDLE};

mod loan;

/// `IORING_RECVSEND_POLL_FIRST` (io_uring.h; the `io-uring` crate does not
/// name it), in a receive's `ioprio`: wait for bytes before trying the
/// receive. A pooled receive then takes a buffer only when bytes are there,
/// so ENOBUFS always means "bytes wait, the pool is empty", never "nothing
/// to read yet".
const RECVSEND_POLL_FIRST: u16 = 1;

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
    /// End it (`End::lingers` says how).
    End(End),
    /// Its lingering close is over: close now.
    Close,
}

/// A connection owned by the ring's thread.
pub struct Conn {
    pub stream: TcpStream,
    pub peer: SocketAddr,
    pub session: ServerSession,
    /// Last time a frame completed (idle timeout).
    pub last_progress: Instant,
    recv_buf: Vec<u8>,
    send_buf: Vec<u8>,
    send_off: usize,
    recv_pending: bool,
    send_pending: bool,
    /// A pooled receive found the pool empty: queued in the pool's
    /// [`Waiters`](crate::pool::Waiters), no receive posted until a buffer
    /// is lent ([`Conn::post_loan`]) or the ring has one again.
    waiting_buffer: bool,
    /// The pool's buffer lent to the receive in flight.
    loan: Option<u16>,
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
            last_progress: Instant::now(),
            recv_buf: Vec::new(),
            send_buf: Vec::new(),
            send_off: 0,
            recv_pending: false,
            send_pending: false,
            waiting_buffer: false,
            loan: None,
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
        self.recv_pending || self.send_pending || self.cancels > 0
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
        }
        let output_pending = self.send_pending || !self.session.output().is_empty();
        let wants = match &mut self.closing {
            None => {
                if self.session.is_finished() && !output_pending {
                    return Ok(Next::End(End::Finished));
                }
                if stopping && self.session.at_rest() && !output_pending {
                    return Ok(Next::End(End::Stopping));
                }
                self.session.wants_read()
            }
            Some(c) => {
                if !c.shut && !output_pending {
                    c.shut = true;
                    self.syscalls += 1;
                    match self.stream.shutdown(Shutdown::Write) {
                        Ok(()) => {}
                        Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                            return Ok(Next::Close)
                        }
                        Err(e) => return Err(e),
                    }
                }
                if self.eof {
                    return Ok(if self.in_flight() {
                        Next::Wait
                    } else {
                        Next::Close
                    });
                }
                c.shut
            }
        };
        if wants && !self.recv_pending && !self.waiting_buffer {
            let closing = self.closing.is_some();
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
                let size = if closing {
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
            self.recv_pending = true;
        }
        Ok(Next::Wait)
    }

    /// Bytes a receive into a pooled buffer asks for.
    pub(super) fn pooled_len(&self) -> usize {
        if self.closing.is_some() {
            POOL_BUFFER
        } else {
            self.session.read_limit().min(POOL_BUFFER)
        }
    }

    /// A receive completed with `result` (bytes, 0 at end of stream, or
    /// `-errno`) and `flags` (which pooled buffer, if any). The buffer goes
    /// back to `pool` whatever happens; a pooled receive that found the
    /// pool empty queues connection `key` for a buffer. Messages completed
    /// on the way go to `on_message`.
    pub fn received(
        &mut self,
        key: usize,
        result: i32,
        flags: u32,
        pool: Option<&mut Pool>,
        on_message: &mut dyn FnMut(SocketAddr, Vec<u8>),
    ) -> Result<(), End> {
        self.recv_pending = false;
        let len = result.max(0) as usize;
        let picked = cqueue::buffer_select(flags);
        match (pool, self.loan.take().or(picked)) {
            (Some(pool), Some(id)) => {
                if picked.is_some() {
                    pool.taken();
                }
                let outcome = self.take(result, pool.bytes(id, len), on_message);
                pool.give_back(id);
                outcome
            }
            (Some(pool), None) if result == -libc::ENOBUFS => {
                if !self.dying {
                    self.waiting_buffer = true;
                    pool.wait(key);
                }
                Ok(())
            }
            (Some(_), None) if result > 0 => Err(End::Io(io::Error::other(
                "a pooled receive completed without its buffer",
            ))),
            _ => {
                let buf = std::mem::take(&mut self.recv_buf);
                let outcome = self.take(result, &buf[..len.min(buf.len())], on_message);
                self.recv_buf = buf;
                outcome
            }
        }
    }

    fn take(
        &mut self,
        result: i32,
        bytes: &[u8],
        on_message: &mut dyn FnMut(SocketAddr, Vec<u8>),
    ) -> Result<(), End> {
        if self.dying {
            return Ok(());
        }
        if result < 0 {
            return match -result {
                libc::EINTR | libc::EAGAIN | libc::ECANCELED => Ok(()),
                errno => Err(End::Io(io::Error::from_raw_os_error(errno))),
            };
        }
        if let Some(c) = &mut self.closing {
            // Lingering: read and discard until the peer's end of stream.
            if bytes.is_empty() {
                self.eof = true;
            } else {
                c.last_read = Instant::now();
            }
            return Ok(());
        }
        if bytes.is_empty() {
            self.session.received_eof()?;
            if let Some(m) = self.session.take_message() {
                on_message(self.peer, m);
            }
            return Ok(());
        }
        let units = self.session.received_from(bytes)?;
        if units > 0 {
            self.last_progress = Instant::now();
        }
        Ok(())
    }

    /// A send completed with `result` (bytes taken, or `-errno`).
    pub fn sent(&mut self, result: i32) -> Result<(), End> {
        self.send_pending = false;
        if self.dying {
            return Ok(());
        }
        match result {
            r if r < 0 => match -r {
                libc::EINTR | libc::EAGAIN => Ok(()),
                errno => Err(End::Io(io::Error::from_raw_os_error(errno))),
            },
            0 => Err(End::Io(io::ErrorKind::WriteZero.into())),
            n => {
                self.send_off += n as usize;
                if !self.sending() {
                    self.send_buf.clear();
                    self.send_buf.shrink_to(SEND_KEEP);
                    self.send_off = 0;
                }
                Ok(())
            }
        }
    }

    /// A cancellation's own completion arrived.
    pub fn cancel_done(&mut self) {
        self.cancels = self.cancels.saturating_sub(1);
    }

    /// Begins the lingering close: owed output is still sent, then the write
    /// side is shut, then input is discarded until the peer closes.
    pub fn begin_close(&mut self) {
        self.closing = Some(Closing::now());
    }

    /// Closes now: cancels whatever is in flight. The server frees the
    /// connection once [`in_flight`](Self::in_flight) is false.
    pub fn kill(&mut self, key: usize, ring: &mut Ring) -> io::Result<()> {
        if self.dying {
            return Ok(());
        }
        self.dying = true;
        for (pending, op) in [(self.recv_pending, Op::Recv), (self.send_pending, Op::Send)] {
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
