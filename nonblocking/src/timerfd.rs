//! The Linux timer: a `timerfd` registered in the same `Poll` as the
//! sockets. It expires with nanosecond resolution and wakes `poll` through
//! an ordinary READABLE event, with no thread of its own.

use std::cell::Cell;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Instant;

use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};

/// A one-shot monotonic timer that wakes a `Poll`.
#[derive(Debug)]
pub struct TimerFd {
    fd: OwnedFd,
    /// The deadline the timer is armed for and has not yet reported:
    /// arming it again for the same instant is skipped (a loop re-arms on
    /// every wake-up, mostly for the deadline it already set).
    armed: Cell<Option<Instant>>,
}

impl TimerFd {
    /// Creates the timer and registers it under `token`.
    ///
    /// # Errors
    /// `timerfd_create` or the registration failed.
    pub fn register(registry: &Registry, token: Token) -> io::Result<TimerFd> {
        // SAFETY: plain syscall; a non-negative return is a new descriptor we own.
        let raw = unsafe {
            libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
            )
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        registry.register(&mut SourceFd(&fd.as_raw_fd()), token, Interest::READABLE)?;
        Ok(TimerFd {
            fd,
            armed: Cell::new(None),
        })
    }

    /// Arms the timer to fire at `at` (at once if `at` has passed), replacing
    /// any earlier setting.
    ///
    /// # Errors
    /// `timerfd_settime` failed.
    pub fn arm(&self, at: Instant) -> io::Result<()> {
        if self.armed.get() == Some(at) {
            return Ok(());
        }
        // Setting the timer also resets its count of expirations, so an
        // earlier expiry not yet read cannot wake the loop early.
        // A zero it_value would disarm: use 1 ns for "now".
        let wait = at
            .saturating_duration_since(Instant::now())
            .max(std::time::Duration::from_nanos(1));
        let spec = libc::itimerspec {
            it_interval: libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: libc::timespec {
                tv_sec: wait.as_secs() as libc::time_t,
                tv_nsec: libc::c_long::from(wait.subsec_nanos() as i32),
            },
        };
        // SAFETY: `spec` is a valid itimerspec; the old value is not requested.
        if unsafe { libc::timerfd_settime(self.fd.as_raw_fd(), 0, &spec, std::ptr::null_mut()) }
            != 0
        {
            return Err(io::Error::last_os_error());
        }
        self.armed.set(Some(at));
        Ok(())
    }

    /// Consumes a pending expiry so the next one produces a new edge.
    pub fn clear(&self) {
        self.armed.set(None);
        let mut expirations = [0u8; 8];
        // SAFETY: reads at most 8 bytes into our buffer; EAGAIN (nothing
        // pending) is the expected non-error here and is ignored.
        let _ = unsafe {
            libc::read(
                self.fd.as_raw_fd(),
                expirations.as_mut_ptr().cast(),
                expirations.len(),
            )
        };
    }
}
