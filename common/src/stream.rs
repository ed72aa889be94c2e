//! Frames read as a stream: a payload is handed on piece by piece as it
//! arrives, never held whole.
//!
//! [`Decoder`](crate::frame::Decoder) waits for a whole frame before it
//! yields it, so a server that decodes with it holds up to `max_frame` bytes
//! per connection (16 MiB by default): 10,000 connections could ask for
//! 160 GiB. A server does not need whole frames: echo can send each piece
//! back as it comes, and sink can add each piece to its CRC-32. So the
//! servers read through a [`FrameReader`], which keeps only the header being
//! read (at most 4 bytes) and the count of payload bytes still to come, and
//! reports [`Piece`]s: a frame's start (with its length, checked against the
//! limit before any byte of it is accepted), payload bytes, and its end.
//!
//! The wire format is unchanged. What changes is what a torn frame means:
//! the first part of its payload may already have been echoed.

use crate::frame::{FrameError, HEADER_LEN};

/// What the reader found in the bytes it was fed.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// A header: a frame of this many payload bytes begins.
    Start(usize),
    /// Payload bytes of the current frame, in order.
    Payload(&'a [u8]),
    /// The current frame is complete.
    End,
}

/// Reads frames from a byte stream without buffering payloads.
#[derive(Debug, Clone)]
pub struct FrameReader {
    max_frame: usize,
    header: [u8; HEADER_LEN],
    /// Header bytes read so far (0 between frames).
    have: usize,
    /// Length of the current frame, once its header is complete.
    len: Option<usize>,
    /// Payload bytes of the current frame still to come.
    remaining: usize,
}

impl FrameReader {
    /// A reader that accepts payloads up to `max_frame` bytes.
    pub fn new(max_frame: usize) -> Self {
        FrameReader {
            max_frame,
            header: [0; HEADER_LEN],
            have: 0,
            len: None,
            remaining: 0,
        }
    }

    /// The largest payload accepted.
    pub fn max_frame(&self) -> usize {
        self.max_frame
    }

    /// True while inside a frame (header or payload partly read).
    pub fn in_frame(&self) -> bool {
        self.have > 0 || self.len.is_some()
    }

    /// Feeds bytes in any chunking; `on` gets every piece in order. Returns
    /// how many frames ended.
    ///
    /// # Errors
    /// [`FrameError::TooLarge`] as soon as a header announces more than the
    /// limit (nothing of that frame is passed on); or the first error `on`
    /// returns.
    pub fn feed<F>(&mut self, input: &[u8], on: F) -> Result<usize, FrameError>
    where
        F: FnMut(Piece<'_>) -> Result<(), FrameError>,
    {
        Ok(self.feed_inner(input, false, on)?.1)
    }

    /// Feeds bytes up to the end of the first frame that ends in them, and
    /// no further: returns how many bytes were taken and whether a frame
    /// ended. The session uses it to stop at a frame boundary while that
    /// frame's work is pending.
    ///
    /// # Errors
    /// As [`feed`](Self::feed).
    pub fn feed_one<F>(&mut self, input: &[u8], on: F) -> Result<(usize, bool), FrameError>
    where
        F: FnMut(Piece<'_>) -> Result<(), FrameError>,
    {
        let (rest, ended) = self.feed_inner(input, true, on)?;
        Ok((input.len() - rest, ended > 0))
    }

    /// As [`feed`](Self::feed), for a caller whose own rules fail with
    /// their own error type (the client session's echo check): `on`'s
    /// first error stops the feed and is returned.
    ///
    /// # Errors
    /// As [`feed`](Self::feed), a framing error converted into `E`.
    pub fn feed_with<F, E>(&mut self, input: &[u8], on: F) -> Result<usize, E>
    where
        F: FnMut(Piece<'_>) -> Result<(), E>,
        E: From<FrameError>,
    {
        Ok(self.feed_inner(input, false, on)?.1)
    }

    /// Returns the bytes left untaken (only with `stop_after_end`) and the
    /// frames ended.
    fn feed_inner<F, E>(
        &mut self,
        mut input: &[u8],
        stop_after_end: bool,
        mut on: F,
    ) -> Result<(usize, usize), E>
    where
        F: FnMut(Piece<'_>) -> Result<(), E>,
        E: From<FrameError>,
    {
        let mut ended = 0;
        while !input.is_empty() || self.len == Some(0) {
            match self.len {
                None => {
                    let take = (HEADER_LEN - self.have).min(input.len());
                    self.header[self.have..self.have + take].copy_from_slice(&input[..take]);
                    self.have += take;
                    input = &input[take..];
                    if self.have < HEADER_LEN {
                        break;
                    }
                    let len = u32::from_be_bytes(self.header) as usize;
                    FrameError::check(len, self.max_frame)?;
                    on(Piece::Start(len))?;
                    self.len = Some(len);
                    self.remaining = len;
                }
                Some(_) => {
                    let take = self.remaining.min(input.len());
                    if take > 0 {
                        on(Piece::Payload(&input[..take]))?;
                        input = &input[take..];
                        self.remaining -= take;
                    }
                    if self.remaining == 0 {
                        on(Piece::End)?;
                        ended += 1;
                        self.have = 0;
                        self.len = None;
                        if stop_after_end {
                            break;
                        }
                    }
                }
            }
        }
        Ok((input.len(), ended))
    }

    /// Checks the state at end of stream.
    ///
    /// # Errors
    /// [`FrameError::Torn`] inside a frame; between frames `Ok(())`.
    pub fn finish(&self) -> Result<(), FrameError> {
        if !self.in_frame() {
            return Ok(());
        }
        let (buffered, expected) = match self.len {
            Some(len) => (HEADER_LEN + len - self.remaining, HEADER_LEN + len),
            None => (self.have, 0),
        };
        Err(FrameError::Torn { buffered, expected })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::encode_frame;

    /// Every piece as an owned value, for comparing.
    #[derive(Debug, PartialEq, Eq)]
    enum Owned {
        Start(usize),
        Payload(Vec<u8>),
        End,
    }

    #[track_caller]
    fn pieces(r: &mut FrameReader, chunks: &[&[u8]]) -> Vec<Owned> {
        let mut out = Vec::new();
        for chunk in chunks {
            r.feed(chunk, |p| {
                out.push(match p {
                    Piece::Start(n) => Owned::Start(n),
                    Piece::Payload(b) => Owned::Payload(b.to_vec()),
                    Piece::End => Owned::End,
                });
                Ok(())
            })
            .unwrap();
        }
        out
    }

    #[test]
    fn a_frame_split_anywhere_comes_out_as_its_pieces() {
        let mut wire = Vec::new();
        encode_frame(&mut wire, b"hello").unwrap();
        encode_frame(&mut wire, b"").unwrap();
        let mut r = FrameReader::new(16);
        let got = pieces(&mut r, &[&wire[..2], &wire[2..6], &wire[6..]]);
        use Owned::*;
        assert_eq!(
            got,
            vec![
                Start(5),
                Payload(b"he".to_vec()),
                Payload(b"llo".to_vec()),
                End,
                Start(0),
                End
            ]
        );
        assert!(r.finish().is_ok());
    }

    #[test]
    fn an_oversized_header_is_refused_before_any_payload() {
        let mut r = FrameReader::new(4);
        let mut seen = 0;
        let e = r
            .feed(&[0, 0, 0, 5, 1, 2], |_| {
                seen += 1;
                Ok(())
            })
            .unwrap_err();
        assert_eq!(e, FrameError::TooLarge { len: 5, max: 4 });
        assert_eq!(seen, 0);
    }

    #[test]
    fn end_of_stream_inside_a_frame_is_torn() {
        let mut r = FrameReader::new(16);
        r.feed(&[0, 0], |_| Ok(())).unwrap();
        assert_eq!(
            r.finish(),
            Err(FrameError::Torn {
                buffered: 2,
                expected: 0
            })
        );
        r.feed(&[0, 8, 1, 2, 3], |_| Ok(())).unwrap();
        assert_eq!(
            r.finish(),
            Err(FrameError::Torn {
                buffered: 7,
                expected: 12
            })
        );
    }
}
