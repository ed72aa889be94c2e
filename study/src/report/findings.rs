//! Findings: sentences computed from this run's figures, never hand-written,
//! and claiming only what the windows support: a difference between two
//! servers is stated only where it is beyond chance and beyond this
//! machine's run-to-run drift ([`stats::compare`](crate::stats::compare));
//! otherwise the sentence says "no difference beyond noise" and gives both
//! ranges. Where each point was
//! limited (client, server, both) is a table column, not a sentence.

use super::verdicts::{
    checked_verdicts, counts_words, crossover, first_ahead, grouped_by_verdict, no_difference,
    second_ahead_apart,
};
#[cfg(test)]
use super::verdicts::{crossover_count, sweep_verdicts};
use super::Study;
use crate::stats::{compare, Spread, Verdict};
use crate::sweep::{find, Limit, Point, Step};
use crate::target::{Pair, RunMode, Target};

/// How far over its light-load p99 a server's p99 may rise before the
/// hockey stick's knee.
///
/// Why 10x: queueing theory's knee is gradual; an order of magnitude is
/// where a user notices.
const KNEE: f64 = 10.0;

/// The findings, in reading order.
pub fn compute(study: &Study) -> Vec<String> {
    let mut out = Vec::new();
    if study.plan.run_mode == RunMode::Test {
        out.push(
            "TEST MODE: one short window per point at the smallest sizes; these sentences show the computation, \
             not a measurement."
                .to_string(),
        );
    }
    let cross = super::cross::verdicts(&study.cross_check);
    let pair = Pair::THREADS_VS_LOOP;
    let verdicts = checked_verdicts(study, &cross, pair);
    out.push(crossover(pair, &verdicts));
    out.extend(super::cross_show::findings(&cross));
    out.extend(no_difference(pair, &verdicts));
    out.extend(first_ahead(pair, &verdicts));
    out.extend(second_ahead_apart(pair, &verdicts));
    out.extend(grouped_by_verdict(
        study,
        &cross,
        Pair::COMPLETION_VS_READINESS,
    ));
    largest(study, &mut out);
    same_rate(study, &mut out);
    knees(study, &mut out);
    saturation(study, &mut out);
    out
}

fn show(s: Option<Spread>, digits: usize) -> String {
    s.map_or("-".into(), |s| s.show(digits))
}

fn median(s: Option<Spread>) -> f64 {
    s.map_or(0.0, |s| s.median)
}

/// The costs of a thread per connection and of the event loop at the
/// largest count (the registry's [`Pair::THREADS_VS_LOOP`]).
fn largest(study: &Study, out: &mut Vec<String>) {
    let Some(n) = study.sweep.iter().map(|p| p.connections).max() else {
        return;
    };
    let pair = Pair::THREADS_VS_LOOP;
    let (Some(b), Some(nb)) = (find(&study.sweep, pair.a, n), find(&study.sweep, pair.b, n)) else {
        return;
    };
    let (threads, event_loop) = (pair.a.prose(), pair.b.role());
    out.push(format!(
        "At {n} connections the {threads} server ran {:.0} threads in {:.1} MiB and made {} context switches per \
         message; {event_loop} ran {:.0} threads in {:.1} MiB and made {}. CPU per message: {} µs against {} µs.",
        median(b.threads()),
        median(b.rss_mib()),
        show(b.switches_per_msg(), 2),
        median(nb.threads()),
        median(nb.rss_mib()),
        show(nb.switches_per_msg(), 2),
        show(b.cpu_per_msg(), 1),
        show(nb.cpu_per_msg(), 1),
    ));
    let ramp = |p: &Point| {
        let unanswered = p.windows_with_unanswered();
        match (p.ramp_s(), unanswered) {
            (Some(s), 0) => format!("{} s", s.show(2)),
            (_, k) => format!(
                "more than the warm-up cap of {:.0} s in {k} of {} windows",
                study.plan.warmup_cap_s,
                p.windows.len()
            ),
        }
    };
    out.push(format!(
        "At {n} connections the last connection had its first answer after {} from the {threads} server (a thread \
         to start for each) and {} from {event_loop}; starved connections in the window: {} against {}.",
        ramp(b),
        ramp(nb),
        show(b.starved(), 0),
        show(nb.starved(), 0),
    ));
}

fn same_rate(study: &Study, out: &mut Vec<String>) {
    let points: Vec<&Point> = study
        .same_rate
        .iter()
        .filter(|p| p.step == Step::SameRate)
        .collect();
    let Some(first) = points.first() else {
        return;
    };
    let cpu: Vec<String> = points
        .iter()
        .map(|p| format!("{} µs {}", show(p.cpu_per_msg(), 1), p.target.name()))
        .collect();
    let mut s = format!(
        "At the same offered rate for all ({:.0} msg/s, {:.0}% of the slowest server's capacity, {} \
         connections), server CPU per message was {}.",
        first.offered_per_s.unwrap_or(0.0),
        first.offered_pct.unwrap_or(0.0),
        first.connections,
        counts_words(&cpu)
    );
    let cheapest = points.iter().copied().find(|p| {
        points.iter().all(|q| {
            std::ptr::eq(*p, *q)
                || matches!(
                    (p.cpu_windows(), q.cpu_windows()),
                    (a, b) if compare(&a, &b) == Verdict::Lower
                )
        })
    });
    match cheapest {
        Some(p) => s.push_str(&format!(
            " The {} server used the least beyond noise; unlike messages/s, this figure does not depend on \
             which side saturated (switches and p99: the same-rate table).",
            p.target.name()
        )),
        None => s.push_str(" No server used less CPU per message than all the others beyond noise."),
    }
    out.push(s);
}

fn knees(study: &Study, out: &mut Vec<String>) {
    let mut parts = Vec::new();
    for t in Target::every_studied() {
        let mut steps: Vec<&Point> = study
            .load_steps
            .iter()
            .filter(|p| p.target == t && p.offered_pct.is_some())
            .collect();
        steps.sort_by(|a, b| a.offered_pct.partial_cmp(&b.offered_pct).expect("finite"));
        let (Some(light), Some(calm)) = (steps.first(), calm_up_to(&steps)) else {
            continue;
        };
        parts.push(format!(
            "{} up to {calm:.0}% (p99 {} ms at {:.0}%)",
            t.name(),
            light.p99().map_or("-".into(), |s| s.scaled(1000.0).show(2)),
            light.offered_pct.unwrap_or(0.0)
        ));
    }
    if !parts.is_empty() {
        out.push(format!(
            "Under offered load the p99 stays within {KNEE}x its light-load value, beyond noise: {}.",
            parts.join("; ")
        ));
    }
}

/// The highest offered share up to which no step's p99 was above
/// [`KNEE`] times the lightest step's beyond noise (by [`compare`] on the
/// windows, against the light step's windows times `KNEE`): the same noise
/// rule as every other finding, so a light-load window that met one of the
/// machine's millisecond stalls does not move the knee. `steps` is sorted
/// by offered share, lightest first; `None` when there are none.
pub fn calm_up_to(steps: &[&Point]) -> Option<f64> {
    let light = steps.first()?;
    let base: Vec<f64> = light.windows.iter().map(|w| KNEE * w.load.p99_us).collect();
    steps
        .iter()
        .take_while(|p| {
            let p99: Vec<f64> = p.windows.iter().map(|w| w.load.p99_us).collect();
            compare(&p99, &base) != Verdict::Higher
        })
        .last()
        .and_then(|p| p.offered_pct)
}

fn saturation(study: &Study, out: &mut Vec<String>) {
    let all: Vec<&Point> = study
        .sweep
        .iter()
        .chain(&study.load_steps)
        .chain(&study.same_rate)
        .collect();
    let count = |l: Limit| all.iter().filter(|p| p.limit() == Some(l)).count();
    let (client, both) = (count(Limit::Client), count(Limit::Both));
    out.push(format!(
        "The load generator alone was saturated at {client} of {} points and both sides at {both}; the tables' \
         \"limited by\" column names them. Where only the client was saturated the server figures are lower \
         bounds; where both were, on loopback each side's system calls also carry the kernel's work for the other \
         side, so one core each is the limit of this machine. Every server faced the same client.",
        all.len()
    ));
}

#[cfg(test)]
#[path = "findings_tests.rs"]
mod tests;
