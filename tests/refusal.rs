//! Where the completion model cannot run, the command says so in one line
//! and exits 2.
//!
//! On Linux the refusal is forced the way an administrator would: the
//! sysctl `kernel.io_uring_disabled = 2` makes `io_uring_setup` fail with
//! EPERM for every process. That needs root and changes the whole machine
//! for a moment, so this file holds this one test (test binaries run one
//! after another; nothing else runs beside it), and the old value is put
//! back even if an assertion fails.

use std::process::Command;

#[track_caller]
fn refused(expect: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_sockmodes"))
        .args(["server", "--mode", "completion", "--addr", "127.0.0.1:0"])
        .output()
        .expect("sockmodes runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "exit 2: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    for word in expect {
        assert!(stderr.contains(word), "{word:?} in: {stderr}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_kernel_that_refuses_io_uring_is_named_with_its_errno_and_exit_2() {
    const SYSCTL: &str = "/proc/sys/kernel/io_uring_disabled";
    let Ok(old) = std::fs::read_to_string(SYSCTL) else {
        eprintln!("{SYSCTL} is missing (kernel before 6.6): the refusal was not forced");
        return;
    };
    if std::fs::write(SYSCTL, "2").is_err() {
        eprintln!("{SYSCTL} is not writable here (not root): the refusal was not forced");
        return;
    }
    struct Restore(String);
    impl Drop for Restore {
        fn drop(&mut self) {
            std::fs::write(SYSCTL, self.0.trim()).expect("the sysctl is put back");
        }
    }
    let _restore = Restore(old);
    refused(&[
        "--mode completion",
        "io_uring_setup failed",
        "os error 1",
        "io_uring_disabled",
        "--mode nonblocking",
    ]);
}

#[cfg(not(target_os = "linux"))]
#[test]
fn another_system_is_named_and_the_exit_is_2() {
    refused(&["only Linux has", std::env::consts::OS, "--mode nonblocking"]);
}
