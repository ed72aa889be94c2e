//! The wire format: a frame is a 4-byte big-endian payload length `L`, then
//! `L` payload bytes, with `0 <= L <= max_frame`.
//!
//! TCP delivers a byte stream, not messages: one `send` can arrive in several
//! reads and several sends in one. The length prefix puts the messages back
//! together. [`Decoder`] is incremental: feed it bytes in any chunking and it
//! yields complete frames in order. "Not enough bytes yet" is `Ok(None)`, not an
//! error; a length above `max_frame` is rejected as soon as the header is seen,
//! before any memory is reserved for it; and [`Decoder::finish`] tells a clean
//! end of stream (between frames) from a torn frame (end of stream inside one).
//!
//! To encode, [`encode_frame`] appends header and payload to ONE buffer so that
//! a driver sends them in one write. Two small writes (header, then payload)
//! meet Nagle's algorithm on one end and delayed ACK on the other, when the
//! other end answers only once the whole frame is in: measured here at 44 to
//! 88 ms per round trip instead of tens of microseconds (`sockmodes demo`,
//! step 7).

use crate::buffer::ByteQueue;

/// Bytes in a frame header.
pub const HEADER_LEN: usize = 4;

/// Default largest payload accepted: 16 MiB.
///
/// Why: large enough for the benches' 1 MiB frames and for files streamed in
/// frames, small enough that a hostile header cannot make a server reserve
/// gigabytes. Configurable per connection.
pub const DEFAULT_MAX_FRAME: usize = 16 * 1024 * 1024;

/// How much room the decoder offers a read when it does not yet know the
/// length of the next frame.
///
/// Why 16 KiB: many small frames fit in one read (one syscall for a burst),
/// while an idle connection's buffer stays small.
pub const READ_CHUNK: usize = 16 * 1024;

/// A frame-level protocol error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// A header announced a payload longer than the connection allows.
    #[error("frame of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// Announced payload length.
        len: u64,
        /// The connection's limit.
        max: u64,
    },
    /// The stream ended inside a frame.
    #[error("connection closed inside a frame: {buffered} of {expected} bytes received")]
    Torn {
        /// Bytes of the frame (header included) that did arrive.
        buffered: usize,
        /// Bytes the frame needed (header included), when the header was complete.
        expected: usize,
    },
}

impl FrameError {
    /// [`FrameError::TooLarge`] when an announced `len` is over `max`
    /// (checked as soon as the header is seen, before any byte is taken).
    pub(crate) fn check(len: usize, max: usize) -> Result<(), FrameError> {
        if len > max {
            let (len, max) = (len as u64, max as u64);
            return Err(FrameError::TooLarge { len, max });
        }
        Ok(())
    }
}

/// The 4-byte header for a payload of `len` bytes.
///
/// # Errors
/// [`FrameError::TooLarge`] when `len` does not fit in 32 bits.
pub fn header(len: usize) -> Result<[u8; HEADER_LEN], FrameError> {
    u32::try_from(len)
        .map(u32::to_be_bytes)
        .map_err(|_| FrameError::TooLarge {
            len: len as u64,
            max: u64::from(u32::MAX),
        })
}

/// Appends header and payload to `out`, contiguous, ready for one write.
///
/// # Errors
/// [`FrameError::TooLarge`] when the payload does not fit in a frame.
pub fn encode_frame(out: &mut Vec<u8>, payload: &[u8]) -> Result<(), FrameError> {
    out.reserve(HEADER_LEN + payload.len());
    out.extend_from_slice(&header(payload.len())?);
    out.extend_from_slice(payload);
    Ok(())
}

/// Incremental frame decoder: bytes in, frames out, no I/O.
#[derive(Debug)]
pub struct Decoder {
    buf: ByteQueue,
    max_frame: usize,
}

impl Decoder {
    /// A decoder that accepts payloads up to `max_frame` bytes.
    pub fn new(max_frame: usize) -> Self {
        Decoder {
            buf: ByteQueue::new(),
            max_frame,
        }
    }

    /// Bytes of memory the decoder owns.
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Copies `bytes` in (for callers that read elsewhere first).
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Room to read into directly; follow with [`filled`](Self::filled).
    ///
    /// When the next frame's length is known, the room covers the rest of that
    /// frame so a large frame arrives in as few reads as the socket allows;
    /// otherwise it is [`READ_CHUNK`]. A length over the limit offers only a
    /// chunk: [`next_frame`](Self::next_frame) rejects it before anything grows.
    pub fn read_space(&mut self) -> &mut [u8] {
        let want = match self.announced_len() {
            Some(len) if len <= self.max_frame => (HEADER_LEN + len)
                .saturating_sub(self.buf.len())
                .max(READ_CHUNK),
            _ => READ_CHUNK,
        };
        self.buf.spare(want)
    }

    /// Records that `n` bytes were read into [`read_space`](Self::read_space).
    pub fn filled(&mut self, n: usize) {
        self.buf.filled(n);
    }

    fn announced_len(&self) -> Option<usize> {
        let bytes = self.buf.as_slice();
        let head: [u8; HEADER_LEN] = bytes.get(..HEADER_LEN)?.try_into().ok()?;
        Some(u32::from_be_bytes(head) as usize)
    }

    /// The next complete frame's payload, `Ok(None)` when more bytes are needed.
    ///
    /// The returned slice borrows the decoder's buffer; the decoder has already
    /// advanced past the frame.
    ///
    /// # Errors
    /// [`FrameError::TooLarge`] as soon as a header announces more than
    /// `max_frame`; the decoder is then unusable for this connection.
    pub fn next_frame(&mut self) -> Result<Option<&[u8]>, FrameError> {
        let Some(len) = self.announced_len() else {
            return Ok(None);
        };
        FrameError::check(len, self.max_frame)?;
        let total = HEADER_LEN + len;
        if self.buf.len() < total {
            return Ok(None);
        }
        // `consume` only moves the cursor, so the payload stays in place until
        // the next call that adds bytes: no copy on the way out.
        let start = self.buf.start();
        self.buf.consume(total);
        Ok(Some(&self.buf.storage()[start + HEADER_LEN..start + total]))
    }

    /// Decodes every complete frame in `input`, calling `on_frame` for each in
    /// order, and keeps an incomplete tail for the next call. Returns the
    /// number of frames.
    ///
    /// With nothing buffered, frames are handed out straight from `input`
    /// (a driver's shared scratch buffer): no copy, and a connection between
    /// frames owns no buffer at all.
    ///
    /// # Errors
    /// [`FrameError::TooLarge`] as soon as a header announces more than the
    /// limit; or the first error `on_frame` returns.
    pub fn feed<F>(&mut self, mut input: &[u8], mut on_frame: F) -> Result<usize, FrameError>
    where
        F: FnMut(&[u8]) -> Result<(), FrameError>,
    {
        let mut frames = 0;
        if !self.buf.is_empty() {
            // Complete the pending frame; the rest goes through the buffer too
            // (simple, and rare: only the read that finishes a split frame).
            self.push(input);
            while let Some(frame) = self.next_frame()? {
                on_frame(frame)?;
                frames += 1;
            }
            // Free the buffer once no partial frame is left: an idle
            // connection holds none.
            self.buf.release_if_empty(0);
            return Ok(frames);
        }
        while let Some(head) = input.get(..HEADER_LEN) {
            let len = u32::from_be_bytes(head.try_into().expect("4 bytes")) as usize;
            FrameError::check(len, self.max_frame)?;
            let Some(payload) = input.get(HEADER_LEN..HEADER_LEN + len) else {
                break;
            };
            on_frame(payload)?;
            frames += 1;
            input = &input[HEADER_LEN + len..];
        }
        if !input.is_empty() {
            self.push(input);
        }
        Ok(frames)
    }

    /// Checks the state at end of stream.
    ///
    /// # Errors
    /// [`FrameError::Torn`] when bytes of an incomplete frame are buffered; a
    /// clean end (between frames) is `Ok(())`.
    pub fn finish(&self) -> Result<(), FrameError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        Err(FrameError::Torn {
            buffered: self.buf.len(),
            expected: self.announced_len().map_or(0, |l| l + HEADER_LEN),
        })
    }
}
