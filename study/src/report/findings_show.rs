//! The findings as the reader sees them: one sentence per [`Finding`],
//! made here and only here (the cost findings' words are `costs_show.rs`,
//! the cross-check's `cross_show.rs`). The verdicts by count are said in
//! this file: the crossover, and the counts grouped by verdict.

use super::costs_show;
use super::findings::Finding;
use super::verdicts::{Checked, CountVerdict, Standing};
use crate::stats::{ratio, Spread, Verdict};
use crate::target::Pair;

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
        } => crossover(*pair, from.as_ref(), checked),
        Finding::CrossCheck {
            connections,
            drivers,
            saturated,
            outcomes,
        } => super::cross_show::finding(*connections, *drivers, *saturated, outcomes),
        Finding::NoDifference {
            pair,
            counts,
            first,
        } => format!(
            "At {} {} there was no difference beyond noise between {} and {} (at {}: {} \
             against {} msg/s).",
            counts_list(counts),
            connections_word(counts),
            pair.a.prose(),
            pair.b.prose(),
            first.connections,
            first.a.show(0),
            first.b.show(0)
        ),
        Finding::FirstAhead { pair, counts } => format!(
            "At {} {} the {} server carried more messages per second than the {} one \
             beyond noise{}.",
            counts_list(counts),
            connections_word(counts),
            pair.a.prose(),
            pair.b.prose(),
            pair.why_first_ahead
                .map_or(String::new(), |why| format!(": {why}"))
        ),
        Finding::SecondAheadApart { pair, counts } => format!(
            "At {} {} the {} server carried more messages per second than the {} one beyond \
             noise (the sweep's driver), without staying ahead at every larger count.",
            counts_list(counts),
            connections_word(counts),
            pair.b.prose(),
            pair.a.prose()
        ),
        Finding::Grouped {
            pair,
            groups,
            last,
            syscalls,
        } => grouped(*pair, groups, last, *syscalls),
        Finding::Costs {
            pair,
            connections,
            a,
            b,
        } => costs_show::costs(*pair, *connections, a, b),
        Finding::Ramp {
            pair,
            connections,
            a,
            b,
            starved,
        } => costs_show::ramp_finding(*pair, *connections, (a, b), *starved),
        Finding::SameRate {
            offered_per_s,
            offered_pct,
            connections,
            cpu,
            cheapest,
        } => costs_show::same_rate(*offered_per_s, *offered_pct, *connections, cpu, *cheapest),
        Finding::Knees(k) => costs_show::knees(k),
        Finding::Saturation { client, both, all } => costs_show::saturation(*client, *both, *all),
    }
}

/// Every finding of `findings`, as sentences.
pub fn sentences(findings: &[Finding]) -> Vec<String> {
    findings.iter().map(show).collect()
}

/// The crossover as a sentence: from which count the pair's first server
/// (a thread per connection) carried fewer messages than its second.
fn crossover(pair: Pair, from: Option<&CountVerdict>, checked: &Checked) -> String {
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
    if !c.held.is_empty() {
        s.push_str(&format!(
            ", and at {} by every client engine in both placements",
            counts_list(&c.held)
        ));
    }
    if !c.depends.is_empty() {
        s.push_str(&format!(
            "; at {} the verdict depends on the client (cross-check)",
            counts_list(&c.depends)
        ));
    }
    if !c.unchecked.is_empty() {
        s.push_str(&format!(
            "; at {} the cross-check had no evidence in some placement (client saturated or too few windows)",
            counts_list(&c.unchecked)
        ));
    }
    s
}

/// "1, 10 and 100".
fn counts_list(counts: &[usize]) -> String {
    let words: Vec<String> = counts.iter().map(usize::to_string).collect();
    words_list(&words)
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

/// One pair's counts grouped by verdict, with the largest count's figures.
fn grouped(
    pair: Pair,
    groups: &[(Standing, Vec<usize>)],
    last: &CountVerdict,
    (calls_a, calls_b): (Option<Spread>, Option<Spread>),
) -> String {
    let parts: Vec<String> = groups
        .iter()
        .map(|(s, counts)| {
            format!(
                "{} at {} {}",
                standing_words(*s),
                counts_list(counts),
                connections_word(counts)
            )
        })
        .collect();
    let calls = |s: Option<Spread>| s.map_or("-".into(), |s| s.show(3));
    format!(
        "{}: it {}. At {}: {} against {} msg/s ({}x), with {} against {} system calls per message.",
        pair.title,
        words_list(&parts),
        last.connections,
        last.a.show(0),
        last.b.show(0),
        ratio(&last.a, &last.b).show(2),
        calls(calls_a),
        calls(calls_b)
    )
}

/// The findings travel in report.json as their sentences: what a reader of
/// the JSON reads, and what earlier versions of this code wrote and read.
/// The typed findings are computed again from the measurements when a
/// report is read back (`Report`'s `Deserialize`).
pub fn serialize<S: serde::Serializer>(findings: &[Finding], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(findings.iter().map(show))
}

#[cfg(test)]
mod tests {
    use super::super::fixture;
    use super::*;

    #[test]
    fn every_finding_of_the_fixture_is_one_sentence_without_a_wall_of_points() {
        let r = fixture::report();
        let all = sentences(&r.findings);
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
        assert_eq!(connections_word(&[1]), "connection");
        assert_eq!(connections_word(&[10]), "connections");
        assert_eq!(words_list(&[]), "");
    }
}
