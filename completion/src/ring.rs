//! The ring: a submission queue the server fills with operations, a
//! completion queue the kernel fills with their results, and one system
//! call, `io_uring_enter`, that submits the batch and waits.
//!
//! This wrapper adds three things to the `io-uring` crate: a push that
//! submits first when the submission queue is full (so no operation is ever
//! dropped), a wait with a timeout (the kernel's `EXT_ARG`, so the idle
//! sweep and the shutdown deadline need no timer operations), and a count
//! of `io_uring_enter` calls: the server's system calls per message.

use std::io;
use std::time::Duration;

use io_uring::{squeue, types, IoUring};

/// One result: the `user_data` of the operation, its result (bytes, a new
/// descriptor, or `-errno`) and its flags.
#[derive(Debug, Clone, Copy)]
pub struct Completion {
    pub user_data: u64,
    pub result: i32,
    pub flags: u32,
}

/// An io_uring instance and its `io_uring_enter` count.
pub struct Ring {
    ring: IoUring,
    /// `io_uring_enter` calls made so far.
    pub enters: u64,
}

impl Ring {
    /// A ring of `entries` submission slots (the completion queue is twice
    /// that, and the kernel keeps any overflow rather than dropping it).
    ///
    /// # Errors
    /// What the kernel said, as a sentence: `io_uring_setup` refused (with
    /// its errno), or a feature the server needs missing.
    pub fn new(entries: u32) -> Result<Ring, String> {
        let ring = IoUring::new(entries).map_err(|e| {
            let hint = match e.raw_os_error() {
                Some(libc::EPERM) => {
                    " (is the sysctl kernel.io_uring_disabled set, or a seccomp filter in place?)"
                }
                Some(libc::ENOSYS) => " (this kernel has no io_uring, or it was built without it)",
                _ => "",
            };
            format!("io_uring_setup failed: {e}{hint}")
        })?;
        let params = ring.params();
        if !params.is_feature_ext_arg() {
            return Err(
                "this kernel lacks IORING_FEAT_EXT_ARG (a wait with a timeout; Linux 5.11)".into(),
            );
        }
        if !params.is_feature_nodrop() {
            return Err("this kernel lacks IORING_FEAT_NODROP (Linux 5.5)".into());
        }
        Ok(Ring { ring, enters: 0 })
    }

    /// Queues `entry`, submitting what is queued first when the queue is full.
    ///
    /// # Safety
    /// Every buffer and descriptor `entry` names must stay valid until its
    /// completion has been taken from [`Ring::completions`].
    pub unsafe fn push(&mut self, entry: &squeue::Entry) -> io::Result<()> {
        loop {
            // SAFETY: the caller's promise above.
            if unsafe { self.ring.submission().push(entry) }.is_ok() {
                return Ok(());
            }
            self.enters += 1;
            match self.ring.submit() {
                // EBUSY (the completion queue is full) is returned too: the
                // caller must take some completions first; the loop does
                // that at every turn.
                Err(e) if e.raw_os_error() != Some(libc::EINTR) => return Err(e),
                _ => {}
            }
        }
    }

    /// Submits what is queued and waits for at least one completion, or
    /// `timeout` (`None`: as long as it takes; zero: not at all).
    ///
    /// # Errors
    /// `io_uring_enter` failed for another reason than the timeout, a
    /// signal, or a full completion queue (all three just return).
    pub fn submit_and_wait(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.enters += 1;
        let result = match timeout {
            Some(d) if d.is_zero() => self.ring.submit(),
            None => self.ring.submit_and_wait(1),
            Some(d) => {
                let ts = types::Timespec::new()
                    .sec(d.as_secs())
                    .nsec(d.subsec_nanos());
                let args = types::SubmitArgs::new().timespec(&ts);
                self.ring.submitter().submit_with_args(1, &args)
            }
        };
        match result {
            Ok(_) => Ok(()),
            Err(e) => match e.raw_os_error() {
                Some(libc::ETIME | libc::EINTR | libc::EBUSY) => Ok(()),
                _ => Err(e),
            },
        }
    }

    /// Registers a pool of `count` receive buffers (a power of two) with
    /// this ring.
    ///
    /// # Errors
    /// The kernel refused it (provided-buffer rings need Linux 5.19).
    pub fn register_pool(&self, count: u16) -> io::Result<crate::pool::Pool> {
        crate::pool::Pool::new(&self.ring, count)
    }

    /// Takes the pool back from the kernel, before its memory is freed.
    pub fn unregister_pool(&self) {
        let _ = self
            .ring
            .submitter()
            .unregister_buf_ring(crate::pool::GROUP);
    }

    /// Moves every completion now in the queue into `into`.
    pub fn completions(&mut self, into: &mut Vec<Completion>) {
        into.extend(self.ring.completion().map(|cqe| Completion {
            user_data: cqe.user_data(),
            result: cqe.result(),
            flags: cqe.flags(),
        }));
    }
}
