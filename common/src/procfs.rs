//! Resident memory from `/proc`, for the memory tests and the scale bench.
//!
//! Resident set size (RSS) counts the pages a process really touches: a
//! thread's 64 KiB stack that only ever uses 8 KiB adds 8 KiB, not 64.

use std::io;

/// Resident memory of process `pid` (`None`: this process), in bytes, from
/// the `VmRSS` line of `/proc/PID/status`.
///
/// # Errors
/// The file cannot be read (no such process, not Linux) or has no `VmRSS`.
pub fn resident_bytes(pid: Option<u32>) -> io::Result<u64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".to_string(),
    };
    let status = std::fs::read_to_string(path)?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map(|kib| kib * 1024)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no VmRSS line in /proc status"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn this_process_has_resident_memory_and_it_grows_when_touched() {
        let before = super::resident_bytes(None).unwrap();
        let block = vec![1u8; 32 << 20];
        let after = super::resident_bytes(None).unwrap();
        assert!(before > 0);
        assert!(after >= before + (16 << 20), "{before} -> {after}");
        drop(block);
    }
}
