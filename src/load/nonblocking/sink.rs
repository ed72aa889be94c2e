//! Sink load: one frame in the socket per connection. A frame counts once
//! the socket has taken all of it; the loop looks again on each wake-up at
//! the connections whose frame is still waiting.

use std::time::Instant;

use sockmodes_common::ClientError;
use sockmodes_nonblocking::multi::{MultiClient, Outbox};

use super::Driver;

impl Driver<'_> {
    /// Sink: every open connection's [`sink_step`]. True while some frame
    /// still waits for the socket to take it.
    pub(super) fn sink_progress(&mut self, multi: &mut MultiClient, now: Instant) -> bool {
        let mut waiting = false;
        for id in 0..self.states.len() {
            if !self.states[id].connected || self.states[id].done {
                continue;
            }
            if multi
                .with_outbox(id, |out| sink_step(self, id, out, now))
                .is_err()
            {
                self.fail(id);
            }
            waiting |= self.states[id].queued.is_some();
        }
        waiting
    }
}

/// One sink connection's step: count the frame the socket has taken, hand
/// it the next one due (closed loop: one at once while the window is open),
/// and shut the sending side once nothing is left to send.
fn sink_step(
    d: &mut Driver<'_>,
    id: usize,
    out: &mut Outbox<'_>,
    now: Instant,
) -> Result<(), ClientError> {
    let payload = &d.run.payload[..];
    let closed_loop_sending =
        d.run.config.rate.is_none() && !d.window_closed && d.window.is_none_or(|w| now < w.to);
    if let (Some(due), 0) = (d.states[id].queued, out.pending()) {
        // The previous frame has left the socket.
        d.states[id].queued = None;
        if !d.answered(id, due, now, 0) {
            d.states[id].warm_bytes += payload.len() as u64;
        }
    }
    let st = &mut d.states[id];
    if st.queued.is_none() {
        let next = st
            .backlog
            .pop_front()
            .or(closed_loop_sending.then_some(now));
        if let Some(due) = next {
            out.send_frame(payload)?;
            st.tally.add(payload);
            st.queued = Some(due);
        }
    }
    if d.window_closed && st.queued.is_none() && st.backlog.is_empty() && !st.shut {
        out.shutdown_write();
        st.shut = true;
    }
    Ok(())
}
