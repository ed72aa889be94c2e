//! Socket modes with Python's meaning.
//!
//! Python folds all three modes into one call, `settimeout(value)`:
//! `None` blocks forever, `0.0` never blocks (a call that would wait raises
//! `BlockingIOError`), and `t > 0` waits at most `t` seconds (then raises
//! `TimeoutError`). Rust splits them across `set_nonblocking` and
//! `set_read_timeout`/`set_write_timeout`, and both of Rust's socket layers
//! have a trap for the zero value: std's `set_read_timeout(Some(Duration::ZERO))`
//! fails with `InvalidInput`, and socket2 accepts it and means *block forever*.
//! [`SocketMode`] is built so that a zero duration never reaches either; putting
//! it on a socket is a system call, so that is in the OS layer
//! (`sockmodes_os::SetSocketMode`).

use std::time::Duration;

/// How calls on a socket wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SocketMode {
    /// Calls wait until they can complete (`settimeout(None)`, `setblocking(True)`).
    Blocking,
    /// Calls wait at most this long, then fail with `TimeoutError`
    /// (`settimeout(t)`). Never zero when built through [`SocketMode::from_settimeout`].
    Timeout(Duration),
    /// Calls never wait; one that would fails with `BlockingIOError`
    /// (`settimeout(0.0)`, `setblocking(False)`).
    NonBlocking,
}

/// A `settimeout` value Python itself would reject.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SocketModeError {
    /// Negative timeouts are meaningless (Python: `ValueError: Timeout value out of range`).
    #[error("timeout must be non-negative, got {0}")]
    Negative(f64),
    /// NaN (Python: `ValueError: Invalid value NaN (not a number)`).
    #[error("timeout must be a number, got NaN")]
    NaN,
    /// Too large to represent as a duration.
    #[error("timeout {0} is too large")]
    TooLarge(f64),
    /// A zero `Duration` in a `Timeout` mode: that is `NonBlocking`.
    #[error("a zero timeout means non-blocking: use SocketMode::NonBlocking")]
    ZeroTimeout,
}

impl SocketMode {
    /// The mode Python's `settimeout(value)` selects: `None` -> `Blocking`,
    /// `0.0` -> `NonBlocking`, `t > 0` -> `Timeout(t)`.
    ///
    /// A positive value too small for a `Duration` rounds up to one
    /// microsecond (the kernel's granularity) rather than down to zero.
    ///
    /// # Errors
    /// Negative, NaN or out-of-range values, as Python rejects them.
    pub fn from_settimeout(value: Option<f64>) -> Result<SocketMode, SocketModeError> {
        let Some(secs) = value else {
            return Ok(SocketMode::Blocking);
        };
        if secs.is_nan() {
            return Err(SocketModeError::NaN);
        }
        if secs < 0.0 {
            return Err(SocketModeError::Negative(secs));
        }
        if secs == 0.0 {
            return Ok(SocketMode::NonBlocking);
        }
        let d = Duration::try_from_secs_f64(secs).map_err(|_| SocketModeError::TooLarge(secs))?;
        Ok(SocketMode::Timeout(d.max(Duration::from_micros(1))))
    }

    /// The read/write timeout this mode puts on a socket.
    pub fn io_timeout(self) -> Option<Duration> {
        match self {
            SocketMode::Timeout(d) => Some(d),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl SocketMode {
        /// The value to pass to Python's `settimeout` for this mode.
        fn as_settimeout(self) -> Option<f64> {
            match self {
                SocketMode::Blocking => None,
                SocketMode::Timeout(d) => Some(d.as_secs_f64()),
                SocketMode::NonBlocking => Some(0.0),
            }
        }
    }

    #[test]
    fn the_python_table() {
        assert_eq!(SocketMode::from_settimeout(None), Ok(SocketMode::Blocking));
        assert_eq!(
            SocketMode::from_settimeout(Some(0.0)),
            Ok(SocketMode::NonBlocking)
        );
        assert_eq!(
            SocketMode::from_settimeout(Some(-0.0)),
            Ok(SocketMode::NonBlocking)
        );
        assert_eq!(
            SocketMode::from_settimeout(Some(0.5)),
            Ok(SocketMode::Timeout(Duration::from_millis(500)))
        );
        assert_eq!(
            SocketMode::from_settimeout(Some(-1.0)),
            Err(SocketModeError::Negative(-1.0))
        );
        assert_eq!(
            SocketMode::from_settimeout(Some(f64::NAN)),
            Err(SocketModeError::NaN)
        );
        assert!(matches!(
            SocketMode::from_settimeout(Some(f64::INFINITY)),
            Err(SocketModeError::TooLarge(_))
        ));
    }

    #[test]
    fn tiny_timeouts_round_up_never_to_zero() {
        assert_eq!(
            SocketMode::from_settimeout(Some(1e-12)),
            Ok(SocketMode::Timeout(Duration::from_micros(1)))
        );
    }

    #[test]
    fn round_trips_to_settimeout() {
        for v in [None, Some(0.0), Some(2.5)] {
            assert_eq!(SocketMode::from_settimeout(v).unwrap().as_settimeout(), v);
        }
    }
}
