//! Where the operating system shows through: its error codes, by name.
//!
//! The same socket call fails with different numbers on different systems.
//! A refused connect is `ECONNREFUSED` (os error 111) on Linux, 61 on macOS,
//! and `WSAECONNREFUSED` (os error 10061) on Windows, the number in the
//! classroom's Windows traceback `[WinError 10061]`. An empty non-blocking
//! read is `EAGAIN` (11 on Linux, 35 on macOS) or `WSAEWOULDBLOCK` (10035).
//! A read past its timeout is `EAGAIN` again on Unix, but `WSAETIMEDOUT`
//! (10060) on Windows: only Windows tells the two apart by itself.
//!
//! This module names each code once, so the rest of the crate matches on
//! names, never on numbers. The numbers are written here, from each
//! system's documentation, and not taken from `libc` or `windows-sys`:
//! this crate makes no system call, and without those dependencies the
//! compiler keeps it that way. A table of numbers can still be wrong, so
//! `sockmodes-os` (`os/src/codes.rs`) asserts at compile time, on every
//! target it builds for, that each name equals the constant of `libc` or
//! `windows-sys`: a wrong number here fails the build of every program.
//! A system other than these three has no table: a clear compile error says
//! where to add one.

/// The OS's error numbers for the situations sockmodes names: Linux's, from
/// the kernel's `include/uapi/asm-generic/errno-base.h` and `errno.h`
/// (`man 3 errno`). Those of x86 and Arm; MIPS, SPARC, Alpha and PA-RISC
/// number some differently, and there `os/src/codes.rs` stops the build.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub mod code {
    /// A non-blocking call would wait (and, on Unix, a timed-out one): `EAGAIN`.
    pub const WOULD_BLOCK: i32 = 11;
    /// A non-blocking connect is under way: `EINPROGRESS`.
    pub const IN_PROGRESS: i32 = 115;
    /// A non-blocking connect is still under way: `EALREADY`.
    pub const ALREADY: i32 = 114;
    /// The kernel gave up (or, on Windows, a timeout ran out): `ETIMEDOUT`.
    pub const TIMED_OUT: i32 = 110;
    /// Nothing listens at the address: `ECONNREFUSED`.
    pub const CONN_REFUSED: i32 = 111;
    /// The peer reset the connection: `ECONNRESET`.
    pub const CONN_RESET: i32 = 104;
    /// The connection was aborted locally: `ECONNABORTED`.
    pub const CONN_ABORTED: i32 = 103;
    /// Sending on a connection whose sending side is shut: `ESHUTDOWN`.
    pub const SHUTDOWN: i32 = 108;
    /// Writing to a connection the peer closed: `EPIPE`.
    pub const BROKEN_PIPE: i32 = 32;
    /// A signal interrupted the call: `EINTR`.
    pub const INTERRUPTED: i32 = 4;
    /// Permission denied: `EACCES`.
    pub const ACCESS: i32 = 13;
    /// Operation not permitted: `EPERM`.
    pub const NOT_PERMITTED: i32 = 1;
    /// The address is in use: `EADDRINUSE`.
    pub const ADDR_IN_USE: i32 = 98;
    /// The address is not this machine's: `EADDRNOTAVAIL`.
    pub const ADDR_NOT_AVAIL: i32 = 99;
    /// Out of descriptors (this process, or the whole system): `EMFILE`, `ENFILE`.
    pub const OUT_OF_DESCRIPTORS: [i32; 2] = [24, 23];
    /// Out of buffer space or memory: `ENOBUFS`, `ENOMEM`.
    pub const OUT_OF_MEMORY: [i32; 2] = [105, 12];
    /// A protocol error on a connection not yet accepted: `EPROTO`.
    pub const PROTOCOL: i32 = 71;
}

/// The OS's error numbers for the situations sockmodes names: the BSD
/// numbers of macOS (and iOS), from XNU's `bsd/sys/errno.h` (`man 2 intro`).
#[cfg(any(target_os = "macos", target_os = "ios"))]
pub mod code {
    /// A non-blocking call would wait (and, on Unix, a timed-out one): `EAGAIN`.
    pub const WOULD_BLOCK: i32 = 35;
    /// A non-blocking connect is under way: `EINPROGRESS`.
    pub const IN_PROGRESS: i32 = 36;
    /// A non-blocking connect is still under way: `EALREADY`.
    pub const ALREADY: i32 = 37;
    /// The kernel gave up (or, on Windows, a timeout ran out): `ETIMEDOUT`.
    pub const TIMED_OUT: i32 = 60;
    /// Nothing listens at the address: `ECONNREFUSED`.
    pub const CONN_REFUSED: i32 = 61;
    /// The peer reset the connection: `ECONNRESET`.
    pub const CONN_RESET: i32 = 54;
    /// The connection was aborted locally: `ECONNABORTED`.
    pub const CONN_ABORTED: i32 = 53;
    /// Sending on a connection whose sending side is shut: `ESHUTDOWN`.
    pub const SHUTDOWN: i32 = 58;
    /// Writing to a connection the peer closed: `EPIPE`.
    pub const BROKEN_PIPE: i32 = 32;
    /// A signal interrupted the call: `EINTR`.
    pub const INTERRUPTED: i32 = 4;
    /// Permission denied: `EACCES`.
    pub const ACCESS: i32 = 13;
    /// Operation not permitted: `EPERM`.
    pub const NOT_PERMITTED: i32 = 1;
    /// The address is in use: `EADDRINUSE`.
    pub const ADDR_IN_USE: i32 = 48;
    /// The address is not this machine's: `EADDRNOTAVAIL`.
    pub const ADDR_NOT_AVAIL: i32 = 49;
    /// Out of descriptors (this process, or the whole system): `EMFILE`, `ENFILE`.
    pub const OUT_OF_DESCRIPTORS: [i32; 2] = [24, 23];
    /// Out of buffer space or memory: `ENOBUFS`, `ENOMEM`.
    pub const OUT_OF_MEMORY: [i32; 2] = [55, 12];
    /// A protocol error on a connection not yet accepted: `EPROTO`.
    pub const PROTOCOL: i32 = 100;
}

/// The OS's error numbers for the situations sockmodes names: Winsock's
/// `WSAE*` codes, from Microsoft's "Windows Sockets Error Codes"
/// (<https://learn.microsoft.com/en-us/windows/win32/winsock/windows-sockets-error-codes-2>).
/// Windows has no `EPIPE`, `EPROTO` or process-wide descriptor limit for
/// sockets, so those stand in as codes that never occur.
#[cfg(windows)]
pub mod code {
    /// A non-blocking call would wait: `WSAEWOULDBLOCK`.
    pub const WOULD_BLOCK: i32 = 10035;
    /// A blocking call is in progress: `WSAEINPROGRESS`.
    pub const IN_PROGRESS: i32 = 10036;
    /// A non-blocking connect is still under way: `WSAEALREADY`.
    pub const ALREADY: i32 = 10037;
    /// A timeout ran out, or the peer did not answer: `WSAETIMEDOUT`.
    pub const TIMED_OUT: i32 = 10060;
    /// Nothing listens at the address: `WSAECONNREFUSED`.
    pub const CONN_REFUSED: i32 = 10061;
    /// The peer reset the connection: `WSAECONNRESET`.
    pub const CONN_RESET: i32 = 10054;
    /// The connection was aborted locally: `WSAECONNABORTED`.
    pub const CONN_ABORTED: i32 = 10053;
    /// Sending after shutdown, Windows' broken pipe: `WSAESHUTDOWN`.
    pub const SHUTDOWN: i32 = 10058;
    /// No EPIPE on Windows sockets: `WSAESHUTDOWN`.
    pub const BROKEN_PIPE: i32 = SHUTDOWN;
    /// A blocking call was cancelled: `WSAEINTR`.
    pub const INTERRUPTED: i32 = 10004;
    /// Permission denied: `WSAEACCES`.
    pub const ACCESS: i32 = 10013;
    /// No EPERM on Windows sockets: `WSAEACCES`.
    pub const NOT_PERMITTED: i32 = ACCESS;
    /// The address is in use: `WSAEADDRINUSE`.
    pub const ADDR_IN_USE: i32 = 10048;
    /// The address is not this machine's: `WSAEADDRNOTAVAIL`.
    pub const ADDR_NOT_AVAIL: i32 = 10049;
    /// Too many open sockets: `WSAEMFILE`.
    pub const OUT_OF_DESCRIPTORS: [i32; 1] = [10024];
    /// Out of buffer space: `WSAENOBUFS`.
    pub const OUT_OF_MEMORY: [i32; 1] = [10055];
    /// No EPROTO on Windows: a reset before accept, `WSAECONNRESET`.
    pub const PROTOCOL: i32 = CONN_RESET;
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios",
    windows
)))]
compile_error!(
    "sockmodes names the error codes of Linux, macOS and Windows only: add this system's \
     numbers to python/src/sys.rs, and their check to os/src/codes.rs"
);
