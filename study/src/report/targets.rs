//! The project's performance targets, checked against one run. Every
//! target says which limit it divides by: raw (the least a server can do,
//! told each message's size; its sink computes the same CRC-32 as ours),
//! tokio, a bare std thread measured in the same run, or an absolute figure.

use serde::{Deserialize, Serialize};

use super::{Group, Study};
use crate::stats::{compare, Verdict};
use crate::sweep::find;
use crate::target::{Pair, Target};
use sockmodes_common::Service;

/// A target, checked against this run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TargetCheck {
    pub target: String,
    /// What it is divided by.
    pub limit: String,
    pub measured: String,
    pub met: Option<bool>,
}

/// Judges `study` against the targets.
pub fn check(study: &Study) -> Vec<TargetCheck> {
    let mut checks = Vec::new();
    let mut push = |target: String, limit: &str, measured: String, met: Option<bool>| {
        checks.push(TargetCheck {
            target,
            limit: limit.into(),
            measured,
            met,
        })
    };
    // The registry's thread per connection and event loop, each against
    // the least a server can do, and the event loop against tokio.
    let Pair {
        a: threads,
        b: event_loop,
        ..
    } = Pair::THREADS_VS_LOOP;
    let tokio = Pair::LOOP_VS_TOKIO.b;
    for r in study.cases.iter().filter(|r| r.group == Group::Latency) {
        let b = r.ratio(threads, Target::Raw);
        let nb = r.ratio(event_loop, Target::Raw);
        let vs_tokio = r.ratio(event_loop, tokio);
        push(
            format!(
                "{} {} round trip within 1.05x of raw",
                threads.prose(),
                r.case
            ),
            "raw",
            b.map_or("-".into(), |x| format!("{x:.3}x")),
            b.map(|x| x <= 1.05),
        );
        push(
            format!(
                "{} {} round trip within 1.10x of raw and no slower than {}",
                event_loop.prose(),
                r.case,
                tokio.name()
            ),
            &format!("raw; {}", tokio.name()),
            match (nb, vs_tokio) {
                (Some(a), Some(c)) => format!("{a:.3}x raw, {c:.3}x {}", tokio.name()),
                _ => "-".into(),
            },
            nb.zip(vs_tokio).map(|(a, c)| a <= 1.10 && c <= 1.0),
        );
    }
    for r in study
        .cases
        .iter()
        .filter(|r| r.group == Group::Throughput && r.service() == Some(Service::Sink))
    {
        for t in [threads, event_loop] {
            let x = r.ratio(t, Target::Raw);
            push(
                format!("{} sink throughput at least 0.9x raw", t.name()),
                "raw with CRC-32 (the same work)",
                x.map_or("-".into(), |x| format!("{x:.3}x")),
                x.map(|x| x >= 0.9),
            );
        }
    }
    let at_1000 = |t: Target| find(&study.sweep, t, 1000);
    let ring = Pair::COMPLETION_VS_READINESS;
    if let (Some(c), Some(nb)) = (at_1000(ring.a), at_1000(ring.b)) {
        if let (Some(c_msgs), Some(nb_msgs), Some(c_cpu), Some(nb_cpu)) =
            (c.msgs(), nb.msgs(), c.cpu_per_msg(), nb.cpu_per_msg())
        {
            // 1.1x beyond noise: every completion window at least 1.1x every
            // non-blocking window, and less CPU per message beyond noise.
            let floor = crate::stats::ratio(&c_msgs, &nb_msgs);
            let less_cpu = compare(&c.cpu_windows(), &nb.cpu_windows()) == Verdict::Lower;
            push(
                format!(
                    "{} at 1000 connections at least 1.1x {}'s messages/s beyond noise, with less CPU per \
                     message",
                    ring.a.prose(),
                    ring.b.prose()
                ),
                &format!("{}, same run", ring.b.prose()),
                format!(
                    "{}x messages/s; CPU per message {} against {} µs",
                    floor.show(2),
                    c_cpu.show(1),
                    nb_cpu.show(1)
                ),
                Some(floor.min >= 1.1 && less_cpu),
            );
        }
    }
    let ours = Pair::LOOP_VS_TOKIO;
    if let (Some(nb), Some(tokio)) = (at_1000(ours.a), at_1000(ours.b)) {
        if let (Some(nb_msgs), Some(tokio_msgs)) = (nb.msgs(), tokio.msgs()) {
            let verdict = compare(&nb.msgs_windows(), &tokio.msgs_windows());
            push(
                format!(
                    "{} at 1000 connections not below {}'s messages/s beyond noise",
                    ours.a.prose(),
                    ours.b.name()
                ),
                ours.b.name(),
                format!("{} against {} msg/s", nb_msgs.show(0), tokio_msgs.show(0)),
                Some(verdict != Verdict::Lower),
            );
        }
    }
    if let Some(p) = study
        .scale
        .iter()
        .find(|p| p.target == event_loop && p.connections == 10_000)
    {
        push(
            format!(
                "10,000 idle connections: {} server under 20 MiB resident",
                event_loop.prose()
            ),
            "absolute",
            format!("{:.1} MiB", p.rss_mib),
            Some(p.rss_mib < 20.0),
        );
    }
    let blocking = study
        .scale
        .iter()
        .filter(|p| p.target == threads)
        .max_by_key(|p| p.connections);
    if let (Some(p), Some(bare)) = (blocking, &study.bare_threads) {
        let per_conn = p.kib_per_connection();
        let x = per_conn / bare.kib_each().max(1e-9);
        push(
            format!(
                "{}: resident memory per idle connection at most 1.05x a bare std thread ({} connections)",
                threads.prose(),
                p.connections
            ),
            "a bare thread with the same stack, measured in this run",
            format!(
                "{per_conn:.1} KiB against {:.1} KiB: {x:.2}x",
                bare.kib_each()
            ),
            Some(x <= 1.05),
        );
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::super::fixture;

    #[test]
    fn every_target_names_its_limit_and_the_thread_yardstick_is_judged() {
        let r = fixture::report();
        assert!(r.targets.iter().all(|t| !t.limit.is_empty()));
        let thread = r
            .targets
            .iter()
            .find(|t| t.target.contains("bare std thread"))
            .expect("the bare-thread target");
        // (140 - 4) MiB / 10,000 against (138 - 4) MiB / 10,000: 1.01x.
        assert_eq!(thread.met, Some(true), "{thread:?}");
        assert!(thread.measured.ends_with("1.01x"), "{thread:?}");
        assert!(!r.targets.iter().any(|t| t.target.contains("80 MiB")));
    }
}
