//! The report's tables, built once and rendered by both the Markdown and the
//! HTML writer. Figures measured in several windows read "median (min-max)".

use super::verdicts::CountVerdict;
use super::{CaseResult, Report};
use crate::stats::{ratio, Spread, Verdict};
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
        .chain(super::cross_show::table(r))
        .chain(super::service_show::table(r))
        .chain([offered_load(r), same_rate(r), idle_memory(r), targets(r)])
        .collect()
}

/// Column heads, as owned text.
pub fn heads(names: &[&str]) -> Vec<String> {
    names.iter().map(|h| h.to_string()).collect()
}

fn ratio_cell(x: Option<f64>) -> String {
    x.map_or("-".into(), |x| format!("{x:.2}"))
}

fn spread(s: Option<Spread>, digits: usize) -> String {
    s.map_or("-".into(), |s| s.show(digits))
}

fn median(s: Option<Spread>, digits: usize) -> String {
    s.map_or("-".into(), |s| format!("{:.digits$}", s.median))
}

fn cases(r: &Report) -> Table {
    let measured = |t: &Target| r.study.cases.iter().any(|c| c.get(*t).is_some());
    let present: Vec<Target> = Target::every().into_iter().filter(measured).collect();
    let ratios = case_ratios();
    let rows = r
        .study
        .cases
        .iter()
        .map(|c: &CaseResult| {
            let v = |t: Target| c.get(t).map_or("-".into(), |v| c.metric.show(v));
            let mut row = vec![
                format!("{} {}", c.group.name(), c.label()),
                c.metric.unit().into(),
            ];
            row.extend(present.iter().map(|&t| v(t)));
            row.extend(ratios.iter().map(|p| ratio_cell(c.ratio(p.a, p.b))));
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
                .filter_map(|t| Some(format!("**{}** ({})", t.prose(), t.mode()?.in_brief())))
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
    let rows = r
        .study
        .sweep
        .iter()
        .map(|p| {
            vec![
                p.connections.to_string(),
                p.target.name().into(),
                spread(p.msgs(), 0),
                spread(p.p50(), 0),
                spread(p.p99(), 0),
                spread(p.p999(), 0),
                spread(p.cpu_per_msg(), 1),
                median(p.system_per_msg(), 1),
                spread(p.switches_per_msg(), 2),
                spread(p.syscalls_per_msg(), 3),
                median(p.rss_mib(), 1),
                median(p.threads(), 0),
                match (p.ramp_s(), p.windows_with_unanswered()) {
                    (Some(s), 0) => median(Some(s), 2),
                    (_, k) => format!("cap ({k})"),
                },
                median(p.starved(), 0),
                median(p.jain(), 3),
                limit_cell(p),
            ]
        })
        .collect();
    let plan = &r.study.plan;
    Table {
        heading: "Connection sweep: closed loop, 64 B echo",
        note: format!(
            "Each cell: median (min-max) of {} windows of {} s, each against a fresh server process, servers \
             interleaved. {} Server CPU, context switches, memory and threads come from its /proc over the \
             window; system calls per message from the server's own count at both edges of the window (each \
             server counts the calls it makes: reads, writes, accepts, socket options, and its waits, \
             `epoll_wait` and `epoll_ctl` or `io_uring_enter`; read with `kill -USR1`; tokio does not count). The sweep stopped at {}. Ramp: seconds until the last connection's first answer (the window \
             opens only then, or at the {} s cap: \"cap (k)\" for k windows with a connection never answered). \
             Starved: connections with no answer in the window. Jain: fairness of answers per connection, 1 when \
             all got the same. Limited by: the client's and server's busy shares (median); **client** marks \
             points where only the load generator was saturated (server figures are then lower bounds). \
             Windows measured again because the machine disturbed them (under {:.0}% of the median of their \
             point's other windows): {}.",
            plan.repeats,
            plan.measure_s,
            r.sweep_placement,
            plan.stopped_by,
            plan.warmup_cap_s,
            crate::point::DISTURBED * 100.0,
            r.study.sweep.iter().map(|p| p.remeasured).sum::<usize>(),
        ),
        headers: heads(&[
            "connections",
            "server",
            "messages/s",
            "p50 µs",
            "p99 µs",
            "p99.9 µs",
            "CPU µs/msg",
            "of which system",
            "switches/msg",
            "syscalls/msg",
            "RSS MiB",
            "threads",
            "ramp s",
            "starved",
            "Jain",
            "busy client / server, limited by",
        ]),
        rows,
    }
}

/// "nonblocking ahead", "blocking ahead" or "no difference beyond noise";
/// where the cross-check measured the count, what it found instead.
pub(super) fn verdict_cell(p: Pair, v: &CountVerdict) -> String {
    if let Some(o) = &v.checked {
        return super::cross_show::outcome_words(p.a, p.b, o);
    }
    match v.verdict {
        Verdict::Higher => format!("{} ahead", p.a.name()),
        Verdict::Lower => format!("{} ahead", p.b.name()),
        Verdict::NoDifference => "no difference beyond noise".into(),
    }
}

fn sweep_ratios(r: &Report) -> Table {
    let sweep = &r.study.sweep;
    let mut counts: Vec<usize> = sweep.iter().map(|p| p.connections).collect();
    counts.dedup();
    // The findings' own verdicts, so that the table and the sentences agree.
    let pairs = sweep_pairs();
    let verdicts: Vec<_> = pairs
        .iter()
        .map(|(p, _)| super::verdicts::checked_verdicts(&r.study, &r.cross_verdicts, *p))
        .collect();
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
    let rows = r
        .study
        .load_steps
        .iter()
        .map(|p| {
            vec![
                p.target.name().into(),
                p.offered_pct.map_or("-".into(), |x| format!("{x:.0}")),
                p.offered_per_s.map_or("-".into(), |x| format!("{x:.0}")),
                spread(p.answered(), 0),
                spread(p.p50(), 0),
                spread(p.p99(), 0),
                spread(p.p999(), 0),
                limit_cell(p),
            ]
        })
        .collect();
    Table {
        heading: "Latency under offered load (open loop)",
        note: format!(
            "{} connections, open loop at a share of each server's own capacity at that count (the median of its \
             sweep windows). Latency is measured from each send's scheduled time, so queueing counts \
             (coordinated-omission corrected). {}",
            r.study.plan.load_connections, r.sweep_placement
        ),
        headers: heads(&[
            "server",
            "offered %",
            "offered msg/s",
            "answered in window msg/s",
            "p50 µs",
            "p99 µs",
            "p99.9 µs",
            "busy client / server, limited by",
        ]),
        rows,
    }
}

fn same_rate(r: &Report) -> Table {
    let rows = r
        .study
        .same_rate
        .iter()
        .map(|p| {
            vec![
                p.target.name().into(),
                p.offered_per_s.map_or("-".into(), |x| format!("{x:.0}")),
                spread(p.user_per_msg(), 2),
                spread(p.system_per_msg(), 2),
                spread(p.cpu_per_msg(), 2),
                spread(p.switches_per_msg(), 2),
                spread(p.syscalls_per_msg(), 3),
                spread(p.p99(), 0),
                limit_cell(p),
            ]
        })
        .collect();
    Table {
        heading: "Efficiency at the same offered rate",
        note: format!(
            "Every server at one rate, {:.0}% of the slowest server's capacity, {} connections: below all their \
             capacities, so CPU and switches per message do not depend on which side saturated.",
            r.study.plan.same_rate_pct, r.study.plan.load_connections
        ),
        headers: heads(&[
            "server",
            "offered msg/s",
            "user µs/msg",
            "system µs/msg",
            "CPU µs/msg",
            "switches/msg",
            "syscalls/msg",
            "p99 µs",
            "busy client / server, limited by",
        ]),
        rows,
    }
}

fn idle_memory(r: &Report) -> Table {
    let mut rows: Vec<Vec<String>> = r
        .study
        .scale
        .iter()
        .map(|p| {
            let per = p.kib_per_connection();
            vec![
                p.target.name().into(),
                p.connections.to_string(),
                format!("{:.1}", p.rss_mib),
                format!("{:.1}", p.baseline_mib),
                format!("{per:.1}"),
            ]
        })
        .collect();
    if let Some(b) = &r.study.bare_threads {
        rows.push(vec![
            "bare std threads (yardstick)".into(),
            b.threads.to_string(),
            format!("{:.1}", b.rss_mib),
            format!("{:.1}", b.baseline_mib),
            format!("{:.1}", b.kib_each()),
        ]);
    }
    Table {
        heading: "Idle connections: server resident memory",
        note: "Each server in its own process; every connection used once, then left idle. The last row is a \
               process of parked threads with the blocking server's 64 KiB stack: what a thread alone costs."
            .into(),
        headers: heads(&[
            "server",
            "connections",
            "RSS MiB",
            "RSS at start MiB",
            "per connection KiB",
        ]),
        rows,
    }
}

fn targets(r: &Report) -> Table {
    let rows = r
        .targets
        .iter()
        .map(|t| {
            let row = super::targets_show::TargetRow::from(t.clone());
            let met = match row.met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "-",
            };
            vec![row.target, row.limit, row.measured, met.into()]
        })
        .collect();
    Table {
        heading: "Targets",
        note: "The project's performance targets, judged on this run (no verdict in --test mode); each names the \
               limit it divides by."
            .into(),
        headers: heads(&["target", "divided by", "measured", "met"]),
        rows,
    }
}

#[cfg(test)]
#[path = "tables_tests.rs"]
mod tests;
