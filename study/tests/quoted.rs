//! Every figure the pages (README, docs/bench.md, the guides) quote from the published run, in
//! prose outside the rendered regions (`published.rs` checks those), is
//! listed here with where it comes from in `docs/benchmarks/report.json`;
//! the test checks that each quoted place still says what the run says.
//!
//! A row: the page, a piece of its text that holds the figure (the figure
//! written as `{}`), the figure's key, and its decimals. The key names a
//! figure of the run (`figure` below); the page's language decides how the
//! number is written (docs/guia.md: Spanish, "47 528" and "0,81"). When a
//! new run is published, this test names every place that no longer
//! matches, with the run's value.
//!
//! Beyond single figures, three kinds of claim are checked against the
//! run: the run's date and time wherever a guide names them (and no other
//! date in a guide), every ratio a guide writes ("1.47×", «1,47 veces»)
//! being one of the figures tied here, and what a guide says of the
//! offered-load knee: which server had the lowest and the highest p99 at
//! light load, and no claim that every p99 stayed under the knee's factor
//! when some median went past it (the report says "beyond noise").
//!

use std::path::Path;

use sockmodes_models::Model;
use sockmodes_study::affinity::Placement;
use sockmodes_study::driver::Driver;
use sockmodes_study::report::costs::{calm_up_to, KNEE};
use sockmodes_study::report::publish::{self, Lang};
use sockmodes_study::report::Report;
use sockmodes_study::stats::{ratio, Spread};
use sockmodes_study::sweep::{find, Point, Step};
use sockmodes_study::target::Target;

/// (page, text with `{}` for the figure, key, decimals).
const QUOTED: &[(&str, &str, &str, usize)] = &[
    // README, the answer.
    (
        "README.md",
        "inline carries {} messages a second (its ceiling",
        "service/block:1ms/nonblocking/inline/msgs",
        0,
    ),
    (
        "README.md",
        "(its ceiling by Little's law: {}, whatever",
        "service/block:1ms/nonblocking/inline/ceiling",
        0,
    ),
    (
        "README.md",
        "a pool of 64 workers, {}.",
        "service/block:1ms/nonblocking/pool/msgs",
        0,
    ),
    // README, the answer at 100 and 1,000: the cross-check's budget and
    // unpinned cells, as blocking / nonblocking ratios.
    (
        "README.md",
        "connection carried {}× and 0.55× the event loop's",
        "crossratio/blocking/nonblocking/100/blocking/budget",
        2,
    ),
    (
        "README.md",
        "carried 0.83× and {}× the event loop's",
        "crossratio/blocking/nonblocking/100/nonblocking/budget",
        2,
    ),
    (
        "README.md",
        "event-loop one), {}× and 0.58× at 1,000",
        "crossratio/blocking/nonblocking/1000/blocking/budget",
        2,
    ),
    (
        "README.md",
        "0.77× and {}× at 1,000. Left unpinned",
        "crossratio/blocking/nonblocking/1000/nonblocking/budget",
        2,
    ),
    (
        "README.md",
        "no difference beyond noise ({}× and 0.89×)",
        "crossratio/blocking/nonblocking/100/blocking/unpinned",
        2,
    ),
    (
        "README.md",
        "beyond noise (0.94× and {}×)",
        "crossratio/blocking/nonblocking/1000/blocking/unpinned",
        2,
    ),
    // docs/bench.md, after the sweep table.
    (
        "docs/bench.md",
        "10 connections ({}x for the event loop)",
        "ratio/nonblocking/blocking/10",
        2,
    ),
    (
        "docs/bench.md",
        "and at 10,000 ({}x); at 1",
        "ratio/nonblocking/blocking/10000",
        2,
    ),
    (
        "docs/bench.md",
        "engines: {}x and 0.55x its messages at 100",
        "crossratio/blocking/nonblocking/100/blocking/budget",
        2,
    ),
    (
        "docs/bench.md",
        "engines: 0.83x and {}x its messages at 100",
        "crossratio/blocking/nonblocking/100/nonblocking/budget",
        2,
    ),
    (
        "docs/bench.md",
        "an event-loop one), {}x and 0.58x at",
        "crossratio/blocking/nonblocking/1000/blocking/budget",
        2,
    ),
    (
        "docs/bench.md",
        "0.77x and {}x at 1,000. Unpinned",
        "crossratio/blocking/nonblocking/1000/nonblocking/budget",
        2,
    ),
    (
        "docs/bench.md",
        "the event loop answered {} messages per wake-up",
        "cross/nonblocking/100/blocking/unpinned/msgs_per_wakeup",
        1,
    ),
    (
        "docs/bench.md",
        "against {} with the event-loop client under the budget; at 1,000",
        "cross/nonblocking/100/nonblocking/budget/msgs_per_wakeup",
        1,
    ),
    (
        "docs/bench.md",
        "the thread per connection made {} context switch per message",
        "cross/blocking/1000/blocking/unpinned/switches",
        2,
    ),
    (
        "docs/bench.md",
        "unpinned, against {} with the event-loop client under the budget (a server",
        "cross/blocking/1000/nonblocking/budget/switches",
        2,
    ),
    (
        "docs/bench.md",
        "(at 1,000, {} against",
        "cross/blocking/1000/nonblocking/unpinned/msgs",
        0,
    ),
    (
        "docs/bench.md",
        "against {} msg/s)",
        "cross/nonblocking/1000/nonblocking/unpinned/msgs",
        0,
    ),
    (
        "docs/bench.md",
        "beyond noise ({} against",
        "cross/blocking/1000/blocking/unpinned/msgs",
        0,
    ),
    (
        "docs/bench.md",
        "against {} msg/s). The report names",
        "cross/nonblocking/1000/blocking/unpinned/msgs",
        0,
    ),
    (
        "docs/bench.md",
        "It ran {} threads",
        "sweep/blocking/10000/threads",
        0,
    ),
    (
        "docs/bench.md",
        "threads (median) in {} MiB with 0.97",
        "sweep/blocking/10000/rss_mib",
        1,
    ),
    (
        "docs/bench.md",
        "with {} context switches per message; where every",
        "sweep/blocking/10000/switches",
        2,
    ),
    (
        "docs/bench.md",
        "came after {} s\n(median)",
        "sweep/blocking/10000/ramp_s",
        2,
    ),
    (
        "docs/bench.md",
        "all 10,000 within {} s with 4 threads",
        "sweep/nonblocking/10000/ramp_s",
        2,
    ),
    (
        "docs/bench.md",
        "with 4 threads\nin {} MiB. The",
        "sweep/nonblocking/10000/rss_mib",
        1,
    ),
    (
        "docs/bench.md",
        "at 10,000 ({}x), though",
        "ratio/completion/nonblocking/10000",
        2,
    ),
    (
        "docs/bench.md",
        "made {} system calls per message against 2.002",
        "sweep/completion/10000/syscalls",
        3,
    ),
    (
        "docs/bench.md",
        "per message against {}: on loopback",
        "sweep/nonblocking/10000/syscalls",
        3,
    ),
    // The English guide; the Spanish one must quote the same numbers,
    // section by section (tests/guides.rs), so these tie both.
    (
        "docs/guide.md",
        "{} KiB resident each",
        "scale/blocking/10000/kib_each",
        1,
    ),
    (
        "docs/guide.md",
        "against {} KiB for a bare thread with the same stack",
        "bare/kib_each",
        1,
    ),
    (
        "docs/guide.md",
        "10,000 idle connections took {} MiB",
        "scale/blocking/10000/rss_mib",
        1,
    ),
    (
        "docs/guide.md",
        "(the event loop carried {}×)",
        "ratio/nonblocking/blocking/10",
        2,
    ),
    (
        "docs/guide.md",
        "and at 10,000 ({}×, with a",
        "ratio/nonblocking/blocking/10000",
        2,
    ),
    (
        "docs/guide.md",
        "p99 of {} µs, while threads",
        "sweep/blocking/10000/p99_us",
        0,
    ),
    (
        "docs/guide.md",
        "holds 10,000 connections in {} MiB and four threads",
        "sweep/nonblocking/10000/rss_mib",
        1,
    ),
    (
        "docs/guide.md",
        "from 10 to 100 connections ({}/s at 10,",
        "sweep/nonblocking/10/msgs",
        0,
    ),
    (
        "docs/guide.md",
        "at 10, {}/s at 100: more work",
        "sweep/nonblocking/100/msgs",
        0,
    ),
    (
        "docs/guide.md",
        "then falls ({}/s at 1,000,",
        "sweep/nonblocking/1000/msgs",
        0,
    ),
    (
        "docs/guide.md",
        "at 1,000, {}/s at 10,000: more sockets",
        "sweep/nonblocking/10000/msgs",
        0,
    ),
    (
        "docs/guide.md",
        "two ({} against 2.062 at 1,000 connections)",
        "sweep/completion/1000/syscalls",
        3,
    ),
    (
        "docs/guide.md",
        "(0.088 against {} at 1,000 connections)",
        "sweep/nonblocking/1000/syscalls",
        3,
    ),
    (
        "docs/guide.md",
        "at 10,000 connections, {} against 110,052/s",
        "sweep/completion/10000/msgs",
        0,
    ),
    (
        "docs/guide.md",
        "100,139 against {}/s; at",
        "sweep/nonblocking/10000/msgs",
        0,
    ),
    (
        "docs/guide.md",
        "1 MiB frames: {} against 2,943 MB/s",
        "case_mb/sink 1 MiB frames/completion",
        0,
    ),
    (
        "docs/guide.md",
        "1,688 against {} MB/s",
        "case_mb/sink 1 MiB frames/nonblocking",
        0,
    ),
    (
        "docs/guide.md",
        "its p99 was {} µs against 103,295 µs",
        "sweep/tokio/10000/p99_us",
        0,
    ),
    (
        "docs/guide.md",
        "810,495 µs against {} µs.",
        "sweep/nonblocking/10000/p99_us",
        0,
    ),
    (
        "docs/guide.md",
        "(the sweep in `docs/benchmarks.md` counts {} threads against the",
        "sweep/blocking/1000/threads",
        0,
    ),
    (
        "docs/guide.md",
        "the event loop carries {}× as many",
        "ratio/nonblocking/blocking/10000",
        2,
    ),
    (
        "docs/guide.md",
        "completion line meets it ({}×)",
        "ratio/completion/nonblocking/10000",
        2,
    ),
    (
        "docs/guide.md",
        "at 1,000 connections ({} µs, against",
        "sweep/tokio/1000/p99_us",
        0,
    ),
    (
        "docs/guide.md",
        "against {} µs blocking and",
        "sweep/blocking/1000/p99_us",
        0,
    ),
    (
        "docs/guide.md",
        "and {} µs non-blocking);",
        "sweep/nonblocking/1000/p99_us",
        0,
    ),
    (
        "docs/guide.md",
        "highest by far ({} µs, while",
        "sweep/blocking/10000/p99_us",
        0,
    ),
    (
        "docs/guide.md",
        "with tokio next ({} µs)",
        "sweep/tokio/10000/p99_us",
        0,
    ),
    (
        "docs/guide.md",
        "the blocking server's {} MiB, the event loop's",
        "scale/blocking/10000/rss_mib",
        1,
    ),
    (
        "docs/guide.md",
        "64 KiB stack, {} MiB (the grey bar)",
        "bare/rss_mib",
        1,
    ),
    (
        "docs/guide.md",
        "the event loop's {} MiB and the completion",
        "scale/nonblocking/10000/rss_mib",
        1,
    ),
    (
        "docs/guide.md",
        "the completion server's {} MiB, beside",
        "scale/completion/10000/rss_mib",
        1,
    ),
    (
        "docs/guide.md",
        "a thread each and more, {} KiB against",
        "scale/blocking/10000/kib_each",
        1,
    ),
    (
        "docs/guide.md",
        "against a bare thread's {} KiB",
        "bare/kib_each",
        1,
    ),
    (
        "docs/guide.md",
        "(the sweep measures {} to 1.00 at every count)",
        "sweep/blocking/10000/switches",
        2,
    ),
    (
        "docs/guide.md",
        "(the sweep measures 0.97 to {} at every count)",
        "sweep/blocking/10/switches",
        2,
    ),
    (
        "docs/guide.md",
        "connections ({}/s at 10 connections",
        "sweep/nonblocking/10/msgs",
        0,
    ),
    (
        "docs/guide.md",
        "connections, {}/s at 100), then fall",
        "sweep/nonblocking/100/msgs",
        0,
    ),
    (
        "docs/guide.md",
        "then fall ({}/s at 10,000 in the",
        "sweep/nonblocking/10000/msgs",
        0,
    ),
    (
        "docs/guide.md",
        "({}/s against 18,482/s, ranges",
        "sweep/blocking/1/msgs",
        0,
    ),
    (
        "docs/guide.md",
        "against {}/s, ranges overlapping",
        "sweep/nonblocking/1/msgs",
        0,
    ),
    (
        "docs/guide.md",
        "round trip ({} µs for blocking in criterion)",
        "case/echo 16 B/blocking",
        1,
    ),
    (
        "docs/guide.md",
        "from {} ms (non-blocking)",
        "offered/nonblocking/10/p99_ms",
        2,
    ),
    (
        "docs/guide.md",
        "to {} ms (blocking), because",
        "offered/blocking/10/p99_ms",
        2,
    ),
    (
        "docs/guide.md",
        "counts {} threads against 4;",
        "sweep/blocking/1000/threads",
        0,
    ),
    (
        "docs/guide.md",
        "blocking server took {} KiB per connection",
        "scale/blocking/10000/kib_each",
        1,
    ),
    (
        "docs/guide.md",
        "made {} system calls per message at 1,000 connections against",
        "sweep/completion/1000/syscalls",
        3,
    ),
    (
        "docs/guide.md",
        "against the event loop's {}, yet",
        "sweep/nonblocking/1000/syscalls",
        3,
    ),
    (
        "docs/guide.md",
        "10,000 connections was {} for the completion server",
        "sweep/completion/10000/jain",
        3,
    ),
    (
        "docs/guide.md",
        "completion server, against {} for the event loop",
        "sweep/nonblocking/10000/jain",
        3,
    ),
    // The guide's ratios beside their figures: what a thread per
    // connection costs against a bare thread, and the knee.
    (
        "docs/guide.md",
        "with the same stack ({}×: a serving thread",
        "scale_vs_bare/blocking/10000",
        2,
    ),
    (
        "docs/guide.md",
        "against {} KiB for a bare thread with the same 64 KiB stack",
        "bare/kib_each",
        1,
    ),
    (
        "docs/guide.md",
        "with the same 64 KiB stack ({}×, a target the report marks not met)",
        "scale_vs_bare/blocking/10000",
        2,
    ),
    (
        "docs/guide.md",
        "The shape is what holds: up to {}% of its capacity",
        "knee/lowest",
        0,
    ),
    (
        "docs/guide.md",
        "no server's p99 rose beyond noise above {}× its 10% value",
        "knee/factor",
        0,
    ),
    (
        "docs/guide.md",
        "at 90% (the event loop's, {}×;",
        "offered_ratio/nonblocking/90/10/p99",
        1,
    ),
    (
        "docs/guide.md",
        "tokio's, {}×; the completion",
        "offered_ratio/tokio/90/10/p99",
        1,
    ),
    (
        "docs/guide.md",
        "the completion server's, {}×), so the",
        "offered_ratio/completion/90/10/p99",
        1,
    ),
    (
        "docs/guide.md",
        "both client engines of the cross-check ({}× and 0.58× the event loop's",
        "crossratio/blocking/nonblocking/1000/blocking/budget",
        2,
    ),
    (
        "docs/guide.md",
        "both client engines of the cross-check (0.77× and {}× the event loop's",
        "crossratio/blocking/nonblocking/1000/nonblocking/budget",
        2,
    ),
    // The Spanish guide's ratios, which it writes its own way («1,47
    // veces», never «1,47× más»): tied here so that the ratio check below
    // reads both guides alike.
    (
        "docs/guia.md",
        "con la misma pila ({}×: un hilo que atiende",
        "scale_vs_bare/blocking/10000",
        2,
    ),
    (
        "docs/guia.md",
        "frente a {} KiB de un hilo vacío con la misma pila de 64 KiB",
        "bare/kib_each",
        1,
    ),
    (
        "docs/guia.md",
        "con la misma pila de 64 KiB ({}×: el informe da ese objetivo por no cumplido)",
        "scale_vs_bare/blocking/10000",
        2,
    ),
    (
        "docs/guia.md",
        "(el bucle atendió {} veces los mensajes del bloqueante)",
        "ratio/nonblocking/blocking/10",
        2,
    ),
    (
        "docs/guia.md",
        "y con 10 000 ({} veces, con un p99 de",
        "ratio/nonblocking/blocking/10000",
        2,
    ),
    (
        "docs/guia.md",
        "el bucle de eventos atiende {} veces los mensajes del bloqueante",
        "ratio/nonblocking/blocking/10000",
        2,
    ),
    (
        "docs/guia.md",
        "la del servidor de finalización coincide con ella ({}×)",
        "ratio/completion/nonblocking/10000",
        2,
    ),
    (
        "docs/guia.md",
        "Lo que se mantiene es la forma: hasta el {} % de su capacidad",
        "knee/lowest",
        0,
    ),
    (
        "docs/guia.md",
        "ningún servidor tuvo un p99 significativamente mayor que {} veces el que tenía al 10 %",
        "knee/factor",
        0,
    ),
    (
        "docs/guia.md",
        "(con 1000 conexiones, {} veces los del bucle",
        "crossratio/blocking/nonblocking/1000/blocking/budget",
        2,
    ),
    (
        "docs/guia.md",
        "por conexión y {} con el de bucle de eventos",
        "crossratio/blocking/nonblocking/1000/nonblocking/budget",
        2,
    ),
    (
        "docs/guia.md",
        "(la del bucle de eventos, con {} veces;",
        "offered_ratio/nonblocking/90/10/p99",
        1,
    ),
    (
        "docs/guia.md",
        "la de tokio, con {} veces;",
        "offered_ratio/tokio/90/10/p99",
        1,
    ),
    (
        "docs/guia.md",
        "finalización, con {} veces), así",
        "offered_ratio/completion/90/10/p99",
        1,
    ),
];

fn target(name: &str) -> Target {
    Target::every()
        .into_iter()
        .find(|t| t.name() == name)
        .unwrap_or_else(|| panic!("no server {name}"))
}

/// A point's figure by name.
fn of_point(p: &Point, metric: &str) -> Option<Spread> {
    match metric {
        "msgs" => p.msgs(),
        "p99_us" => p.p99(),
        "p99_ms" => p.p99().map(|s| s.scaled(1000.0)),
        "threads" => p.threads(),
        "rss_mib" => p.rss_mib(),
        "switches" => p.switches_per_msg(),
        "syscalls" => p.syscalls_per_msg(),
        "cpu" => p.cpu_per_msg(),
        "starved" => p.starved(),
        "ramp_s" => p.ramp_s(),
        "jain" => p.jain(),
        "msgs_per_wakeup" => Spread::of(p.msgs_per_wakeup_windows()),
        other => panic!("no point figure {other}"),
    }
}

/// The cross-check's point for server `t` at `n` connections, driven by
/// client engine `engine` in `placement`.
fn cross_point<'a>(
    r: &'a Report,
    t: &str,
    n: usize,
    engine: &str,
    placement: &str,
) -> Option<&'a Point> {
    let engine: Model = engine.parse().ok()?;
    let placement = match placement {
        "split" => Placement::Split,
        "unpinned" => Placement::Unpinned,
        "budget" => Placement::Budget,
        other => panic!("no placement {other}"),
    };
    let d = Driver { engine, placement };
    r.study
        .cross_check
        .iter()
        .find(|c| c.driver == d && c.point.target == target(t) && c.point.connections == n)
        .map(|c| &c.point)
}

/// `median`, `min` or `max` of a spread (`name.min`), median by default.
fn pick(s: Spread, stat: Option<&str>) -> f64 {
    match stat {
        None | Some("median") => s.median,
        Some("min") => s.min,
        Some("max") => s.max,
        Some(other) => panic!("no statistic {other}"),
    }
}

/// A server's offered-load steps, lightest first.
fn offered_steps(r: &Report, t: Target) -> Vec<&Point> {
    let mut steps: Vec<&Point> = r
        .study
        .load_steps
        .iter()
        .filter(|p| p.step == Step::Offered && p.target == t && p.offered_pct.is_some())
        .collect();
    steps.sort_by(|a, b| a.offered_pct.partial_cmp(&b.offered_pct).expect("finite"));
    steps
}

/// The figure `key` of the run, e.g. `sweep/blocking/1000/msgs`,
/// `sweep/blocking/1000/p99_ms.max`, `ratio/nonblocking/blocking/10`,
/// `scale/blocking/10000/kib_each`, `bare/kib_each`,
/// `case/echo 16 B/raw`, `offered/blocking/10/p99_ms.min`,
/// `cross/blocking/100/nonblocking/unpinned/msgs`, `elapsed_s`,
/// `scale_vs_bare/blocking/10000` (KiB per connection over a bare
/// thread's), `offered_ratio/completion/90/10/p99` (the median p99 at 90%
/// offered over that at 10%), `knee/factor` (the report's knee, 10×) and
/// `knee/lowest` (the lowest offered share up to which a server's p99
/// stayed within the knee, beyond noise).
fn figure(r: &Report, key: &str) -> Option<f64> {
    let parts: Vec<&str> = key.split('/').collect();
    let s = &r.study;
    let metric = |m: &str| {
        let (name, stat) = m.split_once('.').map_or((m, None), |(n, s)| (n, Some(s)));
        (name.to_string(), stat.map(str::to_string))
    };
    match parts.as_slice() {
        ["sweep", t, n, m] => {
            let (name, stat) = metric(m);
            let p = find(&s.sweep, target(t), n.parse().ok()?)?;
            Some(pick(of_point(p, &name)?, stat.as_deref()))
        }
        ["ratio", a, b, n] => {
            let n: usize = n.parse().ok()?;
            let (pa, pb) = (find(&s.sweep, target(a), n)?, find(&s.sweep, target(b), n)?);
            Some(ratio(&pa.msgs()?, &pb.msgs()?).median)
        }
        ["scale", t, n, what] => {
            let n: usize = n.parse().ok()?;
            let p = s
                .scale
                .iter()
                .find(|p| p.target == target(t) && p.connections == n)?;
            match *what {
                "rss_mib" => Some(p.rss_mib),
                "kib_each" => Some((p.rss_mib - p.baseline_mib) * 1024.0 / n as f64),
                other => panic!("no scale figure {other}"),
            }
        }
        ["bare", "kib_each"] => s.bare_threads.as_ref().map(|b| b.kib_each()),
        ["bare", "rss_mib"] => s.bare_threads.as_ref().map(|b| b.rss_mib),
        ["case", case, t] => s.cases.iter().find(|c| c.label() == *case)?.get(target(t)),
        ["case_mb", case, t] => Some(
            s.cases
                .iter()
                .find(|c| c.label() == *case)?
                .get(target(t))?
                / 1e6,
        ),
        ["offered", t, pct, m] => {
            let (name, stat) = metric(m);
            let pct: f64 = pct.parse().ok()?;
            let p = s.load_steps.iter().find(|p| {
                p.step == Step::Offered && p.target == target(t) && p.offered_pct == Some(pct)
            })?;
            Some(pick(of_point(p, &name)?, stat.as_deref()))
        }
        ["cross", t, n, engine, placement, m] => {
            let (name, stat) = metric(m);
            let n: usize = n.parse().ok()?;
            let c = cross_point(r, t, n, engine, placement)?;
            Some(pick(of_point(c, &name)?, stat.as_deref()))
        }
        ["crossratio", a, b, n, engine, placement] => {
            let n: usize = n.parse().ok()?;
            let (pa, pb) = (
                cross_point(r, a, n, engine, placement)?,
                cross_point(r, b, n, engine, placement)?,
            );
            Some(ratio(&pa.msgs()?, &pb.msgs()?).median)
        }
        ["scale_vs_bare", t, n] => {
            let each = figure(r, &format!("scale/{t}/{n}/kib_each"))?;
            Some(each / figure(r, "bare/kib_each")?)
        }
        ["offered_ratio", t, pct, base, "p99"] => {
            let at = |pct: &str| -> Option<Spread> {
                let pct: f64 = pct.parse().ok()?;
                offered_steps(r, target(t))
                    .into_iter()
                    .find(|p| p.offered_pct == Some(pct))?
                    .p99()
            };
            Some(ratio(&at(pct)?, &at(base)?).median)
        }
        ["knee", "factor"] => Some(KNEE),
        ["knee", "lowest"] => Target::every_studied()
            .into_iter()
            .filter_map(|t| calm_up_to(&offered_steps(r, t)))
            .min_by(f64::total_cmp),
        ["elapsed_s"] => s.elapsed_s,
        ["service", work, t, runs, what] => {
            use sockmodes_models::ceiling::Concurrency;
            let case = r
                .analysis
                .service
                .iter()
                .find(|c| c.work.to_string() == *work)?;
            let f = case.figures.iter().find(|f| {
                f.who.target == target(t)
                    && matches!(
                        (*runs, f.who.concurrency),
                        ("inline", Concurrency::Inline(_))
                            | ("pool", Concurrency::Pool(_))
                            | ("perconn", Concurrency::PerConnection)
                    )
            })?;
            match *what {
                "msgs" => Some(f.msgs.median),
                "ceiling" => Some(f.ceiling),
                other => panic!("no service figure {other}"),
            }
        }
        _ => panic!("no figure key {key}"),
    }
}

#[test]
fn every_quoted_figure_is_the_published_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let json = std::fs::read_to_string(root.join(publish::JSON)).expect("the published run");
    let run = publish::reread(&json).expect("a report");
    let mut wrong = Vec::new();
    for &(page, text, key, decimals) in QUOTED {
        assert!(text.contains("{}"), "a row without its figure: {text:?}");
        let lang = if page.ends_with("guia.md") {
            Lang::Es
        } else {
            Lang::En
        };
        let value = figure(&run, key).unwrap_or_else(|| panic!("{key} is not in the run"));
        let expected = text.replace("{}", &lang.number(value, decimals));
        let body = std::fs::read_to_string(root.join(page)).expect("the page");
        // Prose wraps: compare with runs of white space folded.
        let fold = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
        if !fold(&body).contains(&fold(&expected)) {
            wrong.push(format!("{page}: expected {expected:?} ({key})"));
        }
    }
    assert!(
        wrong.is_empty(),
        "quoted figures that differ from the run:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn every_key_kind_resolves_on_a_report_and_a_missing_point_is_none() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let json = std::fs::read_to_string(root.join(publish::JSON)).expect("the published run");
    let run = publish::reread(&json).expect("a report");
    assert!(figure(&run, "sweep/blocking/100/msgs").is_some_and(|v| v > 0.0));
    assert!(
        figure(&run, "sweep/blocking/7/msgs").is_none(),
        "no such count"
    );
    assert!(figure(&run, "cross/nonblocking/100/blocking/unpinned/msgs").is_some());
    assert!(figure(&run, "elapsed_s").is_some());
}

/// The guides, each in its language.
const GUIDES: &[(&str, Lang)] = &[("docs/guide.md", Lang::En), ("docs/guia.md", Lang::Es)];

fn read_page(page: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::read_to_string(root.join(page)).unwrap_or_else(|e| panic!("{page}: {e}"))
}

fn published_run() -> Report {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let json = std::fs::read_to_string(root.join(publish::JSON)).expect("the published run");
    publish::reread(&json).expect("a report")
}

/// Prose with runs of white space folded (U+00A0 too), as the checks
/// compare it.
fn fold(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A page's prose: without fenced blocks, inline code and the regions
/// rendered from the run (`published.rs` checks those).
fn prose(md: &str) -> String {
    let (mut out, mut fenced, mut rendered) = (String::new(), false, false);
    for line in md.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if line.starts_with("<!-- published run:") {
            rendered = true;
        }
        if !fenced && !rendered {
            out.push_str(line);
        }
        out.push('\n');
        if line.starts_with("<!-- end of the published run") {
            rendered = false;
        }
    }
    out.split('`').step_by(2).collect::<Vec<_>>().join(" ")
}

/// Every ratio the prose writes as a figure: a number right before `×`,
/// or a number with decimals before «veces» / "times" ("20 times" is a
/// count, not a ratio). As written, e.g. "1.47" or "1,47".
fn ratios(prose: &str) -> Vec<String> {
    let c: Vec<char> = prose.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        if !c[i].is_ascii_digit()
            || (i > 0 && (c[i - 1].is_ascii_digit() || c[i - 1] == '.' || c[i - 1] == ','))
        {
            i += 1;
            continue;
        }
        let start = i;
        while i < c.len()
            && (c[i].is_ascii_digit()
                || ((c[i] == '.' || c[i] == ',') && c.get(i + 1).is_some_and(char::is_ascii_digit)))
        {
            i += 1;
        }
        let n: String = c[start..i].iter().collect();
        let rest: String = c[i..(i + 7).min(c.len())].iter().collect();
        let decimal = n.contains(['.', ',']);
        if rest.starts_with('×')
            || (decimal && (rest.starts_with(" veces") || rest.starts_with(" times")))
        {
            out.push(n);
        }
    }
    out
}

#[test]
fn every_ratio_a_guide_writes_is_a_tied_figure() {
    let run = published_run();
    let mut wrong = Vec::new();
    for &(page, lang) in GUIDES {
        // The ratios this file ties to the run for the page, and the
        // report's knee factor, as the page writes them.
        let mut tied: Vec<String> = QUOTED
            .iter()
            .filter(|(p, text, _, _)| {
                *p == page
                    && ["{}×", "{} veces", "{} times"]
                        .iter()
                        .any(|r| text.contains(r))
            })
            .map(|&(_, _, key, decimals)| {
                lang.number(figure(&run, key).expect("a tied figure"), decimals)
            })
            .collect();
        tied.push(lang.number(KNEE, 0));
        for r in ratios(&prose(&read_page(page))) {
            if !tied.contains(&r) {
                wrong.push(format!(
                    "{page}: the ratio {r} is tied to no figure of the run (tied: {tied:?})"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "untied ratios:\n{}", wrong.join("\n"));
}

#[test]
fn the_guides_date_the_run_as_the_report_does() {
    let run = published_run();
    let stamp = run.machine.date_utc.trim_end_matches(" UTC");
    let (date, time) = stamp.split_once(' ').expect("a date and a time");
    let claims = [
        ("docs/guide.md", format!("Linux; {date} {time} UTC)")),
        ("docs/guia.md", format!("Linux; {date}, {time} UTC)")),
    ];
    let mut wrong = Vec::new();
    for (page, claim) in &claims {
        if !fold(&read_page(page)).contains(claim.as_str()) {
            wrong.push(format!("{page}: expected {claim:?}"));
        }
    }
    // No other date: a guide dates nothing but the published run.
    for &(page, _) in GUIDES {
        let text = read_page(page);
        let c: Vec<char> = text.chars().collect();
        let digit = |i: usize| c.get(i).is_some_and(char::is_ascii_digit);
        for i in 0..c.len() {
            let shape = (0..10).all(|k| {
                if k == 4 || k == 7 {
                    c.get(i + k) == Some(&'-')
                } else {
                    digit(i + k)
                }
            });
            if shape && !(i > 0 && digit(i - 1)) && !digit(i + 10) {
                let found: String = c[i..i + 10].iter().collect();
                if found != date {
                    wrong.push(format!("{page}: the date {found} is not the run's, {date}"));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "dates that differ from the run:\n{}",
        wrong.join("\n")
    );
}

/// The light-load ends: the server with the lowest and with the highest
/// p99 at the lightest offered step, named as each guide names them.
#[test]
fn the_light_load_p99_range_names_the_servers_at_its_ends() {
    let run = published_run();
    let mut light: Vec<(Target, f64)> = Target::every_studied()
        .into_iter()
        .filter_map(|t| Some((t, offered_steps(&run, t).first()?.p99()?.median / 1000.0)))
        .collect();
    light.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (lo, hi) = (
        light.first().expect("a server"),
        light.last().expect("a server"),
    );
    let claims = [
        (
            "docs/guide.md",
            format!(
                "from {} ms ({}) to {} ms ({})",
                Lang::En.number(lo.1, 2),
                lo.0.prose(),
                Lang::En.number(hi.1, 2),
                hi.0.prose()
            ),
        ),
        (
            "docs/guia.md",
            format!(
                "de {} ms ({}) a {} ms ({})",
                Lang::Es.number(lo.1, 2),
                lo.0.label(Lang::Es),
                Lang::Es.number(hi.1, 2),
                hi.0.label(Lang::Es)
            ),
        ),
    ];
    for (page, claim) in claims {
        assert!(
            fold(&read_page(page)).contains(&fold(&claim)),
            "{page}: expected {claim:?}"
        );
    }
}

/// Claims that every server's p99 stayed under the knee's factor: true
/// only if no median went past it at a step the report counts as calm.
const EVERY_P99_STAYED: &[&str] = &[
    "every p99 stayed below",
    "every p99 stayed within",
    "each server's p99 stayed within",
    "each server's p99 stayed below",
    "every server's p99 stayed",
    "el p99 de cada servidor se quedó por debajo",
    "todos los p99 se quedaron por debajo",
];

#[test]
fn no_guide_says_every_p99_stayed_under_the_knee_when_a_median_did_not() {
    let run = published_run();
    let mut past = Vec::new();
    for t in Target::every_studied() {
        let steps = offered_steps(&run, t);
        let (Some(light), Some(calm)) = (steps.first(), calm_up_to(&steps)) else {
            continue;
        };
        let Some(base) = light.p99() else { continue };
        for p in &steps {
            let within = p.offered_pct.is_some_and(|pct| pct <= calm);
            if let (true, Some(p99)) = (within, p.p99()) {
                let times = ratio(&p99, &base).median;
                if times > KNEE {
                    past.push(format!("{} at {:?}%: {times:.1}×", t.name(), p.offered_pct));
                }
            }
        }
    }
    if past.is_empty() {
        return;
    }
    let mut wrong = Vec::new();
    for page in [
        "docs/guide.md",
        "docs/guia.md",
        "README.md",
        "docs/bench.md",
    ] {
        let text = fold(&read_page(page)).to_lowercase();
        for claim in EVERY_P99_STAYED {
            if text.contains(claim) {
                wrong.push(format!(
                    "{page}: {claim:?}, but medians went past {KNEE}×: {past:?}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn ratios_are_read_from_prose_as_written() {
    let text = "carried 1.47× and 1.81× as many; 20 times; 1,47 veces; 5 × 0,5 s; 10× its value; 12,7 veces";
    assert_eq!(ratios(text), ["1.47", "1.81", "1,47", "10", "12,7"]);
    assert_eq!(
        prose("a 1.5×\n```\n9.9× in code\n```\n`2.5×` inline\n<!-- published run: x -->\n3.3×\n<!-- end of the published run: x -->\nb"),
        "a 1.5×\n\n  inline\n\n\n\nb\n"
    );
}
