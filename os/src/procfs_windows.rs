//! `procfs.rs` on Windows: the same figures from the Windows API, so that
//! the demo's step 10 shows threads and memory on the lab's own system.
//!
//! - threads: a Toolhelp32 snapshot of every thread in the system, counted
//!   by owner process (`CreateToolhelp32Snapshot`, `Thread32First/Next`);
//! - memory: the working set, Windows' resident memory
//!   (`GetProcessMemoryInfo`), and its peak;
//! - CPU: kernel and user time (`GetProcessTimes`).
//!
//! Context switches per process are not in the documented API (only
//! per-thread, through `NtQuerySystemInformation`), so they are reported as
//! not measured. Why hand-written calls and not a crate: `sysinfo` gives
//! neither the thread count nor the user/system split of another process;
//! these are four documented calls from `windows-sys`, which the tree has
//! already.

use std::io;
use std::mem::{size_of, zeroed};

use windows_sys::Win32::Foundation::{CloseHandle, HANDLE, INVALID_HANDLE_VALUE};
use windows_sys::Win32::System::Diagnostics::ToolHelp::{
    CreateToolhelp32Snapshot, Thread32First, Thread32Next, TH32CS_SNAPTHREAD, THREADENTRY32,
};
use windows_sys::Win32::System::ProcessStatus::{
    K32GetPerformanceInfo, K32GetProcessMemoryInfo, PERFORMANCE_INFORMATION,
    PROCESS_MEMORY_COUNTERS,
};
use windows_sys::Win32::System::Threading::{
    GetCurrentProcessId, GetProcessTimes, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION,
    PROCESS_VM_READ,
};

use super::ProcessSample;

/// A handle, closed on drop.
struct Handle(HANDLE);

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: a handle we opened, closed once.
        unsafe { CloseHandle(self.0) };
    }
}

fn open(pid: u32) -> io::Result<Handle> {
    // SAFETY: OpenProcess takes no pointers.
    let h = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | PROCESS_VM_READ, 0, pid) };
    if h.is_null() {
        return Err(io::Error::last_os_error());
    }
    Ok(Handle(h))
}

fn memory(pid: u32) -> io::Result<PROCESS_MEMORY_COUNTERS> {
    let h = open(pid)?;
    // SAFETY: a zeroed plain struct, its size passed with it.
    let mut m: PROCESS_MEMORY_COUNTERS = unsafe { zeroed() };
    m.cb = size_of::<PROCESS_MEMORY_COUNTERS>() as u32;
    // SAFETY: a live handle and a struct of the size given.
    if unsafe { K32GetProcessMemoryInfo(h.0, &mut m, m.cb) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(m)
}

/// The working set of process `pid` (`None`: this process), in bytes.
///
/// # Errors
/// The process cannot be opened or queried.
pub fn resident_bytes(pid: Option<u32>) -> io::Result<u64> {
    // SAFETY: takes no arguments.
    let pid = pid.unwrap_or_else(|| unsafe { GetCurrentProcessId() });
    memory(pid).map(|m| m.WorkingSetSize as u64)
}

/// The peak working set of process `pid`, in bytes.
///
/// # Errors
/// The process cannot be opened or queried.
pub fn peak_resident_bytes(pid: u32) -> io::Result<u64> {
    memory(pid).map(|m| m.PeakWorkingSetSize as u64)
}

/// The machine's physical memory in bytes (`PhysicalTotal` pages of
/// `PageSize` bytes, from `GetPerformanceInfo`).
///
/// # Errors
/// The call failed.
pub fn physical_memory() -> io::Result<u64> {
    // SAFETY: a zeroed plain struct, its size passed with it.
    let mut p: PERFORMANCE_INFORMATION = unsafe { zeroed() };
    p.cb = size_of::<PERFORMANCE_INFORMATION>() as u32;
    // SAFETY: a struct of the size given.
    if unsafe { K32GetPerformanceInfo(&mut p, p.cb) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(p.PhysicalTotal as u64 * p.PageSize as u64)
}

/// Threads owned by process `pid` now.
fn threads(pid: u32) -> io::Result<u64> {
    // SAFETY: a snapshot of every thread; takes no pointers.
    let snap = unsafe { CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0) };
    if snap == INVALID_HANDLE_VALUE {
        return Err(io::Error::last_os_error());
    }
    let snap = Handle(snap);
    // SAFETY: a zeroed plain struct with its size set, as the API asks.
    let mut entry: THREADENTRY32 = unsafe { zeroed() };
    entry.dwSize = size_of::<THREADENTRY32>() as u32;
    let mut n = 0;
    // SAFETY: a live snapshot handle and an entry of the size given.
    let mut more = unsafe { Thread32First(snap.0, &mut entry) } != 0;
    while more {
        if entry.th32OwnerProcessID == pid {
            n += 1;
        }
        // SAFETY: as above.
        more = unsafe { Thread32Next(snap.0, &mut entry) } != 0;
    }
    Ok(n)
}

/// Reads process `pid`'s costs (context switches: not measured here).
///
/// # Errors
/// The process cannot be opened or queried.
pub fn sample(pid: u32) -> io::Result<ProcessSample> {
    let h = open(pid)?;
    // SAFETY: GetProcessTimes on a handle `open` opened with the query
    // right, which `h` keeps open until it is dropped after the call.
    let (kernel, user) = unsafe { crate::process::windows_times(GetProcessTimes, h.0) }
        .ok_or_else(io::Error::last_os_error)?;
    Ok(ProcessSample {
        // FILETIME counts 100-nanosecond intervals.
        user_s: user as f64 / 1e7,
        system_s: kernel as f64 / 1e7,
        voluntary_switches: 0,
        involuntary_switches: 0,
        threads: threads(pid)?,
        rss_bytes: memory(pid)?.WorkingSetSize as u64,
        switches_measured: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_threads_a_working_set_and_cpu_time() {
        let me = std::process::id();
        let before = sample(me).unwrap();
        let busy = std::thread::spawn(|| std::thread::sleep(std::time::Duration::from_millis(300)));
        let during = sample(me).unwrap();
        busy.join().unwrap();
        assert!(
            during.threads > before.threads.saturating_sub(1) && during.threads >= 2,
            "{during:?}"
        );
        assert!(during.rss_bytes > 1 << 20, "{during:?}");
        assert!(!during.switches_measured);
        assert!(resident_bytes(None).unwrap() > 0);
        assert!(peak_resident_bytes(me).unwrap() >= resident_bytes(Some(me)).unwrap() / 2);
        assert!(physical_memory().unwrap() > during.rss_bytes);
    }
}
