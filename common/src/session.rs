//! One server-side connection as a state machine: bytes in, bytes out, no I/O.
//!
//! This is the part the three servers share, the way rustls' connection core is
//! shared by its blocking `Stream` and its mio example. A driver loops:
//!
//! 1. if [`wants_read`](ServerSession::wants_read): read from the socket into
//!    [`read_space`](ServerSession::read_space), then call
//!    [`received`](ServerSession::received) with the count, or
//!    [`received_eof`](ServerSession::received_eof) when the read returned 0;
//! 2. write [`output`](ServerSession::output) to the socket and call
//!    [`wrote`](ServerSession::wrote) with what the socket took;
//! 3. stop when [`is_finished`](ServerSession::is_finished).
//!
//! The blocking driver does this with blocking calls in a thread; the mio driver
//! does it on readiness events, and registers WRITABLE interest only while
//! `output()` is non-empty; the completion driver does it when the kernel
//! reports a receive or a send finished.
//!
//! **Memory is bounded per connection, whatever the frame size.** Echo and
//! sink read frames as a stream (`stream.rs`): echo passes each piece of
//! payload to its output as it arrives, sink adds it to its CRC-32, and
//! neither ever holds a whole frame. A connection holds at most one read
//! ([`STREAM_CHUNK`]) and `output_cap` bytes of output: reading stops while
//! the output is full, and a read never asks for more than the output has
//! room for. `message` keeps the whole message (it is handed on whole), so
//! it has its own, smaller limit. [`ServerSession::memory_bound`] states it;
//! the servers multiply it by `--max-conns` and print the worst case.
//!
//! **Work per message gates the output** (`--work`, see `work.rs`). With
//! work configured, each echo or sink frame is a request: its header makes
//! the session issue a [`WorkTicket`](crate::work::WorkTicket) (the driver takes it with
//! [`next_work`](ServerSession::next_work)), and from that point on the
//! output is held: [`output`](ServerSession::output) shows only what came
//! before, until the driver hands the ticket back with
//! [`work_done`](ServerSession::work_done). The rest of that frame is still
//! read (its echo waits in the held output, under the same cap), but at the
//! next frame boundary the session stops taking input: what was read past
//! it waits in the read buffer (one read at most) and
//! [`wants_read`](ServerSession::wants_read) says no until the work is
//! done. So one connection has one request in work at a time, its answers
//! keep their order, and a driver cannot send an answer early: the gate is
//! here, not in the driver. The session reads no clock and runs no work;
//! where the work runs (inline, a pool, a timer) is the driver's choice.

use crate::buffer::ByteQueue;
use crate::frame::{header, FrameError, READ_CHUNK};
use crate::service::Service;
use crate::stream::{FrameReader, Piece};
use crate::summary::SinkTally;
use crate::work::Work;

mod config;
mod work;

pub use config::SessionConfig;
pub use work::CountsWork;

/// The most a connection reads at once while inside a frame.
///
/// Why 64 KiB: large enough that a 1 MiB frame takes 16 reads, not 64 (the
/// syscall count is what a bigger buffer saves), small enough that 10,000
/// connections mid-frame hold 640 MiB at most. Between frames a driver
/// reads into its own scratch buffer instead, so idle connections hold none.
pub const STREAM_CHUNK: usize = 64 * 1024;

/// Output buffer kept between replies; larger ones are freed once sent.
///
/// Why 4 KiB: small echo replies reuse it with no allocation, while 10,000
/// idle connections that once sent a large reply hold 40 MiB at most, not
/// the largest reply each.
const OUTPUT_KEEP: usize = 4096;

/// Why a connection had to be closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// A framing violation (oversized header, torn frame).
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// A `message` longer than the limit.
    #[error("message exceeds the limit of {max} bytes")]
    MessageTooLarge {
        /// The limit.
        max: usize,
    },
}

/// The server side of one connection.
#[derive(Debug)]
pub struct ServerSession {
    service: Service,
    /// Framed input (echo, sink), read as a stream.
    frames: FrameReader,
    /// Where a read inside a frame lands (at most [`STREAM_CHUNK`]); freed
    /// between frames.
    inbuf: ByteQueue,
    /// Raw input (message): the whole message, bounded by `max_message`.
    message: ByteQueue,
    max_message: usize,
    out: ByteQueue,
    tally: SinkTally,
    output_cap: usize,
    read_closed: bool,
    /// Some byte arrived: a sink's peer is then owed a summary
    /// ([`at_rest`](Self::at_rest) asks it of sink only).
    started: bool,
    completed_message: Option<Vec<u8>>,
    /// Work per frame (echo, sink); `None`: answers leave at once.
    work: Option<Work>,
    /// The ticket of the frame in work, and whether the driver took it.
    ticket: Option<(u64, bool)>,
    /// Tickets issued so far (the next one's id).
    tickets: u64,
    /// While a ticket is out: the output before this offset may leave, the
    /// rest waits for the work.
    held_from: Option<usize>,
    /// End of stream arrived while input waited behind a ticket.
    eof_deferred: bool,
}

impl ServerSession {
    /// A session for `service` with a frame (and message) limit of `max_frame`
    /// bytes; reading pauses while `output_cap` bytes wait to be sent.
    pub fn new(service: Service, max_frame: usize, output_cap: usize) -> Self {
        ServerSession {
            service,
            frames: FrameReader::new(max_frame),
            inbuf: ByteQueue::new(),
            message: ByteQueue::new(),
            max_message: max_frame,
            out: ByteQueue::new(),
            tally: SinkTally::new(),
            output_cap: output_cap.max(1),
            read_closed: false,
            started: false,
            completed_message: None,
            work: None,
            ticket: None,
            tickets: 0,
            held_from: None,
            eof_deferred: false,
        }
    }

    /// The same session with `work` per frame (echo and sink; `message`
    /// has no frames and ignores it). `None`: no work, answers at once.
    pub fn with_work(mut self, work: Option<Work>) -> Self {
        if self.service != Service::Message {
            self.work = work;
        }
        self
    }

    /// True when the connection is at rest: between frames, nothing owed,
    /// and (sink) nothing started that would be owed a summary. A server
    /// that is stopping closes such a connection at once. A `message`
    /// connection is never at rest: its sender writes once and takes the
    /// server's close as the sign it was read, so a message still on its
    /// way when the server begins to stop must be waited for, not dropped.
    pub fn at_rest(&self) -> bool {
        let owed_an_answer = match self.service {
            Service::Echo => false,
            Service::Sink => self.started,
            Service::Message => true,
        };
        !(self.read_closed
            || !self.out.is_empty()
            || self.frames.in_frame()
            || owed_an_answer
            || self.ticket.is_some()
            || !self.inbuf.is_empty())
    }

    /// The most bytes the next read may take: no more than the output has
    /// room for (echo sends back what it reads), and one [`STREAM_CHUNK`].
    pub fn read_limit(&self) -> usize {
        match self.service {
            Service::Echo => self
                .output_cap
                .saturating_sub(self.out.len())
                .clamp(1, STREAM_CHUNK),
            Service::Sink => STREAM_CHUNK,
            Service::Message => (self.max_message + 1)
                .saturating_sub(self.message.len())
                .clamp(1, READ_CHUNK),
        }
    }

    /// True while the peer may still send and pending output is under the cap
    /// (backpressure: a peer that does not read stops being read).
    ///
    /// With work per frame, also false at a frame boundary while the last
    /// frame's work is pending (one request in work per connection).
    pub fn wants_read(&self) -> bool {
        !self.read_closed && self.out.len() < self.output_cap && !self.waits_for_work()
    }

    /// True while a frame is partly in and the session wants its rest: the
    /// peer owes bytes (the minimum rate's receiving side, `liveness.rs`).
    /// Not for `message`, which has no frames.
    pub fn owes_input(&self) -> bool {
        self.service != Service::Message && self.frames.in_frame() && self.wants_read()
    }

    /// True while input waits behind a frame's work.
    fn waits_for_work(&self) -> bool {
        self.ticket.is_some() && !self.frames.in_frame()
    }

    /// True while a partial frame (or a message) is buffered: read the socket
    /// straight into [`read_space`](Self::read_space). Otherwise read into a
    /// scratch buffer of the driver's and pass it to
    /// [`received_from`](Self::received_from), so that an idle connection
    /// owns no read buffer.
    pub fn reads_direct(&self) -> bool {
        match self.service {
            Service::Message => !self.message.is_empty(),
            Service::Echo | Service::Sink => self.frames.in_frame(),
        }
    }

    /// Processes bytes the driver read into its own buffer. Returns how many
    /// units were completed, as [`received`](Self::received) does.
    ///
    /// # Errors
    /// A protocol violation: the connection must be closed.
    pub fn received_from(&mut self, bytes: &[u8]) -> Result<usize, SessionError> {
        if !bytes.is_empty() {
            self.started = true;
        }
        if self.work.is_some() {
            if !self.inbuf.is_empty() {
                // Read although `wants_read` said no: queue it behind.
                self.inbuf.extend_from_slice(bytes);
                return Ok(0);
            }
            let (taken, ended) = self.feed_gated(bytes)?;
            self.inbuf.extend_from_slice(&bytes[taken..]);
            return Ok(ended);
        }
        match self.service {
            Service::Message => {
                let max = self.max_message;
                if self.message.len() + bytes.len() > max {
                    return Err(SessionError::MessageTooLarge { max });
                }
                self.message.extend_from_slice(bytes);
                Ok(0)
            }
            Service::Echo => {
                let out = &mut self.out;
                Ok(self.frames.feed(bytes, |piece| {
                    match piece {
                        Piece::Start(len) => out.extend_from_slice(&header(len)?),
                        Piece::Payload(bytes) => out.extend_from_slice(bytes),
                        Piece::End => {}
                    }
                    Ok(())
                })?)
            }
            Service::Sink => {
                let tally = &mut self.tally;
                Ok(self.frames.feed(bytes, |piece| {
                    match piece {
                        Piece::Start(_) => {}
                        Piece::Payload(bytes) => tally.add_bytes(bytes),
                        Piece::End => tally.end_frame(),
                    }
                    Ok(())
                })?)
            }
        }
    }

    /// Room to read the socket into directly: at most
    /// [`read_limit`](Self::read_limit) bytes.
    pub fn read_space(&mut self) -> &mut [u8] {
        let room = self.read_limit();
        match self.service {
            // Offer one byte past the limit so an oversized message is
            // seen; the storage grows no further than that.
            Service::Message => {
                let limit = self.max_message.saturating_add(1);
                &mut self.message.spare_within(room, limit)[..room]
            }
            Service::Echo | Service::Sink => &mut self.inbuf.spare(room)[..room],
        }
    }

    /// Processes `n` bytes just read into [`read_space`](Self::read_space).
    /// Returns how many units (frames; for `message`, always 0 until end of
    /// stream) were completed, for idle accounting.
    ///
    /// # Errors
    /// A protocol violation: the connection must be closed.
    pub fn received(&mut self, n: usize) -> Result<usize, SessionError> {
        match self.service {
            Service::Message => {
                self.message.filled(n);
                let max = self.max_message;
                if self.message.len() > max {
                    return Err(SessionError::MessageTooLarge { max });
                }
                Ok(0)
            }
            Service::Echo | Service::Sink if self.work.is_some() => {
                self.inbuf.filled(n);
                self.resume()
            }
            Service::Echo | Service::Sink => {
                self.inbuf.filled(n);
                let mut inbuf = std::mem::take(&mut self.inbuf);
                let frames = self.received_from(inbuf.as_slice());
                inbuf.consume(inbuf.len());
                self.inbuf = inbuf;
                if !self.frames.in_frame() {
                    self.inbuf.release_if_empty(0);
                }
                frames
            }
        }
    }

    /// The peer shut down its write side (a read returned 0). Queues what is
    /// still owed: the message is completed, the sink summary is queued.
    ///
    /// # Errors
    /// [`FrameError::Torn`] when the stream ended inside a frame.
    pub fn received_eof(&mut self) -> Result<(), SessionError> {
        if self.read_closed {
            return Ok(());
        }
        self.read_closed = true;
        if !self.inbuf.is_empty() && self.work.is_some() {
            // Frames wait behind a ticket: end the stream after them.
            self.eof_deferred = true;
            return Ok(());
        }
        self.finish_stream()
    }

    /// What end of stream owes, once every byte before it was taken.
    fn finish_stream(&mut self) -> Result<(), SessionError> {
        match self.service {
            Service::Message => self.completed_message = Some(self.message.take_all()),
            Service::Echo => self.frames.finish()?,
            Service::Sink => {
                self.frames.finish()?;
                let summary = self.tally.summary().encode();
                self.out.extend_from_slice(&header(summary.len())?);
                self.out.extend_from_slice(&summary);
            }
        }
        Ok(())
    }

    /// The completed message, once, after end of stream (`message` service).
    pub fn take_message(&mut self) -> Option<Vec<u8>> {
        self.completed_message.take()
    }

    /// Bytes waiting to be written to the socket: with work per frame,
    /// only those before the frame in work.
    pub fn output(&self) -> &[u8] {
        let all = self.out.as_slice();
        &all[..self.held_from.unwrap_or(all.len())]
    }

    /// Records that the socket took `n` bytes of [`output`](Self::output).
    pub fn wrote(&mut self, n: usize) {
        let n = n.min(self.output().len());
        self.out.consume(n);
        if let Some(held) = &mut self.held_from {
            *held -= n;
        }
        self.out.release_if_empty(OUTPUT_KEEP);
    }

    /// True once end of stream was processed, every frame's work was done
    /// and every owed byte was written.
    pub fn is_finished(&self) -> bool {
        self.read_closed && self.out.is_empty() && self.ticket.is_none() && !self.eof_deferred
    }

    /// Bytes of buffer memory this session holds (for the memory tests).
    pub fn buffered_capacity(&self) -> usize {
        self.inbuf.capacity() + self.message.capacity() + self.out.capacity()
    }
}
