//! The report's tables, built once and rendered by both the Markdown and the
//! HTML writer, from the measurements and their analysis (verdicts,
//! targets, the cross-check, the service-work ceilings), never judging
//! anything themselves. Figures measured in several windows read "median
//! (min-max)".

use std::collections::BTreeSet;

use super::batching::Batch;
use super::cases::CaseResult;
use super::cross::{
    self, cause_words, evidence_words, outcome_words, CellVerdict, CrossVerdict, Evidence, Outcome,
};
use super::lang::{median, spread, Lang};
use super::run::Report;
use super::service;
use super::targets::TargetRow;
use super::verdicts::CountVerdict;
use crate::affinity::{Placement, BUDGET_CPUS};
use crate::stats::{ratio, Spread};
use crate::sweep::{Limit, Point};
use crate::target::{case_ratios, sweep_pairs, Pair, Target};

/// One table: a heading, a sentence saying how to read it, and cells.
pub struct Table {
    pub heading: &'static str,
    pub note: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Every table of the report, in order.
pub fn all(r: &Report) -> Vec<Table> {
    vec![cases(r), sweep(r), sweep_ratios(r)]
        .into_iter()
        .chain(cross_check(r))
        .chain(service_work(r))
        .chain([offered_load(r), same_rate(r), idle_memory(r), targets(r)])
        .collect()
}

/// The connection counts of `points`, in their order, each once.
pub fn counts(points: &[Point]) -> Vec<usize> {
    let mut counts: Vec<usize> = points.iter().map(|p| p.connections).collect();
    counts.dedup();
    counts
}

fn whole(x: Option<f64>) -> String {
    x.map_or("-".into(), |x| format!("{x:.0}"))
}

/// A column of a table of `T`s: its head, and its cell of a `T`.
type Column<T> = (&'static str, fn(&T) -> String);

/// A table of one row per item, a cell per column.
fn of_rows<'a, T: 'a>(
    heading: &'static str,
    note: String,
    items: impl IntoIterator<Item = &'a T>,
    columns: &[Column<T>],
) -> Table {
    Table {
        heading,
        note,
        headers: columns.iter().map(|c| c.0.to_string()).collect(),
        rows: items
            .into_iter()
            .map(|p| columns.iter().map(|c| c.1(p)).collect())
            .collect(),
    }
}

/// The columns several tables of points share.
const SERVER: Column<Point> = ("server", |p| p.target.name().into());
const P99: Column<Point> = ("p99 µs", |p| spread(p.p99(), 0));
const SYSCALLS: Column<Point> = ("syscalls/msg", |p| spread(p.syscalls_per_msg(), 3));
const LIMITED_BY: Column<Point> = ("busy client / server, limited by", limit_cell);

fn cases(r: &Report) -> Table {
    let cases = &r.study.cases;
    let measured = |t: &Target| cases.iter().any(|c| c.get(*t).is_some());
    let present: Vec<Target> = Target::every().into_iter().filter(measured).collect();
    let ratios = case_ratios();
    let rows = cases
        .iter()
        .map(|c: &CaseResult| {
            let v = |t: Target| c.get(t).map_or("-".into(), |v| c.metric.show(v));
            let case = format!("{} {}", c.group.name(), c.label());
            let mut row = vec![case, c.metric.unit().into()];
            row.extend(present.iter().map(|&t| v(t)));
            let ratio = |p: &Pair| c.ratio(p.a, p.b).map_or("-".into(), |x| format!("{x:.2}"));
            row.extend(ratios.iter().map(ratio));
            row
        })
        .collect();
    Table {
        heading: "Latency and throughput (criterion)",
        note: format!(
            "One connection per case, the same client against every server: {}, **raw** (the least a server can \
             do: told each message's size; its sink computes the same CRC-32 as ours) and **tokio**. {} Latency \
             ratios below 1 are faster; throughput ratios above 1 are faster.",
            Target::every_model()
                .iter()
                .filter_map(|t| Some(format!("**{}** ({})", t.prose(), t.model()?.in_brief())))
                .collect::<Vec<_>>()
                .join(", "),
            r.criterion_placement
        ),
        headers: ["case", "unit"]
            .into_iter()
            .chain(present.iter().map(|t| t.name()))
            .map(String::from)
            .chain(ratios.iter().map(|p| p.ratio_head()))
            .collect(),
        rows,
    }
}

/// The limiting side, as a cell.
fn limit_cell(p: &Point) -> String {
    let pct = |s: Option<Spread>| s.map_or("-".into(), |s| format!("{:.0}%", s.median * 100.0));
    let both = format!("{} / {}", pct(p.client_busy()), pct(p.server_busy()));
    match p.limit() {
        Some(Limit::Client) => format!("{both} **client**"),
        Some(Limit::Both) => format!("{both} both"),
        Some(Limit::Server) => format!("{both} server"),
        None => both,
    }
}

fn sweep(r: &Report) -> Table {
    let plan = &r.study.plan;
    let note = format!(
        "Each cell: median (min-max) of {} windows of {} s, each against a fresh server process, servers \
         interleaved. {} Server CPU, context switches, memory and threads come from its /proc over the \
         window; system calls per message from the server's own count at both edges of the window (each \
         server counts the calls it makes: reads, writes, accepts, socket options, and its waits, \
         `epoll_wait` and `epoll_ctl` or `io_uring_enter`; tokio counts the same \
         but not its runtime's own `epoll_wait` and wake-ups; read with `kill -USR1`). The sweep stopped at {}. Ramp: seconds until the last connection's first answer (the window \
         opens only then, or at the {} s cap: \"cap (k)\" for k windows with a connection never answered). \
         Starved: connections with no answer in the window. Jain: fairness of answers per connection, 1 when \
         all got the same. Limited by: the client's and server's busy shares (median); **client** marks \
         points where only the load generator was saturated (server figures are then lower bounds). \
         Windows measured again because the machine disturbed them (under {:.0}% of the median of their \
         point's other windows): {}.{}",
        plan.repeats,
        plan.measure_s,
        r.sweep_placement,
        plan.stopped_by,
        plan.warmup_cap_s,
        crate::point::DISTURBED * 100.0,
        r.study.sweep.iter().map(|p| p.remeasured).sum::<usize>(),
        late_words(r.study.sweep.iter()),
    );
    of_rows(
        "Connection sweep: closed loop, 64 B echo",
        note,
        &r.study.sweep,
        &[
            ("connections", |p| p.connections.to_string()),
            SERVER,
            ("messages/s", |p| spread(p.msgs(), 0)),
            ("p50 µs", |p| spread(p.p50(), 0)),
            P99,
            ("p99.9 µs", |p| spread(p.p999(), 0)),
            ("CPU µs/msg", |p| spread(p.cpu_per_msg(), 1)),
            ("of which system", |p| median(p.system_per_msg(), 1)),
            ("switches/msg", |p| spread(p.switches_per_msg(), 2)),
            SYSCALLS,
            ("RSS MiB", |p| median(p.rss_mib(), 1)),
            ("threads", |p| median(p.threads(), 0)),
            ("ramp s", |p| {
                match (p.ramp_s(), p.windows_with_unanswered()) {
                    (Some(s), 0) => median(Some(s), 2),
                    (_, k) => format!("cap ({k})"),
                }
            }),
            ("starved", |p| median(p.starved(), 0)),
            ("Jain", |p| median(p.jain(), 3)),
            LIMITED_BY,
        ],
    )
}

/// "nonblocking ahead", "blocking ahead" or "no difference beyond noise";
/// where the cross-check measured the count, what it found instead.
pub fn verdict_cell(p: Pair, v: &CountVerdict) -> String {
    match &v.checked {
        Some(o) => outcome_words(p.a, p.b, o),
        None => evidence_words(p.a, p.b, Evidence::Verdict(v.verdict)),
    }
}

fn sweep_ratios(r: &Report) -> Table {
    let counts = counts(&r.study.sweep);
    // The findings' own verdicts, so that the table and the sentences agree.
    let pairs = sweep_pairs();
    let verdicts: Vec<_> = pairs.iter().map(|(p, _)| r.analysis.verdicts(*p)).collect();
    let rows = counts
        .iter()
        .map(|&n| {
            let mut row = vec![n.to_string()];
            for ((p, _), vs) in pairs.iter().zip(&verdicts) {
                match vs.iter().find(|v| v.connections == n) {
                    Some(v) => row.extend([ratio(&v.a, &v.b).show(2), verdict_cell(*p, v)]),
                    None => row.extend(["-".to_string(), "-".to_string()]),
                }
            }
            row
        })
        .collect();
    Table {
        heading: "Connection sweep: who carried more, beyond noise",
        note: format!(
            "Ratios of medians, with the range the windows allow (min/max to max/min). A server is \"ahead\" only \
             where its windows rank above the other's beyond chance (exact rank test, {:.0}%) and its median is at \
             least {:.2}x the other's, more than a ratio drifted between runs of this machine. At the counts the \
             cross-check measured, the verdict is its own: \"with every client\" or \"depends on the client\"; \
             elsewhere it rests on the sweep's driver alone (the nonblocking client, split placement).",
            crate::stats::ALPHA * 100.0,
            crate::stats::MIN_EFFECT
        ),
        headers: std::iter::once("connections".to_string())
            .chain(pairs.iter().flat_map(|(ratio, verdict)| {
                [
                    format!("{} messages/s", ratio.ratio_head()),
                    verdict.verdict_head(),
                ]
            }))
            .collect(),
        rows,
    }
}

fn offered_load(r: &Report) -> Table {
    of_rows(
        "Latency under offered load (open loop)",
        format!(
            "{} connections, open loop at a share of each server's own capacity at that count (the median of its \
             sweep windows). Latency is measured from each send's scheduled time, so queueing counts \
             (coordinated-omission corrected). {}{}",
            r.study.plan.load_connections,
            r.sweep_placement,
            late_words(r.study.load_steps.iter()),
        ),
        &r.study.load_steps,
        &[
            SERVER,
            ("offered %", |p| whole(p.offered_pct)),
            ("offered msg/s", |p| whole(p.offered_per_s)),
            ("answered in window msg/s", |p| spread(p.answered(), 0)),
            ("p50 µs", |p| spread(p.p50(), 0)),
            P99,
            ("p99.9 µs", |p| spread(p.p999(), 0)),
            LIMITED_BY,
        ],
    )
}

fn same_rate(r: &Report) -> Table {
    of_rows(
        "Efficiency at the same offered rate",
        format!(
            "Every server at one rate, {:.0}% of the slowest server's capacity, {} connections: below all their \
             capacities, so CPU and switches per message do not depend on which side saturated.{}",
            r.study.plan.same_rate_pct,
            r.study.plan.load_connections,
            late_words(r.study.same_rate.iter()),
        ),
        &r.study.same_rate,
        &[
            SERVER,
            ("offered msg/s", |p| whole(p.offered_per_s)),
            ("user µs/msg", |p| spread(p.user_per_msg(), 2)),
            ("system µs/msg", |p| spread(p.system_per_msg(), 2)),
            ("CPU µs/msg", |p| spread(p.cpu_per_msg(), 2)),
            ("switches/msg", |p| spread(p.switches_per_msg(), 2)),
            SYSCALLS,
            P99,
            LIMITED_BY,
        ],
    )
}

fn idle_memory(r: &Report) -> Table {
    // (server, connections, RSS, RSS at start, KiB per connection).
    let scale = r.study.scale.iter().map(|p| {
        let (name, per) = (p.target.name(), p.kib_per_connection());
        (name, p.connections, p.rss_mib, p.baseline_mib, per)
    });
    let bare = r.study.bare_threads.iter().map(|b| {
        let name = "bare std threads (yardstick)";
        (name, b.threads, b.rss_mib, b.baseline_mib, b.kib_each())
    });
    of_rows(
        "Idle connections: server resident memory",
        "Each server in its own process; every connection used once, then left idle. The last row is a \
         process of parked threads with the blocking server's 64 KiB stack: what a thread alone costs."
            .into(),
        &scale.chain(bare).collect::<Vec<_>>(),
        &[
            ("server", |m| m.0.into()),
            ("connections", |m| m.1.to_string()),
            ("RSS MiB", |m| format!("{:.1}", m.2)),
            ("RSS at start MiB", |m| format!("{:.1}", m.3)),
            ("per connection KiB", |m| format!("{:.1}", m.4)),
        ],
    )
}

fn targets(r: &Report) -> Table {
    of_rows(
        "Targets",
        "The project's performance targets, judged on this run (no verdict in --test mode); each names the \
         limit it divides by."
            .into(),
        &r.analysis.targets.iter().map(|t| TargetRow::from(t.clone())).collect::<Vec<_>>(),
        &[
            ("target", |t| t.target.clone()),
            ("divided by", |t| t.limit.clone()),
            ("measured", |t| t.measured.clone()),
            ("met", |t| match t.met {
                Some(true) => "yes".into(),
                Some(false) => "**no**".into(),
                None => "-".into(),
            }),
        ],
    )
}

/// One row of the cross-check table; with the batching column where the
/// run counted its servers' wake-ups (`batched`).
fn cell_row(v: &CrossVerdict, c: &CellVerdict, first: bool, batched: bool) -> Vec<String> {
    let r = spread(c.a.zip(c.b).map(|(a, b)| ratio(&a, &b)), 2);
    let batch = |b: &Option<Batch>| b.as_ref().map_or("-".into(), Batch::show);
    let batching = batched.then(|| format!("{} / {}", batch(&c.a_batch), batch(&c.b_batch)));
    let mut verdict = outcome_words(v.a, v.b, &v.outcome);
    if let Outcome::DependsOnClient(cause) = &v.outcome {
        verdict.push_str(&format!(": {}", cause_words(cause, true)));
    }
    // A cell's evidence in words; held to a CPU budget, with the share of
    // it the servers used (the lower of the two): server-bound is shown.
    let mut evidence = evidence_words(v.a, v.b, c.evidence);
    if let Some(used) = c.budget_used {
        evidence += &format!(" (servers at {:.0}%+ of their budget)", used * 100.0);
    }
    // The count, the servers and the verdict are said on the pair's first row.
    let once = |s: String| if first { s } else { String::new() };
    [
        once(v.connections.to_string()),
        once(format!("{} vs {}", v.a.name(), v.b.name())),
        c.driver.engine.name().into(),
        c.driver.placement.name().into(),
        spread(c.a, 0),
        spread(c.b, 0),
        r,
        c.client_busy
            .map_or("-".into(), |b| format!("{:.0}%", b * 100.0)),
    ]
    .into_iter()
    .chain(batching)
    .chain([evidence, once(verdict)])
    .collect()
}

/// A note's sentence on the server readings left out because they came
/// late (`point::LATE_SHARE`) or never came, and where; none where every
/// reading came in time.
fn late_words<'a>(points: impl Iterator<Item = &'a Point>) -> String {
    let mut at: Vec<(&str, usize, usize)> = Vec::new();
    let mut worst_ms: f64 = 0.0;
    for p in points {
        let late = p.windows.iter().filter(|w| !w.late.is_empty());
        let n = late.clone().count();
        if n == 0 {
            continue;
        }
        worst_ms = late
            .flat_map(|w| &w.late)
            .filter_map(|l| l.late_ms)
            .fold(worst_ms, f64::max);
        let (name, c) = (p.target.name(), p.connections);
        match at.iter_mut().find(|at| (at.0, at.1) == (name, c)) {
            Some((_, _, windows)) => *windows += n,
            None => at.push((name, c, n)),
        }
    }
    if at.is_empty() {
        return String::new();
    }
    let windows: usize = at.iter().map(|&(_, _, n)| n).sum();
    let places: Vec<String> = at
        .iter()
        .map(|(name, c, n)| {
            let s = if *c == 1 { "" } else { "s" };
            format!("{name} at {c} connection{s}: {n}")
        })
        .collect();
    format!(
        " In {windows} window{} a reading of the server (its /proc, or its counters line) came more than {:.0}% of \
         the window after its edge, or never came ({}){}: such a window's server figures are left out, not \
         guessed, and the medians beside them rest on the point's other windows.",
        if windows == 1 { "" } else { "s" },
        crate::point::LATE_SHARE * 100.0,
        places.join("; "),
        if worst_ms > 0.0 {
            format!("; the latest came {worst_ms:.0} ms after its edge")
        } else {
            String::new()
        },
    )
}

/// The cross-check's placements, as its note names them.
fn placement_words(p: Placement, budget: Option<f64>) -> String {
    match p {
        Placement::SameCore => "`same-core` (client and server on one core)".into(),
        Placement::Split => "`split` (client and server on cores of their own, the sweep's)".into(),
        Placement::Unpinned => {
            "`unpinned` (every core for both, the scheduler's choice, what a user gets)".into()
        }
        Placement::Budget => {
            let f = budget.unwrap_or(BUDGET_CPUS);
            format!(
                "`budget` (unpinned, each server held to {f} core of CPU by `server --cpus {f}`, a cgroup's CFS \
                 quota, so that the server, not the client, is the bottleneck)"
            )
        }
    }
}

/// The placements the cross-check's cells were measured in, in order.
fn measured_placements(r: &Report) -> Vec<Placement> {
    let placements: BTreeSet<Placement> = r
        .study
        .cross_check
        .iter()
        .map(|c| c.driver.placement)
        .collect();
    placements.into_iter().collect()
}

/// The cross-check table's note: how its cells were measured and judged,
/// and the placements of the plan this machine could not measure.
fn cross_note(r: &Report) -> String {
    let plan = &r.study.plan;
    let placements = measured_placements(r);
    let budget = r.study.cross_check.iter().find_map(|c| c.point.budget_cpus);
    let sat = crate::point::SATURATED * 100.0;
    let mut note = if placements == [Placement::Split, Placement::Unpinned] {
        format!(
            "On one machine the load generator shares the cores with the server, so every figure is of the pair. \
             Here every server is driven by every client engine (`sockmodes load --mode ENGINE`) in both \
             placements: `split` (client and server on cores of their own, the sweep's) and `unpinned` (every core \
             for both, the scheduler's choice, what a user gets). Each cell: median (min-max) messages/s over {} \
             windows (the sweep's own cells: {} s each; the others: {} s), servers interleaved, closed-loop 64 B echo. \
             A comparison is a verdict about the servers only where every driver whose client was not saturated \
             (busy at most {sat:.0}%) gives the same verdict by the noise rule, in both placements; otherwise it \
             \"depends on the client\", with the likely cause. A cell with a saturated client, or under {} windows, \
             is no evidence, not a tie.",
            plan.repeats,
            plan.measure_s,
            plan.cross_measure_s,
            cross::MIN_WINDOWS,
        )
    } else {
        let named: Vec<String> = placements
            .iter()
            .map(|&p| placement_words(p, budget))
            .collect();
        let sweeps = placements.iter().any(|p| p.may_be_the_sweeps());
        format!(
            "On one machine the load generator shares the cores with the server, so every figure is of the pair. \
             Here every server is driven by every client engine (`sockmodes load --mode ENGINE`) in each \
             placement: {}. Each cell: median (min-max) messages/s over {} windows of {} s{}, servers interleaved, \
             closed-loop 64 B echo. A comparison is a verdict about the servers only where every cell with evidence \
             gives the same verdict by the noise rule and every placement has such a cell; otherwise it \
             \"depends on the client\", with the likely cause, or has no verdict. A cell is no evidence, not a tie, \
             where the client was saturated (busy over {sat:.0}%), where a side has under {} windows, or, held to a \
             budget, where a server used under {sat:.0}% of it (the share is shown beside the cell's evidence).",
            named.join(", "),
            plan.repeats,
            plan.cross_measure_s,
            if sweeps {
                format!(" (the sweep's own cells: {} s)", plan.measure_s)
            } else {
                String::new()
            },
            cross::MIN_WINDOWS,
        )
    };
    if budget.is_some() {
        note += " Latency: every p50/p99 of this report comes from points without a budget (the sweep, the \
                 offered-load and same-rate steps, service work); a budget cell's p99 is the CFS period's throttling \
                 (a server that spent its quota waits for the next period), not the server's, and is shown nowhere.";
    }
    note += &late_words(r.study.cross_check.iter().map(|c| &c.point));
    for s in &r.study.cross_skipped {
        let why = s.why.trim_end_matches('.');
        note += &format!(
            " Placement `{}` was not measured: {why}.",
            s.placement.name()
        );
    }
    note
}

/// The cross-check table: one row per pair, count and driver.
fn cross_check(r: &Report) -> Option<Table> {
    let verdicts = &r.analysis.cross_verdicts;
    if verdicts.is_empty() {
        return None;
    }
    let batched = verdicts
        .iter()
        .flat_map(|v| &v.cells)
        .any(|c| c.a_batch.is_some() || c.b_batch.is_some());
    let rows = verdicts
        .iter()
        .flat_map(|v| {
            v.cells
                .iter()
                .enumerate()
                .map(move |(i, c)| cell_row(v, c, i == 0, batched))
        })
        .collect();
    let batching_note = if batched {
        " Batching (a / b): how much each server batched in the cell, its own count: messages answered per \
         wake-up (a `poll` that returned events, the ring's turn with completions), with the events or completions \
         each wake-up found; a thread per connection and tokio count no wake-up, so their figure is their context \
         switches per message (`/proc`). Where the verdict depends on the client, the cause measured \
         is the server whose batching differed beyond noise between two drivers that disagree, else whose CPU per \
         message did."
    } else {
        ""
    };
    let headers = [
        "connections",
        "servers (a vs b)",
        "client engine",
        "placement",
        "a messages/s",
        "b messages/s",
        "a/b",
        "client busy",
    ]
    .into_iter()
    .chain(batched.then_some("batching (a / b)"))
    .chain(["this driver", "verdict"])
    .map(String::from)
    .collect();
    Some(Table {
        heading: if measured_placements(r) == [Placement::Split, Placement::Unpinned] {
            "Cross-check: every client engine, both placements"
        } else {
            "Cross-check: every client engine, every placement"
        },
        note: format!("{}{batching_note}", cross_note(r)),
        headers,
        rows,
    })
}

/// The report's table: one row per case and setup.
fn service_work(r: &Report) -> Option<Table> {
    let cases = &r.analysis.service;
    let first = cases.first()?.figures.first()?;
    // (work, figure, point) of every setup.
    let setups = cases.iter().flat_map(|c| {
        let f = c.figures.iter();
        f.map(move |f| (c.work, f, f.point(&r.study)))
    });
    let setups: Vec<_> = setups.collect();
    let note = format!(
        "Every message carries work: `cpu` computes, `block` sleeps in a system call (a synchronous database \
         client), `wait` arms a timer (an awaited one). Each server serves it inline, on a pool (`--offload`) where \
         it has one, or its own way (a thread per connection; tokio: `spawn_blocking` and its timer), closed loop \
         at {} connections. The ceiling is Little's law from the setup alone: concurrency / time per message, \
         and the server's cores / CPU per message; \"of ceiling\" is measured / ceiling, and a figure over it is a \
         bug. \"cores / CPU per msg\" is a second, measured ceiling: the server's cores over the CPU it spent per \
         message in the window (the work's and the I/O's): a setup near it is bound by its CPU, whatever Little's \
         law allows. \"of the lower ceiling\" is the median over the lower of the two ceilings, named.{}",
        service::n(first.point(&r.study).map_or(0, |p| p.connections) as f64),
        late_words(r.study.service.iter()),
    );
    Some(of_rows(
        "Service work: which model for a service that does work",
        note,
        &setups,
        &[
            ("work", |s| format!("`{}`", s.0)),
            ("server", |s| s.1.who.target.name().into()),
            ("how the work runs", |s| {
                service::how(s.1.who.concurrency, Lang::En)
            }),
            ("messages/s", |s| s.1.msgs.show(0)),
            ("ceiling msg/s", |s| service::n(s.1.ceiling)),
            ("of ceiling", |s| s.1.of_ceiling().show(2)),
            ("cores / CPU per msg", |s| {
                s.1.cpu_ceiling.map_or("-".into(), service::n)
            }),
            ("of the lower ceiling", |s| service::of_bound(s.1, Lang::En)),
            ("p99 ms", |s| {
                spread(s.2.and_then(Point::p99).map(|s| s.scaled(1000.0)), 1)
            }),
            ("threads", |s| spread(s.2.and_then(Point::threads), 0)),
            ("RSS MiB", |s| spread(s.2.and_then(Point::rss_mib), 1)),
            ("client busy %", |s| {
                spread(s.2.and_then(Point::client_busy).map(|s| s.scaled(0.01)), 0)
            }),
            ("saturated", |s| limit(s.2).into()),
        ],
    ))
}

/// Which side a setup's point was limited by, as a cell.
fn limit(p: Option<&Point>) -> &'static str {
    match p.and_then(Point::limit) {
        Some(Limit::Client) => "client",
        Some(Limit::Server) => "server",
        Some(Limit::Both) => "both",
        None => "-",
    }
}

#[cfg(test)]
mod tests {

    use super::super::fixture;
    use super::*;

    #[test]
    fn a_sweep_row_shows_spreads_and_a_client_bound_point_is_marked() {
        let mut r = fixture::report();
        for w in &mut r.study.sweep[0].windows {
            w.load.client_cpu_utilization = Some(0.95);
        }
        let t = sweep(&r);
        let row = &t.rows[0];
        assert_eq!(row[0], "1");
        assert_eq!(row[1], "blocking");
        assert_eq!(row[2], "21000 (20000-22000)");
        assert!(row.last().unwrap().ends_with("**client**"), "{row:?}");
        assert_eq!(t.headers.len(), row.len());
        let calls = t.headers.iter().position(|h| *h == "syscalls/msg").unwrap();
        assert_eq!(row[calls], "2.000 (2.000-2.000)");
        let ratios = sweep_ratios(&r);
        let at_100 = ratios.rows.iter().find(|r| r[0] == "100").unwrap();
        assert_eq!(
            at_100[2], "nonblocking ahead with every unsaturated client",
            "cross-checked"
        );
        let at_1 = &ratios.rows[0];
        assert_eq!(at_1[2], "no difference beyond noise");
    }

    #[test]
    fn the_cross_check_shows_batching_only_where_the_servers_counted_it() {
        // The fixture's servers counted their wake-ups.
        let r = fixture::report();
        let t = cross_check(&r).expect("a cross-check");
        let col = t.headers.iter().position(|h| h == "batching (a / b)");
        let col = col.expect("a batching column");
        assert!(t.rows.iter().all(|row| row.len() == t.headers.len()));
        // blocking vs nonblocking with the sweep's driver: the thread per
        // connection's switches, the loop's own count.
        assert_eq!(
            t.rows[0][col],
            "0.50 (0.50-0.50) switches/msg / 9.0 (8.6-9.3) msg/wake-up, 13.5 (13.0-13.9) events"
        );
        let verdict = t
            .rows
            .iter()
            .map(|row| row.last().unwrap())
            .find(|v| v.contains("depends"));
        let verdict = verdict.expect("a verdict that depends on the client");
        assert!(
            verdict.contains("the completion server answered 9.0 messages per wake-up"),
            "{verdict}"
        );
        // A run before the count: the table as it was.
        let mut study = r.study.clone();
        for c in &mut study.cross_check {
            for w in &mut c.point.windows {
                let cost = w.cost.as_mut().expect("a cost");
                (cost.msgs_per_wakeup, cost.events_per_wakeup) = (None, None);
            }
        }
        let before = cross_check(&fixture::report_of(study)).expect("a cross-check");
        assert!(!before.headers.iter().any(|h| h.starts_with("batching")));
        assert!(!before.note.contains("Batching"));
    }

    #[test]
    fn a_late_reading_is_said_in_the_note_and_none_says_nothing() {
        use crate::point::{LateReading, ReadingSource};
        use sockmodes_loadgen::WindowEdge;
        let mut r = fixture::report();
        let quiet = all(&r);
        assert!(quiet.iter().all(|t| !t.note.contains("came more than")));
        let w = &mut r.study.sweep[0].windows[0];
        w.cost = None;
        w.late.push(LateReading {
            source: ReadingSource::Proc,
            edge: WindowEdge::Start,
            late_ms: Some(712.4),
        });
        let sweep = all(&r).remove(1);
        assert!(
            sweep.note.contains(
                "In 1 window a reading of the server (its /proc, or its counters line) came more than 10% of \
                 the window after its edge, or never came (blocking at 1 connection: 1); the latest came \
                 712 ms after its edge"
            ),
            "{}",
            sweep.note
        );
    }
}
