//! One log line per interval for a condition that repeats, with a count of
//! the lines left out.
//!
//! When a server runs out of descriptors, every accept fails with EMFILE
//! until a connection closes; the accept loops back off 50 ms and try
//! again, so a line per failure would be twenty lines a second saying the
//! same thing, burying whatever else the log has to say. A [`Throttle`]
//! lets the first line through, then at most one per interval, and each
//! line it lets through says how many it held back since the last. (A
//! condition that comes and goes, accepts failing and succeeding in turn,
//! still gets at most one line per interval: the interval runs from the
//! last line, not from the last success.)
//!
//! Socket-free and clock-free, like the rest of this crate: the caller
//! passes the time, so the throttle makes no system call and its tests need
//! no sleeping.

use std::time::{Duration, Instant};

/// How often a repeated log line may be written.
///
/// Why 1 s: often enough that a reader watching the log sees the condition
/// is still there, rare enough that a condition lasting minutes writes a
/// screenful, not thousands of lines.
pub const LOG_INTERVAL: Duration = Duration::from_secs(1);

/// Decides which occurrences of a repeated event get a log line: at most
/// one per [`LOG_INTERVAL`].
#[derive(Debug, Clone, Default)]
pub struct Throttle {
    /// When the last line was let through.
    last: Option<Instant>,
    /// Occurrences held back since then.
    suppressed: u64,
}

impl Throttle {
    /// Nothing let through or held back yet (`const`, for a `static`).
    pub const fn new() -> Self {
        Throttle {
            last: None,
            suppressed: 0,
        }
    }

    /// The event happened at `now`. `Some(n)`: write a line now, saying
    /// that `n` earlier occurrences got none; `None`: stay quiet (counted).
    pub fn admit(&mut self, now: Instant) -> Option<u64> {
        let due = self
            .last
            .is_none_or(|last| now.saturating_duration_since(last) >= LOG_INTERVAL);
        if !due {
            self.suppressed += 1;
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.suppressed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn the_first_line_passes_then_one_per_interval_with_the_count() {
        let t0 = Instant::now();
        let mut t = Throttle::new();
        assert_eq!(t.admit(t0), Some(0), "the first occurrence is logged");
        // Every 50 ms, as an accept loop backing off: 19 held back...
        for i in 1..20 {
            assert_eq!(t.admit(t0 + i * 50 * MS), None, "at {} ms", i * 50);
        }
        // ...and the line at 1 s says so.
        assert_eq!(t.admit(t0 + 1000 * MS), Some(19));
        assert_eq!(t.admit(t0 + 1001 * MS), None);
        assert_eq!(t.admit(t0 + 2500 * MS), Some(1));
    }

    #[test]
    fn a_clock_that_steps_back_does_not_panic_or_flood() {
        let t0 = Instant::now() + Duration::from_secs(10);
        let mut t = Throttle::default();
        assert_eq!(t.admit(t0), Some(0));
        assert_eq!(t.admit(t0 - Duration::from_secs(5)), None);
        assert_eq!(t.admit(t0 + LOG_INTERVAL), Some(1));
    }
}
