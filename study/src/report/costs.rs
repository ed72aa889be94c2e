//! Findings about what each server spends: the costs of a thread per
//! connection and of the event loop at the largest count, CPU per message
//! at the same offered rate (and the cheapest server beyond noise), the
//! knee of the hockey stick, and how often a side was saturated. Each
//! figure-computing function is tested below on hand-made windows.

use super::verdicts::counts_words;
use super::Study;
use crate::stats::{compare, Spread, Verdict};
use crate::sweep::{find, Limit, Point, Step};
use crate::target::{Pair, Target};

/// How far over its light-load p99 a server's p99 may rise before the
/// hockey stick's knee.
///
/// Why 10x: queueing theory's knee is gradual; an order of magnitude is
/// where a user notices.
pub const KNEE: f64 = 10.0;

fn show(s: Option<Spread>, digits: usize) -> String {
    s.map_or("-".into(), |s| s.show(digits))
}

fn median(s: Option<Spread>) -> f64 {
    s.map_or(0.0, |s| s.median)
}

/// The costs of a thread per connection and of the event loop at the
/// largest count (the registry's [`Pair::THREADS_VS_LOOP`]).
pub fn largest(study: &Study) -> Vec<String> {
    let mut out = Vec::new();
    let Some(n) = study.sweep.iter().map(|p| p.connections).max() else {
        return out;
    };
    let pair = Pair::THREADS_VS_LOOP;
    let (Some(b), Some(nb)) = (find(&study.sweep, pair.a, n), find(&study.sweep, pair.b, n)) else {
        return out;
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
    out
}

/// CPU per message of every server at the same offered rate, and the
/// cheapest beyond noise if one is.
pub fn same_rate(study: &Study) -> Option<String> {
    let points: Vec<&Point> = study
        .same_rate
        .iter()
        .filter(|p| p.step == Step::SameRate)
        .collect();
    let first = points.first()?;
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
    match cheapest(&points) {
        Some(p) => s.push_str(&format!(
            " The {} server used the least beyond noise; unlike messages/s, this figure does not depend on \
             which side saturated (switches and p99: the same-rate table).",
            p.target.name()
        )),
        None => s.push_str(" No server used less CPU per message than all the others beyond noise."),
    }
    Some(s)
}

/// The server whose CPU per message was below every other's beyond noise
/// ([`compare`] on their windows); `None` when no one was.
pub fn cheapest<'a>(points: &[&'a Point]) -> Option<&'a Point> {
    points.iter().copied().find(|p| {
        points.iter().all(|q| {
            std::ptr::eq(*p, *q) || compare(&p.cpu_windows(), &q.cpu_windows()) == Verdict::Lower
        })
    })
}

/// Each server's knee: up to which offered share its p99 stayed calm.
pub fn knees(study: &Study) -> Option<String> {
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
    (!parts.is_empty()).then(|| {
        format!(
            "Under offered load the p99 stays within {KNEE}x its light-load value, beyond noise: {}.",
            parts.join("; ")
        )
    })
}

/// The highest offered share up to which no step's p99 was above
/// [`KNEE`] times the lightest step's beyond noise (by [`compare`] on the
/// windows, against the light step's windows times `KNEE`): the same noise
/// rule as every other finding, so one window that met one of the
/// machine's millisecond stalls makes no knee (and a stalled light window
/// only makes the rule slower to claim one). `steps` is sorted
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

/// Points where the load generator alone, or both sides, were saturated:
/// (client alone, both, of all points).
pub fn saturated(study: &Study) -> (usize, usize, usize) {
    let all: Vec<&Point> = study
        .sweep
        .iter()
        .chain(&study.load_steps)
        .chain(&study.same_rate)
        .collect();
    let count = |l: Limit| all.iter().filter(|p| p.limit() == Some(l)).count();
    (count(Limit::Client), count(Limit::Both), all.len())
}

/// How often a side was saturated, and what that does to the figures.
pub fn saturation(study: &Study) -> String {
    let (client, both, all) = saturated(study);
    format!(
        "The load generator alone was saturated at {client} of {all} points and both sides at {both}; the tables' \
         \"limited by\" column names them. Where only the client was saturated the server figures are lower \
         bounds; where both were, on loopback each side's system calls also carry the kernel's work for the other \
         side, so one core each is the limit of this machine. Every server faced the same client."
    )
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{self, point, EVENT_LOOP, RING, THREADS};
    use super::*;

    /// An offered-load step at `pct`% whose windows had these p99s (µs).
    fn step(pct: f64, p99_us: &[f64]) -> Point {
        let mut p = point(EVENT_LOOP, 1000, &vec![1000.0; p99_us.len()]);
        p.step = Step::Offered;
        p.offered_pct = Some(pct);
        for (w, &us) in p.windows.iter_mut().zip(p99_us) {
            w.load.p99_us = us;
        }
        p
    }

    #[test]
    fn the_knee_is_the_last_step_whose_p99_stayed_within_ten_times_the_light_one() {
        let light = step(10.0, &[100.0, 110.0, 120.0, 130.0, 140.0]);
        let calm = step(50.0, &[500.0, 900.0, 1100.0, 1300.0, 2000.0]);
        let high = step(90.0, &[5e3, 6e3, 7e3, 8e3, 9e3]);
        assert_eq!(calm_up_to(&[&light, &calm]), Some(50.0));
        assert_eq!(calm_up_to(&[&light, &calm, &high]), Some(50.0));
        // Above 10x beyond noise at 50%: the knee is the light step itself.
        let over = step(50.0, &[3e3, 3.1e3, 3.2e3, 3.3e3, 3.4e3]);
        assert_eq!(calm_up_to(&[&light, &over, &high]), Some(10.0));
        // One stalled window in a loaded step makes no knee: the other four
        // stayed within 10x.
        let one_stall = step(50.0, &[500.0, 600.0, 700.0, 800.0, 9e3]);
        assert_eq!(calm_up_to(&[&light, &one_stall]), Some(50.0));
        // A stalled light window weakens the evidence the other way: with
        // one of its five windows above, 50% is no longer above 10x beyond
        // noise, so no knee is claimed there.
        let stalled = step(10.0, &[100.0, 110.0, 120.0, 130.0, 9e3]);
        assert_eq!(calm_up_to(&[&stalled, &over]), Some(50.0));
        assert_eq!(calm_up_to(&[]), None);
    }

    /// A same-rate point of `target` whose windows spent `cpu` µs a message.
    fn at_same_rate(target: Target, cpu: &[f64]) -> Point {
        let mut p = point(target, 1000, &vec![5e3; cpu.len()]);
        p.step = Step::SameRate;
        for (w, &c) in p.windows.iter_mut().zip(cpu) {
            let cost = w.cost.as_mut().expect("a cost");
            cost.user_us_per_msg = c;
            cost.system_us_per_msg = 0.0;
        }
        p
    }

    #[test]
    fn the_cheapest_server_is_below_every_other_beyond_noise_or_there_is_none() {
        let threads = at_same_rate(THREADS, &[9.0, 9.5, 10.0, 10.5, 11.0]);
        let event_loop = at_same_rate(EVENT_LOOP, &[5.0, 5.2, 5.4, 5.6, 5.8]);
        let ring = at_same_rate(RING, &[3.0, 3.1, 3.2, 3.3, 3.4]);
        let found = cheapest(&[&threads, &event_loop, &ring]).expect("one is");
        assert_eq!(found.target, RING);
        assert_eq!(
            cheapest(&[&threads, &event_loop]).map(|p| p.target),
            Some(EVENT_LOOP)
        );
        // Within 20% of the event loop: below the thread, not below all.
        let close = at_same_rate(RING, &[4.8, 5.0, 5.2, 5.4, 5.6]);
        assert!(cheapest(&[&threads, &event_loop, &close]).is_none());
        let mut study = fixture::report().study;
        study.same_rate = vec![threads, event_loop, close];
        let s = same_rate(&study).expect("measured");
        assert!(s.ends_with("beyond noise."), "{s}");
        assert!(s.starts_with("At the same offered rate for all"), "{s}");
    }

    #[test]
    fn saturation_counts_the_points_each_side_limited() {
        let mut study = fixture::report().study;
        let all = study.sweep.len() + study.load_steps.len() + study.same_rate.len();
        assert_eq!(
            saturated(&study),
            (0, 0, all),
            "the fixture's client is at 60%"
        );
        let busy = |p: &mut Point, client: f64, server: f64| {
            for w in &mut p.windows {
                w.load.client_cpu_utilization = Some(client);
                w.cost.as_mut().expect("a cost").cores_busy = server;
            }
        };
        busy(&mut study.sweep[0], 0.95, 0.5);
        busy(&mut study.sweep[1], 0.95, 0.99);
        busy(&mut study.load_steps[0], 0.97, 0.3);
        busy(&mut study.same_rate[0], 0.2, 0.99);
        assert_eq!(saturated(&study), (2, 1, all));
        assert!(saturation(&study).starts_with(&format!(
            "The load generator alone was saturated at 2 of {all} points and both sides at 1;"
        )));
    }
}
