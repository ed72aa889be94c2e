//! The report as one self-contained HTML file (report.html): the same
//! tables as the Markdown, and the charts inline, so it opens offline.

use std::fmt::Write as _;

use super::findings;
use super::markdown::banner;
use super::run::Report;
use super::tables::{self, Table};

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Markdown's `**bold**` as HTML, after escaping.
fn cell(s: &str) -> String {
    let strong = |(i, part): (usize, &str)| match i % 2 {
        1 => format!("<strong>{part}</strong>"),
        _ => part.to_string(),
    };
    escape(s).split("**").enumerate().map(strong).collect()
}

fn table(s: &mut String, t: &Table) {
    let (heading, note) = (escape(t.heading), cell(&t.note));
    let _ = write!(s, "<h2>{heading}</h2><p>{note}</p><table><tr>");
    for h in &t.headers {
        let _ = write!(s, "<th>{}</th>", escape(h));
    }
    s.push_str("</tr>");
    for row in &t.rows {
        s.push_str("<tr>");
        for c in row {
            let _ = write!(s, "<td>{}</td>", cell(c));
        }
        s.push_str("</tr>");
    }
    s.push_str("</table>");
}

pub fn html(r: &Report, charts: &[(String, String)]) -> String {
    let mut s = String::new();
    s.push_str(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>sockmodes report</title><style>",
    );
    s.push_str("body{font-family:system-ui,sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse;margin:1em 0}");
    s.push_str("td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}td:first-child,th:first-child{text-align:left}");
    s.push_str("strong{color:#b00}.banner{background:#fff3cd;padding:.5em}");
    s.push_str(".charts{display:flex;flex-wrap:wrap;gap:1em}</style></head><body>");
    let (machine, kind) = (escape(&r.machine.one_line()), cell(&banner(&r.study.plan)));
    let _ = write!(
        s,
        "<h1>sockmodes performance report</h1><p>{machine}</p><p class=\"banner\">{kind}</p>"
    );
    s.push_str("<h2>Findings (computed from this run)</h2><ul>");
    for f in r.analysis.findings.iter().map(findings::show) {
        let _ = write!(s, "<li>{}</li>", cell(&f));
    }
    s.push_str("</ul><h2>Charts</h2><div class=\"charts\">");
    for (_, svg) in charts {
        s.push_str(svg);
    }
    s.push_str("</div>");
    for t in tables::all(r) {
        table(&mut s, &t);
    }
    s.push_str("</body></html>\n");
    s
}
