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

impl TargetCheck {
    fn new(target: String, limit: &str, measured: String, met: Option<bool>) -> TargetCheck {
        TargetCheck {
            target,
            limit: limit.into(),
            measured,
            met,
        }
    }
}

/// Judges `study` against the targets, in the table's order.
pub fn check(study: &Study) -> Vec<TargetCheck> {
    let mut checks = round_trips(study);
    checks.extend(sink(study));
    checks.extend(completion_at_1000(study));
    checks.extend(loop_against_tokio(study));
    checks.extend(idle_memory(study));
    checks.extend(thread_yardstick(study));
    checks
}

/// The registry's thread per connection and event loop in each latency
/// case, against the least a server can do, and the event loop against
/// tokio.
fn round_trips(study: &Study) -> Vec<TargetCheck> {
    let Pair {
        a: threads,
        b: event_loop,
        ..
    } = Pair::THREADS_VS_LOOP;
    let tokio = Pair::LOOP_VS_TOKIO.b;
    let mut checks = Vec::new();
    for r in study.cases.iter().filter(|r| r.group == Group::Latency) {
        let b = r.ratio(threads, Target::Raw);
        let nb = r.ratio(event_loop, Target::Raw);
        let vs_tokio = r.ratio(event_loop, tokio);
        checks.push(TargetCheck::new(
            format!(
                "{} {} round trip within 1.05x of raw",
                threads.prose(),
                r.case
            ),
            "raw",
            b.map_or("-".into(), |x| format!("{x:.3}x")),
            b.map(|x| x <= 1.05),
        ));
        checks.push(TargetCheck::new(
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
        ));
    }
    checks
}

/// Both of the crossover's servers in the sink case, against raw doing
/// the same work.
fn sink(study: &Study) -> Vec<TargetCheck> {
    let pair = Pair::THREADS_VS_LOOP;
    let mut checks = Vec::new();
    for r in study
        .cases
        .iter()
        .filter(|r| r.group == Group::Throughput && r.service() == Some(Service::Sink))
    {
        for t in [pair.a, pair.b] {
            let x = r.ratio(t, Target::Raw);
            checks.push(TargetCheck::new(
                format!("{} sink throughput at least 0.9x raw", t.name()),
                "raw with CRC-32 (the same work)",
                x.map_or("-".into(), |x| format!("{x:.3}x")),
                x.map(|x| x >= 0.9),
            ));
        }
    }
    checks
}

/// The ring at 1,000 connections: 1.1x the event loop beyond noise (every
/// completion window at least 1.1x every readiness window), with less CPU
/// per message beyond noise.
fn completion_at_1000(study: &Study) -> Option<TargetCheck> {
    let ring = Pair::COMPLETION_VS_READINESS;
    let (c, nb) = (
        find(&study.sweep, ring.a, 1000)?,
        find(&study.sweep, ring.b, 1000)?,
    );
    let (c_msgs, nb_msgs) = (c.msgs()?, nb.msgs()?);
    let (c_cpu, nb_cpu) = (c.cpu_per_msg()?, nb.cpu_per_msg()?);
    let floor = crate::stats::ratio(&c_msgs, &nb_msgs);
    let less_cpu = compare(&c.cpu_windows(), &nb.cpu_windows()) == Verdict::Lower;
    Some(TargetCheck::new(
        format!(
            "{} at 1000 connections at least 1.1x {}'s messages/s beyond noise, with less CPU per message",
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
    ))
}

/// Our event loop at 1,000 connections, not below tokio's beyond noise.
fn loop_against_tokio(study: &Study) -> Option<TargetCheck> {
    let ours = Pair::LOOP_VS_TOKIO;
    let (nb, tokio) = (
        find(&study.sweep, ours.a, 1000)?,
        find(&study.sweep, ours.b, 1000)?,
    );
    let (nb_msgs, tokio_msgs) = (nb.msgs()?, tokio.msgs()?);
    let verdict = compare(&nb.msgs_windows(), &tokio.msgs_windows());
    Some(TargetCheck::new(
        format!(
            "{} at 1000 connections not below {}'s messages/s beyond noise",
            ours.a.prose(),
            ours.b.name()
        ),
        ours.b.name(),
        format!("{} against {} msg/s", nb_msgs.show(0), tokio_msgs.show(0)),
        Some(verdict != Verdict::Lower),
    ))
}

/// The event loop holding 10,000 idle connections in under 20 MiB.
fn idle_memory(study: &Study) -> Option<TargetCheck> {
    let event_loop = Pair::THREADS_VS_LOOP.b;
    let p = study
        .scale
        .iter()
        .find(|p| p.target == event_loop && p.connections == 10_000)?;
    Some(TargetCheck::new(
        format!(
            "10,000 idle connections: {} server under 20 MiB resident",
            event_loop.prose()
        ),
        "absolute",
        format!("{:.1} MiB", p.rss_mib),
        Some(p.rss_mib < 20.0),
    ))
}

/// A thread per connection's idle memory against a bare thread's.
fn thread_yardstick(study: &Study) -> Option<TargetCheck> {
    let threads = Pair::THREADS_VS_LOOP.a;
    let p = study
        .scale
        .iter()
        .filter(|p| p.target == threads)
        .max_by_key(|p| p.connections)?;
    let bare = study.bare_threads.as_ref()?;
    let per_conn = p.kib_per_connection();
    let x = per_conn / bare.kib_each().max(1e-9);
    Some(TargetCheck::new(
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
    ))
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
