//! The scaling study: where the I/O models part ways, measured in repeated
//! windows.
//!
//! Three experiments against every studied server, each server in a process
//! of its own on the server cores (placement `split`), driven by
//! `sockmodes load`'s non-blocking engine on the client cores:
//!
//! 1. **Connection sweep**, closed loop, 64-byte echo, 1 to 10,000
//!    connections: messages/s and latency from the load engine; from the
//!    server's `/proc`, CPU per message (user and system), context switches
//!    per message, resident memory and threads; ramp and fairness.
//! 2. **Offered load** (the hockey stick): at 1,000 connections, open loop
//!    at steps of each server's own capacity (the median of its sweep
//!    windows at that count).
//! 3. **Same rate**: every server at one offered rate, half the slowest
//!    one's capacity, so that CPU and switches per message compare servers
//!    that are none of them saturated.
//!
//! Every point is measured in R windows ([`Plan::repeats`]); each window gets
//! a fresh server process, and servers are interleaved (blocking,
//! non-blocking, tokio, then again), so the machine's drift falls on all of
//! them alike. A [`Point`] keeps every window's whole [`LoadReport`](sockmodes_loadgen::LoadReport) and
//! the server's costs; the figures the report shows are their spreads.

pub use crate::driver::Driver;
pub use crate::launch::Launcher;
pub(crate) use crate::measure::empty;
pub use crate::measure::Measurer;
pub use crate::plan::Plan;
pub use crate::point::{find, Limit, Point, ServerCost, Step, Window};
use crate::target::Target;

/// The connection sweep: every studied server at every count.
pub fn connection_sweep(m: Measurer) -> Vec<Point> {
    // All of one count's rounds before the next count: interleaved
    // servers, and a drift over the run falls on one count at a time.
    let mut points = Vec::new();
    for &n in &m.plan.connections {
        points.extend(m.all(m.servers_at(Step::Sweep, n)));
    }
    points
}

/// Each server's closed-loop capacity at `n` connections: the median of its
/// sweep windows.
pub fn capacities(sweep: &[Point], n: usize) -> Vec<(Target, f64)> {
    Target::studied()
        .iter()
        .filter_map(|&t| Some((t, find(sweep, t, n)?.answered()?.median)))
        .filter(|(_, c)| *c > 0.0)
        .collect()
}

/// Each server offered `pct`% of its own capacity (the hockey stick).
pub fn own_share(caps: &[(Target, f64)], pct: f64) -> Vec<(Target, f64)> {
    caps.iter()
        .map(|&(t, cap)| (t, cap * pct / 100.0))
        .collect()
}

/// Every server offered one rate, `pct`% of the slowest capacity (the
/// same-rate step); none without capacities.
pub fn slowest_share(caps: &[(Target, f64)], pct: f64) -> Vec<(Target, f64)> {
    let Some(slowest) = caps.iter().map(|&(_, c)| c).min_by(f64::total_cmp) else {
        return Vec::new();
    };
    caps.iter()
        .map(|&(t, _)| (t, slowest * pct / 100.0))
        .collect()
}

/// Open-loop points at `n` connections, one per `(server, rate)`.
fn open_loop(
    plan: &Plan,
    driver: Driver,
    step: Step,
    pct: f64,
    rates: &[(Target, f64)],
) -> Vec<(Point, Option<f64>)> {
    rates
        .iter()
        .map(|&(t, rate)| {
            let mut p = empty(t, step, plan.load_connections, driver.placement);
            p.offered_pct = Some(pct);
            p.offered_per_s = Some(rate);
            (p, Some(rate))
        })
        .collect()
}

/// The hockey stick: open loop at each step of each server's own capacity.
pub fn offered_load(m: Measurer, sweep: &[Point]) -> Vec<Point> {
    let caps = capacities(sweep, m.plan.load_connections);
    let mut points = Vec::new();
    for &pct in &m.plan.load_steps {
        let rates = own_share(&caps, pct);
        points.extend(m.all(open_loop(m.plan, m.driver, Step::Offered, pct, &rates)));
    }
    points
}

/// Every server at one rate: `plan.same_rate_pct` of the slowest capacity
/// (none without capacities).
pub fn same_rate(m: Measurer, sweep: &[Point]) -> Vec<Point> {
    let (plan, pct) = (m.plan, m.plan.same_rate_pct);
    let rates = slowest_share(&capacities(sweep, plan.load_connections), pct);
    m.all(open_loop(plan, m.driver, Step::SameRate, pct, &rates))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture::{point, EVENT_LOOP, THREADS};
    use crate::target::BenchKind;
    use sockmodes_models::Model;

    #[test]
    fn the_plan_stops_the_sweep_at_the_open_file_limit_and_says_so() {
        let full = Plan::new(BenchKind::Full, 1 << 20, 1);
        assert_eq!(full.connections, [1, 10, 100, 1_000, 10_000]);
        assert_eq!(full.stopped_by, "the plan (largest count planned)");
        assert_eq!(full.cross_counts, [100, 1_000]);
        // 1,000 connections need 1,200 descriptors: a limit of 1,100 stops
        // the sweep and the cross-check at 100.
        let low = Plan::new(BenchKind::Full, 1_100, 1);
        assert_eq!(low.connections, [1, 10, 100]);
        assert_eq!(low.cross_counts, [100]);
        assert!(
            low.stopped_by.contains("1000 connections need about 1200")
                && low.stopped_by.contains("1100"),
            "{}",
            low.stopped_by
        );
        let quick = Plan::new(BenchKind::Quick, 1 << 20, 1);
        assert_eq!(quick.servers, Target::models(), "quick leaves tokio out");
        // The full run adds the reference wherever it is built.
        assert_eq!(
            Plan::new(BenchKind::Full, 1 << 20, 1).servers,
            Target::studied()
        );
        assert_eq!(
            Target::studied().contains(&Target::TOKIO),
            Model::TOKIO.info().built
        );
        assert_eq!(quick.connections, [10, 100]);
        assert_eq!(quick.window_s(Step::Sweep), 1.2);
        assert_eq!(quick.window_s(Step::Offered), 0.5);
        assert_eq!(quick.window_s(Step::CrossCheck), 0.6);
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
        let plan = Plan::new(BenchKind::Quick, 1 << 20, 1);
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
}
