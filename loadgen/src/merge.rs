//! Load from several hosts, merged (`sockmodes merge-logs A.hlog B.hlog
//! ...`): each host ran `load --hdr-log` against the one server; their
//! histograms are added (percentiles cannot be averaged), and each host's
//! rate and share of the messages are told, so that a server that served
//! one host's connections less than another's is seen, not averaged away.
//!
//! **The bound**: a host whose share of the messages is under half its
//! fair share (1 / hosts) is reported. Every host runs the same `load`
//! command, so a server that serves connections alike gives each about
//! 1 / hosts; a closed-loop host gets less only when its answers come back
//! slower (a longer path, a starved client, a server that favours some
//! connections). Half is far outside the run-to-run spread of equal hosts
//! (a few percent) yet catches a host served at half the others' rate,
//! whose latencies the merged percentiles then under-represent.

use std::io;

use hdrhistogram::Histogram;

use super::hdrlog::{self, LogTotal};

/// A host under this share of the fair share (1 / hosts) is reported.
pub const UNEQUAL_BELOW: f64 = 0.5;

/// The largest log read. Why 64 MiB: the longest run (`load --duration
/// 3600`) writes 3,600 intervals of a few KiB each, about 10 MiB; a larger
/// file is not one of these logs, and is refused rather than read whole.
pub const MAX_LOG_BYTES: u64 = 64 << 20;

/// Percentiles of the merged table (the same as HdrHistogram's tools print).
pub const PERCENTILES: [f64; 7] = [50.0, 90.0, 99.0, 99.9, 99.99, 99.999, 100.0];

/// One host's log, read.
#[derive(Debug)]
pub struct HostLog {
    /// How it is named in the output (its file's path).
    pub name: String,
    /// The log's intervals, added.
    pub total: LogTotal,
}

impl HostLog {
    /// Reads one host's log.
    ///
    /// # Errors
    /// The log does not parse, a histogram does not decode, or its counts
    /// add past a `u64` (the message names the file; see
    /// [`hdrlog::read_log`]).
    pub fn read(name: &str, bytes: &[u8]) -> io::Result<HostLog> {
        let total = hdrlog::read_log(bytes)
            .map_err(|e| io::Error::new(e.kind(), format!("{name}: {e}")))?;
        Ok(HostLog {
            name: name.to_string(),
            total,
        })
    }
}

/// Several hosts' logs, merged.
#[derive(Debug)]
pub struct Merged {
    /// Every host's histogram, added.
    pub total: Histogram<u64>,
    /// Each host: its name, messages, messages/s and share of all messages.
    pub hosts: Vec<HostShare>,
}

/// One host's part of a merge.
#[derive(Debug, Clone, PartialEq)]
pub struct HostShare {
    /// Its log's name.
    pub name: String,
    /// Messages answered.
    pub messages: u64,
    /// Messages per second.
    pub per_s: f64,
    /// Its messages over all hosts' (0 to 1).
    pub share: f64,
    /// Its log held no answer (no interval, or only empty ones): it adds
    /// no latencies, and counts as a host that got no messages (0 per
    /// second, 0%).
    pub answered_nothing: bool,
}

/// Adds the hosts' histograms. A host whose log holds no answer stays one
/// of the hosts, with no messages: it ran (its run answered nothing in its
/// window, which its log's empty intervals say, or its log is empty), and
/// leaving it out would raise the others' fair share.
///
/// # Errors
/// No log holds an answer (nothing to merge), the hosts' counts add past
/// a `u64` (naming the log where they do), or a histogram's values do not
/// fit the merged one (1 µs to 1 hour).
pub fn merge(hosts: &[HostLog]) -> io::Result<Merged> {
    let bad = |what: String| io::Error::new(io::ErrorKind::InvalidData, what);
    match hosts {
        [one] if one.total.histogram.is_empty() => {
            return Err(bad(format!(
                "{}: no answer in the log (its run answered nothing, or it is empty): nothing \
                 to merge",
                one.name
            )))
        }
        _ if hosts.iter().all(|h| h.total.histogram.is_empty()) => {
            return Err(bad(format!(
                "none of the {} logs holds an answer (their runs answered nothing, or they \
                 are empty): nothing to merge",
                hosts.len()
            )))
        }
        _ => {}
    }
    let mut total = super::record::histogram();
    // Every host's counts, checked (`hdrlog::add_counts`).
    let mut counted: u64 = 0;
    for h in hosts {
        counted = hdrlog::add_counts(counted, &h.total.histogram).ok_or_else(|| {
            bad(format!(
                "{}: with the logs before it, the counts add past {} messages, more than \
                     any runs answer",
                h.name,
                u64::MAX
            ))
        })?;
        total
            .add(&h.total.histogram)
            .map_err(|e| bad(format!("{}: {e}", h.name)))?;
    }
    let all = total.len().max(1) as f64;
    let hosts = hosts
        .iter()
        .map(|h| {
            // Messages answered in the host's window, and per second over
            // its logged intervals.
            let messages = h.total.histogram.len();
            let answered_nothing = messages == 0;
            HostShare {
                name: h.name.clone(),
                messages,
                per_s: if answered_nothing {
                    0.0
                } else {
                    messages as f64 / h.total.logged.as_secs_f64()
                },
                share: messages as f64 / all,
                answered_nothing,
            }
        })
        .collect();
    Ok(Merged { total, hosts })
}

impl Merged {
    /// Messages per second of every host together (they ran at once).
    pub fn per_s(&self) -> f64 {
        self.hosts.iter().map(|h| h.per_s).sum()
    }

    /// The hosts served under [`UNEQUAL_BELOW`] of the fair share, but
    /// those whose log held no answer ([`Merged::answered_nothing`]), which
    /// are told of on their own.
    pub fn unequal(&self) -> Vec<&HostShare> {
        let fair = 1.0 / self.hosts.len().max(1) as f64;
        self.hosts
            .iter()
            .filter(|h| !h.answered_nothing && h.share < UNEQUAL_BELOW * fair)
            .collect()
    }

    /// The hosts whose log held no answer.
    pub fn answered_nothing(&self) -> Vec<&HostShare> {
        self.hosts.iter().filter(|h| h.answered_nothing).collect()
    }

    /// The merged histogram's value at `p` percent, in µs.
    pub fn at(&self, p: f64) -> u64 {
        self.total.value_at_percentile(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn host(name: &str, values: &[(u64, u64)], seconds: u64) -> HostLog {
        let mut histogram = super::super::record::histogram();
        for &(v, n) in values {
            histogram.record_n(v, n).unwrap();
        }
        HostLog {
            name: name.into(),
            total: LogTotal {
                histogram,
                tags: vec![],
                logged: Duration::from_secs(seconds),
            },
        }
    }

    #[test]
    fn histograms_are_added_not_averaged() {
        // Host a: 900 fast answers; host b: 100 slow ones. Averaging each
        // host's p99 would say 5,000 µs; the merged p99 is the slow ones'.
        let a = host("a", &[(100, 900)], 5);
        let b = host("b", &[(10_000, 100)], 5);
        let m = merge(&[a, b]).unwrap();
        assert_eq!(m.total.len(), 1000);
        assert_eq!(m.at(50.0), 100);
        assert!(
            m.at(99.0) >= 10_000 && m.at(99.0) < 10_010,
            "{}",
            m.at(99.0)
        );
        assert_eq!((m.hosts[0].per_s, m.hosts[1].per_s), (180.0, 20.0));
        assert_eq!(m.per_s(), 200.0);
        assert!((m.hosts[0].share - 0.9).abs() < 1e-12);
    }

    #[test]
    fn a_host_under_half_its_fair_share_is_reported() {
        // Two hosts: fair share 50%, bound 25%. 26% passes, 24% does not.
        let fair = merge(&[host("a", &[(5, 74)], 1), host("b", &[(5, 26)], 1)]).unwrap();
        assert!(fair.unequal().is_empty());
        let m = merge(&[host("a", &[(5, 76)], 1), host("b", &[(5, 24)], 1)]).unwrap();
        let low: Vec<&str> = m.unequal().iter().map(|h| h.name.as_str()).collect();
        assert_eq!(low, ["b"]);
        // Three hosts: fair 33%, bound 16.7%.
        let m = merge(&[
            host("a", &[(5, 45)], 1),
            host("b", &[(5, 40)], 1),
            host("c", &[(5, 15)], 1),
        ])
        .unwrap();
        assert_eq!(m.unequal().len(), 1);
        assert_eq!(m.unequal()[0].name, "c");
    }
}
