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

/// The OS's error numbers for the situations sockmodes names, each written
/// `pick(LINUX, MACOS, WINDOWS)`.
///
/// Linux's are from the kernel's `include/uapi/asm-generic/errno-base.h`
/// and `errno.h` (`man 3 errno`): those of x86 and Arm; MIPS, SPARC, Alpha
/// and PA-RISC number some differently, and there `os/src/codes.rs` stops
/// the build. macOS (and iOS) has the BSD numbers, from XNU's
/// `bsd/sys/errno.h` (`man 2 intro`). Windows' are Winsock's `WSAE*` codes,
/// from Microsoft's "Windows Sockets Error Codes"
/// (<https://learn.microsoft.com/en-us/windows/win32/winsock/windows-sockets-error-codes-2>);
/// Windows has no `EPIPE`, `EPERM`, `EPROTO` or process-wide descriptor
/// limit for sockets, so those stand in as the codes it gives instead.
#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios",
    windows
))]
pub mod code {
    /// The value for the system this is built for.
    const fn pick<T: Copy>(linux: T, macos: T, windows: T) -> T {
        if cfg!(windows) {
            windows
        } else if cfg!(any(target_os = "macos", target_os = "ios")) {
            macos
        } else {
            linux
        }
    }

    /// A non-blocking call would wait (and, on Unix, a timed-out one):
    /// `EAGAIN`, `WSAEWOULDBLOCK`.
    pub const WOULD_BLOCK: i32 = pick(11, 35, 10035);
    /// A non-blocking connect is under way: `EINPROGRESS`; on Windows a
    /// blocking call is in progress, `WSAEINPROGRESS`.
    pub const IN_PROGRESS: i32 = pick(115, 36, 10036);
    /// A non-blocking connect is still under way: `EALREADY`, `WSAEALREADY`.
    pub const ALREADY: i32 = pick(114, 37, 10037);
    /// The kernel gave up (or, on Windows, a timeout ran out, or the peer did
    /// not answer): `ETIMEDOUT`, `WSAETIMEDOUT`.
    pub const TIMED_OUT: i32 = pick(110, 60, 10060);
    /// Nothing listens at the address: `ECONNREFUSED`, `WSAECONNREFUSED`.
    pub const CONN_REFUSED: i32 = pick(111, 61, 10061);
    /// The peer reset the connection: `ECONNRESET`, `WSAECONNRESET`.
    pub const CONN_RESET: i32 = pick(104, 54, 10054);
    /// The connection was aborted locally: `ECONNABORTED`, `WSAECONNABORTED`.
    pub const CONN_ABORTED: i32 = pick(103, 53, 10053);
    /// Sending on a connection whose sending side is shut: `ESHUTDOWN`,
    /// `WSAESHUTDOWN` (Windows' broken pipe).
    pub const SHUTDOWN: i32 = pick(108, 58, 10058);
    /// Writing to a connection the peer closed: `EPIPE`; no EPIPE on Windows
    /// sockets, `WSAESHUTDOWN`.
    pub const BROKEN_PIPE: i32 = pick(32, 32, SHUTDOWN);
    /// A signal interrupted the call: `EINTR`; on Windows a blocking call was
    /// cancelled, `WSAEINTR`.
    pub const INTERRUPTED: i32 = pick(4, 4, 10004);
    /// Permission denied: `EACCES`, `WSAEACCES`.
    pub const ACCESS: i32 = pick(13, 13, 10013);
    /// Operation not permitted: `EPERM`; no EPERM on Windows sockets,
    /// `WSAEACCES`.
    pub const NOT_PERMITTED: i32 = pick(1, 1, ACCESS);
    /// The address is in use: `EADDRINUSE`, `WSAEADDRINUSE`.
    pub const ADDR_IN_USE: i32 = pick(98, 48, 10048);
    /// The address is not this machine's: `EADDRNOTAVAIL`, `WSAEADDRNOTAVAIL`.
    pub const ADDR_NOT_AVAIL: i32 = pick(99, 49, 10049);
    /// Out of descriptors (this process, or the whole system): `EMFILE`,
    /// `ENFILE`; on Windows too many open sockets, `WSAEMFILE`.
    pub const OUT_OF_DESCRIPTORS: &[i32] = pick(&[24, 23], &[24, 23], &[10024]);
    /// Out of buffer space or memory: `ENOBUFS`, `ENOMEM`; on Windows out of
    /// buffer space, `WSAENOBUFS`.
    pub const OUT_OF_MEMORY: &[i32] = pick(&[105, 12], &[55, 12], &[10055]);
    /// A protocol error on a connection not yet accepted: `EPROTO`; no EPROTO
    /// on Windows, a reset before accept, `WSAECONNRESET`.
    pub const PROTOCOL: i32 = pick(71, 100, CONN_RESET);
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
