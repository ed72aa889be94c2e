//! The report: every criterion case with the four servers side by side,
//! the scaling study (connection sweep and offered load), idle memory, the
//! targets, findings computed from this run, and charts; as Markdown, JSON
//! and one self-contained HTML file.
//!
//! Split by output: this file gathers the figures and writes the files;
//! `targets.rs` and `findings.rs` judge them; `markdown.rs`, `html.rs` and
//! `charts.rs` show them.

mod charts;
mod findings;
mod html;
mod markdown;
mod tables;
mod targets;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use serde::Serialize;

use super::affinity::Placement;
use super::machine::Machine;
use super::scale::ScalePoint;
use super::servers::Target;
use super::sweep::{Plan, Point};
pub use targets::TargetCheck;

/// How a case is read.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
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

    pub fn show(self, v: f64) -> String {
        match self {
            Metric::LatencyUs => format!("{v:.1}"),
            Metric::BytesPerSec => format!("{:.0}", v / 1e6),
        }
    }
}

/// One bench case as criterion names it: `group/target/param`.
#[derive(Debug, Clone)]
pub struct CaseSpec {
    pub group: &'static str,
    pub param: String,
    pub label: String,
    pub metric: Metric,
    /// What one criterion iteration carries: bytes or messages (1 for latency).
    pub per_iter: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    pub group: String,
    pub case: String,
    pub metric: Metric,
    /// Target name -> value in the metric's unit (µs, bytes/s, messages/s).
    pub values: BTreeMap<String, f64>,
    /// How the values were obtained: "criterion median" or "single run (--test)".
    pub source: String,
}

impl CaseResult {
    pub fn get(&self, t: Target) -> Option<f64> {
        self.values.get(t.name()).copied()
    }

    pub fn ratio(&self, a: Target, b: Target) -> Option<f64> {
        Some(self.get(a)? / self.get(b)?)
    }
}

/// Per-iteration times the bench itself saw, by criterion id: the fallback
/// when criterion wrote no estimate (in `--test` mode it measures nothing).
pub static OBSERVED: Mutex<BTreeMap<String, Vec<f64>>> = Mutex::new(BTreeMap::new());

/// Records one `iter_custom` call.
pub fn observe(id: &str, iters: u64, elapsed: std::time::Duration) {
    let per_iter_ns = elapsed.as_nanos() as f64 / iters.max(1) as f64;
    OBSERVED
        .lock()
        .unwrap()
        .entry(id.to_string())
        .or_default()
        .push(per_iter_ns);
}

/// Criterion's directory, as configured by the bench.
pub fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
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
    let observed = OBSERVED.lock().unwrap();
    let mut v = observed.get(id)?.clone();
    v.sort_by(f64::total_cmp);
    Some((v[v.len() / 2], "single run (--test): not a measurement"))
}

pub fn collect(cases: &[CaseSpec], since: SystemTime) -> Vec<CaseResult> {
    cases
        .iter()
        .map(|spec| {
            let mut values = BTreeMap::new();
            let mut source = "not run";
            for t in Target::ALL {
                let id = format!("{}/{}/{}", spec.group, t.name(), spec.param);
                if let Some((ns, how)) = median_ns(&id, since) {
                    let secs = ns / 1e9;
                    let v = match spec.metric {
                        Metric::LatencyUs => ns / 1e3,
                        Metric::BytesPerSec => spec.per_iter / secs,
                    };
                    values.insert(t.name().to_string(), v);
                    source = how;
                }
            }
            CaseResult {
                group: spec.group.to_string(),
                case: spec.label.clone(),
                metric: spec.metric,
                values,
                source: source.to_string(),
            }
        })
        .collect()
}

/// Everything one run measured.
pub struct Study<'a> {
    pub results: &'a [CaseResult],
    pub scale: &'a [ScalePoint],
    pub plan: &'a Plan,
    pub sweep: &'a [Point],
    pub load_steps: &'a [Point],
}

/// Everything one report shows, for the Markdown, HTML and JSON writers.
#[derive(Serialize)]
pub struct Report<'a> {
    pub mode: &'a str,
    pub machine: Machine,
    /// Placement of the criterion groups (latency, throughput).
    pub criterion_placement: String,
    /// Placement of the scaling study.
    pub sweep_placement: String,
    pub cases: &'a [CaseResult],
    pub scale: &'a [ScalePoint],
    pub plan: &'a Plan,
    pub sweep: &'a [Point],
    pub load_steps: &'a [Point],
    pub targets: Vec<TargetCheck>,
    /// Sentences computed from this run's figures.
    pub findings: Vec<String>,
    #[serde(skip)]
    pub charts: Vec<(String, String)>,
}

/// Writes report.md, report.json, report.html and the SVG charts into `dir`;
/// returns the Markdown report's path.
pub fn write(dir: &Path, run_mode: &str, study: &Study<'_>) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let mut targets = targets::check(study);
    if run_mode == "test" {
        // Single unmeasured runs say nothing about a target: no verdict.
        targets.iter_mut().for_each(|t| t.met = None);
    }
    let sweep_placement = Placement::for_sweep();
    let report = Report {
        mode: run_mode,
        machine: Machine::describe(),
        criterion_placement: Placement::for_criterion().describe(),
        sweep_placement: sweep_placement.describe(),
        cases: study.results,
        scale: study.scale,
        plan: study.plan,
        sweep: study.sweep,
        load_steps: study.load_steps,
        targets,
        findings: findings::compute(study, run_mode),
        charts: charts::all(study, sweep_placement.name()),
    };
    for (name, svg) in &report.charts {
        std::fs::write(dir.join(format!("{name}.svg")), svg)?;
    }
    std::fs::write(
        dir.join("report.json"),
        serde_json::to_string_pretty(&report)?,
    )?;
    std::fs::write(dir.join("report.html"), html::html(&report))?;
    let md_path = dir.join("report.md");
    std::fs::write(&md_path, markdown::markdown(&report))?;
    Ok(md_path)
}

/// The servers of the criterion table, in column order.
pub const COLUMNS: [Target; 4] = [
    Target::Blocking,
    Target::NonBlocking,
    Target::Raw,
    Target::Tokio,
];
