//! The bar charts' data: the criterion cases by payload, server CPU per
//! message by connections, idle memory beside the bare-thread yardstick,
//! and the cross-check's servers by client engine and placement.

use std::collections::BTreeSet;

use super::draw::{bar_chart, colour, Bar, Bars};
use super::labels::{self, filled, label};
use crate::crosscheck::{cells_of, Cell};
use crate::driver::distinct;
use crate::report::cases::{CaseResult, Group, Metric};
use crate::report::lang::Lang;
use crate::report::run::Report;
use crate::sweep::{find, Point};
use crate::target::Target;

/// The criterion groups: round trips by payload, and throughput.
pub fn cases(r: &Report, lang: Lang) -> Vec<(String, String)> {
    let criterion = &labels::placement(Report::placement_name(&r.criterion_placement), lang);
    let mut out = Vec::new();
    for (group, title, unit) in [
        (Group::Latency, "latency.title", "latency.unit"),
        (Group::Throughput, "throughput.title", "throughput.unit"),
    ] {
        let rows: Vec<&CaseResult> = r.study.cases.iter().filter(|c| c.group == group).collect();
        if rows.is_empty() {
            continue;
        }
        let cats: Vec<String> = rows
            .iter()
            .map(|c| labels::case(&c.label(), lang))
            .collect();
        let has = |t: Target| rows.iter().any(|c| c.get(t).is_some());
        let bars = per_server(Target::every(), has, &rows, lang, |t, c| {
            // Throughput is drawn in MB/s.
            let bytes = c.metric == Metric::BytesPerSec;
            let per = if bytes { 1e6 } else { 1.0 };
            Some(Bar::plain(c.get(t)? / per, None))
        });
        let title = format!("{} ({criterion})", label(title, lang));
        let svg = bar_chart(&title, &label(unit, lang), &cats, &bars, lang);
        out.push((group.name().to_string(), svg));
    }
    out
}

/// Idle memory per model and count, with the bare-thread yardstick as a
/// series of its own (the cost of a thread alone, beside the blocking
/// server's thread per connection).
pub fn memory(r: &Report, lang: Lang) -> String {
    let scale = &r.study.scale;
    let mut counts: Vec<usize> = scale.iter().map(|p| p.connections).collect();
    counts.sort_unstable();
    counts.dedup();
    let mut cats: Vec<String> = counts
        .iter()
        .map(|&c| filled("memory.idle", lang, c, ""))
        .collect();
    let has = |t: Target| scale.iter().any(|p| p.target == t);
    let mut bars = per_server(Target::every_model(), has, &counts, lang, |t, &n| {
        let p = scale.iter().find(|p| p.target == t && p.connections == n)?;
        Some(Bar::plain(p.rss_mib, None))
    });
    if let Some(b) = &r.study.bare_threads {
        for s in &mut bars {
            s.values.push(Bar::default());
        }
        let name = filled("memory.bare", lang, b.threads, "");
        cats.push(name.clone());
        let mut values = vec![Bar::default(); counts.len()];
        values.push(Bar::plain(b.rss_mib, None));
        bars.push(Bars {
            name,
            colour: colour(Target::Raw),
            values,
        });
    }
    bar_chart(&label("memory.title", lang), "MiB", &cats, &bars, lang)
}

/// Stacked user/system CPU per message (medians), one bar per server per
/// count, with the range of the total.
pub fn cpu(points: &[Point], placement: &str, lang: Lang) -> String {
    let counts = crate::report::tables::counts(points);
    let cats: Vec<String> = counts.iter().map(|&c| lang.number(c as f64, 0)).collect();
    let has = |t: Target| points.iter().any(|p| p.target == t);
    let bars = per_server(Target::every_studied(), has, &counts, lang, |t, &n| {
        let p = find(points, t, n)?;
        let (u, s, total) = (p.user_per_msg()?, p.system_per_msg()?, p.cpu_per_msg()?);
        Some(Bar {
            low: u.median,
            high: s.median,
            range: Some((total.min, total.max)),
        })
    });
    let title = label("cpu.title", lang).replace("{placement}", placement);
    bar_chart(&title, &label("cpu.unit", lang), &cats, &bars, lang)
}

/// One chart per count the cross-check measured.
pub fn cross_checks(cells: &[Cell], lang: Lang) -> Vec<(String, String)> {
    let counts: BTreeSet<usize> = cells.iter().map(|c| c.point.connections).collect();
    counts
        .into_iter()
        .map(|n| (format!("cross-check-{n}"), cross_check(cells, n, lang)))
        .collect()
}

/// Server messages/s by client engine and placement at `n` connections:
/// one group of bars per driver, one bar per server, whiskers the range.
fn cross_check(cells: &[Cell], n: usize, lang: Lang) -> String {
    let at_n = cells.iter().filter(|c| c.point.connections == n);
    let drivers = distinct(at_n.map(|c| c.driver));
    let cats: Vec<String> = drivers.iter().map(|&d| labels::driver(d, lang)).collect();
    let has = |t: Target| cells.iter().any(|c| c.point.target == t);
    let bars = per_server(Target::every_studied(), has, &drivers, lang, |t, &d| {
        let cell = cells_of(cells, d, n).into_iter().find(|p| p.target == t);
        let s = cell.and_then(Point::msgs)?;
        Some(Bar::plain(s.median, Some((s.min, s.max))))
    });
    let title = filled("cross.title", lang, n, "");
    bar_chart(&title, &label("msgs", lang), &cats, &bars, lang)
}

/// A series per server of `targets` that `has` figures, a bar per
/// category of `cats` (an empty one where `bar` has none).
fn per_server<C>(
    targets: Vec<Target>,
    has: impl Fn(Target) -> bool,
    cats: &[C],
    lang: Lang,
    bar: impl Fn(Target, &C) -> Option<Bar>,
) -> Vec<Bars> {
    targets
        .into_iter()
        .filter(|&t| has(t))
        .map(|t| Bars {
            name: t.label(lang).into(),
            colour: colour(t),
            values: cats.iter().map(|c| bar(t, c).unwrap_or_default()).collect(),
        })
        .collect()
}
