//! The report's charts, as SVG text (plotters): lines where the x axis is a
//! quantity (connections, offered load, percentile), grouped bars where it
//! names unrelated cases (payload sizes, sink versus echo).
//!
//! Every chart names its placement in its caption. This file says which
//! charts the report has and what goes in them; `draw.rs` draws line and
//! bar charts from plain series.

mod draw;

use plotters::prelude::*;

use super::{CaseResult, Metric, Study, COLUMNS};
use crate::support::sweep::{Point, SERVERS};
use draw::{bar_chart, builder, draw_series, fallback, human, lines, y_range, Axis, Series, SIZE};

/// (file stem, SVG text) for every chart with data.
pub fn all(study: &Study<'_>, sweep_placement: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let criterion = super::Placement::for_criterion().name();
    for (group, stem, title, unit) in [
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
    ] {
        let rows: Vec<&CaseResult> = study.results.iter().filter(|r| r.group == group).collect();
        if rows.is_empty() {
            continue;
        }
        let cats: Vec<String> = rows.iter().map(|r| r.case.clone()).collect();
        let bars: Vec<(String, Vec<(f64, f64)>)> = COLUMNS
            .iter()
            .map(|&t| {
                let vals = rows
                    .iter()
                    .map(|r| {
                        let v = r.get(t).unwrap_or(0.0);
                        (
                            if r.metric == Metric::BytesPerSec {
                                v / 1e6
                            } else {
                                v
                            },
                            0.0,
                        )
                    })
                    .collect();
                (t.name().to_string(), vals)
            })
            .collect();
        let title = format!("{title} ({criterion})");
        out.push((stem.into(), bar_chart(&title, unit, &cats, &bars)));
    }
    if !study.sweep.is_empty() {
        let sweep_lines =
            |f: fn(&Point) -> Option<f64>| per_server(study.sweep, |p| p.connections as f64, f);
        let caption = |what: &str| format!("{what} by connections ({sweep_placement})");
        out.push((
            "sweep-throughput".into(),
            lines(
                &caption("Closed-loop messages/s"),
                "connections",
                "messages/s",
                Axis::Log,
                Axis::Linear,
                &sweep_lines(|p| Some(p.messages_per_s)),
            ),
        ));
        out.push((
            "sweep-p99".into(),
            lines(
                &caption("p99 latency"),
                "connections",
                "p99 µs (log)",
                Axis::Log,
                Axis::Log,
                &sweep_lines(|p| Some(p.p99_us)),
            ),
        ));
        out.push(("sweep-cpu".into(), cpu_chart(study.sweep, sweep_placement)));
        out.push((
            "sweep-switches".into(),
            lines(
                &caption("Server context switches per message"),
                "connections",
                "switches per message (log)",
                Axis::Log,
                Axis::Log,
                &sweep_lines(|p| p.cost.as_ref().map(|c| c.switches_per_msg.max(1e-4))),
            ),
        ));
    }
    if !study.load_steps.is_empty() {
        let n = study.plan.load_connections;
        out.push((
            "hockey".into(),
            lines(
                &format!("p99 under offered load, {n} connections ({sweep_placement})"),
                "offered load, % of closed-loop capacity",
                "p99 µs (log)",
                Axis::Linear,
                Axis::Log,
                &per_server(
                    study.load_steps,
                    |p| p.offered_pct.unwrap_or(0.0),
                    |p| Some(p.p99_us),
                ),
            ),
        ));
        out.push(("spectrum".into(), spectrum_chart(study, sweep_placement)));
    }
    if !study.scale.is_empty() {
        let mut counts: Vec<usize> = study.scale.iter().map(|p| p.connections).collect();
        counts.sort_unstable();
        counts.dedup();
        let cats: Vec<String> = counts.iter().map(|c| format!("{c} idle")).collect();
        let bars: Vec<(String, Vec<(f64, f64)>)> = ["blocking", "nonblocking"]
            .iter()
            .map(|m| {
                let vals = counts
                    .iter()
                    .map(|c| {
                        let p = study
                            .scale
                            .iter()
                            .find(|p| p.mode == *m && p.connections == *c);
                        (p.map_or(0.0, |p| p.rss_mib), 0.0)
                    })
                    .collect();
                (m.to_string(), vals)
            })
            .collect();
        out.push((
            "memory".into(),
            bar_chart("Server resident memory", "MiB", &cats, &bars),
        ));
    }
    out
}

/// One series per studied server, from `points`.
fn per_server(
    points: &[Point],
    x: fn(&Point) -> f64,
    y: impl Fn(&Point) -> Option<f64>,
) -> Vec<Series> {
    SERVERS
        .iter()
        .map(|t| {
            let pts = points
                .iter()
                .filter(|p| p.server == t.name())
                .filter_map(|p| Some((x(p), y(p)?)))
                .collect();
            (t.name().to_string(), pts)
        })
        .collect()
}

/// Latency against percentile, HdrHistogram style: the x axis is
/// -log10(1 - p), so 90, 99, 99.9 and 99.99 are evenly spread.
fn spectrum_chart(study: &Study<'_>, placement: &str) -> String {
    const X_MAX: f64 = 6.0;
    let x_of = |p: f64| {
        if p >= 100.0 {
            X_MAX
        } else {
            (-(1.0 - p / 100.0).log10()).min(X_MAX)
        }
    };
    // The step nearest 50% of capacity, for each server.
    let series: Vec<Series> = SERVERS
        .iter()
        .filter_map(|t| {
            let step = study
                .load_steps
                .iter()
                .filter(|p| p.server == t.name())
                .min_by(|a, b| {
                    let d = |p: &Point| (p.offered_pct.unwrap_or(0.0) - 50.0).abs();
                    d(a).total_cmp(&d(b))
                })?;
            let pts = step
                .percentiles
                .iter()
                .map(|&[p, us]| (x_of(p), us.max(1.0)))
                .collect();
            Some((t.name().to_string(), pts))
        })
        .collect();
    let title = format!(
        "Latency by percentile, {} connections at 50% load ({placement})",
        study.plan.load_connections
    );
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let _ = root.fill(&WHITE);
        let y = y_range(&series, Axis::Log);
        let Ok(mut chart) =
            builder(&root, &title).build_cartesian_2d(0.0..X_MAX, (y.0..y.1).log_scale())
        else {
            return fallback(&title);
        };
        let label = |x: &f64| {
            let k = x.round();
            if (x - k).abs() > 1e-6 {
                return String::new();
            }
            match k as i32 {
                0 => "0".into(),
                6 => "max".into(),
                k => format!("{}", 100.0 - 10f64.powi(2 - k)),
            }
        };
        let _ = chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .x_labels(7)
            .x_label_formatter(&label)
            .y_label_formatter(&|v| human(*v))
            .x_desc("percentile")
            .y_desc("µs (log)")
            .draw();
        draw_series(&mut chart, &series);
        let _ = root.present();
    }
    svg
}

/// Stacked user/system CPU per message, one bar per server per count.
fn cpu_chart(points: &[Point], placement: &str) -> String {
    let mut counts: Vec<usize> = points.iter().map(|p| p.connections).collect();
    counts.dedup();
    let cats: Vec<String> = counts.iter().map(|c| c.to_string()).collect();
    let bars: Vec<(String, Vec<(f64, f64)>)> = SERVERS
        .iter()
        .map(|t| {
            let vals = counts
                .iter()
                .map(|&n| {
                    points
                        .iter()
                        .find(|p| p.server == t.name() && p.connections == n)
                        .and_then(|p| p.cost.as_ref())
                        .map_or((0.0, 0.0), |c| (c.user_us_per_msg, c.system_us_per_msg))
                })
                .collect();
            (t.name().to_string(), vals)
        })
        .collect();
    bar_chart(
        &format!("Server CPU per message by connections ({placement})"),
        "µs per message: user (dark) + system (light)",
        &cats,
        &bars,
    )
}
