//! The study's plan: how big and how long each part is, by kind of run,
//! and which setups the service-work part measures.

use serde::{Deserialize, Serialize};
use sockmodes_common::Work;

use crate::affinity::Placement;
use crate::point::Step;
use crate::setup::{has_pool, Setup};
use crate::target::{BenchKind, Target};

/// How big and how long, by kind of run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Plan {
    /// Test, quick or full (in JSON `run_mode`).
    #[serde(rename = "run_mode")]
    pub kind: BenchKind,
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
    /// The plan for a run of `kind`, within the open-file limit `nofile`
    /// (each side holds one descriptor per connection). A table: every size
    /// of every kind of run, each beside the reason it was chosen
    /// (docs/benchmarks.md has the runs that measured them).
    pub fn new(kind: BenchKind, nofile: u64, server_cores: usize) -> Plan {
        // Each size is `kind.pick(test, quick, full)`.
        //
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
        let wanted = kind.pick::<&[usize]>(&[1, 10], &[10, 100], &[1, 10, 100, 1_000, 10_000]);
        let measure_s = kind.pick(0.3, 1.2, 1.0);
        // Room for the process's own descriptors besides the connections.
        let fits = |n: usize| n as u64 + 200 <= nofile;
        let connections: Vec<usize> = wanted.iter().copied().filter(|&n| fits(n)).collect();
        let stopped_by = match wanted.iter().find(|&&n| !fits(n)) {
            Some(n) => format!(
                "the open-file limit: {n} connections need about {} descriptors in each process, and the limit is {nofile}",
                n + 200
            ),
            None if kind == BenchKind::Full => "the plan (largest count planned)".into(),
            None => format!("{} mode (a shorter sweep than a full run)", kind.name()),
        };
        Plan {
            kind,
            servers: kind.pick(Target::studied(), Target::models(), Target::studied()),
            connections,
            stopped_by,
            load_connections: kind.pick(10, 100, 1_000),
            load_steps: kind
                .pick::<&[f64]>(&[50.0], &[10.0, 100.0], &[10.0, 50.0, 90.0])
                .to_vec(),
            same_rate_pct: 50.0,
            repeats: kind.pick(1, 5, 5),
            warmup_s: kind.pick(0.0, 0.2, 0.5),
            measure_s,
            // The sweep's verdicts are what two runs must agree on, so its
            // windows are the longest; the open-loop steps keep short ones.
            open_measure_s: kind.pick(measure_s, 0.5, 0.8),
            // Why a 5 s cap in full: a thread per connection admits
            // newcomers from one accept thread, and under load the scheduler
            // gives that thread its fair share of the one server core, 1/N
            // among N busy connection threads: about 50 connections a
            // second, so 1,000 connections take 4 to 20 s to be answered
            // once. Waiting for all of them would take minutes of the run's
            // 20; a window that starts before every first answer counts the
            // rest as never answered, and the report's ramp column shows it.
            warmup_cap_s: kind.pick(2.0, 3.0, 5.0),
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
            cross_counts: kind
                .pick(vec![10], vec![100], vec![100, 1_000])
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
                .filter(|&p| kind == BenchKind::Test || p != Placement::Split)
                .collect(),
            cross_measure_s: kind.pick(0.3, 0.6, 0.6),
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
            service_connections: kind.pick(10, 100, 1_000),
            service_pool: 64,
            service_measure_s: kind.pick(0.3, 0.5, 0.8),
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

/// Every (server, setup) of one case: each studied server inline, then
/// with the pool where it has one.
pub fn setups(plan: &Plan, work: Work) -> Vec<(Target, Setup)> {
    let setup = |offload| Setup { work, offload };
    let mut all = Vec::new();
    for &t in &plan.servers {
        all.push((t, setup(None)));
        if has_pool(t, work) {
            all.push((t, setup(Some(plan.service_pool))));
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setup::config;
    use sockmodes_models::Model;

    fn work(s: &str) -> Work {
        s.parse().unwrap()
    }

    #[test]
    fn pools_are_set_up_only_where_a_model_has_io_threads_and_the_work_holds_one() {
        let plan = Plan::new(BenchKind::Full, 100_000, 1);
        let block = setups(&plan, work("block:1ms"));
        let pooled: Vec<Target> = block
            .iter()
            .filter(|(_, s)| s.offload.is_some())
            .map(|&(t, _)| t)
            .collect();
        let expected: Vec<Target> = plan
            .servers
            .iter()
            .copied()
            .filter(|&t| {
                t.model().is_some_and(|m| {
                    !m.is_reference() && m.io_threads(&config(work("block:1ms"), None, 1)).is_some()
                })
            })
            .collect();
        assert_eq!(pooled, expected);
        assert!(
            !pooled.contains(&Target::Model(Model::BLOCKING)) && !pooled.contains(&Target::TOKIO)
        );
        assert_eq!(block.len(), plan.servers.len() + pooled.len());
        // A wait takes no pool: one setup per server.
        assert_eq!(setups(&plan, work("wait:1ms")).len(), plan.servers.len());
    }
}
