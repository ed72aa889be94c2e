//! Echo on one loop: the open loop's bounded sending ([`Driver::pump`]) and
//! what an answer does (count it, release the next send, and once the
//! window closed and nothing is owed, shut the connection: it is served).

use std::time::Instant;

use sockmodes_client::ClientError;
use sockmodes_client::Outbox;

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
        while st.account.ledger.in_flight() < limit && !closed {
            let Some(at) = st.due_by(id, now, window, due) else {
                break;
            };
            out.send(&run.payload)?;
            st.account.ledger.sent(at);
        }
        Ok(())
    }

    /// An answer (checked by the session) of `bytes` arrived on `id`.
    pub(super) fn on_echo(&mut self, id: usize, bytes: usize, out: &mut Outbox<'_>) {
        let now = Instant::now();
        let clock = self.clock();
        let st = &mut self.states[id];
        if !st
            .account
            .answered(self.run, clock, now, bytes, &mut self.rec)
        {
            self.finish(id); // an answer nobody asked for
            return;
        }
        let sending = !self.window_closed && self.window.is_none_or(|w| now < w.to);
        if st.schedule.is_some() {
            if let Err(e) = self.pump(id, now, out) {
                self.fail(id, &e);
                return;
            }
        } else if sending {
            // Closed loop: the answer releases the next send.
            match out.send(&self.run.payload) {
                Ok(_) => st.account.ledger.sent(now),
                Err(e) => {
                    self.fail(id, &e);
                    return;
                }
            }
        }
        let st = &self.states[id];
        if self.window_closed && !st.account.ledger.owes() && !st.shut {
            out.shutdown_write();
            self.served(id);
        }
    }
}
