//! The session's side of work per frame (see the module's opening
//! paragraph on gating): handing out tickets, taking them back, and the
//! feeding of frames that stops at a boundary while a ticket is out.

use std::sync::Arc;

use super::{ServerSession, SessionError};
use crate::service::Service;
use crate::stream::Piece;
use crate::work::WorkTicket;

/// Where a server counts the frames handed to their work: its live
/// counters (`sockmodes_serving::ServerStats` implements this).
///
/// Why a trait: the session counts each ticket where it leaves
/// ([`ServerSession::next_work`]), the one place every server passes, so
/// every model counts alike; the counters themselves are the server's,
/// not the protocol's.
pub trait CountsWork {
    /// Counts one frame handed to its work.
    fn work_started(&self);
}

/// A server's counters are shared by its threads.
impl<C: CountsWork + ?Sized> CountsWork for Arc<C> {
    fn work_started(&self) {
        (**self).work_started();
    }
}

impl ServerSession {
    /// The work of the frame just begun, once: the driver runs it (inline,
    /// on a pool, as a timer) and hands it back to
    /// [`work_done`](Self::work_done). `None`: no work to start (none
    /// configured, none pending, or already handed out).
    ///
    /// Each ticket handed out is counted in `stats`
    /// ([`CountsWork::work_started`]): every server starts the work of the
    /// ticket it takes, so counting here, where the ticket leaves, counts
    /// the same for every model.
    pub fn next_work(&mut self, stats: &impl CountsWork) -> Option<WorkTicket> {
        let (id, handed) = self.ticket.as_mut()?;
        if *handed {
            return None;
        }
        let ticket = WorkTicket {
            id: *id,
            work: self.work?,
        };
        *handed = true;
        stats.work_started();
        Some(ticket)
    }

    /// True while a frame's work is out (issued and not yet done).
    pub fn work_pending(&self) -> bool {
        self.ticket.is_some()
    }

    /// The driver finished `ticket`'s work: its frame's answer may leave,
    /// and input waiting behind it is taken (which may issue the next
    /// ticket: see [`next_work`](Self::next_work)). A ticket that is not
    /// this session's current one is ignored. Returns the frames completed.
    ///
    /// # Errors
    /// A protocol violation in the input that waited: close the connection.
    pub fn work_done(&mut self, ticket: WorkTicket) -> Result<usize, SessionError> {
        if self.ticket.map(|(id, _)| id) != Some(ticket.id) {
            return Ok(0);
        }
        self.ticket = None;
        self.held_from = None;
        self.resume()
    }

    /// Takes the input in the read buffer, up to the next frame boundary
    /// that must wait for work; finishes a deferred end of stream.
    pub(super) fn resume(&mut self) -> Result<usize, SessionError> {
        let mut inbuf = std::mem::take(&mut self.inbuf);
        let fed = self.feed_gated(inbuf.as_slice());
        if let Ok((taken, _)) = fed {
            inbuf.consume(taken);
        }
        self.inbuf = inbuf;
        if self.inbuf.is_empty() && !self.frames.in_frame() {
            self.inbuf.release_if_empty(0);
        }
        let (_, ended) = fed?;
        if self.eof_deferred && self.inbuf.is_empty() {
            self.eof_deferred = false;
            self.finish_stream()?;
        }
        Ok(ended)
    }

    /// Feeds frames with work: each header issues a ticket and holds the
    /// output from there; feeding stops at a frame boundary while a ticket
    /// is out. Returns the bytes taken and the frames ended.
    pub(super) fn feed_gated(&mut self, bytes: &[u8]) -> Result<(usize, usize), SessionError> {
        let mut taken = 0;
        let mut ended = 0;
        while taken < bytes.len() && !self.waits_for_work() {
            let (out, tally) = (&mut self.out, &mut self.tally);
            let (ticket, tickets, held) =
                (&mut self.ticket, &mut self.tickets, &mut self.held_from);
            let echo = self.service == Service::Echo;
            let (n, end) = self.frames.feed_one(&bytes[taken..], |piece| {
                match piece {
                    Piece::Start(len) => {
                        *ticket = Some((*tickets, false));
                        *tickets += 1;
                        *held = Some(out.len());
                        if echo {
                            out.extend_from_slice(&crate::frame::header(len)?);
                        }
                    }
                    Piece::Payload(b) if echo => out.extend_from_slice(b),
                    Piece::Payload(b) => tally.add_bytes(b),
                    Piece::End if echo => {}
                    Piece::End => tally.end_frame(),
                }
                Ok(())
            })?;
            taken += n;
            ended += usize::from(end);
        }
        Ok((taken, ended))
    }
}
