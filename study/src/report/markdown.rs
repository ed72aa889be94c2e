//! The report as Markdown (report.md).

use std::fmt::Write as _;

use super::findings;
use super::run::Report;
use super::study::time_account;
use super::tables::{self, Table};
use crate::sweep::Plan;
use crate::target::BenchKind;

/// One line on what kind of run this was, what it trades, and the noise
/// rule its findings follow; the windows are the plan's.
pub fn banner(plan: &Plan) -> String {
    let (r, sweep, load) = (plan.repeats, plan.measure_s, plan.open_measure_s);
    let (cross, service) = (plan.cross_measure_s, plan.service_measure_s);
    let what = match plan.kind {
        BenchKind::Test => "**TEST MODE**: every case ran once, at the smallest sizes, to check that it works; the figures are single windows, not measurements.".to_string(),
        BenchKind::Quick => format!(
            "Quick mode (`-- --quick`): criterion's shorter sampling; the command's own models only (no tokio); the sweep \
             to 100 connections in {r} windows of {sweep} s, two load steps (10% and 100%) at 100 in {r} windows of {load} s, the \
             cross-check at 100 in {r} windows of {cross} s, and service work at 100 in {r} windows of {service} s, against fresh \
             servers; shorter windows are noisier, so fewer differences clear the noise than in a full run."
        ),
        BenchKind::Full => format!(
            "Full run: criterion values are medians over their samples; every sweep point is {r} windows of {sweep} s, every \
             load and same-rate step {r} of {load} s, every cross-check cell {r} of {cross} s, every service-work setup {r} of {service} s, \
             each against a fresh server, servers interleaved: medians with min-max."
        ),
    };
    format!(
        "{what} A difference is claimed only beyond noise: an exact rank test on the windows at {:.0}%, and \
         medians at least {:.0}% apart.",
        crate::stats::ALPHA * 100.0,
        (crate::stats::MIN_EFFECT - 1.0) * 100.0
    )
}

/// Text of the run (a machine's name, a placement, a cell) as Markdown
/// shows it and never obeys it: no HTML tag or entity, and control
/// characters written as Python's `repr` writes them (`\x1b`), since a
/// report.json read back may come from anywhere.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// A Markdown table of `head` and `rows`, each line ended.
pub fn md_table(head: &[String], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut out = format!("| {} |\n|{}\n", head.join(" | "), "---|".repeat(head.len()));
    for row in rows {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    out
}

fn table(s: &mut String, t: &Table) {
    let _ = writeln!(s, "## {}\n\n{}\n", t.heading, text(&t.note));
    let cells = |row: &Vec<String>| row.iter().map(|c| text(c)).collect::<Vec<_>>();
    s.push_str(&md_table(&cells(&t.headers), t.rows.iter().map(cells)));
    s.push('\n');
}

pub fn markdown(r: &Report, charts: &[(String, String)]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# sockmodes performance report\n");
    s.push_str(&body(r));
    let _ = writeln!(s, "## Charts\n");
    for (name, _) in charts {
        let _ = writeln!(s, "![{name}]({name}.svg)\n");
    }
    let _ = writeln!(s, "Every figure above: `report.json`.");
    s
}

/// The report's machine line, banner, findings and tables: what
/// docs/benchmarks.md publishes of a run (`publish.rs`).
pub fn body(r: &Report) -> String {
    let mut s = String::new();
    let machine = text(&r.machine.one_line());
    let _ = writeln!(s, "Machine: {machine}\n\n{}\n", banner(&r.study.plan));
    if let Some(t) = time_account(&r.study) {
        let _ = writeln!(s, "{t}\n");
    }
    let _ = writeln!(s, "## Findings (computed from this run)\n");
    for f in r.analysis.findings.iter().map(findings::show) {
        let _ = writeln!(s, "- {f}");
    }
    s.push('\n');
    for t in tables::all(r) {
        table(&mut s, &t);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_runs_own_text_is_shown_and_never_obeyed() {
        let mut r = super::super::fixture::report();
        r.machine.cpu = "AMD\u{1b}[31m <script>alert(1)</script> & co".into();
        r.sweep_placement.push_str(" \u{1b}]0;title\u{7} <b>");
        let md = body(&r);
        assert!(
            !md.contains('\u{1b}') && !md.contains('\u{7}'),
            "a raw control character"
        );
        assert!(!md.contains("<script>") && !md.contains("<b>"), "a raw tag");
        assert!(
            md.contains("AMD\\x1b[31m &lt;script&gt;alert(1)&lt;/script&gt; &amp; co"),
            "{md}"
        );
    }
}
