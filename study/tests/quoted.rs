//! Every figure the README and the guides quote from the published run, in
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
//! Why one file over 400 lines: it is one table of 64 rows (rustfmt gives
//! each row five lines) and the small resolver that reads it; split, the
//! table would only move away from the keys it uses.

use std::path::Path;

use sockmodes_models::IoMode;
use sockmodes_study::affinity::Placement;
use sockmodes_study::driver::Driver;
use sockmodes_study::report::publish::{self, number, Lang};
use sockmodes_study::report::Report;
use sockmodes_study::stats::{ratio, Spread};
use sockmodes_study::sweep::{find, Point, Step};
use sockmodes_study::target::Target;

/// (page, text with `{}` for the figure, key, decimals).
const QUOTED: &[(&str, &str, &str, usize)] = &[
    // README, after the sweep table.
    (
        "README.md",
        "10 connections ({}x for the event loop)",
        "ratio/nonblocking/blocking/10",
        2,
    ),
    (
        "README.md",
        "and at 10,000 ({}x); at 1",
        "ratio/nonblocking/blocking/10000",
        2,
    ),
    (
        "README.md",
        "(at 1,000 unpinned, {} against",
        "cross/blocking/1000/nonblocking/unpinned/msgs",
        0,
    ),
    (
        "README.md",
        "against {} msg/s)",
        "cross/nonblocking/1000/nonblocking/unpinned/msgs",
        0,
    ),
    (
        "README.md",
        "noise\n({} against 81,763 msg/s)",
        "cross/blocking/1000/blocking/unpinned/msgs",
        0,
    ),
    (
        "README.md",
        "against {} msg/s). On one machine",
        "cross/nonblocking/1000/blocking/unpinned/msgs",
        0,
    ),
    (
        "README.md",
        "It ran {} threads",
        "sweep/blocking/10000/threads",
        0,
    ),
    (
        "README.md",
        "threads\n(median) in {} MiB with 0.91",
        "sweep/blocking/10000/rss_mib",
        1,
    ),
    (
        "README.md",
        "with {} context switches per message; where every",
        "sweep/blocking/10000/switches",
        2,
    ),
    (
        "README.md",
        "came after {} s\n(median)",
        "sweep/blocking/10000/ramp_s",
        2,
    ),
    (
        "README.md",
        "all 10,000 within {} s with 4 threads",
        "sweep/nonblocking/10000/ramp_s",
        2,
    ),
    (
        "README.md",
        "with 4 threads\nin {} MiB. The",
        "sweep/nonblocking/10000/rss_mib",
        1,
    ),
    (
        "README.md",
        "at 10,000 ({}x), though",
        "ratio/completion/nonblocking/10000",
        2,
    ),
    (
        "README.md",
        "made {} system calls per message against 2.007",
        "sweep/completion/10000/syscalls",
        3,
    ),
    (
        "README.md",
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
        "rises with connections ({}/s at 10,",
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
        "two ({} against 2.108 at 1,000 connections)",
        "sweep/completion/1000/syscalls",
        3,
    ),
    (
        "docs/guide.md",
        "(0.104 against {} at 1,000 connections)",
        "sweep/nonblocking/1000/syscalls",
        3,
    ),
    (
        "docs/guide.md",
        "at 10,000 connections, {} against 110,116/s",
        "sweep/completion/10000/msgs",
        0,
    ),
    (
        "docs/guide.md",
        "98,095 against {}/s; at",
        "sweep/nonblocking/10000/msgs",
        0,
    ),
    (
        "docs/guide.md",
        "1 MiB frames: {} against 1,340 MB/s",
        "case_mb/sink 1 MiB frames/completion",
        0,
    ),
    (
        "docs/guide.md",
        "842 against {} MB/s",
        "case_mb/sink 1 MiB frames/nonblocking",
        0,
    ),
    (
        "docs/guide.md",
        "its p99 was {} µs against 120,447 µs",
        "sweep/tokio/10000/p99_us",
        0,
    ),
    (
        "docs/guide.md",
        "923,135 µs against {} µs.",
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
        "(the sweep measures 0.91 to {} at every count)",
        "sweep/blocking/10/switches",
        2,
    ),
    (
        "docs/guide.md",
        "first rise ({}/s at 10 connections",
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
        "({}/s against 17,681/s, ranges",
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
        "from {} ms (completion) to",
        "offered/completion/10/p99_ms",
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
        "completion server, as {} for the event loop",
        "sweep/nonblocking/10000/jain",
        3,
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
        other => panic!("no point figure {other}"),
    }
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

/// The figure `key` of the run, e.g. `sweep/blocking/1000/msgs`,
/// `sweep/blocking/1000/p99_ms.max`, `ratio/nonblocking/blocking/10`,
/// `scale/blocking/10000/kib_each`, `bare/kib_each`,
/// `case/echo 16 B/raw`, `offered/blocking/10/p99_ms.min`,
/// `cross/blocking/100/nonblocking/unpinned/msgs`, `elapsed_s`.
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
            let engine: IoMode = engine.parse().ok()?;
            let placement = match *placement {
                "split" => Placement::Split,
                "unpinned" => Placement::Unpinned,
                other => panic!("no placement {other}"),
            };
            let d = Driver { engine, placement };
            let c = s.cross_check.iter().find(|c| {
                c.driver == d && c.point.target == target(t) && c.point.connections == n
            })?;
            Some(pick(of_point(&c.point, &name)?, stat.as_deref()))
        }
        ["elapsed_s"] => s.elapsed_s,
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
        let expected = text.replace("{}", &number(value, decimals, lang));
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
