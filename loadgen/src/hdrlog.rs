//! The run as a standard HdrHistogram interval log (`load --hdr-log FILE`),
//! so that runs from several load machines can be merged.
//!
//! One machine's load generator can saturate before a server does; then
//! several machines each run `load` against the one server. Percentiles
//! cannot be averaged, but histograms can be added: each run writes its
//! histograms, and a reader adds them before taking percentiles. The format
//! is the one HdrHistogram's own tools write and read (Java's
//! `HistogramLogProcessor`, the Python `hdrhistogram` package's
//! `HistogramLogReader`, this crate's `IntervalLogIterator`):
//!
//! ```text
//! #[sockmodes load: latency in microseconds, one interval per second]
//! #[StartTime: 1764140000.000 (seconds since epoch)]
//! #[BaseTime: 1764140000.000 (seconds since epoch)]
//! Tag=nonblocking-echo,0.000,1.000,20.447,HISTFAAAAC...
//! ```
//!
//! Each line is one second of the measured window (the last one what is
//! left of the window): its start (seconds after BaseTime), its length, its
//! maximum (ms, for people) and a V2 deflate-compressed histogram of
//! latencies in µs. Every second of the window has its line, an empty
//! histogram where nothing was answered. The serialisation is the
//! hdrhistogram crate's; nothing here formats a histogram by hand.

use std::io;
use std::time::{Duration, SystemTime};

use base64::Engine;
use hdrhistogram::serialization::interval_log::{
    IntervalLogIterator, IntervalLogWriterBuilder, LogEntry, LogIteratorError, Tag,
};
use hdrhistogram::serialization::{Deserializer, V2DeflateSerializer};

use super::record::{Recorder, INTERVAL};

/// Writes `recorder`'s intervals, the first starting at `measured_from`,
/// the last ending with the measured `window`: a merge divides each log's
/// count by the time its intervals cover, so the log covers the whole
/// window, seconds that answered nothing included, and a run shorter than
/// a second, or a last interval cut short, is not logged as whole seconds.
/// `tag` names the run (`model-service`); it must not hold spaces or commas.
///
/// # Errors
/// The writer failed, or a histogram could not be serialised.
pub fn write(
    out: &mut impl io::Write,
    recorder: &Recorder,
    measured_from: SystemTime,
    window: Duration,
    tag: &str,
) -> io::Result<()> {
    let tag = Tag::new(tag).ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, format!("bad log tag {tag:?}"))
    })?;
    let mut serializer = V2DeflateSerializer::new();
    let mut log = IntervalLogWriterBuilder::new()
        .add_comment("sockmodes load: latency in microseconds, one interval per second")
        .with_start_time(measured_from)
        .with_base_time(measured_from)
        // The max column is for people: show it in milliseconds.
        .with_max_value_divisor(1000.0)
        .begin_log_with(out, &mut serializer)?;
    let slots = window.as_secs_f64() / INTERVAL.as_secs_f64();
    let slots = recorder.intervals.len().max(slots.ceil() as usize);
    let empty = super::record::histogram();
    for k in 0..slots {
        let h = recorder.intervals.get(k).unwrap_or(&empty);
        let start = INTERVAL * k as u32;
        // The log says lengths to the millisecond: a window's last sliver
        // (or an answer at its very end, in a slot that starts there) is
        // given one, not a length that reads as none.
        let length = window.saturating_sub(start).clamp(MIN_LENGTH, INTERVAL);
        log.write_histogram(h, start, length, Some(tag))
            .map_err(|e| io::Error::other(e.to_string()))?;
    }
    Ok(())
}

/// The shortest interval length a log can say: it writes lengths in
/// seconds to three decimals.
const MIN_LENGTH: Duration = Duration::from_millis(1);

/// A log read back: every interval's histogram, added.
#[derive(Debug)]
pub struct LogTotal {
    /// The intervals' histograms, added.
    pub histogram: hdrhistogram::Histogram<u64>,
    /// The tags seen, in order of first appearance.
    pub tags: Vec<String>,
    /// Their lengths, added: the time the log covers.
    pub logged: Duration,
}

/// Reads a log back: every interval's histogram, added together, and the
/// tags seen. A log without an interval (empty, or only comments) is read
/// as one that counted nothing.
///
/// # Errors
/// The log does not parse, a histogram does not decode (bad base64, a
/// truncated or corrupt histogram), its counts add past a `u64` (no run
/// answers that many messages; the histogram would saturate and misstate
/// every percentile), or its intervals last no time.
pub fn read_log(input: &[u8]) -> io::Result<LogTotal> {
    let bad = |what: String| io::Error::new(io::ErrorKind::InvalidData, what);
    let mut total = LogTotal {
        histogram: super::record::histogram(),
        tags: Vec::new(),
        logged: Duration::ZERO,
    };
    let mut deserializer = Deserializer::new();
    // The intervals' counts so far, checked (`add_counts`).
    let mut counted: u64 = 0;
    // Intervals read so far, counted from 1 in the errors.
    let mut n = 0;
    for entry in IntervalLogIterator::new(input) {
        let entry = entry.map_err(|LogIteratorError::ParseError { offset }| {
            let line = line_of(input, offset);
            bad(format!(
                "not an HdrHistogram interval log (line {line} does not parse)"
            ))
        })?;
        let LogEntry::Interval(interval) = entry else {
            continue;
        };
        n += 1;
        // Standard base64: the log's encoding of each histogram.
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(interval.encoded_histogram().trim())
            .map_err(|e| bad(format!("interval {n}: base64: {e}")))?;
        let h: hdrhistogram::Histogram<u64> = deserializer
            .deserialize(&mut io::Cursor::new(bytes))
            .map_err(|e| bad(format!("interval {n}: the histogram does not decode ({e})")))?;
        counted = add_counts(counted, &h).ok_or_else(|| {
            bad(format!(
                "interval {n}: the counts add past {} messages, more than any run answers",
                u64::MAX
            ))
        })?;
        total
            .histogram
            .add(&h)
            .map_err(|e| bad(format!("interval {n}: values outside 1 µs..1 hour ({e})")))?;
        let tag = interval.tag().map(|t| t.as_str().to_string());
        if let Some(tag) = tag.filter(|t| !total.tags.contains(t)) {
            total.tags.push(tag);
        }
        total.logged = total
            .logged
            .checked_add(interval.duration())
            .ok_or_else(|| {
                bad(format!(
                    "interval {n}: the intervals' lengths add past any duration"
                ))
            })?;
    }
    if n > 0 && total.logged.is_zero() {
        let intervals = sockmodes_python::show::count(n, "interval", "intervals");
        return Err(bad(format!(
            "its {intervals} last no time: no rate can be told"
        )));
    }
    Ok(total)
}

/// `so_far` plus the sum of `h`'s counts, exact; `None` past a `u64`.
/// hdrhistogram's own total, and its adding of histograms, saturate
/// silently, which would misstate every percentile.
pub fn add_counts(so_far: u64, h: &hdrhistogram::Histogram<u64>) -> Option<u64> {
    let counts: u128 = h
        .iter_recorded()
        .map(|v| u128::from(v.count_at_value()))
        .sum();
    u64::try_from(counts).ok()?.checked_add(so_far)
}

/// The line (from 1) holding byte `offset` of `input`.
fn line_of(input: &[u8], offset: usize) -> usize {
    1 + input[..offset.min(input.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}
