//! The project's performance targets, checked against one run. Every
//! target says which limit it divides by: raw (the least a server can do,
//! told each message's size; its sink computes the same CRC-32 as ours),
//! tokio, a bare std thread measured in the same run, or an absolute figure.
//!
//! A check is typed ([`Goal`], [`Divisor`], [`Measured`]: servers as
//! [`Target`]s, figures as numbers, verdicts as the noise rule's), judged
//! by [`Goal::met`], and made into text only in `targets_show.rs`.

use serde::Serialize;

use super::{Case, Group, Study};
use crate::stats::{compare, Spread, Verdict};
use crate::sweep::{find, Point};
use crate::target::{Pair, Target};
use sockmodes_common::Service;

/// A target, checked against this run. In JSON (and in the report's
/// table) it is the text `targets_show.rs` makes of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(into = "super::targets_show::TargetRow")]
pub struct TargetCheck {
    pub goal: Goal,
    /// What it is divided by.
    pub limit: Divisor,
    /// What this run measured of it; `None` where a server it needs was
    /// not measured.
    pub measured: Option<Measured>,
    /// Whether the measurement met the goal; `None` without one (and in
    /// test mode, where no window is a measurement).
    pub met: Option<bool>,
}

impl TargetCheck {
    fn new(goal: Goal, limit: Divisor, measured: Option<Measured>) -> TargetCheck {
        TargetCheck {
            met: measured.as_ref().and_then(|m| goal.met(m)),
            goal,
            limit,
            measured,
        }
    }
}

/// What a target asks of one server.
#[derive(Debug, Clone, PartialEq)]
pub enum Goal {
    /// `target`'s round trip in a latency case within `within` times
    /// raw's, and, with `no_slower_than`, not above that server's.
    RoundTrip {
        target: Target,
        case: Case,
        within: f64,
        no_slower_than: Option<Target>,
    },
    /// `target`'s sink throughput at least `at_least` times raw's.
    Sink { target: Target, at_least: f64 },
    /// `a` at `connections` at least `times` `b`'s messages/s in every
    /// window, with less CPU per message beyond noise.
    AheadWithLessCpu {
        a: Target,
        b: Target,
        connections: usize,
        times: f64,
    },
    /// `a` at `connections` not below `b`'s messages/s beyond noise.
    NotBelow {
        a: Target,
        b: Target,
        connections: usize,
    },
    /// `target` holding `connections` idle connections in under `mib`
    /// resident MiB.
    IdleMemory {
        target: Target,
        connections: usize,
        mib: f64,
    },
    /// `target`'s resident memory per idle connection (at its most
    /// connections measured, `connections`) at most `times` a bare
    /// thread's.
    PerThread {
        target: Target,
        connections: usize,
        times: f64,
    },
}

/// What a target divides by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Divisor {
    /// Raw: the least a server can do.
    Raw,
    /// Raw, and another server.
    RawAnd(Target),
    /// Raw doing the same work (its sink computes the same CRC-32).
    RawSameWork,
    /// Another of the command's servers, measured in the same run.
    SameRun(Target),
    /// A reference server.
    Reference(Target),
    /// An absolute figure.
    Absolute,
    /// A bare std thread with the same stack, measured in the same run.
    BareThread,
}

/// What a run measured of a target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Measured {
    /// The ratio to the divisor (criterion's medians).
    Ratio(f64),
    /// The ratios to raw and to another server `to`.
    Ratios { raw: f64, other: f64, to: Target },
    /// Messages/s as a ratio over the windows, CPU per message of both
    /// servers, and the noise rule's verdict on the first's CPU against
    /// the second's.
    AheadCpu {
        ratio: Spread,
        cpu: (Spread, Spread),
        cpu_verdict: Verdict,
    },
    /// Messages/s of both servers, and the noise rule's verdict on them.
    Rates {
        a: Spread,
        b: Spread,
        verdict: Verdict,
    },
    /// Resident MiB.
    Mib(f64),
    /// Resident KiB per idle connection against a bare thread's, and
    /// their ratio.
    PerThread { kib: f64, bare_kib: f64, times: f64 },
}

impl Goal {
    /// Whether `m` meets this goal; `None` where `m` is not a measurement
    /// of it.
    pub fn met(&self, m: &Measured) -> Option<bool> {
        Some(match (self, *m) {
            (
                Goal::RoundTrip {
                    within,
                    no_slower_than: None,
                    ..
                },
                Measured::Ratio(x),
            ) => x <= *within,
            (
                Goal::RoundTrip {
                    within,
                    no_slower_than: Some(_),
                    ..
                },
                Measured::Ratios { raw, other, .. },
            ) => raw <= *within && other <= 1.0,
            (Goal::Sink { at_least, .. }, Measured::Ratio(x)) => x >= *at_least,
            (
                Goal::AheadWithLessCpu { times, .. },
                Measured::AheadCpu {
                    ratio, cpu_verdict, ..
                },
            ) => ratio.min >= *times && cpu_verdict == Verdict::Lower,
            (Goal::NotBelow { .. }, Measured::Rates { verdict, .. }) => verdict != Verdict::Lower,
            (Goal::IdleMemory { mib, .. }, Measured::Mib(m)) => m < *mib,
            (Goal::PerThread { times, .. }, Measured::PerThread { times: x, .. }) => x <= *times,
            _ => return None,
        })
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
        let goal = |target, within, no_slower_than| Goal::RoundTrip {
            target,
            case: r.case,
            within,
            no_slower_than,
        };
        checks.push(TargetCheck::new(
            goal(threads, 1.05, None),
            Divisor::Raw,
            r.ratio(threads, Target::Raw).map(Measured::Ratio),
        ));
        let ratios = r
            .ratio(event_loop, Target::Raw)
            .zip(r.ratio(event_loop, tokio));
        checks.push(TargetCheck::new(
            goal(event_loop, 1.10, Some(tokio)),
            Divisor::RawAnd(tokio),
            ratios.map(|(raw, other)| Measured::Ratios {
                raw,
                other,
                to: tokio,
            }),
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
        .filter(|r| r.group == Group::Throughput && r.case.service == Service::Sink)
    {
        for t in [pair.a, pair.b] {
            checks.push(TargetCheck::new(
                Goal::Sink {
                    target: t,
                    at_least: 0.9,
                },
                Divisor::RawSameWork,
                r.ratio(t, Target::Raw).map(Measured::Ratio),
            ));
        }
    }
    checks
}

/// The sweep's points of both servers of `pair` at `connections`.
fn sweep_pair(study: &Study, pair: Pair, connections: usize) -> Option<(&Point, &Point)> {
    Some((
        find(&study.sweep, pair.a, connections)?,
        find(&study.sweep, pair.b, connections)?,
    ))
}

/// The ring at 1,000 connections: 1.1x the event loop beyond noise (every
/// completion window at least 1.1x every readiness window), with less CPU
/// per message beyond noise.
fn completion_at_1000(study: &Study) -> Option<TargetCheck> {
    let ring = Pair::COMPLETION_VS_READINESS;
    let connections = 1000;
    let (c, nb) = sweep_pair(study, ring, connections)?;
    let measured = Measured::AheadCpu {
        ratio: crate::stats::ratio(&c.msgs()?, &nb.msgs()?),
        cpu: (c.cpu_per_msg()?, nb.cpu_per_msg()?),
        cpu_verdict: compare(&c.cpu_windows(), &nb.cpu_windows()),
    };
    Some(TargetCheck::new(
        Goal::AheadWithLessCpu {
            a: ring.a,
            b: ring.b,
            connections,
            times: 1.1,
        },
        Divisor::SameRun(ring.b),
        Some(measured),
    ))
}

/// Our event loop at 1,000 connections, not below tokio's beyond noise.
fn loop_against_tokio(study: &Study) -> Option<TargetCheck> {
    let ours = Pair::LOOP_VS_TOKIO;
    let connections = 1000;
    let (nb, tokio) = sweep_pair(study, ours, connections)?;
    let measured = Measured::Rates {
        a: nb.msgs()?,
        b: tokio.msgs()?,
        verdict: compare(&nb.msgs_windows(), &tokio.msgs_windows()),
    };
    Some(TargetCheck::new(
        Goal::NotBelow {
            a: ours.a,
            b: ours.b,
            connections,
        },
        Divisor::Reference(ours.b),
        Some(measured),
    ))
}

/// The event loop holding 10,000 idle connections in under 20 MiB.
fn idle_memory(study: &Study) -> Option<TargetCheck> {
    let event_loop = Pair::THREADS_VS_LOOP.b;
    let connections = 10_000;
    let p = study
        .scale
        .iter()
        .find(|p| p.target == event_loop && p.connections == connections)?;
    Some(TargetCheck::new(
        Goal::IdleMemory {
            target: event_loop,
            connections,
            mib: 20.0,
        },
        Divisor::Absolute,
        Some(Measured::Mib(p.rss_mib)),
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
    let (kib, bare_kib) = (p.kib_per_connection(), bare.kib_each());
    Some(TargetCheck::new(
        Goal::PerThread {
            target: threads,
            connections: p.connections,
            times: 1.05,
        },
        Divisor::BareThread,
        Some(Measured::PerThread {
            kib,
            bare_kib,
            times: kib / bare_kib.max(1e-9),
        }),
    ))
}

#[cfg(test)]
#[path = "targets_tests.rs"]
mod tests;
