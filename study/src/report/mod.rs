//! The report: every criterion case with the four servers side by side, the
//! scaling study (sweep, offered load, same rate), idle memory, the targets,
//! findings computed from this run, and charts; as Markdown, JSON and one
//! self-contained HTML file.
//!
//! Computed once, rendered many times. The files, by what they hold:
//!
//! - the run: `study.rs` (the measurements, [`Study`]), `cases.rs` (what a
//!   criterion case is) and `criterion.rs` (criterion's estimates read
//!   into [`CaseResult`]s);
//! - the judging, each concept with its own words beside its types:
//!   `cross.rs` (the cross-check's rule), `batching.rs` (how much each
//!   server batched, and the measured cause where the cross-check's
//!   cells disagree), `verdicts.rs` (one server
//!   against another by connection count), `costs.rs` (what each server
//!   spends), `service.rs` (the service-work figures beside their ceilings,
//!   and their findings), `targets.rs` (the project's targets) and
//!   `findings.rs` (what the run shows, typed and as sentences);
//! - `analysis.rs`: [`Analysis::of`], the one place all of these are
//!   computed, and `run.rs`: [`Report`], a run with its analysis, which is
//!   report.json (`forms.rs` gives the borrowed types their JSON form);
//! - the renderers, which read a [`Report`] and judge nothing: `tables.rs`,
//!   `markdown.rs`, `html.rs`, `charts/`, and the published pages
//!   (`publish.rs`, `publish_tables.rs`); `lang.rs` writes numbers as each
//!   language does.
//!
//! No two of these files import each other, directly or round a loop
//! (`study/tests/report_imports.rs` reads their `use` lines and checks);
//! this file only declares them and writes a report's files.

pub mod analysis;
pub mod batching;
mod cases;
mod charts;
pub mod costs;
mod criterion;
pub mod cross;
pub mod findings;
pub(crate) mod forms;
mod html;
pub mod lang;
mod markdown;
pub mod publish;
mod publish_tables;
pub mod run;
pub mod service;
pub mod study;
pub mod tables;
pub mod targets;
pub mod verdicts;

use std::path::{Path, PathBuf};

pub use crate::parts::{Part, PartTime};
pub use analysis::Analysis;
pub use cases::{Case, CaseResult, CaseSpec, Group, Metric, Source};
pub use criterion::{collect, criterion_dir, observe};
pub use run::{Measured, Report};
pub use study::{time_account, BareThreads, Study};

/// The Markdown report.
pub fn markdown(r: &Report) -> String {
    markdown::markdown(r, &charts::all(r, lang::Lang::En))
}

/// Writes report.md, report.json, report.html and the SVG charts into `dir`;
/// returns the Markdown report's path.
///
/// # Errors
/// A file could not be written.
pub fn write(dir: &Path, report: &Report) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let charts = charts::all(report, lang::Lang::En);
    for (name, svg) in &charts {
        std::fs::write(dir.join(format!("{name}.svg")), svg)?;
    }
    std::fs::write(dir.join("report.json"), publish::json(report)?)?;
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
    fn every_chart_is_written_as_svg_with_every_server() {
        let r = fixture::report();
        let dir = std::env::temp_dir().join(format!("sockmodes-study-{}", std::process::id()));
        let md = write(&dir, &r).unwrap();
        let text = std::fs::read_to_string(&md).unwrap();
        for (name, _) in charts::all(&r, lang::Lang::En) {
            let svg = std::fs::read_to_string(dir.join(format!("{name}.svg"))).unwrap();
            assert!(svg.starts_with("<svg"), "{name}");
            assert!(!svg.contains("(no data)"), "{name} has data");
            assert!(
                text.contains(&format!("({name}.svg)")),
                "{name} in the markdown"
            );
        }
        let sweep = std::fs::read_to_string(dir.join("sweep-throughput.svg")).unwrap();
        for t in crate::target::Target::every_studied() {
            assert!(sweep.contains(t.name()), "{} in the legend", t.name());
        }
        assert!(dir.join("report.html").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
