//! Running a frame's work on this thread: computing, or sleeping in the
//! kernel. The core (`sockmodes_common::work`) says what the work is;
//! doing it is a system call (a `nanosleep`) or a thread's CPU time, so it
//! is here, beside the pool that runs it off an I/O thread
//! ([`offload`](crate::offload)).
//!
//! `cpu` work spins until this thread's own CPU clock
//! ([`thread_cpu_time`]) has advanced by its amount, rather than for a
//! count of iterations calibrated at start-up: a calibration taken while
//! the machine is busy counts the time other threads ran as its own, so
//! its count is off by as much as the load, and work cheaper than it says
//! lets a server beat its own printed ceiling. The thread's clock stops
//! while the thread is preempted, so the work costs its stated CPU time
//! however busy the machine is.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sockmodes_common::work::{spin, Work, WorkKind};

use crate::process::thread_cpu_time;

/// Iterations of [`spin`] between two readings of the thread's clock.
///
/// Why 256: about a microsecond of arithmetic, so the work ends within a
/// microsecond of its amount, while the clock's own cost (a system call of
/// a few hundred nanoseconds, itself counted as the thread's CPU time)
/// stays a small part of it.
const SPINS_PER_READING: u64 = 256;

/// Computes until this thread has used `amount` of CPU time.
fn compute_for(amount: Duration) {
    let start = thread_cpu_time();
    while thread_cpu_time().saturating_sub(start) < amount {
        std::hint::black_box(spin(SPINS_PER_READING));
    }
}

/// How often work checks whether it was cut at a shutdown's deadline.
///
/// Why 20 ms: a cut comes at most this late, and a sleep of 1 ms (the
/// common case) is still one `nanosleep`.
pub const CUT_SLICE: Duration = Duration::from_millis(20);

/// Does a [`Work`] on the calling thread (`use sockmodes_os::work::Perform`
/// and call it on the work).
pub trait Perform {
    /// Does the work on this thread: computes, or sleeps (block; and wait,
    /// where there is no timer to arm: a thread per connection, a worker).
    fn perform(self);

    /// As [`perform`](Self::perform), in slices of [`CUT_SLICE`], stopping
    /// early once `cut` is set (the shutdown deadline). True when the work
    /// ran to its end.
    fn perform_unless(self, cut: &AtomicBool) -> bool;

    /// As [`perform_unless`](Self::perform_unless), stopping early once
    /// `past()` says so (asked before each slice): an I/O thread doing work
    /// inline asks whether the shutdown deadline has passed, since no
    /// other thread can tell it.
    fn perform_until(self, past: impl Fn() -> bool) -> bool;
}

impl Perform for Work {
    fn perform(self) {
        match self.kind {
            WorkKind::Cpu => compute_for(self.amount),
            WorkKind::Block | WorkKind::Wait => std::thread::sleep(self.amount),
        }
    }

    fn perform_unless(self, cut: &AtomicBool) -> bool {
        self.perform_until(|| cut.load(Ordering::Acquire))
    }

    fn perform_until(self, past: impl Fn() -> bool) -> bool {
        // At least one: `past` is asked before any work, even of no time.
        let slices = (self.amount.as_nanos().div_ceil(CUT_SLICE.as_nanos()) as u32).max(1);
        // Rounded up: the slices add up to at least the whole.
        let part = Work {
            amount: Duration::from_nanos(self.amount.as_nanos().div_ceil(u128::from(slices)) as u64),
            ..self
        };
        for _ in 0..slices {
            if past() {
                return false;
            }
            part.perform();
        }
        !past()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_work_costs_its_thread_its_stated_cpu_time_and_sleeps_cost_none() {
        for text in ["cpu:5ms", "cpu:30ms"] {
            let work: Work = text.parse().unwrap();
            let start = thread_cpu_time();
            work.perform();
            let used = thread_cpu_time() - start;
            assert!(used >= work.amount, "{text}: {used:?}");
        }
        let cut = AtomicBool::new(false);
        let work: Work = "cpu:50ms".parse().unwrap();
        let start = thread_cpu_time();
        assert!(work.perform_unless(&cut), "ran to its end");
        assert!(thread_cpu_time() - start >= work.amount);
        let sleep: Work = "block:30ms".parse().unwrap();
        let start = thread_cpu_time();
        sleep.perform();
        assert!(thread_cpu_time() - start < sleep.amount);
    }
}
