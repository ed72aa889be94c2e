//! The analysis of one run, computed once from its measurements and kept
//! in report.json: everything the report says that the measurements alone
//! do not, so that the Markdown, the HTML, the charts and the published
//! pages only render it, and a script reading the JSON reads what the
//! report prints.
//!
//! [`Analysis::of`] is the one place the report judges: the targets, the
//! cross-check's verdicts, every pair's verdicts by count, the service-work
//! figures beside their ceilings, and the findings in reading order (each
//! with its sentence in the JSON, beside its typed form; each target with
//! its table row).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::cross::{self, CrossVerdict};
use super::findings::{self, Finding};
use super::service::{self, ServiceCase};
use super::study::Study;
use super::targets::{self, TargetCheck, TargetRow};
use super::verdicts::{self, CountVerdict, PairVerdicts};
use crate::sweep::Point;
use crate::target::{sweep_pairs, BenchKind, Pair, Target};

/// What the report says of one run, beyond its measurements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// The project's performance targets, judged on the run (no verdict in
    /// test mode).
    #[serde(with = "target_rows")]
    pub targets: Vec<TargetCheck>,
    /// The cross-check's verdicts: every pair of servers at every count it
    /// measured, with what each driver said.
    pub cross_verdicts: Vec<CrossVerdict>,
    /// Every pair a finding, table or page compares, by count of the sweep,
    /// with the cross-check's word where it measured.
    pub verdicts: Vec<PairVerdicts>,
    /// The service-work cases: every setup beside its two ceilings.
    pub service: Vec<ServiceCase>,
    /// What the run shows, in reading order.
    #[serde(with = "sentences")]
    pub findings: Vec<Finding>,
}

impl Analysis {
    /// Judges `study`. Everything the report says beyond the measurements
    /// is computed here, once.
    pub fn of(study: &Study) -> Analysis {
        let mut targets = targets::check(study);
        if study.plan.kind == BenchKind::Test {
            // Single unmeasured windows support no verdict.
            targets.iter_mut().for_each(|t| t.met = None);
        }
        let cross_verdicts = cross::verdicts(&study.cross_check);
        let verdicts: Vec<PairVerdicts> = compared(study)
            .into_iter()
            .map(|p| PairVerdicts {
                a: p.a,
                b: p.b,
                counts: verdicts::checked_verdicts(study, &cross_verdicts, p),
            })
            .collect();
        let service = service::cases(study);
        let findings = findings::compute(study, &cross_verdicts, &verdicts, &service);
        Analysis {
            targets,
            cross_verdicts,
            verdicts,
            service,
            findings,
        }
    }

    /// The verdicts of `pair` by count (none where it was not compared).
    pub fn verdicts(&self, pair: Pair) -> &[CountVerdict] {
        verdicts::of(&self.verdicts, pair)
    }
}

/// Every pair whose verdicts by count the report shows, each way round
/// once: the findings' (a thread per connection against the event loop,
/// completion against readiness), the sweep table's, and the README's
/// neighbouring models.
pub fn compared(study: &Study) -> Vec<Pair> {
    let mut pairs = vec![Pair::THREADS_VS_LOOP, Pair::COMPLETION_VS_READINESS];
    pairs.extend(sweep_pairs().map(|(ratio, _)| ratio));
    pairs.extend(neighbours(study));
    let mut out: Vec<Pair> = Vec::new();
    for p in pairs {
        if !out.iter().any(|q| (q.a, q.b) == (p.a, p.b)) {
            out.push(p);
        }
    }
    out
}

/// The README's pairs: each model of the sweep against the next.
pub fn neighbours(study: &Study) -> Vec<Pair> {
    let models = measured(Target::every_model(), &study.sweep);
    models.windows(2).map(|w| Pair::ratio(w[0], w[1])).collect()
}

/// The servers of `all` that `sweep` measured.
pub fn measured(all: Vec<Target>, sweep: &[Point]) -> Vec<Target> {
    all.into_iter()
        .filter(|&t| sweep.iter().any(|p| p.target == t))
        .collect()
}

/// The findings in report.json: each its sentence, as the report prints
/// it, and its typed form; read back from the typed form.
mod sentences {
    use super::*;

    #[derive(Serialize)]
    struct Said<'a> {
        sentence: String,
        finding: &'a Finding,
    }

    #[derive(Deserialize)]
    struct Read {
        finding: Finding,
    }

    pub fn serialize<S: Serializer>(all: &[Finding], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(all.iter().map(|f| Said {
            sentence: findings::show(f),
            finding: f,
        }))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Finding>, D::Error> {
        let read: Vec<Read> = Vec::deserialize(d)?;
        Ok(read.into_iter().map(|r| r.finding).collect())
    }
}

/// The targets in report.json: each its table row, as the report prints
/// it, and its typed check; read back from the check.
mod target_rows {
    use super::*;

    #[derive(Serialize)]
    struct Said<'a> {
        row: TargetRow,
        check: &'a TargetCheck,
    }

    #[derive(Deserialize)]
    struct Read {
        check: TargetCheck,
    }

    pub fn serialize<S: Serializer>(all: &[TargetCheck], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(all.iter().map(|c| Said {
            row: TargetRow::from(c.clone()),
            check: c,
        }))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<TargetCheck>, D::Error> {
        let read: Vec<Read> = Vec::deserialize(d)?;
        Ok(read.into_iter().map(|r| r.check).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::*;
    use crate::stats::judged;

    #[test]
    fn every_pair_a_table_or_page_shows_is_compared_once() {
        let study = fixture::report().study;
        let heads: Vec<(Target, Target)> = compared(&study).iter().map(|p| (p.a, p.b)).collect();
        let mut unique = heads.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), heads.len(), "{heads:?}");
        for (p, _) in sweep_pairs() {
            assert!(heads.contains(&(p.a, p.b)), "{p:?}");
        }
        for p in neighbours(&study) {
            assert!(heads.contains(&(p.a, p.b)), "{p:?}");
        }
        let a = Analysis::of(&study);
        assert_eq!(a.verdicts.len(), heads.len());
        assert!(a
            .verdicts(Pair::ratio(Target::Raw, Target::TOKIO))
            .is_empty());
    }

    #[test]
    fn the_analysis_is_where_the_statistics_run() {
        let study = fixture::report().study;
        let before = judged::calls();
        let a = Analysis::of(&study);
        assert!(judged::calls() > before, "the analysis judges");
        assert!(!a.findings.is_empty() && !a.targets.is_empty());
    }

    #[test]
    fn the_analysis_reads_back_from_its_json_as_it_was() {
        let a = fixture::report().analysis;
        let json = serde_json::to_value(&a).unwrap();
        // Each finding with its sentence, each target with its row.
        assert_eq!(
            json["findings"][0]["sentence"],
            findings::show(&a.findings[0]).as_str()
        );
        assert!(json["targets"][0]["row"]["target"].is_string());
        let back: Analysis = serde_json::from_value(json).unwrap();
        assert_eq!(back, a);
    }
}
