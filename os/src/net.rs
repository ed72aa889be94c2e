//! Socket setup through socket2: the options every model shares, set in one place.
//!
//! std's `TcpListener::bind` hard-codes a listen backlog of 128: a burst of
//! connects beyond that is dropped or retried by the kernel while the accept
//! loop catches up. [`listen`] takes the backlog as a parameter (default
//! [`DEFAULT_BACKLOG`](sockmodes_serving::config::DEFAULT_BACKLOG), a server
//! setting); the kernel still caps it at `net.core.somaxconn`.

use socket2::{Domain, Protocol, SockRef, Socket, Type};
use std::io;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};

use sockmodes_python::sys::code;
use sockmodes_python::{Op, SocketError, SocketMode};

use crate::handle::AsSocketRef;

/// A bound, listening socket for IPv4 or IPv6; on Unix with `SO_REUSEADDR`,
/// so a restarted server can bind while old connections sit in TIME_WAIT.
/// Not on Windows: there `SO_REUSEADDR` lets a second server take a port
/// that is in use (no `WSAEADDRINUSE`), and TIME_WAIT does not block a bind.
///
/// # Errors
/// The OS error from socket, bind or listen (e.g. `EADDRINUSE`).
pub fn listen(addr: SocketAddr, backlog: i32) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(backlog)?;
    Ok(socket.into())
}

/// A server's [`listen`]ing socket and the address it got, set
/// non-blocking for a model that polls it (`mode`); a failure is the bind's,
/// named as Python names it in that mode.
///
/// # Errors
/// The failure of socket, bind, listen or the mode's setting, classified.
pub fn server_listener(
    addr: SocketAddr,
    backlog: i32,
    mode: SocketMode,
) -> Result<(TcpListener, SocketAddr), SocketError> {
    let bind_err = SocketError::on(Op::Bind, addr, mode);
    let listener = listen(addr, backlog).map_err(&bind_err)?;
    if mode == SocketMode::NonBlocking {
        listener.set_nonblocking(true).map_err(&bind_err)?;
    }
    let local_addr = listener.local_addr().map_err(&bind_err)?;
    Ok((listener, local_addr))
}

/// Sets `TCP_NODELAY` on a connected socket (std or mio).
///
/// On by default on both ends in sockmodes: our frames are already written in
/// one piece, and Nagle's algorithm would hold a small reply back until the
/// previous segment is acknowledged, which delayed ACK postpones by up to 40 ms.
///
/// # Errors
/// The OS error from setsockopt.
pub fn set_nodelay<S: AsSocketRef>(socket: &S, on: bool) -> io::Result<()> {
    SockRef::from(socket).set_tcp_nodelay(on)
}

/// A loopback port where nothing listens, reserved for as long as the
/// returned socket lives: it is bound but not listening, so no other program
/// can take the port, and a connect to it is refused (RST). For
/// demonstrations and tests of `ConnectionRefusedError` that must not race
/// with other programs binding ports.
///
/// # Errors
/// The OS error from socket or bind.
pub fn unlistened_port() -> io::Result<(Socket, SocketAddr)> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    socket.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())?;
    let addr = socket
        .local_addr()?
        .as_socket()
        .ok_or_else(|| io::Error::other("bound address is not an IP address"))?;
    Ok((socket, addr))
}

/// What Python's `connect()` returns after `setblocking(False)`: the
/// connect on a non-blocking socket, with the OS's own answer (on Linux
/// EINPROGRESS, 115; on Windows WSAEWOULDBLOCK, 10035: Python raises
/// `BlockingIOError` for either). mio's `TcpStream::connect` hides that
/// answer behind `Ok`; the socket is returned so its handshake can go on.
///
/// # Errors
/// The OS error from socket or from setting it non-blocking.
pub fn connect_nonblocking(addr: SocketAddr) -> io::Result<(Socket, io::Result<()>)> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_nonblocking(true)?;
    let answer = socket.connect(&addr.into());
    Ok((socket, answer))
}

/// Shuts the write side of a connected socket: the peer sees end of
/// stream. A connection the peer already reset has no write side left, and
/// the system then says "not connected" (ENOTCONN, os error 107 on Linux),
/// which reads like a client that never connected; it is said as the reset
/// it is (ECONNRESET; WSAECONNRESET on Windows).
///
/// # Errors
/// The OS error from shutdown, a reset for "not connected".
pub fn shutdown_write<S: AsSocketRef>(socket: &S) -> io::Result<()> {
    SockRef::from(socket)
        .shutdown(std::net::Shutdown::Write)
        .map_err(|e| match e.kind() {
            io::ErrorKind::NotConnected => io::Error::from_raw_os_error(code::CONN_RESET),
            _ => e,
        })
}

/// Makes the next close send RST instead of FIN (`SO_LINGER` 0): the way to
/// refuse a connection that was already accepted, or to simulate a crash.
///
/// # Errors
/// The OS error from setsockopt.
pub fn reset_on_close<S: AsSocketRef>(socket: &S) -> io::Result<()> {
    SockRef::from(socket).set_linger(Some(std::time::Duration::ZERO))
}

/// Undoes [`reset_on_close`]: the close sends its FIN after the data, as
/// by default.
///
/// # Errors
/// The OS error from setsockopt.
pub fn fin_on_close<S: AsSocketRef>(socket: &S) -> io::Result<()> {
    SockRef::from(socket).set_linger(None)
}

/// What an accept loop should do after `accept` failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptErrorAction {
    /// Try again at once: the connection was aborted before we took it, or a
    /// signal interrupted the call.
    Retry,
    /// Out of descriptors or memory: wait [`ACCEPT_BACKOFF`] (connections
    /// closing meanwhile free some) instead of spinning on the same error.
    Backoff,
    /// The listener itself is broken (or was shut down): stop accepting.
    Fatal,
}

/// How long an accept loop pauses after running out of descriptors.
///
/// Why 50 ms: long enough not to burn a core retrying, short enough that a
/// freed descriptor is used quickly.
pub const ACCEPT_BACKOFF: std::time::Duration = std::time::Duration::from_millis(50);

/// Logs an accept that failed for want of descriptors or memory, at most
/// once a second (`throttle`), each line with the count of failures left
/// unlogged since the last: the condition lasts while the connections hold
/// their descriptors, and the loop retries every [`ACCEPT_BACKOFF`].
fn log_accept_backoff(throttle: &mut sockmodes_serving::throttle::Throttle, e: &io::Error) {
    if let Some(more) = throttle.admit(std::time::Instant::now()) {
        let since = match more {
            0 => String::new(),
            n => format!(" ({n} more failure(s) since the last such line)"),
        };
        tracing::warn!(
            error = %e,
            "accept: out of resources{since}; retrying every {} ms, this line at most once a second",
            ACCEPT_BACKOFF.as_millis()
        );
    }
}

/// Logs a connection reset for being over `--max-conns`: the first at
/// once, then at most one line a second with the count of resets left
/// out, as [`log_accept_backoff`] does for running out of descriptors (a
/// client opening 2,000 connections to a server of 100 would otherwise
/// write 1,900 lines).
///
/// One throttle for the process, shared by every accept loop: the lines
/// are about the process's log, not about one loop.
pub fn log_over_limit(peer: std::net::SocketAddr, limit: usize) {
    use sockmodes_serving::throttle::Throttle;
    static OVER_LIMIT: std::sync::Mutex<Throttle> = std::sync::Mutex::new(Throttle::new());
    let admitted = OVER_LIMIT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .admit(std::time::Instant::now());
    if let Some(more) = admitted {
        let since = match more {
            0 => String::new(),
            n => format!(" ({n} more since the last such line)"),
        };
        tracing::warn!(
            %peer,
            limit,
            "connection reset: over the connection limit (accepted, then closed with RST){since}; \
             this line at most once a second"
        );
    }
}

/// Decides what an accept loop does with an `accept` error, and logs it:
/// running out of descriptors or memory through `throttle` (at most once
/// a second), a broken listener once, as the loop stops accepting.
pub fn after_accept_error(
    throttle: &mut sockmodes_serving::throttle::Throttle,
    e: &io::Error,
) -> AcceptErrorAction {
    let action = accept_error_action(e);
    match action {
        AcceptErrorAction::Retry => {}
        AcceptErrorAction::Backoff => log_accept_backoff(throttle, e),
        AcceptErrorAction::Fatal => {
            tracing::warn!(error = %e, "accept failed; this accept loop stops accepting");
        }
    }
    action
}

/// Decides what an accept loop does with an `accept` error.
pub fn accept_error_action(e: &io::Error) -> AcceptErrorAction {
    let c = e.raw_os_error();
    let is = |codes: &[i32]| c.is_some_and(|c| codes.contains(&c));
    if is(&code::OUT_OF_DESCRIPTORS) || is(&code::OUT_OF_MEMORY) {
        AcceptErrorAction::Backoff
    } else if is(&[
        code::CONN_ABORTED,
        code::CONN_RESET,
        code::INTERRUPTED,
        code::PROTOCOL,
        code::NOT_PERMITTED,
    ]) || matches!(
        e.kind(),
        io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted
    ) {
        AcceptErrorAction::Retry
    } else {
        AcceptErrorAction::Fatal
    }
}

/// A `HOST:PORT` text that does not name a socket address.
#[derive(Debug, thiserror::Error)]
#[error("cannot use {input:?} as an address: {reason} (expected HOST:PORT, e.g. 127.0.0.1:8080)")]
pub struct AddrError {
    /// What was given.
    pub input: String,
    /// Why it was not usable.
    pub reason: String,
}

/// Parses `HOST:PORT` (an IP literal or a name such as `localhost`), taking
/// the first address a name resolves to.
///
/// # Errors
/// [`AddrError`] for text without a port, a bad port or an unknown host.
pub fn resolve(input: &str) -> Result<SocketAddr, AddrError> {
    if let Ok(addr) = input.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let err = |reason: String| AddrError {
        input: input.to_string(),
        reason,
    };
    // An IP address alone: its port is missing, however many colons it has.
    let bare = input.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<std::net::IpAddr>() {
        let shown = match ip {
            std::net::IpAddr::V4(v4) => v4.to_string(),
            std::net::IpAddr::V6(v6) => format!("[{v6}]"),
        };
        return Err(err(format!("missing port: write {shown}:PORT")));
    }
    let Some((host, port)) = input.rsplit_once(':') else {
        return Err(err("no port".into()));
    };
    if host.is_empty() {
        return Err(err("no host".into()));
    }
    port.parse::<u16>()
        .map_err(|_| err(format!("{port:?} is not a port number (0-65535)")))?;
    input
        .to_socket_addrs()
        .map_err(|e| err(e.to_string()))?
        .next()
        .ok_or_else(|| err("the host has no address".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_uses_the_backlog_and_port_zero() {
        let l = listen("127.0.0.1:0".parse().unwrap(), 2048).unwrap();
        assert_ne!(l.local_addr().unwrap().port(), 0);
        // SO_REUSEADDR on Unix only: on Windows it would let a second
        // server take the port.
        assert_eq!(SockRef::from(&l).reuse_address().unwrap(), cfg!(unix));
    }

    #[test]
    fn listen_on_ipv6_loopback_when_available() {
        match listen("[::1]:0".parse().unwrap(), 16) {
            Ok(l) => assert!(l.local_addr().unwrap().is_ipv6()),
            // Machines without IPv6 refuse the address itself, nothing else.
            Err(e) => assert_eq!(e.raw_os_error(), Some(code::ADDR_NOT_AVAIL), "{e}"),
        }
    }

    #[test]
    fn an_unlistened_port_refuses_connections() {
        let (_reserved, addr) = unlistened_port().unwrap();
        let err = std::net::TcpStream::connect(addr).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
        assert!(
            TcpListener::bind(addr).is_err(),
            "the port is taken while reserved"
        );
    }

    #[test]
    fn resolve_accepts_literals_and_names_and_explains_failures() {
        assert_eq!(resolve("127.0.0.1:8080").unwrap().port(), 8080);
        assert_eq!(resolve("localhost:81").unwrap().port(), 81);
        for bad in ["127.0.0.1", "127.0.0.1:99999", ":80", "no such host!:80"] {
            let e = resolve(bad).unwrap_err();
            assert!(e.to_string().contains("HOST:PORT"), "{bad}: {e}");
        }
        for (bad, hint) in [
            ("[::1]", "missing port: write [::1]:PORT"),
            ("::1", "missing port: write [::1]:PORT"),
            ("127.0.0.1", "missing port: write 127.0.0.1:PORT"),
        ] {
            let e = resolve(bad).unwrap_err().to_string();
            assert!(e.contains(hint), "{bad}: {e}");
        }
        assert!(resolve("[::1]:80").unwrap().is_ipv6());
    }
}
