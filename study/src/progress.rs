//! Where a long run is: each part of `cargo bench` announced with its
//! number and the time left, the same at its end, and the window under way
//! on one line that redraws itself.
//!
//! The time left comes from the plan: each part's windows x (warm-up +
//! window), times what a window really took in that part of the published
//! run (a server's start, the ramp, the drain: [`OVERHEAD`]), and, once a
//! part is done, scaled by how this machine kept to the estimates so far.
//!
//! Quiet when stderr is not a terminal, as `sockmodes load`'s bar is: a CI
//! log keeps criterion's lines and the study's warnings (a window that
//! failed, one measured again), not one line per window.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::parts::{Part, PartTime};
use crate::plan::setups;
use crate::point::Step;
use crate::sweep::Plan;
use crate::target::BenchKind;

/// The parts of `cargo bench`, in the order it runs them, each with the
/// step whose window length its windows take and its overhead: what its
/// windows really took in the published run (docs/benchmarks/report.json),
/// over windows x (warm-up + window): a server started and stopped per
/// window, the ramp to every first answer (the sweep's 10,000 connections,
/// the service cases' 1,000), the drain. Criterion's is over cases x
/// (warm-up + measurement); idle memory's time is per connection instead
/// ([`IDLE_S_PER_CONNECTION`]). A test reads them back from that report,
/// so a new published run updates them.
pub const PARTS: [(Part, Option<Step>, f64); 7] = [
    (Part::Criterion, None, 1.17),
    (Part::Sweep, Some(Step::Sweep), 1.92),
    (Part::OfferedLoad, Some(Step::Offered), 1.05),
    (Part::SameRate, Some(Step::SameRate), 1.05),
    (Part::CrossCheck, Some(Step::CrossCheck), 1.43),
    (Part::Service, Some(Step::Service), 1.87),
    (Part::IdleMemory, None, 1.0),
];

/// Seconds the idle-memory part took per idle connection in the published
/// run (three servers of 10,000 connections each, in 6.6 s): opening and
/// using each one dominates.
pub const IDLE_S_PER_CONNECTION: f64 = 0.00022;

/// Criterion's warm-up and measurement per case, by kind of run (the bench
/// configures criterion with them; the estimate counts them).
///
/// Why 1 s warm-up and 2 s measurement: loopback cases settle within a
/// second, and 25 cases x 3 s keep criterion's share near 90 s of a full
/// run that must stay under 20 minutes with the service-work section.
/// Quick takes 0.2 s and 0.5 s (its cases are the same as full's, and it
/// must stay under 4 minutes on a slow day). A test measures nothing
/// (criterion runs each case once), so it is counted as nothing.
pub fn criterion_times(kind: BenchKind) -> (Duration, Duration) {
    match kind {
        BenchKind::Quick => (Duration::from_millis(200), Duration::from_millis(500)),
        BenchKind::Full | BenchKind::Test => (Duration::from_secs(1), Duration::from_secs(2)),
    }
}

/// One part's share of the plan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PartEstimate {
    pub part: Part,
    /// Windows the plan measures in it (none for criterion and idle memory).
    pub windows: usize,
    /// Seconds it should take.
    pub seconds: f64,
}

/// What the bench tells the estimate beside the plan.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Criterion cases (each server at each payload).
    pub criterion_cases: usize,
    /// Idle connections of the idle-memory part, all servers together.
    pub idle_connections: usize,
}

/// Windows of `part` in `plan`, whose cross-check has `drivers` drivers
/// (`Driver::every(sweep, &plan.cross_placements).len()`, the sweep's
/// among them where its placement is): every point's R windows
/// (re-measured ones come on top).
pub fn windows(plan: &Plan, part: Part, drivers: usize) -> usize {
    let servers = plan.servers.len();
    // The open-loop steps run at the load count's capacities, which only
    // the sweep's points at that count give.
    let loaded = plan.connections.contains(&plan.load_connections);
    let points = match part {
        Part::Criterion | Part::IdleMemory => 0,
        Part::Sweep => plan.connections.len() * servers,
        Part::OfferedLoad if loaded => plan.load_steps.len() * servers,
        Part::SameRate if loaded => servers,
        Part::OfferedLoad | Part::SameRate => 0,
        Part::CrossCheck => {
            let sweeps = plan.cross_placements.iter().any(|p| p.may_be_the_sweeps());
            plan.cross_counts
                .iter()
                // The sweep's own driver is not measured again where the
                // sweep has that count.
                .map(|n| {
                    drivers.saturating_sub(usize::from(sweeps && plan.connections.contains(n)))
                })
                .sum::<usize>()
                * servers
        }
        Part::Service => plan
            .service_cases
            .iter()
            .map(|&work| setups(plan, work).len())
            .sum(),
    };
    points * plan.repeats
}

/// A part's seconds before overhead: windows x (warm-up + window), or
/// criterion's cases x (warm-up + measurement).
pub fn nominal_s(plan: &Plan, part: Part, windows: usize, sizes: Sizes) -> f64 {
    match (part, row(part).1) {
        (Part::Criterion, _) if plan.kind == BenchKind::Test => 0.0,
        (Part::Criterion, _) => {
            let (warm_up, measure) = criterion_times(plan.kind);
            sizes.criterion_cases as f64 * (warm_up + measure).as_secs_f64()
        }
        (_, Some(step)) => windows as f64 * (plan.warmup_s + plan.window_s(step)),
        (_, None) => 0.0,
    }
}

/// `part`'s row of [`PARTS`].
fn row(part: Part) -> (Part, Option<Step>, f64) {
    *PARTS
        .iter()
        .find(|r| r.0 == part)
        .expect("every part has a row")
}

/// Every part of the run with its windows and estimated seconds; its
/// cross-check has `drivers` drivers (see [`windows`]).
pub fn estimate(plan: &Plan, drivers: usize, sizes: Sizes) -> Vec<PartEstimate> {
    PARTS
        .iter()
        .map(|&(part, _, overhead)| {
            let windows = windows(plan, part, drivers);
            let seconds = match part {
                Part::IdleMemory => sizes.idle_connections as f64 * IDLE_S_PER_CONNECTION,
                _ => nominal_s(plan, part, windows, sizes) * overhead,
            };
            PartEstimate {
                part,
                windows,
                seconds,
            }
        })
        .collect()
}

/// "about 40 s", "about 12 min".
pub fn about(seconds: f64) -> String {
    let s = seconds.max(0.0);
    if s < 90.0 {
        format!("about {} s", (s / 5.0).ceil().max(1.0) as u64 * 5)
    } else {
        format!("about {} min", (s / 60.0).round() as u64)
    }
}

/// "41 s", "2 min 1 s".
pub fn took(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    if s < 60 {
        format!("{s} s")
    } else {
        format!("{} min {} s", s / 60, s % 60)
    }
}

/// The seconds left once the first `done` parts took `spent` seconds: the
/// remaining estimates, scaled by how this run kept to the estimates of
/// the parts done (on a slower machine every part is slower). Only from
/// 10 estimated seconds on: a test run's parts are too short to say.
pub fn left(estimates: &[PartEstimate], done: usize, spent: f64) -> f64 {
    let done = done.min(estimates.len());
    let planned: f64 = estimates[..done].iter().map(|e| e.seconds).sum();
    let pace = if planned >= 10.0 {
        spent / planned
    } else {
        1.0
    };
    estimates[done..].iter().map(|e| e.seconds).sum::<f64>() * pace
}

/// The line that opens part `index` (0-based).
pub fn opening(estimates: &[PartEstimate], index: usize, spent: f64) -> String {
    let e = &estimates[index];
    let windows = (e.windows > 0).then(|| format!(", {} windows", e.windows));
    format!(
        "study: part {} of {}: {}{} ({}; {} left in all)",
        index + 1,
        estimates.len(),
        e.part.name(),
        windows.unwrap_or_default(),
        about(left(&estimates[..=index], index, spent)),
        about(left(estimates, index, spent))
    )
}

/// The line that closes part `index` (0-based), which took `seconds`.
pub fn closing(estimates: &[PartEstimate], index: usize, seconds: f64, spent: f64) -> String {
    let mut line = format!(
        "study: part {} of {} done: {} in {}",
        index + 1,
        estimates.len(),
        estimates[index].part.name(),
        took(seconds)
    );
    if index + 1 < estimates.len() {
        line += &format!("; {} left", about(left(estimates, index + 1, spent)));
    }
    line
}

/// The run's progress, told on stderr when it is a terminal.
pub struct Progress {
    estimates: Vec<PartEstimate>,
    shown: bool,
    state: Mutex<State>,
}

struct State {
    /// The part under way, an index into the estimates.
    current: Option<usize>,
    part_started: Instant,
    /// Seconds the finished parts took.
    spent: f64,
    bar: ProgressBar,
}

impl Progress {
    /// Told when `shown`, else quiet (warnings still printed).
    pub fn new(estimates: Vec<PartEstimate>, shown: bool) -> Progress {
        Progress {
            estimates,
            shown,
            state: Mutex::new(State {
                current: None,
                part_started: Instant::now(),
                spent: 0.0,
                bar: ProgressBar::hidden(),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `part` starts now.
    pub fn begin(&self, part: Part) {
        let mut st = self.state();
        let Some(index) = self.estimates.iter().position(|e| e.part == part) else {
            return;
        };
        st.current = Some(index);
        st.part_started = Instant::now();
        if !self.shown {
            return;
        }
        eprintln!("{}", opening(&self.estimates, index, st.spent));
        let windows = self.estimates[index].windows;
        st.bar = if windows > 0 {
            let style = ProgressStyle::with_template("  {bar:20} {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            ProgressBar::new(windows as u64).with_style(style)
        } else {
            ProgressBar::hidden()
        };
    }

    /// A window of the current part starts: `what` names it.
    pub fn window(&self, what: &str) {
        self.state().bar.set_message(what.to_string());
    }

    /// A window of the current part ended.
    pub fn window_done(&self) {
        self.state().bar.inc(1);
    }

    /// One more window than planned (a disturbed one, measured again).
    pub fn extra_window(&self) {
        self.state().bar.inc_length(1);
    }

    /// A line said whatever the terminal: a window failed, or is measured
    /// again.
    pub fn note(&self, line: &str) {
        self.state().bar.suspend(|| eprintln!("{line}"));
    }

    /// `part` ended now; what it took, for the report's time account.
    pub fn end(&self, part: Part) -> PartTime {
        let mut st = self.state();
        let seconds = st.part_started.elapsed().as_secs_f64();
        st.bar.finish_and_clear();
        st.bar = ProgressBar::hidden();
        if let Some(index) = st
            .current
            .take()
            .filter(|&i| self.estimates[i].part == part)
        {
            st.spent += seconds;
            if self.shown {
                eprintln!("{}", closing(&self.estimates, index, seconds, st.spent));
            }
        }
        PartTime { part, seconds }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::affinity::Placement;
    use crate::driver::Driver;

    fn sizes() -> Sizes {
        Sizes {
            criterion_cases: 25,
            idle_connections: 30_000,
        }
    }

    #[test]
    fn the_full_plan_counts_every_window_of_every_part() {
        let mut plan = Plan::new(BenchKind::Full, 1 << 20, 1);
        // The placements of a 2-core machine, wherever the test runs.
        plan.cross_placements = vec![Placement::Unpinned, Placement::Budget];
        let driver = Driver::sweep(Placement::Split);
        let drivers = Driver::every(driver, &plan.cross_placements).len();
        let counted: Vec<(Part, usize)> = estimate(&plan, drivers, sizes())
            .iter()
            .map(|e| (e.part, e.windows))
            .collect();
        let servers = plan.servers.len();
        let service: usize = plan
            .service_cases
            .iter()
            .map(|&w| setups(&plan, w).len())
            .sum();
        assert_eq!(
            counted,
            [
                (Part::Criterion, 0),
                (Part::Sweep, 5 * servers * 5),
                (Part::OfferedLoad, 3 * servers * 5),
                (Part::SameRate, servers * 5),
                // Split is not cross-checked, so the sweep's cells are
                // not reused: every driver measured at both counts.
                (Part::CrossCheck, 2 * drivers * servers * 5),
                (Part::Service, service * 5),
                (Part::IdleMemory, 0),
            ]
        );
        assert_eq!(drivers, 4, "two engines in two placements");
        // With split, 100 and 1,000 are sweep counts: the sweep's driver is
        // not measured again at either.
        plan.cross_placements = vec![Placement::Split, Placement::Unpinned];
        let with_split = Driver::every(driver, &plan.cross_placements).len();
        assert_eq!(
            windows(&plan, Part::CrossCheck, with_split),
            2 * (with_split - 1) * servers * 5
        );
    }

    #[test]
    fn without_the_load_count_in_the_sweep_the_open_loop_steps_measure_nothing() {
        // 1,100 descriptors stop the sweep at 100, below the steps' 1,000.
        let plan = Plan::new(BenchKind::Full, 1_100, 1);
        assert_eq!(windows(&plan, Part::OfferedLoad, 4), 0);
        assert_eq!(windows(&plan, Part::SameRate, 4), 0);
        assert!(windows(&plan, Part::Sweep, 4) > 0);
    }

    /// The published run, read as the report wrote it.
    fn published() -> serde_json::Value {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../docs/benchmarks/report.json"
        );
        let text = std::fs::read_to_string(path).expect("the published report");
        serde_json::from_str(&text).expect("it parses")
    }

    /// The published run's plan, its cross-check's drivers and its sizes:
    /// the machine it ran on, not this one.
    fn published_plan(study: &serde_json::Value) -> (Plan, usize, Sizes) {
        let plan: Plan = serde_json::from_value(study["plan"].clone()).expect("its plan");
        let drivers: BTreeSet<String> = study["cross_check"]
            .as_array()
            .expect("cross-check cells")
            .iter()
            .map(|c| c["driver"].to_string())
            .collect();
        let criterion_cases = study["cases"]
            .as_array()
            .expect("cases")
            .iter()
            .map(|c| c["values"].as_object().map_or(0, |v| v.len()))
            .sum();
        let idle_connections = study["scale"]
            .as_array()
            .expect("scale")
            .iter()
            .map(|s| s["connections"].as_u64().expect("a count") as usize)
            .sum();
        let sizes = Sizes {
            criterion_cases,
            idle_connections,
        };
        (plan, drivers.len(), sizes)
    }

    #[test]
    fn each_parts_overhead_is_what_the_published_run_took_over_its_plan() {
        let report = published();
        let study = &report["study"];
        let (plan, drivers, sizes) = published_plan(study);
        for part in study["parts"].as_array().expect("parts") {
            let seconds = part["seconds"].as_f64().expect("seconds");
            let p: Part = serde_json::from_value(part["part"].clone()).expect("a part");
            if p == Part::IdleMemory {
                let per = seconds / sizes.idle_connections as f64;
                assert!(
                    (per - IDLE_S_PER_CONNECTION).abs() < 0.000_005,
                    "idle memory: {per} s per connection in the published run"
                );
                continue;
            }
            let measured = seconds / nominal_s(&plan, p, windows(&plan, p, drivers), sizes);
            assert!(
                (measured - row(p).2).abs() < 0.01,
                "{}: the published run took {measured:.2} x its plan; PARTS says {}",
                p.name(),
                row(p).2
            );
        }
    }

    #[test]
    fn the_published_runs_estimate_is_its_length() {
        let report = published();
        let study = &report["study"];
        let (plan, drivers, sizes) = published_plan(study);
        let total: f64 = estimate(&plan, drivers, sizes)
            .iter()
            .map(|e| e.seconds)
            .sum();
        let elapsed = study["elapsed_s"].as_f64().expect("elapsed");
        // The parts add up to the run, less what falls between them (the
        // report's writing, the bench's start).
        assert!(
            (total - elapsed).abs() / elapsed < 0.02,
            "estimated {total:.0} s, published {elapsed:.0} s"
        );
        // Its cross-check measured the windows the plan counts.
        let cells: usize = study["cross_check"]
            .as_array()
            .expect("cells")
            .iter()
            .filter(|c| c["point"]["step"] == "cross_check")
            .map(|c| c["point"]["windows"].as_array().map_or(0, Vec::len))
            .sum();
        assert_eq!(cells, windows(&plan, Part::CrossCheck, drivers));
    }

    #[test]
    fn time_left_follows_this_runs_pace_once_there_is_enough_to_judge() {
        let e = |part, seconds| PartEstimate {
            part,
            windows: 10,
            seconds,
        };
        let parts = [
            e(Part::Criterion, 100.0),
            e(Part::Sweep, 300.0),
            e(Part::Service, 200.0),
        ];
        assert_eq!(left(&parts, 0, 0.0), 600.0);
        // The first part took twice its estimate: so will the rest.
        assert_eq!(left(&parts, 1, 200.0), 1000.0);
        assert_eq!(left(&parts, 3, 1200.0), 0.0);
        // Under 10 estimated seconds done, the estimates stand.
        let short = [e(Part::Criterion, 1.0), e(Part::Sweep, 300.0)];
        assert_eq!(left(&short, 1, 30.0), 300.0);
    }

    #[test]
    fn each_part_is_announced_with_its_number_and_the_time_left() {
        let e = |part, windows, seconds| PartEstimate {
            part,
            windows,
            seconds,
        };
        let parts = [
            e(Part::Criterion, 0, 90.0),
            e(Part::Sweep, 100, 300.0),
            e(Part::OfferedLoad, 60, 120.0),
        ];
        assert_eq!(
            opening(&parts, 0, 0.0),
            "study: part 1 of 3: criterion (one connection) (about 2 min; about 9 min left in all)"
        );
        assert_eq!(
            opening(&parts, 1, 90.0),
            "study: part 2 of 3: connection sweep, 100 windows (about 5 min; about 7 min left in all)"
        );
        assert_eq!(
            closing(&parts, 1, 301.0, 391.0),
            "study: part 2 of 3 done: connection sweep in 5 min 1 s; about 2 min left"
        );
        assert_eq!(
            closing(&parts, 2, 41.0, 432.0),
            "study: part 3 of 3 done: offered load in 41 s"
        );
        assert_eq!(about(0.0), "about 5 s");
        assert_eq!(about(89.0), "about 90 s");
        assert_eq!(about(1035.0), "about 17 min");
    }

    #[test]
    fn a_quiet_progress_still_keeps_the_time_of_each_part() {
        let plan = Plan::new(BenchKind::Test, 1 << 20, 1);
        let p = Progress::new(estimate(&plan, 4, sizes()), false);
        p.begin(Part::Sweep);
        p.window("blocking at 1 connections");
        p.window_done();
        let t = p.end(Part::Sweep);
        assert_eq!(t.part, Part::Sweep);
        assert!(t.seconds >= 0.0);
    }
}
