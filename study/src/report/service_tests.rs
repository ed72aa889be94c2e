//! The service-work findings on hand-made windows (`fixture::service`).

use sockmodes_models::ceiling::Concurrency;

use super::super::fixture::{self, service_point, EVENT_LOOP, RING, THREADS};
use super::super::lang::Lang;
use super::super::service_show::{page_table, show};
use super::*;

fn work(s: &str) -> Work {
    s.parse().unwrap()
}

fn study_with(service: Vec<Point>) -> Study {
    let mut study = fixture::report().study;
    study.service = service;
    study
}

fn of_case(fs: &[Finding], w: &str) -> Vec<Finding> {
    let w = work(w);
    fs.iter()
        .filter(|f| match f {
            Finding::Case { work, .. }
            | Finding::Fastest { work, .. }
            | Finding::Pool { work, .. }
            | Finding::OverCeiling { work, .. }
            | Finding::ClientLimited { work, .. } => *work == w,
        })
        .cloned()
        .collect()
}

const NB_INLINE: Who = Who {
    target: EVENT_LOOP,
    concurrency: Concurrency::Inline(1),
};

#[test]
fn every_figure_stands_beside_its_ceiling_fastest_first() {
    let fs = findings(&study_with(fixture::service()));
    let Some(Finding::Case {
        connections,
        figures,
        ..
    }) = of_case(&fs, "block:1ms").first().cloned()
    else {
        panic!("no case finding: {fs:?}");
    };
    assert_eq!(connections, 100);
    let ceilings: Vec<(Who, f64)> = figures.iter().map(|f| (f.who, f.ceiling)).collect();
    assert!(ceilings.contains(&(NB_INLINE, 1_000.0)));
    assert!(ceilings.contains(&(
        Who {
            target: EVENT_LOOP,
            concurrency: Concurrency::Pool(64)
        },
        64_000.0
    )));
    assert!(ceilings.contains(&(
        Who {
            target: THREADS,
            concurrency: Concurrency::PerConnection
        },
        100_000.0
    )));
    let msgs: Vec<f64> = figures.iter().map(|f| f.msgs).collect();
    assert!(
        msgs.windows(2).all(|w| w[0] >= w[1]),
        "fastest first: {msgs:?}"
    );
    let text = show(&of_case(&fs, "block:1ms")[0]);
    assert!(
        text.contains("nonblocking, inline 990 msg/s (ceiling 1,000: 99% of it)"),
        "{text}"
    );
}

#[test]
fn the_fastest_is_tied_with_what_is_within_noise_and_ahead_of_the_rest() {
    let fs = findings(&study_with(fixture::service()));
    let (leaders, behind) = of_case(&fs, "block:1ms")
        .into_iter()
        .find_map(|f| match f {
            Finding::Fastest {
                leaders, behind, ..
            } => Some((leaders, behind)),
            _ => None,
        })
        .unwrap();
    // 45k (the thread per connection) and both pools at 44k, in the order
    // measured, whichever was fastest.
    let leaders: Vec<(Target, Concurrency)> =
        leaders.iter().map(|w| (w.target, w.concurrency)).collect();
    assert_eq!(
        leaders,
        [
            (THREADS, Concurrency::PerConnection),
            (EVENT_LOOP, Concurrency::Pool(64)),
            (RING, Concurrency::Pool(64)),
        ]
    );
    assert_eq!(behind.len(), 2, "both inline loops behind");
    for (w, ratio) in &behind {
        assert_eq!(w.concurrency, Concurrency::Inline(1));
        assert!((ratio - 990.0 / 45e3).abs() < 1e-9, "{ratio}");
    }
    let text = show(
        of_case(&fs, "block:1ms")
            .iter()
            .find(|f| matches!(f, Finding::Fastest { .. }))
            .unwrap(),
    );
    assert!(
        text.starts_with("Fastest with `block:1ms`, within noise of each other: blocking, one per connection; nonblocking, pool of 64; completion, pool of 64; behind beyond noise: nonblocking, inline (0.02x the fastest)"),
        "{text}"
    );
    // Computing on one core: every setup within noise of the fastest.
    let cpu = of_case(&fs, "cpu:20us");
    assert!(cpu
        .iter()
        .any(|f| matches!(f, Finding::Fastest { behind, .. } if behind.is_empty())));
}

#[test]
fn a_pool_helps_a_blocking_call_and_not_computing_on_one_core() {
    let fs = findings(&study_with(fixture::service()));
    let pools = |w: &str| -> Vec<Verdict> {
        of_case(&fs, w)
            .into_iter()
            .filter_map(|f| match f {
                Finding::Pool { verdict, .. } => Some(verdict),
                _ => None,
            })
            .collect()
    };
    assert_eq!(pools("block:1ms"), [Verdict::Higher, Verdict::Higher]);
    assert_eq!(pools("cpu:20us"), [Verdict::NoDifference; 2]);
    assert!(pools("wait:1ms").is_empty(), "a wait has no pool");
    let text = show(
        of_case(&fs, "block:1ms")
            .iter()
            .find(|f| matches!(f, Finding::Pool { .. }))
            .unwrap(),
    );
    assert!(
        text.starts_with("With `block:1ms`, a pool of 64 took nonblocking from 990 to 44,000 msg/s (44.44x, beyond noise)"),
        "{text}"
    );
}

#[test]
fn a_figure_over_its_ceiling_is_a_bug_and_one_within_the_window_edge_is_not() {
    let at = |m: f64| vec![service_point(EVENT_LOOP, "block:1ms", None, &[m; 5])];
    let over = |fs: &[Finding]| fs.iter().any(|f| matches!(f, Finding::OverCeiling { .. }));
    assert!(over(&findings(&study_with(at(1_100.0)))));
    assert!(!over(&findings(&study_with(at(1_015.0)))), "within 2%");
    assert!(!over(&findings(&study_with(fixture::service()))));
    let text = show(
        findings(&study_with(at(1_100.0)))
            .iter()
            .find(|f| matches!(f, Finding::OverCeiling { .. }))
            .unwrap(),
    );
    assert!(
        text.contains("1,100 msg/s") && text.contains("ceiling of 1,000"),
        "{text}"
    );
}

#[test]
fn a_saturated_client_is_named_and_an_idle_one_is_not() {
    let mut points = fixture::service();
    let limited = |fs: &[Finding]| -> Vec<Who> {
        fs.iter()
            .flat_map(|f| match f {
                Finding::ClientLimited { who, .. } => who.clone(),
                _ => Vec::new(),
            })
            .collect()
    };
    assert!(limited(&findings(&study_with(points.clone()))).is_empty());
    for w in &mut points[0].windows {
        w.load.client_cpu_utilization = Some(0.95);
    }
    let who = limited(&findings(&study_with(points)));
    assert_eq!(who.len(), 1);
    assert_eq!(who[0].target, THREADS);
}

#[test]
fn no_service_points_no_findings_and_no_table() {
    let study = study_with(Vec::new());
    assert!(findings(&study).is_empty());
    let mut r = fixture::report();
    r.study.service.clear();
    assert!(super::super::service_show::table(&r).is_none());
    assert_eq!(page_table(&r, Lang::En), "");
}

#[test]
fn the_pages_table_is_in_each_guides_language() {
    let r = fixture::report();
    let en = page_table(&r, Lang::En);
    let es = page_table(&r, Lang::Es);
    assert!(
        en.contains("| `block:1ms` | nonblocking | inline | 990 (950-1,020) | 1,000 | 0.99 |"),
        "{en}"
    );
    assert!(
        es.contains(
            "| `block:1ms` | no bloqueante | en el propio hilo | 990 (950-1020) | 1000 | 0,99 |"
        ),
        "{es}"
    );
    assert!(
        es.contains("reserva de 64 hilos") && es.contains("44\u{a0}000"),
        "{es}"
    );
    assert_eq!(en.lines().filter(|l| l.starts_with("| `")).count(), 13);
}

/// The fixture's windows cost 5 µs of server CPU a message: a thread per
/// connection at 45,000 msg/s that cost 22 µs instead is bound by its one
/// core (about 45,455 msg/s), far under Little's 100,000.
#[test]
fn a_setup_whose_cpu_allows_less_than_littles_law_is_named_cpu_bound() {
    let mut points = fixture::service();
    for p in points.iter_mut().filter(|p| p.target == THREADS) {
        for w in &mut p.windows {
            let cost = w.cost.as_mut().expect("the fixture measures the server");
            cost.user_us_per_msg = 2.0;
            cost.system_us_per_msg = 20.0;
        }
    }
    let points_again = points.clone();
    let fs = findings(&study_with(points));
    let Some(Finding::Case { figures, .. }) = of_case(&fs, "block:1ms").first().cloned() else {
        panic!("no case finding: {fs:?}");
    };
    let threads = figures
        .iter()
        .find(|f| f.who.target == THREADS)
        .expect("the thread per connection's figure");
    let cpu = threads.cpu_bound().expect("its CPU is the lower ceiling");
    assert!((cpu - 1e6 / 22.0).abs() < 1.0, "{cpu}");
    // The loops' CPU (5 µs a message: 200,000) is over their Little's law.
    let inline = figures.iter().find(|f| f.who == NB_INLINE).unwrap();
    assert_eq!(inline.cpu_bound(), None);
    let text = show(&of_case(&fs, "block:1ms")[0]);
    assert!(
        text.contains(
            "(ceiling 100,000: 45% of it; CPU-bound: its cores allowed 45,455, 99% of that)"
        ),
        "{text}"
    );
    let mut r = fixture::report();
    r.study = study_with(points_again);
    let en = page_table(&r, Lang::En);
    assert!(
        en.contains("| `block:1ms` | blocking | one per connection | 45,000 (43,200-46,350) | 100,000 | 0.45 | 45,455 | 0.99 (CPU) |"),
        "{en}"
    );
    assert!(
        en.contains("| `block:1ms` | nonblocking | inline | 990 (950-1,020) | 1,000 | 0.99 | 200,000 | 0.99 (Little) |"),
        "{en}"
    );
}
