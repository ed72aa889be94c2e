//! How any client connects and waits: one type for the blocking, mio and
//! io_uring clients alike, so the command, the registry and the load
//! generator hand every model the same settings.

use std::time::Duration;

use sockmodes_common::DEFAULT_MAX_FRAME;
use sockmodes_python::SocketMode;

/// How a client connects and waits.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// Longest wait of any call (`None`: as long as it takes). Running
    /// out gives `TimeoutError`.
    pub timeout: Option<Duration>,
    /// Connection attempts to repeat after a refusal (0: fail at once).
    pub retries: u32,
    /// Pause before the first retry; doubled after each, up to
    /// [`MAX_BACKOFF`](crate::error::MAX_BACKOFF).
    pub retry_backoff: Duration,
    /// Set `TCP_NODELAY` (one frame, one segment).
    pub nodelay: bool,
    /// Largest frame accepted from the server.
    pub max_frame: usize,
}

impl Default for ClientSettings {
    fn default() -> Self {
        ClientSettings {
            timeout: None,
            retries: 0,
            // Why 100 ms: a server started a moment after its client is
            // found on the first or second retry; doubling keeps a long
            // wait cheap.
            retry_backoff: Duration::from_millis(100),
            nodelay: true,
            max_frame: DEFAULT_MAX_FRAME,
        }
    }
}

impl ClientSettings {
    /// The timeout as Python's socket mode: `Blocking` without one,
    /// `Timeout(t)` with one. A timeout under 1 µs waits the shortest time
    /// a socket timeout can (1 µs): zero would mean non-blocking, as
    /// `settimeout(0)` does, and a socket timeout of zero microseconds
    /// (what 100 ns becomes) means no timeout at all.
    pub fn mode(&self) -> SocketMode {
        match self.timeout {
            None => SocketMode::Blocking,
            Some(t) => SocketMode::Timeout(t.max(SHORTEST_TIMEOUT)),
        }
    }
}

/// The shortest socket timeout: `SO_RCVTIMEO` counts whole microseconds.
const SHORTEST_TIMEOUT: Duration = Duration::from_micros(1);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timeout_is_python_timeout_mode_and_none_is_blocking() {
        let mut s = ClientSettings::default();
        assert_eq!(s.mode(), SocketMode::Blocking);
        s.timeout = Some(Duration::from_millis(300));
        assert_eq!(s.mode(), SocketMode::Timeout(Duration::from_millis(300)));
        s.timeout = Some(Duration::ZERO);
        assert_eq!(s.mode(), SocketMode::Timeout(Duration::from_micros(1)));
        // 100 ns would be a zero SO_RCVTIMEO: no timeout at all.
        s.timeout = Some(Duration::from_nanos(100));
        assert_eq!(s.mode(), SocketMode::Timeout(Duration::from_micros(1)));
    }
}
