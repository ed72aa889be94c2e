//! Counting what happened in the measured window.
//!
//! Every latency goes into an HdrHistogram of microseconds, one histogram per
//! second of the window, so the run can be written as a standard interval log
//! (`--hdr-log`) and the total is the sum of its intervals.
//!
//! The range is explicit: 1 µs to one hour. A value outside it is *counted*
//! as out of range and left out of the percentiles, never clamped to a
//! bucket edge. (hdrhistogram 7's `saturating_record` on an auto-resizing
//! histogram clamps to its *current* top, about 2 ms at first: that once made
//! every latency over 2 ms read as 2 µs.)

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

/// The longest latency the histograms track: one hour, in µs.
///
/// Why an hour: longer than any run the command makes; a value beyond it is
/// a clock or bookkeeping fault, not a latency, and is counted as such.
pub const MAX_LATENCY_US: u64 = 3_600_000_000;

/// Significant digits of every histogram.
///
/// Why 3: 0.1% resolution at every scale, the HdrHistogram default that
/// wrk2 and the Java tools use.
const SIGFIGS: u8 = 3;

/// Length of one interval of the interval log.
pub const INTERVAL: Duration = Duration::from_secs(1);

/// An empty latency histogram (µs) that grows as values arrive.
///
/// It starts small (16 KiB) and resizes on `record`, so an idle interval or
/// a worker with few samples costs little; the range check in
/// [`Recorder::complete`] keeps it within [`MAX_LATENCY_US`].
pub fn histogram() -> Histogram<u64> {
    let mut h = Histogram::new_with_bounds(1, 2, SIGFIGS).expect("1..2 at 3 digits is valid");
    h.auto(true);
    h
}

/// The measured window: from the end of warm-up to the end of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Messages due before this were warm-up.
    pub from: Instant,
    /// Answers after this came during the drain.
    pub to: Instant,
}

/// A tally: the engines keep one per worker (non-blocking loops) or per
/// shard (blocking threads), and merge them at the end.
///
/// What counts is decided in `account.rs`; this holds the sums.
#[derive(Default)]
pub struct Recorder {
    /// Latency histograms, one per [`INTERVAL`] since the window's start.
    pub intervals: Vec<Histogram<u64>>,
    /// Messages answered inside the measured window, whenever they were
    /// due (sink: frames the server's summary confirmed).
    pub messages: u64,
    /// Payload bytes of those messages.
    pub bytes: u64,
    /// Latencies that did not fit 1 µs ..= [`MAX_LATENCY_US`] (not in the
    /// histograms; also counted in the report's `errors`).
    pub out_of_range: u64,
    /// Open loop: sends due in the window that were never made because the
    /// client could not keep the schedule (it had as many messages in
    /// flight as it allows, or fell behind).
    pub unsent: u64,
    /// Of `messages`, those due before the window (in the warm-up): their
    /// whole wait is in the histograms.
    pub carried_in: u64,
    /// The longest wait of a message carried in, µs.
    pub carried_in_max_us: u64,
    /// Answers that arrived after the window, during the drain (not in
    /// `messages`).
    pub after_window: u64,
}

impl Recorder {
    /// Records an answer to a message that was due (sent or scheduled) at
    /// `due` and answered at `done`; `window` is `None` while warming up.
    /// Returns true when it counts: answered inside the window.
    ///
    /// It counts whenever it was due: a message due in the warm-up and
    /// answered inside the window is also *carried in*, and its whole wait
    /// is in the histograms, so a backlog that began in the warm-up is not
    /// lost. An answer before the window is warm-up; one after it came
    /// during the drain and is counted apart.
    ///
    /// The latency is rounded down to whole µs, with 1 µs as the floor; the
    /// message lands in the interval in which it completed.
    pub fn complete(
        &mut self,
        window: Option<Window>,
        due: Instant,
        done: Instant,
        bytes: usize,
    ) -> bool {
        if !self.latency(window, due, done) {
            return false;
        }
        self.messages += 1;
        self.bytes += bytes as u64;
        true
    }

    /// Puts `done - due` in the histograms when `done` falls in the window,
    /// and says so. Sink: how long a frame due at `due` held the writer
    /// until the socket took it at `done`; it counts in `messages` only
    /// once the server confirms it.
    pub fn latency(&mut self, window: Option<Window>, due: Instant, done: Instant) -> bool {
        let Some(window) = window.filter(|w| done >= w.from) else {
            return false;
        };
        if done > window.to {
            self.after_window += 1;
            return false;
        }
        let us = u64::try_from(done.saturating_duration_since(due).as_micros()).unwrap_or(u64::MAX);
        if due < window.from {
            self.carried_in += 1;
            self.carried_in_max_us = self.carried_in_max_us.max(us);
        }
        let recorded = match interval_index(window.from, done) {
            Some(slot) if us <= MAX_LATENCY_US => {
                if self.intervals.len() <= slot {
                    self.intervals.resize_with(slot + 1, histogram);
                }
                self.intervals[slot].record(us.max(1)).is_ok()
            }
            _ => false,
        };
        if !recorded {
            self.out_of_range += 1;
        }
        true
    }

    /// Adds another tally, interval by interval.
    pub fn merge(&mut self, other: &Recorder) {
        if self.intervals.len() < other.intervals.len() {
            self.intervals.resize_with(other.intervals.len(), histogram);
        }
        for (mine, theirs) in self.intervals.iter_mut().zip(&other.intervals) {
            mine.add(theirs)
                .expect("auto-resizing histograms within one hour always merge");
        }
        self.messages += other.messages;
        self.bytes += other.bytes;
        self.out_of_range += other.out_of_range;
        self.after_window += other.after_window;
        self.unsent += other.unsent;
        self.carried_in += other.carried_in;
        self.carried_in_max_us = self.carried_in_max_us.max(other.carried_in_max_us);
    }

    /// All intervals in one histogram.
    pub fn total(&self) -> Histogram<u64> {
        let mut total = histogram();
        for h in &self.intervals {
            total.add(h).expect("auto-resizing histograms always merge");
        }
        total
    }
}

/// Which interval an instant falls in, counting from `from`; `None` when it
/// is absurdly far (more than an hour's worth of intervals past the start).
fn interval_index(from: Instant, at: Instant) -> Option<usize> {
    let secs = at.saturating_duration_since(from).as_secs();
    (secs <= MAX_LATENCY_US / 1_000_000).then_some(secs as usize)
}

/// Time left until `t` (zero when past).
pub fn until(t: Instant) -> Duration {
    t.saturating_duration_since(Instant::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A window from `from` that lasts long enough for every test.
    fn w(from: Instant) -> Window {
        Window {
            from,
            to: from + Duration::from_secs(30),
        }
    }

    #[test]
    fn latencies_far_above_two_milliseconds_are_recorded_as_they_are() {
        // The old defect: `saturating_record` clamped these to 2 µs.
        let t0 = Instant::now();
        let mut r = Recorder::default();
        for ms in [20u64, 200, 2_000, 20_000] {
            assert!(r.complete(Some(w(t0)), t0, t0 + Duration::from_millis(ms), 0));
        }
        let h = r.total();
        assert_eq!(h.len(), 4);
        assert!(h.equivalent(h.max(), 20_000_000), "max {}", h.max());
        assert!(h.equivalent(h.min(), 20_000), "min {}", h.min());
        assert_eq!(r.out_of_range, 0);
    }

    #[test]
    fn a_value_beyond_an_hour_is_counted_not_clamped() {
        // Times counted forward from now: an Instant cannot go back two
        // hours where the clock started less than that ago (Windows).
        let early = Instant::now();
        let t0 = early + Duration::from_secs(7200);
        let long = Window {
            from: t0,
            to: t0 + Duration::from_secs(3 * 3600),
        };
        let mut r = Recorder::default();
        assert!(r.complete(Some(long), early, t0 + Duration::from_secs(1), 0));
        assert!(r.complete(Some(long), t0, t0 + Duration::from_micros(50), 0));
        assert_eq!(r.messages, 2);
        assert_eq!(r.out_of_range, 1);
        let h = r.total();
        assert_eq!(h.len(), 1, "the out-of-range value is not in the histogram");
        assert!(h.equivalent(h.max(), 50));
    }

    #[test]
    fn warm_up_is_left_out_and_completions_land_in_their_second() {
        let t0 = Instant::now();
        let from = t0 + Duration::from_secs(1);
        let mut r = Recorder::default();
        assert!(
            !r.complete(Some(w(from)), t0, t0 + Duration::from_millis(500), 8),
            "due and answered before the window"
        );
        assert!(r.complete(Some(w(from)), from, from + Duration::from_millis(10), 8));
        assert!(r.complete(Some(w(from)), from, from + Duration::from_millis(2500), 8));
        assert_eq!((r.messages, r.bytes), (2, 16));
        assert_eq!(r.intervals.len(), 3);
        assert_eq!(r.intervals[0].len(), 1);
        assert_eq!(r.intervals[1].len(), 0);
        assert_eq!(r.intervals[2].len(), 1);
        let late = w(from).to + Duration::from_millis(1);
        assert!(!r.complete(Some(w(from)), from, late, 8));
        assert_eq!(
            (r.messages, r.after_window),
            (2, 1),
            "answered during the drain: counted apart"
        );
    }

    #[test]
    fn a_warm_up_message_answered_inside_the_window_counts_with_its_whole_wait() {
        let t0 = Instant::now();
        let from = t0 + Duration::from_secs(1);
        let mut r = Recorder::default();
        assert!(!r.complete(None, t0, t0, 8), "no window yet: warm-up");
        // Due in the warm-up, answered 2.5 s later, inside the window.
        let late = t0 + Duration::from_millis(2500);
        assert!(r.complete(Some(w(from)), t0, late, 8));
        assert_eq!((r.messages, r.carried_in, r.bytes), (1, 1, 8));
        assert_eq!(r.carried_in_max_us, 2_500_000, "its wait is kept");
        let h = r.total();
        assert!(
            h.equivalent(h.max(), 2_500_000),
            "and is in the percentiles"
        );
    }

    #[test]
    fn a_sink_send_is_timed_but_not_counted_until_confirmed() {
        let t0 = Instant::now();
        let mut r = Recorder::default();
        assert!(r.latency(Some(w(t0)), t0, t0 + Duration::from_millis(3)));
        assert_eq!((r.messages, r.bytes, r.total().len()), (0, 0, 1));
    }

    #[test]
    fn merging_adds_interval_by_interval() {
        let t0 = Instant::now();
        let (mut a, mut b) = (Recorder::default(), Recorder::default());
        a.complete(Some(w(t0)), t0, t0 + Duration::from_millis(5), 1);
        b.complete(Some(w(t0)), t0, t0 + Duration::from_millis(1500), 1);
        b.unsent += 1;
        a.merge(&b);
        assert_eq!(a.intervals.len(), 2);
        assert_eq!((a.messages, a.bytes, a.unsent), (2, 2, 1));
        assert_eq!(a.total().len(), 2);
    }
}
