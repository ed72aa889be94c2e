//! The report's charts, as SVG text (plotters): lines where the x axis is a
//! quantity (connections, offered load, percentile), grouped bars where it
//! names unrelated cases (payload sizes, sink versus echo).
//!
//! Every chart names its placement in its caption.
//!
//! One file (about 500 lines) on purpose: every chart kind shares the axis,
//! range, legend and label helpers below, and split apart they would each
//! need them passed in or repeated.

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::{CaseResult, Metric, Study, COLUMNS};
use crate::support::sweep::{Point, SERVERS};

const SIZE: (u32, u32) = (600, 380);

/// One line of a chart: a name and its points.
type Series = (String, Vec<(f64, f64)>);

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

#[derive(Clone, Copy, PartialEq)]
enum Axis {
    Linear,
    Log,
}

fn y_range(series: &[Series], axis: Axis) -> (f64, f64) {
    let ys = series.iter().flat_map(|(_, v)| v.iter().map(|p| p.1));
    let (lo, hi) = ys.fold((f64::MAX, 0.0f64), |(lo, hi), y| (lo.min(y), hi.max(y)));
    match axis {
        Axis::Linear => (0.0, hi.max(1e-9) * 1.15),
        Axis::Log => (lo.clamp(1e-6, f64::MAX / 2.0) / 2.0, hi.max(1e-6) * 2.0),
    }
}

fn builder<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    title: &str,
) -> ChartBuilder<'a, 'b, SVGBackend<'b>> {
    let mut b = ChartBuilder::on(root);
    b.caption(title, ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70);
    b
}

/// A line chart; each axis linear or logarithmic.
fn lines(title: &str, x_desc: &str, y_desc: &str, x: Axis, y: Axis, series: &[Series]) -> String {
    let xs = series.iter().flat_map(|(_, v)| v.iter().map(|p| p.0));
    let (x_lo, x_hi) = xs.fold((f64::MAX, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if x_hi <= 0.0 {
        return fallback(title);
    }
    let (y_lo, y_hi) = y_range(series, y);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let _ = root.fill(&WHITE);
        let b = builder(&root, title);
        let ok = match (x, y) {
            (Axis::Log, Axis::Log) => draw_lines(
                b,
                (x_lo / 1.5..x_hi * 1.5).log_scale(),
                (y_lo..y_hi).log_scale(),
                x_desc,
                y_desc,
                series,
            ),
            (Axis::Log, Axis::Linear) => draw_lines(
                b,
                (x_lo / 1.5..x_hi * 1.5).log_scale(),
                y_lo..y_hi,
                x_desc,
                y_desc,
                series,
            ),
            (Axis::Linear, Axis::Log) => draw_lines(
                b,
                0.0..x_hi * 1.1,
                (y_lo..y_hi).log_scale(),
                x_desc,
                y_desc,
                series,
            ),
            (Axis::Linear, Axis::Linear) => {
                draw_lines(b, 0.0..x_hi * 1.1, y_lo..y_hi, x_desc, y_desc, series)
            }
        };
        if !ok {
            return fallback(title);
        }
        let _ = root.present();
    }
    svg
}

fn draw_lines<X, Y>(
    mut b: ChartBuilder<'_, '_, SVGBackend<'_>>,
    x: X,
    y: Y,
    x_desc: &str,
    y_desc: &str,
    series: &[Series],
) -> bool
where
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let Ok(mut chart) = b.build_cartesian_2d(x, y) else {
        return false;
    };
    let _ = chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .x_label_formatter(&|v| human(*v))
        .y_label_formatter(&|v| human(*v))
        .x_desc(x_desc)
        .y_desc(y_desc)
        .draw();
    draw_series(&mut chart, series);
    true
}

fn draw_series<'a, X, Y>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, Cartesian2d<X, Y>>,
    series: &[Series],
) where
    X: plotters::coord::ranged1d::Ranged<ValueType = f64>,
    Y: plotters::coord::ranged1d::Ranged<ValueType = f64>,
{
    for (k, (name, pts)) in series.iter().enumerate() {
        let color = Palette99::pick(k).to_rgba();
        if let Ok(s) = chart.draw_series(LineSeries::new(pts.clone(), color.stroke_width(2))) {
            s.label(name.clone()).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
            });
        }
        let _ = chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())));
    }
    let _ = chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw();
}

/// Grouped bars: for each category, one bar per series, each a solid lower
/// part and a lighter upper part (0 for a plain bar).
fn bar_chart(
    title: &str,
    y_desc: &str,
    cats: &[String],
    bars: &[(String, Vec<(f64, f64)>)],
) -> String {
    let max = bars
        .iter()
        .flat_map(|(_, v)| v.iter().map(|(a, b)| a + b))
        .fold(0.0f64, f64::max)
        .max(1e-9);
    let n = cats.len().max(1);
    let width = 0.8 / bars.len().max(1) as f64;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let _ = root.fill(&WHITE);
        let chart =
            builder(&root, title).build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0.0..max * 1.15);
        let Ok(mut chart): Result<
            ChartContext<'_, _, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
            _,
        > = chart
        else {
            return fallback(title);
        };
        let label = |x: &f64| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                cats.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        let _ = chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&label)
            .y_label_formatter(&|v| human(*v))
            .y_desc(y_desc)
            .draw();
        for (k, (name, vals)) in bars.iter().enumerate() {
            let color = Palette99::pick(k).to_rgba();
            let light = color.mix(0.45);
            let left = |i: usize| i as f64 - 0.4 + k as f64 * width;
            let rects = vals.iter().enumerate().flat_map(|(i, &(low, high))| {
                let (x0, x1) = (left(i), left(i) + width * 0.92);
                [
                    Rectangle::new([(x0, 0.0), (x1, low)], color.filled()),
                    Rectangle::new([(x0, low), (x1, low + high)], light.filled()),
                ]
            });
            if let Ok(s) = chart.draw_series(rects) {
                s.label(name.clone()).legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled())
                });
            }
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

/// 1234 -> "1.2k", 0.05 -> "0.05", 0.0001 -> "1e-4".
fn human(v: f64) -> String {
    let a = v.abs();
    let (x, suffix) = if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e3 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let digits = if x == x.round() || x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 1.0 {
        format!("{x:.1}")
    } else if x.abs() >= 0.01 {
        format!("{x:.2}")
    } else {
        format!("{x:.0e}")
    };
    format!("{digits}{suffix}")
}

fn fallback(title: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"600\" height=\"40\"><text x=\"10\" y=\"25\">{} (no data)</text></svg>",
        title.replace('&', "&amp;").replace('<', "&lt;")
    )
}
