//! Running a frame's work on this thread: computing, or sleeping in the
//! kernel. The core (`sockmodes_common::work`) says what the work is, and
//! for `cpu` how many spins it takes; doing it is a system call (a
//! `nanosleep`) or a thread's time, so it is here, beside the pool that
//! runs it off an I/O thread ([`offload`](crate::offload)).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sockmodes_common::work::{spin, Work, WorkKind};

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
            WorkKind::Cpu => {
                std::hint::black_box(spin(self.spins));
            }
            WorkKind::Block | WorkKind::Wait => std::thread::sleep(self.amount),
        }
    }

    fn perform_unless(self, cut: &AtomicBool) -> bool {
        self.perform_until(|| cut.load(Ordering::Acquire))
    }

    fn perform_until(self, past: impl Fn() -> bool) -> bool {
        if past() {
            return false;
        }
        if self.amount <= CUT_SLICE {
            self.perform();
            return !past();
        }
        let slices = self.amount.as_nanos().div_ceil(CUT_SLICE.as_nanos()) as u32;
        let part = Work {
            amount: self.amount / slices,
            spins: self.spins / u64::from(slices),
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
