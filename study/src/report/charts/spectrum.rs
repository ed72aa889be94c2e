//! Latency against percentile, HdrHistogram style: the x axis is
//! -log10(1 - p), so 90, 99, 99.9 and 99.99 are evenly spread. One window
//! per server (the median window by p99) at the step nearest 50% load.

use plotters::prelude::*;

use super::draw::colour;
use super::draw::{draw_series, human, svg, y_range, Axis, Series};
use super::labels::{filled, label};
use crate::report::lang::Lang;
use crate::report::run::Report;
use crate::sweep::Point;
use crate::target::Target;

/// Where p100 (the maximum) is drawn.
const X_MAX: f64 = 6.0;

fn x_of(p: f64) -> f64 {
    if p >= 100.0 {
        X_MAX
    } else {
        (-(1.0 - p / 100.0).log10()).min(X_MAX)
    }
}

/// Each studied server's median window (by p99) at the load step nearest
/// 50%, as a percentile series.
fn series(r: &Report, lang: Lang) -> Vec<Series> {
    Target::every_studied()
        .iter()
        .filter_map(|&t| {
            let step = r
                .study
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
                name: t.label(lang).into(),
                colour: colour(t),
                points,
            })
        })
        .collect()
}

/// The spectrum chart.
pub fn chart(r: &Report, placement: &str, lang: Lang) -> String {
    let series = series(r, lang);
    let n = r.study.plan.load_connections;
    let title = filled("spectrum.title", lang, n, placement);
    let max = label("spectrum.max", lang);
    let y = y_range(&series, Axis::Log);
    svg(&title, |b| {
        let Ok(mut chart) = b.build_cartesian_2d(0.0..X_MAX, (y.0..y.1).log_scale()) else {
            return false;
        };
        let tick = |x: &f64| {
            let k = x.round();
            if (x - k).abs() > 1e-6 {
                return String::new();
            }
            match k as i32 {
                0 => "0".into(),
                6 => max.clone(),
                k => lang.numbers(&(100.0 - 10f64.powi(2 - k)).to_string()),
            }
        };
        let _ = chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .x_labels(7)
            .x_label_formatter(&tick)
            .y_label_formatter(&|v| human(*v, lang))
            .x_desc(label("spectrum.x", lang))
            .y_desc(label("us.log", lang))
            .draw();
        draw_series(&mut chart, &series);
        true
    })
}
