//! The cost findings as sentences (`costs.rs` computes them, and
//! `findings_show.rs` hands each here): what each server spent at the
//! largest count, CPU per message at the same rate, the knees, and how
//! often a side was saturated.

use super::costs::{Costs, Knee, RampUp, KNEE};
use super::findings_show::words_list;
use crate::stats::Spread;
use crate::target::{Pair, Target};

fn show_spread(s: Option<Spread>, digits: usize) -> String {
    s.map_or("-".into(), |s| s.show(digits))
}

fn median(s: Option<Spread>) -> f64 {
    s.map_or(0.0, |s| s.median)
}

/// How long the last connection of each of the pair's servers waited for
/// its first answer at `n` connections, and the starved connections.
pub fn ramp_finding(
    pair: Pair,
    n: usize,
    (a, b): (&RampUp, &RampUp),
    starved: (Option<Spread>, Option<Spread>),
) -> String {
    format!(
        "At {n} connections the last connection had its first answer after {} from the {} server (its one \
         accept thread admits them with one thread's share of the core, among the busy connection threads) and \
         {} from {}; starved connections in the window: {} against {}.",
        ramp(a),
        pair.a.prose(),
        ramp(b),
        pair.b.role(),
        show_spread(starved.0, 0),
        show_spread(starved.1, 0),
    )
}

/// Each server's knee.
pub fn knees(knees: &[Knee]) -> String {
    format!(
        "Under offered load the p99 stays within {KNEE}x its light-load value, beyond noise: {}.",
        knees.iter().map(knee).collect::<Vec<_>>().join("; ")
    )
}

/// How often a side was saturated, and what that does to the figures.
pub fn saturation(client: usize, both: usize, all: usize) -> String {
    format!(
        "The load generator alone was saturated at {client} of {all} points and both sides at {both}; the \
         tables' \"limited by\" column names them. Where only the client was saturated the server figures are \
         lower bounds; where both were, on loopback each side's system calls also carry the kernel's work for \
         the other side, so one core each is the limit of this machine. Every server faced the same client."
    )
}

/// The costs of the pair's two servers at `n` connections.
pub fn costs(pair: Pair, n: usize, a: &Costs, b: &Costs) -> String {
    format!(
        "At {n} connections the {} server ran {:.0} threads in {:.1} MiB and made {} context switches per \
         message; {} ran {:.0} threads in {:.1} MiB and made {}. CPU per message: {} µs against {} µs.",
        pair.a.prose(),
        median(a.threads),
        median(a.rss_mib),
        show_spread(a.switches_per_msg, 2),
        pair.b.role(),
        median(b.threads),
        median(b.rss_mib),
        show_spread(b.switches_per_msg, 2),
        show_spread(a.cpu_per_msg, 1),
        show_spread(b.cpu_per_msg, 1),
    )
}

/// "0.12 (0.10-0.15) s", or how often the cap was reached.
fn ramp(r: &RampUp) -> String {
    match r {
        RampUp::Within(s) => format!("{} s", s.show(2)),
        RampUp::OverCap {
            cap_s,
            unanswered,
            windows,
        } => format!(
            "more than the warm-up cap of {cap_s:.0} s in {unanswered} of {windows} windows"
        ),
    }
}

/// CPU per message of every server at the same offered rate, and the
/// cheapest beyond noise.
pub fn same_rate(
    offered_per_s: f64,
    offered_pct: f64,
    connections: usize,
    cpu: &[(Target, Option<Spread>)],
    cheapest: Option<Target>,
) -> String {
    let each: Vec<String> = cpu
        .iter()
        .map(|(t, s)| format!("{} µs {}", show_spread(*s, 1), t.name()))
        .collect();
    let mut s = format!(
        "At the same offered rate for all ({offered_per_s:.0} msg/s, {offered_pct:.0}% of the slowest server's \
         capacity, {connections} connections), server CPU per message was {}.",
        words_list(&each)
    );
    match cheapest {
        Some(t) => s.push_str(&format!(
            " The {} server used the least beyond noise; unlike messages/s, this figure does not depend on \
             which side saturated (switches and p99: the same-rate table).",
            t.name()
        )),
        None => s.push_str(" No server used less CPU per message than all the others beyond noise."),
    }
    s
}

/// "nonblocking up to 90% (p99 0.25 ms at 10%)".
fn knee(k: &Knee) -> String {
    format!(
        "{} up to {:.0}% (p99 {} ms at {:.0}%)",
        k.target.name(),
        k.calm_up_to,
        k.light_p99_us
            .map_or("-".into(), |s| s.scaled(1000.0).show(2)),
        k.light_pct
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spread(v: &[f64]) -> Option<Spread> {
        Spread::of(v.iter().copied())
    }

    #[test]
    fn a_ramp_over_the_cap_says_in_how_many_windows() {
        let within = RampUp::Within(spread(&[0.1, 0.2, 0.3]).unwrap());
        assert_eq!(ramp(&within), "0.20 (0.10-0.30) s");
        let over = RampUp::OverCap {
            cap_s: 10.0,
            unanswered: 2,
            windows: 5,
        };
        assert_eq!(
            ramp(&over),
            "more than the warm-up cap of 10 s in 2 of 5 windows"
        );
    }

    #[test]
    fn a_knee_gives_its_light_p99_in_milliseconds() {
        let k = Knee {
            target: Target::Tokio,
            calm_up_to: 90.0,
            light_pct: 10.0,
            light_p99_us: spread(&[250.0]),
        };
        assert_eq!(knee(&k), "tokio up to 90% (p99 0.25 ms at 10%)");
        let unmeasured = Knee {
            light_p99_us: None,
            ..k
        };
        assert_eq!(knee(&unmeasured), "tokio up to 90% (p99 - ms at 10%)");
    }
}
