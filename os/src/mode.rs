//! A [`SocketMode`] put on a socket: the non-blocking flag and the read and write
//! timeouts, through socket2.
//!
//! Both of Rust's socket layers have a trap for a zero timeout: std's
//! `set_read_timeout(Some(Duration::ZERO))` fails with `InvalidInput`, and
//! socket2 accepts it and means *block forever*. [`SocketMode`] is built so that
//! a zero duration never reaches either; [`SetSocketMode::apply`] refuses one
//! built by hand.

use socket2::SockRef;
use sockmodes_python::{SocketMode, SocketModeError};

use crate::handle::AsSocketRef;

/// Puts a [`SocketMode`] on a socket (`mode.apply(&socket)`): a trait, because
/// `SocketMode` lives in the socket-free core and this is a system call.
pub trait SetSocketMode {
    /// Applies the mode to any socket (std or mio): non-blocking flag and the
    /// read and write timeouts.
    ///
    /// # Errors
    /// The OS error, or `InvalidInput` for a `Timeout(Duration::ZERO)` built by
    /// hand (socket2 would silently turn it into "block forever").
    fn apply<S: AsSocketRef>(self, socket: &S) -> std::io::Result<()>;
}

impl SetSocketMode for SocketMode {
    fn apply<S: AsSocketRef>(self, socket: &S) -> std::io::Result<()> {
        if matches!(self, SocketMode::Timeout(d) if d.is_zero()) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                SocketModeError::ZeroTimeout,
            ));
        }
        let sock = SockRef::from(socket);
        sock.set_nonblocking(self == SocketMode::NonBlocking)?;
        sock.set_read_timeout(self.io_timeout())?;
        sock.set_write_timeout(self.io_timeout())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn apply_sets_the_socket_and_refuses_a_hand_built_zero() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let s = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        SocketMode::Timeout(Duration::from_millis(250))
            .apply(&s)
            .unwrap();
        // The kernel keeps SO_RCVTIMEO in clock ticks: 250 ms reads back as
        // 250 ms rounded up to a tick (252 ms with HZ=250).
        let got = s.read_timeout().unwrap().expect("a timeout is set");
        assert!(
            got >= Duration::from_millis(250) && got < Duration::from_millis(261),
            "{got:?}"
        );
        SocketMode::Blocking.apply(&s).unwrap();
        assert_eq!(s.read_timeout().unwrap(), None);
        let err = SocketMode::Timeout(Duration::ZERO).apply(&s).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    }
}
