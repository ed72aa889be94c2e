//! Verdicts that say what they rest on: the cross-check's rule.
//!
//! A comparison of two servers at one count is a *verdict about the
//! servers* only where the noise rule ([`compare`]) gives the same answer
//! with every client engine that was not saturated, in every placement
//! measured ([`Outcome::Holds`]). Where the cells disagree the verdict is
//! about the pair, and the report says "depends on the client" with the
//! likely cause ([`Cause`]), never a plain "ahead". A cell where the
//! client was saturated, or that has too few windows to reach the rank
//! test's level, is no evidence ([`Evidence`]), not a tie; a placement with
//! no evidence at all leaves the comparison without a verdict
//! ([`Outcome::NoEvidence`]).
//!
//! Everything here is computed from windows, so the tests build cells by
//! hand (`cross_tests.rs`).

use serde::{Deserialize, Serialize};
use sockmodes_models::IoMode;

use super::findings::Finding;
use crate::affinity::Placement;
use crate::crosscheck::Cell;
use crate::driver::Driver;
use crate::point::SATURATED;
use crate::stats::{compare, Spread, Verdict};
use crate::sweep::Point;
use crate::target::Target;

/// Fewer windows a side than this are no evidence.
///
/// Why 4: with three windows each the exact rank test's smallest p is 10%,
/// so it could never claim a difference and a "no difference" from it
/// would be a tie by construction (`stats.rs`).
pub const MIN_WINDOWS: usize = 4;

/// What one cell (one driver) says about `a` against `b`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// The noise rule's verdict on the two servers' windows.
    Verdict(Verdict),
    /// The client was saturated against one of the servers: its figures
    /// describe the client.
    ClientSaturated,
    /// Fewer than [`MIN_WINDOWS`] windows on a side.
    TooFewWindows,
}

/// Why the cells disagree, from the pattern of their verdicts: which
/// placements saw the engines disagree, and which engines saw the verdict
/// change with the placement. Measured here, unpinned at 100 connections
/// the engines disagreed (like pairs with like: a thread per connection on
/// both sides, or an event loop on both sides) and the split placement hid
/// it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cause {
    /// Placements in which two client engines gave different verdicts: the
    /// client's model shapes the result there.
    pub engines_disagree_in: Vec<Placement>,
    /// Engines whose verdict changed with the placement: client and server
    /// competing for shared cores.
    pub placement_changes_for: Vec<IoMode>,
    /// Some cells rank the two servers oppositely beyond noise (one says
    /// higher, another lower); otherwise the disagreement is between "a
    /// difference" and "none", which may be a lack of power as much as the
    /// pair effect.
    #[serde(default)]
    pub reversed: bool,
}

/// The cross-checked verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The same verdict with every unsaturated client, in every placement.
    Holds(Verdict),
    /// The cells with evidence disagree.
    DependsOnClient(Cause),
    /// Some placement had no cell with evidence.
    NoEvidence,
}

/// One cell's part in a verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellVerdict {
    pub driver: Driver,
    pub evidence: Evidence,
    /// Messages/s of `a` and `b` in this cell.
    pub a: Option<Spread>,
    pub b: Option<Spread>,
    /// The client's busy share (median), the higher of the two servers'.
    pub client_busy: Option<f64>,
}

/// `a` against `b` at `connections`, over every driver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrossVerdict {
    pub a: Target,
    pub b: Target,
    pub connections: usize,
    pub outcome: Outcome,
    pub cells: Vec<CellVerdict>,
}

/// What one cell's points support.
pub fn evidence(a: &Point, b: &Point) -> Evidence {
    if a.windows.len() < MIN_WINDOWS || b.windows.len() < MIN_WINDOWS {
        return Evidence::TooFewWindows;
    }
    let saturated = |p: &Point| p.client_busy().is_some_and(|s| s.median > SATURATED);
    if saturated(a) || saturated(b) {
        return Evidence::ClientSaturated;
    }
    Evidence::Verdict(compare(&a.msgs_windows(), &b.msgs_windows()))
}

/// The rule: the outcome of the cells' evidence (see the module text).
pub fn judge(cells: &[(Driver, Evidence)]) -> Outcome {
    let with: Vec<(Driver, Verdict)> = cells
        .iter()
        .filter_map(|&(d, e)| match e {
            Evidence::Verdict(v) => Some((d, v)),
            _ => None,
        })
        .collect();
    let mut placements: Vec<Placement> = cells.iter().map(|(d, _)| d.placement).collect();
    placements.sort_unstable();
    placements.dedup();
    let covered = |p: Placement| with.iter().any(|(d, _)| d.placement == p);
    if with.is_empty() || !placements.iter().all(|&p| covered(p)) {
        return Outcome::NoEvidence;
    }
    let first = with[0].1;
    if with.iter().all(|&(_, v)| v == first) {
        return Outcome::Holds(first);
    }
    Outcome::DependsOnClient(cause(&with))
}

/// Where the verdicts `with` (all with evidence) disagree.
fn cause(with: &[(Driver, Verdict)]) -> Cause {
    let disagree = |same: &dyn Fn(Driver, Driver) -> bool| {
        with.iter()
            .filter(|&&(d, v)| with.iter().any(|&(e, w)| same(d, e) && v != w))
            .map(|&(d, _)| d)
            .collect::<Vec<Driver>>()
    };
    let mut engines_disagree_in: Vec<Placement> = disagree(&|d, e| d.placement == e.placement)
        .into_iter()
        .map(|d| d.placement)
        .collect();
    engines_disagree_in.sort_unstable();
    engines_disagree_in.dedup();
    let mut placement_changes_for: Vec<IoMode> = Vec::new();
    for d in disagree(&|d, e| d.engine == e.engine) {
        if !placement_changes_for.contains(&d.engine) {
            placement_changes_for.push(d.engine);
        }
    }
    let has = |v: Verdict| with.iter().any(|&(_, w)| w == v);
    Cause {
        engines_disagree_in,
        placement_changes_for,
        reversed: has(Verdict::Higher) && has(Verdict::Lower),
    }
}

/// Every pair of servers (registry order, each pair once) at every count
/// of the cells, judged.
pub fn verdicts(cells: &[Cell]) -> Vec<CrossVerdict> {
    let mut counts: Vec<usize> = cells.iter().map(|c| c.point.connections).collect();
    counts.sort_unstable();
    counts.dedup();
    let mut drivers: Vec<Driver> = Vec::new();
    for c in cells {
        if !drivers.contains(&c.driver) {
            drivers.push(c.driver);
        }
    }
    let servers: Vec<Target> = Target::every()
        .into_iter()
        .filter(|&t| cells.iter().any(|c| c.point.target == t))
        .collect();
    let mut out = Vec::new();
    for &n in &counts {
        for (i, &a) in servers.iter().enumerate() {
            for &b in &servers[i + 1..] {
                if let Some(v) = judge_pair(cells, &drivers, a, b, n) {
                    out.push(v);
                }
            }
        }
    }
    out
}

fn judge_pair(
    cells: &[Cell],
    drivers: &[Driver],
    a: Target,
    b: Target,
    n: usize,
) -> Option<CrossVerdict> {
    let point = |d: Driver, t: Target| {
        cells
            .iter()
            .find(|c| c.driver == d && c.point.target == t && c.point.connections == n)
            .map(|c| &c.point)
    };
    let parts: Vec<CellVerdict> = drivers
        .iter()
        .filter_map(|&d| {
            let (pa, pb) = (point(d, a)?, point(d, b)?);
            let busy = [pa, pb]
                .iter()
                .filter_map(|p| p.client_busy().map(|s| s.median))
                .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))));
            Some(CellVerdict {
                driver: d,
                evidence: evidence(pa, pb),
                a: pa.msgs(),
                b: pb.msgs(),
                client_busy: busy,
            })
        })
        .collect();
    if parts.is_empty() {
        return None;
    }
    let outcome = judge(
        &parts
            .iter()
            .map(|c| (c.driver, c.evidence))
            .collect::<Vec<_>>(),
    );
    Some(CrossVerdict {
        a,
        b,
        connections: n,
        outcome,
        cells: parts,
    })
}

/// The cross-checked verdict of `a` against `b` at `n`, either way round
/// (flipped to read as `a` against `b`).
pub fn find_verdict(all: &[CrossVerdict], a: Target, b: Target, n: usize) -> Option<Outcome> {
    all.iter().find_map(|v| match v.connections == n {
        true if v.a == a && v.b == b => Some(v.outcome.clone()),
        true if v.a == b && v.b == a => Some(match &v.outcome {
            Outcome::Holds(x) => Outcome::Holds(flip(*x)),
            other => other.clone(),
        }),
        _ => None,
    })
}

/// The same verdict read the other way round.
pub fn flip(v: Verdict) -> Verdict {
    match v {
        Verdict::Higher => Verdict::Lower,
        Verdict::Lower => Verdict::Higher,
        Verdict::NoDifference => Verdict::NoDifference,
    }
}

/// How many cells had no evidence because the client was saturated.
pub fn saturated_cells(v: &CrossVerdict) -> usize {
    v.cells
        .iter()
        .filter(|c| c.evidence == Evidence::ClientSaturated)
        .count()
}

/// The cross-check's findings: one per count it measured, with every
/// pair's outcome there (said in `cross_show.rs`; each driver's verdict
/// and the cause at length are the cross-check table).
pub fn by_count(verdicts: &[CrossVerdict]) -> Vec<Finding> {
    let mut counts: Vec<usize> = verdicts.iter().map(|v| v.connections).collect();
    counts.dedup();
    counts
        .into_iter()
        .map(|n| {
            let at: Vec<&CrossVerdict> = verdicts.iter().filter(|v| v.connections == n).collect();
            Finding::CrossCheck {
                connections: n,
                drivers: at.first().map_or(0, |v| v.cells.len()),
                saturated: at.iter().map(|v| saturated_cells(v)).sum(),
                outcomes: at.iter().map(|v| (v.a, v.b, v.outcome.clone())).collect(),
            }
        })
        .collect()
}

#[cfg(test)]
#[path = "cross_tests.rs"]
mod tests;
