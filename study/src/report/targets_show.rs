//! The targets as the reader sees them (`targets.rs` checks them): each
//! check's goal, divisor and measurement in words, as the report's table
//! and report.json show them.

use serde::Serialize;

use super::lang::{number, Lang};
use super::targets::{Divisor, Goal, Measured, TargetCheck};
use super::Group;

/// One target as text: a row of the report's table, and the form a check
/// takes in report.json (the same fields earlier versions wrote).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetRow {
    pub target: String,
    /// What it is divided by.
    pub limit: String,
    pub measured: String,
    pub met: Option<bool>,
}

impl From<TargetCheck> for TargetRow {
    fn from(c: TargetCheck) -> TargetRow {
        TargetRow {
            target: goal(&c.goal),
            limit: divisor(c.limit),
            measured: c.measured.as_ref().map_or("-".into(), measured),
            met: c.met,
        }
    }
}

/// What a target asks, in words.
pub fn goal(g: &Goal) -> String {
    match g {
        Goal::RoundTrip {
            target,
            case,
            within,
            no_slower_than,
        } => {
            let also = no_slower_than.map_or(String::new(), |t| {
                format!(" and no slower than {}", t.name())
            });
            format!(
                "{} {} round trip within {within:.2}x of raw{also}",
                target.prose(),
                case.label(Group::Latency)
            )
        }
        Goal::Sink { target, at_least } => {
            format!("{} sink throughput at least {at_least}x raw", target.name())
        }
        Goal::AheadWithLessCpu {
            a,
            b,
            connections,
            times,
        } => format!(
            "{} at {connections} connections at least {times}x {}'s messages/s beyond noise, with less CPU per \
             message",
            a.prose(),
            b.prose()
        ),
        Goal::NotBelow { a, b, connections } => format!(
            "{} at {connections} connections not below {}'s messages/s beyond noise",
            a.prose(),
            b.name()
        ),
        Goal::IdleMemory {
            target,
            connections,
            mib,
        } => format!(
            "{} idle connections: {} server under {mib} MiB resident",
            number(*connections as f64, 0, Lang::En),
            target.prose()
        ),
        Goal::PerThread {
            target,
            connections,
            times,
        } => format!(
            "{}: resident memory per idle connection at most {times:.2}x a bare std thread ({connections} \
             connections)",
            target.prose()
        ),
    }
}

/// What a target divides by, in words.
pub fn divisor(d: Divisor) -> String {
    match d {
        Divisor::Raw => "raw".into(),
        Divisor::RawAnd(t) => format!("raw; {}", t.name()),
        Divisor::RawSameWork => "raw with CRC-32 (the same work)".into(),
        Divisor::SameRun(t) => format!("{}, same run", t.prose()),
        Divisor::Reference(t) => t.name().into(),
        Divisor::Absolute => "absolute".into(),
        Divisor::BareThread => "a bare thread with the same stack, measured in this run".into(),
    }
}

/// What a run measured of a target, in words.
pub fn measured(m: &Measured) -> String {
    match *m {
        Measured::Ratio(x) => format!("{x:.3}x"),
        Measured::Ratios { raw, other, to } => {
            format!("{raw:.3}x raw, {other:.3}x {}", to.name())
        }
        Measured::AheadCpu {
            ratio, cpu: (a, b), ..
        } => format!(
            "{}x messages/s; CPU per message {} against {} µs",
            ratio.show(2),
            a.show(1),
            b.show(1)
        ),
        Measured::Rates { a, b, .. } => format!("{} against {} msg/s", a.show(0), b.show(0)),
        Measured::Mib(m) => format!("{m:.1} MiB"),
        Measured::PerThread {
            kib,
            bare_kib,
            times,
        } => format!("{kib:.1} KiB against {bare_kib:.1} KiB: {times:.2}x"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::{Pair, Target};

    #[test]
    fn a_check_reads_as_the_tables_row() {
        let (threads, event_loop) = (Pair::THREADS_VS_LOOP.a, Pair::THREADS_VS_LOOP.b);
        let check = TargetCheck {
            goal: Goal::IdleMemory {
                target: event_loop,
                connections: 10_000,
                mib: 20.0,
            },
            limit: Divisor::Absolute,
            measured: Some(Measured::Mib(7.04)),
            met: Some(true),
        };
        let row = TargetRow::from(check);
        assert_eq!(
            row.target,
            format!(
                "10,000 idle connections: {} server under 20 MiB resident",
                event_loop.prose()
            )
        );
        assert_eq!(
            (row.limit.as_str(), row.measured.as_str()),
            ("absolute", "7.0 MiB")
        );
        let sink = Goal::Sink {
            target: threads,
            at_least: 0.9,
        };
        assert_eq!(
            goal(&sink),
            format!("{} sink throughput at least 0.9x raw", threads.name())
        );
        assert_eq!(divisor(Divisor::RawAnd(Target::Tokio)), "raw; tokio");
        let unmeasured = TargetCheck {
            goal: sink,
            limit: Divisor::RawSameWork,
            measured: None,
            met: None,
        };
        assert_eq!(TargetRow::from(unmeasured).measured, "-");
    }
}
