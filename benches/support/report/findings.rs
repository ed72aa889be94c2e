//! Findings: sentences computed from this run's figures, never hand-written,
//! so the report says what *this* run showed, including when it showed no
//! crossover at all.

use super::Study;
use crate::support::servers::Target;
use crate::support::sweep::{find, Point};

/// Blocking's share of non-blocking's messages/s below which the two modes
/// have parted ways.
///
/// Why 0.8: a fifth less throughput is well beyond the few percent by which
/// runs of the same server differ on this machine.
const PARTED: f64 = 0.8;

/// How far over its light-load p99 a server's p99 may rise before the
/// hockey stick's knee.
///
/// Why 10x: queueing theory's knee is gradual; an order of magnitude is
/// where a user notices.
const KNEE: f64 = 10.0;

/// The findings, in reading order.
pub fn compute(study: &Study<'_>, run_mode: &str) -> Vec<String> {
    let mut out = Vec::new();
    if run_mode == "test" {
        out.push(
            "TEST MODE: single short runs at the smallest sizes; these sentences show the computation, not a \
             measurement."
                .to_string(),
        );
    }
    let mut counts: Vec<usize> = study.sweep.iter().map(|p| p.connections).collect();
    counts.dedup();
    // (connections, blocking / non-blocking messages/s)
    let ratios: Vec<(usize, f64)> = counts
        .iter()
        .filter_map(|&n| {
            let b = find(study.sweep, Target::Blocking, n)?;
            let nb = find(study.sweep, Target::NonBlocking, n)?;
            Some((n, b.messages_per_s / nb.messages_per_s.max(1e-9)))
        })
        .collect();
    crossover(&ratios, &mut out);
    largest(study, &counts, &mut out);
    client_bound(study, &mut out);
    knees(study, &mut out);
    out
}

fn crossover(ratios: &[(usize, f64)], out: &mut Vec<String>) {
    let Some(&(last_n, _)) = ratios.last() else {
        out.push("The connection sweep produced no comparable points.".into());
        return;
    };
    let parted = ratios.iter().find(|(_, r)| *r < PARTED);
    let before: Vec<&(usize, f64)> = ratios
        .iter()
        .take_while(|(n, _)| parted.is_none_or(|(p, _)| n < p))
        .collect();
    match parted {
        Some(&(n, r)) => out.push(format!(
            "Blocking falls below {PARTED}x non-blocking's messages/s from {n} connections ({r:.2}x)."
        )),
        None => {
            let (n, r) = ratios
                .iter()
                .copied()
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .expect("not empty");
            out.push(format!(
                "No crossover in this run: blocking stayed at or above {PARTED}x non-blocking's messages/s up to \
                 {last_n} connections (its lowest was {r:.2}x, at {n})."
            ));
        }
    }
    if let (Some(first), Some(last)) = (before.first(), before.last()) {
        let spread = before
            .iter()
            .map(|(_, r)| (r - 1.0).abs())
            .fold(0.0f64, f64::max);
        out.push(format!(
            "From {} to {} connections blocking is within {:.0}% of non-blocking.",
            first.0,
            last.0,
            spread * 100.0
        ));
    }
    let ahead: Vec<String> = ratios
        .iter()
        .filter(|(_, r)| *r > 1.05)
        .map(|(n, r)| format!("{n} ({:.0}% more)", (r - 1.0) * 100.0))
        .collect();
    if !ahead.is_empty() {
        out.push(format!(
            "Blocking carried more messages/s than non-blocking at {} connections: Tyma's low-concurrency result.",
            ahead.join(", ")
        ));
    }
}

fn largest(study: &Study<'_>, counts: &[usize], out: &mut Vec<String>) {
    let Some(&n) = counts.last() else { return };
    let (Some(b), Some(nb)) = (
        find(study.sweep, Target::Blocking, n),
        find(study.sweep, Target::NonBlocking, n),
    ) else {
        return;
    };
    if let (Some(bc), Some(nc)) = (&b.cost, &nb.cost) {
        out.push(format!(
            "At {n} connections the blocking server ran {} threads in {:.1} MiB and made {:.2} context switches \
             per message, against {:.2} for the event loop ({} threads, {:.1} MiB); CPU per message was {:.1} µs \
             against {:.1} µs ({:.0}% and {:.0}% in the kernel).",
            bc.threads,
            bc.rss_mib,
            bc.switches_per_msg,
            nc.switches_per_msg,
            nc.threads,
            nc.rss_mib,
            bc.user_us_per_msg + bc.system_us_per_msg,
            nc.user_us_per_msg + nc.system_us_per_msg,
            share(bc.system_us_per_msg, bc.user_us_per_msg),
            share(nc.system_us_per_msg, nc.user_us_per_msg),
        ));
    }
    let ramp = |p: &Point| match p.ramp_ms {
        Some(ms) => format!("{:.2} s", ms / 1000.0),
        None => "never (some connections were not answered)".into(),
    };
    out.push(format!(
        "At {n} connections the last connection had its first answer after {} from the blocking server \
         (a thread to spawn for each) and {} from the event loop; {} and {} connections were starved in the \
         window, Jain's fairness index {} and {}.",
        ramp(b),
        ramp(nb),
        b.starved,
        nb.starved,
        b.jain_index.map_or("-".into(), |j| format!("{j:.3}")),
        nb.jain_index.map_or("-".into(), |j| format!("{j:.3}")),
    ));
    out.push(format!(
        "At {n} connections: {:.0} against {:.0} messages/s, p99 {:.1} ms against {:.1} ms (blocking against \
         non-blocking).",
        b.messages_per_s,
        nb.messages_per_s,
        b.p99_us / 1000.0,
        nb.p99_us / 1000.0
    ));
}

fn share(part: f64, other: f64) -> f64 {
    100.0 * part / (part + other).max(1e-12)
}

fn client_bound(study: &Study<'_>, out: &mut Vec<String>) {
    let label = |p: &Point| match p.offered_pct {
        Some(pct) => format!("{} at {pct:.0}% load", p.server),
        None => format!("{} at {}", p.server, p.connections),
    };
    let all: Vec<&Point> = study.sweep.iter().chain(study.load_steps).collect();
    let by = |side: &str| -> Vec<String> {
        all.iter()
            .filter(|p| p.limited_by() == Some(side))
            .map(|p| label(p))
            .collect()
    };
    let (client, both) = (by("client"), by("both"));
    if client.is_empty() && both.is_empty() {
        out.push(
            "The load generator was never saturated (its busy share stayed at or under 90%)."
                .into(),
        );
    }
    if !client.is_empty() {
        out.push(format!(
            "Only the load generator was saturated (client-bound) at: {}. There the server figures are lower \
             bounds of what the server can do.",
            client.join(", ")
        ));
    }
    if !both.is_empty() {
        out.push(format!(
            "Client and server were both saturated at: {}. On loopback each side's system calls also carry the \
             kernel's work for the other side's messages, so one core each is the limit of this machine, not of \
             either program; the comparison between servers still holds, since every server faced the same client.",
            both.join(", ")
        ));
    }
}

fn knees(study: &Study<'_>, out: &mut Vec<String>) {
    let mut parts = Vec::new();
    for t in [Target::Blocking, Target::NonBlocking, Target::Tokio] {
        let mut steps: Vec<&Point> = study
            .load_steps
            .iter()
            .filter(|p| p.server == t.name() && p.offered_pct.is_some())
            .collect();
        steps.sort_by(|a, b| a.offered_pct.partial_cmp(&b.offered_pct).expect("finite"));
        let Some(light) = steps.first() else { continue };
        let calm: Vec<&&Point> = steps
            .iter()
            .take_while(|p| p.p99_us <= KNEE * light.p99_us.max(1.0))
            .collect();
        let last = calm.last().and_then(|p| p.offered_pct).unwrap_or(0.0);
        parts.push(format!(
            "{} up to {last:.0}% (p99 {:.1} ms at {:.0}%)",
            t.name(),
            light.p99_us / 1000.0,
            light.offered_pct.unwrap_or(0.0)
        ));
    }
    if !parts.is_empty() {
        out.push(format!(
            "Under offered load, p99 stays within {KNEE}x its light-load value: {}.",
            parts.join("; ")
        ));
    }
}
