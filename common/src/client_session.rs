//! One client-side connection as a state machine: the mirror of
//! [`ServerSession`](crate::ServerSession), bytes in, bytes out, no I/O.
//!
//! Every client and load engine sends requests and checks answers by the
//! same rules: frames are paired with answers in order, an echo must come
//! back byte for byte, a sink's summary must count what was sent, and a
//! `message` is confirmed by the server's close. Those rules live here once;
//! a driver (a thread with blocking calls, a mio loop, an io_uring) only
//! moves bytes. It loops:
//!
//! 1. queue requests with [`send`](ClientSession::send), and when there is
//!    no more to send, [`finish_sending`](ClientSession::finish_sending);
//! 2. write [`output`](ClientSession::output) to the socket and call
//!    [`wrote`](ClientSession::wrote) with what the socket took; when
//!    [`wants_shutdown`](ClientSession::wants_shutdown), shut the write side
//!    down and call [`shut_down`](ClientSession::shut_down);
//! 3. read into [`read_space`](ClientSession::read_space) and call
//!    [`received`](ClientSession::received) (or read into a buffer of the
//!    driver's and call [`received_from`](ClientSession::received_from));
//!    a read of 0 is [`received_eof`](ClientSession::received_eof);
//! 4. take what happened with [`next_event`](ClientSession::next_event):
//!    an answer (with its request's sequence number, which the driver maps
//!    to the time it sent it), a confirmed summary, a close.
//!
//! A broken rule (a wrong echo, a torn frame, a close with an answer owed)
//! is the `Err` of the call that met it: the connection is over.
//!
//! The calls a person uses (`echo`, `send_frame`/`recv_frame`,
//! `sink_upload`, `send_message`) are written once too, over a driver's
//! way of moving bytes: `sockmodes_client::ClientDriver`.
//!
//! **It streams both ways, so no frame size can deadlock a driver or grow
//! its memory.** Output is staged [`OUTPUT_CHUNK`] bytes at a time from the
//! shared [`Payload`], never as a whole frame; answers are checked piece by
//! piece as they arrive, against the payload, never held. A connection
//! holds one read and one output chunk, whatever the frame size
//! ([`memory_bound`](ClientSession::memory_bound)). Our servers echo a
//! frame while it arrives; a client that wrote a whole 16 MiB frame before
//! reading would fill the server's output and both would wait forever. So
//! a driver must read while it writes: a mio loop does that by nature; a
//! blocking driver writes one [`output`](ClientSession::output) at a time
//! (at most one chunk) and drains what has arrived in between.

use std::collections::VecDeque;

use crate::buffer::ByteQueue;
use crate::frame::{header, FrameError, HEADER_LEN};
use crate::service::Service;
use crate::stream::FrameReader;
use crate::summary::{SinkSummary, SinkTally, SummaryLenError, SUMMARY_LEN};

mod payload;
mod receive;

pub use payload::{Payload, PATTERN_PERIOD, PIECE_MAX};

/// The most output a session stages at once.
///
/// Why 64 KiB: the servers' read size ([`STREAM_CHUNK`](crate::session::STREAM_CHUNK)),
/// so one write fills one server read; and what a blocking driver may write
/// before it reads again is safely below what any TCP path buffers
/// (loopback: megabytes; Windows' defaults: 64 KiB each way), so a blocking
/// write of one chunk cannot wait on a peer that waits on us.
pub const OUTPUT_CHUNK: usize = 64 * 1024;

/// The most a read takes at once while inside an answer.
///
/// Why 64 KiB: as the server's [`STREAM_CHUNK`](crate::session::STREAM_CHUNK):
/// a 16 MiB answer in 256 reads; between answers a read offers
/// [`READ_CHUNK`](crate::frame::READ_CHUNK), so an idle connection of small
/// frames holds 16 KiB, not 64.
pub const READ_MAX: usize = 64 * 1024;

/// Output buffer kept between frames; a larger one is freed once sent.
///
/// Why 4 KiB: small frames reuse it with no allocation, while 10,000 idle
/// connections that once sent a large frame hold 40 MiB at most.
const OUTPUT_KEEP: usize = 4096;

/// What happened on the connection, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    /// Echo: the answer to request `seq` (the number [`send`](ClientSession::send)
    /// returned) arrived whole and identical.
    Answered {
        /// The request's sequence number (0, 1, 2, ... per session).
        seq: u64,
        /// Its payload bytes.
        bytes: usize,
    },
    /// Sink: the server's summary arrived and matches what was sent.
    Summary(SinkSummary),
    /// Message: the server closed after reading to the end (the confirmation).
    Confirmed,
    /// The server closed between answers with nothing owed.
    Closed,
}

/// A rule the server broke: the connection is over. A client names the
/// server's address with it (`sockmodes_client::AtServer`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientSessionError {
    /// A framing violation (an oversized header, a torn frame).
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// An echo answer differs from its request.
    #[error("echo {seq} differs: sent {sent_len} bytes, got {got_len} back")]
    EchoMismatch {
        /// The request's sequence number.
        seq: u64,
        /// Its payload length.
        sent_len: usize,
        /// The answer's payload length.
        got_len: usize,
        /// First differing payload byte, when the lengths agree.
        first_diff: Option<usize>,
    },
    /// An answer came with no request owed one.
    #[error("an answer of {len} bytes to no request")]
    Unasked {
        /// Its payload length.
        len: usize,
    },
    /// The sink summary had the wrong size.
    #[error(transparent)]
    BadSummary(#[from] SummaryLenError),
    /// The sink summary disagrees with what was sent.
    #[error("sink summary does not match what was sent")]
    SinkMismatch {
        /// What the client sent.
        sent: SinkSummary,
        /// What the server counted.
        got: SinkSummary,
    },
    /// The server closed with an answer owed.
    #[error("closed before answering")]
    Closed,
    /// A payload longer than a frame's 32-bit length.
    #[error("payload of {len} bytes does not fit a frame")]
    TooLarge {
        /// Its length.
        len: usize,
    },
}

/// The client side of one connection.
#[derive(Debug)]
pub struct ClientSession {
    service: Service,
    /// Requests queued, not yet staged.
    queued: VecDeque<Payload>,
    /// The request being staged, and its next payload offset.
    staging: Option<(Payload, usize)>,
    /// Staged bytes, at most [`OUTPUT_CHUNK`] and a header.
    out: ByteQueue,
    /// Bytes sent with [`send`](Self::send) not yet taken by the socket.
    unsent: u64,
    /// No more requests: shut the write side once all is written.
    finishing: bool,
    write_shut: bool,
    /// Sink: what was staged, for the summary.
    tally: SinkTally,
    next_seq: u64,
    /// Echo: requests owed an answer (sequence number, payload), oldest first.
    owed: VecDeque<(u64, Payload)>,
    /// Answers read as a stream.
    frames: FrameReader,
    /// Echo: payload bytes of the current answer checked so far.
    answer_at: usize,
    /// Sink: the summary's bytes so far.
    summary: ([u8; SUMMARY_LEN], usize),
    summary_done: bool,
    /// Inside an echo answer of [`READ_MAX`] bytes or more: reads take that much.
    big_answer: bool,
    inbuf: Vec<u8>,
    read_closed: bool,
    events: VecDeque<ClientEvent>,
}

impl ClientSession {
    /// A session for `service`; answers over `max_frame` bytes are refused.
    pub fn new(service: Service, max_frame: usize) -> Self {
        ClientSession {
            service,
            queued: VecDeque::new(),
            staging: None,
            out: ByteQueue::new(),
            unsent: 0,
            finishing: false,
            write_shut: false,
            tally: SinkTally::new(),
            next_seq: 0,
            owed: VecDeque::new(),
            frames: FrameReader::new(max_frame),
            answer_at: 0,
            summary: ([0; SUMMARY_LEN], 0),
            summary_done: false,
            big_answer: false,
            inbuf: Vec::new(),
            read_closed: false,
            events: VecDeque::new(),
        }
    }

    /// The most buffer memory one session holds, whatever the frame size:
    /// one read and the staged output (its header and the growth of a
    /// vector, at most doubling).
    pub const fn memory_bound() -> usize {
        READ_MAX + 2 * (OUTPUT_CHUNK + HEADER_LEN)
    }

    /// The largest answer accepted.
    pub fn max_frame(&self) -> usize {
        self.frames.max_frame()
    }

    /// The service this session speaks to.
    pub fn service(&self) -> Service {
        self.service
    }

    /// Queues a request: a frame of `payload` (echo, sink), or its raw bytes
    /// (`message`, which has no frames). Returns its sequence number, which
    /// [`ClientEvent::Answered`] repeats.
    ///
    /// # Errors
    /// [`ClientSessionError::TooLarge`] over a frame's 32-bit length.
    pub fn send(&mut self, payload: &Payload) -> Result<u64, ClientSessionError> {
        let framed = self.service != Service::Message;
        if framed {
            header(payload.len())
                .map_err(|_| ClientSessionError::TooLarge { len: payload.len() })?;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        if self.service == Service::Echo {
            self.owed.push_back((seq, payload.clone()));
        }
        self.unsent += (payload.len() + if framed { HEADER_LEN } else { 0 }) as u64;
        self.queued.push_back(payload.clone());
        self.stage();
        Ok(seq)
    }

    /// No more requests: once everything queued is written,
    /// [`wants_shutdown`](Self::wants_shutdown) says so. For a sink this
    /// asks for the summary; for a message it is the message's end.
    pub fn finish_sending(&mut self) {
        self.finishing = true;
    }

    /// True once [`finish_sending`](Self::finish_sending) was called and
    /// every byte was written: shut the socket's write side down, then call
    /// [`shut_down`](Self::shut_down).
    pub fn wants_shutdown(&self) -> bool {
        self.finishing && !self.write_shut && self.unsent == 0
    }

    /// The driver shut the write side down.
    pub fn shut_down(&mut self) {
        self.write_shut = true;
    }

    /// True while bytes wait to be written.
    pub fn wants_write(&self) -> bool {
        !self.out.is_empty()
    }

    /// Bytes to write now: at most [`OUTPUT_CHUNK`] and a header.
    pub fn output(&self) -> &[u8] {
        self.out.as_slice()
    }

    /// The socket took `n` bytes of [`output`](Self::output); the next are staged.
    pub fn wrote(&mut self, n: usize) {
        let n = n.min(self.out.len());
        self.out.consume(n);
        self.unsent -= n as u64;
        self.stage();
    }

    /// Bytes sent with [`send`](Self::send) that the socket has not taken
    /// yet (0: every request left; a sink times a frame from then).
    pub fn unsent(&self) -> u64 {
        self.unsent
    }

    /// Echo requests whose answers are owed.
    pub fn in_flight(&self) -> usize {
        self.owed.len()
    }

    /// True while the server owes something: an echo answer, the sink's
    /// summary (once asked for), or the message's confirming close.
    pub fn owes_answer(&self) -> bool {
        !self.owed.is_empty()
            || (self.finishing && self.service != Service::Echo && !self.summary_done)
    }

    /// True when a blocking driver should wait in a read: the connection is
    /// open and something is owed. (An event loop reads on every readable
    /// event anyway, to see a close.)
    pub fn wants_read(&self) -> bool {
        !self.read_closed && self.owes_answer()
    }

    /// True once the server's end of stream was processed.
    pub fn read_closed(&self) -> bool {
        self.read_closed
    }

    /// True once the server closed and nothing is owed or left to write.
    pub fn is_finished(&self) -> bool {
        self.read_closed && !self.owes_answer() && self.out.is_empty()
    }

    /// True when [`next_event`](Self::next_event) has something.
    pub fn has_event(&self) -> bool {
        !self.events.is_empty()
    }

    /// What happened next, in order; `None` when nothing new.
    pub fn next_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// Bytes of buffer memory held now (for the memory tests).
    pub fn buffered_capacity(&self) -> usize {
        self.out.capacity() + self.inbuf.capacity()
    }

    /// Stages output up to [`OUTPUT_CHUNK`]: a frame's header and payload
    /// contiguous (one write for a small frame), pieces of a large one.
    fn stage(&mut self) {
        while self.out.len() < OUTPUT_CHUNK {
            let (payload, offset) = match self.staging.take() {
                Some(s) => s,
                None => {
                    let Some(next) = self.queued.pop_front() else {
                        break;
                    };
                    if self.service != Service::Message {
                        let head = header(next.len()).expect("checked by send");
                        self.out.extend_from_slice(&head);
                    }
                    (next, 0)
                }
            };
            let piece = payload.piece(offset, OUTPUT_CHUNK.saturating_sub(self.out.len()));
            self.out.extend_from_slice(piece);
            if self.service == Service::Sink {
                self.tally.add_bytes(piece);
            }
            let offset = offset + piece.len();
            if offset < payload.len() {
                self.staging = Some((payload, offset));
            } else if self.service == Service::Sink {
                self.tally.end_frame();
            }
        }
        if self.out.is_empty() {
            self.out.release_if_empty(OUTPUT_KEEP);
        }
    }
}
