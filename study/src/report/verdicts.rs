//! Verdicts by connection count: one server against another in
//! messages/s at each count of the sweep, by the noise rule, and what the
//! cross-check says of each (`cross.rs`). The crossover and the sentences
//! that group counts by verdict are made here; `findings.rs` puts them in
//! reading order with the others.

use super::cross::{find_verdict, CrossVerdict, Outcome};
use super::Study;
use crate::stats::{compare, Spread, Verdict};
use crate::sweep::{find, Point};
use crate::target::{Pair, Target};

/// One count's comparison of messages/s between two servers.
#[derive(Debug, Clone, PartialEq)]
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

    /// The cross-check found that the verdict depends on the client.
    pub fn depends(&self) -> bool {
        matches!(self.checked, Some(Outcome::DependsOnClient(_)))
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
    let mut counts: Vec<usize> = sweep.iter().map(|p| p.connections).collect();
    counts.sort_unstable();
    counts.dedup();
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

/// The first count from which the pair's first server stays below its
/// second beyond noise, at every larger count too; `None` when there is none. A count
/// where the cross-check found the verdict depends on the client breaks
/// the run.
pub fn crossover_count(verdicts: &[CountVerdict]) -> Option<usize> {
    let mut from = None;
    for v in verdicts.iter().rev() {
        if v.is(Verdict::Lower) {
            from = Some(v.connections);
        } else {
            break;
        }
    }
    from
}

/// The crossover as a sentence: from which count the pair's first server
/// (a thread per connection) carried fewer messages than its second.
pub fn crossover(pair: Pair, verdicts: &[CountVerdict]) -> String {
    let (a, b) = (pair.a.prose(), pair.b.prose());
    match crossover_count(verdicts) {
        Some(n) => {
            let at = verdicts
                .iter()
                .find(|v| v.connections == n)
                .expect("the crossover is one of them");
            format!(
                "Crossover: from {n} connections on, the {a} server carried fewer messages per second than \
                 the {b} one beyond noise: at {n}, {} against {} msg/s (median, min-max){}.",
                at.a.show(0),
                at.b.show(0),
                checked_note(verdicts)
            )
        }
        None => format!(
            "No crossover: at the largest count measured the {a} server was not below the {b} \
             one beyond noise with every client{}.",
            checked_note(verdicts)
        ),
    }
}

/// What the sweep's verdicts rest on: its one driver, and the counts the
/// cross-check confirmed or not.
fn checked_note(verdicts: &[CountVerdict]) -> String {
    let with = |f: fn(&CountVerdict) -> bool| -> Vec<usize> {
        verdicts
            .iter()
            .filter(|v| v.checked.is_some() && f(v))
            .map(|v| v.connections)
            .collect()
    };
    let (held, not) = (with(CountVerdict::stands), with(CountVerdict::depends));
    let unknown = with(CountVerdict::unchecked);
    let mut s =
        "; measured with the sweep's driver (the nonblocking client, split placement)".to_string();
    if !held.is_empty() {
        s.push_str(&format!(
            ", and at {} by every client engine in both placements",
            counts_list(&held)
        ));
    }
    if !not.is_empty() {
        s.push_str(&format!(
            "; at {} the verdict depends on the client (cross-check)",
            counts_list(&not)
        ));
    }
    if !unknown.is_empty() {
        s.push_str(&format!(
            "; at {} the cross-check had no evidence in some placement (client saturated or too few windows)",
            counts_list(&unknown)
        ));
    }
    s
}

fn counts_list(counts: &[usize]) -> String {
    match counts {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!(
            "{} and {last}",
            init.iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// "connection" for just 1, else "connections".
fn connections_word(counts: &[usize]) -> &'static str {
    if counts == [1] {
        "connection"
    } else {
        "connections"
    }
}

/// "a, b and c".
pub fn counts_words(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The counts where the pair showed no difference beyond noise.
pub fn no_difference(pair: Pair, verdicts: &[CountVerdict]) -> Option<String> {
    let same: Vec<&CountVerdict> = verdicts
        .iter()
        .filter(|v| v.is(Verdict::NoDifference))
        .collect();
    let first = same.first()?;
    let counts: Vec<usize> = same.iter().map(|v| v.connections).collect();
    Some(format!(
        "At {} {} there was no difference beyond noise between {} and {} (at {}: {} \
         against {} msg/s).",
        counts_list(&counts),
        connections_word(&counts),
        pair.a.prose(),
        pair.b.prose(),
        first.connections,
        first.a.show(0),
        first.b.show(0)
    ))
}

/// The counts where the pair's first server carried more beyond noise,
/// and the pair's reason why it can.
pub fn first_ahead(pair: Pair, verdicts: &[CountVerdict]) -> Option<String> {
    let ahead: Vec<usize> = verdicts
        .iter()
        .filter(|v| v.is(Verdict::Higher))
        .map(|v| v.connections)
        .collect();
    (!ahead.is_empty()).then(|| {
        format!(
            "At {} {} the {} server carried more messages per second than the {} one \
             beyond noise{}.",
            counts_list(&ahead),
            connections_word(&ahead),
            pair.a.prose(),
            pair.b.prose(),
            pair.why_first_ahead
                .map_or(String::new(), |why| format!(": {why}"))
        )
    })
}

/// Counts where the pair's second server carried more beyond noise (and the verdict
/// stands) but that are not part of the crossover's run to the largest
/// count: said apart, so that no verdict goes unreported.
pub fn second_ahead_apart(pair: Pair, verdicts: &[CountVerdict]) -> Option<String> {
    let from = crossover_count(verdicts).unwrap_or(usize::MAX);
    let ahead: Vec<usize> = verdicts
        .iter()
        .filter(|v| v.is(Verdict::Lower) && v.connections < from)
        .map(|v| v.connections)
        .collect();
    (!ahead.is_empty()).then(|| {
        format!(
            "At {} {} the {} server carried more messages per second than the {} one beyond \
             noise (the sweep's driver), without staying ahead at every larger count.",
            counts_list(&ahead),
            connections_word(&ahead),
            pair.b.prose(),
            pair.a.prose()
        )
    })
}

/// Which counts a group of a sentence takes.
type Pick = fn(&CountVerdict) -> bool;

/// One server against another (the registry's completion against
/// readiness), grouped by verdict: where it carried more beyond noise,
/// less, no different, or where the cross-check found it depends on the
/// client.
pub fn grouped_by_verdict(study: &Study, cross: &[CrossVerdict], pair: Pair) -> Option<String> {
    let sweep = &study.sweep;
    let verdicts = checked_verdicts(study, cross, pair);
    if verdicts.is_empty() {
        return None;
    }
    let group = |f: &dyn Fn(&CountVerdict) -> bool| -> Vec<usize> {
        verdicts
            .iter()
            .filter(|c| f(c))
            .map(|c| c.connections)
            .collect()
    };
    let groups: [(Pick, &str); 5] = [
        (
            |c| c.is(Verdict::Higher),
            "carried more messages per second beyond noise",
        ),
        (|c| c.is(Verdict::Lower), "carried fewer beyond noise"),
        (
            |c| c.is(Verdict::NoDifference),
            "showed no difference beyond noise",
        ),
        (
            CountVerdict::depends,
            "depended on the client (cross-check)",
        ),
        (
            CountVerdict::unchecked,
            "had no verdict in the cross-check (a client saturated or too few windows)",
        ),
    ];
    let mut parts = Vec::new();
    for (pick, words) in groups {
        let counts = group(&pick);
        if !counts.is_empty() {
            parts.push(format!(
                "{words} at {} {}",
                counts_list(&counts),
                connections_word(&counts)
            ));
        }
    }
    let last = verdicts.last().expect("not empty");
    let calls = |t: Target| {
        find(sweep, t, last.connections)
            .and_then(Point::syscalls_per_msg)
            .map_or("-".into(), |s| s.show(3))
    };
    Some(format!(
        "{}: it {}. At {}: {} against {} msg/s ({}x), with {} against {} system calls per message.",
        pair.title,
        counts_words(&parts),
        last.connections,
        last.a.show(0),
        last.b.show(0),
        crate::stats::ratio(&last.a, &last.b).show(2),
        calls(pair.a),
        calls(pair.b)
    ))
}

#[cfg(test)]
#[path = "verdicts_tests.rs"]
mod tests;
