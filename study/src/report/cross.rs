//! Verdicts that say what they rest on: the cross-check's rule.
//!
//! A comparison of two servers at one count is a *verdict about the
//! servers* only where the noise rule ([`compare`]) gives the same answer
//! with every client engine that was not saturated, in every placement
//! measured ([`Outcome::Holds`]). Where the cells disagree the verdict is
//! about the pair, and the report says "depends on the client" with the
//! likely cause ([`Cause`]) and the figure that moved with the driver
//! (`batching.rs`), never a plain "ahead". A cell where the
//! client was saturated, or that has too few windows to reach the rank
//! test's level, is no evidence ([`Evidence`]), not a tie; so is a cell of
//! the `budget` placement whose server did not spend at least 90% of its
//! CPU budget: the placement exists to make the server the bottleneck, and
//! a server under its budget was held back by something else (the client,
//! the ramp). A placement with no evidence at all leaves the comparison
//! without a verdict ([`Outcome::NoEvidence`]).
//!
//! Everything here is computed from windows, so the tests build cells by
//! hand. The words for an outcome, a cause and a cell's evidence are here
//! too, beside their types; the cross-check table is `tables.rs`'s.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sockmodes_models::Model;

use super::batching::{self, Batch, Measured, Side};
use crate::affinity::Placement;
use crate::crosscheck::Cell;
use crate::driver::{distinct, Driver};
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
    /// Held to a CPU budget, a server used less than [`SATURATED`] of it:
    /// the cell did not measure the server at its limit.
    UnderBudget,
}

/// Why the cells disagree, from the pattern of their verdicts: which
/// placements saw the engines disagree, and which engines saw the verdict
/// change with the placement. Measured here, unpinned at 100 connections
/// the engines disagreed (like pairs with like: a thread per connection on
/// both sides, or an event loop on both sides) and the split placement hid
/// it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cause {
    /// Placements in which two client engines gave different verdicts: the
    /// client's model shapes the result there.
    pub engines_disagree_in: Vec<Placement>,
    /// Engines whose verdict changed with the placement: client and server
    /// competing for shared cores.
    pub placement_changes_for: Vec<Model>,
    /// Some cells rank the two servers oppositely beyond noise (one says
    /// higher, another lower); otherwise the disagreement is between "a
    /// difference" and "none", which may be a lack of power as much as the
    /// pair effect.
    #[serde(default)]
    pub reversed: bool,
    /// What moved with the driver: a server's batching, else its CPU per
    /// message, or neither ([`batching::measured_cause`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured: Option<Measured>,
}

/// The cross-checked verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// How much `a` and `b` batched in this cell (only in runs whose
    /// servers counted their wake-ups: [`batching::counted`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a_batch: Option<Batch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub b_batch: Option<Batch>,
    /// Held to a CPU budget: the share of it the servers used (median),
    /// the lower of the two.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_used: Option<f64>,
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
    // Unmeasured (no /proc) counts as under: server-bound must be shown.
    let under =
        |p: &Point| p.budget_cpus.is_some() && p.server_busy().is_none_or(|s| s.median < SATURATED);
    if under(a) || under(b) {
        return Evidence::UnderBudget;
    }
    Evidence::Verdict(compare(&a.msgs_windows(), &b.msgs_windows()))
}

/// The lower of the budget shares `points` used (median), where they had
/// a budget.
fn budget_used(points: [&Point; 2]) -> Option<f64> {
    points
        .iter()
        .filter(|p| p.budget_cpus.is_some())
        .filter_map(|p| p.server_busy().map(|s| s.median))
        .reduce(f64::min)
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
    let placements: BTreeSet<Placement> = cells.iter().map(|(d, _)| d.placement).collect();
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
    let engines_disagree_in: BTreeSet<Placement> = disagree(&|d, e| d.placement == e.placement)
        .into_iter()
        .map(|d| d.placement)
        .collect();
    let changed = disagree(&|d, e| d.engine == e.engine);
    let placement_changes_for = distinct(changed.into_iter().map(|d| d.engine));
    let has = |v: Verdict| with.iter().any(|&(_, w)| w == v);
    Cause {
        engines_disagree_in: engines_disagree_in.into_iter().collect(),
        placement_changes_for,
        reversed: has(Verdict::Higher) && has(Verdict::Lower),
        measured: None,
    }
}

/// Every pair of servers (registry order, each pair once) at every count
/// of the cells, judged.
pub fn verdicts(cells: &[Cell]) -> Vec<CrossVerdict> {
    let counts: BTreeSet<usize> = cells.iter().map(|c| c.point.connections).collect();
    let drivers = distinct(cells.iter().map(|c| c.driver));
    let servers: Vec<Target> = Target::every()
        .into_iter()
        .filter(|&t| cells.iter().any(|c| c.point.target == t))
        .collect();
    let counted = batching::counted(cells.iter().map(|c| &c.point));
    let mut out = Vec::new();
    for &n in &counts {
        for (i, &a) in servers.iter().enumerate() {
            for &b in &servers[i + 1..] {
                out.extend(judge_pair(cells, &drivers, a, b, n, counted));
            }
        }
    }
    out
}

/// `a` against `b` at `n`; with each cell's batching where the run
/// `counted` wake-ups.
fn judge_pair(
    cells: &[Cell],
    drivers: &[Driver],
    a: Target,
    b: Target,
    n: usize,
    counted: bool,
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
                .reduce(f64::max);
            Some(CellVerdict {
                driver: d,
                evidence: evidence(pa, pb),
                a: pa.msgs(),
                b: pb.msgs(),
                client_busy: busy,
                a_batch: counted.then(|| Batch::of(pa)).flatten(),
                b_batch: counted.then(|| Batch::of(pb)).flatten(),
                budget_used: budget_used([pa, pb]),
            })
        })
        .collect();
    if parts.is_empty() {
        return None;
    }
    let each_cell: Vec<(Driver, Evidence)> = parts.iter().map(|c| (c.driver, c.evidence)).collect();
    let mut outcome = judge(&each_cell);
    if let Outcome::DependsOnClient(cause) = &mut outcome {
        let sides: Vec<Side> = parts
            .iter()
            .filter_map(|c| match c.evidence {
                Evidence::Verdict(verdict) => Some(Side {
                    driver: c.driver,
                    verdict,
                    a: point(c.driver, a)?,
                    b: point(c.driver, b)?,
                }),
                _ => None,
            })
            .collect();
        cause.measured = Some(batching::measured_cause(&sides));
    }
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

/// How many cells had evidence `e`: no evidence because the client was
/// saturated, or because a server used under [`SATURATED`] of its budget.
pub fn cells_with(v: &CrossVerdict, e: Evidence) -> usize {
    v.cells.iter().filter(|c| c.evidence == e).count()
}

/// The words for an outcome of `a` against `b`.
pub fn outcome_words(a: Target, b: Target, o: &Outcome) -> String {
    match o {
        Outcome::Holds(Verdict::Higher) => {
            format!("{} ahead with every unsaturated client", a.name())
        }
        Outcome::Holds(Verdict::Lower) => {
            format!("{} ahead with every unsaturated client", b.name())
        }
        Outcome::Holds(Verdict::NoDifference) => {
            "no difference beyond noise with any unsaturated client".into()
        }
        Outcome::DependsOnClient(_) => "depends on the client".into(),
        Outcome::NoEvidence => {
            "no verdict (some placement had no cell with evidence: client saturated or too few windows)".into()
        }
    }
}

/// The likely cause of a "depends on the client", in words: `long` for
/// the cross-check table, else in a few words for the findings. A reversal
/// is the pair effect; "a difference" against "none" may also be a client
/// that narrows the gap, or too little power to see it.
pub fn cause_words(c: &Cause, long: bool) -> String {
    let list = |v: Vec<&str>| v.join(" and ");
    let mut parts = Vec::new();
    if !c.engines_disagree_in.is_empty() {
        let names = list(c.engines_disagree_in.iter().map(|p| p.name()).collect());
        let where_ = || {
            names
                .replace("split", "split (client and server on cores of their own)")
                .replace("unpinned", "unpinned (shared cores)")
                .replace(
                    "budget",
                    "budget (shared cores, the server held to a CPU budget)",
                )
        };
        parts.push(match (long, c.reversed) {
            (true, true) => format!(
                "the client engines rank the servers oppositely in the {} placement: the client's model \
                 shapes the result (like pairs with like: a thread per connection on both sides wakes its partner \
                 thread directly, an event loop on both sides batches)",
                where_()
            ),
            (true, false) => format!(
                "in the {} placement one client engine finds a difference beyond noise and another finds \
                 none: the client's model narrows or hides the gap there",
                where_()
            ),
            (false, true) => format!("the engines rank them oppositely in {names}"),
            (false, false) => format!("the engines disagree in {names}"),
        });
    }
    if !c.placement_changes_for.is_empty() {
        let names = list(c.placement_changes_for.iter().map(|m| m.name()).collect());
        parts.push(if long {
            format!(
                "with the {names} engine the verdict changes with the placement (on shared cores the client and \
                 the server compete for the CPU)"
            )
        } else {
            format!("placement changes it for {names}")
        });
    }
    parts.extend(c.measured.as_ref().map(|m| batching::words(m, long)));
    parts.join("; ")
}

/// One cell's evidence, in words.
pub fn evidence_words(a: Target, b: Target, e: Evidence) -> String {
    match e {
        Evidence::Verdict(Verdict::Higher) => format!("{} ahead", a.name()),
        Evidence::Verdict(Verdict::Lower) => format!("{} ahead", b.name()),
        Evidence::Verdict(Verdict::NoDifference) => "no difference beyond noise".into(),
        Evidence::ClientSaturated => "**client saturated**: no evidence".into(),
        Evidence::TooFewWindows => "too few windows: no evidence".into(),
        Evidence::UnderBudget => format!(
            "**server under {:.0}% of its CPU budget**: not server-bound, no evidence",
            SATURATED * 100.0
        ),
    }
}

/// The cross-check's finding at one count (`Finding::CrossCheck`'s
/// fields; `no_evidence`: the cells with a saturated client, and those
/// with a server under its budget): which verdicts hold with every client
/// and which depend on it.
pub fn finding(
    n: usize,
    drivers: usize,
    (saturated, under_budget): (usize, usize),
    outcomes: &[(Target, Target, Outcome)],
) -> String {
    let vs = |a: Target, b: Target| format!("{} vs {}", a.name(), b.name());
    let mut groups: [(&str, Vec<String>); 3] = [
        ("Holds with every client", vec![]),
        ("Depends on the client", vec![]),
        (
            "No verdict (in some placement the client was saturated or the windows too few)",
            vec![],
        ),
    ];
    for (a, b, o) in outcomes {
        let (i, said) = match o {
            Outcome::Holds(x) => (0, holds_words(*a, *b, *x)),
            Outcome::DependsOnClient(c) => {
                (1, format!("{} ({})", vs(*a, *b), cause_words(c, false)))
            }
            Outcome::NoEvidence => (2, vs(*a, *b)),
        };
        groups[i].1.push(said);
    }
    let parts: Vec<String> = groups
        .iter()
        .filter(|(_, items)| !items.is_empty())
        .map(|(title, items)| format!("{title}: {}", items.join("; ")))
        .collect();
    let under = match under_budget {
        0 => String::new(),
        u => format!(
            ", and {u} with a server under {:.0}% of its CPU budget",
            SATURATED * 100.0
        ),
    };
    format!(
        "Cross-check at {n} connections, every pair of servers driven by {drivers} client \
         engine/placement pairs ({saturated} cells with a saturated client{under}, counted as no evidence). {}.",
        parts.join(". ")
    )
}

/// "nonblocking ahead of blocking" or "blocking and nonblocking no different".
fn holds_words(a: Target, b: Target, v: Verdict) -> String {
    match v {
        Verdict::Higher => format!("{} ahead of {}", a.name(), b.name()),
        Verdict::Lower => format!("{} ahead of {}", b.name(), a.name()),
        Verdict::NoDifference => format!("{} and {} no different", a.name(), b.name()),
    }
}

#[cfg(test)]
pub(crate) mod tests {

    use sockmodes_models::Model;

    use super::*;
    use crate::report::fixture::{
        point, EVENT_LOOP, EVENT_LOOP_MODEL, RING, THREADS, THREADS_MODEL,
    };

    pub(crate) const SLOW: [f64; 5] = [100e3, 104e3, 108e3, 110e3, 112e3];
    pub(crate) const FAST: [f64; 5] = [160e3, 165e3, 170e3, 175e3, 180e3];

    fn driver(engine: Model, placement: Placement) -> Driver {
        Driver { engine, placement }
    }

    /// The four drivers of a 2-core machine.
    pub(crate) fn drivers() -> [Driver; 4] {
        [
            driver(EVENT_LOOP_MODEL, Placement::Split),
            driver(THREADS_MODEL, Placement::Split),
            driver(EVENT_LOOP_MODEL, Placement::Unpinned),
            driver(THREADS_MODEL, Placement::Unpinned),
        ]
    }

    /// A cell pair at 100 connections: blocking's and non-blocking's windows.
    pub(crate) fn cells(
        d: Driver,
        blocking: &[f64],
        nonblocking: &[f64],
        client_busy: f64,
    ) -> Vec<Cell> {
        [(THREADS, blocking), (EVENT_LOOP, nonblocking)]
            .into_iter()
            .map(|(t, msgs)| {
                let mut p = point(t, 100, msgs);
                for w in &mut p.windows {
                    w.load.client_cpu_utilization = Some(client_busy);
                }
                Cell {
                    driver: d,
                    point: p,
                }
            })
            .collect()
    }

    /// A budget cell pair: like [`cells`], each server held to half a
    /// core and busy `budget_busy` of it.
    fn budget_cells(
        engine: Model,
        blocking: &[f64],
        nonblocking: &[f64],
        client_busy: f64,
        budget_busy: f64,
    ) -> Vec<Cell> {
        let mut cs = cells(
            driver(engine, Placement::Budget),
            blocking,
            nonblocking,
            client_busy,
        );
        for c in &mut cs {
            c.point.server_cores = 2;
            c.point.budget_cpus = Some(0.5);
            for w in &mut c.point.windows {
                w.cost.as_mut().expect("a cost").cores_busy = 0.5 * budget_busy;
            }
        }
        cs
    }

    fn only(all: &[CrossVerdict]) -> &CrossVerdict {
        assert_eq!(all.len(), 1, "one pair at one count");
        &all[0]
    }

    #[test]
    fn a_verdict_that_every_engine_gives_in_both_placements_holds() {
        let all: Vec<Cell> = drivers()
            .into_iter()
            .flat_map(|d| cells(d, &SLOW, &FAST, 0.6))
            .collect();
        let v = verdicts(&all);
        let v = only(&v);
        assert_eq!((v.a, v.b, v.connections), (THREADS, EVENT_LOOP, 100));
        assert_eq!(v.outcome, Outcome::Holds(Verdict::Lower));
        assert_eq!(v.cells.len(), 4);
        assert_eq!(
            find_verdict(std::slice::from_ref(v), EVENT_LOOP, THREADS, 100),
            Some(Outcome::Holds(Verdict::Higher)),
            "read the other way round"
        );
        assert_eq!(
            find_verdict(std::slice::from_ref(v), THREADS, EVENT_LOOP, 10),
            None
        );
    }

    #[test]
    fn a_verdict_that_flips_with_the_engine_depends_on_the_client() {
        // As measured here: split, both engines rank the event loop
        // first; unpinned, each engine ranks its own kind first.
        let [nb_split, b_split, nb_unpinned, b_unpinned] = drivers();
        let all: Vec<Cell> = [
            cells(nb_split, &SLOW, &FAST, 0.6),
            cells(b_split, &SLOW, &FAST, 0.7),
            cells(nb_unpinned, &SLOW, &FAST, 0.5),
            cells(b_unpinned, &FAST, &SLOW, 0.5),
        ]
        .concat();
        let v = verdicts(&all);
        let v = only(&v);
        let Outcome::DependsOnClient(cause) = &v.outcome else {
            panic!("not a plain verdict: {:?}", v.outcome);
        };
        assert_eq!(cause.engines_disagree_in, vec![Placement::Unpinned]);
        assert_eq!(cause.placement_changes_for, vec![THREADS_MODEL]);
        assert!(
            cause.reversed,
            "the blocking engine ranks them the other way"
        );
        assert_eq!(cells_with(v, Evidence::ClientSaturated), 0);
    }

    #[test]
    fn a_verdict_that_changes_only_with_placement_names_the_placement() {
        let [nb_split, b_split, nb_unpinned, b_unpinned] = drivers();
        let same = [100e3, 101e3, 102e3, 103e3, 104e3];
        let all: Vec<Cell> = [
            cells(nb_split, &SLOW, &FAST, 0.6),
            cells(b_split, &SLOW, &FAST, 0.6),
            cells(nb_unpinned, &same, &same, 0.6),
            cells(b_unpinned, &same, &same, 0.6),
        ]
        .concat();
        let v = verdicts(&all);
        assert_eq!(
            only(&v).outcome,
            Outcome::DependsOnClient(Cause {
                engines_disagree_in: vec![],
                placement_changes_for: vec![EVENT_LOOP_MODEL, THREADS_MODEL],
                reversed: false,
                measured: Some(Measured::NotMeasured),
            })
        );
    }

    #[test]
    fn a_saturated_client_is_no_evidence_not_a_tie() {
        let [nb_split, b_split, nb_unpinned, b_unpinned] = drivers();
        // The thread-per-connection client saturated in both placements: its
        // contrary cells do not count; the other engine's verdict holds.
        let all: Vec<Cell> = [
            cells(nb_split, &SLOW, &FAST, 0.6),
            cells(b_split, &FAST, &SLOW, 0.99),
            cells(nb_unpinned, &SLOW, &FAST, 0.6),
            cells(b_unpinned, &SLOW, &SLOW, 0.95),
        ]
        .concat();
        let v = verdicts(&all);
        let v = only(&v);
        assert_eq!(v.outcome, Outcome::Holds(Verdict::Lower));
        assert_eq!(cells_with(v, Evidence::ClientSaturated), 2);
        assert_eq!(v.cells[1].evidence, Evidence::ClientSaturated);
        // Saturated everywhere in one placement: no verdict at all.
        let all: Vec<Cell> = [
            cells(nb_split, &SLOW, &FAST, 0.6),
            cells(b_split, &SLOW, &FAST, 0.6),
            cells(nb_unpinned, &SLOW, &FAST, 0.97),
            cells(b_unpinned, &SLOW, &FAST, 0.99),
        ]
        .concat();
        assert_eq!(only(&verdicts(&all)).outcome, Outcome::NoEvidence);
    }

    #[test]
    fn too_few_windows_are_no_evidence() {
        let three_slow = &SLOW[..3];
        let three_fast = &FAST[..3];
        let all: Vec<Cell> = drivers()
            .into_iter()
            .flat_map(|d| cells(d, three_slow, three_fast, 0.6))
            .collect();
        let v = verdicts(&all);
        let v = only(&v);
        assert!(v
            .cells
            .iter()
            .all(|c| c.evidence == Evidence::TooFewWindows));
        assert_eq!(v.outcome, Outcome::NoEvidence);
        // Four windows a side are enough to be evidence.
        let all: Vec<Cell> = drivers()
            .into_iter()
            .flat_map(|d| cells(d, &SLOW[..4], &FAST[..4], 0.6))
            .collect();
        assert_eq!(
            only(&verdicts(&all)).outcome,
            Outcome::Holds(Verdict::Lower)
        );
    }

    #[test]
    fn every_pair_of_servers_is_judged_once_at_every_count() {
        let d = drivers()[0];
        let mut all = Vec::new();
        for n in [100, 1000] {
            for t in [THREADS, EVENT_LOOP, RING] {
                all.push(Cell {
                    driver: d,
                    point: point(t, n, &FAST),
                });
            }
        }
        let v = verdicts(&all);
        assert_eq!(v.len(), 6, "three pairs at two counts");
        assert!(v
            .iter()
            .all(|x| x.outcome == Outcome::Holds(Verdict::NoDifference)));
    }

    #[test]
    fn a_difference_against_none_depends_on_the_client_but_is_no_reversal() {
        // The published run's shape at 100 connections: the event-loop client
        // finds the event loop ahead, the thread-per-connection one, unpinned,
        // finds no difference; split, that client is saturated.
        let [nb_split, b_split, nb_unpinned, b_unpinned] = drivers();
        let level = [100e3, 102e3, 104e3, 106e3, 108e3];
        let all: Vec<Cell> = [
            cells(nb_split, &SLOW, &FAST, 0.86),
            cells(b_split, &SLOW, &FAST, 0.96),
            cells(nb_unpinned, &SLOW, &FAST, 0.4),
            cells(b_unpinned, &level, &level, 0.5),
        ]
        .concat();
        let v = verdicts(&all);
        let Outcome::DependsOnClient(cause) = &only(&v).outcome else {
            panic!("{:?}", only(&v).outcome);
        };
        assert_eq!(cause.engines_disagree_in, vec![Placement::Unpinned]);
        assert!(!cause.reversed);
        let words = cause_words(cause, true);
        assert!(words.contains("finds none"), "{words}");
        assert!(!words.contains("like pairs with like"), "{words}");
    }

    #[test]
    fn a_budget_cell_is_evidence_only_server_bound_and_with_an_unsaturated_client() {
        // Unpinned and budget, as quick and full measure at 100 and 1,000.
        let unpinned = [
            cells(
                driver(EVENT_LOOP_MODEL, Placement::Unpinned),
                &SLOW,
                &FAST,
                0.5,
            ),
            cells(
                driver(THREADS_MODEL, Placement::Unpinned),
                &SLOW,
                &FAST,
                0.5,
            ),
        ]
        .concat();
        let with = |budget: Vec<Cell>| verdicts(&[unpinned.clone(), budget].concat());
        // Both servers at 96% of their budget, the clients at 30%: every
        // cell is evidence, and the verdict holds.
        let bound = [
            budget_cells(EVENT_LOOP_MODEL, &SLOW, &FAST, 0.3, 0.96),
            budget_cells(THREADS_MODEL, &SLOW, &FAST, 0.3, 0.96),
        ]
        .concat();
        let v = with(bound);
        let v = only(&v);
        assert_eq!(v.outcome, Outcome::Holds(Verdict::Lower));
        let budget_cell = &v.cells[2];
        assert_eq!(budget_cell.driver.placement, Placement::Budget);
        assert_eq!(budget_cell.evidence, Evidence::Verdict(Verdict::Lower));
        assert_eq!(budget_cell.budget_used, Some(0.96), "shown in the table");
        assert_eq!(v.cells[0].budget_used, None, "no budget, no share");
        // Servers at 80% of their budget: not server-bound, no evidence;
        // with no other budget cell the placement has none and there is no
        // verdict.
        let under = [
            budget_cells(EVENT_LOOP_MODEL, &SLOW, &FAST, 0.3, 0.8),
            budget_cells(THREADS_MODEL, &SLOW, &FAST, 0.3, 0.8),
        ]
        .concat();
        let v = with(under);
        let v = only(&v);
        assert!(v.cells[2..]
            .iter()
            .all(|c| c.evidence == Evidence::UnderBudget));
        assert_eq!(cells_with(v, Evidence::UnderBudget), 2);
        assert_eq!(v.outcome, Outcome::NoEvidence);
        // A saturated client is no evidence, whatever the server's share;
        // the other engine's server-bound cell still is.
        let saturated = [
            budget_cells(EVENT_LOOP_MODEL, &SLOW, &FAST, 0.3, 0.97),
            budget_cells(THREADS_MODEL, &FAST, &SLOW, 0.95, 0.97),
        ]
        .concat();
        let v = with(saturated);
        let v = only(&v);
        assert_eq!(v.cells[3].evidence, Evidence::ClientSaturated);
        assert_eq!(cells_with(v, Evidence::ClientSaturated), 1);
        assert_eq!(v.outcome, Outcome::Holds(Verdict::Lower));
        // With evidence in every placement, a disagreement is "depends on
        // the client", never "no verdict".
        let split_verdict = [
            budget_cells(EVENT_LOOP_MODEL, &SLOW, &FAST, 0.3, 0.97),
            budget_cells(THREADS_MODEL, &SLOW, &SLOW, 0.3, 0.97),
        ]
        .concat();
        let v = with(split_verdict);
        let Outcome::DependsOnClient(cause) = &only(&v).outcome else {
            panic!("{:?}", only(&v).outcome);
        };
        assert_eq!(cause.engines_disagree_in, vec![Placement::Budget]);
        assert!(cause_words(cause, true).contains("budget (shared cores"));
    }

    #[test]
    fn a_budget_cell_without_the_servers_cpu_is_no_evidence() {
        let mut cs = budget_cells(EVENT_LOOP_MODEL, &SLOW, &FAST, 0.3, 0.97);
        for w in &mut cs[0].point.windows {
            w.cost = None;
        }
        assert_eq!(evidence(&cs[0].point, &cs[1].point), Evidence::UnderBudget);
    }

    #[test]
    fn the_finding_counts_cells_under_budget_only_where_there_are_some() {
        let o = [(THREADS, EVENT_LOOP, Outcome::Holds(Verdict::Lower))];
        let none = finding(100, 4, (1, 0), &o);
        assert!(
            none.contains("(1 cells with a saturated client, counted as no evidence)"),
            "{none}"
        );
        let some = finding(100, 4, (1, 2), &o);
        assert!(
            some.contains(
                "1 cells with a saturated client, and 2 with a server under 90% of its CPU budget"
            ),
            "{some}"
        );
    }
}
