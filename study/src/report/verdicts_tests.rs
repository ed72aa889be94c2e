//! Tests of `verdicts.rs` on hand-made windows: the crossover, where the
//! cross-check breaks it, the counts grouped by verdict (typed findings,
//! and a few of their sentences).

use super::super::cross::{Cause, CrossVerdict, Outcome};
use super::super::findings_show::show;
use super::super::fixture::{self, point, EVENT_LOOP, RING, THREADS, THREADS_MODE};
use super::*;

/// The counts of a finding that lists counts.
fn counts(f: &Finding) -> &[usize] {
    match f {
        Finding::NoDifference { counts, .. }
        | Finding::FirstAhead { counts, .. }
        | Finding::SecondAheadApart { counts, .. } => counts,
        other => panic!("no counts: {other:?}"),
    }
}

/// The groups of a grouped finding.
fn groups(f: &Finding) -> &[(Standing, Vec<usize>)] {
    match f {
        Finding::Grouped { groups, .. } => groups,
        other => panic!("not grouped: {other:?}"),
    }
}

#[test]
fn the_crossover_is_where_blocking_stays_below_beyond_noise() {
    let mut sweep = Vec::new();
    // 1 and 10: interleaved windows; 100: blocking below, 1000: mixed
    // again, 10000: below. The crossover is 10000: from 100 it did not
    // stay below.
    for (n, b, nb) in [
        (
            1,
            [100.0, 107.0, 110.0, 115.0, 120.0],
            [105.0, 108.0, 112.0, 118.0, 125.0],
        ),
        (
            10,
            [200.0, 205.0, 210.0, 216.0, 220.0],
            [190.0, 206.0, 215.0, 222.0, 230.0],
        ),
        (
            100,
            [100.0, 105.0, 110.0, 115.0, 120.0],
            [200.0, 205.0, 210.0, 215.0, 220.0],
        ),
        (
            1000,
            [150.0, 170.0, 180.0, 212.0, 225.0],
            [200.0, 205.0, 210.0, 215.0, 220.0],
        ),
        (
            10000,
            [50.0, 55.0, 60.0, 65.0, 70.0],
            [100.0, 105.0, 110.0, 115.0, 120.0],
        ),
    ] {
        sweep.push(point(THREADS, n, &b));
        sweep.push(point(EVENT_LOOP, n, &nb));
    }
    let v = sweep_verdicts(&sweep, Pair::THREADS_VS_LOOP);
    assert_eq!(v.len(), 5);
    assert_eq!(v[2].verdict, Verdict::Lower);
    assert_eq!(v[3].verdict, Verdict::NoDifference);
    assert_eq!(crossover_count(&v), Some(10000));
    let found = crossover(Pair::THREADS_VS_LOOP, &v);
    let Finding::Crossover {
        from: Some(at),
        checked,
        ..
    } = &found
    else {
        panic!("a crossover: {found:?}")
    };
    assert_eq!(at.connections, 10000);
    assert_eq!((at.a.median, at.b.median), (60.0, 110.0));
    assert_eq!(checked, &Checked::default(), "no cross-check");
    let text = show(&found);
    assert!(text.contains("60 (50-70) against 110 (100-120)"), "{text}");
    let same = no_difference(Pair::THREADS_VS_LOOP, &v).unwrap();
    assert_eq!(counts(&same), [1, 10, 1000]);
    assert!(show(&same).starts_with("At 1, 10 and 1000 connections"));
    // 100 was below beyond noise, but 1000 broke the run: said apart.
    let apart = second_ahead_apart(Pair::THREADS_VS_LOOP, &v).unwrap();
    assert_eq!(counts(&apart), [100]);
    assert!(first_ahead(Pair::THREADS_VS_LOOP, &v).is_none());
}

#[test]
fn the_first_server_ahead_is_said_with_the_pairs_reason() {
    let sweep = vec![
        point(THREADS, 1, &[200.0, 205.0, 210.0, 215.0, 220.0]),
        point(EVENT_LOOP, 1, &[100.0, 105.0, 110.0, 115.0, 120.0]),
        point(THREADS, 10, &[200.0, 205.0, 210.0, 215.0, 220.0]),
        point(EVENT_LOOP, 10, &[100.0, 105.0, 110.0, 115.0, 120.0]),
    ];
    let v = sweep_verdicts(&sweep, Pair::THREADS_VS_LOOP);
    let ahead = first_ahead(Pair::THREADS_VS_LOOP, &v).expect("ahead at both");
    assert_eq!(counts(&ahead), [1, 10]);
    let why = Pair::THREADS_VS_LOOP.why_first_ahead.expect("a reason");
    assert!(show(&ahead).ends_with(&format!(": {why}.")));
    assert!(no_difference(Pair::THREADS_VS_LOOP, &v).is_none());
    assert!(second_ahead_apart(Pair::THREADS_VS_LOOP, &v).is_none());
}

#[test]
fn completion_against_readiness_is_grouped_by_verdict() {
    let sweep = vec![
        point(RING, 1, &[100.0, 105.0, 110.0, 115.0, 120.0]),
        point(EVENT_LOOP, 1, &[110.0, 115.0, 120.0, 125.0, 130.0]),
        point(RING, 1000, &[300.0, 305.0, 310.0, 315.0, 320.0]),
        point(EVENT_LOOP, 1000, &[200.0, 205.0, 210.0, 215.0, 220.0]),
    ];
    let mut study = fixture::report().study;
    study.sweep = sweep.clone();
    study.cross_check.clear();
    let f = grouped_by_verdict(&study, &[], Pair::COMPLETION_VS_READINESS).expect("both measured");
    assert_eq!(
        groups(&f),
        [
            (Standing::Stands(Verdict::Higher), vec![1000]),
            (Standing::Stands(Verdict::NoDifference), vec![1]),
        ]
    );
    let s = show(&f);
    assert!(
        s.contains("more messages per second beyond noise at 1000 connections and showed no difference beyond noise at 1 connection. At 1000: 310 (300-320) against 210 (200-220) msg/s (1.48 (1.36-1.60)x)"),
        "{s}"
    );
    // Where the cross-check found it depends on the client, it is no
    // longer "more beyond noise".
    let depends = CrossVerdict {
        a: EVENT_LOOP,
        b: RING,
        connections: 1000,
        outcome: Outcome::DependsOnClient(Cause {
            engines_disagree_in: vec![crate::affinity::Placement::Unpinned],
            placement_changes_for: vec![],
            reversed: false,
        }),
        cells: vec![],
    };
    let f = grouped_by_verdict(&study, &[depends], Pair::COMPLETION_VS_READINESS)
        .expect("both measured");
    assert_eq!(
        groups(&f),
        [
            (Standing::Stands(Verdict::NoDifference), vec![1]),
            (Standing::Depends, vec![1000]),
        ]
    );
    study.sweep.truncate(1);
    assert_eq!(
        grouped_by_verdict(&study, &[], Pair::COMPLETION_VS_READINESS),
        None
    );
}

#[test]
fn no_crossover_is_said_as_such() {
    let sweep = vec![
        point(THREADS, 1, &[100.0, 120.0]),
        point(EVENT_LOOP, 1, &[110.0, 130.0]),
    ];
    let v = sweep_verdicts(&sweep, Pair::THREADS_VS_LOOP);
    assert_eq!(crossover_count(&v), None);
    let found = crossover(Pair::THREADS_VS_LOOP, &v);
    assert!(matches!(found, Finding::Crossover { from: None, .. }));
    assert!(show(&found).starts_with("No crossover"));
    assert!(first_ahead(Pair::THREADS_VS_LOOP, &v).is_none());
}

#[test]
fn a_count_where_the_verdict_depends_on_the_client_breaks_the_crossover() {
    let mut study = fixture::report().study;
    let cross = super::super::cross::verdicts(&study.cross_check);
    let v = checked_verdicts(&study, &cross, Pair::THREADS_VS_LOOP);
    assert_eq!(crossover_count(&v), Some(100), "holds with every client");
    // The blocking engine, unpinned, now ranks the blocking server first.
    for c in &mut study.cross_check {
        let unpinned_threads = c.driver.engine == THREADS_MODE
            && c.driver.placement == crate::affinity::Placement::Unpinned;
        if unpinned_threads && c.point.target == THREADS {
            for w in &mut c.point.windows {
                w.load.messages_per_s *= 3.0;
            }
        }
    }
    let cross = super::super::cross::verdicts(&study.cross_check);
    let v = checked_verdicts(&study, &cross, Pair::THREADS_VS_LOOP);
    let at_100 = v.iter().find(|v| v.connections == 100).unwrap();
    assert!(!at_100.stands(), "{at_100:?}");
    assert_eq!(crossover_count(&v), Some(1000), "100 no longer counts");
    let Finding::Crossover { from, checked, .. } = crossover(Pair::THREADS_VS_LOOP, &v) else {
        unreachable!("always a crossover finding")
    };
    assert_eq!(from.map(|v| v.connections), Some(1000));
    assert_eq!(
        checked,
        Checked {
            held: vec![],
            depends: vec![100],
            unchecked: vec![],
        }
    );
    let findings = super::super::findings::compute(&study);
    let cross_finding = findings
        .iter()
        .find(|f| {
            matches!(
                f,
                Finding::CrossCheck {
                    connections: 100,
                    ..
                }
            )
        })
        .map(show)
        .expect("a cross-check finding");
    assert!(
        cross_finding.contains(
            "Depends on the client: blocking vs nonblocking (the engines rank them oppositely in unpinned;"
        ),
        "{cross_finding}"
    );
}
