//! The published run: `docs/benchmarks/report.json` is the full run that
//! docs/benchmarks.md, the README and the guides quote, kept in the
//! repository so that a reader can render it again and a test can check
//! every page against it.
//!
//! What a page shows of the run sits between two markers, and is rendered
//! here from the run's measurements and its analysis. Publishing judges
//! the measurements again with this version of the report code (the JSON
//! keeps every window) and writes the JSON back with that analysis, so a
//! change to the analysis reaches the JSON and every page at once; the
//! pages are rendered from the run as it stands, judging nothing again
//! ([`pages`]).
//!
//! - docs/benchmarks/report.json itself: the measurements and their
//!   analysis;
//! - docs/benchmarks.md: the report's machine line, banner, findings and
//!   tables (region `report`), and the charts in docs/benchmarks/, each
//!   also in Spanish (`NAME-es.svg`, for docs/guia.md);
//! - README.md: the answer at every count (region `answer`);
//! - docs/bench.md: the full sweep table (region `sweep-table`), the
//!   service-work table (region `service-table`) and where the run's time
//!   went (region `run-time`);
//! - docs/guide.md and docs/guia.md: the "which mode when" table (region
//!   `figures`) and the service-work table (region `service`), in each
//!   guide's language and number format.
//!
//! `cargo run -p sockmodes-study --example publish` writes them;
//! `--check` (and the test `study/tests/published.rs`) only compares.
//! Figures quoted in prose outside the regions are listed, with where they
//! come from in the run, in `study/tests/quoted.rs`.

use std::path::{Path, PathBuf};

use super::charts;
use super::markdown;
pub use super::publish_tables::{answer_table, guide_table, page_table, sweep_table, Lang};
use super::run::{Measured, Report};
use super::study::time_account;

/// The run's JSON, relative to the repository's root.
pub const JSON: &str = "docs/benchmarks/report.json";
/// Where its charts go.
pub const CHART_DIR: &str = "docs/benchmarks";

/// Reads a report.json as it was written: its measurements and the
/// analysis it holds, judged nothing again.
///
/// # Errors
/// The text is not a sockmodes report of this version.
pub fn reread(text: &str) -> Result<Report, serde_json::Error> {
    check_figures(text)?;
    serde_json::from_str(text)
}

/// The longest latency a run can hold: the load generator records 1 µs to
/// an hour and counts anything outside apart, never in its percentiles.
const MAX_LATENCY_US: f64 = 3_600_000_000.0;

/// Refuses a report whose latencies no run could have measured (a stored
/// file edited, or damaged): over an hour, or below zero. A chart's log
/// axis over such a range has no end to its ticks.
fn check_figures(text: &str) -> Result<(), serde_json::Error> {
    fn walk(v: &serde_json::Value, path: &mut Vec<String>) -> Result<(), String> {
        // An array's items are named by their index, which no `_us` key is.
        let children: Vec<(String, &serde_json::Value)> = match v {
            serde_json::Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), v)).collect(),
            serde_json::Value::Array(items) => {
                (0..items.len()).map(|i| i.to_string()).zip(items).collect()
            }
            _ => Vec::new(),
        };
        for (k, v) in children {
            let x = v.as_f64().filter(|_| k.ends_with("_us"));
            if let Some(x) = x.filter(|x| !(0.0..=MAX_LATENCY_US).contains(x)) {
                let shown = if x.abs() >= 1e12 {
                    format!("{x:e}")
                } else {
                    x.to_string()
                };
                return Err(format!(
                    "{}/{k} is {shown} µs, outside the 0 to 3,600,000,000 µs (an hour) a run can measure",
                    path.join("/")
                ));
            }
            path.push(k);
            walk(v, path)?;
            path.pop();
        }
        Ok(())
    }
    let value: serde_json::Value = serde_json::from_str(text)?;
    walk(&value, &mut Vec::new()).map_err(serde::de::Error::custom)
}

/// Reads a report.json's measurements (of any version) and judges them
/// with this code; where the run placed its servers is part of the
/// measurement and is kept.
///
/// # Errors
/// The text is not a sockmodes report.
pub fn reanalyse(text: &str) -> Result<Report, serde_json::Error> {
    check_figures(text)?;
    serde_json::from_str::<Measured>(text).map(Report::from)
}

/// The JSON of `r` as a run keeps it: compact, one line (the published
/// run's windows make 4.4 MB pretty-printed, 1.3 MB so), ended by a
/// newline.
///
/// # Errors
/// A figure cannot be written as JSON.
pub fn json(r: &Report) -> Result<String, serde_json::Error> {
    serde_json::to_string(r).map(|text| text + "\n")
}

/// The opening marker of region `name`.
pub fn begin(name: &str) -> String {
    format!(
        "<!-- published run: {name}; rendered from {JSON} by `cargo run -p sockmodes-study --example publish`, \
         do not edit by hand -->"
    )
}

/// The closing marker of region `name`.
pub fn end(name: &str) -> String {
    format!("<!-- end of the published run: {name} -->")
}

/// `text` with region `name` replaced by `body`.
///
/// # Errors
/// A marker is missing, or the two are out of order.
pub fn splice(text: &str, name: &str, body: &str) -> Result<String, String> {
    let (b, e) = (begin(name), end(name));
    let start = text.find(&b).ok_or_else(|| format!("no marker {b:?}"))?;
    let stop = text[start..]
        .find(&e)
        .map(|i| start + i)
        .ok_or_else(|| format!("no marker {e:?} after {b:?}"))?;
    Ok(format!(
        "{}{b}\n\n{}\n{e}{}",
        &text[..start],
        body.trim_end(),
        &text[stop + e.len()..]
    ))
}

/// Every region of every page: (page, region name, body).
pub fn regions(r: &Report) -> Vec<(&'static str, &'static str, String)> {
    let run_time = time_account(&r.study).unwrap_or_default();
    vec![
        ("docs/benchmarks.md", "report", markdown::body(r)),
        ("README.md", "answer", answer_table(r)),
        ("docs/bench.md", "sweep-table", sweep_table(r)),
        ("docs/bench.md", "run-time", run_time),
        ("docs/bench.md", "service-table", page_table(r, Lang::En)),
        ("docs/guide.md", "figures", guide_table(r, Lang::En)),
        ("docs/guia.md", "figures", guide_table(r, Lang::Es)),
        ("docs/guide.md", "service", page_table(r, Lang::En)),
        ("docs/guia.md", "service", page_table(r, Lang::Es)),
    ]
}

/// Every file the published run renders, with its new contents, for the
/// repository at `root`: the JSON with its measurements judged again by
/// this code, the pages with their regions replaced, and the charts.
///
/// # Errors
/// The JSON or a page cannot be read, or a page lacks a region's markers.
pub fn render(root: &Path) -> Result<Vec<(PathBuf, String)>, String> {
    let path = root.join(JSON);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{JSON}: {e}"))?;
    let report = reanalyse(&text).map_err(|e| format!("{JSON}: {e}"))?;
    let mut files = vec![(path, json(&report).map_err(|e| format!("{JSON}: {e}"))?)];
    files.extend(pages(root, &report)?);
    Ok(files)
}

/// The pages `r` renders in the repository at `root`, from its
/// measurements and analysis alone: the pages with their regions replaced,
/// and the charts.
///
/// # Errors
/// A page cannot be read, or lacks a region's markers.
pub fn pages(root: &Path, report: &Report) -> Result<Vec<(PathBuf, String)>, String> {
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
    let mut pages: Vec<(PathBuf, String)> = Vec::new();
    for (page, name, body) in regions(report) {
        let path = root.join(page);
        let old = match pages.iter().position(|(p, _)| *p == path) {
            Some(i) => pages.remove(i).1,
            None => read(&path)?,
        };
        let new = splice(&old, name, &body).map_err(|e| format!("{page}: {e}"))?;
        pages.push((path, new));
    }
    // The Spanish guide's charts (`-es`), words and numbers in Spanish.
    for (lang, suffix) in [(Lang::En, ""), (Lang::Es, "-es")] {
        for (name, svg) in charts::all(report, lang) {
            let path = root.join(CHART_DIR).join(format!("{name}{suffix}.svg"));
            pages.push((path, svg));
        }
    }
    Ok(pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_is_replaced_between_its_markers_and_nothing_else() {
        let text = format!("intro\n{}\nold\n{}\nafter\n", begin("t"), end("t"));
        let new = splice(&text, "t", "new body\n").unwrap();
        assert_eq!(
            new,
            format!("intro\n{}\n\nnew body\n{}\nafter\n", begin("t"), end("t"))
        );
        assert_eq!(splice(&new, "t", "new body").unwrap(), new, "idempotent");
        assert!(splice("no markers", "t", "x")
            .unwrap_err()
            .contains("no marker"));
        let reversed = format!("{}\n{}\n", end("t"), begin("t"));
        assert!(splice(&reversed, "t", "x").is_err());
    }

    #[test]
    fn a_latency_no_run_could_measure_is_refused_not_drawn() {
        let r = super::super::fixture::report();
        let text = serde_json::to_string(&r).unwrap();
        assert!(reread(&text).is_ok() && reanalyse(&text).is_ok());
        let at = text.find("\"p99_us\":").expect("a p99 in the fixture") + "\"p99_us\":".len();
        let end = at + text[at..].find([',', '}']).unwrap();
        let broken = format!("{}1e308{}", &text[..at], &text[end..]);
        for e in [
            reread(&broken).unwrap_err(),
            reanalyse(&broken).unwrap_err(),
        ] {
            assert!(e.to_string().contains("p99_us is 1e308 µs, outside"), "{e}");
        }
    }

    #[test]
    fn a_report_reads_back_and_renders_every_region() {
        let r = super::super::fixture::report();
        let text = serde_json::to_string_pretty(&r).unwrap();
        let back = reread(&text).unwrap();
        assert_eq!(back.analysis.findings, r.analysis.findings);
        let regions = regions(&back);
        assert_eq!(regions.len(), 9);
        for (page, name, body) in regions {
            assert!(!body.trim().is_empty(), "{page} {name}");
        }
    }

    /// Rendering the stored published run judges nothing again: every page,
    /// chart, the Markdown and the HTML come from its analysis, with the
    /// statistics (`stats::compare`, `stats::rank_test`) never called.
    #[test]
    fn rendering_the_published_run_calls_no_statistics() {
        use crate::report::analysis::Analysis;
        use crate::stats::judged;
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let text = std::fs::read_to_string(root.join(JSON)).unwrap();
        let run = reread(&text).expect("the published run with its analysis");
        let before = judged::calls();
        let files = pages(&root, &run).unwrap();
        let md = crate::report::markdown(&run);
        let html = crate::report::html::html(&run, &charts::all(&run, Lang::En));
        assert_eq!(judged::calls(), before, "rendering judged");
        assert!(files.len() > 20 && md.contains("## Findings") && html.contains("<li>"));
        // The counter counts: judging the same measurements calls them,
        // and gives the analysis the run holds.
        let again = Analysis::of(&run.study);
        assert!(judged::calls() > before);
        assert_eq!(again, run.analysis);
    }
}
