//! The cross-check's rule on hand-made windows: holds with every engine,
//! flips with the engine, one engine saturated, too few windows.

use sockmodes_models::IoMode;

use super::*;
use crate::report::fixture::{point, EVENT_LOOP, EVENT_LOOP_MODE, RING, THREADS, THREADS_MODE};

const SLOW: [f64; 5] = [100e3, 104e3, 108e3, 110e3, 112e3];
const FAST: [f64; 5] = [160e3, 165e3, 170e3, 175e3, 180e3];

fn driver(engine: IoMode, placement: Placement) -> Driver {
    Driver { engine, placement }
}

/// The four drivers of a 2-core machine.
fn drivers() -> [Driver; 4] {
    [
        driver(EVENT_LOOP_MODE, Placement::Split),
        driver(THREADS_MODE, Placement::Split),
        driver(EVENT_LOOP_MODE, Placement::Unpinned),
        driver(THREADS_MODE, Placement::Unpinned),
    ]
}

/// A cell pair at 100 connections: blocking's and non-blocking's windows.
fn cells(d: Driver, blocking: &[f64], nonblocking: &[f64], client_busy: f64) -> Vec<Cell> {
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
    // The measurement: split, both engines rank the event loop
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
    assert_eq!(cause.placement_changes_for, vec![THREADS_MODE]);
    assert!(
        cause.reversed,
        "the blocking engine ranks them the other way"
    );
    assert_eq!(saturated_cells(v), 0);
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
            placement_changes_for: vec![EVENT_LOOP_MODE, THREADS_MODE],
            reversed: false,
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
    assert_eq!(saturated_cells(v), 2);
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
    let words = super::super::cross_show::cause_words(cause);
    assert!(words.contains("finds none"), "{words}");
    assert!(!words.contains("like pairs with like"), "{words}");
}

#[test]
fn the_cross_checks_finding_at_each_count_holds_every_pairs_outcome() {
    // At 100: the four drivers agree, but one split cell's client is
    // saturated (no evidence there, and the other split driver still
    // gives one). At 1000: only one driver, all saturated: no verdict.
    let [nb_split, b_split, nb_unpinned, b_unpinned] = drivers();
    let mut all: Vec<Cell> = [
        cells(nb_split, &SLOW, &FAST, 0.6),
        cells(b_split, &SLOW, &FAST, 0.95),
        cells(nb_unpinned, &SLOW, &FAST, 0.6),
        cells(b_unpinned, &SLOW, &FAST, 0.6),
    ]
    .concat();
    for mut c in cells(nb_split, &SLOW, &FAST, 0.99) {
        c.point.connections = 1000;
        all.push(c);
    }
    let found = by_count(&verdicts(&all));
    assert_eq!(
        found,
        [
            Finding::CrossCheck {
                connections: 100,
                drivers: 4,
                saturated: 1,
                outcomes: vec![(THREADS, EVENT_LOOP, Outcome::Holds(Verdict::Lower))],
            },
            Finding::CrossCheck {
                connections: 1000,
                drivers: 1,
                saturated: 1,
                outcomes: vec![(THREADS, EVENT_LOOP, Outcome::NoEvidence)],
            },
        ]
    );
    let text = super::super::findings_show::show(&found[1]);
    assert!(
        text.ends_with("No verdict (in some placement the client was saturated or the windows too few): blocking vs nonblocking."),
        "{text}"
    );
    assert!(by_count(&[]).is_empty());
}
