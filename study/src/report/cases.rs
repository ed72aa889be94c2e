//! The criterion cases (one connection, four servers): what the bench
//! asked criterion to measure, and the medians it wrote.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

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
    /// Every group, in the report's order.
    pub const ALL: [Group; 2] = [Group::Latency, Group::Throughput];

    /// The name in criterion's ids and the report's tables.
    pub fn name(self) -> &'static str {
        match self {
            Group::Latency => "latency",
            Group::Throughput => "throughput",
        }
    }
}

/// One bench case as criterion names it: `group/target/param`.
#[derive(Debug, Clone)]
pub struct CaseSpec {
    pub group: Group,
    pub param: String,
    pub label: String,
    pub metric: Metric,
    /// What one criterion iteration carries: bytes or messages (1 for latency).
    pub per_iter: f64,
}

/// One case's medians, by server.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CaseResult {
    pub group: Group,
    pub case: String,
    pub metric: Metric,
    /// Value in the metric's unit (µs, bytes/s), by server.
    pub values: BTreeMap<Target, f64>,
    /// How the values were obtained: "criterion median" or "single run (--test)".
    pub source: String,
}

impl CaseResult {
    pub fn get(&self, t: Target) -> Option<f64> {
        self.values.get(&t).copied()
    }

    pub fn ratio(&self, a: Target, b: Target) -> Option<f64> {
        Some(self.get(a)? / self.get(b)?)
    }

    /// The service the case exercises: its label's first word ("sink 1
    /// MiB frames"), as the bench names it.
    pub fn service(&self) -> Option<Service> {
        self.case.split(' ').next()?.parse().ok()
    }
}

/// Per-iteration times the bench itself saw, by criterion id: the fallback
/// when criterion wrote no estimate (in `--test` mode it measures nothing).
static OBSERVED: Mutex<BTreeMap<String, Vec<f64>>> = Mutex::new(BTreeMap::new());

/// Records one `iter_custom` call.
pub fn observe(id: &str, iters: u64, elapsed: std::time::Duration) {
    let per_iter_ns = elapsed.as_nanos() as f64 / iters.max(1) as f64;
    OBSERVED
        .lock()
        .expect("not poisoned")
        .entry(id.to_string())
        .or_default()
        .push(per_iter_ns);
}

/// Criterion's directory: `$CRITERION_HOME`, or the workspace's
/// `target/criterion`.
pub fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || {
            let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
            workspace.canonicalize().unwrap_or(workspace).join("target")
        },
        PathBuf::from,
    );
    target.join("criterion")
}

/// Median ns per iteration of `id` from this run: criterion's estimate when
/// it wrote one after `since`, else the bench's own observations.
fn median_ns(id: &str, since: SystemTime) -> Option<(f64, &'static str)> {
    let path = criterion_dir().join(id).join("new/estimates.json");
    let fresh = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .is_ok_and(|t| t >= since);
    if fresh {
        let text = std::fs::read_to_string(&path).ok()?;
        let json: serde_json::Value = serde_json::from_str(&text).ok()?;
        if let Some(ns) = json["median"]["point_estimate"].as_f64() {
            return Some((ns, "criterion median"));
        }
    }
    let observed = OBSERVED.lock().expect("not poisoned");
    let mut v = observed.get(id)?.clone();
    v.sort_by(f64::total_cmp);
    Some((v[v.len() / 2], "single run (--test): not a measurement"))
}

/// Every case's medians from this run (since `since`).
pub fn collect(cases: &[CaseSpec], since: SystemTime) -> Vec<CaseResult> {
    cases
        .iter()
        .map(|spec| {
            let mut values = BTreeMap::new();
            let mut source = "not run";
            for t in Target::every() {
                let id = format!("{}/{}/{}", spec.group.name(), t.name(), spec.param);
                if let Some((ns, how)) = median_ns(&id, since) {
                    values.insert(t, spec.metric.from_ns(ns, spec.per_iter));
                    source = how;
                }
            }
            CaseResult {
                group: spec.group,
                case: spec.label.clone(),
                metric: spec.metric,
                values,
                source: source.to_string(),
            }
        })
        .collect()
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
    fn without_criterions_estimate_the_median_of_the_benchs_own_runs_is_used() {
        let id = format!("test-only/raw/median-{}", std::process::id());
        for ns in [300, 100, 200] {
            observe(&id, 10, std::time::Duration::from_nanos(ns * 10));
        }
        let (ns, how) = median_ns(&id, SystemTime::now()).expect("observed");
        assert_eq!(ns, 200.0);
        assert!(how.starts_with("single run"), "{how}");
        assert_eq!(median_ns("test-only/never/run", SystemTime::now()), None);
    }

    #[test]
    fn a_case_knows_its_group_and_service() {
        let case = |label: &str| CaseResult {
            group: Group::Throughput,
            case: label.into(),
            metric: Metric::BytesPerSec,
            values: BTreeMap::new(),
            source: String::new(),
        };
        assert_eq!(case("sink 1 MiB frames").service(), Some(Service::Sink));
        assert_eq!(case("echo 64 KiB frames").service(), Some(Service::Echo));
        assert_eq!(case("upload").service(), None);
        let text = serde_json::to_string(&Group::Latency).unwrap();
        assert_eq!(text, "\"latency\"");
        assert_eq!(Group::ALL.map(Group::name), ["latency", "throughput"]);
    }
}
