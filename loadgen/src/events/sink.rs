//! Sink load: one frame in the socket per connection. A frame is timed once
//! the socket has taken all of it, and counts once the server's summary
//! confirms it; the loop looks again on each wake-up at the connections
//! whose frame is still waiting. An open loop behind its schedule sends the
//! next due frame as soon as the last one is taken: the frames it owes are
//! a count in the schedule, never a queue.

use std::time::Instant;

use sockmodes_client::ClientError;
use sockmodes_client::Outbox;

use super::{Connections, Driver};

impl Driver<'_> {
    /// Sink: every open connection's [`sink_step`]. True while some frame
    /// still waits for the socket to take it.
    pub(super) fn sink_progress(&mut self, multi: &mut impl Connections, now: Instant) -> bool {
        let mut waiting = false;
        for id in 0..self.states.len() {
            if !self.states[id].connected || self.states[id].done {
                continue;
            }
            if let Err(e) = multi.with_outbox(id, |out| sink_step(self, id, out, now)) {
                self.fail(id, &e);
            }
            waiting |= self.states[id].queued.is_some();
        }
        waiting
    }

    /// The next frame due on `id` by `now`, if it may go: closed loop, now
    /// while the window is open; open loop, the next due time once reached
    /// (else it goes in the heap to wake the loop), never one due after the
    /// window.
    fn sink_next(&mut self, id: usize, now: Instant) -> Option<Instant> {
        if self.window_closed {
            return None;
        }
        let st = &mut self.states[id];
        if st.schedule.is_none() {
            return self.window.is_none_or(|w| now < w.to).then_some(now);
        }
        st.due_by(id, now, self.window, &mut self.due)
    }
}

/// One sink connection's step: time the frame the socket has taken, hand
/// it the next one due, and once the window closed and nothing is left to
/// send, shut the sending side and ask for the summary.
fn sink_step(
    d: &mut Driver<'_>,
    id: usize,
    out: &mut Outbox<'_>,
    now: Instant,
) -> Result<(), ClientError> {
    let (clock, len) = (d.clock(), d.run.payload.len());
    if let (Some(due), 0) = (d.states[id].queued, out.pending()) {
        // The previous frame has left for the socket.
        let st = &mut d.states[id];
        st.queued = None;
        st.account.taken(d.run, clock, (due, now), len, &mut d.rec);
    }
    if d.states[id].queued.is_none() {
        if let Some(due) = d.sink_next(id, now) {
            out.send(&d.run.payload)?;
            d.states[id].queued = Some(due);
        }
    }
    let st = &mut d.states[id];
    if d.window_closed && st.queued.is_none() && !st.shut {
        out.shutdown_write();
        st.shut = true;
        st.account.ledger.summary_asked(now);
    }
    Ok(())
}
