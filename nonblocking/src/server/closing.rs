//! How the event loop's connections end, and the shutdown story.
//!
//! **Lingering close.** Closing a socket that still has unread input makes
//! the kernel send a reset (RST) instead of an orderly FIN, and a reset
//! also throws away whatever the peer had not yet read of our answers. So
//! wherever the server ends a connection that may still be sending (idle
//! timeout, protocol error, shutdown), it does what nginx calls a lingering
//! close: it flushes every answer already owed, shuts its write side (the
//! peer reads the answers, then end of stream), then reads and discards
//! until the peer closes too, or [`LINGER_TIME`] in all or [`LINGER_GAP`]
//! of silence passes. A lingering connection keeps its slot under
//! `--max-conns` and holds no more memory than before (input is read into
//! the loop's scratch buffer and dropped). Connections over `--max-conns`
//! are still reset at once: lingering would let a flood hold descriptors
//! for seconds, the very thing the limit bounds.
//!
//! **Shutdown.** When the handle's `shutdown` (`RunningServer`) is
//! called the loop stops accepting at once; connections at rest (between
//! frames, nothing owed) begin their lingering close at once, and busy ones
//! as soon as they come to rest; at the deadline every connection left
//! begins it; one [`LINGER_TIME`] later the loop closes what remains and
//! ends. A client therefore sees its answers, then end of stream: never a
//! reset. Only a frame it sent after the server's FIN goes unanswered. A
//! `message` connection is the exception ([`End::close`]): it is owed no
//! answer, and its end of stream says the message was read, so one not
//! read whole is reset; nor is it ever at rest, so a stop waits for it.

use std::time::Instant;

use mio::Token;

use super::EventLoop;
use crate::conn::End;

use sockmodes_os::net;
use sockmodes_serving::ending::{next_sweep, sweep_all, Close, LINGER_TICK};

impl EventLoop {
    /// Ends a connection as [`End::close`] says: a lingering close where
    /// the peer may still be sending, a reset for a message not read
    /// whole, at once otherwise.
    pub(super) fn end(&mut self, key: usize, end: End) {
        let Some(conn) = self.conns.get_mut(key) else {
            return;
        };
        let how = end.close(self.shared.config.service);
        if how != Close::Linger || conn.closing.is_some() {
            if how == Close::Reset {
                self.shared.stats.count_syscalls(1);
                // Best effort: if setting SO_LINGER fails the close is a plain FIN.
                let _ = net::reset_on_close(&conn.stream);
            }
            self.close(key, &end);
            return;
        }
        end.note(conn.peer, &self.shared.stats, Instant::now());
        let step = conn.begin_close(Token(key), self.poll.registry(), &mut self.scratch);
        self.shared
            .stats
            .count_syscalls(std::mem::take(&mut conn.syscalls));
        // Counted from here on: `close_quietly` uncounts every closing one.
        self.lingering += 1;
        match step {
            Ok(true) => self.close_quietly(key),
            Ok(false) => {
                let tick = Instant::now() + LINGER_TICK;
                self.next_sweep = Some(self.next_sweep.map_or(tick, |t| t.min(tick)));
            }
            Err(e) => self.close(key, &End::Io(e)),
        }
    }

    /// Closes at once, logging why.
    pub(super) fn close(&mut self, key: usize, end: &End) {
        if let Some(conn) = self.conns.get(key) {
            if conn.closing.is_none() {
                end.note(conn.peer, &self.shared.stats, Instant::now());
            }
        }
        self.close_quietly(key);
    }

    /// Closes at once (the reason was logged when its lingering began).
    fn close_quietly(&mut self, key: usize) {
        let Some(mut conn) = self.conns.remove(key) else {
            return;
        };
        if conn.closing.is_some() {
            self.lingering -= 1;
        }
        self.shared.stats.count_syscalls(1);
        let _ = self.poll.registry().deregister(&mut conn.stream);
        self.shared.stats.release();
    }

    /// The server began to stop: connections at rest close now.
    pub(super) fn begin_stop(&mut self) {
        self.stop_accepting();
        for key in self.conns.keys() {
            let at_rest = self
                .conns
                .get(key)
                .is_some_and(|c| c.closing.is_none() && c.session.at_rest());
            if at_rest {
                self.end(key, End::Stopping);
            }
        }
    }

    /// The deadline passed: every connection still busy closes now.
    pub(super) fn cut_at_deadline(&mut self) {
        let busy: Vec<usize> = self
            .conns
            .keys()
            .into_iter()
            .filter(|&k| self.conns.get(k).is_some_and(|c| c.closing.is_none()))
            .collect();
        self.shared.stop.count_cut(busy.len());
        for key in busy {
            self.end(key, End::ShutdownDeadline);
        }
    }

    /// Begins the lingering close of connections the liveness rules cut
    /// (idle, too slow), and closes lingering ones past a bound.
    pub(super) fn sweep(&mut self) {
        let now = Instant::now();
        let every = self.shared.config.limits().check_every();
        let conns = self.conns.iter().map(|(key, c)| {
            let working = c.session.work_pending();
            (key, c.closing.as_ref(), c.liveness.verdict(now), working)
        });
        let any_open = !self.conns.is_empty();
        let Some(found) = sweep_all(&mut self.next_sweep, now, any_open, conns) else {
            return;
        };
        for key in found.expired {
            self.close_quietly(key);
        }
        for (key, cut) in found.cut {
            self.end(key, End::Cut(cut));
        }
        self.next_sweep = Some(next_sweep(now, every, self.lingering > 0));
    }
}
