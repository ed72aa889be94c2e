//! Send times for the open loop: message `k` of a connection is due at
//! `start + k / rate`, whether or not earlier answers have arrived.

use std::time::{Duration, Instant};

/// A connection's send schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    start: Instant,
    interval: Duration,
    next: u64,
}

impl Schedule {
    /// `rate` messages per second starting at `start`, offset by `phase` of one
    /// interval (so connections do not all send at the same instant).
    pub fn new(start: Instant, rate: f64, phase: f64) -> Schedule {
        let interval = Duration::from_secs_f64(1.0 / rate);
        Schedule {
            start: start + interval.mul_f64(phase.clamp(0.0, 1.0)),
            interval,
            next: 0,
        }
    }

    /// When the next message is due.
    pub fn due(&self) -> Instant {
        self.start + self.interval.mul_f64(self.next as f64)
    }

    /// Takes the next due time and advances.
    pub fn take(&mut self) -> Instant {
        let due = self.due();
        self.next += 1;
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_times_are_evenly_spaced_and_independent_of_replies() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0, 100.0, 0.0);
        assert_eq!(s.take(), t0);
        assert_eq!(s.take(), t0 + Duration::from_millis(10));
        assert_eq!(s.due(), t0 + Duration::from_millis(20));
        let shifted = Schedule::new(t0, 100.0, 0.5);
        assert_eq!(shifted.due(), t0 + Duration::from_millis(5));
    }
}
