//! Unit tests of `findings.rs`, on fixed synthetic data (kept apart so
//! that `findings.rs` stays under 400 lines).

use super::super::fixture::{self, point};
use super::*;

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
        sweep.push(point(Target::Blocking, n, &b));
        sweep.push(point(Target::NonBlocking, n, &nb));
    }
    let v = sweep_verdicts(&sweep, Target::Blocking, Target::NonBlocking);
    assert_eq!(v.len(), 5);
    assert_eq!(v[2].verdict, Verdict::Lower);
    assert_eq!(v[3].verdict, Verdict::NoDifference);
    assert_eq!(crossover_count(&v), Some(10000));
    let text = crossover(&v);
    assert!(text.contains("from 10000 connections"), "{text}");
    assert!(text.contains("60 (50-70) against 110 (100-120)"), "{text}");
    let same = no_difference(&v).unwrap();
    assert!(same.starts_with("At 1, 10 and 1000 connections"), "{same}");
}

#[test]
fn completion_against_readiness_is_grouped_by_verdict() {
    let sweep = vec![
        point(Target::Completion, 1, &[100.0, 105.0, 110.0, 115.0, 120.0]),
        point(Target::NonBlocking, 1, &[110.0, 115.0, 120.0, 125.0, 130.0]),
        point(
            Target::Completion,
            1000,
            &[300.0, 305.0, 310.0, 315.0, 320.0],
        ),
        point(
            Target::NonBlocking,
            1000,
            &[200.0, 205.0, 210.0, 215.0, 220.0],
        ),
    ];
    let s = completion_vs_readiness(&sweep).expect("both measured");
    assert!(
        s.contains("more messages per second beyond noise at 1000"),
        "{s}"
    );
    assert!(
        s.contains("no difference beyond noise at 1 connection"),
        "{s}"
    );
    assert!(!s.contains("fewer"), "{s}");
    assert_eq!(completion_vs_readiness(&sweep[..2][..1]), None);
}

#[test]
fn no_crossover_is_said_as_such() {
    let sweep = vec![
        point(Target::Blocking, 1, &[100.0, 120.0]),
        point(Target::NonBlocking, 1, &[110.0, 130.0]),
    ];
    let v = sweep_verdicts(&sweep, Target::Blocking, Target::NonBlocking);
    assert_eq!(crossover_count(&v), None);
    assert!(crossover(&v).starts_with("No crossover"));
    assert!(blocking_ahead(&v).is_none());
}

#[test]
fn findings_are_sentences_without_walls_of_points() {
    let r = fixture::report();
    assert!(r
        .findings
        .iter()
        .any(|f| f.starts_with("Crossover: from 100")));
    assert!(r.findings.iter().any(|f| f.contains("same offered rate")));
    for f in &r.findings {
        assert!(f.matches(", ").count() < 12, "a wall: {f}");
    }
}
