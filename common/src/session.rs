//! One server-side connection as a state machine: bytes in, bytes out, no I/O.
//!
//! This is the part both servers share, the way rustls' connection core is
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
//! `output()` is non-empty.

use crate::buffer::ByteQueue;
use crate::config::Service;
use crate::frame::{encode_frame_into, Decoder, FrameError, READ_CHUNK};
use crate::summary::SinkTally;

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
    /// Framed input (echo, sink).
    decoder: Decoder,
    /// Raw input (message): the whole message, bounded by `max_frame`.
    message: ByteQueue,
    out: ByteQueue,
    tally: SinkTally,
    output_cap: usize,
    read_closed: bool,
    completed_message: Option<Vec<u8>>,
}

impl ServerSession {
    /// A session for `service` with a frame (and message) limit of `max_frame`
    /// bytes; reading pauses while more than `output_cap` bytes wait to be sent.
    pub fn new(service: Service, max_frame: usize, output_cap: usize) -> Self {
        ServerSession {
            service,
            decoder: Decoder::new(max_frame),
            message: ByteQueue::new(),
            out: ByteQueue::new(),
            tally: SinkTally::new(),
            output_cap,
            read_closed: false,
            completed_message: None,
        }
    }

    /// The service this session runs.
    pub fn service(&self) -> Service {
        self.service
    }

    /// True while the peer may still send and pending output is under the cap
    /// (backpressure: a peer that does not read stops being read).
    pub fn wants_read(&self) -> bool {
        !self.read_closed && self.out.len() < self.output_cap
    }

    /// True while a partial frame (or a message) is buffered: read the socket
    /// straight into [`read_space`](Self::read_space). Otherwise read into a
    /// scratch buffer of the driver's and pass it to
    /// [`received_from`](Self::received_from), so that an idle connection
    /// owns no read buffer.
    pub fn reads_direct(&self) -> bool {
        match self.service {
            Service::Message => !self.message.is_empty(),
            Service::Echo | Service::Sink => self.decoder.has_partial(),
        }
    }

    /// Processes bytes the driver read into its own buffer. Returns how many
    /// units were completed, as [`received`](Self::received) does.
    ///
    /// # Errors
    /// A protocol violation: the connection must be closed.
    pub fn received_from(&mut self, bytes: &[u8]) -> Result<usize, SessionError> {
        match self.service {
            Service::Message => {
                let max = self.decoder.max_frame();
                if self.message.len() + bytes.len() > max {
                    return Err(SessionError::MessageTooLarge { max });
                }
                self.message.extend_from_slice(bytes);
                Ok(0)
            }
            Service::Echo => {
                let out = &mut self.out;
                Ok(self
                    .decoder
                    .feed(bytes, |frame| encode_frame_into(out, frame))?)
            }
            Service::Sink => {
                let tally = &mut self.tally;
                Ok(self.decoder.feed(bytes, |frame| {
                    tally.add(frame);
                    Ok(())
                })?)
            }
        }
    }

    /// Room to read the socket into directly.
    pub fn read_space(&mut self) -> &mut [u8] {
        match self.service {
            Service::Message => {
                // Offer one byte past the limit so an oversized message is seen.
                let room = (self.decoder.max_frame() + 1 - self.message.len()).clamp(1, READ_CHUNK);
                &mut self.message.spare(room)[..room]
            }
            Service::Echo | Service::Sink => self.decoder.read_space(),
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
                let max = self.decoder.max_frame();
                if self.message.len() > max {
                    return Err(SessionError::MessageTooLarge { max });
                }
                Ok(0)
            }
            Service::Echo => {
                self.decoder.filled(n);
                let mut frames = 0;
                while let Some(frame) = self.decoder.next_frame()? {
                    encode_frame_into(&mut self.out, frame)?;
                    frames += 1;
                }
                self.decoder.release_if_empty();
                Ok(frames)
            }
            Service::Sink => {
                self.decoder.filled(n);
                let mut frames = 0;
                while let Some(frame) = self.decoder.next_frame()? {
                    self.tally.add(frame);
                    frames += 1;
                }
                self.decoder.release_if_empty();
                Ok(frames)
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
        match self.service {
            Service::Message => self.completed_message = Some(self.message.take_all()),
            Service::Echo => self.decoder.finish()?,
            Service::Sink => {
                self.decoder.finish()?;
                encode_frame_into(&mut self.out, &self.tally.summary().encode())?;
            }
        }
        Ok(())
    }

    /// The completed message, once, after end of stream (`message` service).
    pub fn take_message(&mut self) -> Option<Vec<u8>> {
        self.completed_message.take()
    }

    /// Bytes waiting to be written to the socket.
    pub fn output(&self) -> &[u8] {
        self.out.as_slice()
    }

    /// Records that the socket took `n` bytes of [`output`](Self::output).
    pub fn wrote(&mut self, n: usize) {
        self.out.consume(n);
        self.out.release_if_empty(OUTPUT_KEEP);
    }

    /// True once end of stream was processed and every owed byte was written.
    pub fn is_finished(&self) -> bool {
        self.read_closed && self.out.is_empty()
    }

    /// Bytes of buffer memory this session holds (for the memory tests).
    pub fn buffered_capacity(&self) -> usize {
        self.decoder.capacity() + self.message.capacity() + self.out.capacity()
    }
}
