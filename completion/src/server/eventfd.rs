//! An eventfd: how another thread gets the ring's attention. The ring
//! keeps a read of it in flight, so a write (a shutdown, a finished work)
//! completes that read and wakes `io_uring_enter`.

/// An eventfd, closed on drop.
pub(super) struct EventFd(pub(super) i32);

impl EventFd {
    /// A new eventfd, its counter at zero.
    pub(super) fn new() -> std::io::Result<EventFd> {
        // SAFETY: eventfd takes no pointers.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(EventFd(fd))
    }

    /// Adds one to the counter, completing the ring's read of it.
    pub(super) fn signal(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64 to our own descriptor.
        unsafe { libc::write(self.0, (&one as *const u64).cast(), 8) };
    }
}

impl Drop for EventFd {
    fn drop(&mut self) {
        // SAFETY: our own descriptor, closed once.
        unsafe { libc::close(self.0) };
    }
}
