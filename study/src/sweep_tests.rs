//! Tests of `sweep.rs`: the plan, and the rates each open-loop step
//! offers, from hand-made sweep points.

use super::*;
use crate::report::fixture::{point, EVENT_LOOP, THREADS};

#[test]
fn the_plan_stops_the_sweep_at_the_open_file_limit_and_says_so() {
    let full = Plan::new(RunMode::Full, 1 << 20, 1);
    assert_eq!(full.connections, [1, 10, 100, 1_000, 10_000]);
    assert_eq!(full.stopped_by, "the plan (largest count planned)");
    assert_eq!(full.cross_counts, [100, 1_000]);
    // 1,000 connections need 1,200 descriptors: a limit of 1,100 stops
    // the sweep and the cross-check at 100.
    let low = Plan::new(RunMode::Full, 1_100, 1);
    assert_eq!(low.connections, [1, 10, 100]);
    assert_eq!(low.cross_counts, [100]);
    assert!(
        low.stopped_by.contains("1000 connections need about 1200")
            && low.stopped_by.contains("1100"),
        "{}",
        low.stopped_by
    );
    let quick = Plan::new(RunMode::Quick, 1 << 20, 1);
    assert_eq!(quick.servers, Target::models(), "quick leaves tokio out");
    assert!(Plan::new(RunMode::Full, 1 << 20, 1)
        .servers
        .contains(&Target::Tokio));
    assert_eq!(quick.window_s(Step::Sweep), 1.5);
    assert_eq!(quick.window_s(Step::Offered), 0.6);
    assert_eq!(quick.window_s(Step::CrossCheck), 1.0);
    assert_eq!(quick.window_s(Step::Service), 0.5);
    assert_eq!(quick.load_steps, [10.0, 100.0], "the lowest is light load");
}

#[test]
fn capacity_is_the_median_answered_at_that_count_and_rates_follow_it() {
    let sweep = vec![
        point(THREADS, 100, &[90.0, 100.0, 110.0]),
        point(EVENT_LOOP, 100, &[300.0, 200.0, 250.0]),
        point(EVENT_LOOP, 1000, &[500.0, 500.0, 500.0]),
    ];
    assert_eq!(
        capacities(&sweep, 100),
        [(THREADS, 100.0), (EVENT_LOOP, 250.0)]
    );
    assert_eq!(capacities(&sweep, 1000), [(EVENT_LOOP, 500.0)]);
    assert!(capacities(&sweep, 10).is_empty());
    let caps = capacities(&sweep, 100);
    assert_eq!(
        own_share(&caps, 50.0),
        [(THREADS, 50.0), (EVENT_LOOP, 125.0)]
    );
    // The same rate for all: half of the slowest, 100.
    assert_eq!(
        slowest_share(&caps, 50.0),
        [(THREADS, 50.0), (EVENT_LOOP, 50.0)]
    );
    assert!(slowest_share(&[], 50.0).is_empty());
}

#[test]
fn an_open_loop_step_offers_each_server_its_rate_at_the_load_count() {
    let plan = Plan::new(RunMode::Quick, 1 << 20, 1);
    let driver = Driver::sweep(crate::affinity::Placement::Split);
    let rates = [(THREADS, 50.0), (EVENT_LOOP, 125.0)];
    let points = open_loop(&plan, driver, Step::Offered, 50.0, &rates);
    let offered: Vec<(Target, Option<f64>, Option<f64>)> = points
        .iter()
        .map(|(p, rate)| (p.target, p.offered_per_s, *rate))
        .collect();
    assert_eq!(
        offered,
        [
            (THREADS, Some(50.0), Some(50.0)),
            (EVENT_LOOP, Some(125.0), Some(125.0))
        ]
    );
    for (p, _) in &points {
        assert_eq!((p.step, p.connections), (Step::Offered, 100));
        assert_eq!(p.offered_pct, Some(50.0));
    }
    assert!(
        points.iter().all(|(p, _)| p.windows.is_empty()),
        "not measured yet"
    );
}
