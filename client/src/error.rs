//! What can go wrong for a client, the same for every model, and the checks a
//! client makes on the server's answers.

use core::net::SocketAddr;

use sockmodes_common::client_session::ClientSessionError;
use sockmodes_common::frame::FrameError;
use sockmodes_common::summary::{SinkSummary, SinkTally, SummaryLenError};
use sockmodes_python::pyerror::{PyException, SocketError};

/// A client operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A socket call failed (refused, reset, timed out, ...), classified.
    #[error(transparent)]
    Socket(#[from] SocketError),
    /// The server sent bytes that break the protocol.
    #[error("protocol error from {addr}: {source}")]
    Protocol {
        /// The server.
        addr: SocketAddr,
        /// What was wrong.
        source: FrameError,
    },
    /// The sink summary had the wrong size.
    #[error("protocol error from {addr}: {source}; is it a sink server? (an echo server sends every frame back)")]
    BadSummary {
        /// The server.
        addr: SocketAddr,
        /// What was wrong.
        source: SummaryLenError,
    },
    /// The server closed the connection where an answer was due.
    #[error("EOFError: {addr} closed the connection before answering")]
    Closed {
        /// The server.
        addr: SocketAddr,
    },
    /// The sink summary disagrees with what was sent.
    #[error("sink summary from {addr} does not match: sent {sent_frames} frames, {sent_bytes} bytes, CRC-32 {sent_crc:08x}; server counted {got_frames} frames, {got_bytes} bytes, CRC-32 {got_crc:08x}",
        sent_frames = sent.frames, sent_bytes = sent.bytes, sent_crc = sent.crc32,
        got_frames = got.frames, got_bytes = got.bytes, got_crc = got.crc32)]
    SinkMismatch {
        /// The server.
        addr: SocketAddr,
        /// What the client sent.
        sent: SinkSummary,
        /// What the server counted.
        got: SinkSummary,
    },
    /// An echo reply differs from the request.
    #[error("echo from {addr} differs: sent {sent_len} bytes, got {got_len} bytes back{}",
        first_diff.map(|i| format!(", first difference at byte {i}")).unwrap_or_default())]
    EchoMismatch {
        /// The server.
        addr: SocketAddr,
        /// Bytes sent.
        sent_len: usize,
        /// Bytes received.
        got_len: usize,
        /// First differing offset within the common length.
        first_diff: Option<usize>,
    },
    /// An answer came when none was owed.
    #[error("protocol error from {addr}: an answer of {len} bytes to no request")]
    Unasked {
        /// The server.
        addr: SocketAddr,
        /// The answer's payload length.
        len: usize,
    },
    /// A payload larger than the frame limit.
    #[error("payload of {len} bytes exceeds the frame limit of {max} bytes (raise --max-frame on both ends)")]
    TooLarge {
        /// Payload length.
        len: usize,
        /// The limit.
        max: usize,
    },
}

impl ClientError {
    /// The Python exception for socket failures.
    pub fn exception(&self) -> Option<PyException> {
        match self {
            ClientError::Socket(e) => Some(e.exception),
            ClientError::Closed { .. } => Some(PyException::UnexpectedEof),
            _ => None,
        }
    }
}

/// A rule the server broke, named with the server's address: the error a
/// client driver returns.
pub trait AtServer {
    /// The same failure as a [`ClientError`] naming the server at `addr`
    /// (the text a person reads).
    fn at(self, addr: SocketAddr) -> ClientError;
}

impl AtServer for ClientSessionError {
    fn at(self, addr: SocketAddr) -> ClientError {
        use ClientError as E;
        match self {
            ClientSessionError::Frame(source) => E::Protocol { addr, source },
            ClientSessionError::EchoMismatch {
                sent_len,
                got_len,
                first_diff,
                ..
            } => E::EchoMismatch {
                addr,
                sent_len,
                got_len,
                first_diff,
            },
            ClientSessionError::Unasked { len } => E::Unasked { addr, len },
            ClientSessionError::BadSummary(source) => E::BadSummary { addr, source },
            ClientSessionError::SinkMismatch { sent, got } => E::SinkMismatch { addr, sent, got },
            ClientSessionError::Closed => E::Closed { addr },
            ClientSessionError::TooLarge { len } => E::TooLarge {
                len,
                max: u32::MAX as usize,
            },
        }
    }
}

/// What a client knows after sending a `message`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageReceipt {
    /// Bytes sent.
    pub bytes: usize,
    /// The server closed the connection cleanly after reading to the end.
    pub confirmed: bool,
}

/// How long a client waits, after sending a `message` and shutting down its
/// write side, for the server's close that confirms it was taken.
///
/// Why 1 s: our servers and Python's close at once; a server such as `nc -l`
/// that never closes must not hang the client.
pub const CONFIRM_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// The wait for that close under a client's `timeout`: [`CONFIRM_WAIT`],
/// or the timeout when it is shorter (what both clients wait, and what the
/// command says it waited).
pub fn confirm_wait(timeout: Option<std::time::Duration>) -> std::time::Duration {
    timeout.map_or(CONFIRM_WAIT, |t| t.min(CONFIRM_WAIT))
}

/// Longest pause between connection retries.
///
/// Why 2 s: a server started a little after its client is found within a
/// few retries; a longer pause only makes a student wait for nothing.
pub const MAX_BACKOFF: std::time::Duration = std::time::Duration::from_secs(2);

/// True when `e` is the refusal a client started before its server meets
/// (`ConnectionRefusedError`): the one failure worth retrying.
pub fn is_refused(e: &ClientError) -> bool {
    e.exception() == Some(PyException::ConnectionRefusedError)
}

/// Connects with `attempt`, repeating a refused attempt up to `retries`
/// times: `sleep` is given `first`, then double the last pause, at most
/// [`MAX_BACKOFF`]. Every client connects through this, so their retries
/// agree; the driver owns the clock (`sleep`), this owns the policy.
///
/// # Errors
/// The last attempt's failure, or the first that was not a refusal.
pub fn retry_refused<T>(
    addr: SocketAddr,
    first: std::time::Duration,
    retries: u32,
    mut attempt: impl FnMut() -> Result<T, ClientError>,
    mut sleep: impl FnMut(std::time::Duration),
) -> Result<T, ClientError> {
    let (mut wait, mut retried) = (first, 0);
    loop {
        match attempt() {
            Err(e) if is_refused(&e) && retried < retries => {
                retried += 1;
                tracing::info!(%addr, attempt = retried, of = retries, ?wait, "connection refused; retrying");
                sleep(wait);
                wait = (wait * 2).min(MAX_BACKOFF);
            }
            other => return other,
        }
    }
}

/// Sends every frame with `send`, counting each in a [`SinkTally`] so the
/// server's summary can be checked: the loop every client's sink upload shares.
///
/// # Errors
/// The first error `send` returns.
pub fn send_counted<'a, E>(
    frames: impl IntoIterator<Item = &'a [u8]>,
    mut send: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<SinkTally, E> {
    let mut tally = SinkTally::new();
    for frame in frames {
        send(frame)?;
        tally.add(frame);
    }
    Ok(tally)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Compares an echo reply with its request.
    ///
    /// # Errors
    /// [`ClientError::EchoMismatch`] naming the first differing byte.
    fn check_echo(addr: SocketAddr, sent: &[u8], got: &[u8]) -> Result<(), ClientError> {
        if sent == got {
            return Ok(());
        }
        Err(ClientError::EchoMismatch {
            addr,
            sent_len: sent.len(),
            got_len: got.len(),
            first_diff: sent.iter().zip(got).position(|(a, b)| a != b),
        })
    }

    /// Parses the server's sink summary and compares it with what was sent.
    ///
    /// # Errors
    /// [`ClientError::BadSummary`] or [`ClientError::SinkMismatch`].
    fn check_sink(
        addr: SocketAddr,
        sent: SinkSummary,
        payload: &[u8],
    ) -> Result<SinkSummary, ClientError> {
        let got = SinkSummary::decode(payload)
            .map_err(|source| ClientError::BadSummary { addr, source })?;
        if got != sent {
            return Err(ClientError::SinkMismatch { addr, sent, got });
        }
        Ok(got)
    }

    #[test]
    fn a_broken_rule_names_the_server_and_the_first_difference() {
        let e = ClientSessionError::EchoMismatch {
            seq: 0,
            sent_len: 100_000,
            got_len: 100_000,
            first_diff: Some(70_000),
        };
        let text = e.at("127.0.0.1:1".parse().unwrap()).to_string();
        assert!(text.contains("first difference at byte 70000"), "{text}");
        assert!(text.contains("127.0.0.1:1"), "{text}");
    }

    #[test]
    fn echo_mismatch_names_the_first_difference() {
        let addr = "127.0.0.1:1".parse().unwrap();
        assert!(check_echo(addr, b"abc", b"abc").is_ok());
        let e = check_echo(addr, b"abc", b"abd").unwrap_err();
        assert!(e.to_string().contains("first difference at byte 2"), "{e}");
    }

    #[test]
    fn sink_mismatch_is_reported() {
        let addr = "127.0.0.1:1".parse().unwrap();
        let sent = SinkSummary {
            frames: 1,
            bytes: 2,
            crc32: 3,
        };
        assert_eq!(check_sink(addr, sent, &sent.encode()).unwrap(), sent);
        let other = SinkSummary {
            frames: 1,
            bytes: 2,
            crc32: 4,
        };
        assert!(matches!(
            check_sink(addr, sent, &other.encode()),
            Err(ClientError::SinkMismatch { .. })
        ));
        assert!(matches!(
            check_sink(addr, sent, b"short"),
            Err(ClientError::BadSummary { .. })
        ));
    }
}
