//! Drawing: line charts (each axis linear or logarithmic) and grouped,
//! optionally stacked, bar charts, from plain series, as SVG text.
//!
//! Every point carries its spread: a line goes through the medians, and a
//! whisker at each point spans the windows' min to max; a bar shows the
//! median and a whisker the range. Each server has one colour in every
//! chart ([`Target::colour`](crate::target::Target::colour)). Legends sit
//! in headroom added above the data (30% on a linear axis, a factor of 8 on
//! a logarithmic one), so they never cover a point.

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use crate::report::lang::Lang;
use crate::target::Target;

/// A server's colour, as plotters takes it.
pub fn colour(t: Target) -> RGBColor {
    let (r, g, b) = t.colour();
    RGBColor(r, g, b)
}

/// Every chart's size in pixels.
pub const SIZE: (u32, u32) = (600, 380);

/// One line of a chart: a name, its colour, and its points as (x, median,
/// min, max).
pub struct Series {
    pub name: String,
    pub colour: RGBColor,
    pub points: Vec<(f64, f64, f64, f64)>,
}

#[derive(Clone, Copy)]
pub enum Axis {
    Linear,
    Log,
}

pub fn y_range(series: &[Series], axis: Axis) -> (f64, f64) {
    let ys = series
        .iter()
        .flat_map(|s| s.points.iter().flat_map(|p| [p.2, p.3]));
    let (lo, hi) = ys.fold((f64::MAX, 0.0f64), |(lo, hi), y| (lo.min(y), hi.max(y)));
    match axis {
        Axis::Linear => (0.0, hi.max(1e-9) * 1.3),
        Axis::Log => (lo.clamp(1e-6, f64::MAX / 2.0) / 2.0, hi.max(1e-6) * 8.0),
    }
}

/// A chart of [`SIZE`] on white, `draw`n on its builder (captioned
/// `title`); the fallback where `draw` cannot build its axes.
pub fn svg(
    title: &str,
    draw: impl FnOnce(&mut ChartBuilder<'_, '_, SVGBackend<'_>>) -> bool,
) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let _ = root.fill(&WHITE);
        let mut b = ChartBuilder::on(&root);
        b.caption(title, ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70);
        if !draw(&mut b) {
            return fallback(title);
        }
        let _ = root.present();
    }
    svg
}

/// A line chart; each axis linear or logarithmic.
pub fn lines(
    title: &str,
    descs: (&str, &str),
    x: Axis,
    y: Axis,
    series: &[Series],
    lang: Lang,
) -> String {
    let xs = series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let (x_lo, x_hi) = xs.fold((f64::MAX, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if x_hi <= 0.0 {
        return fallback(title);
    }
    let (y_lo, y_hi) = y_range(series, y);
    // Beyond these a log axis has no end to its ticks: no run measures
    // them (`publish::reread` refuses such a report), so none is drawn.
    let drawable =
        |lo: f64, hi: f64| lo.is_finite() && hi.is_finite() && hi / lo.max(1e-300) < 1e15;
    if !drawable(x_lo, x_hi) || !drawable(y_lo.max(1e-6), y_hi) {
        return fallback(title);
    }
    let (x_log, x_linear) = ((x_lo / 1.5..x_hi * 1.5).log_scale(), 0.0..x_hi * 1.1);
    let (y_log, y_linear) = ((y_lo..y_hi).log_scale(), y_lo..y_hi);
    svg(title, |b| match (x, y) {
        (Axis::Log, Axis::Log) => draw_lines(b, x_log, y_log, descs, series, lang),
        (Axis::Log, Axis::Linear) => draw_lines(b, x_log, y_linear, descs, series, lang),
        (Axis::Linear, Axis::Log) => draw_lines(b, x_linear, y_log, descs, series, lang),
        (Axis::Linear, Axis::Linear) => draw_lines(b, x_linear, y_linear, descs, series, lang),
    })
}

fn draw_lines<X, Y>(
    b: &mut ChartBuilder<'_, '_, SVGBackend<'_>>,
    x: X,
    y: Y,
    (x_desc, y_desc): (&str, &str),
    series: &[Series],
    lang: Lang,
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
        .x_label_formatter(&|v| human(*v, lang))
        .y_label_formatter(&|v| human(*v, lang))
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
    for s in series {
        let color = s.colour;
        let medians: Vec<(f64, f64)> = s.points.iter().map(|p| (p.0, p.1)).collect();
        let line = LineSeries::new(medians.clone(), color.stroke_width(2));
        if let Ok(drawn) = chart.draw_series(line) {
            drawn.label(s.name.clone()).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
            });
        }
        let _ = chart.draw_series(medians.iter().map(|&p| Circle::new(p, 3, color.filled())));
        let _ =
            chart.draw_series(s.points.iter().map(|&(x, m, lo, hi)| {
                ErrorBar::new_vertical(x, lo, m, hi, color.stroke_width(1), 6)
            }));
    }
    legend(chart);
}

/// The legend, top left, in the headroom [`y_range`] leaves.
fn legend<'a, DB, CT>(chart: &mut ChartContext<'a, DB, CT>)
where
    DB: DrawingBackend + 'a,
    CT: CoordTranslate,
{
    let _ = chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw();
}

/// One series of bars: per category a solid lower part, a lighter upper
/// part (0 for a plain bar), and the range of the total (a whisker).
pub struct Bars {
    pub name: String,
    pub colour: RGBColor,
    pub values: Vec<Bar>,
}

/// One bar.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bar {
    pub low: f64,
    pub high: f64,
    /// The total's range over the windows (None: one value).
    pub range: Option<(f64, f64)>,
}

impl Bar {
    /// A bar of one part, `low`, and the range of the windows, if any.
    pub fn plain(low: f64, range: Option<(f64, f64)>) -> Bar {
        Bar {
            low,
            high: 0.0,
            range,
        }
    }
}

/// Grouped bars: for each category, one bar per series, each a solid lower
/// part and a lighter upper part, with a whisker for the range.
pub fn bar_chart(title: &str, y_desc: &str, cats: &[String], bars: &[Bars], lang: Lang) -> String {
    let max = bars
        .iter()
        .flat_map(|b| {
            b.values
                .iter()
                .map(|v| (v.low + v.high).max(v.range.map_or(0.0, |r| r.1)))
        })
        .fold(0.0f64, f64::max)
        .max(1e-9);
    let n = cats.len().max(1);
    let width = 0.8 / bars.len().max(1) as f64;
    // Headroom for the legend: a row per series above the tallest bar.
    let headroom = 1.2 + 0.12 * bars.len() as f64;
    svg(title, |b| {
        let y = 0.0..max * headroom;
        let Ok(mut chart) = b.build_cartesian_2d(-0.5f64..(n as f64 - 0.5), y) else {
            return false;
        };
        let label = |x: &f64| {
            let i = x.round();
            let on_a_category = (x - i).abs() < 1e-6 && i >= 0.0;
            let cat = on_a_category.then(|| cats.get(i as usize)).flatten();
            cat.cloned().unwrap_or_default()
        };
        let _ = chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&label)
            .y_label_formatter(&|v| human(*v, lang))
            .y_desc(y_desc)
            .draw();
        for (k, b) in bars.iter().enumerate() {
            let color = b.colour;
            let light = color.mix(0.45);
            let left = |i: usize| i as f64 - 0.4 + k as f64 * width;
            let rects = b.values.iter().enumerate().flat_map(|(i, v)| {
                let (x0, x1) = (left(i), left(i) + width * 0.92);
                [
                    Rectangle::new([(x0, 0.0), (x1, v.low)], color.filled()),
                    Rectangle::new([(x0, v.low), (x1, v.low + v.high)], light.filled()),
                ]
            });
            if let Ok(s) = chart.draw_series(rects) {
                s.label(b.name.clone()).legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled())
                });
            }
            let _ = chart.draw_series(b.values.iter().enumerate().filter_map(|(i, v)| {
                let (lo, hi) = v.range?;
                let (mid, top) = (left(i) + width * 0.46, v.low + v.high);
                let whisker = BLACK.stroke_width(1);
                Some(ErrorBar::new_vertical(mid, lo, top, hi, whisker, 6))
            }));
        }
        legend(&mut chart);
        true
    })
}

/// A tick's number. English: 1234 -> "1.2k", 0.05 -> "0.05", 0.0001 ->
/// "1e-4". Spanish as docs/glosario.md writes numbers, since "1,2k" and
/// "1e-4" are not how Spain writes them and "1,5 mil" is too long for an
/// axis: whole numbers in full, grouped by a no-break space from five
/// digits ("1500", "10 000", "100 000"), and decimals with a comma and as
/// many places as the value needs ("0,01", "0,001").
pub fn human(v: f64, lang: Lang) -> String {
    if lang == Lang::Es {
        return spanish_tick(v);
    }
    let a = v.abs();
    let big = [(1e6, "M"), (1e3, "k")]
        .into_iter()
        .find(|&(at, _)| a >= at);
    let (x, suffix) = big.map_or((v, ""), |(at, suffix)| (v / at, suffix));
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

/// A tick as Spanish writes it (see [`human`]).
fn spanish_tick(v: f64) -> String {
    let a = v.abs();
    let decimals = if a == 0.0 || a >= 100.0 || v == v.round() {
        0
    } else if a >= 1.0 {
        1
    } else if a >= 0.01 {
        2
    } else {
        // The places that reach the first significant digit: 0,001.
        (-a.log10()).ceil().max(0.0) as usize
    };
    Lang::Es.number(v, decimals)
}

pub fn fallback(title: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"600\" height=\"40\"><text x=\"10\" y=\"25\">{} (no data)</text></svg>",
        title.replace('&', "&amp;").replace('<', "&lt;")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_written_as_each_language_writes_numbers() {
        let en: Vec<String> = [1500.0, 100e3, 1e7, 0.05, 0.001, 0.0]
            .iter()
            .map(|&v| human(v, Lang::En))
            .collect();
        assert_eq!(en, ["1.5k", "100k", "10M", "0.05", "1e-3", "0"]);
        let es: Vec<String> = [1500.0, 100e3, 1e7, 1.5, 0.05, 0.001, 0.0005, 0.0]
            .iter()
            .map(|&v| human(v, Lang::Es))
            .collect();
        assert_eq!(
            es,
            [
                "1500",
                "100\u{a0}000",
                "10\u{a0}000\u{a0}000",
                "1,5",
                "0,05",
                "0,001",
                "0,0005",
                "0"
            ]
        );
    }
}
