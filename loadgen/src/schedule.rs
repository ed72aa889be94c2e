//! Send times for the open loop: message `k` of a connection is due at
//! `start + k / rate`, whether or not earlier answers have arrived.
//!
//! A client that falls behind does not queue the messages it owes: the
//! schedule only counts how far it has got ([`Schedule::take`]), and the
//! next send, however late, is timed from its own due time. How many sends
//! of a stretch of time were never made is arithmetic
//! ([`Schedule::unsent_in`]), not a walk over them, so any rate costs the
//! same (a rate of 1e9/s once took 55 s to count one slot at a time).

use std::time::{Duration, Instant};

/// A connection's send schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Where the grid starts (the run's start line).
    origin: Instant,
    /// Offset of message 0 from `origin`, ns.
    phase_ns: f64,
    /// Time between messages, ns (fractional: 3/s is 333,333,333.3 ns).
    interval_ns: f64,
    next: u64,
    /// Due times are rounded up to this grid, ns (zero: exact).
    grid_ns: f64,
}

impl Schedule {
    /// `rate` messages per second starting at `start`, offset by `phase` of one
    /// interval (so connections do not all send at the same instant), every
    /// due time rounded up to a multiple of `grid` from the start (zero:
    /// exact): sends that fall in one slot of the grid go together, at the
    /// slot's end, and are timed from there.
    pub fn new(start: Instant, rate: f64, phase: f64, grid: Duration) -> Schedule {
        let interval_ns = 1e9 / rate;
        Schedule {
            origin: start,
            phase_ns: interval_ns * phase.clamp(0.0, 1.0),
            interval_ns,
            next: 0,
            grid_ns: grid.as_nanos() as f64,
        }
    }

    /// Message `k`'s due time, ns after the origin (saturating far ahead).
    fn due_ns(&self, k: u64) -> u64 {
        let exact = self.phase_ns + k as f64 * self.interval_ns;
        let at = if self.grid_ns > 0.0 {
            (exact / self.grid_ns).ceil() * self.grid_ns
        } else {
            exact
        };
        // `as` saturates: a due time past u64 ns (584 years) is never reached.
        at as u64
    }

    /// When the next message is due.
    pub fn due(&self) -> Instant {
        self.origin
            .checked_add(Duration::from_nanos(self.due_ns(self.next)))
            .unwrap_or(self.origin + Duration::from_secs(1 << 32))
    }

    /// Takes the next due time and advances.
    pub fn take(&mut self) -> Instant {
        let due = self.due();
        self.next = self.next.saturating_add(1);
        due
    }

    /// How many messages are due before `t` (all of them, taken or not).
    pub fn due_before(&self, t: Instant) -> u64 {
        let limit =
            u64::try_from(t.saturating_duration_since(self.origin).as_nanos()).unwrap_or(u64::MAX);
        // The first k whose due time is at or after the limit: due times
        // never decrease, so bound it by doubling, then halve the bounds.
        let (mut lo, mut hi) = (0u64, 1u64);
        while self.due_ns(hi) < limit {
            if hi == u64::MAX {
                return u64::MAX;
            }
            lo = hi;
            hi = hi.saturating_mul(2);
        }
        if self.due_ns(lo) >= limit {
            return lo;
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.due_ns(mid) < limit {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        hi
    }

    /// Messages due in `[from, to)` that have not been taken: the sends a
    /// client that stops now never made.
    pub fn unsent_in(&self, from: Instant, to: Instant) -> u64 {
        let first = self.due_before(from).max(self.next);
        self.due_before(to).saturating_sub(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_times_are_evenly_spaced_and_independent_of_replies() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0, 100.0, 0.0, Duration::ZERO);
        assert_eq!(s.take(), t0);
        assert_eq!(s.take(), t0 + Duration::from_millis(10));
        assert_eq!(s.due(), t0 + Duration::from_millis(20));
        let shifted = Schedule::new(t0, 100.0, 0.5, Duration::ZERO);
        assert_eq!(shifted.due(), t0 + Duration::from_millis(5));
    }

    #[test]
    fn on_a_grid_due_times_round_up_to_the_slot_end() {
        let t0 = Instant::now();
        let us = Duration::from_micros;
        // Every 100 µs, on a 250 µs grid: 0 | 100, 200 -> 250 | 300, 400 -> 500.
        let mut s = Schedule::new(t0, 10_000.0, 0.0, us(250));
        let got: Vec<Instant> = (0..5).map(|_| s.take()).collect();
        let want = [0, 250, 250, 500, 500].map(|x| t0 + us(x));
        assert_eq!(got, want);
        // A zero grid is the exact schedule.
        let mut exact = Schedule::new(t0, 10_000.0, 0.0, Duration::ZERO);
        exact.take();
        assert_eq!(exact.take(), t0 + us(100));
    }

    #[test]
    fn the_count_of_due_sends_agrees_with_taking_them_one_by_one() {
        let t0 = Instant::now();
        let us = Duration::from_micros;
        for grid in [0, 1, 250, 1000] {
            for (rate, phase) in [(10_000.0, 0.0), (3_333.0, 0.7), (1e6, 0.3)] {
                let mut s = Schedule::new(t0, rate, phase, us(grid));
                let end = t0 + us(20_000);
                let fresh = s.clone();
                let mut walked = 0;
                while s.take() < end {
                    walked += 1;
                }
                assert_eq!(fresh.due_before(end), walked, "rate {rate} grid {grid}");
                assert_eq!(fresh.unsent_in(t0 + us(5_000), end), {
                    walked - fresh.due_before(t0 + us(5_000))
                });
            }
        }
    }

    #[test]
    fn unsent_counts_only_what_was_not_taken_inside_the_stretch() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        // 1,000/s: 1,000 due in the second [1 s, 2 s).
        let mut s = Schedule::new(t0, 1000.0, 0.0, Duration::ZERO);
        assert_eq!(s.unsent_in(t0 + ms(1000), t0 + ms(2000)), 1000);
        while s.due() < t0 + ms(1500) {
            s.take();
        }
        assert_eq!(s.unsent_in(t0 + ms(1000), t0 + ms(2000)), 500);
    }

    #[test]
    fn any_rate_is_counted_at_once() {
        let t0 = Instant::now();
        let secs = Duration::from_secs;
        // 1e9/s for a second: a billion, without walking them.
        let s = Schedule::new(t0, 1e9, 0.0, Duration::ZERO);
        assert_eq!(s.unsent_in(t0 + secs(1), t0 + secs(2)), 1_000_000_000);
        // Absurd rates saturate instead of overflowing or hanging.
        let s = Schedule::new(t0, 1e300, 0.0, Duration::from_millis(1));
        assert_eq!(s.due(), t0);
        assert_eq!(s.due_before(t0 + secs(1)), u64::MAX);
        let slow = Schedule::new(t0, 1e-300, 0.5, Duration::ZERO);
        assert_eq!(slow.due_before(t0 + secs(3600)), 1, "message 0 only");
    }
}
