//! One connection's share of a turn of an event loop, server or client.
//!
//! Readiness says which sockets can move bytes, not how many: a socket
//! whose peer keeps its buffers full is readable (or writable) again as
//! soon as it was drained, and "drain until `WouldBlock`" then serves that
//! one socket for as long as its peer keeps up, while every other socket of
//! the loop waits. So each connection gets a [`Budget`] per turn, like
//! tokio's cooperative budget: at most [`READ_BUDGET`] reads and
//! [`TURN_BYTES`] bytes moved (read plus written). A connection that
//! spends it with bytes left either way goes on a requeue list, and the
//! loop comes back to it after the others, without waiting for an event
//! (edge-triggered readiness would announce nothing new: the bytes were
//! already there). Every busy connection then moves about the same bytes
//! per turn, whatever its socket buffers hold.
//!
//! The event-loop server (`nonblocking/src/conn.rs`), tokio's connection
//! tasks (`tokio/src/connection.rs`, which yield after [`TURN_BYTES`]) and
//! the many-connection client (`nonblocking/src/multi/`) all spend it:
//! either side draining one socket unbounded starves the connections
//! behind it, and the load generator measures what its client lets through
//! as much as what the server does.

/// Reads per turn before yielding to other connections.
///
/// Why 16: a peer sending small frames gets 16 reads' worth of them per
/// turn (each read may hold hundreds of frames), enough to keep one fast
/// sender near full speed while a thousand others still get a turn every
/// few milliseconds.
pub const READ_BUDGET: usize = 16;

/// Bytes a connection may move in one turn (read plus written) before
/// yielding to the others.
///
/// Why 256 KiB: about 128 KiB each way for an echo, two of the largest
/// reads (64 KiB), so a large frame still moves in big system calls; and
/// the same share for every connection whatever its socket buffers hold
/// (counting reads alone, a connection whose buffers were full could take
/// 16 reads of 64 KiB a turn while another took one).
pub const TURN_BYTES: usize = 256 * 1024;

/// What a connection has left to spend in this turn of the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Reads left.
    pub reads: usize,
    /// Bytes left to move, read plus written.
    pub bytes: usize,
}

impl Budget {
    /// A whole turn's share.
    pub const FULL: Budget = Budget {
        reads: READ_BUDGET,
        bytes: TURN_BYTES,
    };

    /// As much of `len` as the turn still allows: the size of the next
    /// read or write.
    pub fn cap(&self, len: usize) -> usize {
        len.min(self.bytes)
    }

    /// A read is about to be made.
    pub fn read(&mut self) {
        self.reads = self.reads.saturating_sub(1);
    }

    /// `bytes` moved, either way.
    pub fn spend(&mut self, bytes: usize) {
        self.bytes = self.bytes.saturating_sub(bytes);
    }

    /// Nothing left: the connection yields to the others.
    pub fn spent(&self) -> bool {
        self.reads == 0 || self.bytes == 0
    }
}

/// The connections a loop drives once more in its next turn, after the
/// others: each at most once, however often it spent its budget meanwhile.
/// Queued once per drive instead, a busy connection that also had an event
/// would come back twice the next turn, then three times, gaining a share
/// each turn, while one that the kernel holds to a small receive window
/// never spends its budget and keeps one share.
#[derive(Debug, Default)]
pub struct Requeue {
    keys: Vec<usize>,
}

impl Requeue {
    /// Queues `key` unless `queued`, the connection's own mark, says it is
    /// there already; marks it.
    pub fn push(&mut self, key: usize, queued: &mut bool) {
        if !*queued {
            *queued = true;
            self.keys.push(key);
        }
    }

    /// True when no connection waits for the next turn.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// This turn's list, emptied; the loop clears each connection's mark
    /// as it drives it (a key whose connection closed meanwhile may name a
    /// newer one: its mark says whether it was queued).
    pub fn take(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_is_queued_once_however_often_it_spent_its_budget() {
        let mut q = Requeue::default();
        let (mut busy, mut other) = (false, false);
        q.push(3, &mut busy); // spent its budget on an event
        q.push(3, &mut busy); // and again in the requeue pass
        q.push(5, &mut other);
        assert!(busy && other);
        assert_eq!(q.take(), [3, 5]);
        assert!(q.is_empty());
        // Its mark cleared as it is driven, it may be queued for the next turn.
        busy = false;
        q.push(3, &mut busy);
        assert_eq!(q.take(), [3]);
    }

    #[test]
    fn a_turn_ends_at_its_bytes_whichever_way_they_moved() {
        let mut b = Budget::FULL;
        b.spend(TURN_BYTES / 2); // read
        assert!(!b.spent());
        assert_eq!(
            b.cap(1 << 20),
            TURN_BYTES / 2,
            "a write is cut to what is left"
        );
        b.spend(TURN_BYTES / 2); // written
        assert!(b.spent());
        assert_eq!(b.cap(64), 0);
    }

    #[test]
    fn a_turn_ends_at_its_reads_however_small() {
        let mut b = Budget::FULL;
        for _ in 0..READ_BUDGET {
            assert!(!b.spent());
            b.read();
            b.spend(1);
        }
        assert!(b.spent());
        assert!(b.bytes > 0, "bytes were left; the reads ran out");
    }

    #[test]
    fn spending_past_the_share_stops_at_nothing_left() {
        let mut b = Budget::FULL;
        b.spend(TURN_BYTES * 3);
        b.read();
        assert_eq!(b.bytes, 0);
        assert!(b.spent());
        assert_eq!(b.cap(10), 0);
    }

    #[test]
    fn a_large_frame_moves_in_several_turns_of_one_share_each() {
        // A 16 MiB answer streaming in through 1 MiB reads: each turn takes
        // one share, however much the socket holds.
        let mut left = 16usize << 20;
        let mut turns = 0;
        while left > 0 {
            let mut b = Budget::FULL;
            while !b.spent() && left > 0 {
                let n = b.cap(1 << 20).min(left);
                b.read();
                b.spend(n);
                left -= n;
            }
            turns += 1;
        }
        assert_eq!(turns, (16 << 20) / TURN_BYTES);
    }
}
