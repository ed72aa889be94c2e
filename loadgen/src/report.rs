//! A run's figures: the summary `--json` prints, and the per-second
//! histograms behind it.
//!
//! The first thirteen fields of [`LoadReport`] are the original contract and
//! keep their names and meaning; everything after them was added later and
//! only adds. The summary says when the run cannot be taken at face value:
//! the client was the bottleneck, the open-loop rate was not reached, or a
//! latency fell outside the tracked range.
//!
//! This file is the serialised type, the `--json` summary, and the code
//! that fills it field by field from the run's histograms and accounts;
//! `report/warnings.rs` says what the figures cannot be taken for, and
//! `report/spectrum.rs` makes the latency spectrum.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use sockmodes_common::Service;
use sockmodes_os::kernel_tcp::TcpPressure;

use super::cpu::{CpuWindow, CLIENT_BOUND_UTILIZATION};
use super::endings::{self, Endings};
use super::fairness::{self, Fairness, Ramp};
use super::record::Recorder;
use super::{hdrlog, LoadConfig, Outcome};

pub mod json;
#[cfg(any(test, feature = "sample"))]
mod sample;
mod spectrum;
mod warnings;
use sockmodes_models::Model;
pub use spectrum::spectrum;

/// A [`Service`] in JSON: its command-line name (`"echo"`), as
/// `--json` has always printed it.
mod service_name {
    use serde::{Deserialize, Deserializer, Serializer};
    use sockmodes_common::Service;

    pub fn serialize<S: Serializer>(service: &Service, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(service.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Service, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// The figures of one run; `--json` prints exactly these fields.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LoadReport {
    /// Client model (in JSON `mode`, after the command's `--mode`, and its
    /// command-line name, `"nonblocking"`).
    #[serde(rename = "mode")]
    pub model: Model,
    /// Service (in JSON its name, `"echo"`).
    #[serde(with = "service_name")]
    pub service: Service,
    /// Connections made (those asked for but the ones that never connected;
    /// see `ended`).
    pub connections: usize,
    /// Measured seconds (warm-up excluded).
    pub duration_s: f64,
    /// Messages answered inside the measured window, whenever they were due
    /// (echo: round trips; sink: frames the server's summary confirmed).
    pub messages: u64,
    /// Those per second: what the server answered, not what was offered
    /// (`rate_requested`).
    pub messages_per_s: f64,
    /// Payload bytes per second (sink: verified by the server's summary).
    pub bytes_per_s: f64,
    /// Median latency, µs (sink: time a send call held the writer).
    pub p50_us: f64,
    /// 90th percentile, µs.
    pub p90_us: f64,
    /// 99th percentile, µs.
    pub p99_us: f64,
    /// 99.9th percentile, µs.
    pub p999_us: f64,
    /// Largest latency, µs.
    pub max_us: f64,
    /// Connections that did not end served (one each, whatever the reason:
    /// see `ended`), and latencies out of range.
    pub errors: u64,
    /// Mean latency, µs (Little's law: connections / messages_per_s in a
    /// closed loop).
    pub mean_us: f64,
    /// The whole distribution: `[percentile, µs]` pairs from p0 (the
    /// minimum) to p100 (the maximum), HdrHistogram's percentile iteration
    /// (5 steps per halving) plus p50, p90, p99, p99.9, p99.99, p99.999.
    pub percentiles: Vec<[f64; 2]>,
    /// Latencies outside 1 µs ..= 1 hour: counted (also in `errors`), not
    /// in the percentiles.
    pub latency_out_of_range: u64,
    /// Open loop: the rate asked for, messages/s (null: closed loop).
    pub rate_requested: Option<f64>,
    /// Open loop: sends due in the window never made because the client
    /// could not keep the schedule (it allows a few messages in flight per
    /// connection: blocking one, non-blocking up to 8; the rest are counted,
    /// not queued).
    pub unsent: u64,
    /// Threads that drove the connections.
    pub client_threads: usize,
    /// The client's user and system CPU over the window (null: not measured).
    pub client_cpu: Option<CpuWindow>,
    /// CPU time over `window x min(client_threads, cores)` (null: not measured).
    pub client_cpu_utilization: Option<f64>,
    /// The client's threads were busy more than 90% of the window: the
    /// figures describe the load generator, not the server.
    pub client_bound: bool,
    /// Every reason not to take the figures at face value, one sentence each.
    pub warnings: Vec<String>,
    /// Answers that arrived within the window, per second: what the server
    /// sustained (now the same as `messages_per_s`, kept for its readers).
    pub answered_per_s: f64,
    /// The ramp: the warm-up the run took (at least `--warmup`, longer until
    /// every connection had its first answer) and each connection's time to
    /// its first answer.
    pub ramp: Ramp,
    /// How evenly the window's answers fell on the connections, and which
    /// got none (starved).
    pub fairness: Fairness,
    /// Of `messages`, those due before the window (in the warm-up): their
    /// whole wait is in the percentiles.
    pub carried_in: u64,
    /// The longest wait of those, ms (null: none).
    pub carried_in_max_ms: Option<f64>,
    /// Messages sent and never answered (sink: frames never confirmed) when
    /// the connection ended or the run gave up; each such connection is an
    /// error.
    pub unanswered: u64,
    /// How long the oldest of those had waited when the run gave up, ms
    /// (null: none).
    pub oldest_unanswered_ms: Option<f64>,
    /// Open loop: send times were rounded up to a grid of this many µs, so
    /// that a slot's sends go in one wake-up; latencies are measured from
    /// the rounded times (null: closed loop).
    pub send_grid_us: Option<f64>,
    /// Answers that arrived after the window, during the drain (not in
    /// `messages`). (Default 0 when reading a report older than it.)
    #[serde(default)]
    pub answered_after_window: u64,
    /// How every connection asked for ended; the counts add up to `asked`,
    /// and `connections` = `asked` - `never_connected`. (Default all zero
    /// when reading a report older than it.)
    #[serde(default)]
    pub ended: Endings,
    /// The machine's TCP memory went under pressure, or the kernel dropped
    /// segments for want of it, during the run (Linux; null: neither, or not
    /// measured). Connections of any server stall then.
    #[serde(default)]
    pub kernel_tcp: Option<TcpPressure>,
}

/// A finished run: the summary and the per-second histograms.
pub struct Run {
    /// The summary.
    pub report: LoadReport,
    /// Per-second histograms and counts.
    pub recorder: Recorder,
    /// Wall-clock start of the measured window (the log's base time).
    pub measured_from: SystemTime,
    /// The measured window's length (the log covers all of it).
    pub window: Duration,
}

impl Run {
    pub(crate) fn new(config: &LoadConfig, outcome: Outcome, tcp: Option<TcpPressure>) -> Run {
        Run {
            report: summarize(config, &outcome, tcp),
            measured_from: outcome.start.measure_from_wall(),
            window: config.duration,
            recorder: outcome.recorder,
        }
    }

    /// The summary.
    pub fn report(&self) -> &LoadReport {
        &self.report
    }

    /// Writes the run as an HdrHistogram interval log (see [`hdrlog`]).
    ///
    /// # Errors
    /// The writer failed.
    pub fn write_hdr_log(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let tag = format!("{}-{}", self.report.model, self.report.service);
        hdrlog::write(out, &self.recorder, self.measured_from, self.window, &tag)
    }
}

/// The report, with a warning for each reason not to take it at face
/// value, each connection left out of the service among them.
fn summarize(config: &LoadConfig, outcome: &Outcome, tcp: Option<TcpPressure>) -> LoadReport {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let cpu = outcome.start.cpu();
    let (warmup, capped) = outcome.start.warmup_taken();
    let (rec, tallies) = (&outcome.recorder, &outcome.tallies);
    let secs = config.duration.as_secs_f64().max(1e-9);
    let h = rec.total();
    let q = |q: f64| {
        if h.is_empty() {
            0.0
        } else {
            h.value_at_quantile(q) as f64
        }
    };
    let utilization = cpu.map(|c| c.utilization(outcome.threads, cores));
    let client_bound = utilization.is_some_and(|u| u > CLIENT_BOUND_UTILIZATION);
    let messages_per_s = rec.messages as f64 / secs;
    let ended = Endings::of(tallies);
    let (unanswered, oldest) = fairness::unanswered(tallies);
    let mut report = LoadReport {
        model: config.model,
        service: config.service,
        connections: ended.made(),
        duration_s: secs,
        messages: rec.messages,
        messages_per_s,
        bytes_per_s: rec.bytes as f64 / secs,
        p50_us: q(0.5),
        p90_us: q(0.9),
        p99_us: q(0.99),
        p999_us: q(0.999),
        max_us: if h.is_empty() { 0.0 } else { h.max() as f64 },
        errors: rec.out_of_range + ended.failures(),
        mean_us: if h.is_empty() { 0.0 } else { h.mean() },
        percentiles: spectrum(&h),
        latency_out_of_range: rec.out_of_range,
        rate_requested: config.rate,
        unsent: rec.unsent,
        client_threads: outcome.threads,
        client_cpu: cpu,
        client_cpu_utilization: utilization,
        client_bound,
        warnings: Vec::new(),
        answered_per_s: messages_per_s,
        ramp: fairness::ramp(tallies, warmup, capped),
        fairness: fairness::fairness(tallies),
        carried_in: rec.carried_in,
        carried_in_max_ms: (rec.carried_in > 0).then(|| rec.carried_in_max_us as f64 / 1e3),
        unanswered,
        oldest_unanswered_ms: oldest.map(endings::ms),
        send_grid_us: config.rate.map(|_| config.send_grid().as_secs_f64() * 1e6),
        answered_after_window: rec.after_window,
        ended,
        kernel_tcp: tcp,
    };
    report.warnings = warnings::of(&report, config, warmup);
    report
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_model_and_the_service_travel_in_json_as_their_names() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Head {
            #[serde(rename = "mode")]
            model: sockmodes_models::Model,
            #[serde(with = "super::service_name")]
            service: sockmodes_common::Service,
        }
        for model in sockmodes_models::Model::ALL {
            for service in sockmodes_common::Service::ALL {
                let head = Head { model, service };
                let text = serde_json::to_string(&head).unwrap();
                let names = format!(
                    r#"{{"mode":"{}","service":"{}"}}"#,
                    model.name(),
                    service.name()
                );
                assert_eq!(text, names);
                assert_eq!(serde_json::from_str::<Head>(&text).unwrap(), head);
            }
        }
        let unknown = r#"{"mode":"blocking","service":"chat"}"#;
        assert!(serde_json::from_str::<Head>(unknown).is_err());
    }
}
