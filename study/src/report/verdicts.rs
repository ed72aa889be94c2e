//! Verdicts by connection count: one server against another in
//! messages/s at each count of the sweep, by the noise rule, and what the
//! cross-check says of each (`cross.rs`). The analysis computes them once
//! for every pair a finding, table or page shows ([`PairVerdicts`]); the
//! crossover and the findings that group counts by verdict read them
//! (`findings.rs`).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::cross::{find_verdict, CrossVerdict, Outcome};
use super::study::Study;
use crate::stats::{compare, Spread, Verdict};
use crate::sweep::{find, Point};
use crate::target::{Pair, Target};

/// One pair's verdicts at every count of the sweep, as the analysis keeps
/// them: `a` against `b`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairVerdicts {
    pub a: Target,
    pub b: Target,
    pub counts: Vec<CountVerdict>,
}

/// The verdicts of `pair` (in that order) among `all`; none where the
/// analysis did not compare it.
pub fn of(all: &[PairVerdicts], pair: Pair) -> &[CountVerdict] {
    all.iter()
        .find(|v| (v.a, v.b) == (pair.a, pair.b))
        .map_or(&[], |v| &v.counts)
}

/// One count's comparison of messages/s between two servers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountVerdict {
    pub connections: usize,
    /// The sweep's verdict (its own driver), or the cross-check's where
    /// that holds with every client.
    pub verdict: Verdict,
    pub a: Spread,
    pub b: Spread,
    /// The cross-check's outcome at this count, where it measured one.
    pub checked: Option<Outcome>,
}

impl CountVerdict {
    /// The verdict stands as a plain "ahead" or "no difference": the
    /// cross-check either did not measure this count or found it holds
    /// with every client.
    pub fn stands(&self) -> bool {
        matches!(self.checked, None | Some(Outcome::Holds(_)))
    }

    /// The cross-check measured this count but had no evidence in some
    /// placement (its client saturated, or too few windows).
    pub fn unchecked(&self) -> bool {
        matches!(self.checked, Some(Outcome::NoEvidence))
    }

    /// True when the verdict is `v` and stands.
    pub fn is(&self, v: Verdict) -> bool {
        self.verdict == v && self.stands()
    }
}

/// [`sweep_verdicts`], with the cross-check's outcome at each count it
/// measured: where it holds with every client it is the verdict, and
/// elsewhere the verdict no longer stands.
pub fn checked_verdicts(study: &Study, cross: &[CrossVerdict], pair: Pair) -> Vec<CountVerdict> {
    let mut out = sweep_verdicts(&study.sweep, pair);
    for v in &mut out {
        v.checked = find_verdict(cross, pair.a, pair.b, v.connections);
        if let Some(Outcome::Holds(x)) = v.checked {
            v.verdict = x;
        }
    }
    out
}

/// `pair.a` against `pair.b` in messages/s at every count where both were measured.
pub fn sweep_verdicts(sweep: &[Point], pair: Pair) -> Vec<CountVerdict> {
    let Pair { a, b, .. } = pair;
    let counts: BTreeSet<usize> = sweep.iter().map(|p| p.connections).collect();
    counts
        .into_iter()
        .filter_map(|n| {
            let (pa, pb) = (find(sweep, a, n)?, find(sweep, b, n)?);
            Some(CountVerdict {
                connections: n,
                verdict: compare(&pa.msgs_windows(), &pb.msgs_windows()),
                a: pa.msgs()?,
                b: pb.msgs()?,
                checked: None,
            })
        })
        .collect()
}

/// The verdict at the first count from which the pair's first server
/// stays below its second beyond noise, at every larger count too; `None`
/// when there is none. A count where the cross-check found the verdict
/// depends on the client breaks the run.
pub fn crossover_verdict(verdicts: &[CountVerdict]) -> Option<&CountVerdict> {
    verdicts
        .iter()
        .rev()
        .take_while(|v| v.is(Verdict::Lower))
        .last()
}

/// What the cross-check said of the counts it measured: where the
/// sweep's verdict held with every client, where it depends on the client,
/// and where the cross-check had no evidence.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checked {
    pub held: Vec<usize>,
    pub depends: Vec<usize>,
    pub unchecked: Vec<usize>,
}

impl Checked {
    /// The counts of `verdicts` the cross-check measured, by its outcome.
    pub fn of(verdicts: &[CountVerdict]) -> Checked {
        let with = |f: fn(&CountVerdict) -> bool| -> Vec<usize> {
            verdicts
                .iter()
                .filter(|v| v.checked.is_some() && f(v))
                .map(|v| v.connections)
                .collect()
        };
        Checked {
            held: with(CountVerdict::stands),
            depends: with(|v| Standing::Depends.of(v)),
            unchecked: with(CountVerdict::unchecked),
        }
    }
}

/// Where a count's verdict stands: a verdict that holds (or that the
/// cross-check did not measure), one that depends on the client, or none
/// from the cross-check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    Stands(Verdict),
    Depends,
    Unchecked,
}

impl Standing {
    /// The order a grouped finding names them in.
    pub const ORDER: [Standing; 5] = [
        Standing::Stands(Verdict::Higher),
        Standing::Stands(Verdict::Lower),
        Standing::Stands(Verdict::NoDifference),
        Standing::Depends,
        Standing::Unchecked,
    ];

    /// Whether the count `c` stands so.
    pub fn of(self, c: &CountVerdict) -> bool {
        match self {
            Standing::Stands(v) => c.is(v),
            // The cross-check found that the verdict depends on the client.
            Standing::Depends => matches!(c.checked, Some(Outcome::DependsOnClient(_))),
            Standing::Unchecked => c.unchecked(),
        }
    }
}
