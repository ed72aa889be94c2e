//! Findings about what each server spends: the costs of a thread per
//! connection and of the event loop at the largest count, CPU per message
//! at the same offered rate (and the cheapest server beyond noise), the
//! knee of the hockey stick, and how often a side was saturated. Each
//! figure-computing function is tested below on hand-made windows; the
//! findings are said in `costs_show.rs`.

use super::findings::Finding;
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

/// What one server spent at a count: threads, resident memory, context
/// switches and CPU per message, over the windows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Costs {
    pub threads: Option<Spread>,
    pub rss_mib: Option<Spread>,
    pub switches_per_msg: Option<Spread>,
    pub cpu_per_msg: Option<Spread>,
}

impl Costs {
    pub fn of(p: &Point) -> Costs {
        Costs {
            threads: p.threads(),
            rss_mib: p.rss_mib(),
            switches_per_msg: p.switches_per_msg(),
            cpu_per_msg: p.cpu_per_msg(),
        }
    }
}

/// How long the last connection of a point waited for its first answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RampUp {
    /// Seconds, over the windows: every connection was answered.
    Within(Spread),
    /// Some connection was never answered within the warm-up cap of
    /// `cap_s` seconds, in `unanswered` of `windows` windows.
    OverCap {
        cap_s: f64,
        unanswered: usize,
        windows: usize,
    },
}

impl RampUp {
    /// `p`'s ramp, with `cap_s` the plan's warm-up cap.
    pub fn of(p: &Point, cap_s: f64) -> RampUp {
        match (p.ramp_s(), p.windows_with_unanswered()) {
            (Some(s), 0) => RampUp::Within(s),
            (_, unanswered) => RampUp::OverCap {
                cap_s,
                unanswered,
                windows: p.windows.len(),
            },
        }
    }
}

/// The costs of a thread per connection and of the event loop at the
/// largest count (the registry's [`Pair::THREADS_VS_LOOP`]): what each
/// spent, and how long each took to answer every connection.
pub fn largest(study: &Study) -> Vec<Finding> {
    let Some(connections) = study.sweep.iter().map(|p| p.connections).max() else {
        return Vec::new();
    };
    let pair = Pair::THREADS_VS_LOOP;
    let (Some(a), Some(b)) = (
        find(&study.sweep, pair.a, connections),
        find(&study.sweep, pair.b, connections),
    ) else {
        return Vec::new();
    };
    let cap = study.plan.warmup_cap_s;
    vec![
        Finding::Costs {
            pair,
            connections,
            a: Costs::of(a),
            b: Costs::of(b),
        },
        Finding::Ramp {
            pair,
            connections,
            a: RampUp::of(a, cap),
            b: RampUp::of(b, cap),
            starved: (a.starved(), b.starved()),
        },
    ]
}

/// CPU per message of every server at the same offered rate, and the
/// cheapest beyond noise if one is.
pub fn same_rate(study: &Study) -> Option<Finding> {
    let points: Vec<&Point> = study
        .same_rate
        .iter()
        .filter(|p| p.step == Step::SameRate)
        .collect();
    let first = points.first()?;
    Some(Finding::SameRate {
        offered_per_s: first.offered_per_s.unwrap_or(0.0),
        offered_pct: first.offered_pct.unwrap_or(0.0),
        connections: first.connections,
        cpu: points.iter().map(|p| (p.target, p.cpu_per_msg())).collect(),
        cheapest: cheapest(&points).map(|p| p.target),
    })
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

/// One server's knee under offered load: up to which offered share its
/// p99 stayed within [`KNEE`] times the lightest step's, and that step's
/// share and p99 (µs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Knee {
    pub target: Target,
    pub calm_up_to: f64,
    pub light_pct: f64,
    pub light_p99_us: Option<Spread>,
}

/// Each server's knee: up to which offered share its p99 stayed calm.
pub fn knees(study: &Study) -> Option<Finding> {
    let mut out = Vec::new();
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
        out.push(Knee {
            target: t,
            calm_up_to: calm,
            light_pct: light.offered_pct.unwrap_or(0.0),
            light_p99_us: light.p99(),
        });
    }
    (!out.is_empty()).then_some(Finding::Knees(out))
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

/// How often a side was saturated.
pub fn saturation(study: &Study) -> Finding {
    let (client, both, all) = saturated(study);
    Finding::Saturation { client, both, all }
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
        study.same_rate = vec![threads, event_loop.clone(), close];
        let Some(Finding::SameRate { cpu, cheapest, .. }) = same_rate(&study) else {
            panic!("measured")
        };
        assert_eq!(cheapest, None);
        let medians: Vec<(Target, f64)> =
            cpu.iter().map(|(t, s)| (*t, s.unwrap().median)).collect();
        assert_eq!(medians, [(THREADS, 10.0), (EVENT_LOOP, 5.4), (RING, 5.2)]);
        study.same_rate[2] = ring;
        // Points of another step are not the same rate's.
        let mut offered = event_loop;
        offered.step = Step::Offered;
        study.same_rate.push(offered);
        let Some(Finding::SameRate {
            cpu,
            cheapest,
            offered_per_s,
            connections,
            ..
        }) = same_rate(&study)
        else {
            panic!("measured")
        };
        assert_eq!((cheapest, cpu.len()), (Some(RING), 3));
        assert_eq!(
            (offered_per_s, connections),
            (0.0, 1000),
            "none offered in the hand-made points"
        );
        study.same_rate.clear();
        assert_eq!(same_rate(&study), None);
    }

    #[test]
    fn the_knees_are_each_servers_from_its_own_steps_lightest_first() {
        let mut study = fixture::report().study;
        let mut ring = step(90.0, &[5e3, 6e3, 7e3, 8e3, 9e3]);
        ring.target = RING;
        let mut ring_light = step(10.0, &[100.0, 110.0, 120.0, 130.0, 140.0]);
        ring_light.target = RING;
        // Out of order, and one step without an offered share: ignored.
        let mut unoffered = step(50.0, &[1e9; 5]);
        unoffered.offered_pct = None;
        study.load_steps = vec![
            step(90.0, &[900.0; 5]),
            ring,
            step(10.0, &[100.0, 110.0, 120.0, 130.0, 140.0]),
            ring_light,
            unoffered,
        ];
        let Some(Finding::Knees(knees)) = knees(&study) else {
            panic!("two servers with steps")
        };
        let got: Vec<(Target, f64, f64)> = knees
            .iter()
            .map(|k| (k.target, k.calm_up_to, k.light_pct))
            .collect();
        assert_eq!(got, [(EVENT_LOOP, 90.0, 10.0), (RING, 10.0, 10.0)]);
        assert_eq!(knees[0].light_p99_us.map(|s| s.median), Some(120.0));
        study.load_steps.clear();
        assert_eq!(super::knees(&study), None);
    }

    #[test]
    fn the_largest_count_gives_each_servers_costs_and_ramp() {
        let mut study = fixture::report().study;
        let mut threads = point(THREADS, 5000, &[1e3; 5]);
        for (i, w) in threads.windows.iter_mut().enumerate() {
            w.cost.as_mut().expect("a cost").threads = 5000 + i as u64;
            w.load.ramp.never_answered = usize::from(i < 2);
        }
        let event_loop = point(EVENT_LOOP, 5000, &[2e3; 5]);
        study.sweep.extend([threads, event_loop]);
        let found = largest(&study);
        let [Finding::Costs {
            connections, a, b, ..
        }, Finding::Ramp {
            a: ramp_a,
            b: ramp_b,
            ..
        }] = &found[..]
        else {
            panic!("costs and ramp: {found:?}")
        };
        assert_eq!(*connections, 5000);
        assert_eq!(a.threads.map(|s| s.median), Some(5002.0));
        assert_eq!(b.threads.map(|s| s.median), Some(3.0));
        assert_eq!(a.cpu_per_msg.map(|s| s.median), Some(5.0));
        let cap = study.plan.warmup_cap_s;
        assert_eq!(
            *ramp_a,
            RampUp::OverCap {
                cap_s: cap,
                unanswered: 2,
                windows: 5
            }
        );
        assert!(matches!(ramp_b, RampUp::Within(s) if s.median == 0.003));
        // Without the event loop at the largest count: nothing to compare.
        study.sweep.pop();
        assert!(largest(&study).is_empty());
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
        assert_eq!(
            saturation(&study),
            Finding::Saturation {
                client: 2,
                both: 1,
                all
            }
        );
    }
}
