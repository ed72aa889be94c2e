//! Findings: sentences computed from this run's figures, never hand-written,
//! and claiming only what the windows support: a difference between two
//! servers is stated only where it is beyond chance and beyond this
//! machine's run-to-run drift ([`stats::compare`](crate::stats::compare));
//! otherwise the sentence says "no difference beyond noise" and gives both
//! ranges. Where each point was
//! limited (client, server, both) is a table column, not a sentence.

use super::verdicts::{
    checked_verdicts, crossover, first_ahead, grouped_by_verdict, no_difference, second_ahead_apart,
};
use super::{costs, Study};
use crate::target::{Pair, RunMode};

/// The findings, in reading order.
pub fn compute(study: &Study) -> Vec<String> {
    let mut out = Vec::new();
    if study.plan.run_mode == RunMode::Test {
        out.push(
            "TEST MODE: one short window per point at the smallest sizes; these sentences show the computation, \
             not a measurement."
                .to_string(),
        );
    }
    let cross = super::cross::verdicts(&study.cross_check);
    let pair = Pair::THREADS_VS_LOOP;
    let verdicts = checked_verdicts(study, &cross, pair);
    out.push(crossover(pair, &verdicts));
    out.extend(super::cross_show::findings(&cross));
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
    use super::super::fixture;

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
}
