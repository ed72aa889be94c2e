//! The report's charts, as SVG text (plotters): lines where the x axis is a
//! quantity (connections, offered load, percentile), grouped bars where it
//! names unrelated cases (payload sizes, sink versus echo).
//!
//! Every chart names its placement in its caption, and every line and bar
//! shows its windows' range. This file says which charts the report has
//! and what goes in them; `draw.rs` draws line and bar charts.

mod draw;

use plotters::prelude::*;

use super::{CaseResult, Metric, Report};
use crate::affinity::Placement;
use crate::crosscheck::{cells_of, Cell};
use crate::driver::Driver;
use crate::stats::Spread;
use crate::sweep::Point;
use crate::target::Target;
use draw::{
    bar_chart, builder, draw_series, fallback, human, lines, y_range, Axis, Bar, Bars, Series, SIZE,
};

fn colour(t: Target) -> RGBColor {
    let (r, g, b) = t.colour();
    RGBColor(r, g, b)
}

/// (file stem, SVG text) for every chart with data.
pub fn all(r: &Report) -> Vec<(String, String)> {
    let study = &r.study;
    let sweep_placement = Placement::for_sweep().name();
    let mut out = Vec::new();
    let criterion = Placement::for_criterion().name();
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
        let rows: Vec<&CaseResult> = study.cases.iter().filter(|r| r.group == group).collect();
        if rows.is_empty() {
            continue;
        }
        let cats: Vec<String> = rows.iter().map(|r| r.case.clone()).collect();
        let bars: Vec<Bars> = Target::all()
            .iter()
            .map(|&t| Bars {
                name: t.name().into(),
                colour: colour(t),
                values: rows
                    .iter()
                    .map(|r| {
                        let v = r.get(t).unwrap_or(0.0);
                        let v = if r.metric == Metric::BytesPerSec {
                            v / 1e6
                        } else {
                            v
                        };
                        Bar {
                            low: v,
                            ..Bar::default()
                        }
                    })
                    .collect(),
            })
            .collect();
        let title = format!("{title} ({criterion})");
        out.push((stem.into(), bar_chart(&title, unit, &cats, &bars)));
    }
    if !study.sweep.is_empty() {
        let caption = |what: &str| format!("{what} by connections ({sweep_placement})");
        let sweep_lines =
            |f: fn(&Point) -> Option<Spread>| per_server(&study.sweep, |p| p.connections as f64, f);
        out.push((
            "sweep-throughput".into(),
            lines(
                &caption("Closed-loop messages/s"),
                "connections",
                "messages/s",
                Axis::Log,
                Axis::Linear,
                &sweep_lines(Point::msgs),
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
                &sweep_lines(Point::p99),
            ),
        ));
        out.push(("sweep-cpu".into(), cpu_chart(&study.sweep, sweep_placement)));
        out.push((
            "sweep-switches".into(),
            lines(
                &caption("Server context switches per message"),
                "connections",
                "switches per message (log)",
                Axis::Log,
                Axis::Log,
                &per_server(
                    &study.sweep,
                    |p| p.connections as f64,
                    |p| {
                        p.switches_per_msg().map(|s| Spread {
                            median: s.median.max(1e-4),
                            min: s.min.max(1e-4),
                            max: s.max.max(1e-4),
                            n: s.n,
                        })
                    },
                ),
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
                    &study.load_steps,
                    |p| p.offered_pct.unwrap_or(0.0),
                    Point::p99,
                ),
            ),
        ));
        out.push(("spectrum".into(), spectrum_chart(r, sweep_placement)));
    }
    if !study.scale.is_empty() {
        out.push(("memory".into(), memory_chart(r)));
    }
    let mut counts: Vec<usize> = study
        .cross_check
        .iter()
        .map(|c| c.point.connections)
        .collect();
    counts.sort_unstable();
    counts.dedup();
    for n in counts {
        out.push((
            format!("cross-check-{n}"),
            cross_chart(&study.cross_check, n),
        ));
    }
    out
}

/// Server messages/s by client engine and placement at `n` connections:
/// one group of bars per driver, one bar per server, whiskers the range.
fn cross_chart(cells: &[Cell], n: usize) -> String {
    let mut drivers: Vec<Driver> = Vec::new();
    for c in cells.iter().filter(|c| c.point.connections == n) {
        if !drivers.contains(&c.driver) {
            drivers.push(c.driver);
        }
    }
    let cats: Vec<String> = drivers.iter().map(|d| d.short()).collect();
    let bars: Vec<Bars> = Target::studied()
        .into_iter()
        .filter(|&t| cells.iter().any(|c| c.point.target == t))
        .map(|t| Bars {
            name: t.name().into(),
            colour: colour(t),
            values: drivers
                .iter()
                .map(|&d| {
                    let s = cells_of(cells, d, n)
                        .into_iter()
                        .find(|p| p.target == t)
                        .and_then(Point::msgs);
                    Bar {
                        low: s.map_or(0.0, |s| s.median),
                        range: s.map(|s| (s.min, s.max)),
                        ..Bar::default()
                    }
                })
                .collect(),
        })
        .collect();
    bar_chart(
        &format!("Server messages/s by client engine/placement, {n} connections"),
        "messages/s",
        &cats,
        &bars,
    )
}

/// One series per studied server, from `points`.
fn per_server(
    points: &[Point],
    x: fn(&Point) -> f64,
    y: impl Fn(&Point) -> Option<Spread>,
) -> Vec<Series> {
    Target::studied()
        .iter()
        .map(|&t| Series {
            name: t.name().into(),
            colour: colour(t),
            points: points
                .iter()
                .filter(|p| p.target == t)
                .filter_map(|p| {
                    let s = y(p)?;
                    Some((x(p), s.median, s.min, s.max))
                })
                .collect(),
        })
        .filter(|s| !s.points.is_empty())
        .collect()
}

/// Idle memory per server and count, with the bare-thread yardstick.
fn memory_chart(r: &Report) -> String {
    let scale = &r.study.scale;
    let mut counts: Vec<usize> = scale.iter().map(|p| p.connections).collect();
    counts.sort_unstable();
    counts.dedup();
    let mut cats: Vec<String> = counts.iter().map(|c| format!("{c} idle")).collect();
    let mut bars: Vec<Bars> = [Target::Blocking, Target::NonBlocking]
        .iter()
        .map(|&t| Bars {
            name: t.name().into(),
            colour: colour(t),
            values: counts
                .iter()
                .map(|c| Bar {
                    low: scale
                        .iter()
                        .find(|p| p.target == t && p.connections == *c)
                        .map_or(0.0, |p| p.rss_mib),
                    ..Bar::default()
                })
                .collect(),
        })
        .collect();
    if let Some(b) = &r.study.bare_threads {
        cats.push(format!("{} bare threads", b.threads));
        for series in &mut bars {
            let v = if series.name == Target::Blocking.name() {
                b.rss_mib
            } else {
                0.0
            };
            series.values.push(Bar {
                low: v,
                ..Bar::default()
            });
        }
    }
    bar_chart("Server resident memory", "MiB", &cats, &bars)
}

/// Latency against percentile, HdrHistogram style: the x axis is
/// -log10(1 - p), so 90, 99, 99.9 and 99.99 are evenly spread. One window
/// per server (the median window by p99) at the step nearest 50% load.
fn spectrum_chart(r: &Report, placement: &str) -> String {
    const X_MAX: f64 = 6.0;
    let x_of = |p: f64| {
        if p >= 100.0 {
            X_MAX
        } else {
            (-(1.0 - p / 100.0).log10()).min(X_MAX)
        }
    };
    let study = &r.study;
    let series: Vec<Series> = Target::studied()
        .iter()
        .filter_map(|&t| {
            let step = study
                .load_steps
                .iter()
                .filter(|p| p.target == t)
                .min_by(|a, b| {
                    let d = |p: &Point| (p.offered_pct.unwrap_or(0.0) - 50.0).abs();
                    d(a).total_cmp(&d(b))
                })?;
            let mut windows: Vec<_> = step.windows.iter().collect();
            windows.sort_by(|a, b| a.load.p99_us.total_cmp(&b.load.p99_us));
            let w = windows.get(windows.len() / 2)?;
            let points = w
                .load
                .percentiles
                .iter()
                .map(|&[p, us]| {
                    let (x, y) = (x_of(p), us.max(1.0));
                    (x, y, y, y)
                })
                .collect();
            Some(Series {
                name: t.name().into(),
                colour: colour(t),
                points,
            })
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

/// Stacked user/system CPU per message (medians), one bar per server per
/// count, with the range of the total.
fn cpu_chart(points: &[Point], placement: &str) -> String {
    let mut counts: Vec<usize> = points.iter().map(|p| p.connections).collect();
    counts.dedup();
    let cats: Vec<String> = counts.iter().map(|c| c.to_string()).collect();
    let bars: Vec<Bars> = Target::studied()
        .iter()
        .filter(|&&t| points.iter().any(|p| p.target == t))
        .map(|&t| Bars {
            name: t.name().into(),
            colour: colour(t),
            values: counts
                .iter()
                .map(|&n| {
                    let p = points.iter().find(|p| p.target == t && p.connections == n);
                    match p.and_then(|p| {
                        Some((p.user_per_msg()?, p.system_per_msg()?, p.cpu_per_msg()?))
                    }) {
                        Some((u, s, total)) => Bar {
                            low: u.median,
                            high: s.median,
                            range: Some((total.min, total.max)),
                        },
                        None => Bar::default(),
                    }
                })
                .collect(),
        })
        .collect();
    bar_chart(
        &format!("Server CPU per message by connections ({placement})"),
        "µs per message: user (dark) + system (light)",
        &cats,
        &bars,
    )
}
