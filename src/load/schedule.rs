//! Send times for the open loop: message `k` of a connection is due at
//! `start + k / rate`, whether or not earlier answers have arrived.

use std::time::{Duration, Instant};

/// A connection's send schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Where the grid starts (the run's start line).
    origin: Instant,
    start: Instant,
    interval: Duration,
    next: u64,
    /// Due times are rounded up to this grid (zero: exact).
    grid: Duration,
}

impl Schedule {
    /// `rate` messages per second starting at `start`, offset by `phase` of one
    /// interval (so connections do not all send at the same instant).
    pub fn new(start: Instant, rate: f64, phase: f64) -> Schedule {
        let interval = Duration::from_secs_f64(1.0 / rate);
        Schedule {
            origin: start,
            start: start + interval.mul_f64(phase.clamp(0.0, 1.0)),
            interval,
            next: 0,
            grid: Duration::ZERO,
        }
    }

    /// The same schedule with every due time rounded up to a multiple of
    /// `grid` from the start: sends that fall in one slot of the grid go
    /// together, at the slot's end, and are timed from there.
    pub fn on_grid(mut self, grid: Duration) -> Schedule {
        self.grid = grid;
        self
    }

    /// When the next message is due.
    pub fn due(&self) -> Instant {
        let exact = self.start + self.interval.mul_f64(self.next as f64);
        if self.grid.is_zero() {
            return exact;
        }
        let since = exact.duration_since(self.origin).as_nanos();
        let grid = self.grid.as_nanos();
        let slots = since.div_ceil(grid);
        self.origin + Duration::from_nanos(u64::try_from(slots * grid).unwrap_or(u64::MAX))
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

    #[test]
    fn on_a_grid_due_times_round_up_to_the_slot_end() {
        let t0 = Instant::now();
        let us = Duration::from_micros;
        // Every 100 µs, on a 250 µs grid: 0 | 100, 200 -> 250 | 300, 400 -> 500.
        let mut s = Schedule::new(t0, 10_000.0, 0.0).on_grid(us(250));
        let got: Vec<Instant> = (0..5).map(|_| s.take()).collect();
        let want = [0, 250, 250, 500, 500].map(|x| t0 + us(x));
        assert_eq!(got, want);
        // A zero grid is the exact schedule.
        let mut exact = Schedule::new(t0, 10_000.0, 0.0).on_grid(Duration::ZERO);
        exact.take();
        assert_eq!(exact.take(), t0 + us(100));
    }
}
