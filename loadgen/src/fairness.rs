//! Every connection counted: how long each waited for its first answer (the
//! ramp), how evenly the server shared itself over the window (fairness),
//! and what was never answered at all.
//!
//! A load generator that reports only latencies of answered messages
//! flatters a server that leaves some connections waiting: a
//! thread-per-connection server still spawning its threads, or an event
//! loop that serves a few sockets first. So each engine keeps one
//! [`ConnTally`] per connection (`account/`) and this module turns them into figures:
//!
//! - the **ramp**: time from the start line to each connection's first
//!   answer (p50, p99, max), and to the last one;
//! - **fairness**: answers per connection in the window (min, p1, median,
//!   max), connections with none (**starved**), and Jain's index
//!   `(Σx)² / (n·Σx²)`, which is 1 when every connection got the same
//!   share and `1/n` when one got everything;
//! - **unanswered**: messages still owed when the run gave up, and the age
//!   of the oldest.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::account::ConnTally;

/// The ramp: how long the connections waited for their first answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Ramp {
    /// Seconds from the start line to the window's start: at least
    /// `--warmup`, longer while some connection waited for its first answer.
    pub warmup_s: f64,
    /// The warm-up ended at its cap (`--warmup-cap`) with connections still
    /// unanswered.
    pub cap_reached: bool,
    /// ms from the start line until the last connection got its first
    /// answer (null: some connection never got one).
    pub last_first_answer_ms: Option<f64>,
    /// Time to first answer across the connections that got one, ms.
    pub first_answer_p50_ms: f64,
    /// 99th percentile of the same, ms.
    pub first_answer_p99_ms: f64,
    /// Largest, ms.
    pub first_answer_max_ms: f64,
    /// Connections that never got an answer, in warm-up or window.
    pub never_answered: usize,
}

/// How evenly the window's answers fell on the connections.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Fairness {
    /// Fewest answers a connection got in the window.
    pub answers_min: u64,
    /// 1st percentile of answers per connection (nearest rank).
    pub answers_p1: u64,
    /// Median answers per connection.
    pub answers_median: u64,
    /// Most answers a connection got.
    pub answers_max: u64,
    /// Connections with no answer at all in the window.
    pub starved: usize,
    /// Which ones (numbers as in [`ConnTally::index`]), at most
    /// [`NAMED_STARVED`].
    pub starved_connections: Vec<usize>,
    /// Jain's index over answers per connection: 1 = all equal, 1/n = one
    /// connection got everything (null: no answers at all).
    pub jain_index: Option<f64>,
}

/// How many starved connections the report names.
///
/// Why 20: enough to find them in a server's log; the count says the rest.
pub const NAMED_STARVED: usize = 20;

/// Nearest-rank percentile (`q` in 0..=1) of sorted values; 0 when empty.
fn nearest_rank(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Jain's fairness index of `xs`; `None` when all are zero (or none).
pub fn jain_index(xs: &[u64]) -> Option<f64> {
    let sum: f64 = xs.iter().map(|&x| x as f64).sum();
    let squares: f64 = xs.iter().map(|&x| (x as f64) * (x as f64)).sum();
    (squares > 0.0).then(|| sum * sum / (xs.len() as f64 * squares))
}

/// Fairness over the window, from the tallies of the connections made.
pub fn fairness(tallies: &[ConnTally]) -> Fairness {
    let made = || tallies.iter().filter(|t| t.connected());
    let mut counts: Vec<u64> = made().map(|t| t.answered_in_window).collect();
    counts.sort_unstable();
    let mut starved: Vec<usize> = made()
        .filter(|t| t.answered_in_window == 0)
        .map(|t| t.index)
        .collect();
    starved.sort_unstable();
    let n_starved = starved.len();
    starved.truncate(NAMED_STARVED);
    Fairness {
        answers_min: counts.first().copied().unwrap_or(0),
        answers_p1: nearest_rank(&counts, 0.01),
        answers_median: nearest_rank(&counts, 0.5),
        answers_max: counts.last().copied().unwrap_or(0),
        starved: n_starved,
        starved_connections: starved,
        jain_index: jain_index(&counts),
    }
}

/// The ramp, from the tallies of the connections made and the warm-up the
/// run took.
pub fn ramp(tallies: &[ConnTally], warmup: Duration, cap_reached: bool) -> Ramp {
    let made = tallies.iter().filter(|t| t.connected()).count();
    let mut firsts: Vec<u64> = tallies
        .iter()
        .filter_map(|t| t.first_answer)
        .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        .collect();
    firsts.sort_unstable();
    let never_answered = made - firsts.len();
    // Whole µs as ms, so the JSON shows them to the µs; the last rank is
    // the max.
    let at = |q| nearest_rank(&firsts, q) as f64 / 1e3;
    Ramp {
        warmup_s: (warmup.as_secs_f64() * 1e6).round() / 1e6,
        cap_reached,
        last_first_answer_ms: (never_answered == 0 && !firsts.is_empty()).then(|| at(1.0)),
        first_answer_p50_ms: at(0.5),
        first_answer_p99_ms: at(0.99),
        first_answer_max_ms: at(1.0),
        never_answered,
    }
}

/// Messages never answered over all connections, and the oldest one's age.
pub fn unanswered(tallies: &[ConnTally]) -> (u64, Option<Duration>) {
    let count = tallies.iter().map(|t| t.unanswered).sum();
    let oldest = tallies.iter().filter_map(|t| t.oldest_unanswered).max();
    (count, oldest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(index: usize, first_ms: Option<u64>, answers: u64) -> ConnTally {
        ConnTally {
            index,
            first_answer: first_ms.map(Duration::from_millis),
            answered_in_window: answers,
            ..ConnTally::default()
        }
    }

    #[test]
    fn jain_is_one_when_equal_and_one_over_n_when_one_takes_all() {
        assert_eq!(jain_index(&[5, 5, 5, 5]), Some(1.0));
        let one = jain_index(&[0, 0, 0, 8]).unwrap();
        assert!((one - 0.25).abs() < 1e-12, "{one}");
        // Nine equal and one at a tenth: (9.1)^2 / (10 x 9.01) = 0.919...
        let j = jain_index(&[10, 10, 10, 10, 10, 10, 10, 10, 10, 1]).unwrap();
        assert!((j - 91.0 * 91.0 / (10.0 * 901.0)).abs() < 1e-12, "{j}");
        assert_eq!(jain_index(&[0, 0]), None);
        assert_eq!(jain_index(&[]), None);
    }

    #[test]
    fn starved_connections_are_counted_and_named() {
        let t: Vec<ConnTally> = (0..100)
            .map(|i| {
                tally(
                    i,
                    Some(1),
                    if i == 7 || i == 42 { 0 } else { 100 + i as u64 },
                )
            })
            .collect();
        let f = fairness(&t);
        assert_eq!(f.starved, 2);
        assert_eq!(f.starved_connections, vec![7, 42]);
        assert_eq!(f.answers_min, 0);
        assert_eq!(f.answers_p1, 0, "2 of 100 are zero, so p1 is zero");
        assert_eq!(f.answers_max, 199);
        assert!(f.jain_index.unwrap() < 1.0);
    }

    #[test]
    fn only_the_first_named_starved_are_listed() {
        let t: Vec<ConnTally> = (0..50).map(|i| tally(i, None, 0)).collect();
        let f = fairness(&t);
        assert_eq!(f.starved, 50);
        assert_eq!(f.starved_connections.len(), NAMED_STARVED);
        assert_eq!(f.jain_index, None);
    }

    #[test]
    fn the_ramp_reads_the_slowest_first_answer() {
        let t: Vec<ConnTally> = (0..10).map(|k| tally(k, Some(k as u64 * 300), 5)).collect();
        let r = ramp(&t, Duration::from_millis(2700), false);
        assert_eq!(r.last_first_answer_ms, Some(2700.0));
        assert_eq!(r.first_answer_max_ms, 2700.0);
        assert_eq!(r.first_answer_p50_ms, 1200.0, "5th of 10 by nearest rank");
        assert_eq!(r.never_answered, 0);
        assert_eq!(r.warmup_s, 2.7);
    }

    #[test]
    fn a_connection_never_answered_leaves_the_ramp_open() {
        let mut t: Vec<ConnTally> = (0..3).map(|k| tally(k, Some(10), 5)).collect();
        t.push(ConnTally {
            index: 3,
            unanswered: 1,
            oldest_unanswered: Some(Duration::from_secs(9)),
            ..ConnTally::default()
        });
        let r = ramp(&t, Duration::from_secs(2), true);
        assert_eq!(r.last_first_answer_ms, None);
        assert_eq!(r.never_answered, 1);
        assert!(r.cap_reached);
        assert_eq!(unanswered(&t), (1, Some(Duration::from_secs(9))));
    }
}
