//! Drawing: line charts (each axis linear or logarithmic) and grouped,
//! optionally stacked, bar charts, from plain series, as SVG text.

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

/// Every chart's size in pixels.
pub const SIZE: (u32, u32) = (600, 380);

/// One line of a chart: a name and its points.
pub type Series = (String, Vec<(f64, f64)>);

#[derive(Clone, Copy, PartialEq)]
pub enum Axis {
    Linear,
    Log,
}

pub fn y_range(series: &[Series], axis: Axis) -> (f64, f64) {
    let ys = series.iter().flat_map(|(_, v)| v.iter().map(|p| p.1));
    let (lo, hi) = ys.fold((f64::MAX, 0.0f64), |(lo, hi), y| (lo.min(y), hi.max(y)));
    match axis {
        Axis::Linear => (0.0, hi.max(1e-9) * 1.15),
        Axis::Log => (lo.clamp(1e-6, f64::MAX / 2.0) / 2.0, hi.max(1e-6) * 2.0),
    }
}

pub fn builder<'a, 'b>(
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
pub fn lines(
    title: &str,
    x_desc: &str,
    y_desc: &str,
    x: Axis,
    y: Axis,
    series: &[Series],
) -> String {
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

pub fn draw_series<'a, X, Y>(
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
pub fn bar_chart(
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
pub fn human(v: f64) -> String {
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

pub fn fallback(title: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"600\" height=\"40\"><text x=\"10\" y=\"25\">{} (no data)</text></svg>",
        title.replace('&', "&amp;").replace('<', "&lt;")
    )
}
