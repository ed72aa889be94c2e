//! Findings: what this run's figures show, computed, never hand-written,
//! and claiming only what the windows support: a difference between two
//! servers is stated only where it is beyond chance and beyond this
//! machine's run-to-run drift ([`stats::compare`](crate::stats::compare));
//! otherwise the finding is "no difference beyond noise" with both
//! ranges. Where each point was limited (client, server, both) is a table
//! column, not a finding.
//!
//! The findings are typed ([`Finding`]: the servers as [`Target`]s, the
//! verdicts as the noise rule's, the figures as numbers and spreads),
//! built here from the analysis's verdicts and costs, and made into
//! sentences only by [`show`], so that tests read verdicts, not
//! sentences. The service-work cases' own findings and words are
//! `service.rs`'s; a [`Finding::Service`] carries one.

use serde::{Deserialize, Serialize};

use super::costs::{
    calm_up_to, cheapest, knee_words, ramp_words, saturated, Costs, Knee, RampUp, KNEE,
};
use super::cross::{self, CrossVerdict, Evidence, Outcome};
use super::forms;
use super::lang::{median, spread};
use super::service::{self, ServiceCase};
use super::study::Study;
use super::targets::sweep_pair;
use super::verdicts::{self, crossover_verdict, Checked, CountVerdict, PairVerdicts, Standing};
use crate::stats::{ratio, Spread, Verdict};
use crate::sweep::{find, Point, Step};
use crate::target::{BenchKind, Pair, Target};

/// One finding of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Finding {
    /// A test-mode run: single unmeasured windows, no finding stands.
    TestMode,
    /// The first count from which `pair.a` stayed below `pair.b` beyond
    /// noise at every larger count, with both servers' messages/s there
    /// (`None`: no crossover), and what the cross-check said of the counts
    /// it measured.
    Crossover {
        #[serde(with = "forms::pair")]
        pair: Pair,
        from: Option<CountVerdict>,
        checked: Checked,
    },
    /// The cross-check at one count: every pair of servers with its
    /// outcome over `drivers` client engine/placement pairs, of whose
    /// cells `saturated` had a saturated client and `under_budget` a
    /// server under its CPU budget.
    CrossCheck {
        connections: usize,
        drivers: usize,
        saturated: usize,
        #[serde(default)]
        under_budget: usize,
        outcomes: Vec<(Target, Target, Outcome)>,
    },
    /// The counts where the pair showed no difference beyond noise, with
    /// the first of them's figures.
    NoDifference {
        #[serde(with = "forms::pair")]
        pair: Pair,
        counts: Vec<usize>,
        first: CountVerdict,
    },
    /// The counts where `pair.a` carried more beyond noise.
    FirstAhead {
        #[serde(with = "forms::pair")]
        pair: Pair,
        counts: Vec<usize>,
    },
    /// Counts where `pair.b` carried more beyond noise but that are not
    /// part of the crossover's run to the largest count.
    SecondAheadApart {
        #[serde(with = "forms::pair")]
        pair: Pair,
        counts: Vec<usize>,
    },
    /// One pair's counts grouped by where they stand, in the order of
    /// [`Standing::ORDER`] (empty groups left out), with the largest
    /// count's figures and each server's system calls per message there.
    Grouped {
        #[serde(with = "forms::pair")]
        pair: Pair,
        groups: Vec<(Standing, Vec<usize>)>,
        last: CountVerdict,
        syscalls: (Option<Spread>, Option<Spread>),
    },
    /// What each server of the pair spent at the largest count.
    Costs {
        #[serde(with = "forms::pair")]
        pair: Pair,
        connections: usize,
        a: Costs,
        b: Costs,
    },
    /// How long the last connection waited for its first answer at the
    /// largest count, and the connections starved in the window.
    Ramp {
        #[serde(with = "forms::pair")]
        pair: Pair,
        connections: usize,
        a: RampUp,
        b: RampUp,
        starved: (Option<Spread>, Option<Spread>),
    },
    /// CPU per message of every server at one offered rate, and the one
    /// below every other beyond noise, if one was.
    SameRate {
        offered_per_s: f64,
        offered_pct: f64,
        connections: usize,
        cpu: Vec<(Target, Option<Spread>)>,
        cheapest: Option<Target>,
    },
    /// Each server's knee under offered load.
    Knees(Vec<Knee>),
    /// Points where the load generator alone, or both sides, were
    /// saturated, of all points.
    Saturation {
        client: usize,
        both: usize,
        all: usize,
    },
    /// What one service-work case showed (`service.rs`).
    Service(service::Finding),
}

/// The findings, in reading order: the sweep's verdicts (`verdicts`, the
/// analysis's, and the cross-check's `cross`), the costs, and the
/// service-work cases (`service`, the analysis's figures).
pub fn compute(
    study: &Study,
    cross: &[CrossVerdict],
    verdicts: &[PairVerdicts],
    service: &[ServiceCase],
) -> Vec<Finding> {
    let mut out = Vec::new();
    if study.plan.kind == BenchKind::Test {
        out.push(Finding::TestMode);
    }
    let pair = Pair::THREADS_VS_LOOP;
    let counts = verdicts::of(verdicts, pair);
    out.push(crossover(pair, counts));
    out.extend(by_count(cross));
    out.extend(no_difference(pair, counts));
    out.extend(first_ahead(pair, counts));
    out.extend(second_ahead_apart(pair, counts));
    let ring = Pair::COMPLETION_VS_READINESS;
    out.extend(grouped_by_verdict(
        study,
        verdicts::of(verdicts, ring),
        ring,
    ));
    out.extend(largest(study));
    out.extend(same_rate(study));
    out.extend(knees(study));
    out.push(saturation(study));
    out.extend(
        service::findings(study, service)
            .into_iter()
            .map(Finding::Service),
    );
    out
}

/// The crossover: from which count the pair's first server (a thread per
/// connection) carried fewer messages than its second, with the figures
/// there.
pub fn crossover(pair: Pair, verdicts: &[CountVerdict]) -> Finding {
    Finding::Crossover {
        pair,
        from: crossover_verdict(verdicts).cloned(),
        checked: Checked::of(verdicts),
    }
}

/// The counts of `verdicts` that stand as `s`.
fn counts(verdicts: &[CountVerdict], s: Standing) -> Vec<usize> {
    verdicts
        .iter()
        .filter(|c| s.of(c))
        .map(|c| c.connections)
        .collect()
}

/// The counts where the pair showed no difference beyond noise.
pub fn no_difference(pair: Pair, verdicts: &[CountVerdict]) -> Option<Finding> {
    let first = verdicts.iter().find(|v| v.is(Verdict::NoDifference))?;
    Some(Finding::NoDifference {
        pair,
        counts: counts(verdicts, Standing::Stands(Verdict::NoDifference)),
        first: first.clone(),
    })
}

/// The counts where the pair's first server carried more beyond noise.
pub fn first_ahead(pair: Pair, verdicts: &[CountVerdict]) -> Option<Finding> {
    let counts = counts(verdicts, Standing::Stands(Verdict::Higher));
    (!counts.is_empty()).then_some(Finding::FirstAhead { pair, counts })
}

/// Counts where the pair's second server carried more beyond noise (and the verdict
/// stands) but that are not part of the crossover's run to the largest
/// count: said apart, so that no verdict goes unreported.
pub fn second_ahead_apart(pair: Pair, verdicts: &[CountVerdict]) -> Option<Finding> {
    let from = crossover_verdict(verdicts).map_or(usize::MAX, |v| v.connections);
    let counts: Vec<usize> = counts(verdicts, Standing::Stands(Verdict::Lower))
        .into_iter()
        .filter(|&n| n < from)
        .collect();
    (!counts.is_empty()).then_some(Finding::SecondAheadApart { pair, counts })
}

/// One server against another (the registry's completion against
/// readiness), grouped by verdict: where it carried more beyond noise,
/// less, no different, or where the cross-check found it depends on the
/// client.
pub fn grouped_by_verdict(study: &Study, verdicts: &[CountVerdict], pair: Pair) -> Option<Finding> {
    let last = verdicts.last()?.clone();
    let groups = Standing::ORDER
        .into_iter()
        .map(|s| (s, counts(verdicts, s)))
        .filter(|(_, counts)| !counts.is_empty())
        .collect();
    let calls =
        |t: Target| find(&study.sweep, t, last.connections).and_then(Point::syscalls_per_msg);
    Some(Finding::Grouped {
        pair,
        groups,
        syscalls: (calls(pair.a), calls(pair.b)),
        last,
    })
}

/// The costs of a thread per connection and of the event loop at the
/// largest count (the registry's [`Pair::THREADS_VS_LOOP`]): what each
/// spent, and how long each took to answer every connection.
pub fn largest(study: &Study) -> Vec<Finding> {
    let Some(connections) = study.sweep.iter().map(|p| p.connections).max() else {
        return Vec::new();
    };
    let pair = Pair::THREADS_VS_LOOP;
    let Some((a, b)) = sweep_pair(study, pair, connections) else {
        return Vec::new();
    };
    let cap = study.plan.warmup_cap_s;
    vec![
        Finding::Costs {
            pair,
            connections,
            a: Costs::of(a),
            b: Costs::of(b),
        },
        Finding::Ramp {
            pair,
            connections,
            a: RampUp::of(a, cap),
            b: RampUp::of(b, cap),
            starved: (a.starved(), b.starved()),
        },
    ]
}

/// CPU per message of every server at the same offered rate, and the
/// cheapest beyond noise if one is.
pub fn same_rate(study: &Study) -> Option<Finding> {
    let points: Vec<&Point> = study
        .same_rate
        .iter()
        .filter(|p| p.step == Step::SameRate)
        .collect();
    let first = points.first()?;
    Some(Finding::SameRate {
        offered_per_s: first.offered_per_s.unwrap_or(0.0),
        offered_pct: first.offered_pct.unwrap_or(0.0),
        connections: first.connections,
        cpu: points.iter().map(|p| (p.target, p.cpu_per_msg())).collect(),
        cheapest: cheapest(&points).map(|p| p.target),
    })
}

/// Each server's knee: up to which offered share its p99 stayed calm.
pub fn knees(study: &Study) -> Option<Finding> {
    let mut out = Vec::new();
    for t in Target::every_studied() {
        let mut steps: Vec<&Point> = study
            .load_steps
            .iter()
            .filter(|p| p.target == t && p.offered_pct.is_some())
            .collect();
        steps.sort_by(|a, b| a.offered_pct.partial_cmp(&b.offered_pct).expect("finite"));
        let (Some(light), Some(calm)) = (steps.first(), calm_up_to(&steps)) else {
            continue;
        };
        out.push(Knee {
            target: t,
            calm_up_to: calm,
            light_pct: light.offered_pct.unwrap_or(0.0),
            light_p99_us: light.p99(),
        });
    }
    (!out.is_empty()).then_some(Finding::Knees(out))
}

/// How often a side was saturated.
pub fn saturation(study: &Study) -> Finding {
    let (client, both, all) = saturated(study);
    Finding::Saturation { client, both, all }
}

/// The cross-check's findings: one per count it measured, with every
/// pair's outcome there (said by [`cross::finding`]; each driver's verdict
/// and the cause at length are the cross-check table).
pub fn by_count(verdicts: &[CrossVerdict]) -> Vec<Finding> {
    let mut counts: Vec<usize> = verdicts.iter().map(|v| v.connections).collect();
    counts.dedup();
    counts
        .into_iter()
        .map(|n| {
            let at: Vec<&CrossVerdict> = verdicts.iter().filter(|v| v.connections == n).collect();
            let cells = |e: Evidence| at.iter().map(|v| cross::cells_with(v, e)).sum();
            Finding::CrossCheck {
                connections: n,
                drivers: at.first().map_or(0, |v| v.cells.len()),
                saturated: cells(Evidence::ClientSaturated),
                under_budget: cells(Evidence::UnderBudget),
                outcomes: at.iter().map(|v| (v.a, v.b, v.outcome.clone())).collect(),
            }
        })
        .collect()
}

/// One finding as a sentence of the report.
pub fn show(f: &Finding) -> String {
    match f {
        Finding::TestMode => {
            "TEST MODE: one short window per point at the smallest sizes; these sentences show \
                              the computation, not a measurement."
                .into()
        }
        Finding::Crossover {
            pair,
            from,
            checked,
        } => crossover_sentence(*pair, from.as_ref(), checked),
        Finding::CrossCheck {
            connections,
            drivers,
            saturated,
            under_budget,
            outcomes,
        } => cross::finding(
            *connections,
            *drivers,
            (*saturated, *under_budget),
            outcomes,
        ),
        Finding::NoDifference {
            pair,
            counts,
            first,
        } => format!(
            "At {} there was no difference beyond noise between {} and {} (at {}: {} \
             against {} msg/s).",
            at_counts(counts),
            pair.a.prose(),
            pair.b.prose(),
            first.connections,
            first.a.show(0),
            first.b.show(0)
        ),
        Finding::FirstAhead { pair, counts } => ahead_sentence(
            counts,
            (pair.a, pair.b),
            &pair
                .why_first_ahead
                .map_or(String::new(), |why| format!(": {why}")),
        ),
        Finding::SecondAheadApart { pair, counts } => ahead_sentence(
            counts,
            (pair.b, pair.a),
            " (the sweep's driver), without staying ahead at every larger count",
        ),
        Finding::Grouped {
            pair,
            groups,
            last,
            syscalls: (calls_a, calls_b),
        } => {
            let parts: Vec<String> = groups
                .iter()
                .map(|(s, counts)| format!("{} at {}", standing_words(*s), at_counts(counts)))
                .collect();
            format!(
                "{}: it {}. At {}: {} against {} msg/s ({}x), with {} against {} system calls per message.",
                pair.title,
                words_list(&parts),
                last.connections,
                last.a.show(0),
                last.b.show(0),
                ratio(&last.a, &last.b).show(2),
                spread(*calls_a, 3),
                spread(*calls_b, 3)
            )
        }
        Finding::Costs {
            pair,
            connections: n,
            a,
            b,
        } => format!(
            "At {n} connections the {} server ran {} threads in {} MiB and made {} context switches per \
             message; {} ran {} threads in {} MiB and made {}. CPU per message: {} µs against {} µs.",
            pair.a.prose(),
            median(a.threads, 0),
            median(a.rss_mib, 1),
            spread(a.switches_per_msg, 2),
            pair.b.role(),
            median(b.threads, 0),
            median(b.rss_mib, 1),
            spread(b.switches_per_msg, 2),
            spread(a.cpu_per_msg, 1),
            spread(b.cpu_per_msg, 1),
        ),
        Finding::Ramp {
            pair,
            connections: n,
            a,
            b,
            starved,
        } => format!(
            "At {n} connections the last connection had its first answer after {} from the {} server (its one \
             accept thread admits them with one thread's share of the core, among the busy connection threads) and \
             {} from {}; starved connections in the window: {} against {}.",
            ramp_words(a),
            pair.a.prose(),
            ramp_words(b),
            pair.b.role(),
            spread(starved.0, 0),
            spread(starved.1, 0),
        ),
        Finding::SameRate {
            offered_per_s,
            offered_pct,
            connections,
            cpu,
            cheapest,
        } => {
            let each: Vec<String> = cpu
                .iter()
                .map(|(t, s)| format!("{} µs {}", spread(*s, 1), t.name()))
                .collect();
            let mut s = format!(
                "At the same offered rate for all ({offered_per_s:.0} msg/s, {offered_pct:.0}% of the slowest server's \
                 capacity, {connections} connections), server CPU per message was {}.",
                words_list(&each)
            );
            match cheapest {
                Some(t) => s.push_str(&format!(
                    " The {} server used the least beyond noise; unlike messages/s, this figure does not depend on \
                     which side saturated (switches and p99: the same-rate table).",
                    t.name()
                )),
                None => s.push_str(" No server used less CPU per message than all the others beyond noise."),
            }
            s
        }
        Finding::Knees(k) => format!(
            "Under offered load the p99 stays within {KNEE}x its light-load value, beyond noise: {}.",
            k.iter().map(knee_words).collect::<Vec<_>>().join("; ")
        ),
        Finding::Saturation { client, both, all } => format!(
            "The load generator alone was saturated at {client} of {all} points and both sides at {both}; the \
             tables' \"limited by\" column names them. Where only the client was saturated the server figures are \
             lower bounds; where both were, on loopback each side's system calls also carry the kernel's work for \
             the other side, so one core each is the limit of this machine. Every server faced the same client."
        ),
        Finding::Service(f) => service::show(f),
    }
}

/// The crossover as a sentence: from which count the pair's first server
/// (a thread per connection) carried fewer messages than its second.
fn crossover_sentence(pair: Pair, from: Option<&CountVerdict>, checked: &Checked) -> String {
    let (a, b) = (pair.a.prose(), pair.b.prose());
    match from {
        Some(at) => format!(
            "Crossover: from {n} connections on, the {a} server carried fewer messages per second than \
             the {b} one beyond noise: at {n}, {} against {} msg/s (median, min-max){}.",
            at.a.show(0),
            at.b.show(0),
            checked_note(checked),
            n = at.connections,
        ),
        None => format!(
            "No crossover: at the largest count measured the {a} server was not below the {b} \
             one beyond noise with every client{}.",
            checked_note(checked)
        ),
    }
}

/// What the sweep's verdicts rest on: its one driver, and the counts the
/// cross-check confirmed or not.
fn checked_note(c: &Checked) -> String {
    let mut s =
        "; measured with the sweep's driver (the nonblocking client, split placement)".to_string();
    for (counts, before, after) in [
        (&c.held, ", and at ", " by every client engine in both placements"),
        (&c.depends, "; at ", " the verdict depends on the client (cross-check)"),
        (
            &c.unchecked,
            "; at ",
            " the cross-check had no evidence in some placement (client saturated or too few windows)",
        ),
    ] {
        if !counts.is_empty() {
            s.push_str(&format!("{before}{}{after}", counts_list(counts)));
        }
    }
    s
}

/// The counts at which `ahead` carried more messages per second than
/// `behind` beyond noise, then `tail`: one sentence for either server of a
/// pair ahead.
fn ahead_sentence(counts: &[usize], (ahead, behind): (Target, Target), tail: &str) -> String {
    format!(
        "At {} the {} server carried more messages per second than the {} one beyond \
         noise{tail}.",
        at_counts(counts),
        ahead.prose(),
        behind.prose(),
    )
}

/// "1, 10 and 100".
fn counts_list(counts: &[usize]) -> String {
    let words: Vec<String> = counts.iter().map(usize::to_string).collect();
    words_list(&words)
}

/// "1, 10 and 100 connections", or "1 connection".
fn at_counts(counts: &[usize]) -> String {
    let word = if counts == [1] {
        "connection"
    } else {
        "connections"
    };
    format!("{} {word}", counts_list(counts))
}

/// "a, b and c".
pub fn words_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// How a grouped finding names the counts that stand so.
fn standing_words(s: Standing) -> &'static str {
    match s {
        Standing::Stands(Verdict::Higher) => "carried more messages per second beyond noise",
        Standing::Stands(Verdict::Lower) => "carried fewer beyond noise",
        Standing::Stands(Verdict::NoDifference) => "showed no difference beyond noise",
        Standing::Depends => "depended on the client (cross-check)",
        Standing::Unchecked => {
            "had no verdict in the cross-check (a client saturated or too few windows)"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::analysis::Analysis;
    use super::super::cross::tests::{cells, drivers, FAST, SLOW};
    use super::super::cross::Cause;
    use super::super::fixture::{self, point, EVENT_LOOP, RING, THREADS, THREADS_MODEL};
    use super::super::verdicts::{checked_verdicts, sweep_verdicts};
    use super::*;
    use crate::crosscheck::Cell;

    #[test]
    fn the_fixtures_findings_in_reading_order() {
        let r = fixture::report();
        let kinds: Vec<&str> = r
            .analysis
            .findings
            .iter()
            .map(|f| match f {
                Finding::TestMode => "test",
                Finding::Crossover { .. } => "crossover",
                Finding::CrossCheck { .. } => "cross",
                Finding::NoDifference { .. } => "same",
                Finding::FirstAhead { .. } => "first",
                Finding::SecondAheadApart { .. } => "second",
                Finding::Grouped { .. } => "grouped",
                Finding::Costs { .. } => "costs",
                Finding::Ramp { .. } => "ramp",
                Finding::SameRate { .. } => "same rate",
                Finding::Knees(_) => "knees",
                Finding::Saturation { .. } => "saturation",
                Finding::Service(_) => "service",
            })
            .collect();
        // The service-work cases' findings close the list.
        let cases = kinds.iter().position(|k| *k == "service").unwrap();
        assert!(kinds[cases..].iter().all(|k| *k == "service"));
        assert_eq!(
            kinds[..cases],
            [
                "crossover",
                "cross",
                "same",
                "grouped",
                "costs",
                "ramp",
                "same rate",
                "knees",
                "saturation"
            ]
        );
        // The fixture: the thread per connection below from 100 on, the
        // cross-check at 100 holding it; the ring cheapest at the same rate.
        let Finding::Crossover { from, checked, .. } = &r.analysis.findings[0] else {
            unreachable!()
        };
        assert_eq!(from.as_ref().map(|v| v.connections), Some(100));
        assert_eq!(checked.held, [100]);
        let Finding::NoDifference { counts, .. } = &r.analysis.findings[2] else {
            unreachable!()
        };
        assert_eq!(counts, &[1, 10]);
        let cheapest = r.analysis.findings.iter().find_map(|f| match f {
            Finding::SameRate { cheapest, .. } => Some(*cheapest),
            _ => None,
        });
        assert_eq!(cheapest, Some(Some(RING)));
        let Finding::Costs { a, b, .. } = &r.analysis.findings[4] else {
            unreachable!()
        };
        assert_eq!(
            (
                a.cpu_per_msg.map(|s| s.median),
                b.cpu_per_msg.map(|s| s.median)
            ),
            (Some(5.0), Some(5.0))
        );
        assert!(!r
            .analysis
            .findings
            .iter()
            .any(|f| matches!(f, Finding::FirstAhead { .. })));
    }

    #[test]
    fn a_test_mode_run_opens_with_its_warning() {
        let mut study = fixture::report().study;
        study.plan.kind = BenchKind::Test;
        assert_eq!(
            Analysis::of(&study).findings.first(),
            Some(&Finding::TestMode)
        );
    }

    #[test]
    fn every_finding_of_the_fixture_is_one_sentence_without_a_wall_of_points() {
        let r = fixture::report();
        let all: Vec<String> = r.analysis.findings.iter().map(show).collect();
        assert!(all[0].starts_with("Crossover: from 100"), "{}", all[0]);
        assert!(all.iter().any(|f| f.contains("same offered rate")));
        for f in &all {
            assert!(f.matches(", ").count() < 12, "a wall: {f}");
            assert!(f.ends_with('.'), "{f}");
        }
    }

    #[test]
    fn counts_are_listed_as_english_writes_them() {
        assert_eq!(counts_list(&[1]), "1");
        assert_eq!(counts_list(&[1, 10, 100]), "1, 10 and 100");
        assert_eq!(at_counts(&[1]), "1 connection");
        assert_eq!(at_counts(&[1, 10]), "1 and 10 connections");
        assert_eq!(words_list(&[]), "");
    }

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
        assert_eq!(crossover_verdict(&v).map(|c| c.connections), Some(10000));
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
        let unchecked = |study: &Study| checked_verdicts(study, &[], Pair::COMPLETION_VS_READINESS);
        let f = grouped_by_verdict(&study, &unchecked(&study), Pair::COMPLETION_VS_READINESS)
            .expect("both measured");
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
                measured: None,
            }),
            cells: vec![],
        };
        let ring = Pair::COMPLETION_VS_READINESS;
        let f = grouped_by_verdict(&study, &checked_verdicts(&study, &[depends], ring), ring)
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
            grouped_by_verdict(&study, &unchecked(&study), Pair::COMPLETION_VS_READINESS),
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
        assert_eq!(crossover_verdict(&v).map(|c| c.connections), None);
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
        assert_eq!(
            crossover_verdict(&v).map(|c| c.connections),
            Some(100),
            "holds with every client"
        );
        // The blocking engine, unpinned, now ranks the blocking server first.
        for c in &mut study.cross_check {
            let unpinned_threads = c.driver.engine == THREADS_MODEL
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
        assert_eq!(
            crossover_verdict(&v).map(|c| c.connections),
            Some(1000),
            "100 no longer counts"
        );
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
        let findings = Analysis::of(&study).findings;
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

    /// An offered-load step at `pct`% whose windows had these p99s (µs).
    fn step(pct: f64, p99_us: &[f64]) -> Point {
        let mut p = point(EVENT_LOOP, 1000, &vec![1000.0; p99_us.len()]);
        p.step = Step::Offered;
        p.offered_pct = Some(pct);
        for (w, &us) in p.windows.iter_mut().zip(p99_us) {
            w.load.p99_us = us;
        }
        p
    }

    #[test]
    fn the_knee_is_the_last_step_whose_p99_stayed_within_ten_times_the_light_one() {
        let light = step(10.0, &[100.0, 110.0, 120.0, 130.0, 140.0]);
        let calm = step(50.0, &[500.0, 900.0, 1100.0, 1300.0, 2000.0]);
        let high = step(90.0, &[5e3, 6e3, 7e3, 8e3, 9e3]);
        assert_eq!(calm_up_to(&[&light, &calm]), Some(50.0));
        assert_eq!(calm_up_to(&[&light, &calm, &high]), Some(50.0));
        // Above 10x beyond noise at 50%: the knee is the light step itself.
        let over = step(50.0, &[3e3, 3.1e3, 3.2e3, 3.3e3, 3.4e3]);
        assert_eq!(calm_up_to(&[&light, &over, &high]), Some(10.0));
        // One stalled window in a loaded step makes no knee: the other four
        // stayed within 10x.
        let one_stall = step(50.0, &[500.0, 600.0, 700.0, 800.0, 9e3]);
        assert_eq!(calm_up_to(&[&light, &one_stall]), Some(50.0));
        // A stalled light window weakens the evidence the other way: with
        // one of its five windows above, 50% is no longer above 10x beyond
        // noise, so no knee is claimed there.
        let stalled = step(10.0, &[100.0, 110.0, 120.0, 130.0, 9e3]);
        assert_eq!(calm_up_to(&[&stalled, &over]), Some(50.0));
        assert_eq!(calm_up_to(&[]), None);
    }

    /// A same-rate point of `target` whose windows spent `cpu` µs a message.
    fn at_same_rate(target: Target, cpu: &[f64]) -> Point {
        let mut p = point(target, 1000, &vec![5e3; cpu.len()]);
        p.step = Step::SameRate;
        for (w, &c) in p.windows.iter_mut().zip(cpu) {
            let cost = w.cost.as_mut().expect("a cost");
            cost.user_us_per_msg = c;
            cost.system_us_per_msg = 0.0;
        }
        p
    }

    #[test]
    fn the_cheapest_server_is_below_every_other_beyond_noise_or_there_is_none() {
        let threads = at_same_rate(THREADS, &[9.0, 9.5, 10.0, 10.5, 11.0]);
        let event_loop = at_same_rate(EVENT_LOOP, &[5.0, 5.2, 5.4, 5.6, 5.8]);
        let ring = at_same_rate(RING, &[3.0, 3.1, 3.2, 3.3, 3.4]);
        let found = cheapest(&[&threads, &event_loop, &ring]).expect("one is");
        assert_eq!(found.target, RING);
        assert_eq!(
            cheapest(&[&threads, &event_loop]).map(|p| p.target),
            Some(EVENT_LOOP)
        );
        // Within 20% of the event loop: below the thread, not below all.
        let close = at_same_rate(RING, &[4.8, 5.0, 5.2, 5.4, 5.6]);
        assert!(cheapest(&[&threads, &event_loop, &close]).is_none());
        let mut study = fixture::report().study;
        study.same_rate = vec![threads, event_loop.clone(), close];
        let Some(Finding::SameRate { cpu, cheapest, .. }) = same_rate(&study) else {
            panic!("measured")
        };
        assert_eq!(cheapest, None);
        let medians: Vec<(Target, f64)> =
            cpu.iter().map(|(t, s)| (*t, s.unwrap().median)).collect();
        assert_eq!(medians, [(THREADS, 10.0), (EVENT_LOOP, 5.4), (RING, 5.2)]);
        study.same_rate[2] = ring;
        // Points of another step are not the same rate's.
        let mut offered = event_loop;
        offered.step = Step::Offered;
        study.same_rate.push(offered);
        let Some(Finding::SameRate {
            cpu,
            cheapest,
            offered_per_s,
            connections,
            ..
        }) = same_rate(&study)
        else {
            panic!("measured")
        };
        assert_eq!((cheapest, cpu.len()), (Some(RING), 3));
        assert_eq!(
            (offered_per_s, connections),
            (0.0, 1000),
            "none offered in the hand-made points"
        );
        study.same_rate.clear();
        assert_eq!(same_rate(&study), None);
    }

    #[test]
    fn the_knees_are_each_servers_from_its_own_steps_lightest_first() {
        let mut study = fixture::report().study;
        let mut ring = step(90.0, &[5e3, 6e3, 7e3, 8e3, 9e3]);
        ring.target = RING;
        let mut ring_light = step(10.0, &[100.0, 110.0, 120.0, 130.0, 140.0]);
        ring_light.target = RING;
        // Out of order, and one step without an offered share: ignored.
        let mut unoffered = step(50.0, &[1e9; 5]);
        unoffered.offered_pct = None;
        study.load_steps = vec![
            step(90.0, &[900.0; 5]),
            ring,
            step(10.0, &[100.0, 110.0, 120.0, 130.0, 140.0]),
            ring_light,
            unoffered,
        ];
        let Some(Finding::Knees(knees)) = knees(&study) else {
            panic!("two servers with steps")
        };
        let got: Vec<(Target, f64, f64)> = knees
            .iter()
            .map(|k| (k.target, k.calm_up_to, k.light_pct))
            .collect();
        assert_eq!(got, [(EVENT_LOOP, 90.0, 10.0), (RING, 10.0, 10.0)]);
        assert_eq!(knees[0].light_p99_us.map(|s| s.median), Some(120.0));
        study.load_steps.clear();
        assert_eq!(super::knees(&study), None);
    }

    #[test]
    fn the_largest_count_gives_each_servers_costs_and_ramp() {
        let mut study = fixture::report().study;
        let mut threads = point(THREADS, 5000, &[1e3; 5]);
        for (i, w) in threads.windows.iter_mut().enumerate() {
            w.cost.as_mut().expect("a cost").threads = 5000 + i as u64;
            w.load.ramp.never_answered = usize::from(i < 2);
        }
        let event_loop = point(EVENT_LOOP, 5000, &[2e3; 5]);
        study.sweep.extend([threads, event_loop]);
        let found = largest(&study);
        let [Finding::Costs {
            connections, a, b, ..
        }, Finding::Ramp {
            a: ramp_a,
            b: ramp_b,
            ..
        }] = &found[..]
        else {
            panic!("costs and ramp: {found:?}")
        };
        assert_eq!(*connections, 5000);
        assert_eq!(a.threads.map(|s| s.median), Some(5002.0));
        assert_eq!(b.threads.map(|s| s.median), Some(3.0));
        assert_eq!(a.cpu_per_msg.map(|s| s.median), Some(5.0));
        let cap = study.plan.warmup_cap_s;
        assert_eq!(
            *ramp_a,
            RampUp::OverCap {
                cap_s: cap,
                unanswered: 2,
                windows: 5
            }
        );
        assert!(matches!(ramp_b, RampUp::Within(s) if s.median == 0.003));
        // Without the event loop at the largest count: nothing to compare.
        study.sweep.pop();
        assert!(largest(&study).is_empty());
    }

    #[test]
    fn saturation_counts_the_points_each_side_limited() {
        let mut study = fixture::report().study;
        let all = study.sweep.len() + study.load_steps.len() + study.same_rate.len();
        assert_eq!(
            saturated(&study),
            (0, 0, all),
            "the fixture's client is at 60%"
        );
        let busy = |p: &mut Point, client: f64, server: f64| {
            for w in &mut p.windows {
                w.load.client_cpu_utilization = Some(client);
                w.cost.as_mut().expect("a cost").cores_busy = server;
            }
        };
        busy(&mut study.sweep[0], 0.95, 0.5);
        busy(&mut study.sweep[1], 0.95, 0.99);
        busy(&mut study.load_steps[0], 0.97, 0.3);
        busy(&mut study.same_rate[0], 0.2, 0.99);
        assert_eq!(saturated(&study), (2, 1, all));
        assert_eq!(
            saturation(&study),
            Finding::Saturation {
                client: 2,
                both: 1,
                all
            }
        );
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
        let found = by_count(&cross::verdicts(&all));
        assert_eq!(
            found,
            [
                Finding::CrossCheck {
                    connections: 100,
                    drivers: 4,
                    saturated: 1,
                    under_budget: 0,
                    outcomes: vec![(THREADS, EVENT_LOOP, Outcome::Holds(Verdict::Lower))],
                },
                Finding::CrossCheck {
                    connections: 1000,
                    drivers: 1,
                    saturated: 1,
                    under_budget: 0,
                    outcomes: vec![(THREADS, EVENT_LOOP, Outcome::NoEvidence)],
                },
            ]
        );
        let text = show(&found[1]);
        assert!(
        text.ends_with("No verdict (in some placement the client was saturated or the windows too few): blocking vs nonblocking."),
        "{text}"
    );
        assert!(by_count(&[]).is_empty());
    }
}
