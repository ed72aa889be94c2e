//! The core's error codes (`sockmodes_python::sys::code`) are numbers
//! written by hand, from each system's documentation, because the core
//! depends on neither `libc` nor `windows-sys`. Here each is checked against
//! the system's own constant, at compile time: a wrong number, or a target
//! whose numbers differ (Linux on MIPS), stops the build of this crate and
//! so of every program, on every target it is built for (the Linux build,
//! the Windows and macOS lints of the test command).

use sockmodes_python::sys::code;

/// Fails the build when the core's number for a name is not the system's.
macro_rules! same {
    ($($name:expr => $system:expr),* $(,)?) => {
        $(const _: () = assert!($name == $system, concat!(stringify!($name), " is not ", stringify!($system)));)*
    };
}

#[cfg(unix)]
same! {
    code::WOULD_BLOCK => libc::EAGAIN,
    code::IN_PROGRESS => libc::EINPROGRESS,
    code::ALREADY => libc::EALREADY,
    code::TIMED_OUT => libc::ETIMEDOUT,
    code::CONN_REFUSED => libc::ECONNREFUSED,
    code::CONN_RESET => libc::ECONNRESET,
    code::CONN_ABORTED => libc::ECONNABORTED,
    code::SHUTDOWN => libc::ESHUTDOWN,
    code::BROKEN_PIPE => libc::EPIPE,
    code::INTERRUPTED => libc::EINTR,
    code::ACCESS => libc::EACCES,
    code::NOT_PERMITTED => libc::EPERM,
    code::ADDR_IN_USE => libc::EADDRINUSE,
    code::ADDR_NOT_AVAIL => libc::EADDRNOTAVAIL,
    code::OUT_OF_DESCRIPTORS[0] => libc::EMFILE,
    code::OUT_OF_DESCRIPTORS[1] => libc::ENFILE,
    code::OUT_OF_MEMORY[0] => libc::ENOBUFS,
    code::OUT_OF_MEMORY[1] => libc::ENOMEM,
    code::PROTOCOL => libc::EPROTO,
}

#[cfg(windows)]
mod winsock {
    use super::code;
    use windows_sys::Win32::Networking::WinSock as ws;

    same! {
        code::WOULD_BLOCK => ws::WSAEWOULDBLOCK,
        code::IN_PROGRESS => ws::WSAEINPROGRESS,
        code::ALREADY => ws::WSAEALREADY,
        code::TIMED_OUT => ws::WSAETIMEDOUT,
        code::CONN_REFUSED => ws::WSAECONNREFUSED,
        code::CONN_RESET => ws::WSAECONNRESET,
        code::CONN_ABORTED => ws::WSAECONNABORTED,
        code::SHUTDOWN => ws::WSAESHUTDOWN,
        code::BROKEN_PIPE => ws::WSAESHUTDOWN,
        code::INTERRUPTED => ws::WSAEINTR,
        code::ACCESS => ws::WSAEACCES,
        code::NOT_PERMITTED => ws::WSAEACCES,
        code::ADDR_IN_USE => ws::WSAEADDRINUSE,
        code::ADDR_NOT_AVAIL => ws::WSAEADDRNOTAVAIL,
        code::OUT_OF_DESCRIPTORS[0] => ws::WSAEMFILE,
        code::OUT_OF_MEMORY[0] => ws::WSAENOBUFS,
        code::PROTOCOL => ws::WSAECONNRESET,
    }
}
