//! What a process asks of the system about itself and its children: its
//! CPU time, the monotonic clock every process shares, the cores online,
//! pinning a thread, and the signals a server and its parent exchange
//! (SIGUSR1 for the counters line, SIGTERM for a graceful stop).

use std::time::Duration;

#[cfg(windows)]
use windows_sys::{
    core::BOOL,
    Win32::Foundation::{FILETIME, HANDLE},
};

/// CPU time a process has used so far.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CpuTime {
    /// In user space.
    pub user: Duration,
    /// In the kernel on its behalf.
    pub system: Duration,
}

/// This process's CPU time so far; `None` where the OS gives no figure.
#[cfg(unix)]
pub fn process_cpu_time() -> Option<CpuTime> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given and touches nothing else.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: rc == 0, so the kernel wrote the whole struct.
    let usage = unsafe { usage.assume_init() };
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    Some(CpuTime {
        user: tv(usage.ru_utime),
        system: tv(usage.ru_stime),
    })
}

/// This process's CPU time so far; `None` where the OS gives no figure.
#[cfg(windows)]
pub fn process_cpu_time() -> Option<CpuTime> {
    use windows_sys::Win32::System::Threading::{GetCurrentProcess, GetProcessTimes};
    // SAFETY: GetProcessTimes on the current process's pseudo-handle,
    // which is always open and needs no closing.
    let (kernel, user) = unsafe { windows_times(GetProcessTimes, GetCurrentProcess()) }?;
    // FILETIME counts 100 ns ticks.
    Some(CpuTime {
        user: Duration::from_nanos(user * 100),
        system: Duration::from_nanos(kernel * 100),
    })
}

/// The (kernel, user) CPU time, in FILETIME's 100 ns ticks, that `get`
/// (`GetProcessTimes` or `GetThreadTimes`) reports for `handle`; `None`
/// when the call failed (`io::Error::last_os_error` says why).
///
/// # Safety
/// `get` is `GetProcessTimes` or `GetThreadTimes` (or a function with
/// their contract), and `handle` is a process or thread handle (or
/// pseudo-handle) that stays open for the call, with the query right.
#[cfg(windows)]
pub(crate) unsafe fn windows_times(
    get: unsafe extern "system" fn(
        HANDLE,
        *mut FILETIME,
        *mut FILETIME,
        *mut FILETIME,
        *mut FILETIME,
    ) -> BOOL,
    handle: HANDLE,
) -> Option<(u64, u64)> {
    let [mut created, mut exited, mut kernel, mut user] = [FILETIME::default(); 4];
    // SAFETY: the four out-parameters are valid FILETIMEs; `get` and
    // `handle` are as this function's contract requires.
    if unsafe { get(handle, &mut created, &mut exited, &mut kernel, &mut user) } == 0 {
        return None;
    }
    let ticks = |t: FILETIME| (u64::from(t.dwHighDateTime) << 32) | u64::from(t.dwLowDateTime);
    Some((ticks(kernel), ticks(user)))
}

/// CPU time the calling thread has used so far (user and system).
///
/// `CLOCK_THREAD_CPUTIME_ID` on Unix: nanoseconds, and only this thread's
/// running counts, so a thread preempted by others on a busy machine does
/// not see its clock advance meanwhile. `cpu` work spins until this clock
/// has advanced by its amount ([`crate::work`]).
#[cfg(unix)]
pub fn thread_cpu_time() -> Duration {
    // SAFETY: clock_gettime fills a local timespec.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// CPU time the calling thread has used so far (user and kernel), from
/// `GetThreadTimes`: Windows counts it in scheduler ticks (about 15.6 ms),
/// so work shorter than a tick lasts until the tick that ends it.
#[cfg(windows)]
pub fn thread_cpu_time() -> Duration {
    use windows_sys::Win32::System::Threading::{GetCurrentThread, GetThreadTimes};
    // SAFETY: GetThreadTimes on the current thread's pseudo-handle, which
    // is always open and needs no closing.
    unsafe { windows_times(GetThreadTimes, GetCurrentThread()) }
        .map_or(Duration::ZERO, |(kernel, user)| {
            Duration::from_nanos((user + kernel) * 100)
        })
}

/// Cores online on the machine.
///
/// Not `std::thread::available_parallelism`: that follows the calling
/// thread's affinity mask, so once the bench thread is pinned it says 1.
#[cfg(unix)]
pub fn cores_online() -> usize {
    // SAFETY: sysconf only reads a system setting.
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    usize::try_from(n).unwrap_or(1).max(1)
}

/// Cores online (nothing is pinned here, so the process's own count is the
/// machine's).
#[cfg(not(unix))]
pub fn cores_online() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Pins the calling thread to `cpus` (those that exist).
#[cfg(target_os = "linux")]
pub fn pin_current_thread(cpus: &[usize]) {
    let online = cores_online();
    if !cpus.iter().any(|&c| c < online) {
        return;
    }
    // SAFETY: cpu_set_t is plain data, initialised by CPU_ZERO/CPU_SET;
    // sched_setaffinity(0, ...) affects only the calling thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_ZERO(&mut set);
        for &cpu in cpus.iter().filter(|&&c| c < online) {
            libc::CPU_SET(cpu, &mut set);
        }
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            eprintln!(
                "warning: could not pin to {cpus:?}: {}",
                std::io::Error::last_os_error()
            );
        }
    }
}

/// Nothing to pin with here; the study's placement says so.
#[cfg(not(target_os = "linux"))]
pub fn pin_current_thread(_cpus: &[usize]) {}

/// Runs `f` with the calling thread at real-time priority (`SCHED_FIFO`,
/// the lowest level) where the system allows it, then puts the thread's
/// policy back, even if `f` panics; the second value says whether the
/// priority was raised (not without the permission, not from a real-time
/// policy already, not off Linux).
///
/// Why: a reading of a server's costs at a window's edge (a walk of
/// `/proc` over its threads, its counters line) at ordinary priority
/// waits its turn behind every busy thread of the load it measures, and
/// with thousands of them that turn can come after the window has ended.
/// `f` must be short or asleep: nothing of ordinary priority runs on its
/// core while it computes.
#[cfg(target_os = "linux")]
pub fn urgently<T>(f: impl FnOnce() -> T) -> (T, bool) {
    /// Puts the thread's policy back when dropped.
    struct Restore(libc::c_int, libc::sched_param);
    impl Drop for Restore {
        fn drop(&mut self) {
            // SAFETY: pid 0 is the calling thread; the param is ours.
            unsafe { libc::sched_setscheduler(0, self.0, &self.1) };
        }
    }
    // SAFETY: pid 0 is the calling thread; the params are local values the
    // calls read or fill.
    let policy = unsafe { libc::sched_getscheduler(0) } & !libc::SCHED_RESET_ON_FORK;
    let mut old: libc::sched_param = unsafe { std::mem::zeroed() };
    let known = policy >= 0 && unsafe { libc::sched_getparam(0, &mut old) } == 0;
    // Only from a time-shared policy: a real-time one is left as it is.
    let shared = [libc::SCHED_OTHER, libc::SCHED_BATCH, libc::SCHED_IDLE].contains(&policy);
    let fifo = libc::sched_param { sched_priority: 1 };
    let raised =
        known && shared && unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &fifo) } == 0;
    let _restore = raised.then_some(Restore(policy, old));
    (f(), raised)
}

/// Off Linux: `f` at the thread's own priority.
#[cfg(not(target_os = "linux"))]
pub fn urgently<T>(f: impl FnOnce() -> T) -> (T, bool) {
    (f(), false)
}

/// CLOCK_MONOTONIC now, in nanoseconds: the same clock in every process of
/// the machine, so a parent can order a child's line against its own
/// request (0 where there is none: Windows).
pub fn monotonic_ns() -> u64 {
    #[cfg(unix)]
    {
        // SAFETY: clock_gettime fills a local timespec.
        let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
        ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
    }
    #[cfg(not(unix))]
    {
        0
    }
}

/// A signal one of our processes sends another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Print the counters line (`kill -USR1`).
    Usr1,
    /// Stop gracefully.
    Term,
}

/// Sends `signal` to process `pid` (one of our own children).
///
/// # Errors
/// The process is gone, or may not be signalled.
#[cfg(unix)]
pub fn send_signal(pid: u32, signal: Signal) -> std::io::Result<()> {
    let sig = match signal {
        Signal::Usr1 => libc::SIGUSR1,
        Signal::Term => libc::SIGTERM,
    };
    // SAFETY: kill only sends a signal.
    if unsafe { libc::kill(pid as libc::pid_t, sig) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Blocks SIGUSR1 in this thread and every thread it starts afterwards, so
/// that only [`wait_usr1`] receives it. Call before any thread is started.
#[cfg(unix)]
pub fn block_usr1() {
    // SAFETY: sigset operations on a local set; pthread_sigmask on this thread.
    unsafe {
        let set = usr1_set();
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

/// Waits for the next SIGUSR1 (blocked in every thread by [`block_usr1`]);
/// false if the wait failed.
#[cfg(unix)]
pub fn wait_usr1() -> bool {
    let mut sig = 0;
    // SAFETY: sigwait on a local set holding SIGUSR1.
    unsafe {
        let set = usr1_set();
        libc::sigwait(&set, &mut sig) == 0
    }
}

#[cfg(unix)]
unsafe fn usr1_set() -> libc::sigset_t {
    let mut set: libc::sigset_t = std::mem::zeroed();
    libc::sigemptyset(&mut set);
    libc::sigaddset(&mut set, libc::SIGUSR1);
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_monotonic_clock_moves_forward_where_there_is_one() {
        let a = monotonic_ns();
        std::thread::sleep(Duration::from_millis(2));
        let b = monotonic_ns();
        if cfg!(unix) {
            assert!(b > a, "{a} then {b}");
        } else {
            assert_eq!((a, b), (0, 0));
        }
    }

    #[test]
    fn urgent_work_runs_raised_where_allowed_and_the_thread_gets_its_policy_back() {
        #[cfg(target_os = "linux")]
        let policy = || unsafe { libc::sched_getscheduler(0) };
        #[cfg(not(target_os = "linux"))]
        let policy = || 0;
        let before = policy();
        let (inside, raised) = urgently(policy);
        if raised {
            #[cfg(target_os = "linux")]
            assert_eq!(inside, libc::SCHED_FIFO);
        } else {
            assert_eq!(inside, before, "not raised: the thread's own policy");
        }
        assert_eq!(policy(), before, "put back");
    }

    #[test]
    fn the_thread_clock_counts_this_threads_computing_not_its_sleep() {
        let start = thread_cpu_time();
        std::thread::sleep(Duration::from_millis(30));
        let slept = thread_cpu_time() - start;
        let start = thread_cpu_time();
        let mut x = 0u64;
        while thread_cpu_time() - start < Duration::from_millis(30) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let computed = thread_cpu_time() - start;
        assert!(computed >= Duration::from_millis(30), "{computed:?}");
        assert!(slept < computed, "slept {slept:?}, computed {computed:?}");
    }

    #[test]
    fn at_least_one_core_is_online() {
        assert!(cores_online() >= 1);
    }
}
