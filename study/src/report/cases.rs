//! The criterion cases (one connection, four servers): what a case is
//! ([`Case`], its group and metric) and what a run found of it
//! ([`CaseResult`]); `criterion.rs` reads them from criterion's estimates.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sockmodes_common::Service;

use crate::target::Target;

/// How a case is read.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum Metric {
    /// Microseconds per round trip: lower is better.
    LatencyUs,
    /// Bytes per second: higher is better.
    BytesPerSec,
}

impl Metric {
    pub fn unit(self) -> &'static str {
        match self {
            Metric::LatencyUs => "µs per round trip (median)",
            Metric::BytesPerSec => "MB/s (median)",
        }
    }

    /// The value in this metric's unit of one iteration of `ns`
    /// nanoseconds that carried `per_iter` bytes (latency: µs per round
    /// trip; throughput: bytes per second).
    pub fn from_ns(self, ns: f64, per_iter: f64) -> f64 {
        match self {
            Metric::LatencyUs => ns / 1e3,
            Metric::BytesPerSec => per_iter / (ns / 1e9),
        }
    }

    pub fn show(self, v: f64) -> String {
        match self {
            Metric::LatencyUs => format!("{v:.1}"),
            Metric::BytesPerSec => format!("{:.0}", v / 1e6),
        }
    }
}

/// A criterion group: what a case measures. In JSON and in criterion's
/// ids, its name (`"latency"`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    /// Round trips of one message at a time.
    Latency,
    /// Bytes per second, frames streamed.
    Throughput,
}

impl Group {
    /// The name in criterion's ids and the report's tables.
    pub fn name(self) -> &'static str {
        match self {
            Group::Latency => "latency",
            Group::Throughput => "throughput",
        }
    }
}

/// What a criterion case exercises: a service, with messages (latency:
/// one at a time) or frames (throughput: streamed) of `bytes` each. In
/// JSON and the tables, its label ([`Case::label`]): "echo 16 B", "sink 1
/// MiB frames".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Case {
    pub service: Service,
    pub bytes: u64,
}

impl Case {
    /// The label in `group`: the service and the size, and "frames" where
    /// the group streams them.
    pub fn label(self, group: Group) -> String {
        let frames = match group {
            Group::Latency => "",
            Group::Throughput => " frames",
        };
        format!("{} {}{frames}", self.service, size_words(self.bytes))
    }

    /// The case a label of `group` names ([`label`](Self::label)'s inverse).
    ///
    /// # Errors
    /// The label is not one [`label`](Self::label) makes in `group`.
    pub fn parse(label: &str, group: Group) -> Result<Case, String> {
        let bad = || format!("not a {} case: {label:?}", group.name());
        let words: Vec<&str> = label.split(' ').collect();
        let (service, n, unit) = match (group, &words[..]) {
            (Group::Latency, [s, n, u]) | (Group::Throughput, [s, n, u, "frames"]) => (s, n, u),
            _ => return Err(bad()),
        };
        let scale: u64 = match *unit {
            "B" => 1,
            "KiB" => 1 << 10,
            "MiB" => 1 << 20,
            _ => return Err(bad()),
        };
        Ok(Case {
            service: service.parse().map_err(|_| bad())?,
            bytes: n
                .parse::<u64>()
                .ok()
                .and_then(|n| n.checked_mul(scale))
                .ok_or_else(bad)?,
        })
    }
}

/// Bytes in the largest unit that holds them exactly: "16 B", "64 KiB",
/// "1 MiB", "1500 B" (so that a label reads back into the same size).
fn size_words(bytes: u64) -> String {
    match bytes {
        b if b > 0 && b.is_multiple_of(1 << 20) => format!("{} MiB", b >> 20),
        b if b > 0 && b.is_multiple_of(1 << 10) => format!("{} KiB", b >> 10),
        b => format!("{b} B"),
    }
}

/// One bench case as criterion names it: `group/target/param`.
#[derive(Debug, Clone)]
pub struct CaseSpec {
    pub group: Group,
    pub param: String,
    pub case: Case,
    pub metric: Metric,
    /// What one criterion iteration carries: bytes or messages (1 for latency).
    pub per_iter: f64,
}

/// Where a case's values came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    /// Criterion's median estimate, written in this run.
    #[serde(rename = "criterion median")]
    CriterionMedian,
    /// The bench's own observations of one short run (`--test`, where
    /// criterion measures nothing).
    #[serde(rename = "single run (--test): not a measurement")]
    SingleRun,
    /// No server of the case ran.
    #[serde(rename = "not run")]
    NotRun,
}

/// One case's medians, by server. In JSON the case is its label
/// (`CaseRecord`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(into = "CaseRecord", try_from = "CaseRecord")]
pub struct CaseResult {
    pub group: Group,
    pub case: Case,
    pub metric: Metric,
    /// Value in the metric's unit (µs, bytes/s), by server.
    pub values: BTreeMap<Target, f64>,
    /// How the values were obtained.
    pub source: Source,
}

/// A [`CaseResult`] as report.json holds it: the case as its label.
#[derive(Serialize, Deserialize)]
struct CaseRecord {
    group: Group,
    case: String,
    metric: Metric,
    values: BTreeMap<Target, f64>,
    source: Source,
}

impl From<CaseResult> for CaseRecord {
    fn from(r: CaseResult) -> CaseRecord {
        CaseRecord {
            case: r.label(),
            group: r.group,
            metric: r.metric,
            values: r.values,
            source: r.source,
        }
    }
}

impl TryFrom<CaseRecord> for CaseResult {
    type Error = String;
    fn try_from(r: CaseRecord) -> Result<CaseResult, String> {
        Ok(CaseResult {
            case: Case::parse(&r.case, r.group)?,
            group: r.group,
            metric: r.metric,
            values: r.values,
            source: r.source,
        })
    }
}

impl CaseResult {
    pub fn get(&self, t: Target) -> Option<f64> {
        self.values.get(&t).copied()
    }

    pub fn ratio(&self, a: Target, b: Target) -> Option<f64> {
        Some(self.get(a)? / self.get(b)?)
    }

    /// The case's label: "sink 1 MiB frames".
    pub fn label(&self) -> String {
        self.case.label(self.group)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_is_read_in_its_metrics_unit() {
        assert_eq!(Metric::LatencyUs.from_ns(12_500.0, 1.0), 12.5);
        // 1 MiB in 1 ms: 1,048,576,000 bytes/s, shown as 1049 MB/s.
        let v = Metric::BytesPerSec.from_ns(1e6, 1_048_576.0);
        assert_eq!(v, 1_048_576_000.0);
        assert_eq!(Metric::BytesPerSec.show(v), "1049");
        assert_eq!(Metric::LatencyUs.show(12.46), "12.5");
    }

    #[test]
    fn a_case_travels_as_its_label_and_reads_back() {
        let sink = Case {
            service: Service::Sink,
            bytes: 1 << 20,
        };
        assert_eq!(sink.label(Group::Throughput), "sink 1 MiB frames");
        let echo = Case {
            service: Service::Echo,
            bytes: 16,
        };
        assert_eq!(echo.label(Group::Latency), "echo 16 B");
        for (case, group) in [
            (sink, Group::Throughput),
            (echo, Group::Latency),
            (
                Case {
                    bytes: 1500,
                    ..echo
                },
                Group::Latency,
            ),
            (
                Case {
                    bytes: 64 << 10,
                    ..echo
                },
                Group::Throughput,
            ),
        ] {
            assert_eq!(Case::parse(&case.label(group), group), Ok(case));
        }
        // A label of the other group, or not the bench's, is refused.
        assert!(Case::parse("sink 1 MiB frames", Group::Latency).is_err());
        assert!(Case::parse("echo 16 B", Group::Throughput).is_err());
        assert!(Case::parse("upload 16 B", Group::Latency).is_err());
        assert!(Case::parse("echo 16 GiB", Group::Latency).is_err());
        assert!(Case::parse("echo", Group::Latency).is_err());
        let r = CaseResult {
            group: Group::Throughput,
            case: sink,
            metric: Metric::BytesPerSec,
            values: [(Target::Raw, 1e9)].into_iter().collect(),
            source: Source::CriterionMedian,
        };
        let text = serde_json::to_string(&r).unwrap();
        assert!(
            text.contains(r#""case":"sink 1 MiB frames""#)
                && text.contains(r#""source":"criterion median""#),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<CaseResult>(&text).unwrap(), r);
        let text = serde_json::to_string(&Group::Latency).unwrap();
        assert_eq!(text, "\"latency\"");
        assert_eq!(
            [Group::Latency, Group::Throughput].map(Group::name),
            ["latency", "throughput"]
        );
    }
}
