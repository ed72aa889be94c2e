//! What a server process costs, read from Linux's `/proc`: resident memory,
//! CPU time split into user and system, context switches, and threads.
//!
//! These are the *why* behind a scaling curve. Resident set size (RSS)
//! counts the pages a process really touches: a thread's 64 KiB stack that
//! only ever uses 8 KiB adds 8 KiB, not 64. A context switch is the kernel
//! putting one thread to sleep and running another: a thread per connection
//! pays one or two per message, an event loop few, since one wake-up serves
//! every ready connection.
//!
//! Why `/proc` and not a portable crate: context switches per thread, and the
//! user/system split of another process's CPU time, are only there (`sysinfo`
//! gives neither). On Windows the same figures come from the Windows API
//! (`procfs_windows.rs`: threads from a Toolhelp32 snapshot, the working set
//! from `GetProcessMemoryInfo`, CPU from `GetProcessTimes`), except context
//! switches, which it does not give per process
//! ([`ProcessSample::switches_measured`] is false there). Elsewhere (macOS)
//! every call returns an error and the benches say "not measured".

#[cfg(not(windows))]
use std::io;

#[cfg(windows)]
#[path = "procfs_windows.rs"]
mod windows;
#[cfg(windows)]
pub use windows::{peak_resident_bytes, physical_memory, resident_bytes, sample};

#[cfg(not(windows))]
/// The machine's physical memory in bytes, from the `MemTotal` line of
/// `/proc/meminfo` (Windows: `GetPerformanceInfo`'s `PhysicalTotal`): what
/// the command checks sizes against, so that a size no allocation could
/// satisfy is refused before it is tried.
///
/// # Errors
/// The file cannot be read (not Linux) or has no `MemTotal`.
pub fn physical_memory() -> io::Result<u64> {
    kib_line("/proc/meminfo", "MemTotal", "/proc/meminfo")
}

#[cfg(not(windows))]
/// Resident memory of process `pid` (`None`: this process), in bytes, from
/// the `VmRSS` line of `/proc/PID/status`.
///
/// # Errors
/// The file cannot be read (no such process, not Linux) or has no `VmRSS`.
pub fn resident_bytes(pid: Option<u32>) -> io::Result<u64> {
    kib_line(&status_path(pid), "VmRSS", "/proc status")
}

#[cfg(not(windows))]
/// The most memory process `pid` ever had resident (its high-water mark,
/// `VmHWM`), in bytes: what a burst really cost, even after it was freed.
///
/// # Errors
/// The file cannot be read (no such process, not Linux) or has no `VmHWM`.
pub fn peak_resident_bytes(pid: u32) -> io::Result<u64> {
    kib_line(&status_path(Some(pid)), "VmHWM", "/proc status")
}

#[cfg(not(windows))]
/// The `KEY:` line of the file at `path`, a number of KiB, in bytes; an
/// error naming the file as `what` when there is no such line.
fn kib_line(path: &str, key: &str, what: &str) -> io::Result<u64> {
    let text = std::fs::read_to_string(path)?;
    status_field(&text, &format!("{key}:"))
        .map(|kib| kib * 1024)
        .ok_or_else(|| invalid(&format!("no {key} line in {what}")))
}

/// One reading of a process's costs so far.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ProcessSample {
    /// CPU seconds in user space (all threads, `/proc/PID/stat` utime).
    pub user_s: f64,
    /// CPU seconds in the kernel on its behalf (stime).
    pub system_s: f64,
    /// Voluntary context switches of all its threads (it waited).
    pub voluntary_switches: u64,
    /// Involuntary ones (its time slice ran out, or a wake-up preempted it).
    pub involuntary_switches: u64,
    /// Threads now.
    pub threads: u64,
    /// Resident memory now, bytes (Windows: the working set).
    pub rss_bytes: u64,
    /// False where the system does not give context switches per process
    /// (Windows): then both counts are 0 and mean "not measured".
    pub switches_measured: bool,
}

impl ProcessSample {
    /// Context switches of both kinds.
    pub fn switches(&self) -> u64 {
        self.voluntary_switches + self.involuntary_switches
    }
}

#[cfg(not(windows))]
/// Reads process `pid`'s costs: CPU from `/proc/PID/stat`, memory and
/// threads from `/proc/PID/status`, and context switches summed over every
/// thread in `/proc/PID/task/*/status` (the process's own status counts only
/// its first thread). Threads that exit between listing and reading are
/// skipped; their switches are lost, so read while the threads live.
///
/// # Errors
/// The files cannot be read (no such process, not Linux).
pub fn sample(pid: u32) -> io::Result<ProcessSample> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name, which is in parentheses and may hold
    // spaces: utime and stime are fields 14 and 15, i.e. 12 and 13 after ')'.
    let after = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| invalid("no ')' in /proc stat"))?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| -> io::Result<f64> {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .map(|t| t as f64 / clock_ticks_per_second())
            .ok_or_else(|| invalid("short /proc stat"))
    };
    let status = std::fs::read_to_string(status_path(Some(pid)))?;
    let mut s = ProcessSample {
        user_s: ticks(11)?,
        system_s: ticks(12)?,
        threads: status_field(&status, "Threads:").unwrap_or(0),
        rss_bytes: status_field(&status, "VmRSS:").unwrap_or(0) * 1024,
        switches_measured: true,
        ..ProcessSample::default()
    };
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))?.flatten() {
        let Ok(text) = std::fs::read_to_string(task.path().join("status")) else {
            continue;
        };
        s.voluntary_switches += status_field(&text, "voluntary_ctxt_switches:").unwrap_or(0);
        s.involuntary_switches += status_field(&text, "nonvoluntary_ctxt_switches:").unwrap_or(0);
    }
    Ok(s)
}

#[cfg(not(windows))]
fn status_path(pid: Option<u32>) -> String {
    match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".to_string(),
    }
}

#[cfg(not(windows))]
/// The number after `key` on its line of a `/proc/.../status` text.
fn status_field(status: &str, key: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(key))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

#[cfg(not(windows))]
fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

/// The unit of `/proc/PID/stat`'s CPU times.
#[cfg(unix)]
fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf only reads a system setting.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 {
        hz as f64
    } else {
        100.0
    }
}

/// No `/proc` here, so no ticks to convert; the reads fail first.
#[cfg(not(any(unix, windows)))]
fn clock_ticks_per_second() -> f64 {
    100.0
}

#[cfg(test)]
#[cfg(target_os = "linux")]
mod tests {
    use std::sync::mpsc;
    use std::thread;
    use std::time::{Duration, Instant};

    #[test]
    fn this_process_has_resident_memory_and_it_grows_when_touched() {
        let before = super::resident_bytes(None).unwrap();
        let block = vec![1u8; 32 << 20];
        let after = super::resident_bytes(None).unwrap();
        assert!(before > 0);
        assert!(after >= before + (16 << 20), "{before} -> {after}");
        let machine = super::physical_memory().unwrap();
        assert!(machine > after, "the machine holds this process: {machine}");
        drop(block);
    }

    #[test]
    fn a_sample_counts_threads_cpu_and_the_switches_of_every_thread() {
        let pid = std::process::id();
        let before = super::sample(pid).unwrap();
        // A second thread that sleeps 20 times: at least 20 voluntary
        // switches, all on a thread that is not the first.
        let (tx, rx) = mpsc::channel();
        let t = thread::spawn(move || {
            for _ in 0..20 {
                thread::sleep(Duration::from_millis(1));
            }
            // Spin until the process's CPU time has moved (it is counted in
            // clock ticks, and a loaded machine may run this thread for
            // less than one in a fixed stretch), for 10 s at the most.
            let spin = Instant::now();
            let cpu = |s: &super::ProcessSample| s.user_s + s.system_s;
            let start = cpu(&before);
            while spin.elapsed() < Duration::from_secs(10)
                && super::sample(pid).map_or(true, |s| cpu(&s) <= start)
            {
                for _ in 0..1_000_000 {
                    std::hint::black_box(0u64);
                }
            }
            tx.send(()).unwrap();
            thread::park();
        });
        rx.recv().unwrap();
        let during = super::sample(pid).unwrap();
        t.thread().unpark();
        t.join().unwrap();
        assert!(during.threads >= before.threads.max(1), "{during:?}");
        assert!(
            during.voluntary_switches >= before.voluntary_switches + 20,
            "{before:?} -> {during:?}"
        );
        assert!(during.user_s + during.system_s > before.user_s + before.system_s);
        assert!(during.rss_bytes > 0);
    }
}
