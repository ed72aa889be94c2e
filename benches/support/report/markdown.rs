//! The report as Markdown (report.md).

use std::fmt::Write as _;

use super::tables::{self, Table};
use super::Report;

/// One line on what kind of run this was.
pub fn banner(run_mode: &str) -> &'static str {
    match run_mode {
        "test" => "**TEST MODE**: every case ran once, at the smallest sizes, to check that it works; the figures are single runs, not measurements.",
        "quick" => "Quick mode (`-- --quick`): fewer samples, a sweep to 3,000 connections and four load steps; expect wider spread than a full run.",
        _ => "Full run: criterion values are medians over their samples; the sweep and load steps are one measured window each.",
    }
}

fn table(s: &mut String, t: &Table) {
    let _ = writeln!(s, "## {}\n\n{}\n", t.heading, t.note);
    let _ = writeln!(s, "| {} |", t.headers.join(" | "));
    let _ = writeln!(s, "|{}", "---|".repeat(t.headers.len()));
    for row in &t.rows {
        let _ = writeln!(s, "| {} |", row.join(" | "));
    }
    s.push('\n');
}

pub fn markdown(r: &Report<'_>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# sockmodes performance report\n");
    let _ = writeln!(
        s,
        "Machine: {}\n\n{}\n",
        r.machine.one_line(),
        banner(r.mode)
    );
    let _ = writeln!(s, "## Findings (computed from this run)\n");
    for f in &r.findings {
        let _ = writeln!(s, "- {f}");
    }
    s.push('\n');
    for t in tables::all(r) {
        table(&mut s, &t);
    }
    let _ = writeln!(s, "## Charts\n");
    for (name, _) in &r.charts {
        let _ = writeln!(s, "![{name}]({name}.svg)\n");
    }
    let _ = writeln!(
        s,
        "Criterion's own reports: `target/criterion/report/index.html`. Every figure above: `report.json`."
    );
    s
}
