//! Errors a student recognises: each `io::Error`, read together with the
//! [`SocketMode`] it happened in, is named by the exception Python raises in the same
//! situation.
//!
//! The mode matters because Unix reports two different situations with the
//! same code: a read that timed out under `SO_RCVTIMEO` and a non-blocking read
//! with no data both fail with `EAGAIN` (os error 11 on Linux,
//! `ErrorKind::WouldBlock`). Python remembers which mode it put the socket in
//! and raises `TimeoutError` for the first and `BlockingIOError` for the
//! second; so must we. Windows tells them apart itself: `WSAETIMEDOUT`
//! (10060) for the timeout, `WSAEWOULDBLOCK` (10035) for the empty read. The
//! codes by name are in [`crate::sys::code`].
//!
//! Why one file over 400 lines: it is one table, each OS error beside the
//! Python exception it maps to in each mode, plus the tests that pin every
//! row; split, a row and its test would live apart.

use core::net::SocketAddr;
use std::fmt;
use std::io;

use crate::sys::code;
use crate::SocketMode;

/// The Python exception a socket error corresponds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(clippy::enum_variant_names)] // the names are Python's, on purpose
pub enum PyException {
    /// A non-blocking call could not complete now (`EAGAIN`, `EINPROGRESS`).
    BlockingIOError,
    /// A call under `settimeout(t)` waited `t` without completing, or the
    /// kernel gave up (`ETIMEDOUT`).
    TimeoutError,
    /// Nothing listens at the address (`ECONNREFUSED`).
    ConnectionRefusedError,
    /// The peer reset the connection (`ECONNRESET`).
    ConnectionResetError,
    /// The connection was aborted locally (`ECONNABORTED`).
    ConnectionAbortedError,
    /// Writing to a connection the peer has closed (`EPIPE`, `ESHUTDOWN`).
    BrokenPipeError,
    /// A signal interrupted the call (`EINTR`).
    InterruptedError,
    /// Permission denied (`EACCES`, `EPERM`): e.g. binding a port below 1024.
    PermissionError,
    /// Any other OS error (`OSError`), e.g. `EADDRINUSE`.
    OSError,
    /// The peer closed the connection in the middle of a reply (no OS error;
    /// Python's `recv` would return `b''` here).
    UnexpectedEof,
}

impl PyException {
    /// The exception's name as Python prints it.
    pub fn name(self) -> &'static str {
        match self {
            PyException::BlockingIOError => "BlockingIOError",
            PyException::TimeoutError => "TimeoutError",
            PyException::ConnectionRefusedError => "ConnectionRefusedError",
            PyException::ConnectionResetError => "ConnectionResetError",
            PyException::ConnectionAbortedError => "ConnectionAbortedError",
            PyException::BrokenPipeError => "BrokenPipeError",
            PyException::InterruptedError => "InterruptedError",
            PyException::PermissionError => "PermissionError",
            PyException::OSError => "OSError",
            PyException::UnexpectedEof => "EOFError",
        }
    }
}

impl fmt::Display for PyException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Names the Python exception for `err`, which happened on a socket in `mode`.
pub fn classify(err: &io::Error, mode: SocketMode) -> PyException {
    let would_block = match mode {
        SocketMode::Timeout(_) => PyException::TimeoutError,
        SocketMode::Blocking | SocketMode::NonBlocking => PyException::BlockingIOError,
    };
    if let Some(c) = err.raw_os_error() {
        // A table, not a `match`: on Windows some names share a number
        // (no EPIPE, no EPERM), which a match would reject as unreachable.
        let table: [(&[i32], PyException); 8] = [
            (
                &[code::WOULD_BLOCK, code::IN_PROGRESS, code::ALREADY],
                would_block,
            ),
            (&[code::TIMED_OUT], PyException::TimeoutError),
            (&[code::CONN_REFUSED], PyException::ConnectionRefusedError),
            (&[code::CONN_RESET], PyException::ConnectionResetError),
            (&[code::CONN_ABORTED], PyException::ConnectionAbortedError),
            (
                &[code::BROKEN_PIPE, code::SHUTDOWN],
                PyException::BrokenPipeError,
            ),
            (&[code::INTERRUPTED], PyException::InterruptedError),
            (
                &[code::ACCESS, code::NOT_PERMITTED],
                PyException::PermissionError,
            ),
        ];
        return table
            .iter()
            .find(|(codes, _)| codes.contains(&c))
            .map_or(PyException::OSError, |&(_, e)| e);
    }
    match err.kind() {
        io::ErrorKind::WouldBlock => would_block,
        io::ErrorKind::TimedOut => PyException::TimeoutError,
        io::ErrorKind::ConnectionRefused => PyException::ConnectionRefusedError,
        io::ErrorKind::ConnectionReset => PyException::ConnectionResetError,
        io::ErrorKind::ConnectionAborted => PyException::ConnectionAbortedError,
        io::ErrorKind::BrokenPipe => PyException::BrokenPipeError,
        io::ErrorKind::Interrupted => PyException::InterruptedError,
        io::ErrorKind::PermissionDenied => PyException::PermissionError,
        io::ErrorKind::UnexpectedEof => PyException::UnexpectedEof,
        _ => PyException::OSError,
    }
}

/// An address the way Python prints it: `('127.0.0.1', 52482)` for IPv4,
/// `('::1', 52482, 0, 0)` for IPv6.
pub fn python_addr(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => format!("('{}', {})", a.ip(), a.port()),
        SocketAddr::V6(a) => format!(
            "('{}', {}, {}, {})",
            a.ip(),
            a.port(),
            a.flowinfo(),
            a.scope_id()
        ),
    }
}

/// What the program was doing when a socket error happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Binding or listening.
    Bind,
    /// Accepting a connection.
    Accept,
    /// Connecting.
    Connect,
    /// Sending.
    Send,
    /// Receiving.
    Recv,
    /// Setting socket options.
    Configure,
    /// Starting a server's threads and event loops (poll instances,
    /// wakers, listener handles): not a bind, though it happens at start.
    Start,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Bind => "bind",
            Op::Accept => "accept",
            Op::Connect => "connect",
            Op::Send => "send",
            Op::Recv => "recv",
            Op::Configure => "setsockopt",
            Op::Start => "start",
        })
    }
}

/// A socket error, classified, with the operation and the address involved.
///
/// Displays as one line a student can act on, e.g.
/// `ConnectionRefusedError (os error 111): nothing is listening on 127.0.0.1:8080; is the server running?`
#[derive(Debug, thiserror::Error)]
pub struct SocketError {
    /// The Python exception for this situation.
    pub exception: PyException,
    /// What was being done.
    pub op: Op,
    /// The address involved (the peer, or the local address for `Bind`).
    pub addr: SocketAddr,
    /// The mode the socket was in.
    pub mode: SocketMode,
    /// The OS error. Not exposed as `Error::source`: the message already
    /// names it (`(os error 111)`), and a chain would print it twice.
    pub io: io::Error,
}

impl SocketError {
    /// Classifies `source`, which happened during `op` on `addr` in `mode`.
    pub fn new(op: Op, addr: SocketAddr, mode: SocketMode, io: io::Error) -> Self {
        SocketError {
            exception: classify(&io, mode),
            op,
            addr,
            mode,
            io,
        }
    }

    /// A closure for `map_err`.
    pub fn on(op: Op, addr: SocketAddr, mode: SocketMode) -> impl Fn(io::Error) -> SocketError {
        move |e| SocketError::new(op, addr, mode, e)
    }

    fn out_of_descriptors(&self) -> bool {
        self.io
            .raw_os_error()
            .is_some_and(|c| code::OUT_OF_DESCRIPTORS.contains(&c))
    }

    fn explanation(&self) -> String {
        let addr = self.addr;
        match (self.exception, self.op) {
            (PyException::ConnectionRefusedError, _) => {
                format!("nothing is listening on {addr}; is the server running?")
            }
            (PyException::TimeoutError, Op::Connect) => {
                format!("connecting to {addr} timed out after {}", timeout_text(self.mode))
            }
            (PyException::TimeoutError, op) => format!(
                "{op} on the connection to {addr} timed out after {}",
                timeout_text(self.mode)
            ),
            (PyException::BlockingIOError, op) => format!(
                "{op} on {addr} would block, and the socket is non-blocking (try again when poll says it is ready)"
            ),
            (PyException::ConnectionResetError, _) => format!(
                "{addr} reset the connection (the server closed it abruptly: it may be at its connection limit, or it rejected what was sent)"
            ),
            (PyException::BrokenPipeError, _) => {
                format!("{addr} closed the connection before everything was sent")
            }
            (PyException::UnexpectedEof, _) => {
                format!("{addr} closed the connection before answering in full")
            }
            (_, Op::Bind) if self.io.raw_os_error() == Some(code::ADDR_IN_USE) => {
                format!("address {addr} is already in use; is another server running? (use another port, or port 0 for any free one)")
            }
            (_, Op::Bind) if self.io.raw_os_error() == Some(code::ADDR_NOT_AVAIL) => {
                format!("address {addr} is not an address of this machine")
            }
            (PyException::PermissionError, Op::Bind) => {
                format!("not allowed to bind {addr} (ports below 1024 need privileges)")
            }
            (_, Op::Start) if self.out_of_descriptors() => format!(
                "starting the server on {addr} ran out of file descriptors (each event loop \
                 holds a few; the open-file limit is `ulimit -n`): start fewer, or raise it"
            ),
            (_, Op::Start) => format!("starting the server's threads on {addr} failed"),
            (_, op) if self.out_of_descriptors() => format!(
                "{op} on {addr} failed: this process is out of file descriptors (its \
                 open-file limit, `ulimit -n`)"
            ),
            (_, op) => format!("{op} on {addr} failed"),
        }
    }
}

fn timeout_text(mode: SocketMode) -> String {
    match mode {
        // Under a millisecond, "0.000 s" would say nothing: "1µs" does.
        SocketMode::Timeout(d) if d.as_millis() == 0 => format!("{d:?}"),
        SocketMode::Timeout(d) => format!("{:.3} s", d.as_secs_f64()),
        _ => "the system's limit".to_string(),
    }
}

impl fmt::Display for SocketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.io.raw_os_error() {
            Some(code) => write!(f, "{} (os error {code}): ", self.exception)?,
            None => write!(f, "{}: ", self.exception)?,
        }
        f.write_str(&self.explanation())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn os(code: i32) -> io::Error {
        io::Error::from_raw_os_error(code)
    }

    #[test]
    fn a_timeout_is_said_in_seconds_or_under_a_millisecond_as_is() {
        let text = |d| timeout_text(SocketMode::Timeout(d));
        assert_eq!(text(Duration::from_millis(300)), "0.300 s");
        assert_eq!(text(Duration::from_secs(2)), "2.000 s");
        assert_eq!(text(Duration::from_micros(1)), "1µs");
        assert_eq!(text(Duration::from_micros(250)), "250µs");
    }

    /// The numbers a student sees in tracebacks, per system: the names in
    /// `sys::code` must be these.
    #[test]
    fn the_codes_are_the_ones_in_the_tracebacks() {
        #[cfg(target_os = "linux")]
        let want = [
            (code::CONN_REFUSED, 111),
            (code::WOULD_BLOCK, 11),
            (code::TIMED_OUT, 110),
            (code::ADDR_IN_USE, 98),
        ];
        #[cfg(target_os = "macos")]
        let want = [
            (code::CONN_REFUSED, 61),
            (code::WOULD_BLOCK, 35),
            (code::TIMED_OUT, 60),
            (code::ADDR_IN_USE, 48),
        ];
        #[cfg(windows)]
        let want = [
            (code::CONN_REFUSED, 10061),
            (code::WOULD_BLOCK, 10035),
            (code::TIMED_OUT, 10060),
            (code::ADDR_IN_USE, 10048),
            (code::CONN_RESET, 10054),
            (code::CONN_ABORTED, 10053),
        ];
        for (named, number) in want {
            assert_eq!(named, number);
        }
    }

    #[test]
    fn the_classification_table() {
        let t = SocketMode::Timeout(Duration::from_millis(500));
        let nb = SocketMode::NonBlocking;
        let b = SocketMode::Blocking;
        let table = [
            (os(code::WOULD_BLOCK), nb, PyException::BlockingIOError),
            (os(code::WOULD_BLOCK), t, PyException::TimeoutError),
            (os(code::IN_PROGRESS), nb, PyException::BlockingIOError),
            (os(code::TIMED_OUT), b, PyException::TimeoutError),
            (
                os(code::CONN_REFUSED),
                b,
                PyException::ConnectionRefusedError,
            ),
            (
                os(code::CONN_REFUSED),
                nb,
                PyException::ConnectionRefusedError,
            ),
            (os(code::CONN_RESET), b, PyException::ConnectionResetError),
            (
                os(code::CONN_ABORTED),
                b,
                PyException::ConnectionAbortedError,
            ),
            (os(code::BROKEN_PIPE), b, PyException::BrokenPipeError),
            (os(code::INTERRUPTED), b, PyException::InterruptedError),
            (os(code::ACCESS), b, PyException::PermissionError),
            (os(code::ADDR_IN_USE), b, PyException::OSError),
            (io::ErrorKind::TimedOut.into(), b, PyException::TimeoutError),
            (
                io::ErrorKind::WouldBlock.into(),
                t,
                PyException::TimeoutError,
            ),
            (
                io::ErrorKind::WouldBlock.into(),
                nb,
                PyException::BlockingIOError,
            ),
            (
                io::ErrorKind::UnexpectedEof.into(),
                b,
                PyException::UnexpectedEof,
            ),
        ];
        for (err, mode, want) in table {
            assert_eq!(classify(&err, mode), want, "{err:?} in {mode:?}");
        }
    }

    #[test]
    fn addresses_print_like_python_tuples() {
        assert_eq!(
            python_addr("127.0.0.1:52482".parse().unwrap()),
            "('127.0.0.1', 52482)"
        );
        assert_eq!(
            python_addr("[::1]:80".parse().unwrap()),
            "('::1', 80, 0, 0)"
        );
    }

    #[test]
    fn messages_name_the_exception_code_and_address() {
        let addr: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let e = SocketError::new(
            Op::Connect,
            addr,
            SocketMode::Blocking,
            os(code::CONN_REFUSED),
        );
        // This system's numbers: 111 and 98 on Linux, 10061 and 10048 on Windows.
        assert_eq!(
            e.to_string(),
            format!(
                "ConnectionRefusedError (os error {}): nothing is listening on 127.0.0.1:8080; is the server running?",
                code::CONN_REFUSED
            )
        );
        let e = SocketError::new(Op::Bind, addr, SocketMode::Blocking, os(code::ADDR_IN_USE));
        let want = format!(
            "OSError (os error {}): address 127.0.0.1:8080 is already in use",
            code::ADDR_IN_USE
        );
        assert!(e.to_string().starts_with(&want), "{e}");
        let t = SocketMode::Timeout(Duration::from_millis(500));
        let e = SocketError::new(Op::Recv, addr, t, os(code::WOULD_BLOCK));
        let want = format!("TimeoutError (os error {}): recv", code::WOULD_BLOCK);
        assert!(e.to_string().starts_with(&want), "{e}");
    }

    #[test]
    fn running_out_of_descriptors_says_so_not_bind_failed() {
        let addr: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let emfile = code::OUT_OF_DESCRIPTORS[0];
        let e = SocketError::new(Op::Start, addr, SocketMode::NonBlocking, os(emfile)).to_string();
        assert!(
            e.contains("starting the server on 127.0.0.1:8080 ran out of file descriptors"),
            "{e}"
        );
        assert!(!e.contains("bind"), "{e}");
        let e = SocketError::new(Op::Accept, addr, SocketMode::Blocking, os(emfile)).to_string();
        assert!(
            e.contains("accept on 127.0.0.1:8080 failed: this process is out of file descriptors"),
            "{e}"
        );
        let e = SocketError::new(
            Op::Start,
            addr,
            SocketMode::NonBlocking,
            os(code::CONN_RESET),
        )
        .to_string();
        assert!(!e.contains("bind"), "{e}");
    }
}
