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

use serde::{Deserialize, Serialize};

use crate::affinity::Placement;
pub use crate::driver::Driver;
pub use crate::launch::Launcher;
pub(crate) use crate::measure::{empty, measure_all};
pub use crate::point::{disturbed, find, Limit, Point, ServerCost, Step, Window, DISTURBED};
use crate::progress::Progress;
use crate::target::{RunMode, Target};

/// How big and how long, by run mode.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Plan {
    pub run_mode: RunMode,
    /// The servers studied, in the order each round measures them.
    pub servers: Vec<Target>,
    /// Connection counts of the sweep.
    pub connections: Vec<usize>,
    /// Why the sweep stops where it does.
    pub stopped_by: String,
    /// Connections of the offered-load and same-rate steps.
    pub load_connections: usize,
    /// Offered load steps, % of each server's closed-loop capacity.
    pub load_steps: Vec<f64>,
    /// The same-rate step: % of the slowest server's capacity.
    pub same_rate_pct: f64,
    /// Windows per point.
    pub repeats: usize,
    pub warmup_s: f64,
    /// Window length of the closed-loop sweep.
    pub measure_s: f64,
    /// Window length of the open-loop steps (offered load, same rate).
    #[serde(default)]
    pub open_measure_s: f64,
    /// The most warm-up a window may take while some connection still waits
    /// for its first answer (then its connections count as starved).
    pub warmup_cap_s: f64,
    /// Cores each server gets (the split placement's server half).
    pub server_cores: usize,
    /// Connection counts of the cross-check (`crosscheck.rs`): every client
    /// engine, both placements.
    #[serde(default)]
    pub cross_counts: Vec<usize>,
    /// Placements of the cross-check (`Placement::for_cross_check`, less
    /// those that give no evidence on this machine). A report without the
    /// field measured split and unpinned.
    #[serde(default = "split_and_unpinned")]
    pub cross_placements: Vec<Placement>,
    /// Window length of the cross-check's closed-loop cells.
    #[serde(default)]
    pub cross_measure_s: f64,
    /// The service-work section (`service.rs`): its cases, each a work per
    /// message that every server serves.
    #[serde(default, with = "works_text")]
    pub service_cases: Vec<sockmodes_common::Work>,
    /// Connections of the service-work points.
    #[serde(default)]
    pub service_connections: usize,
    /// Workers of the pool (`--offload`) where a model has one.
    #[serde(default)]
    pub service_pool: usize,
    /// Window length of the service-work points.
    #[serde(default)]
    pub service_measure_s: f64,
}

fn split_and_unpinned() -> Vec<Placement> {
    vec![Placement::Split, Placement::Unpinned]
}

/// The cases travel as their `--work` texts.
mod works_text {
    use serde::{Deserialize, Deserializer, Serializer};
    use sockmodes_common::Work;

    pub fn serialize<S: Serializer>(w: &[Work], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(w.iter().map(Work::to_string))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Work>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|t| t.parse().map_err(serde::de::Error::custom))
            .collect()
    }
}

impl Plan {
    /// The plan for `mode`, within the open-file limit `nofile` (each side
    /// holds one descriptor per connection). A table: every size of every
    /// run mode, each beside the reason it was chosen
    /// (docs/benchmarks.md has the runs that measured them).
    pub fn new(mode: RunMode, nofile: u64, server_cores: usize) -> Plan {
        // Why these counts: decades from 1 to 10,000, where the models part
        // ways. Why R = 5: the noise rule's exact rank test can reach its 5%
        // level only from four or five windows a side (with three each its
        // smallest p is 10%, so no difference could ever be claimed), and
        // five keeps chance "differences" between equal servers to one
        // comparison in twenty. Why these windows: the full run must stay
        // within 20 minutes and quick within 4, on a slow day of this shared
        // machine too (a quick run took 350 s with other builds running).
        // Quick keeps R = 5 and trades breadth for it: it stops at 100
        // connections (the blocking server's ramp to 1,000 takes seconds per
        // window), starts at 10 (at one connection the servers never
        // differed beyond noise, and criterion measures one connection with
        // every server), leaves the tokio reference out, and takes 1.2 s
        // sweep windows (0.5 s in the open-loop steps). Full takes 1 s sweep
        // windows and 0.8 s open-loop ones: with the budget placement its
        // cross-check measures 160 windows where it measured 120.
        let (wanted, steps, repeats, warmup, measure, cap): (
            &[usize],
            &[f64],
            usize,
            f64,
            f64,
            f64,
        ) = match mode {
            RunMode::Test => (&[1, 10], &[50.0], 1, 0.0, 0.3, 2.0),
            RunMode::Quick => (&[10, 100], &[10.0, 100.0], 5, 0.2, 1.2, 3.0),
            RunMode::Full => (
                &[1, 10, 100, 1_000, 10_000],
                &[10.0, 50.0, 90.0],
                5,
                0.5,
                1.0,
                // Why a 5 s cap: a thread per connection admits newcomers
                // from one accept thread, and under load the scheduler
                // gives that thread its fair share of the one server core,
                // 1/N among N busy connection threads: about 50 connections
                // a second, so 1,000 connections take 4 to 20 s to be
                // answered once. Waiting for all of them would take minutes
                // of the run's 20; a window that starts before every first
                // answer counts the rest as never answered, and the
                // report's ramp column shows it.
                5.0,
            ),
        };
        // Room for the process's own descriptors besides the connections.
        let fits = |n: usize| n as u64 + 200 <= nofile;
        let connections: Vec<usize> = wanted.iter().copied().filter(|&n| fits(n)).collect();
        let stopped_by = match wanted.iter().find(|&&n| !fits(n)) {
            Some(n) => format!(
                "the open-file limit: {n} connections need about {} descriptors in each process, and the limit is {nofile}",
                n + 200
            ),
            None if mode == RunMode::Full => "the plan (largest count planned)".into(),
            None => format!("{} mode (a shorter sweep than a full run)", mode.name()),
        };
        Plan {
            run_mode: mode,
            servers: match mode {
                RunMode::Quick => Target::models(),
                _ => Target::studied(),
            },
            connections,
            stopped_by,
            load_connections: match mode {
                RunMode::Test => 10,
                RunMode::Quick => 100,
                RunMode::Full => 1_000,
            },
            load_steps: steps.to_vec(),
            same_rate_pct: 50.0,
            repeats,
            warmup_s: warmup,
            measure_s: measure,
            // The sweep's verdicts are what two runs must agree on, so its
            // windows are the longest; the open-loop steps keep short ones.
            open_measure_s: match mode {
                RunMode::Test => measure,
                RunMode::Quick => 0.5,
                RunMode::Full => 0.8,
            },
            warmup_cap_s: cap,
            server_cores,
            // Why these counts: 100 and 1,000 are where the client's model
            // was seen to flip the ranking of the servers (unpinned, a thread
            // per connection on both sides); quick keeps 100, the count its
            // sweep ends at. The cross-check adds four cells per server and
            // count (two engines, unpinned and budget: docs/benchmarks.md,
            // "What one machine can and cannot tell you"), so its windows
            // are short: 0.6 s. A budget cell is server-bound (60 quota
            // periods of 10 ms a window, each the same half core), so its
            // windows vary little; 1 s ones took quick over its 4 minutes.
            cross_counts: match mode {
                RunMode::Test => vec![10],
                RunMode::Quick => vec![100],
                RunMode::Full => vec![100, 1_000],
            }
            .into_iter()
            .filter(|&n| fits(n))
            .collect(),
            // Why split is left out of quick and full: at their counts (100
            // and 1,000) its client has one core of its own and every client
            // engine was saturated on it (97-101% busy), so its cells were
            // no evidence and left the comparisons without a verdict. The
            // budget placement makes the server the bottleneck instead. A
            // test run keeps every placement, to run each once.
            cross_placements: Placement::for_cross_check()
                .into_iter()
                .filter(|&p| mode == RunMode::Test || p != Placement::Split)
                .collect(),
            cross_measure_s: match mode {
                RunMode::Test => 0.3,
                RunMode::Quick | RunMode::Full => 0.6,
            },
            // Why these cases: 20 µs of computing is a handler that parses
            // and renders; 1 ms is a database call on a local network,
            // made synchronously (block) or awaited (wait). Why 1,000
            // connections: a thread per connection then has 1,000 messages
            // in work at once, an inline loop one; quick takes 100, the
            // count its sweep ends at. Why 64 workers: a pool size a
            // service would pick, well under the open-file limit. Why 0.5 s
            // windows in quick: an inline loop still answers about 500
            // messages in one, and the section must leave quick within its
            // 4 minutes (its open-loop steps are 10% and 100%, the knee's
            // light load and saturation). Full: 0.8 s windows (an inline
            // loop with `block:1ms` answers about 800 messages in one).
            service_cases: ["cpu:20us", "block:1ms", "wait:1ms"]
                .iter()
                .map(|w| w.parse().expect("a valid work"))
                .collect(),
            service_connections: match mode {
                RunMode::Test => 10,
                RunMode::Quick => 100,
                RunMode::Full => 1_000,
            },
            service_pool: 64,
            service_measure_s: match mode {
                RunMode::Test => 0.3,
                RunMode::Quick => 0.5,
                RunMode::Full => 0.8,
            },
        }
    }

    /// The window length of a point of `step`.
    pub fn window_s(&self, step: Step) -> f64 {
        match step {
            Step::Sweep => self.measure_s,
            Step::Offered | Step::SameRate => self.open_measure_s,
            Step::CrossCheck => self.cross_measure_s,
            Step::Service => self.service_measure_s,
        }
    }
}

/// The connection sweep: every studied server at every count.
pub fn connection_sweep(
    plan: &Plan,
    driver: Driver,
    launcher: &Launcher,
    progress: &Progress,
) -> Vec<Point> {
    let mut points = Vec::new();
    for &n in &plan.connections {
        // All of one count's rounds before the next count: interleaved
        // servers, and a drift over the run falls on one count at a time.
        let at_n = plan
            .servers
            .iter()
            .map(|&t| (empty(t, Step::Sweep, n, driver.placement), None))
            .collect();
        points.extend(measure_all(plan, driver, launcher, progress, at_n));
    }
    points
}

/// Each server's closed-loop capacity at `n` connections: the median of its
/// sweep windows.
pub fn capacities(sweep: &[Point], n: usize) -> Vec<(Target, f64)> {
    Target::studied()
        .iter()
        .filter(|&&t| sweep.iter().any(|p| p.target == t))
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
pub fn offered_load(
    plan: &Plan,
    driver: Driver,
    launcher: &Launcher,
    progress: &Progress,
    sweep: &[Point],
) -> Vec<Point> {
    let caps = capacities(sweep, plan.load_connections);
    let mut points = Vec::new();
    for &pct in &plan.load_steps {
        let rates = own_share(&caps, pct);
        let step = open_loop(plan, driver, Step::Offered, pct, &rates);
        points.extend(measure_all(plan, driver, launcher, progress, step));
    }
    points
}

/// Every server at one rate: `plan.same_rate_pct` of the slowest capacity.
pub fn same_rate(
    plan: &Plan,
    driver: Driver,
    launcher: &Launcher,
    progress: &Progress,
    sweep: &[Point],
) -> Vec<Point> {
    let caps = capacities(sweep, plan.load_connections);
    let rates = slowest_share(&caps, plan.same_rate_pct);
    if rates.is_empty() {
        return Vec::new();
    }
    let step = open_loop(plan, driver, Step::SameRate, plan.same_rate_pct, &rates);
    measure_all(plan, driver, launcher, progress, step)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture::{point, EVENT_LOOP, THREADS};
    use sockmodes_models::IoMode;

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
        // The full run adds the reference wherever it is built.
        assert_eq!(
            Plan::new(RunMode::Full, 1 << 20, 1).servers,
            Target::studied()
        );
        assert_eq!(
            Target::studied().contains(&Target::TOKIO),
            IoMode::TOKIO.info().built
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
}
