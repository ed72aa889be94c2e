//! The cross-check as the reader sees it: its table, its findings' words
//! ([`Finding::CrossCheck`](super::findings::Finding::CrossCheck)) and the
//! words for its verdicts. The rule itself is `cross.rs`; this file only
//! turns its typed verdicts into text.

use super::cross::{Cause, CellVerdict, CrossVerdict, Evidence, Outcome};
use super::tables::Table;
use super::Report;
use crate::stats::{ratio, Verdict};
use crate::target::Target;

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

/// The likely cause of a "depends on the client", in words: a reversal is
/// the pair effect; "a difference" against "none" may also be a client
/// that narrows the gap, or too little power to see it.
pub fn cause_words(c: &Cause) -> String {
    let list = |v: Vec<&str>| v.join(" and ");
    let mut parts = Vec::new();
    if !c.engines_disagree_in.is_empty() {
        let where_ = list(c.engines_disagree_in.iter().map(|p| p.name()).collect())
            .replace("split", "split (client and server on cores of their own)")
            .replace("unpinned", "unpinned (shared cores)");
        parts.push(if c.reversed {
            format!(
                "the client engines rank the servers oppositely in the {where_} placement: the client's model \
                 shapes the result (like pairs with like: a thread per connection on both sides wakes its partner \
                 thread directly, an event loop on both sides batches)"
            )
        } else {
            format!(
                "in the {where_} placement one client engine finds a difference beyond noise and another finds \
                 none: the client's model narrows or hides the gap there"
            )
        });
    }
    if !c.placement_changes_for.is_empty() {
        parts.push(format!(
            "with the {} engine the verdict changes with the placement (on shared cores the client and the server \
             compete for the CPU)",
            list(c.placement_changes_for.iter().map(|m| m.name()).collect())
        ));
    }
    parts.join("; ")
}

/// One cell's evidence, in words.
fn evidence_words(a: Target, b: Target, e: Evidence) -> String {
    match e {
        Evidence::Verdict(Verdict::Higher) => format!("{} ahead", a.name()),
        Evidence::Verdict(Verdict::Lower) => format!("{} ahead", b.name()),
        Evidence::Verdict(Verdict::NoDifference) => "no difference beyond noise".into(),
        Evidence::ClientSaturated => "**client saturated**: no evidence".into(),
        Evidence::TooFewWindows => "too few windows: no evidence".into(),
    }
}

/// The likely cause in a few words, for the findings.
fn cause_short(c: &Cause) -> String {
    let mut parts = Vec::new();
    if !c.engines_disagree_in.is_empty() {
        let p: Vec<&str> = c.engines_disagree_in.iter().map(|p| p.name()).collect();
        let how = if c.reversed {
            "rank them oppositely"
        } else {
            "disagree"
        };
        parts.push(format!("the engines {how} in {}", p.join(" and ")));
    }
    if !c.placement_changes_for.is_empty() {
        let e: Vec<&str> = c.placement_changes_for.iter().map(|m| m.name()).collect();
        parts.push(format!("placement changes it for {}", e.join(" and ")));
    }
    parts.join("; ")
}

/// The cross-check's finding at one count ([`Finding::CrossCheck`]'s
/// fields): which verdicts hold with every client and which depend on it.
pub fn finding(
    n: usize,
    drivers: usize,
    saturated: usize,
    outcomes: &[(Target, Target, Outcome)],
) -> String {
    let mut parts = Vec::new();
    let mut group = |title: &str, items: Vec<String>| {
        if !items.is_empty() {
            parts.push(format!("{title}: {}", items.join("; ")));
        }
    };
    let vs = |a: Target, b: Target| format!("{} vs {}", a.name(), b.name());
    group(
        "Holds with every client",
        outcomes
            .iter()
            .filter_map(|(a, b, o)| match o {
                Outcome::Holds(x) => Some(holds_words(*a, *b, *x)),
                _ => None,
            })
            .collect(),
    );
    group(
        "Depends on the client",
        outcomes
            .iter()
            .filter_map(|(a, b, o)| match o {
                Outcome::DependsOnClient(c) => Some(format!("{} ({})", vs(*a, *b), cause_short(c))),
                _ => None,
            })
            .collect(),
    );
    group(
        "No verdict (in some placement the client was saturated or the windows too few)",
        outcomes
            .iter()
            .filter(|(_, _, o)| *o == Outcome::NoEvidence)
            .map(|(a, b, _)| vs(*a, *b))
            .collect(),
    );
    format!(
        "Cross-check at {n} connections, every pair of servers driven by {drivers} client \
         engine/placement pairs ({saturated} cells with a saturated client, counted as no evidence). {}.",
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

fn cell_row(v: &CrossVerdict, c: &CellVerdict, first: bool) -> Vec<String> {
    let show = |s: Option<crate::stats::Spread>| s.map_or("-".into(), |s| s.show(0));
    let r = match (&c.a, &c.b) {
        (Some(a), Some(b)) => ratio(a, b).show(2),
        _ => "-".into(),
    };
    vec![
        if first {
            v.connections.to_string()
        } else {
            String::new()
        },
        if first {
            format!("{} vs {}", v.a.name(), v.b.name())
        } else {
            String::new()
        },
        c.driver.engine.name().into(),
        c.driver.placement.name().into(),
        show(c.a),
        show(c.b),
        r,
        c.client_busy
            .map_or("-".into(), |b| format!("{:.0}%", b * 100.0)),
        evidence_words(v.a, v.b, c.evidence),
        if first {
            let mut s = outcome_words(v.a, v.b, &v.outcome);
            if let Outcome::DependsOnClient(cause) = &v.outcome {
                s.push_str(&format!(": {}", cause_words(cause)));
            }
            s
        } else {
            String::new()
        },
    ]
}

/// The cross-check table: one row per pair, count and driver.
pub fn table(r: &Report) -> Option<Table> {
    if r.cross_verdicts.is_empty() {
        return None;
    }
    let rows = r
        .cross_verdicts
        .iter()
        .flat_map(|v| {
            v.cells
                .iter()
                .enumerate()
                .map(move |(i, c)| cell_row(v, c, i == 0))
        })
        .collect();
    let plan = &r.study.plan;
    Some(Table {
        heading: "Cross-check: every client engine, both placements",
        note: format!(
            "On one machine the load generator shares the cores with the server, so every figure is of the pair. \
             Here every server is driven by every client engine (`sockmodes load --mode ENGINE`) in both \
             placements: `split` (client and server on cores of their own, the sweep's) and `unpinned` (every core \
             for both, the scheduler's choice, what a user gets). Each cell: median (min-max) messages/s over {} \
             windows (the sweep's own cells: {} s each; the others: {} s), servers interleaved, closed-loop 64 B echo. \
             A comparison is a verdict about the servers only where every driver whose client was not saturated \
             (busy at most {:.0}%) gives the same verdict by the noise rule, in both placements; otherwise it \
             \"depends on the client\", with the likely cause. A cell with a saturated client, or under {} windows, \
             is no evidence, not a tie.",
            plan.repeats,
            plan.measure_s,
            plan.cross_measure_s,
            crate::point::SATURATED * 100.0,
            super::cross::MIN_WINDOWS,
        ),
        headers: super::tables::heads(&[
            "connections",
            "servers (a vs b)",
            "client engine",
            "placement",
            "a messages/s",
            "b messages/s",
            "a/b",
            "client busy",
            "this driver",
            "verdict",
        ]),
        rows,
    })
}
