//! Socket handles as the system knows them: a descriptor on Unix, a
//! `SOCKET` on Windows. Kept raw where a borrow cannot be (the blocking
//! server's registry of open connections), and shut down from another
//! thread to wake a call blocked on them.

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::{Shutdown, TcpListener, TcpStream};

    #[test]
    fn a_raw_shutdown_sends_the_peer_end_of_stream() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        // SAFETY: `server` is open for the whole call.
        unsafe { shutdown_raw(raw_handle(&server), Shutdown::Write) }.unwrap();
        let mut byte = [0u8; 1];
        assert_eq!(client.read(&mut byte).unwrap(), 0, "a FIN: end of stream");
    }
}
