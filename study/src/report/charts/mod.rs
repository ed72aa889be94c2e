//! The report's charts, as SVG text (plotters): lines where the x axis is a
//! quantity (connections, offered load, percentile), grouped bars where it
//! names unrelated cases (payload sizes, sink versus echo, client engines).
//!
//! Every chart names its placement in its caption, and every line and bar
//! shows its windows' range. Every chart can be drawn in English or in
//! Spanish: its words come from one table (`labels.rs`), and its numbers
//! are written as the language does. This file says which charts the
//! report has and draws the line charts' data; `bars.rs` the bar charts',
//! `spectrum.rs` the percentile spectrum, and `draw.rs` draws them.

mod bars;
mod draw;
mod labels;
mod spectrum;

use super::lang::Lang;
use super::run::Report;
use crate::stats::Spread;
use crate::sweep::Point;
use crate::target::Target;
use draw::{colour, lines, Axis, Series};
use labels::{filled, label};

/// (file stem, SVG text) for every chart with data, in `lang`.
pub fn all(r: &Report, lang: Lang) -> Vec<(String, String)> {
    let mut out = bars::cases(r, lang);
    out.extend(sweep(r, lang));
    out.extend(load(r, lang));
    if !r.study.scale.is_empty() {
        out.push(("memory".into(), bars::memory(r, lang)));
    }
    out.extend(bars::cross_checks(&r.study.cross_check, lang));
    out
}

/// The connection sweep: messages/s, p99, CPU and switches by connections.
fn sweep(r: &Report, lang: Lang) -> Vec<(String, String)> {
    let study = &r.study;
    if study.sweep.is_empty() {
        return Vec::new();
    }
    let placement = &labels::placement(Report::placement_name(&r.sweep_placement), lang);
    let chart = |what: &str, y: &str, y_axis: Axis, f: &dyn Fn(&Point) -> Option<Spread>| {
        let caption = label("by.connections", lang)
            .replace("{what}", &label(what, lang))
            .replace("{placement}", placement);
        let (x, y) = (label("connections", lang), label(y, lang));
        let series = per_server(&study.sweep, |p| p.connections as f64, f, lang);
        lines(&caption, (&x, &y), Axis::Log, y_axis, &series, lang)
    };
    // A log axis cannot show zero switches: the event loops' near-zero
    // medians are drawn at 1e-4.
    let floor = |s: Spread| Spread {
        median: s.median.max(1e-4),
        min: s.min.max(1e-4),
        max: s.max.max(1e-4),
        n: s.n,
    };
    let throughput = chart("sweep.msgs", "msgs", Axis::Linear, &Point::msgs);
    let p99 = chart("sweep.p99", "p99.log", Axis::Log, &Point::p99);
    let switches = |p: &Point| p.switches_per_msg().map(floor);
    let switches = chart("sweep.switches", "switches.log", Axis::Log, &switches);
    vec![
        ("sweep-throughput".into(), throughput),
        ("sweep-p99".into(), p99),
        ("sweep-cpu".into(), bars::cpu(&study.sweep, placement, lang)),
        ("sweep-switches".into(), switches),
    ]
}

/// The offered-load steps: the hockey stick and the spectrum.
fn load(r: &Report, lang: Lang) -> Vec<(String, String)> {
    let study = &r.study;
    if study.load_steps.is_empty() {
        return Vec::new();
    }
    let placement = &labels::placement(Report::placement_name(&r.sweep_placement), lang);
    let n = study.plan.load_connections;
    let pct = |p: &Point| p.offered_pct.unwrap_or(0.0);
    let hockey = lines(
        &filled("hockey.title", lang, n, placement),
        (&label("hockey.x", lang), &label("p99.log", lang)),
        Axis::Linear,
        Axis::Log,
        &per_server(&study.load_steps, pct, &Point::p99, lang),
        lang,
    );
    vec![
        ("hockey".into(), hockey),
        ("spectrum".into(), spectrum::chart(r, placement, lang)),
    ]
}

/// One series per studied server, from `points`.
fn per_server(
    points: &[Point],
    x: fn(&Point) -> f64,
    y: &dyn Fn(&Point) -> Option<Spread>,
    lang: Lang,
) -> Vec<Series> {
    Target::every_studied()
        .iter()
        .map(|&t| Series {
            name: t.label(lang).into(),
            colour: colour(t),
            points: points
                .iter()
                .filter(|p| p.target == t)
                .filter_map(|p| y(p).map(|s| (x(p), s.median, s.min, s.max)))
                .collect(),
        })
        .filter(|s| !s.points.is_empty())
        .collect()
}
