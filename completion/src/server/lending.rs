//! Receive buffers for connections that found the pool empty: once per
//! turn, after the completions, the buffers that came back are lent to the
//! connections that waited, longest first (`pool.rs` tells why). The
//! receives go out with the turn's other operations, in the next
//! `io_uring_enter`.

use std::sync::atomic::Ordering;

use super::Loop;
use crate::conn::loan::Borrower;
use crate::conn::End;

impl Loop {
    /// Lends the buffers that came back to the waiting connections, first
    /// come first served; then, if the kernel's ring still holds buffers
    /// nobody was lent, lets the next waiters receive from it again.
    pub(super) fn lend(&mut self) {
        let Some(pool) = self.pool.as_mut() else {
            return;
        };
        let mut failed = Vec::new();
        while let Some((key, id)) = pool.next_loan() {
            let posted = match self.conns.get_mut(key) {
                // SAFETY: a connection leaves the slab only once nothing of
                // it is in flight, and the loop drops the ring before the pool.
                Some(c) => unsafe { c.post_loan(key, id, pool, &mut self.ring) },
                None => Ok(false),
            };
            match posted {
                Ok(true) => {}
                // Closed while it waited: the buffer goes to the next one.
                Ok(false) => pool.give_back(id),
                Err(e) => {
                    pool.give_back(id);
                    failed.push((key, e));
                }
            }
        }
        let rearm = pool.rearm();
        self.shared
            .counters
            .pool_waits
            .store(pool.waits(), Ordering::Relaxed);
        for key in rearm {
            if self.conns.get_mut(key).is_some_and(|c| c.stop_waiting()) {
                self.post(key);
            }
        }
        for (key, e) in failed {
            self.end(key, End::Io(e));
        }
    }
}
