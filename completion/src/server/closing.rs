//! How the completion server's connections end: the lingering close
//! (`serving::ending`, as in the event loop), the idle sweep, the shutdown,
//! and the drain before the ring goes: every operation still in flight is
//! cancelled and its completion awaited, so that no buffer is freed under
//! the kernel.

use std::time::{Duration, Instant};

use sockmodes_os::net;
use sockmodes_serving::ending::{next_sweep, sweep_all, Close, LINGER_TICK};
use tracing::warn;

use super::Loop;
use crate::conn::End;

impl Loop {
    /// Ends a connection as [`End::close`] says: a lingering close where
    /// the peer may still be sending, a reset for a message not read
    /// whole, at once otherwise.
    pub(super) fn end(&mut self, key: usize, end: End) {
        let Some(c) = self.conns.get_mut(key).filter(|c| !c.dying) else {
            return;
        };
        let already_closing = c.closing.is_some();
        if !already_closing {
            end.note(c.peer, &self.shared.stats, Instant::now());
        }
        let how = end.close(self.shared.config.service);
        if how != Close::Linger || already_closing {
            if how == Close::Reset {
                self.shared.stats.count_syscalls(1);
                // Best effort: if setting SO_LINGER fails the close is a plain FIN.
                let _ = net::reset_on_close(&c.stream);
            }
            self.kill(key);
            return;
        }
        c.begin_close();
        self.lingering += 1;
        let tick = Instant::now() + LINGER_TICK;
        self.next_sweep = Some(self.next_sweep.map_or(tick, |t| t.min(tick)));
        self.post(key);
    }

    /// Closes now: cancels what is in flight, frees when nothing is.
    pub(super) fn kill(&mut self, key: usize) {
        let Some(c) = self.conns.get_mut(key) else {
            return;
        };
        if c.kill(key, &mut self.ring).is_err() {
            warn!("could not cancel a connection's operations");
        }
        if !c.in_flight() {
            self.free(key);
        }
    }

    pub(super) fn free(&mut self, key: usize) {
        if let Some(c) = self.conns.remove(key) {
            if c.closing.is_some() {
                self.lingering -= 1;
            }
            self.shared.stats.release();
        }
    }

    pub(super) fn begin_stop(&mut self) {
        self.stop_accepting();
        for key in self.conns.keys() {
            self.post(key);
        }
    }

    pub(super) fn cut_at_deadline(&mut self) {
        let busy: Vec<usize> = self
            .conns
            .keys()
            .into_iter()
            .filter(|&k| {
                self.conns
                    .get(k)
                    .is_some_and(|c| c.closing.is_none() && !c.dying)
            })
            .collect();
        self.shared.stop.count_cut(busy.len());
        for key in busy {
            self.end(key, End::ShutdownDeadline);
        }
    }

    /// Connections the liveness rules cut (idle, too slow) begin their
    /// lingering close; lingering ones past a bound close. A dying connection (cancelled, waiting for its
    /// operations) is past judging.
    pub(super) fn sweep(&mut self) {
        let now = Instant::now();
        let every = self.shared.config.limits().check_every();
        let conns = self.conns.iter().filter(|(_, c)| !c.dying).map(|(key, c)| {
            let working = c.session.work_pending();
            (key, c.closing.as_ref(), c.liveness.verdict(now), working)
        });
        let any_open = !self.conns.is_empty();
        let Some(found) = sweep_all(&mut self.next_sweep, now, any_open, conns) else {
            return;
        };
        for key in found.expired {
            self.kill(key);
        }
        for (key, cut) in found.cut {
            self.end(key, End::Cut(cut));
        }
        self.next_sweep = Some(next_sweep(now, every, self.lingering > 0));
    }

    /// Before the ring goes: cancels every operation still in flight and
    /// waits (at most a second) for their completions, so that no buffer
    /// is freed under the kernel.
    pub(super) fn drain(&mut self) {
        for key in self.conns.keys() {
            self.kill(key);
        }
        self.stop_accepting();
        let until = Instant::now() + Duration::from_secs(1);
        let mut completions = Vec::new();
        while (!self.conns.is_empty() || self.accept_pending) && Instant::now() < until {
            if self
                .ring
                .submit_and_wait(Some(Duration::from_millis(100)))
                .is_err()
            {
                break;
            }
            self.ring.completions(&mut completions);
            for c in completions.drain(..) {
                self.complete(c);
            }
        }
        if !self.conns.is_empty() {
            warn!(
                left = self.conns.len(),
                "connections still had operations in flight at exit"
            );
            // Leak them rather than free buffers the kernel may still write.
            std::mem::forget(std::mem::take(&mut self.conns));
            if let Some(pool) = self.pool.take() {
                std::mem::forget(pool);
            }
        } else if self.pool.is_some() {
            self.ring.unregister_pool();
        }
    }
}
