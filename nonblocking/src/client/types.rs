//! What the non-blocking client's calls return (a distinct WouldBlock, as
//! Python raises `BlockingIOError`) and the count of WouldBlocks met.

#[cfg(doc)]
use super::Client;

/// Outcome of [`Client::try_send`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrySend {
    /// The kernel took this many bytes (possibly fewer than offered).
    Sent(usize),
    /// The send buffer is full: Python's `BlockingIOError`.
    WouldBlock,
}

/// Outcome of [`Client::try_recv`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecv {
    /// This many bytes were received.
    Data(usize),
    /// Nothing to read now: Python's `BlockingIOError`.
    WouldBlock,
    /// The peer closed its side (Python's `recv` returns `b''`).
    Closed,
}

/// How many times each kind of call met WouldBlock: each is a moment where
/// Python would have raised `BlockingIOError`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WouldBlockCounts {
    /// Connect checks that found the handshake still in progress (EINPROGRESS).
    pub connect: u64,
    /// Sends that found the send buffer full.
    pub send: u64,
    /// Receives that found nothing to read.
    pub recv: u64,
}
