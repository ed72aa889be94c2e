//! The report: every criterion case with the four servers side by side, the
//! scaling study (sweep, offered load, same rate), idle memory, the targets,
//! findings computed from this run, and charts; as Markdown, JSON and one
//! self-contained HTML file.
//!
//! Split by output: this file holds the data ([`Report`], serialisable both
//! ways, so `report.json` reads back into the same value) and writes the
//! files; `targets.rs` and `findings.rs` (with `verdicts.rs`, `costs.rs`,
//! `cross.rs` and `service.rs`) judge the figures into typed checks and
//! findings; the `*_show.rs` files make their words, and `tables.rs`,
//! `markdown.rs`, `html.rs` and `charts/` show them. `cases.rs` says what
//! a case is, and `criterion.rs` reads criterion's estimates into
//! [`CaseResult`]s.

mod cases;
mod charts;
pub mod costs;
mod costs_show;
mod criterion;
pub mod cross;
mod cross_show;
pub mod findings;
pub mod findings_show;
mod html;
pub mod lang;
mod markdown;
pub mod publish;
mod publish_tables;
pub mod service;
pub mod service_show;
pub mod tables;
pub mod targets;
mod targets_show;
pub mod verdicts;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use cases::{Case, CaseResult, CaseSpec, Group, Metric, Source};
pub use criterion::{collect, criterion_dir, observe};
pub use targets::TargetCheck;

pub use cross::CrossVerdict;

use crate::affinity::Placement;
use crate::crosscheck::Cell;
use crate::machine::Machine;
use crate::scale::ScalePoint;
use crate::sweep::{Plan, Point};
use crate::target::RunMode;

/// The bare-thread yardstick of the blocking server's memory.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BareThreads {
    /// Threads in the process.
    pub threads: usize,
    /// Resident MiB with them.
    pub rss_mib: f64,
    /// Resident MiB of the same process without them.
    pub baseline_mib: f64,
}

impl BareThreads {
    /// Resident KiB per bare thread.
    pub fn kib_each(&self) -> f64 {
        (self.rss_mib - self.baseline_mib) * 1024.0 / self.threads.max(1) as f64
    }
}

/// Everything one run measured.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Study {
    pub plan: Plan,
    pub cases: Vec<CaseResult>,
    pub sweep: Vec<Point>,
    pub load_steps: Vec<Point>,
    pub same_rate: Vec<Point>,
    pub scale: Vec<ScalePoint>,
    pub bare_threads: Option<BareThreads>,
    /// The cross-check's cells: every server at a few counts, driven by
    /// every client engine in both placements (`crosscheck.rs`).
    #[serde(default)]
    pub cross_check: Vec<Cell>,
    /// How long the whole `cargo bench` took, seconds (criterion, study,
    /// idle memory), as the README quotes it.
    #[serde(default)]
    pub elapsed_s: Option<f64>,
    /// What the run spent its time on, part by part.
    #[serde(default)]
    pub parts: Vec<PartTime>,
    /// The service-work section: every server with work per message, in
    /// each setup (`service.rs`).
    #[serde(default)]
    pub service: Vec<Point>,
}

/// A part of `cargo bench`, for the account of where its time went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Criterion,
    Sweep,
    OfferedLoad,
    SameRate,
    CrossCheck,
    Service,
    IdleMemory,
}

impl Part {
    /// How the report names it.
    pub fn name(self) -> &'static str {
        match self {
            Part::Criterion => "criterion (one connection)",
            Part::Sweep => "connection sweep",
            Part::OfferedLoad => "offered load",
            Part::SameRate => "same rate",
            Part::CrossCheck => "cross-check",
            Part::Service => "service work",
            Part::IdleMemory => "idle memory",
        }
    }
}

/// How long one part took.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PartTime {
    pub part: Part,
    pub seconds: f64,
}

/// "criterion (one connection) 61 s, connection sweep 95 s, ...": where a
/// run's time went.
pub fn time_account(study: &Study) -> Option<String> {
    let total = study.elapsed_s?;
    let parts: Vec<String> = study
        .parts
        .iter()
        .map(|p| format!("{} {:.0} s", p.part.name(), p.seconds))
        .collect();
    Some(if parts.is_empty() {
        format!("The whole run took {total:.0} s.")
    } else {
        format!("The whole run took {total:.0} s: {}.", parts.join(", "))
    })
}

/// Everything one report shows, for the Markdown, HTML and JSON writers.
///
/// In JSON the judgments (targets, cross-check verdicts, findings) are
/// written for the JSON's readers, the targets and findings as the text the
/// report shows; read back, a report keeps its measurements and is judged
/// again by this code ([`Measured`]), so a report.json of any version reads
/// into the same value this code would make of its run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(from = "Measured")]
pub struct Report {
    pub mode: RunMode,
    pub machine: Machine,
    /// Placement of the criterion groups (latency, throughput).
    pub criterion_placement: String,
    /// Placement of the scaling study.
    pub sweep_placement: String,
    pub study: Study,
    pub targets: Vec<TargetCheck>,
    /// The cross-check's verdicts: every pair of servers at every count
    /// it measured, with what each driver said.
    #[serde(default)]
    pub cross_verdicts: Vec<CrossVerdict>,
    /// What this run's figures show, computed from them.
    #[serde(serialize_with = "findings_show::serialize")]
    pub findings: Vec<findings::Finding>,
}

/// What a report.json holds of its run: the machine, where the run placed
/// its servers, and every measurement. The rest of a [`Report`] is judged
/// from these.
#[derive(Deserialize)]
struct Measured {
    machine: Machine,
    criterion_placement: String,
    sweep_placement: String,
    study: Study,
}

impl From<Measured> for Report {
    fn from(m: Measured) -> Report {
        let mut r = Report::new(m.study, m.machine);
        // Where the run placed its servers is part of the measurement.
        r.criterion_placement = m.criterion_placement;
        r.sweep_placement = m.sweep_placement;
        r
    }
}

impl Report {
    /// Judges `study`: targets and findings (none in test mode: single
    /// unmeasured runs support no verdict).
    pub fn new(study: Study, machine: Machine) -> Report {
        let mode = study.plan.run_mode;
        let mut targets = targets::check(&study);
        if mode == RunMode::Test {
            targets.iter_mut().for_each(|t| t.met = None);
        }
        Report {
            mode,
            machine,
            criterion_placement: Placement::for_criterion().describe(),
            sweep_placement: Placement::for_sweep().describe(),
            findings: findings::compute(&study),
            cross_verdicts: cross::verdicts(&study.cross_check),
            targets,
            study,
        }
    }

    /// The name of the placement a sentence of [`Placement::describe`]
    /// gives ("Placement `split`: ..." is `split`), so that a report read
    /// back from its JSON draws the placement it was measured with, not
    /// the one of the machine rendering it.
    pub fn placement_name(described: &str) -> &str {
        described.split('`').nth(1).unwrap_or(described)
    }

    /// (file stem, SVG text) of every chart with data.
    pub fn charts(&self) -> Vec<(String, String)> {
        charts::all(self, lang::Lang::En)
    }

    /// The same charts in `lang` (the Spanish guide embeds them).
    pub fn charts_in(&self, lang: lang::Lang) -> Vec<(String, String)> {
        charts::all(self, lang)
    }

    /// The Markdown report.
    pub fn markdown(&self) -> String {
        markdown::markdown(self, &self.charts())
    }

    /// The HTML report, charts inline.
    pub fn html(&self) -> String {
        html::html(self, &self.charts())
    }
}

/// Writes report.md, report.json, report.html and the SVG charts into `dir`;
/// returns the Markdown report's path.
///
/// # Errors
/// A file could not be written.
pub fn write(dir: &Path, report: &Report) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let charts = report.charts();
    for (name, svg) in &charts {
        std::fs::write(dir.join(format!("{name}.svg")), svg)?;
    }
    std::fs::write(
        dir.join("report.json"),
        serde_json::to_string_pretty(report)?,
    )?;
    std::fs::write(dir.join("report.html"), html::html(report, &charts))?;
    let md_path = dir.join("report.md");
    std::fs::write(&md_path, markdown::markdown(report, &charts))?;
    Ok(md_path)
}

#[cfg(test)]
pub(crate) mod fixture;

#[cfg(test)]
mod tests {
    use super::fixture;
    use super::*;

    #[test]
    fn a_placement_is_named_from_its_sentence() {
        for p in [Placement::Split, Placement::SameCore, Placement::Unpinned] {
            assert_eq!(Report::placement_name(&p.describe()), p.name());
        }
        assert_eq!(Report::placement_name("split"), "split");
    }

    #[test]
    fn the_json_reads_back_into_the_same_report() {
        let r = fixture::report();
        let text = serde_json::to_string_pretty(&r).unwrap();
        let back: Report = serde_json::from_str(&text).unwrap();
        assert_eq!(back, r);
        // Enums travel as names, not numbers or free strings.
        assert!(
            text.contains("\"target\": \"nonblocking\""),
            "{}",
            &text[..400]
        );
        assert!(text.contains("\"step\": \"same_rate\""));
        assert!(text.contains("\"mode\": \"quick\""));
    }

    #[test]
    fn a_report_reads_back_judged_again_whatever_judgments_its_json_holds() {
        let r = fixture::report();
        let mut json = serde_json::to_value(&r).unwrap();
        // The findings and targets travel as the report's text.
        let first = findings_show::show(&r.findings[0]);
        assert_eq!(json["findings"][0], first.as_str());
        assert!(json["targets"][0]["target"].is_string());
        // An older version's judgments, or none that this code would make:
        // the measurements decide.
        json["findings"] = serde_json::json!(["an older sentence"]);
        json["targets"] =
            serde_json::json!([{"target": "old", "limit": "raw", "measured": "1x", "met": false}]);
        json["cross_verdicts"] = serde_json::json!([]);
        let back: Report = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, r);
        // Where the run placed its servers is kept, not this machine's.
        json["sweep_placement"] = "Placement `unpinned`: measured elsewhere.".into();
        let back: Report = serde_json::from_value(json).unwrap();
        assert_eq!(Report::placement_name(&back.sweep_placement), "unpinned");
    }

    #[test]
    fn every_chart_is_written_as_svg_with_every_server() {
        let r = fixture::report();
        let dir = std::env::temp_dir().join(format!("sockmodes-study-{}", std::process::id()));
        let md = write(&dir, &r).unwrap();
        let text = std::fs::read_to_string(&md).unwrap();
        for (name, _) in r.charts() {
            let svg = std::fs::read_to_string(dir.join(format!("{name}.svg"))).unwrap();
            assert!(svg.starts_with("<svg"), "{name}");
            assert!(!svg.contains("(no data)"), "{name} has data");
            assert!(
                text.contains(&format!("({name}.svg)")),
                "{name} in the markdown"
            );
        }
        let sweep = std::fs::read_to_string(dir.join("sweep-throughput.svg")).unwrap();
        for t in crate::target::Target::studied() {
            assert!(sweep.contains(t.name()), "{} in the legend", t.name());
        }
        assert!(dir.join("report.html").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
