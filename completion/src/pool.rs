//! Provided buffers: one pool of receive buffers for every connection,
//! which the kernel picks from when bytes arrive.
//!
//! With a plain receive each connection must hand the kernel a buffer of
//! its own in advance, and keep it while the receive waits: 10,000 idle
//! connections hold 10,000 buffers. With a provided-buffer ring the receive
//! names a *group* instead of a buffer; the kernel takes a free buffer from
//! the group only when data arrives and says which one in the completion.
//! The server processes the bytes and gives the buffer back at once. So the
//! memory for receiving is one fixed pool, whatever the number of
//! connections.
//!
//! The ring is a page-aligned array of (address, length, id) entries the
//! kernel reads, and a tail the server advances to publish buffers (the
//! io_uring_register_buf_ring(3) man page). The `io-uring` crate registers
//! it; this file owns its memory and the buffers.
//!
//! **When the pool runs dry, first come, first served.** With more busy
//! connections than buffers, a receive can find the pool empty: it ends at
//! once with ENOBUFS, its bytes still waiting in the socket. Posting it again
//! straight away is unfair: the kernel hands buffers to whichever receive
//! it runs first, and a receive woken by arriving bytes runs as soon as a
//! buffer is back, while a re-posted one only runs at the next submission,
//! to find the pool empty again. Measured at 5,000 connections (64 B echo,
//! 1,024 buffers): two completions in three were ENOBUFS, and some
//! connections got 3 answers while the median got 40 (Jain 0.79). So a
//! connection that got ENOBUFS joins a queue ([`Waiters`]), and while anyone
//! waits, buffers that come back are not published: each is lent to the
//! connection that has waited longest, for one receive into that very
//! buffer. The others, finding the ring empty, queue behind. Measured
//! the same way (three runs each): Jain 0.998-1.000 at 5,000
//! connections and 0.996-0.999 at 10,000, as the event loop's 0.96-1.00;
//! one completion in three is still an ENOBUFS, the price of a pool
//! smaller than the connections it serves.

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicU16, Ordering};

use io_uring::types::BufRingEntry;
use io_uring::IoUring;

use crate::POOL_BUFFER;

/// The buffer group id the receives name.
pub const GROUP: u16 = 0;

/// A registered provided-buffer ring and its buffers.
pub struct Pool {
    ring: *mut BufRingEntry,
    layout: Layout,
    buffers: Vec<u8>,
    /// Buffers in all (a power of two: the ring's size).
    count: u16,
    tail: u16,
    /// Buffers published and not yet seen taken: at most what the kernel's
    /// ring holds (it may have taken some whose completions are unread).
    in_ring: u16,
    waiters: Waiters,
    /// Receives that found the pool empty, in all.
    waits: u64,
}

// SAFETY: the pool is owned by the server's one thread; the raw pointer is
// its own allocation.
unsafe impl Send for Pool {}

impl Pool {
    /// Allocates `count` buffers (a power of two) and their ring, registers
    /// them with `ring`, and publishes every buffer.
    ///
    /// # Errors
    /// The kernel refused the registration (before Linux 5.19).
    pub fn new(ring: &IoUring, count: u16) -> io::Result<Pool> {
        if !count.is_power_of_two() {
            return Err(io::Error::other("the pool's size must be a power of two"));
        }
        let entries = usize::from(count);
        let layout = Layout::from_size_align(entries * std::mem::size_of::<BufRingEntry>(), 4096)
            .map_err(io::Error::other)?;
        // SAFETY: a non-zero size, page-aligned layout.
        let base = unsafe { alloc_zeroed(layout) }.cast::<BufRingEntry>();
        if base.is_null() {
            return Err(io::ErrorKind::OutOfMemory.into());
        }
        let mut pool = Pool {
            ring: base,
            layout,
            buffers: vec![0; entries * POOL_BUFFER],
            count,
            tail: 0,
            in_ring: 0,
            waiters: Waiters::default(),
            waits: 0,
        };
        // SAFETY: the ring memory lives as long as the pool, which the
        // server drops after the ring (its first field).
        unsafe {
            ring.submitter()
                .register_buf_ring_with_flags(base as u64, count, GROUP, 0)?;
        }
        for id in 0..count {
            pool.push(id);
        }
        pool.publish();
        Ok(pool)
    }

    fn push(&mut self, id: u16) {
        let slot = usize::from(self.tail & (self.count - 1));
        let addr = self.buffers.as_ptr() as u64 + u64::from(id) * POOL_BUFFER as u64;
        // SAFETY: slot < count entries of our allocation.
        let entry = unsafe { &mut *self.ring.add(slot) };
        entry.set_addr(addr);
        entry.set_len(POOL_BUFFER as u32);
        entry.set_bid(id);
        self.tail = self.tail.wrapping_add(1);
        self.in_ring += 1;
    }

    fn publish(&self) {
        // SAFETY: the tail field of our ring's first entry, which the kernel
        // reads; a release store makes the entries written before it visible.
        unsafe {
            let tail = BufRingEntry::tail(self.ring).cast::<AtomicU16>();
            (*tail).store(self.tail, Ordering::Release);
        }
    }

    /// The first `len` bytes of buffer `id`, as the kernel filled them.
    pub fn bytes(&self, id: u16, len: usize) -> &[u8] {
        let start = usize::from(id) * POOL_BUFFER;
        &self.buffers[start..start + len.min(POOL_BUFFER)]
    }

    /// Where buffer `id` starts, for a receive lent that buffer.
    pub fn buffer_ptr(&mut self, id: u16) -> *mut u8 {
        self.buffers[usize::from(id) * POOL_BUFFER..].as_mut_ptr()
    }

    /// The kernel took buffer `id` (a completion named it).
    pub fn taken(&mut self) {
        self.in_ring = self.in_ring.saturating_sub(1);
    }

    /// Buffer `id` is free again: kept for a waiting connection if one
    /// waits ([`Pool::next_loan`]), given back to the kernel otherwise.
    pub fn give_back(&mut self, id: u16) {
        if !self.waiters.keep(id) {
            self.push(id);
            self.publish();
        }
    }

    /// Connection `key`'s receive found the pool empty (ENOBUFS): it waits
    /// for a buffer, behind those that waited before it.
    pub fn wait(&mut self, key: usize) {
        self.waits += 1;
        self.waiters.wait(key);
    }

    /// Receives that found the pool empty, in all.
    pub fn waits(&self) -> u64 {
        self.waits
    }

    /// The next loan: the connection that has waited longest and a buffer
    /// kept for it. `None` when either runs out; buffers nobody waits for
    /// any more go back to the kernel then.
    pub fn next_loan(&mut self) -> Option<(usize, u16)> {
        let loan = self.waiters.next_loan();
        if loan.is_none() {
            let spare = self.waiters.unclaimed();
            if !spare.is_empty() {
                for id in spare {
                    self.push(id);
                }
                self.publish();
            }
        }
        loan
    }

    /// Waiting connections that should receive from the kernel's ring again,
    /// taken from the front of the queue: when no buffer is kept for them
    /// but the ring may still hold some (buffers that came back before
    /// anyone waited). At most as many as the ring may hold, so that none
    /// is posted only to find it empty.
    pub fn rearm(&mut self) -> Vec<usize> {
        self.waiters.rearm(usize::from(self.in_ring))
    }
}

/// Connections waiting for a receive buffer, first come first served, and
/// the buffers kept for them. Socket-free: the pool asks it what to do with
/// each buffer that comes back.
#[derive(Debug, Default)]
pub struct Waiters {
    keys: VecDeque<usize>,
    spare: Vec<u16>,
}

impl Waiters {
    /// Connection `key` joins the back of the queue.
    pub fn wait(&mut self, key: usize) {
        self.keys.push_back(key);
    }

    /// Buffer `id` came back: true if it is kept for a waiting connection,
    /// false if nobody waits (it goes back to the kernel).
    pub fn keep(&mut self, id: u16) -> bool {
        if self.keys.is_empty() {
            return false;
        }
        self.spare.push(id);
        true
    }

    /// The longest-waiting connection and a kept buffer, if both exist.
    pub fn next_loan(&mut self) -> Option<(usize, u16)> {
        if self.spare.is_empty() {
            return None;
        }
        let key = self.keys.pop_front()?;
        let id = self.spare.pop()?;
        Some((key, id))
    }

    /// Kept buffers left once nobody waits (empty while someone does).
    pub fn unclaimed(&mut self) -> Vec<u16> {
        if self.keys.is_empty() {
            std::mem::take(&mut self.spare)
        } else {
            Vec::new()
        }
    }

    /// Up to `in_ring` connections from the front, once no buffer is kept
    /// (a kept buffer goes to a waiter first: [`Waiters::next_loan`]).
    pub fn rearm(&mut self, in_ring: usize) -> Vec<usize> {
        if !self.spare.is_empty() {
            return Vec::new();
        }
        let n = in_ring.min(self.keys.len());
        self.keys.drain(..n).collect()
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // SAFETY: our own allocation, with its layout.
        unsafe { dealloc(self.ring.cast(), self.layout) };
    }
}

#[cfg(test)]
mod tests {
    use super::Waiters;

    #[test]
    fn buffers_that_come_back_go_to_the_longest_waiting_first() {
        let mut w = Waiters::default();
        assert!(
            !w.keep(7),
            "nobody waits: the buffer goes back to the kernel"
        );
        for key in [30, 10, 20] {
            w.wait(key);
        }
        assert_eq!(w.next_loan(), None, "no buffer came back yet");
        assert!(w.keep(1));
        assert!(w.keep(2));
        let first: Vec<usize> = std::iter::from_fn(|| w.next_loan())
            .map(|(key, _)| key)
            .collect();
        assert_eq!(first, [30, 10], "in the order they waited");
        w.wait(40);
        assert!(w.keep(3));
        assert_eq!(
            w.next_loan(),
            Some((20, 3)),
            "an earlier waiter before a later one"
        );
        assert!(w.keep(4));
        assert_eq!(w.next_loan(), Some((40, 4)));
        assert!(!w.keep(5), "the queue is empty again");
    }

    #[test]
    fn kept_buffers_nobody_claims_go_back_to_the_kernel() {
        let mut w = Waiters::default();
        w.wait(1);
        assert!(w.keep(8));
        assert!(w.keep(9));
        assert!(w.unclaimed().is_empty(), "kept while someone waits");
        assert_eq!(w.next_loan(), Some((1, 9)));
        assert_eq!(w.next_loan(), None);
        assert_eq!(w.unclaimed(), [8]);
        assert!(w.unclaimed().is_empty(), "given back once");
    }

    #[test]
    fn waiters_receive_from_the_ring_again_only_as_many_as_it_may_hold() {
        let mut w = Waiters::default();
        for key in [5, 6, 7] {
            w.wait(key);
        }
        assert_eq!(w.rearm(2), [5, 6], "the front of the queue, at most two");
        assert_eq!(w.rearm(0), Vec::<usize>::new());
        assert!(w.keep(1));
        assert!(
            w.rearm(4).is_empty(),
            "a kept buffer is lent before anyone goes back to the ring"
        );
        assert_eq!(w.next_loan(), Some((7, 1)));
        assert!(w.rearm(4).is_empty(), "nobody waits");
    }
}
