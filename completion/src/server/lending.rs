//! Receive buffers for connections that found the pool empty: once per
//! turn, after the completions, the buffers that came back are lent to the
//! connections that waited, longest first (`pool.rs` tells why). The
//! receives go out with the turn's other operations, in the next
//! `io_uring_enter`.

use std::sync::atomic::Ordering;

use super::Loop;
use crate::conn::{loan, End};

impl Loop {
    /// Lends the buffers that came back to the waiting connections
    /// ([`loan::lend`]), and posts the receives of those that may take
    /// one from the kernel's ring again.
    pub(super) fn lend(&mut self) {
        let Some(pool) = self.pool.as_mut() else {
            return;
        };
        // SAFETY: a connection leaves the slab only once nothing of it is
        // in flight, and the loop drops the ring before the pool.
        let (rearmed, failed) = unsafe { loan::lend(pool, &mut self.ring, &mut self.conns) };
        self.shared
            .counters
            .pool_waits
            .store(pool.waits(), Ordering::Relaxed);
        for key in rearmed {
            self.post(key);
        }
        for (key, e) in failed {
            self.end(key, End::Io(e));
        }
    }
}
