//! Echo on one loop: the open loop's bounded sending ([`Driver::pump`]) and
//! what an answer does (count it, release the next send, and once the
//! window closed and nothing is owed, shut the connection: it is served).

use std::cmp::Reverse;
use std::sync::atomic::Ordering;
use std::time::Instant;

use sockmodes_common::ClientError;
use sockmodes_nonblocking::multi::Outbox;

use super::super::account::Trouble;
use super::Driver;

impl Driver<'_> {
    /// Open loop echo: sends the messages due by `now` while the connection
    /// has room; a connection behind its schedule sends at once, each
    /// message timed from its own due time. Puts its next due time in the
    /// heap when it has room for it.
    pub(super) fn pump(
        &mut self,
        id: usize,
        now: Instant,
        out: &mut Outbox<'_>,
    ) -> Result<(), ClientError> {
        let (limit, window, closed) = (self.limit, self.window, self.window_closed);
        let Driver {
            states, due, run, ..
        } = self;
        let st = &mut states[id];
        let Some(s) = st.schedule.as_mut() else {
            return Ok(());
        };
        while st.ledger.in_flight() < limit && !closed {
            let at = s.due();
            if window.is_some_and(|w| at >= w.to) {
                break;
            }
            if at > now {
                if !st.in_heap {
                    due.push(Reverse((at, id)));
                    st.in_heap = true;
                }
                break;
            }
            out.send_frame(&run.payload)?;
            st.ledger.sent(s.take());
        }
        Ok(())
    }

    pub(super) fn on_echo(&mut self, id: usize, frame: &[u8], out: &mut Outbox<'_>) {
        let now = Instant::now();
        if frame != self.payload() {
            self.states[id].ledger.trouble(Trouble::Other, now);
            self.finish(id);
            return;
        }
        let before = self.rec.messages;
        let (start, window) = (self.start, self.window);
        let st = &mut self.states[id];
        if st
            .ledger
            .answered(start, window, now, frame.len(), &mut self.rec)
            .is_none()
        {
            // An answer nobody asked for.
            st.ledger.trouble(Trouble::Other, now);
            self.finish(id);
            return;
        }
        let counted = self.rec.messages - before;
        self.run.progress.fetch_add(counted, Ordering::Relaxed);
        self.settle(id);
        let sending = !self.window_closed && self.window.is_none_or(|w| now < w.to);
        let st = &mut self.states[id];
        if st.schedule.is_some() {
            if let Err(e) = self.pump(id, now, out) {
                self.fail(id, &e);
                return;
            }
        } else if sending {
            // Closed loop: the answer releases the next send.
            match out.send_frame(&self.run.payload) {
                Ok(()) => st.ledger.sent(now),
                Err(e) => {
                    self.fail(id, &e);
                    return;
                }
            }
        }
        let st = &self.states[id];
        if self.window_closed && !st.ledger.owes() && !st.shut {
            out.shutdown_write();
            self.served(id);
        }
    }
}
