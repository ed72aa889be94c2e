//! What the non-blocking client's calls return (a distinct WouldBlock, as
//! Python raises `BlockingIOError`), the count of WouldBlocks met, and the
//! client's options.

use std::time::Duration;

use sockmodes_common::DEFAULT_MAX_FRAME;

#[cfg(doc)]
use super::NbClient;

/// Outcome of [`NbClient::try_send`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrySend {
    /// The kernel took this many bytes (possibly fewer than offered).
    Sent(usize),
    /// The send buffer is full: Python's `BlockingIOError`.
    WouldBlock,
}

/// Outcome of [`NbClient::try_recv`].
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

/// Options of the non-blocking client.
#[derive(Debug, Clone)]
pub struct NbOptions {
    /// Longest any convenience call waits in `poll` (`None`: no limit).
    /// Running out gives `TimeoutError`.
    pub timeout: Option<Duration>,
    /// Connection attempts to repeat after a refusal.
    pub retries: u32,
    /// Pause before the first retry; doubled after each, up to 2 s.
    pub retry_backoff: Duration,
    /// Set `TCP_NODELAY` once connected.
    pub nodelay: bool,
    /// Largest frame accepted from the server.
    pub max_frame: usize,
}

impl Default for NbOptions {
    fn default() -> Self {
        NbOptions {
            timeout: None,
            retries: 0,
            retry_backoff: Duration::from_millis(100),
            nodelay: true,
            max_frame: DEFAULT_MAX_FRAME,
        }
    }
}
