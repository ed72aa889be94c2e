//! A connection whose pooled receive found the pool empty: it waits in the
//! pool's queue without a receive in flight, until the server lends it a
//! buffer (`server/lending.rs`) or lets it receive from the ring again.

use std::io;
use std::os::fd::AsRawFd;

use io_uring::{opcode, types};

use super::{user_data, Conn, Op};
use crate::pool::Pool;
use crate::ring::Ring;

impl Conn {
    /// Posts a receive into the pool's buffer `id`, lent to this connection
    /// because it waited for one. False (nothing posted) if it no longer
    /// waits: closed meanwhile, its key reused by another connection.
    ///
    /// `MSG_DONTWAIT`: its bytes were there when it got ENOBUFS, so the
    /// receive completes at once; should they not be, it ends with EAGAIN
    /// rather than hold the buffer while it waits.
    ///
    /// # Safety
    /// As [`Conn::post`]'s, and the pool outlives the receive.
    pub fn post_loan(
        &mut self,
        key: usize,
        id: u16,
        pool: &mut Pool,
        ring: &mut Ring,
    ) -> io::Result<bool> {
        if !self.waiting_buffer || self.dying {
            return Ok(false);
        }
        self.waiting_buffer = false;
        let fd = types::Fd(self.stream.as_raw_fd());
        let sqe = opcode::Recv::new(fd, pool.buffer_ptr(id), self.pooled_len() as u32)
            .flags(libc::MSG_DONTWAIT)
            .build()
            .user_data(user_data(key, Op::Recv));
        // SAFETY: buffer `id` is this receive's alone until it completes
        // (`loan`), and the pool and the connection outlive it.
        unsafe { ring.push(&sqe)? };
        self.recv_pending = true;
        self.loan = Some(id);
        Ok(true)
    }

    /// The pool had a buffer again before one was lent: stop waiting, so
    /// that [`Conn::post`] posts a pooled receive. False if it was not
    /// waiting.
    pub fn stop_waiting(&mut self) -> bool {
        std::mem::replace(&mut self.waiting_buffer, false)
    }
}
