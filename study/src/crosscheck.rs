//! The cross-check: is a verdict about the servers, or about the pair of
//! client and server?
//!
//! On one machine the load generator and the server share the cores, so a
//! figure measures the pair. Measured here, unpinned at 100 connections, a
//! client with a thread per connection ranked the blocking server above the
//! event loop (154k against 110k msg/s), while the event-loop client ranked
//! them the other way (104k against 162k): like pairs with like. The sweep
//! uses one driver (the event-loop engine, client and servers on cores of
//! their own), so on its own it cannot tell a property of the servers from
//! a property of that pairing.
//!
//! So at a few connection counts ([`Plan::cross_counts`]) every studied
//! server is measured again with every client engine of the registry
//! (`Model::CROSS_CHECK_CLIENTS`) in each placement of the plan
//! ([`Plan::cross_placements`], from [`Placement::for_cross_check`]):
//! each such (engine, placement) is a [`Driver`], and each driver at each
//! count is a *cell*: R windows per server, servers interleaved, each
//! window against a fresh server, like every other point. The sweep's own
//! driver is not measured twice: its sweep points at those counts are its
//! cells. `report/cross.rs` turns the cells into verdicts that say what
//! they rest on.
//!
//! The `budget` placement holds each server to a share of a core
//! (`server --cpus`): where this machine cannot set one (no cgroup `cpu`
//! controller or no permission, a system without cgroups or Job Objects),
//! it is skipped, and the report says why ([`Skipped`]): the run goes on.
//!
//! [`Placement::for_cross_check`]: crate::affinity::Placement::for_cross_check

use serde::{Deserialize, Serialize};

use crate::affinity::{pin_current_thread, Placement};
use crate::driver::Driver;
use crate::sweep::{find, Measurer, Plan, Point, Step};

/// One server at one count, driven by one driver.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Cell {
    pub driver: Driver,
    pub point: Point,
}

/// A placement of the plan the cross-check could not measure, and why.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Skipped {
    pub placement: Placement,
    pub why: String,
}

/// The placements of `plan` this machine can measure, and those it
/// cannot (`settable` tells: a placement's CPU budget can be set, or why
/// not).
pub fn placements(
    plan: &Plan,
    settable: impl Fn(Placement) -> Result<(), String>,
) -> (Vec<Placement>, Vec<Skipped>) {
    let mut measured = Vec::new();
    let mut skipped = Vec::new();
    for &placement in &plan.cross_placements {
        match settable(placement) {
            Ok(()) => measured.push(placement),
            Err(why) => skipped.push(Skipped { placement, why }),
        }
    }
    (measured, skipped)
}

/// Measures every cell at every count of `plan.cross_counts`, in every
/// placement of the plan that can be set here; the cells of the sweep's
/// driver (`m`'s) are taken from `sweep` where it has them.
pub fn cross_check(m: Measurer, sweep: &[Point]) -> (Vec<Cell>, Vec<Skipped>) {
    let (plan, sweep_driver) = (m.plan, m.driver);
    let (measured, skipped) = placements(plan, |p| m.launcher.budget_settable(p));
    for s in &skipped {
        m.progress.note(&format!(
            "study: placement `{}` skipped: {}",
            s.placement.name(),
            s.why
        ));
    }
    let mut cells = Vec::new();
    for &n in &plan.cross_counts {
        for driver in Driver::every(sweep_driver, &measured) {
            let reused: Vec<&Point> = plan
                .servers
                .iter()
                .filter_map(|&t| find(sweep, t, n))
                .collect();
            let points = if driver == sweep_driver && reused.len() == plan.servers.len() {
                reused.into_iter().cloned().collect()
            } else {
                let m = Measurer { driver, ..m };
                m.all(m.servers_at(Step::CrossCheck, n))
            };
            cells.extend(points.into_iter().map(|point| Cell { driver, point }));
        }
    }
    // Every window re-pins the bench thread to its driver's client cores;
    // what follows runs on the sweep's.
    pin_current_thread(&sweep_driver.placement.client_cpus());
    (cells, skipped)
}

/// The cells of `driver` at `n` connections.
pub fn cells_of(cells: &[Cell], driver: Driver, n: usize) -> Vec<&Point> {
    cells
        .iter()
        .filter(|c| c.driver == driver && c.point.connections == n)
        .map(|c| &c.point)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::BenchKind;

    #[test]
    fn a_placement_whose_budget_cannot_be_set_is_skipped_with_its_reason() {
        let mut plan = Plan::new(BenchKind::Full, 1 << 20, 1);
        plan.cross_placements = vec![Placement::Unpinned, Placement::Budget];
        let refuse = |p: Placement| match p.cpu_budget() {
            Some(_) => Err("--cpus 0.5: no cgroup cpu controller".to_string()),
            None => Ok(()),
        };
        let (measured, skipped) = placements(&plan, refuse);
        assert_eq!(measured, [Placement::Unpinned]);
        assert_eq!(
            skipped,
            [Skipped {
                placement: Placement::Budget,
                why: "--cpus 0.5: no cgroup cpu controller".into()
            }]
        );
        let (measured, skipped) = placements(&plan, |_| Ok(()));
        assert_eq!(measured, plan.cross_placements);
        assert!(skipped.is_empty());
    }
}
