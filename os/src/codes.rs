//! The core's error codes (`sockmodes_python::sys::code`) are numbers
//! written by hand, from each system's documentation, because the core
//! depends on neither `libc` nor `windows-sys`. Here each is checked against
//! the system's own constant, at compile time: a wrong number, or a target
//! whose numbers differ (Linux on MIPS), stops the build of this crate and
//! so of every program, on every target it is built for (the Linux build,
//! the Windows and macOS lints of the test command).

#[cfg(unix)]
use libc as unix;
use sockmodes_python::sys::code;
#[cfg(windows)]
use windows_sys::Win32::Networking::WinSock as windows;

/// Fails the build when the core's number for a name is not the system's:
/// `NAME => UNIX, WINDOWS` names `libc`'s and Winsock's constant for it
/// (a row without a Windows constant is checked on Unix only).
macro_rules! same {
    ($($name:expr => $unix:ident $(, $windows:ident)?;)*) => {
        $(
            #[cfg(unix)]
            same!(@ $name, unix, $unix);
            $(
                #[cfg(windows)]
                same!(@ $name, windows, $windows);
            )?
        )*
    };
    (@ $name:expr, $system:ident, $constant:ident) => {
        const _: () = assert!($name == $system::$constant, concat!(stringify!($name), " is not ", stringify!($constant)));
    };
}

same! {
    code::WOULD_BLOCK => EAGAIN, WSAEWOULDBLOCK;
    code::IN_PROGRESS => EINPROGRESS, WSAEINPROGRESS;
    code::ALREADY => EALREADY, WSAEALREADY;
    code::TIMED_OUT => ETIMEDOUT, WSAETIMEDOUT;
    code::CONN_REFUSED => ECONNREFUSED, WSAECONNREFUSED;
    code::CONN_RESET => ECONNRESET, WSAECONNRESET;
    code::CONN_ABORTED => ECONNABORTED, WSAECONNABORTED;
    code::SHUTDOWN => ESHUTDOWN, WSAESHUTDOWN;
    code::BROKEN_PIPE => EPIPE, WSAESHUTDOWN;
    code::INTERRUPTED => EINTR, WSAEINTR;
    code::ACCESS => EACCES, WSAEACCES;
    code::NOT_PERMITTED => EPERM, WSAEACCES;
    code::ADDR_IN_USE => EADDRINUSE, WSAEADDRINUSE;
    code::ADDR_NOT_AVAIL => EADDRNOTAVAIL, WSAEADDRNOTAVAIL;
    code::OUT_OF_DESCRIPTORS[0] => EMFILE, WSAEMFILE;
    code::OUT_OF_DESCRIPTORS[1] => ENFILE;
    code::OUT_OF_MEMORY[0] => ENOBUFS, WSAENOBUFS;
    code::OUT_OF_MEMORY[1] => ENOMEM;
    code::PROTOCOL => EPROTO, WSAECONNRESET;
}
