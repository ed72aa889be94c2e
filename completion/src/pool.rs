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

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::io;
use std::sync::atomic::{AtomicU16, Ordering};

use io_uring::types::BufRingEntry;
use io_uring::IoUring;

use crate::{POOL_BUFFER, POOL_BUFFERS};

/// The buffer group id the receives name.
pub const GROUP: u16 = 0;

/// A registered provided-buffer ring and its buffers.
pub struct Pool {
    ring: *mut BufRingEntry,
    layout: Layout,
    buffers: Vec<u8>,
    tail: u16,
}

// SAFETY: the pool is owned by the server's one thread; the raw pointer is
// its own allocation.
unsafe impl Send for Pool {}

impl Pool {
    /// Allocates the ring and the buffers, registers them with `ring`, and
    /// publishes every buffer.
    ///
    /// # Errors
    /// The kernel refused the registration (before Linux 5.19).
    pub fn new(ring: &IoUring) -> io::Result<Pool> {
        let entries = usize::from(POOL_BUFFERS);
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
            tail: 0,
        };
        // SAFETY: the ring memory lives as long as the pool, which the
        // server drops after the ring (its first field).
        unsafe {
            ring.submitter()
                .register_buf_ring_with_flags(base as u64, POOL_BUFFERS, GROUP, 0)?;
        }
        for id in 0..POOL_BUFFERS {
            pool.push(id);
        }
        pool.publish();
        Ok(pool)
    }

    fn push(&mut self, id: u16) {
        let slot = usize::from(self.tail & (POOL_BUFFERS - 1));
        let addr = self.buffers.as_ptr() as u64 + u64::from(id) * POOL_BUFFER as u64;
        // SAFETY: slot < POOL_BUFFERS entries of our allocation.
        let entry = unsafe { &mut *self.ring.add(slot) };
        entry.set_addr(addr);
        entry.set_len(POOL_BUFFER as u32);
        entry.set_bid(id);
        self.tail = self.tail.wrapping_add(1);
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

    /// Gives buffer `id` back to the kernel.
    pub fn give_back(&mut self, id: u16) {
        self.push(id);
        self.publish();
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // SAFETY: our own allocation, with its layout.
        unsafe { dealloc(self.ring.cast(), self.layout) };
    }
}
