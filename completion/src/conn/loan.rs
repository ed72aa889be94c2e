//! A connection's receive as the pool's lending sees it, one piece for the
//! server's connections and the client's: a connection whose pooled
//! receive found the pool empty waits in the pool's queue without a
//! receive in flight, until its ring's owner lends it a buffer ([`lend`],
//! once a turn) or lets it receive from the ring again.

use std::io;
use std::os::fd::AsRawFd;

use io_uring::{opcode, types};
use sockmodes_serving::slab::Slab;

use super::{user_data, Conn, Op};
use crate::pool::Pool;
use crate::ring::Ring;

/// One connection's receive: in flight, or waiting for a pool buffer.
#[derive(Debug, Default)]
pub(crate) struct Receive {
    /// A receive is in flight.
    pub pending: bool,
    /// A pooled receive found the pool empty: queued in the pool's
    /// [`Waiters`](crate::pool::Waiters), no receive posted until a buffer
    /// is lent ([`Receive::post_loan`]) or the ring has one again.
    pub waiting_buffer: bool,
    /// The pool's buffer lent to the receive in flight.
    pub loan: Option<u16>,
}

impl Receive {
    /// Posts a receive of at most `len` bytes into the pool's buffer `id`,
    /// with `user_data`, lent to this connection because it waited for one.
    /// False (nothing posted) if it no longer waits.
    ///
    /// `MSG_DONTWAIT`: its bytes were there when it got ENOBUFS, so the
    /// receive completes at once; should they not be, it ends with EAGAIN
    /// rather than hold the buffer while it waits.
    ///
    /// # Safety
    /// `fd` stays open and the pool outlives the receive (its owner drops
    /// the ring first).
    pub unsafe fn post_loan(
        &mut self,
        fd: types::Fd,
        (user_data, id, len): (u64, u16, usize),
        pool: &mut Pool,
        ring: &mut Ring,
    ) -> io::Result<bool> {
        if !self.waiting_buffer {
            return Ok(false);
        }
        self.waiting_buffer = false;
        let sqe = opcode::Recv::new(fd, pool.buffer_ptr(id), len as u32)
            .flags(libc::MSG_DONTWAIT)
            .build()
            .user_data(user_data);
        // SAFETY: buffer `id` is this receive's alone until it completes
        // (`loan`), and the caller's promise covers the rest.
        unsafe { ring.push(&sqe)? };
        self.pending = true;
        self.loan = Some(id);
        Ok(true)
    }

    /// The pool had a buffer again before one was lent: stop waiting, so
    /// that the next post is a pooled receive. False if it was not waiting.
    pub fn stop_waiting(&mut self) -> bool {
        std::mem::replace(&mut self.waiting_buffer, false)
    }
}

/// A connection the pool can lend a buffer to: the server's and the
/// client's connections each say where their receive is; lending is written
/// once, here.
pub(crate) trait Borrower {
    /// This connection's receive.
    fn receive(&mut self) -> &mut Receive;

    /// What a lent receive needs: the socket, the operation's `user_data`
    /// for connection `key`, and the most it may take. `None` once the
    /// connection is over (nothing is lent to it then).
    fn lent_receive(&self, key: usize) -> Option<(types::Fd, u64, usize)>;
}

/// Lends the pool's buffers that came back to the connections of `conns`
/// that found it empty, first come first served (`pool.rs` tells why);
/// then, if the kernel's ring still holds buffers nobody was lent, lets
/// the next waiters receive from it again. Returns those waiters (their
/// next post is a pooled receive) and the connections whose lent receive
/// the ring refused. The receives go out with the owner's next
/// `io_uring_enter`.
///
/// # Safety
/// A connection leaves `conns` only once nothing of it is in flight, and
/// the ring is dropped before the pool.
pub(crate) unsafe fn lend<B: Borrower>(
    pool: &mut Pool,
    ring: &mut Ring,
    conns: &mut Slab<B>,
) -> (Vec<usize>, Vec<(usize, io::Error)>) {
    let mut failed = Vec::new();
    while let Some((key, id)) = pool.next_loan() {
        let lent = conns
            .get_mut(key)
            .and_then(|c| c.lent_receive(key).map(|lent| (c, lent)));
        let posted = match lent {
            // SAFETY: the caller's promise.
            Some((c, (fd, data, len))) => unsafe {
                c.receive().post_loan(fd, (data, id, len), pool, ring)
            },
            None => Ok(false),
        };
        match posted {
            Ok(true) => {}
            // Closed while it waited (its key perhaps reused by another
            // connection), or it no longer waits: the buffer goes to the
            // next one.
            Ok(false) => pool.give_back(id),
            Err(e) => {
                pool.give_back(id);
                failed.push((key, e));
            }
        }
    }
    let mut rearmed = Vec::new();
    for key in pool.rearm() {
        // Stopping the wait changes the connection's state: not a filter.
        if conns
            .get_mut(key)
            .is_some_and(|c| c.receive().stop_waiting())
        {
            rearmed.push(key);
        }
    }
    (rearmed, failed)
}

impl Borrower for Conn {
    fn receive(&mut self) -> &mut Receive {
        &mut self.recv
    }

    fn lent_receive(&self, key: usize) -> Option<(types::Fd, u64, usize)> {
        let fd = types::Fd(self.stream.as_raw_fd());
        (!self.dying).then(|| (fd, user_data(key, Op::Recv), self.pooled_len()))
    }
}
