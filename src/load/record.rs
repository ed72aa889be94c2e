//! Counting what happened in the measured window.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

/// Per-worker tally; workers' recorders are merged at the end.
pub struct Recorder {
    /// Latencies in µs.
    pub histogram: Histogram<u64>,
    /// Messages completed in the measured window.
    pub messages: u64,
    /// Payload bytes completed in the measured window.
    pub bytes: u64,
    /// Errors of any kind.
    pub errors: u64,
    /// Start of the measured window (end of warm-up).
    pub measure_from: Instant,
}

impl Recorder {
    /// An empty recorder that counts from `measure_from`.
    pub fn new(measure_from: Instant) -> Recorder {
        Recorder {
            // Why 3 significant digits and auto-resize: 0.1% resolution at any
            // scale, from microseconds to a stall of many seconds.
            histogram: {
                let mut h = Histogram::new(3).expect("3 significant digits is valid");
                h.auto(true);
                h
            },
            messages: 0,
            bytes: 0,
            errors: 0,
            measure_from,
        }
    }

    /// Records a message that was due (sent or scheduled) at `start` and
    /// completed at `end`; ignored when it started during warm-up.
    pub fn complete(&mut self, start: Instant, end: Instant, bytes: usize) -> bool {
        if start < self.measure_from {
            return false;
        }
        let us = end.saturating_duration_since(start).as_micros();
        self.histogram
            .saturating_record(u64::try_from(us).unwrap_or(u64::MAX).max(1));
        self.messages += 1;
        self.bytes += bytes as u64;
        true
    }

    /// Adds another worker's tally.
    pub fn merge(&mut self, other: &Recorder) {
        self.histogram
            .add(&other.histogram)
            .expect("auto-resizing histograms always merge");
        self.messages += other.messages;
        self.bytes += other.bytes;
        self.errors += other.errors;
    }
}

/// Time left until `t` (zero when past).
pub fn until(t: Instant) -> Duration {
    t.saturating_duration_since(Instant::now())
}
