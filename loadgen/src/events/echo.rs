//! Echo on one loop: the open loop's bounded sending ([`Driver::pump`]) and
//! what an answer does (count it, release the next send, and once the
//! window closed and nothing is owed, shut the connection: it is served).

use std::time::Instant;

use sockmodes_client::{ClientError, Outbox};

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
        let st = &mut self.states[id];
        while st.account.ledger.in_flight() < self.limit && !self.window_closed {
            let Some(at) = st.due_by(id, now, self.window, &mut self.due) else {
                break;
            };
            out.send(&self.run.payload)?;
            st.account.ledger.sent(at);
        }
        Ok(())
    }

    /// An answer (checked by the session) of `bytes` arrived on `id`.
    pub(super) fn on_echo(&mut self, id: usize, bytes: usize, out: &mut Outbox<'_>) {
        let now = Instant::now();
        let st = &mut self.states[id];
        if !st
            .account
            .answered(self.run, self.window, now, bytes, &mut self.rec)
        {
            self.finish(id); // an answer nobody asked for
            return;
        }
        let sending = !self.window_closed && self.window.is_none_or(|w| now < w.to);
        let sent = if st.schedule.is_some() {
            self.pump(id, now, out)
        } else if sending {
            // Closed loop: the answer releases the next send.
            out.send(&self.run.payload)
                .map(|_| st.account.ledger.sent(now))
        } else {
            Ok(())
        };
        if let Err(e) = sent {
            self.fail(id, &e);
            return;
        }
        if self.window_closed && !self.states[id].account.ledger.owes() {
            out.shutdown_write();
            self.served(id);
        }
    }
}
