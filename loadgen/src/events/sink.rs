//! Sink load: one frame in the socket per connection. A frame is timed once
//! the socket has taken all of it, and counts once the server's summary
//! confirms it; the loop looks again on each wake-up at the connections
//! whose frame is still waiting. An open loop behind its schedule sends the
//! next due frame as soon as the last one is taken: the frames it owes are
//! a count in the schedule, never a queue.

use std::time::Instant;

use sockmodes_client::{ClientError, Outbox};

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
    let st = &mut d.states[id];
    if let (Some(due), 0) = (st.queued, out.pending()) {
        // The previous frame has left for the socket.
        st.queued = None;
        let len = d.run.payload.len();
        st.account
            .taken(d.run, d.window, (due, now), len, &mut d.rec);
    }
    if st.queued.is_none() && !d.window_closed {
        // The next frame due by `now`: closed loop, now while the window is
        // open; open loop, its due time once reached (else it goes in the
        // heap to wake the loop), never one due after the window.
        let next = if st.schedule.is_none() {
            d.window.is_none_or(|w| now < w.to).then_some(now)
        } else {
            st.due_by(id, now, d.window, &mut d.due)
        };
        if let Some(due) = next {
            out.send(&d.run.payload)?;
            st.queued = Some(due);
        }
    }
    if d.window_closed && st.queued.is_none() && !st.shut {
        out.shutdown_write();
        st.shut = true;
        st.account.ledger.summary_asked(now);
    }
    Ok(())
}
