//! Fixed synthetic data for the report's tests: a quick run's worth of
//! points whose verdicts are known.

use sockmodes_loadgen::LoadReport;

use sockmodes_models::Model;

use super::{BareThreads, CaseResult, Metric, Report, Study};
use crate::affinity::Placement;
use crate::crosscheck::Cell;
use crate::driver::Driver;
use crate::machine::Machine;
use crate::scale::ScalePoint;
use crate::sweep::{Plan, Point, ServerCost, Step, Window};
use crate::target::{BenchKind, Pair, Target};

/// The registry's servers by the part the tests give them: the thread per
/// connection and the event loop of the crossover, and the ring that
/// completion findings compare with the event loop.
pub const THREADS: Target = Pair::THREADS_VS_LOOP.a;
pub const EVENT_LOOP: Target = Pair::THREADS_VS_LOOP.b;
pub const RING: Target = Pair::COMPLETION_VS_READINESS.a;
/// The client engines of those models.
pub const THREADS_MODEL: Model = model(THREADS);
pub const EVENT_LOOP_MODEL: Model = model(EVENT_LOOP);

const fn model(t: Target) -> Model {
    match t {
        Target::Model(m) => m,
        Target::Raw => panic!("not a model"),
    }
}

/// A window with `msgs` messages/s, p99 of 1000 x msgs / 1e5 µs, and a
/// server that used `busy` of its core.
pub fn window(msgs: f64, busy: f64) -> Window {
    let load = LoadReport {
        model: EVENT_LOOP_MODEL,
        ..LoadReport::sample(msgs)
    };
    Window {
        load,
        cost: Some(ServerCost {
            user_us_per_msg: 1.0,
            system_us_per_msg: 4.0,
            switches_per_msg: Some(0.5),
            rss_mib: 5.0,
            threads: 3,
            cores_busy: busy,
            syscalls_per_msg: Some(2.0),
            msgs_per_wakeup: None,
            events_per_wakeup: None,
        }),
        budget_used: None,
        late: Vec::new(),
    }
}

/// A sweep point of `target` at `n` connections, one window per value.
pub fn point(target: Target, n: usize, msgs: &[f64]) -> Point {
    Point {
        target,
        step: Step::Sweep,
        connections: n,
        offered_pct: None,
        offered_per_s: None,
        server_cores: 1,
        budget_cpus: None,
        windows: msgs.iter().map(|&m| window(m, 0.5)).collect(),
        remeasured: 0,
        setup: None,
    }
}

/// A quick run: the thread per connection below the event loop beyond
/// noise from 100 connections, the ring above it; tokio between.
pub fn report() -> Report {
    let sweep = sweep();
    let study = Study {
        plan: Plan::new(BenchKind::Quick, 20_000, 1),
        cases: cases(),
        cross_check: cross_check(&sweep),
        cross_skipped: Vec::new(),
        service: service(),
        sweep,
        load_steps: load_steps(),
        same_rate: same_rate(),
        scale: scale(),
        bare_threads: Some(BareThreads {
            threads: 10_000,
            rss_mib: 138.0,
            baseline_mib: 4.0,
        }),
        elapsed_s: Some(200.0),
        parts: vec![
            super::PartTime {
                part: super::Part::Criterion,
                seconds: 60.0,
            },
            super::PartTime {
                part: super::Part::CrossCheck,
                seconds: 80.0,
            },
        ],
    };
    let machine = Machine {
        cpu: "test".into(),
        cores: 2,
        kernel: "test".into(),
        memory_gib: 24.0,
        date_utc: "2026-11-26 00:00 UTC".into(),
    };
    Report::new(study, machine)
}

/// The fixture's report with its measurements replaced by `study`, judged
/// again: a test that changes the measurements sees the analysis change.
pub fn report_of(study: Study) -> Report {
    Report::new(study, report().machine)
}

/// The sweep: 1 to 1,000 connections, five windows a point.
fn sweep() -> Vec<Point> {
    let mut sweep = Vec::new();
    for (n, b, nb, tk) in [
        (
            1,
            [20e3, 20.5e3, 21e3, 21.5e3, 22e3],
            [20.5e3, 21e3, 21.5e3, 22e3, 22.5e3],
            [20e3, 20.5e3, 21e3, 22e3, 23e3],
        ),
        (
            10,
            [130e3, 135e3, 140e3, 145e3, 150e3],
            [135e3, 140e3, 145e3, 150e3, 155e3],
            [130e3, 140e3, 150e3, 155e3, 160e3],
        ),
        (
            100,
            [100e3, 105e3, 110e3, 112e3, 115e3],
            [180e3, 185e3, 190e3, 195e3, 200e3],
            [170e3, 180e3, 185e3, 195e3, 205e3],
        ),
        (
            1000,
            [90e3, 95e3, 100e3, 102e3, 105e3],
            [170e3, 175e3, 180e3, 185e3, 190e3],
            [160e3, 170e3, 175e3, 180e3, 185e3],
        ),
    ] {
        sweep.push(point(THREADS, n, &b));
        sweep.push(point(EVENT_LOOP, n, &nb));
        sweep.push(point(Target::TOKIO, n, &tk));
        // The ring: the event loop's figures plus 15,000 (exact in JSON).
        let c = nb.map(|x| x + 15e3);
        sweep.push(point(RING, n, &c));
    }
    sweep
}

/// The offered-load steps: 10%, 50% and 90% of 100,000 msg/s.
fn load_steps() -> Vec<Point> {
    let mut load_steps = Vec::new();
    for pct in [10.0, 50.0, 90.0] {
        for t in Target::every_studied() {
            let mut p = point(
                t,
                1000,
                &[
                    pct * 1e3,
                    pct * 1.05e3,
                    pct * 1.1e3,
                    pct * 1.15e3,
                    pct * 1.2e3,
                ],
            );
            p.step = Step::Offered;
            p.offered_pct = Some(pct);
            p.offered_per_s = Some(pct * 1e3);
            load_steps.push(p);
        }
    }
    load_steps
}

/// Every server at 50,000 msg/s, the ring cheapest.
fn same_rate() -> Vec<Point> {
    let mut same_rate = Vec::new();
    for (t, cpu) in [
        (THREADS, 9.0),
        (EVENT_LOOP, 5.0),
        (RING, 4.0),
        (Target::TOKIO, 6.0),
    ] {
        let mut p = point(t, 1000, &[50e3; 5]);
        p.step = Step::SameRate;
        p.offered_pct = Some(50.0);
        p.offered_per_s = Some(50e3);
        for (k, w) in p.windows.iter_mut().enumerate() {
            let c = w.cost.as_mut().expect("fixture has costs");
            c.user_us_per_msg = cpu / 5.0;
            c.system_us_per_msg = cpu * 0.8 + 0.1 * k as f64;
        }
        same_rate.push(p);
    }
    same_rate
}

/// One criterion case, every server at 12 µs.
fn cases() -> Vec<CaseResult> {
    vec![CaseResult {
        group: super::Group::Latency,
        case: super::Case {
            service: sockmodes_common::Service::Echo,
            bytes: 16,
        },
        metric: Metric::LatencyUs,
        values: Target::every().iter().map(|&t| (t, 12.0)).collect(),
        source: super::Source::CriterionMedian,
    }]
}

/// 10,000 idle connections: the thread per connection at 140 MiB.
fn scale() -> Vec<ScalePoint> {
    [THREADS, EVENT_LOOP, RING]
        .iter()
        .map(|&t| ScalePoint {
            target: t,
            connections: 10_000,
            rss_mib: if t == THREADS { 140.0 } else { 7.0 },
            baseline_mib: 4.0,
        })
        .collect()
}

/// The cross-check at 100 connections.
fn cross_check(sweep: &[Point]) -> Vec<Cell> {
    // The cross-check at 100: every driver agrees with the sweep, except
    // that the thread-per-connection client, unpinned, sees completion
    // behind the event loop (so that pair depends on the client).
    let sweep_driver = Driver::sweep(Placement::for_sweep());
    let mut cross_check = Vec::new();
    // Split and unpinned only: `cross.rs`'s tests build budget cells.
    let placements: Vec<Placement> = Placement::for_cross_check()
        .into_iter()
        .filter(|&p| p != Placement::Budget)
        .collect();
    for d in Driver::every(sweep_driver, &placements) {
        for t in Target::every_model() {
            let mut p = sweep
                .iter()
                .find(|p| p.target == t && p.connections == 100)
                .expect("the sweep has 100")
                .clone();
            if d != sweep_driver {
                p.step = Step::CrossCheck;
            }
            if t == RING && d.engine == THREADS_MODEL && d != sweep_driver {
                p.windows.iter_mut().for_each(|w| {
                    w.load.messages_per_s /= 2.0;
                    w.load.answered_per_s /= 2.0;
                });
            }
            counted_wakeups(&mut p, d);
            cross_check.push(Cell {
                driver: d,
                point: p,
            });
        }
    }
    cross_check
}

/// The servers' own counts of their wake-ups in a cross-check cell: about
/// 9 messages a wake-up with the event-loop client; with the thread
/// client 4 for the event loop and 1.3 for the ring (the cause of its
/// verdict depending on the client); the thread per connection and tokio
/// count none.
fn counted_wakeups(p: &mut Point, d: Driver) {
    let threads_client = d.engine == THREADS_MODEL;
    let per_wakeup = match p.target {
        t if t == RING && threads_client => 1.3,
        t if t == EVENT_LOOP && threads_client => 4.0,
        t if t == EVENT_LOOP || t == RING => 9.0,
        _ => return,
    };
    for (w, k) in p.windows.iter_mut().zip([0.96, 0.98, 1.0, 1.01, 1.03]) {
        let c = w.cost.as_mut().expect("fixture has costs");
        c.msgs_per_wakeup = Some(per_wakeup * k);
        c.events_per_wakeup = Some(per_wakeup * k * 1.5);
    }
}

/// A service-work point: `target` with `work`, inline or on a pool of
/// `offload`, one window per value of `msgs`.
pub fn service_point(target: Target, work: &str, offload: Option<usize>, msgs: &[f64]) -> Point {
    Point {
        step: Step::Service,
        setup: Some(crate::setup::Setup {
            work: work.parse().expect("a valid work"),
            offload,
        }),
        ..point(target, 100, msgs)
    }
}

/// A quick run's service work: with a blocking call, the inline loops sit
/// at their ceiling of 1,000 and the pools and the thread per connection
/// far above; computing is bounded by the one core whatever the setup.
pub fn service() -> Vec<Point> {
    let around = |m: f64| [0.96 * m, 0.98 * m, m, 1.01 * m, 1.03 * m];
    let mut v = Vec::new();
    for (work, threads, inline, pooled) in [
        ("cpu:20us", 30e3, 31e3, 30.5e3),
        ("block:1ms", 45e3, 990.0, 44e3),
        ("wait:1ms", 40e3, 60e3, 0.0),
    ] {
        v.push(service_point(THREADS, work, None, &around(threads)));
        for t in [EVENT_LOOP, RING] {
            v.push(service_point(t, work, None, &around(inline)));
            if pooled > 0.0 {
                v.push(service_point(t, work, Some(64), &around(pooled)));
            }
        }
    }
    v
}
