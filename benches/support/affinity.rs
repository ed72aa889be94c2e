//! Core placement of the client and the servers.
//!
//! Left to the scheduler, a loopback round trip here takes 14 to 60 µs
//! depending on whether the two ends land on one core or two, a lottery that
//! swamps the differences the benches measure. So placement is fixed, and the
//! same for all four servers:
//!
//! - `same-core` (default): client and server on CPU 0. A round trip is then
//!   the CPU work of both ends plus two context switches, the figure that
//!   differs between implementations and decides capacity. On this 2-vCPU
//!   virtual machine a cross-core wake-up adds tens of microseconds of
//!   hypervisor latency that belongs to neither server.
//! - `split` (`SOCKMODES_BENCH_PLACEMENT=split`): client on CPU 0, every
//!   server on CPU 1, one core each, as on two machines.
//!
//! Threads inherit their creator's mask, so a server started from a thread
//! pinned to the server core keeps all its threads (connection threads, event
//! loops, tokio workers) there.

/// The client's core.
pub const CLIENT_CPU: usize = 0;

/// Cores online on the machine.
///
/// Not `std::thread::available_parallelism`: that follows the calling
/// thread's affinity mask, so once the bench thread is pinned it says 1.
pub fn cores_online() -> usize {
    // SAFETY: sysconf only reads a system setting.
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    usize::try_from(n).unwrap_or(1).max(1)
}

/// True for `SOCKMODES_BENCH_PLACEMENT=split` on a machine with two cores.
pub fn split() -> bool {
    cores_online() >= 2 && std::env::var("SOCKMODES_BENCH_PLACEMENT").is_ok_and(|v| v == "split")
}

/// The servers' core.
pub fn server_cpu() -> usize {
    if split() {
        1
    } else {
        CLIENT_CPU
    }
}

/// One sentence for the report.
pub fn describe() -> &'static str {
    if split() {
        "Placement `split`: the client on CPU 0, every server on CPU 1 (one core each; one event thread for mio and tokio)."
    } else {
        "Placement `same-core`: the client and every server on CPU 0, so a round trip is the CPU work of both ends plus \
         two context switches (set SOCKMODES_BENCH_PLACEMENT=split for one core each); one event thread for mio and tokio."
    }
}

/// Pins the calling thread to `cpu`.
pub fn pin_current_thread(cpu: usize) {
    if cpu >= cores_online() {
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
    pin_current_thread(server_cpu());
    let started = start();
    pin_current_thread(CLIENT_CPU);
    started
}
