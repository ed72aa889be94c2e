//! The session's receiving side: answers read as a stream and checked as
//! they arrive (see the module's opening paragraph on streaming).
//!
//! An echo answer is paired with the oldest request still owed one, its
//! length checked at its header and each piece of its payload compared with
//! the request's payload at the same offset: a 16 MiB answer is checked in
//! 256 reads and never held. A sink's answer is one 20-byte summary, held
//! until whole and compared with what was sent. A `message` server's close
//! is its confirmation; bytes it sends are read and dropped.

use super::{ClientEvent, ClientSession, ClientSessionError, READ_MAX};
use crate::frame::READ_CHUNK;
use crate::service::Service;
use crate::stream::Piece;
use crate::summary::{SinkSummary, SummaryLenError, SUMMARY_LEN};

impl ClientSession {
    /// Room to read the socket into: [`READ_CHUNK`] between answers and in
    /// small ones, [`READ_MAX`] inside a large one. Follow with
    /// [`received`](Self::received).
    pub fn read_space(&mut self) -> &mut [u8] {
        let want = if self.big_answer {
            READ_MAX
        } else {
            READ_CHUNK
        };
        if self.inbuf.len() < want {
            self.inbuf.resize(want, 0);
        }
        &mut self.inbuf[..want]
    }

    /// Processes `n` bytes just read into [`read_space`](Self::read_space).
    ///
    /// # Errors
    /// A rule the server broke: the connection is over.
    pub fn received(&mut self, n: usize) -> Result<(), ClientSessionError> {
        let inbuf = std::mem::take(&mut self.inbuf);
        let result = self.received_from(&inbuf[..n.min(inbuf.len())]);
        self.inbuf = inbuf;
        if !self.big_answer && self.inbuf.len() > READ_CHUNK {
            self.inbuf = Vec::new(); // a large answer ended: free its room
        }
        result
    }

    /// Processes bytes the driver read into its own buffer (an event loop
    /// shares one among all its connections, so they hold none).
    ///
    /// # Errors
    /// A rule the server broke: the connection is over.
    pub fn received_from(&mut self, bytes: &[u8]) -> Result<(), ClientSessionError> {
        match self.service {
            Service::Message => Ok(()),
            Service::Echo => {
                let mut answer = Answer {
                    owed: &mut self.owed,
                    at: &mut self.answer_at,
                    events: &mut self.events,
                    big: &mut self.big_answer,
                };
                self.frames
                    .feed_with(bytes, |piece| answer.echo(piece))
                    .map(drop)
            }
            Service::Sink => {
                let sent = self.tally.summary();
                let (buf, have) = &mut self.summary;
                let (done, events) = (&mut self.summary_done, &mut self.events);
                self.frames
                    .feed_with(bytes, |piece| {
                        sink_piece(piece, buf, have, sent, done, events)
                    })
                    .map(drop)
            }
        }
    }

    /// The server closed its side (a read returned 0).
    ///
    /// # Errors
    /// A torn frame, or [`ClientSessionError::Closed`] with an answer owed.
    pub fn received_eof(&mut self) -> Result<(), ClientSessionError> {
        if self.read_closed {
            return Ok(());
        }
        self.read_closed = true;
        self.frames.finish()?;
        match self.service {
            Service::Message if self.finishing => {
                self.summary_done = true;
                self.events.push_back(ClientEvent::Confirmed);
                Ok(())
            }
            _ if self.owes_answer() => Err(ClientSessionError::Closed),
            _ => {
                self.events.push_back(ClientEvent::Closed);
                Ok(())
            }
        }
    }
}

/// The echo side's state, borrowed for one feed.
struct Answer<'a> {
    owed: &'a mut std::collections::VecDeque<(u64, super::Payload)>,
    at: &'a mut usize,
    events: &'a mut std::collections::VecDeque<ClientEvent>,
    big: &'a mut bool,
}

impl Answer<'_> {
    /// One piece of an echo answer, checked against the oldest request.
    fn echo(&mut self, piece: Piece<'_>) -> Result<(), ClientSessionError> {
        let Some((seq, payload)) = self.owed.front() else {
            let len = match piece {
                Piece::Start(len) => len,
                _ => 0,
            };
            return Err(ClientSessionError::Unasked { len });
        };
        let mismatch = |got_len, first_diff| ClientSessionError::EchoMismatch {
            seq: *seq,
            sent_len: payload.len(),
            got_len,
            first_diff,
        };
        match piece {
            Piece::Start(len) if len != payload.len() => return Err(mismatch(len, None)),
            Piece::Start(len) => {
                *self.at = 0;
                *self.big = len >= READ_MAX;
            }
            Piece::Payload(got) => {
                if let Some(i) = payload.first_diff(*self.at, got) {
                    return Err(mismatch(payload.len(), Some(*self.at + i)));
                }
                *self.at += got.len();
            }
            Piece::End => {
                let (seq, bytes) = (*seq, payload.len());
                self.owed.pop_front();
                *self.big = false;
                self.events.push_back(ClientEvent::Answered { seq, bytes });
            }
        }
        Ok(())
    }
}

/// One piece of a sink's answer: the summary, held until whole, then
/// compared with `sent`.
fn sink_piece(
    piece: Piece<'_>,
    buf: &mut [u8; SUMMARY_LEN],
    have: &mut usize,
    sent: SinkSummary,
    done: &mut bool,
    events: &mut std::collections::VecDeque<ClientEvent>,
) -> Result<(), ClientSessionError> {
    match piece {
        Piece::Start(len) if *done => Err(ClientSessionError::Unasked { len }),
        Piece::Start(len) if len != SUMMARY_LEN => Err(SummaryLenError(len).into()),
        Piece::Start(_) => {
            *have = 0;
            Ok(())
        }
        Piece::Payload(got) => {
            buf[*have..*have + got.len()].copy_from_slice(got);
            *have += got.len();
            Ok(())
        }
        Piece::End => {
            let got = SinkSummary::decode(buf)?;
            if got != sent {
                return Err(ClientSessionError::SinkMismatch { sent, got });
            }
            *done = true;
            events.push_back(ClientEvent::Summary(got));
            Ok(())
        }
    }
}
