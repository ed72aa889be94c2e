//! Where the operating system shows through: socket handles and error codes.
//!
//! The same socket call fails with different numbers on different systems.
//! A refused connect is `ECONNREFUSED` (os error 111) on Linux, 61 on macOS,
//! and `WSAECONNREFUSED` (os error 10061) on Windows, the number in the
//! classroom's Windows traceback `[WinError 10061]`. An empty non-blocking
//! read is `EAGAIN` (11 on Linux, 35 on macOS) or `WSAEWOULDBLOCK` (10035).
//! A read past its timeout is `EAGAIN` again on Unix, but `WSAETIMEDOUT`
//! (10060) on Windows: only Windows tells the two apart by itself.
//!
//! This module names each code once, from the OS's own headers (`libc` on
//! Unix, `windows-sys` on Windows), so the rest of the crate matches on
//! names, never on numbers.

/// A type that lends its socket to socket2's `SockRef`: `AsFd` on Unix,
/// `AsSocket` on Windows. std's and mio's sockets are both.
#[cfg(unix)]
pub use std::os::fd::AsFd as AsSocketRef;
/// A type that lends its socket to socket2's `SockRef`: `AsFd` on Unix,
/// `AsSocket` on Windows. std's and mio's sockets are both.
#[cfg(windows)]
pub use std::os::windows::io::AsSocket as AsSocketRef;

/// A socket's raw handle, kept where a borrow cannot be (the blocking
/// server's registry of open connections).
#[cfg(unix)]
pub type RawSocketHandle = std::os::fd::RawFd;
/// A socket's raw handle, kept where a borrow cannot be (the blocking
/// server's registry of open connections).
#[cfg(windows)]
pub type RawSocketHandle = std::os::windows::io::RawSocket;

/// The raw handle of `stream`.
pub fn raw_handle(stream: &std::net::TcpStream) -> RawSocketHandle {
    #[cfg(unix)]
    {
        std::os::fd::AsRawFd::as_raw_fd(stream)
    }
    #[cfg(windows)]
    {
        std::os::windows::io::AsRawSocket::as_raw_socket(stream)
    }
}

/// Shuts down the socket behind `raw` from another thread: `Write` sends
/// the peer a FIN (and fails a write blocked on it), `Both` also wakes a
/// read blocked on it (Linux, macOS).
///
/// # Safety
/// `raw` must be an open socket for the duration of the call.
pub unsafe fn shutdown_raw(raw: RawSocketHandle, how: std::net::Shutdown) -> std::io::Result<()> {
    #[cfg(unix)]
    let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(raw) };
    #[cfg(windows)]
    let borrowed = unsafe { std::os::windows::io::BorrowedSocket::borrow_raw(raw) };
    socket2::SockRef::from(&borrowed).shutdown(how)
}

/// The OS's error numbers for the situations sockmodes names.
#[cfg(unix)]
pub mod code {
    /// A non-blocking call would wait (and, on Unix, a timed-out one).
    pub const WOULD_BLOCK: i32 = libc::EAGAIN;
    /// A non-blocking connect is under way.
    pub const IN_PROGRESS: i32 = libc::EINPROGRESS;
    /// A non-blocking connect is still under way.
    pub const ALREADY: i32 = libc::EALREADY;
    /// The kernel gave up (or, on Windows, a timeout ran out).
    pub const TIMED_OUT: i32 = libc::ETIMEDOUT;
    /// Nothing listens at the address.
    pub const CONN_REFUSED: i32 = libc::ECONNREFUSED;
    /// The peer reset the connection.
    pub const CONN_RESET: i32 = libc::ECONNRESET;
    /// The connection was aborted locally.
    pub const CONN_ABORTED: i32 = libc::ECONNABORTED;
    /// Sending on a connection whose sending side is shut.
    pub const SHUTDOWN: i32 = libc::ESHUTDOWN;
    /// Writing to a connection the peer closed.
    pub const BROKEN_PIPE: i32 = libc::EPIPE;
    /// A signal interrupted the call.
    pub const INTERRUPTED: i32 = libc::EINTR;
    /// Permission denied.
    pub const ACCESS: i32 = libc::EACCES;
    /// Operation not permitted.
    pub const NOT_PERMITTED: i32 = libc::EPERM;
    /// The address is in use.
    pub const ADDR_IN_USE: i32 = libc::EADDRINUSE;
    /// The address is not this machine's.
    pub const ADDR_NOT_AVAIL: i32 = libc::EADDRNOTAVAIL;
    /// Out of descriptors (this process, or the whole system).
    pub const OUT_OF_DESCRIPTORS: [i32; 2] = [libc::EMFILE, libc::ENFILE];
    /// Out of buffer space or memory.
    pub const OUT_OF_MEMORY: [i32; 2] = [libc::ENOBUFS, libc::ENOMEM];
    /// A protocol error on a connection not yet accepted.
    pub const PROTOCOL: i32 = libc::EPROTO;
}

/// The OS's error numbers for the situations sockmodes names (Winsock's
/// `WSAE*` codes; Windows has no `EPIPE`, `EPROTO` or process-wide
/// descriptor limit for sockets, so those stand in as codes that never occur).
#[cfg(windows)]
pub mod code {
    use windows_sys::Win32::Networking::WinSock as ws;

    /// A non-blocking call would wait (10035).
    pub const WOULD_BLOCK: i32 = ws::WSAEWOULDBLOCK;
    /// A blocking call is in progress (10036).
    pub const IN_PROGRESS: i32 = ws::WSAEINPROGRESS;
    /// A non-blocking connect is still under way (10037).
    pub const ALREADY: i32 = ws::WSAEALREADY;
    /// A timeout ran out, or the peer did not answer (10060).
    pub const TIMED_OUT: i32 = ws::WSAETIMEDOUT;
    /// Nothing listens at the address (10061).
    pub const CONN_REFUSED: i32 = ws::WSAECONNREFUSED;
    /// The peer reset the connection (10054).
    pub const CONN_RESET: i32 = ws::WSAECONNRESET;
    /// The connection was aborted locally (10053).
    pub const CONN_ABORTED: i32 = ws::WSAECONNABORTED;
    /// Sending after shutdown (10058): Windows' broken pipe.
    pub const SHUTDOWN: i32 = ws::WSAESHUTDOWN;
    /// No EPIPE on Windows sockets.
    pub const BROKEN_PIPE: i32 = ws::WSAESHUTDOWN;
    /// A blocking call was cancelled (10004).
    pub const INTERRUPTED: i32 = ws::WSAEINTR;
    /// Permission denied (10013).
    pub const ACCESS: i32 = ws::WSAEACCES;
    /// No EPERM on Windows sockets.
    pub const NOT_PERMITTED: i32 = ws::WSAEACCES;
    /// The address is in use (10048).
    pub const ADDR_IN_USE: i32 = ws::WSAEADDRINUSE;
    /// The address is not this machine's (10049).
    pub const ADDR_NOT_AVAIL: i32 = ws::WSAEADDRNOTAVAIL;
    /// Too many open sockets (10024).
    pub const OUT_OF_DESCRIPTORS: [i32; 1] = [ws::WSAEMFILE];
    /// Out of buffer space (10055).
    pub const OUT_OF_MEMORY: [i32; 1] = [ws::WSAENOBUFS];
    /// No EPROTO on Windows: a reset before accept is 10054.
    pub const PROTOCOL: i32 = ws::WSAECONNRESET;
}
