//! The report: every case with the four servers side by side, ratios, the
//! targets, the scale figures and charts, as Markdown, JSON and one
//! self-contained HTML file.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use plotters::prelude::*;
use serde::Serialize;

use super::machine::Machine;
use super::scale::ScalePoint;
use super::servers::Target;

/// How a case is read.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub enum Metric {
    /// Microseconds per round trip: lower is better.
    LatencyUs,
    /// Bytes per second: higher is better.
    BytesPerSec,
    /// Messages per second: higher is better.
    MessagesPerSec,
}

impl Metric {
    fn unit(self) -> &'static str {
        match self {
            Metric::LatencyUs => "µs per round trip (median)",
            Metric::BytesPerSec => "MB/s (median)",
            Metric::MessagesPerSec => "messages/s (median)",
        }
    }

    fn show(self, v: f64) -> String {
        match self {
            Metric::LatencyUs => format!("{v:.1}"),
            Metric::BytesPerSec => format!("{:.0}", v / 1e6),
            Metric::MessagesPerSec => format!("{v:.0}"),
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
    fn get(&self, t: Target) -> Option<f64> {
        self.values.get(t.name()).copied()
    }

    fn ratio(&self, a: Target, b: Target) -> Option<f64> {
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
                        Metric::BytesPerSec | Metric::MessagesPerSec => spec.per_iter / secs,
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

/// A target from the issue, checked against this run.
#[derive(Debug, Clone, Serialize)]
pub struct TargetCheck {
    pub target: String,
    pub measured: String,
    pub met: Option<bool>,
}

fn check_targets(results: &[CaseResult], scale: &[ScalePoint]) -> Vec<TargetCheck> {
    let mut checks = Vec::new();
    let mut push = |target: String, measured: String, met: Option<bool>| {
        checks.push(TargetCheck {
            target,
            measured,
            met,
        })
    };
    for r in results.iter().filter(|r| r.group == "latency") {
        let b = r.ratio(Target::Blocking, Target::Raw);
        let nb = r.ratio(Target::NonBlocking, Target::Raw);
        let vs_tokio = r.ratio(Target::NonBlocking, Target::Tokio);
        push(
            format!("blocking {} round trip within 1.05x of raw", r.case),
            b.map_or("-".into(), |x| format!("{x:.3}x")),
            b.map(|x| x <= 1.05),
        );
        push(
            format!(
                "non-blocking {} round trip within 1.10x of raw and no slower than tokio",
                r.case
            ),
            match (nb, vs_tokio) {
                (Some(a), Some(c)) => format!("{a:.3}x raw, {c:.3}x tokio"),
                _ => "-".into(),
            },
            nb.zip(vs_tokio).map(|(a, c)| a <= 1.10 && c <= 1.0),
        );
    }
    for r in results
        .iter()
        .filter(|r| r.group == "throughput" && r.case.starts_with("sink"))
    {
        for t in [Target::Blocking, Target::NonBlocking] {
            let x = r.ratio(t, Target::Raw);
            push(
                format!("{} sink throughput at least 0.9x raw", t.name()),
                x.map_or("-".into(), |x| format!("{x:.3}x")),
                x.map(|x| x >= 0.9),
            );
        }
    }
    if let Some(r) = results
        .iter()
        .find(|r| r.group == "concurrency" && r.case.starts_with("1000 "))
    {
        let x = r.ratio(Target::NonBlocking, Target::Tokio);
        push(
            "non-blocking at 1000 connections at least tokio's messages/s".into(),
            x.map_or("-".into(), |x| format!("{x:.3}x tokio")),
            x.map(|x| x >= 1.0),
        );
    }
    for (mode, limit) in [("nonblocking", 20.0), ("blocking", 80.0)] {
        if let Some(p) = scale
            .iter()
            .find(|p| p.mode == mode && p.connections == 10_000)
        {
            push(
                format!("10,000 idle connections: {mode} server under {limit:.0} MiB resident"),
                format!("{:.1} MiB", p.rss_mib),
                Some(p.rss_mib < limit),
            );
        }
    }
    checks
}

#[derive(Serialize)]
struct ReportJson<'a> {
    mode: &'a str,
    machine: &'a Machine,
    cases: &'a [CaseResult],
    scale: &'a [ScalePoint],
    targets: &'a [TargetCheck],
}

/// Writes report.md, report.json, report.html and the SVG charts into `dir`;
/// returns the Markdown report's path.
pub fn write(
    dir: &Path,
    run_mode: &str,
    results: &[CaseResult],
    scale: &[ScalePoint],
) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let machine = Machine::describe();
    let mut targets = check_targets(results, scale);
    if run_mode == "test" {
        // Single unmeasured runs say nothing about a target: no verdict.
        targets.iter_mut().for_each(|t| t.met = None);
    }
    let charts = charts(results, scale);
    for (name, svg) in &charts {
        std::fs::write(dir.join(format!("{name}.svg")), svg)?;
    }
    let json = ReportJson {
        mode: run_mode,
        machine: &machine,
        cases: results,
        scale,
        targets: &targets,
    };
    std::fs::write(
        dir.join("report.json"),
        serde_json::to_string_pretty(&json)?,
    )?;
    let report = Report {
        run_mode,
        machine: &machine,
        results,
        scale,
        targets: &targets,
        charts: &charts,
    };
    std::fs::write(dir.join("report.html"), html(&report))?;
    let md = markdown(&report);
    let md_path = dir.join("report.md");
    std::fs::write(&md_path, md)?;
    Ok(md_path)
}

/// Everything one report shows, for the Markdown and HTML writers.
struct Report<'a> {
    run_mode: &'a str,
    machine: &'a Machine,
    results: &'a [CaseResult],
    scale: &'a [ScalePoint],
    targets: &'a [TargetCheck],
    charts: &'a [(String, String)],
}

const COLUMNS: [Target; 4] = [
    Target::Blocking,
    Target::NonBlocking,
    Target::Raw,
    Target::Tokio,
];

fn fmt_ratio(x: Option<f64>) -> String {
    x.map_or("-".into(), |x| format!("{x:.2}"))
}

/// Rows of the main table: case, unit, four values, four ratios.
fn table_rows(results: &[CaseResult]) -> Vec<[String; 10]> {
    results
        .iter()
        .map(|r| {
            let v = |t: Target| r.get(t).map_or("-".into(), |v| r.metric.show(v));
            [
                format!("{} {}", r.group, r.case),
                r.metric.unit().to_string(),
                v(Target::Blocking),
                v(Target::NonBlocking),
                v(Target::Raw),
                v(Target::Tokio),
                fmt_ratio(r.ratio(Target::NonBlocking, Target::Blocking)),
                fmt_ratio(r.ratio(Target::Blocking, Target::Raw)),
                fmt_ratio(r.ratio(Target::NonBlocking, Target::Raw)),
                fmt_ratio(r.ratio(Target::Tokio, Target::Raw)),
            ]
        })
        .collect()
}

const HEADERS: [&str; 10] = [
    "case",
    "unit",
    "blocking",
    "non-blocking",
    "raw",
    "tokio",
    "nb/b",
    "b/raw",
    "nb/raw",
    "tokio/raw",
];

fn banner(run_mode: &str) -> &'static str {
    match run_mode {
        "test" => "**TEST MODE**: every case ran once to check that it works; the figures are single runs, not measurements.",
        "quick" => "Quick mode (`-- --quick`): fewer samples; expect wider spread than a full run.",
        _ => "Full run: each value is criterion's median over its samples.",
    }
}

fn markdown(r: &Report<'_>) -> String {
    let Report {
        run_mode,
        machine,
        results,
        scale,
        targets,
        charts,
    } = *r;

    let mut s = String::new();
    let _ = writeln!(s, "# sockmodes performance report\n");
    let _ = writeln!(
        s,
        "Machine: {}\n\n{}\n",
        machine.one_line(),
        banner(run_mode)
    );
    let _ = writeln!(
        s,
        "Each case runs the same client against four servers in the same run: **blocking** (std, thread per \
         connection), **non-blocking** (mio), **raw** (a minimal std loop without framing: the loopback limit) and \
         **tokio** (the same frames). {} Ratios: latency ratios below 1 are faster; throughput ratios above 1 are faster.\n",
        placement()
    );
    let _ = writeln!(s, "| {} |", HEADERS.join(" | "));
    let _ = writeln!(s, "|{}", "---|".repeat(HEADERS.len()));
    for row in table_rows(results) {
        let _ = writeln!(s, "| {} |", row.join(" | "));
    }
    let _ = writeln!(s, "\n## Idle connections: server resident memory\n");
    let _ = writeln!(s, "| server | connections | RSS (MiB) | RSS at start (MiB) | per connection (KiB) |\n|---|---|---|---|---|");
    for p in scale {
        let per = (p.rss_mib - p.baseline_mib) * 1024.0 / p.connections as f64;
        let _ = writeln!(
            s,
            "| {} | {} | {:.1} | {:.1} | {per:.1} |",
            p.mode, p.connections, p.rss_mib, p.baseline_mib
        );
    }
    let _ = writeln!(
        s,
        "\n## Targets\n\n| target | measured | met |\n|---|---|---|"
    );
    for t in targets {
        let met = match t.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "-",
        };
        let _ = writeln!(s, "| {} | {} | {met} |", t.target, t.measured);
    }
    let _ = writeln!(s, "\n## Charts\n");
    for (name, _) in charts {
        let _ = writeln!(s, "![{name}]({name}.svg)\n");
    }
    let _ = writeln!(
        s,
        "Criterion's own reports: `target/criterion/report/index.html`. Raw data: `report.json`."
    );
    s
}

fn placement() -> &'static str {
    super::affinity::describe()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn html(r: &Report<'_>) -> String {
    let Report {
        run_mode,
        machine,
        results,
        scale,
        targets,
        charts,
    } = *r;

    let mut s = String::new();
    s.push_str(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>sockmodes report</title><style>",
    );
    s.push_str("body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;margin:1em 0}");
    s.push_str("td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}td:first-child,th:first-child{text-align:left}");
    s.push_str(
        ".no{color:#b00;font-weight:bold}.yes{color:#070}.banner{background:#fff3cd;padding:.5em}",
    );
    s.push_str(".charts{display:flex;flex-wrap:wrap;gap:1em}</style></head><body>");
    let _ = write!(
        s,
        "<h1>sockmodes performance report</h1><p>{}</p>",
        escape(&machine.one_line())
    );
    let _ = write!(
        s,
        "<p class=\"banner\">{}</p>",
        escape(&banner(run_mode).replace("**", ""))
    );
    s.push_str("<table><tr>");
    for h in HEADERS {
        let _ = write!(s, "<th>{}</th>", escape(h));
    }
    s.push_str("</tr>");
    for row in table_rows(results) {
        s.push_str("<tr>");
        for cell in row {
            let _ = write!(s, "<td>{}</td>", escape(&cell));
        }
        s.push_str("</tr>");
    }
    s.push_str("</table><h2>Idle connections: server resident memory</h2><table><tr><th>server</th><th>connections</th><th>RSS MiB</th><th>at start MiB</th></tr>");
    for p in scale {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{:.1}</td><td>{:.1}</td></tr>",
            p.mode, p.connections, p.rss_mib, p.baseline_mib
        );
    }
    s.push_str(
        "</table><h2>Targets</h2><table><tr><th>target</th><th>measured</th><th>met</th></tr>",
    );
    for t in targets {
        let (class, text) = match t.met {
            Some(true) => ("yes", "yes"),
            Some(false) => ("no", "no"),
            None => ("", "-"),
        };
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td class=\"{class}\">{text}</td></tr>",
            escape(&t.target),
            escape(&t.measured)
        );
    }
    s.push_str("</table><h2>Charts</h2><div class=\"charts\">");
    for (_, svg) in charts {
        s.push_str(svg);
    }
    s.push_str("</div></body></html>\n");
    s
}

/// (file stem, SVG text) for each chart.
fn charts(results: &[CaseResult], scale: &[ScalePoint]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (group, stem, title, y) in [
        (
            "latency",
            "latency",
            "Echo round trip by payload",
            "µs (lower is better)",
        ),
        (
            "throughput",
            "throughput",
            "Throughput",
            "MB/s (higher is better)",
        ),
        (
            "concurrency",
            "concurrency",
            "Echo 64 B, messages/s by connections",
            "messages/s",
        ),
    ] {
        let rows: Vec<&CaseResult> = results.iter().filter(|r| r.group == group).collect();
        if rows.is_empty() {
            continue;
        }
        let cats: Vec<String> = rows.iter().map(|r| r.case.clone()).collect();
        let series: Vec<(String, Vec<Option<f64>>)> = COLUMNS
            .iter()
            .map(|&t| {
                let vals = rows
                    .iter()
                    .map(|r| {
                        r.get(t).map(|v| match r.metric {
                            Metric::BytesPerSec => v / 1e6,
                            _ => v,
                        })
                    })
                    .collect();
                (t.name().to_string(), vals)
            })
            .collect();
        out.push((stem.to_string(), line_chart(title, y, &cats, &series)));
    }
    if !scale.is_empty() {
        let mut counts: Vec<usize> = scale.iter().map(|p| p.connections).collect();
        counts.sort_unstable();
        counts.dedup();
        let cats: Vec<String> = counts.iter().map(|c| format!("{c} idle")).collect();
        let series = ["blocking", "nonblocking"]
            .iter()
            .map(|m| {
                let vals = counts
                    .iter()
                    .map(|c| {
                        scale
                            .iter()
                            .find(|p| p.mode == *m && p.connections == *c)
                            .map(|p| p.rss_mib)
                    })
                    .collect();
                (m.to_string(), vals)
            })
            .collect::<Vec<_>>();
        out.push((
            "memory".into(),
            line_chart("Server resident memory", "MiB", &cats, &series),
        ));
    }
    out
}

fn line_chart(
    title: &str,
    y_label: &str,
    cats: &[String],
    series: &[(String, Vec<Option<f64>>)],
) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (560, 360)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let max = series
            .iter()
            .flat_map(|(_, v)| v.iter().flatten())
            .fold(0.0f64, |a, &b| a.max(b))
            .max(1e-9);
        let n = cats.len().max(1);
        let chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(70)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0.0..max * 1.15);
        let Ok(mut chart) = chart else {
            return svg_fallback(title);
        };
        let _ = chart
            .configure_mesh()
            .x_labels(n)
            .x_label_formatter(&|x| {
                let i = x.round();
                if (x - i).abs() < 1e-6 && i >= 0.0 {
                    cats.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_desc(y_label)
            .draw();
        for (k, (name, vals)) in series.iter().enumerate() {
            let color = Palette99::pick(k).to_rgba();
            let points: Vec<(f64, f64)> = vals
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| (i as f64, v)))
                .collect();
            if let Ok(s) = chart.draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
            {
                s.label(name.clone()).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
                });
            }
            let _ = chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())));
        }
        let _ = chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw();
        let _ = root.present();
    }
    svg
}

fn svg_fallback(title: &str) -> String {
    format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"560\" height=\"40\"><text x=\"10\" y=\"25\">{} (no data)</text></svg>", escape(title))
}
