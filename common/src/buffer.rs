//! A byte buffer with a read cursor: the storage under the decoder and the
//! outbound queue.
//!
//! Bytes are appended at `end` and consumed from `start`; consuming only moves
//! the cursor (no copy), and the unread tail is moved to the front only when
//! room is needed. This is the "connection owns its buffer and advances past
//! each frame" shape of mini-redis, without the `bytes` crate.

/// Read buffers larger than this are freed, not kept, once they are empty.
///
/// Why: a connection that once carried a 16 MiB frame should not keep 16 MiB
/// for the rest of its life, but freeing a small buffer after every frame would
/// cost an allocation (and a zero-fill) per round trip on the hot path.
pub const KEEP_CAPACITY: usize = 256 * 1024;

/// Growable byte queue: append at the back, consume from the front.
#[derive(Debug, Default)]
pub struct ByteQueue {
    /// Backing storage; `buf.len()` is the initialized size, not the fill.
    buf: Vec<u8>,
    /// First unconsumed byte.
    start: usize,
    /// One past the last filled byte.
    end: usize,
}

impl ByteQueue {
    /// An empty queue that owns no memory yet.
    pub const fn new() -> Self {
        ByteQueue {
            buf: Vec::new(),
            start: 0,
            end: 0,
        }
    }

    /// The unconsumed bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// How many unconsumed bytes there are.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// True when no unconsumed bytes are held.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Bytes of memory owned (for memory accounting and tests).
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Marks `n` bytes at the front as consumed.
    ///
    /// # Panics
    /// If `n` exceeds [`len`](Self::len): that is a bug in the caller.
    ///
    /// Only the cursor moves: bytes just consumed stay readable through
    /// [`storage`](Self::storage) until the next call that adds bytes.
    pub fn consume(&mut self, n: usize) {
        assert!(n <= self.len(), "consumed more than was buffered");
        self.start += n;
    }

    /// The whole backing storage, consumed bytes included.
    pub fn storage(&self) -> &[u8] {
        &self.buf
    }

    /// Index of the first unconsumed byte in [`storage`](Self::storage).
    pub fn start(&self) -> usize {
        self.start
    }

    /// When empty, rewinds the cursors and frees storage over `keep` bytes
    /// (`0`: free whatever the size).
    pub fn release_if_empty(&mut self, keep: usize) {
        if self.is_empty() {
            self.start = 0;
            self.end = 0;
            if self.buf.len() > keep {
                self.buf = Vec::new();
            }
        }
    }

    /// Returns at least `want` writable bytes after the filled part; follow
    /// with [`filled`](Self::filled) to say how many were written.
    pub fn spare(&mut self, want: usize) -> &mut [u8] {
        self.spare_within(want, usize::MAX)
    }

    /// As [`spare`](Self::spare), growing the storage to at most `limit`
    /// bytes (or just what is needed, if that is more): a buffer that
    /// holds one bounded message grows by doubling like any other, but
    /// never past its bound, so a 500 MiB message under a 512 MiB limit
    /// never reserves 1 GiB.
    pub fn spare_within(&mut self, want: usize, limit: usize) -> &mut [u8] {
        if want <= KEEP_CAPACITY {
            self.release_if_empty(KEEP_CAPACITY);
        } else if self.is_empty() {
            self.start = 0;
            self.end = 0;
        }
        if self.buf.len() - self.end < want {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if self.buf.len() - self.end < want {
                // Grow to what is needed, at least doubling so that a stream of
                // small appends costs amortised O(1) per byte.
                let needed = self.end + want;
                let new_len = needed.max(self.buf.len().saturating_mul(2).min(limit));
                // Exactly: `resize` alone would round the allocation up to
                // twice the old one, past the limit.
                self.buf.reserve_exact(new_len - self.buf.len());
                self.buf.resize(new_len, 0);
            }
        }
        &mut self.buf[self.end..]
    }

    /// Records that `n` bytes were written into the slice [`spare`](Self::spare) returned.
    ///
    /// # Panics
    /// If `n` exceeds that slice's length: that is a bug in the caller.
    pub fn filled(&mut self, n: usize) {
        assert!(
            self.end + n <= self.buf.len(),
            "filled past the spare space"
        );
        self.end += n;
    }

    /// Appends a copy of `bytes`.
    ///
    /// Unlike [`spare`](Self::spare) this never zero-fills new memory (it is
    /// a plain `Vec` append), so an output queue that is freed whenever it
    /// empties costs an allocation, not an allocation plus a memset.
    pub fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.buf.truncate(self.end);
        if self.start > 0 && self.buf.capacity() - self.end < bytes.len() {
            self.buf.drain(..self.start);
            self.end -= self.start;
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
        self.end = self.buf.len();
    }

    /// Removes and returns every unconsumed byte: the storage itself,
    /// moved out, not a copy (a copy would hold a large message twice).
    pub fn take_all(&mut self) -> Vec<u8> {
        let mut out = std::mem::take(&mut self.buf);
        out.truncate(self.end);
        out.drain(..self.start);
        self.start = 0;
        self.end = 0;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bounded_buffer_never_doubles_past_its_limit_and_is_taken_without_a_copy() {
        let limit = 3 << 20;
        let mut q = ByteQueue::new();
        while q.len() < limit {
            let room = (limit - q.len()).min(16 * 1024);
            let n = q.spare_within(room, limit)[..room].len();
            q.filled(n);
            assert!(q.capacity() <= limit, "grew to {}", q.capacity());
        }
        let at = q.storage().as_ptr();
        let taken = q.take_all();
        assert_eq!(taken.len(), limit);
        assert_eq!(taken.as_ptr(), at, "moved out, not copied");
        assert!(q.is_empty() && q.capacity() == 0);
        let mut q = ByteQueue::new();
        q.extend_from_slice(b"xxhello");
        q.consume(2);
        assert_eq!(q.take_all(), b"hello");
    }

    #[test]
    fn append_consume_and_compact() {
        let mut q = ByteQueue::new();
        q.extend_from_slice(b"hello ");
        q.extend_from_slice(b"world");
        q.consume(6);
        assert_eq!(q.as_slice(), b"world");
        let cap = q.capacity();
        // Asking for room moves the tail to the front instead of growing.
        q.spare(cap - 5);
        assert_eq!(q.capacity(), cap);
        assert_eq!(q.as_slice(), b"world");
    }

    #[test]
    fn large_buffers_are_freed_when_empty() {
        let mut q = ByteQueue::new();
        q.extend_from_slice(&vec![7u8; KEEP_CAPACITY + 1]);
        q.consume(KEEP_CAPACITY + 1);
        q.release_if_empty(KEEP_CAPACITY);
        assert_eq!(q.capacity(), 0);
        q.extend_from_slice(b"x");
        q.consume(1);
        q.release_if_empty(KEEP_CAPACITY);
        assert!(q.capacity() > 0, "small buffers are kept for reuse");
        q.release_if_empty(0);
        assert_eq!(q.capacity(), 0, "keep 0 frees whatever the size");
    }
}
