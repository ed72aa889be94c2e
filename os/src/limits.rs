//! The limits the system puts on a process, read and raised here:
//! open files (every connection is one) and threads (the offload pool's
//! workers). The core checks a pool against the thread limits as data
//! ([`sockmodes_serving::offload::check_thread_limit`]); this module is where
//! they are asked of the system.

use std::io;

use sockmodes_serving::offload::{OffloadError, ThreadLimit};

/// The open-file limits before and after [`raise_nofile_limit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NofileLimit {
    /// Soft limit before the call.
    pub before: u64,
    /// Soft limit now.
    pub now: u64,
}

/// Raises this process's open-file soft limit to its hard limit.
///
/// Every connection is a file descriptor, and the usual soft limit (1024)
/// stops a server or load generator long before memory does. macOS reports
/// an unlimited hard limit but refuses a soft limit above `OPEN_MAX`
/// (10,240), so there it asks for that instead.
///
/// # Errors
/// The OS error from getrlimit/setrlimit.
#[cfg(unix)]
pub fn raise_nofile_limit() -> io::Result<NofileLimit> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own; no other memory is touched.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let before = lim.rlim_cur;
    // macOS's OPEN_MAX (sys/syslimits.h): the most setrlimit accepts there.
    const MACOS_OPEN_MAX: libc::rlim_t = 10_240;
    let want = if cfg!(target_os = "macos") {
        lim.rlim_max.min(MACOS_OPEN_MAX)
    } else {
        lim.rlim_max
    };
    if lim.rlim_cur < want {
        lim.rlim_cur = want;
        // SAFETY: setrlimit only reads the struct we own.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(NofileLimit {
        before,
        now: lim.rlim_cur,
    })
}

/// Windows has no per-process limit on sockets (they are kernel handles,
/// limited only by memory): nothing to raise, and the limit reads as
/// `u64::MAX`.
///
/// # Errors
/// None on Windows.
#[cfg(windows)]
pub fn raise_nofile_limit() -> io::Result<NofileLimit> {
    Ok(NofileLimit {
        before: u64::MAX,
        now: u64::MAX,
    })
}

/// Memory mappings one thread costs on Linux: its stack and the stack's
/// guard page, and the alternate signal stack Rust's runtime gives every
/// thread, with its own guard page. Measured: 4 more lines in
/// `/proc/self/maps` per thread started.
pub const MAPPINGS_PER_THREAD: u64 = 4;

/// Mappings left for everything but the threads: the binary and its
/// libraries, the allocator's arenas, large buffers.
///
/// Why 1,024: a server here maps a few hundred at start; each large
/// buffer the allocator takes with `mmap` is one more.
pub const MAPPINGS_KEPT: u64 = 1024;

/// Threads this process can still start within `vm.max_map_count` (Linux):
/// past it a thread's start fails inside Rust's runtime, which aborts the
/// whole process ("failed to set up alternative stack guard page") rather
/// than returning an error from `spawn`, so the count is checked before.
pub fn thread_limit_by_mappings() -> Option<ThreadLimit> {
    let max = sysctl("/proc/sys/vm/max_map_count")?;
    let in_use = std::fs::read_to_string("/proc/self/maps")
        .ok()?
        .lines()
        .count() as u64;
    Some(ThreadLimit {
        name: "vm.max_map_count, at 4 memory mappings a thread",
        max: max.saturating_sub(in_use + MAPPINGS_KEPT) / MAPPINGS_PER_THREAD,
    })
}

/// The system's limits on this process's threads: the soft `RLIMIT_NPROC`
/// (Unix, when not unlimited), `/proc/sys/kernel/threads-max` and what
/// `vm.max_map_count` leaves ([`thread_limit_by_mappings`]) (Linux).
/// Empty where the system states none (Windows): the core's own limit
/// ([`sockmodes_serving::offload::UNSTATED_MAX`]) applies there.
pub fn thread_limits() -> Vec<ThreadLimit> {
    let mut limits = Vec::new();
    #[cfg(unix)]
    {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes into the struct we own.
        if unsafe { libc::getrlimit(libc::RLIMIT_NPROC, &mut lim) } == 0
            && lim.rlim_cur != libc::RLIM_INFINITY
        {
            limits.push(ThreadLimit {
                name: "RLIMIT_NPROC",
                max: lim.rlim_cur,
            });
        }
    }
    if let Some(max) = sysctl("/proc/sys/kernel/threads-max") {
        limits.push(ThreadLimit {
            name: "kernel.threads-max",
            max,
        });
    }
    limits.extend(thread_limit_by_mappings());
    limits
}

/// The number a `/proc/sys` file holds; `None` where there is none (off
/// Linux).
fn sysctl(path: &str) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// The fewest threads any of [`thread_limits`] allows, with its limit
/// (`None`: the system states none).
pub fn thread_limit() -> Option<ThreadLimit> {
    thread_limits().into_iter().min_by_key(|l| l.max)
}

/// Refuses more workers than this process may have threads
/// ([`thread_limits`], and the core's own limit).
///
/// # Errors
/// [`OffloadError::TooMany`], naming the limit.
pub fn check_thread_limit(workers: usize) -> Result<(), OffloadError> {
    sockmodes_serving::offload::check_thread_limit(workers, &thread_limits())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nofile_limit_is_raised_to_hard() {
        let l = raise_nofile_limit().unwrap();
        assert!(l.now >= l.before);
        let again = raise_nofile_limit().unwrap();
        assert_eq!((again.before, again.now), (l.now, l.now), "raised once");
        #[cfg(target_os = "linux")]
        {
            let mut lim = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            // SAFETY: getrlimit writes into the struct we own.
            assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
            assert_eq!(l.now, lim.rlim_max, "the soft limit is the hard one");
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn linux_states_its_thread_limits_and_a_pool_beyond_them_is_refused() {
        let limits = thread_limits();
        // kernel.threads-max at least; RLIMIT_NPROC unless unlimited.
        assert!(
            !limits.is_empty() && limits.iter().all(|l| l.max > 0),
            "{limits:?}"
        );
        assert!(check_thread_limit(1).is_ok());
        let maps = thread_limit_by_mappings().expect("vm.max_map_count on Linux");
        assert!(maps.max > 0, "{maps:?}");
        assert!(thread_limit().unwrap().max <= maps.max);
        let line = check_thread_limit(usize::MAX / 2).unwrap_err().to_string();
        assert!(
            line.contains("more threads than this system allows"),
            "{line}"
        );
    }
}
