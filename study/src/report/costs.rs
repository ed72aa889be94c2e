//! What each server spends: its costs at a count (threads, memory,
//! switches and CPU per message), how long its last connection waited for
//! a first answer, the cheapest server at the same offered rate beyond
//! noise, the knee of the hockey stick, and how often a side was
//! saturated. The findings that quote these are built and said in
//! `findings.rs`; the words for a ramp and a knee are here, beside their
//! types.

use serde::{Deserialize, Serialize};

use super::lang::spread;
use super::study::Study;
use crate::stats::{compare, Spread, Verdict};
use crate::sweep::{Limit, Point};
use crate::target::Target;

/// How far over its light-load p99 a server's p99 may rise before the
/// hockey stick's knee.
///
/// Why 10x: queueing theory's knee is gradual; an order of magnitude is
/// where a user notices.
pub const KNEE: f64 = 10.0;

/// What one server spent at a count: threads, resident memory, context
/// switches and CPU per message, over the windows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Costs {
    pub threads: Option<Spread>,
    pub rss_mib: Option<Spread>,
    pub switches_per_msg: Option<Spread>,
    pub cpu_per_msg: Option<Spread>,
}

impl Costs {
    pub fn of(p: &Point) -> Costs {
        Costs {
            threads: p.threads(),
            rss_mib: p.rss_mib(),
            switches_per_msg: p.switches_per_msg(),
            cpu_per_msg: p.cpu_per_msg(),
        }
    }
}

/// How long the last connection of a point waited for its first answer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RampUp {
    /// Seconds, over the windows: every connection was answered.
    Within(Spread),
    /// Some connection was never answered within the warm-up cap of
    /// `cap_s` seconds, in `unanswered` of `windows` windows.
    OverCap {
        cap_s: f64,
        unanswered: usize,
        windows: usize,
    },
}

impl RampUp {
    /// `p`'s ramp, with `cap_s` the plan's warm-up cap.
    pub fn of(p: &Point, cap_s: f64) -> RampUp {
        match (p.ramp_s(), p.windows_with_unanswered()) {
            (Some(s), 0) => RampUp::Within(s),
            (_, unanswered) => RampUp::OverCap {
                cap_s,
                unanswered,
                windows: p.windows.len(),
            },
        }
    }
}

/// The server whose CPU per message was below every other's beyond noise
/// ([`compare`] on their windows); `None` when no one was.
pub fn cheapest<'a>(points: &[&'a Point]) -> Option<&'a Point> {
    points.iter().copied().find(|p| {
        points.iter().all(|q| {
            std::ptr::eq(*p, *q) || compare(&p.cpu_windows(), &q.cpu_windows()) == Verdict::Lower
        })
    })
}

/// One server's knee under offered load: up to which offered share its
/// p99 stayed within [`KNEE`] times the lightest step's, and that step's
/// share and p99 (µs).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Knee {
    pub target: Target,
    pub calm_up_to: f64,
    pub light_pct: f64,
    pub light_p99_us: Option<Spread>,
}

/// The highest offered share up to which no step's p99 was above
/// [`KNEE`] times the lightest step's beyond noise (by [`compare`] on the
/// windows, against the light step's windows times `KNEE`): the same noise
/// rule as every other finding, so one window that met one of the
/// machine's millisecond stalls makes no knee (and a stalled light window
/// only makes the rule slower to claim one). `steps` is sorted
/// by offered share, lightest first; `None` when there are none.
pub fn calm_up_to(steps: &[&Point]) -> Option<f64> {
    let light = steps.first()?;
    let base: Vec<f64> = light.windows.iter().map(|w| KNEE * w.load.p99_us).collect();
    steps
        .iter()
        .take_while(|p| {
            let p99: Vec<f64> = p.windows.iter().map(|w| w.load.p99_us).collect();
            compare(&p99, &base) != Verdict::Higher
        })
        .last()
        .and_then(|p| p.offered_pct)
}

/// Points where the load generator alone, or both sides, were saturated:
/// (client alone, both, of all points).
pub fn saturated(study: &Study) -> (usize, usize, usize) {
    let all: Vec<&Point> = study
        .sweep
        .iter()
        .chain(&study.load_steps)
        .chain(&study.same_rate)
        .collect();
    let count = |l: Limit| all.iter().filter(|p| p.limit() == Some(l)).count();
    (count(Limit::Client), count(Limit::Both), all.len())
}

/// "0.12 (0.10-0.15) s", or how often the cap was reached.
pub fn ramp_words(r: &RampUp) -> String {
    match r {
        RampUp::Within(s) => format!("{} s", s.show(2)),
        RampUp::OverCap {
            cap_s,
            unanswered,
            windows,
        } => format!(
            "more than the warm-up cap of {cap_s:.0} s in {unanswered} of {windows} windows"
        ),
    }
}

/// "nonblocking up to 90% (p99 0.25 ms at 10%)".
pub fn knee_words(k: &Knee) -> String {
    format!(
        "{} up to {:.0}% (p99 {} ms at {:.0}%)",
        k.target.name(),
        k.calm_up_to,
        spread(k.light_p99_us.map(|s| s.scaled(1000.0)), 2),
        k.light_pct
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spread(v: &[f64]) -> Option<Spread> {
        Spread::of(v.iter().copied())
    }

    #[test]
    fn a_ramp_over_the_cap_says_in_how_many_windows() {
        let within = RampUp::Within(spread(&[0.1, 0.2, 0.3]).unwrap());
        assert_eq!(ramp_words(&within), "0.20 (0.10-0.30) s");
        let over = RampUp::OverCap {
            cap_s: 10.0,
            unanswered: 2,
            windows: 5,
        };
        assert_eq!(
            ramp_words(&over),
            "more than the warm-up cap of 10 s in 2 of 5 windows"
        );
    }

    #[test]
    fn a_knee_gives_its_light_p99_in_milliseconds() {
        let k = Knee {
            target: Target::TOKIO,
            calm_up_to: 90.0,
            light_pct: 10.0,
            light_p99_us: spread(&[250.0]),
        };
        assert_eq!(knee_words(&k), "tokio up to 90% (p99 0.25 ms at 10%)");
        let unmeasured = Knee {
            light_p99_us: None,
            ..k
        };
        assert_eq!(knee_words(&unmeasured), "tokio up to 90% (p99 - ms at 10%)");
    }
}
