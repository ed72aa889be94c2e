//! What a client sends: a payload shared by every request and every
//! connection, never copied per connection.
//!
//! Copied, a load of 100 connections of 16 MiB frames would hold the
//! payload, a frame made of it, and per connection a frame queued and a
//! reply: about 3.2 GB for 1.6 GB of traffic in flight. A [`Payload`] is either bytes
//! held once behind an `Arc` (a file chunk, a message), or a
//! [`pattern`](Payload::pattern) that is computed, not held: byte `i` is
//! `i % 251`. The pattern is what the load generator and `client echo`
//! send: position-dependent, so an answer with bytes out of place does not
//! compare equal, and 251 is prime, so no power-of-two chunking lines up
//! with its period. Its bytes come from one static table, so a piece of it
//! is a slice, and comparing an answer with it is `memcmp`.

use std::sync::Arc;

/// The period of [`Payload::pattern`].
pub const PATTERN_PERIOD: usize = 251;

/// The longest piece [`Payload::piece`] hands out at once.
///
/// Why 64 KiB: the session stages output in pieces of this size (see
/// `OUTPUT_CHUNK`), and a longer one would only make the static table
/// bigger.
pub const PIECE_MAX: usize = 64 * 1024;

/// The pattern from every offset of its period on, for [`PIECE_MAX`]
/// bytes: 65,787 bytes, once per process (in the binary, not the heap).
static PATTERN: [u8; PATTERN_PERIOD + PIECE_MAX] = pattern_table();

const fn pattern_table() -> [u8; PATTERN_PERIOD + PIECE_MAX] {
    let mut t = [0u8; PATTERN_PERIOD + PIECE_MAX];
    let mut i = 0;
    while i < t.len() {
        t[i] = (i % PATTERN_PERIOD) as u8;
        i += 1;
    }
    t
}

/// A frame's payload: shared bytes or the computed pattern. Cloning it
/// costs a reference count at most.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// These bytes, held once.
    Bytes(Arc<[u8]>),
    /// `len` bytes of the pattern (byte `i` is `i % 251`), held nowhere.
    Pattern(usize),
}

impl Payload {
    /// `len` bytes of the pattern.
    pub fn pattern(len: usize) -> Payload {
        Payload::Pattern(len)
    }

    /// A payload of these bytes (one copy, shared from then on).
    pub fn bytes(bytes: &[u8]) -> Payload {
        Payload::Bytes(Arc::from(bytes))
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        match self {
            Payload::Bytes(b) => b.len(),
            Payload::Pattern(len) => *len,
        }
    }

    /// True for an empty payload.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes from `offset` on, at most `max` of them and at most
    /// [`PIECE_MAX`] (a pattern's piece); empty at or past the end.
    pub fn piece(&self, offset: usize, max: usize) -> &[u8] {
        let n = self.len().saturating_sub(offset).min(max);
        match self {
            Payload::Bytes(b) => &b[offset.min(b.len())..][..n],
            Payload::Pattern(_) => {
                let from = offset % PATTERN_PERIOD;
                &PATTERN[from..from + n.min(PIECE_MAX)]
            }
        }
    }

    /// Where `got`, read from `offset` on, first differs from the payload
    /// (an index into `got`); `None` when it matches. Bytes past the end
    /// differ.
    pub fn first_diff(&self, offset: usize, got: &[u8]) -> Option<usize> {
        let mut at = 0;
        while at < got.len() {
            let want = self.piece(offset + at, got.len() - at);
            if want.is_empty() {
                return Some(at);
            }
            let have = &got[at..at + want.len()];
            if have != want {
                return Some(at + want.iter().zip(have).position(|(a, b)| a != b)?);
            }
            at += want.len();
        }
        None
    }

    /// The whole payload as one vector (tests, and callers that need it
    /// whole; the session never does).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.len());
        while v.len() < self.len() {
            v.extend_from_slice(self.piece(v.len(), usize::MAX));
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pattern_is_i_mod_251_in_every_piece() {
        let p = Payload::pattern(200_000);
        let whole = p.to_vec();
        assert_eq!(whole.len(), 200_000);
        assert!(whole.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
        assert_eq!(p.piece(199_990, 100).len(), 10);
        assert!(p.piece(200_000, 100).is_empty());
        assert_eq!(p.piece(0, usize::MAX).len(), PIECE_MAX);
    }

    #[test]
    fn first_diff_finds_the_first_wrong_byte_across_pieces() {
        let p = Payload::pattern(150_000);
        let mut got = p.to_vec()[1000..].to_vec();
        assert_eq!(p.first_diff(1000, &got), None);
        got[100_000] ^= 1;
        assert_eq!(p.first_diff(1000, &got), Some(100_000));
        let b = Payload::bytes(b"hello");
        assert_eq!(b.first_diff(1, b"ell"), None);
        assert_eq!(b.first_diff(1, b"elp"), Some(2));
        assert_eq!(b.first_diff(3, b"lo!"), Some(2), "past the end differs");
    }
}
