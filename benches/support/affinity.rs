//! Core placement: the client on one core, every server on another.
//!
//! On this machine a loopback round trip takes 14 to 60 µs depending on
//! which cores the two ends land on, enough to swamp the differences the
//! benches measure. Pinning removes that lottery and puts all four servers on
//! the same footing: each gets exactly one core, the client gets the other.
//! Threads inherit their creator's mask, so a server started from a thread
//! pinned to the server core keeps all its threads (connection threads, event
//! loops, tokio workers) there.

/// The client's core.
pub const CLIENT_CPU: usize = 0;
/// The servers' core.
pub const SERVER_CPU: usize = 1;

/// True when there are two cores to separate client and server.
pub fn available() -> bool {
    std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2)
}

/// Pins the calling thread to `cpu` (no-op with fewer than two cores).
pub fn pin_current_thread(cpu: usize) {
    if !available() {
        return;
    }
    // SAFETY: cpu_set_t is plain data, initialised by CPU_ZERO/CPU_SET;
    // sched_setaffinity(0, ...) affects only the calling thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_ZERO(&mut set);
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            eprintln!(
                "warning: could not pin to CPU {cpu}: {}",
                std::io::Error::last_os_error()
            );
        }
    }
}

/// Runs `start` on the server core, then returns the caller to the client core.
pub fn on_server_cpu<T>(start: impl FnOnce() -> T) -> T {
    pin_current_thread(SERVER_CPU);
    let started = start();
    pin_current_thread(CLIENT_CPU);
    started
}
