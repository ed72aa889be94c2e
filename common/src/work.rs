//! Work per message: what a real handler does between a request and its
//! answer, so that the I/O models can be compared on the question a user
//! brings ("my handler computes for 50 µs, or calls a database for 2 ms:
//! which model?").
//!
//! Three kinds, as `--work KIND:AMOUNT`:
//!
//! - `cpu:50us`: that much computing. A loop of arithmetic ([`spin`]) that
//!   runs until the thread's own CPU clock has advanced by the amount
//!   (`sockmodes_os::work`), so it costs CPU time, not wall time, however
//!   busy the machine is.
//! - `block:2ms`: a blocking call. The thread sleeps in a system call
//!   (`nanosleep`), like a synchronous database client: nothing else runs
//!   on that thread meanwhile.
//! - `wait:2ms`: a non-blocking wait, like an async client. An event loop
//!   or a ring arms a timer and serves other connections meanwhile; a
//!   thread per connection has nothing else to do, so there it sleeps.
//!
//! The session ([`ServerSession`](crate::ServerSession)) hands out a
//! [`WorkTicket`] per frame and holds that frame's answer until the driver
//! calls `work_done`: where the work runs is the driver's choice, that the
//! answer waits for it is not. Nothing here reads a clock or sleeps: a
//! driver that waits passes its own time in ([`Work::due`]), and doing the
//! work (a spin of [`spin`], or a sleep in the kernel) is the OS layer's
//! (`sockmodes_os::work::Perform`).

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

/// The longest work per message accepted.
///
/// Why 10 s: a longer call per message is a stalled service, not a model to
/// compare; and work in flight must fit within a shutdown's deadline.
pub const MAX_WORK: Duration = Duration::from_secs(10);

/// What a handler does for each message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkKind {
    /// Computing: CPU time.
    Cpu,
    /// A blocking call: the thread sleeps in the kernel.
    Block,
    /// A non-blocking wait: a timer (a sleep on a thread per connection).
    Wait,
}

impl WorkKind {
    /// Every kind, for test matrices and help texts.
    pub const ALL: [WorkKind; 3] = [WorkKind::Cpu, WorkKind::Block, WorkKind::Wait];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            WorkKind::Cpu => "cpu",
            WorkKind::Block => "block",
            WorkKind::Wait => "wait",
        }
    }

    /// True when the work occupies its thread (cpu, block): an event loop
    /// running it inline serves no one else meanwhile. A wait does not.
    pub fn holds_thread(self) -> bool {
        self != WorkKind::Wait
    }
}

/// One message's work, as configured: its kind and its amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Work {
    /// The kind.
    pub kind: WorkKind,
    /// How long it lasts (cpu: CPU time; block, wait: wall time).
    pub amount: Duration,
}

impl Work {
    /// CPU time the work itself costs per message (cpu: its amount; a
    /// sleep or a timer: none).
    pub fn cpu(self) -> Duration {
        match self.kind {
            WorkKind::Cpu => self.amount,
            WorkKind::Block | WorkKind::Wait => Duration::ZERO,
        }
    }

    /// When a wait begun at `now` is over (time is the driver's).
    pub fn due(self, now: Instant) -> Instant {
        now + self.amount
    }
}

/// `n` iterations of a small computation the compiler cannot remove (a
/// xorshift whose result is returned): the unit of `cpu` work.
pub fn spin(n: u64) -> u64 {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x = std::hint::black_box(x);
    }
    x
}

impl fmt::Display for Work {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind.name(), human_duration(self.amount))
    }
}

/// A duration in the unit a person would write: 50us, 2ms, 1.5s.
pub fn human_duration(d: Duration) -> String {
    let ns = d.as_nanos();
    let (unit, size) = if ns >= 1_000_000_000 {
        ("s", 1_000_000_000)
    } else if ns >= 1_000_000 {
        ("ms", 1_000_000)
    } else if ns >= 1_000 {
        ("us", 1_000)
    } else {
        ("ns", 1)
    };
    if ns.is_multiple_of(size) {
        format!("{}{unit}", ns / size)
    } else {
        let n = format!("{:.3}", ns as f64 / size as f64);
        format!("{}{unit}", n.trim_end_matches('0'))
    }
}

/// Why a `--work` value was refused: one line, naming the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkError {
    /// Not `KIND:AMOUNT`, or an unknown kind.
    #[error("{0:?}: expected KIND:AMOUNT with KIND cpu, block or wait (e.g. cpu:50us, block:2ms, wait:2ms)")]
    Malformed(String),
    /// A number with no unit.
    #[error("{0:?}: the amount needs a unit: ns, us, ms or s (e.g. cpu:50us)")]
    NoUnit(String),
    /// A unit that is not one of ours, or a number that is not one.
    #[error("{0:?}: the amount must be a whole number and a unit: ns, us, ms or s (e.g. 1500us)")]
    BadAmount(String),
    /// Zero work: leave `--work` out instead.
    #[error("{0:?}: the amount must be more than zero (leave --work out for no work)")]
    Zero(String),
    /// Longer than [`MAX_WORK`].
    #[error("{0:?}: at most 10s per message (a longer call is a stalled service)")]
    TooLong(String),
}

impl FromStr for Work {
    type Err = WorkError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let (kind, amount) = t
            .split_once(':')
            .ok_or_else(|| WorkError::Malformed(s.into()))?;
        let kind = WorkKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(kind.trim()))
            .ok_or_else(|| WorkError::Malformed(s.into()))?;
        let amount = amount.trim();
        let split = amount
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(amount.len());
        let (digits, unit) = amount.split_at(split);
        if unit.is_empty() {
            return Err(if digits.is_empty() {
                WorkError::Malformed(s.into())
            } else {
                WorkError::NoUnit(s.into())
            });
        }
        let nanos_per: u64 = match unit {
            "ns" => 1,
            "us" | "µs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            _ => return Err(WorkError::BadAmount(s.into())),
        };
        let n: u64 = digits.parse().map_err(|_| WorkError::BadAmount(s.into()))?;
        let nanos = n
            .checked_mul(nanos_per)
            .ok_or_else(|| WorkError::TooLong(s.into()))?;
        let amount = Duration::from_nanos(nanos);
        if amount.is_zero() {
            return Err(WorkError::Zero(s.into()));
        }
        if amount > MAX_WORK {
            return Err(WorkError::TooLong(s.into()));
        }
        Ok(Work { kind, amount })
    }
}

/// A frame's work, handed out by the session (`ServerSession::next_work`)
/// and handed back to it when done (`ServerSession::work_done`). Until
/// then the frame's answer, and everything after it, is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkTicket {
    pub(crate) id: u64,
    /// What to do.
    pub work: Work,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_parses_with_every_unit() {
        let w: Work = "cpu:50us".parse().unwrap();
        assert_eq!(
            (w.kind, w.amount),
            (WorkKind::Cpu, Duration::from_micros(50))
        );
        let w: Work = "BLOCK:2ms".parse().unwrap();
        assert_eq!(
            (w.kind, w.amount),
            (WorkKind::Block, Duration::from_millis(2))
        );
        let w: Work = "wait:10s".parse().unwrap();
        assert_eq!((w.kind, w.amount), (WorkKind::Wait, MAX_WORK));
        let w: Work = "cpu:750ns".parse().unwrap();
        assert_eq!(w.amount, Duration::from_nanos(750));
        assert_eq!(
            "cpu:5µs".parse::<Work>().unwrap().amount,
            Duration::from_micros(5)
        );
    }

    #[test]
    fn bad_values_say_what_is_wrong() {
        let err = |s: &str| s.parse::<Work>().unwrap_err();
        assert!(matches!(err("cpu"), WorkError::Malformed(_)));
        assert!(matches!(err("sleep:2ms"), WorkError::Malformed(_)));
        assert!(matches!(err("cpu:"), WorkError::Malformed(_)));
        assert!(matches!(err("cpu:50"), WorkError::NoUnit(_)));
        assert!(matches!(err("cpu:0us"), WorkError::Zero(_)));
        assert!(matches!(err("wait:11s"), WorkError::TooLong(_)));
        assert!(matches!(err("wait:10001ms"), WorkError::TooLong(_)));
        assert!(matches!(
            err("block:99999999999999999999s"),
            WorkError::BadAmount(_)
        ));
        assert!(matches!(err("block:1.5ms"), WorkError::BadAmount(_)));
        assert!(matches!(err("block:2h"), WorkError::BadAmount(_)));
        for e in [err("cpu:50"), err("x"), err("wait:11s")] {
            let line = e.to_string();
            assert!(!line.contains('\n') && line.len() < 120, "{line}");
        }
    }

    #[test]
    fn work_shows_as_it_is_written() {
        for s in ["cpu:50us", "block:2ms", "wait:1s", "cpu:750ns"] {
            assert_eq!(s.parse::<Work>().unwrap().to_string(), s);
        }
        assert_eq!(human_duration(Duration::from_micros(1500)), "1.5ms");
    }

    #[test]
    fn only_cpu_work_costs_cpu() {
        let cpu: Work = "cpu:50us".parse().unwrap();
        let block: Work = "block:1ms".parse().unwrap();
        assert_eq!(block.cpu(), Duration::ZERO);
        assert_eq!(cpu.cpu(), cpu.amount);
        assert!(WorkKind::Cpu.holds_thread() && !WorkKind::Wait.holds_thread());
    }

    #[test]
    fn spin_depends_on_its_count() {
        assert_ne!(spin(10), spin(11));
    }
}
