//! The report's tables, built once and rendered by both the Markdown and the
//! HTML writer.

use super::{CaseResult, Report, COLUMNS};
use crate::support::servers::Target;
use crate::support::sweep::{find, Point};

/// One table: a heading, a sentence saying how to read it, and cells.
pub struct Table {
    pub heading: &'static str,
    pub note: String,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

/// Every table of the report, in order.
pub fn all(r: &Report<'_>) -> Vec<Table> {
    vec![
        cases(r),
        sweep(r),
        sweep_ratios(r),
        offered_load(r),
        idle_memory(r),
        targets(r),
    ]
}

fn ratio(x: Option<f64>) -> String {
    x.map_or("-".into(), |x| format!("{x:.2}"))
}

fn opt(x: Option<f64>, digits: usize) -> String {
    x.map_or("-".into(), |x| format!("{x:.digits$}"))
}

fn cases(r: &Report<'_>) -> Table {
    let rows = r
        .cases
        .iter()
        .map(|c: &CaseResult| {
            let v = |t: Target| c.get(t).map_or("-".into(), |v| c.metric.show(v));
            let mut row = vec![format!("{} {}", c.group, c.case), c.metric.unit().into()];
            row.extend(COLUMNS.iter().map(|&t| v(t)));
            row.extend([
                ratio(c.ratio(Target::NonBlocking, Target::Blocking)),
                ratio(c.ratio(Target::Blocking, Target::Raw)),
                ratio(c.ratio(Target::NonBlocking, Target::Raw)),
                ratio(c.ratio(Target::Tokio, Target::Raw)),
            ]);
            row
        })
        .collect();
    Table {
        heading: "Latency and throughput (criterion)",
        note: format!(
            "One connection per case, the same client against four servers: **blocking** (std, thread per \
             connection), **non-blocking** (mio), **raw** (the least a server can do: see below) and **tokio**. {} \
             Latency ratios below 1 are faster; throughput ratios above 1 are faster.",
            r.criterion_placement
        ),
        headers: vec![
            "case",
            "unit",
            "blocking",
            "non-blocking",
            "raw",
            "tokio",
            "nb/b",
            "b/raw",
            "nb/raw",
            "tokio/raw",
        ],
        rows,
    }
}

/// Cost columns of a point: user µs, system µs, switches per message,
/// RSS and threads.
fn cost_cells(p: &Point) -> [String; 5] {
    match &p.cost {
        Some(c) => [
            format!("{:.1}", c.user_us_per_msg),
            format!("{:.1}", c.system_us_per_msg),
            format!("{:.2}", c.switches_per_msg),
            format!("{:.1}", c.rss_mib),
            c.threads.to_string(),
        ],
        None => std::array::from_fn(|_| "-".to_string()),
    }
}

/// Client and server busy shares, and which side limited the point.
fn busy_cell(p: &Point) -> String {
    let pct = |x: Option<f64>| opt(x.map(|u| u * 100.0), 0);
    let both = format!(
        "{}% / {}%",
        pct(p.client_cpu_utilization),
        pct(p.server_busy())
    );
    match p.limited_by() {
        Some("client") => format!("{both} **client-bound**"),
        Some("both") => format!("{both} (both saturated)"),
        Some(_) => format!("{both} (server-bound)"),
        None => both,
    }
}

fn sweep(r: &Report<'_>) -> Table {
    let rows = r
        .sweep
        .iter()
        .map(|p| {
            let mut row = vec![
                p.connections.to_string(),
                p.server.clone(),
                format!("{:.0}", p.messages_per_s),
                format!("{:.0}", p.p50_us),
                format!("{:.0}", p.p99_us),
                format!("{:.0}", p.p999_us),
            ];
            row.extend(cost_cells(p));
            row.extend([
                opt(p.ramp_ms.map(|ms| ms / 1000.0), 2),
                p.starved.to_string(),
                opt(p.jain_index, 3),
            ]);
            row.push(busy_cell(p));
            row
        })
        .collect();
    Table {
        heading: "Connection sweep: closed loop, 64 B echo",
        note: format!(
            "Each server in its own process, a fresh one per point; the load generator's non-blocking engine \
             keeps one echo in flight per connection. {} Server CPU, context switches, memory and threads come \
             from its /proc over the measured window ({} s after {} s warm-up). The sweep stopped at {}. \
             Busy: the load generator's and the server's CPU as a share of their cores. **client-bound** marks \
             points where only the client was saturated (the server figures are then lower bounds); on loopback \
             the kernel's receive work for each side's messages runs in the other side's system calls, so \
             when both read near 100% neither alone is the limit. \
             Ramp: seconds from the start until the last connection had its first answer; the window opens \
             only then, or at the warm-up cap ({} s; \"-\": some connection was never answered). Starved: connections with no answer in the \
             window. Jain: fairness of answers per connection, 1 when all got the same.",
            r.sweep_placement, r.plan.measure_s, r.plan.warmup_s, r.plan.stopped_by, r.plan.warmup_cap_s
        ),
        headers: vec![
            "connections",
            "server",
            "messages/s",
            "p50 µs",
            "p99 µs",
            "p99.9 µs",
            "user µs/msg",
            "system µs/msg",
            "switches/msg",
            "RSS MiB",
            "threads",
            "ramp s",
            "starved",
            "Jain",
            "busy: client / server",
        ],
        rows,
    }
}

fn sweep_ratios(r: &Report<'_>) -> Table {
    let mut counts: Vec<usize> = r.sweep.iter().map(|p| p.connections).collect();
    counts.dedup();
    let rows = counts
        .iter()
        .map(|&n| {
            let get = |t| find(r.sweep, t, n);
            let (b, nb, tk) = (
                get(Target::Blocking),
                get(Target::NonBlocking),
                get(Target::Tokio),
            );
            let div = |a: Option<&Point>, b: Option<&Point>, f: fn(&Point) -> f64| {
                ratio(a.zip(b).map(|(a, b)| f(a) / f(b)))
            };
            vec![
                n.to_string(),
                div(nb, b, |p| p.messages_per_s),
                div(tk, b, |p| p.messages_per_s),
                div(nb, tk, |p| p.messages_per_s),
                div(b, nb, |p| p.p99_us),
            ]
        })
        .collect();
    Table {
        heading: "Connection sweep: ratios",
        note: "Measured in the same run. messages/s ratios above 1 favour the first named; the p99 ratio above 1 \
               means blocking's tail is longer."
            .into(),
        headers: vec![
            "connections",
            "nb/b messages/s",
            "tokio/b messages/s",
            "nb/tokio messages/s",
            "b/nb p99",
        ],
        rows,
    }
}

fn offered_load(r: &Report<'_>) -> Table {
    let rows = r
        .load_steps
        .iter()
        .map(|p| {
            vec![
                p.server.clone(),
                opt(p.offered_pct, 0),
                opt(p.offered_per_s, 0),
                format!("{:.0}", p.answered_per_s),
                format!("{:.0}", p.p50_us),
                format!("{:.0}", p.p99_us),
                format!("{:.0}", p.p999_us),
                format!("{:.0}", p.max_us),
                busy_cell(p),
            ]
        })
        .collect();
    Table {
        heading: "Latency under offered load (open loop)",
        note: format!(
            "{} connections, open loop at a share of each server's own closed-loop capacity at that count (from \
             the sweep). Latency is measured from each send's scheduled time, so queueing counts \
             (coordinated-omission corrected). {}",
            r.plan.load_connections, r.sweep_placement
        ),
        headers: vec![
            "server",
            "offered %",
            "offered msg/s",
            "answered in window msg/s",
            "p50 µs",
            "p99 µs",
            "p99.9 µs",
            "max µs",
            "busy: client / server",
        ],
        rows,
    }
}

fn idle_memory(r: &Report<'_>) -> Table {
    let rows = r
        .scale
        .iter()
        .map(|p| {
            let per = (p.rss_mib - p.baseline_mib) * 1024.0 / p.connections as f64;
            vec![
                p.mode.clone(),
                p.connections.to_string(),
                format!("{:.1}", p.rss_mib),
                format!("{:.1}", p.baseline_mib),
                format!("{per:.1}"),
            ]
        })
        .collect();
    Table {
        heading: "Idle connections: server resident memory",
        note: "Each server in its own process; every connection used once, then left idle.".into(),
        headers: vec![
            "server",
            "connections",
            "RSS MiB",
            "RSS at start MiB",
            "per connection KiB",
        ],
        rows,
    }
}

fn targets(r: &Report<'_>) -> Table {
    let rows = r
        .targets
        .iter()
        .map(|t| {
            let met = match t.met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "-",
            };
            vec![t.target.clone(), t.measured.clone(), met.into()]
        })
        .collect();
    Table {
        heading: "Targets",
        note: "The project's performance targets, judged on this run (no verdict in --test mode)."
            .into(),
        headers: vec!["target", "measured", "met"],
        rows,
    }
}
