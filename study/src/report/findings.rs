//! Findings: what this run's figures show, computed, never hand-written,
//! and claiming only what the windows support: a difference between two
//! servers is stated only where it is beyond chance and beyond this
//! machine's run-to-run drift ([`stats::compare`](crate::stats::compare));
//! otherwise the finding is "no difference beyond noise" with both
//! ranges. Where each point was limited (client, server, both) is a table
//! column, not a finding.
//!
//! The findings are typed ([`Finding`]: the servers as [`Target`]s, the
//! verdicts as the noise rule's, the figures as numbers and spreads) and
//! made into sentences only at the edge (`findings_show.rs`), so that tests
//! read verdicts, not sentences. The service-work section has its own
//! (`service.rs`).

use super::costs::{self, Costs, Knee, RampUp};
use super::cross::Outcome;
use super::verdicts::{
    checked_verdicts, crossover, first_ahead, grouped_by_verdict, no_difference,
    second_ahead_apart, Checked, CountVerdict, Standing,
};
use super::Study;
use crate::stats::Spread;
use crate::target::{Pair, RunMode, Target};

/// One finding of the run.
#[derive(Debug, Clone, PartialEq)]
pub enum Finding {
    /// A test-mode run: single unmeasured windows, no finding stands.
    TestMode,
    /// The first count from which `pair.a` stayed below `pair.b` beyond
    /// noise at every larger count, with both servers' messages/s there
    /// (`None`: no crossover), and what the cross-check said of the counts
    /// it measured.
    Crossover {
        pair: Pair,
        from: Option<CountVerdict>,
        checked: Checked,
    },
    /// The cross-check at one count: every pair of servers with its
    /// outcome over `drivers` client engine/placement pairs, of whose
    /// cells `saturated` had a saturated client.
    CrossCheck {
        connections: usize,
        drivers: usize,
        saturated: usize,
        outcomes: Vec<(Target, Target, Outcome)>,
    },
    /// The counts where the pair showed no difference beyond noise, with
    /// the first of them's figures.
    NoDifference {
        pair: Pair,
        counts: Vec<usize>,
        first: CountVerdict,
    },
    /// The counts where `pair.a` carried more beyond noise.
    FirstAhead { pair: Pair, counts: Vec<usize> },
    /// Counts where `pair.b` carried more beyond noise but that are not
    /// part of the crossover's run to the largest count.
    SecondAheadApart { pair: Pair, counts: Vec<usize> },
    /// One pair's counts grouped by where they stand, in the order of
    /// [`Standing::ORDER`] (empty groups left out), with the largest
    /// count's figures and each server's system calls per message there.
    Grouped {
        pair: Pair,
        groups: Vec<(Standing, Vec<usize>)>,
        last: CountVerdict,
        syscalls: (Option<Spread>, Option<Spread>),
    },
    /// What each server of the pair spent at the largest count.
    Costs {
        pair: Pair,
        connections: usize,
        a: Costs,
        b: Costs,
    },
    /// How long the last connection waited for its first answer at the
    /// largest count, and the connections starved in the window.
    Ramp {
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
}

/// The findings, in reading order.
pub fn compute(study: &Study) -> Vec<Finding> {
    let mut out = Vec::new();
    if study.plan.run_mode == RunMode::Test {
        out.push(Finding::TestMode);
    }
    let cross = super::cross::verdicts(&study.cross_check);
    let pair = Pair::THREADS_VS_LOOP;
    let verdicts = checked_verdicts(study, &cross, pair);
    out.push(crossover(pair, &verdicts));
    out.extend(super::cross::by_count(&cross));
    out.extend(no_difference(pair, &verdicts));
    out.extend(first_ahead(pair, &verdicts));
    out.extend(second_ahead_apart(pair, &verdicts));
    out.extend(grouped_by_verdict(
        study,
        &cross,
        Pair::COMPLETION_VS_READINESS,
    ));
    out.extend(costs::largest(study));
    out.extend(costs::same_rate(study));
    out.extend(costs::knees(study));
    out.push(costs::saturation(study));
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{self, RING};
    use super::*;

    #[test]
    fn the_fixtures_findings_in_reading_order() {
        let r = fixture::report();
        let kinds: Vec<&str> = r
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
            })
            .collect();
        assert_eq!(
            kinds,
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
        let Finding::Crossover { from, checked, .. } = &r.findings[0] else {
            unreachable!()
        };
        assert_eq!(from.as_ref().map(|v| v.connections), Some(100));
        assert_eq!(checked.held, [100]);
        let Finding::NoDifference { counts, .. } = &r.findings[2] else {
            unreachable!()
        };
        assert_eq!(counts, &[1, 10]);
        let cheapest = r.findings.iter().find_map(|f| match f {
            Finding::SameRate { cheapest, .. } => Some(*cheapest),
            _ => None,
        });
        assert_eq!(cheapest, Some(Some(RING)));
        let Finding::Costs { a, b, .. } = &r.findings[4] else {
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
            .findings
            .iter()
            .any(|f| matches!(f, Finding::FirstAhead { .. })));
    }

    #[test]
    fn a_test_mode_run_opens_with_its_warning() {
        let mut study = fixture::report().study;
        study.plan.run_mode = RunMode::Test;
        assert_eq!(compute(&study).first(), Some(&Finding::TestMode));
    }
}
