//! How a server connection ends: why ([`End`]), and so whether with a
//! lingering close ([`End::lingers`], the one rule all three servers
//! follow); the lingering close's state and bounds ([`Closing`]), and the
//! sweep that finds idle and expired connections ([`sweep`], and over a
//! thread's connections [`sweep_all`]) and how long such a thread may
//! sleep ([`sleep_for`]), which the event loop and the completion server
//! share (the non-blocking server's `closing.rs` tells the story). The blocking server lingers in the
//! connection's own thread with timeouts instead (`linger` in its
//! `connection.rs`), for the same reasons.

use std::io;
use std::time::{Duration, Instant};

use core::net::SocketAddr;

use tracing::{debug, info, warn};

use sockmodes_common::session::SessionError;

use crate::config::{LINGER_GAP, LINGER_TIME};
use crate::stats::ServerStats;

/// Why a connection ended.
#[derive(Debug, thiserror::Error)]
pub enum End {
    /// Finished normally.
    #[error("finished")]
    Finished,
    /// Protocol violation.
    #[error("protocol error: {0}")]
    Protocol(#[from] SessionError),
    /// Socket error.
    #[error("socket error: {0}")]
    Io(#[from] io::Error),
    /// No frame completed within the idle timeout.
    #[error("idle for longer than {0:?}")]
    IdleTimeout(Duration),
    /// Still open when the shutdown deadline passed.
    #[error("cut at the shutdown deadline")]
    ShutdownDeadline,
    /// At rest when the server began to stop.
    #[error("server stopping")]
    Stopping,
}

impl End {
    /// True when the connection ends with a lingering close (write side
    /// shut, input read and discarded until the peer closes) rather than at
    /// once: whenever the peer may still be sending. A finished connection
    /// already read the peer's end of stream, and a failed socket has
    /// nothing left to protect. (A write that timed out is not a failed
    /// socket but a peer that does not read: the blocking server ends it
    /// as [`End::IdleTimeout`], as the others' idle sweep does.)
    pub fn lingers(&self) -> bool {
        !matches!(self, End::Finished | End::Io(_))
    }

    /// Logs why the connection with `peer` ends, and counts timeouts and
    /// protocol errors in `stats`.
    pub fn note(&self, peer: SocketAddr, stats: &ServerStats) {
        match self {
            End::Finished => debug!(%peer, "connection finished"),
            End::Protocol(e) => {
                stats.note_protocol_error();
                warn!(%peer, error = %e, "connection closed: protocol error");
            }
            End::Io(e) => info!(%peer, error = %e, "connection closed: socket error"),
            End::IdleTimeout(t) => {
                stats.note_timeout();
                info!(%peer, timeout = ?t, "connection closed: idle timeout");
            }
            End::ShutdownDeadline => info!(%peer, "connection closed: shutdown deadline"),
            End::Stopping => debug!(%peer, "connection closed: server stopping"),
        }
    }
}

/// A connection in its lingering close: answers flushed, write side shut,
/// input read and discarded until the peer closes or a bound passes.
#[derive(Debug, Clone, Copy)]
pub struct Closing {
    /// When the lingering began ([`LINGER_TIME`] bounds it).
    pub since: Instant,
    /// Last time the peer sent something ([`LINGER_GAP`] bounds the wait).
    pub last_read: Instant,
    /// The write side has been shut (after the output was flushed).
    pub shut: bool,
}

impl Closing {
    /// A lingering close beginning at `now` (time is the driver's).
    pub fn begun(now: Instant) -> Closing {
        Closing {
            since: now,
            last_read: now,
            shut: false,
        }
    }

    /// True once a bound has passed and the socket must simply close.
    pub fn expired(&self, now: Instant) -> bool {
        now.duration_since(self.since) >= LINGER_TIME
            || (self.shut && now.duration_since(self.last_read) >= LINGER_GAP)
    }
}

/// How often lingering connections are looked at while any exist.
///
/// Why 50 ms: a tenth of [`LINGER_GAP`], so a silent peer is let go at most
/// 10% late; it costs twenty wake-ups a second only while some connection
/// is closing.
pub const LINGER_TICK: Duration = Duration::from_millis(50);

/// How often idle connections are looked for.
///
/// Why a quarter of the timeout: a connection is closed between 1x and
/// 1.25x its idle timeout, and a loop with 10,000 idle connections wakes
/// four times per timeout to check them instead of keeping a timer per
/// connection.
pub fn sweep_interval(idle: Duration) -> Duration {
    (idle / 4).max(Duration::from_millis(10))
}

/// When the next sweep is due: after [`sweep_interval`], or a
/// [`LINGER_TICK`] while some connection is lingering.
pub fn next_sweep(now: Instant, idle: Duration, lingering: bool) -> Instant {
    let next = now + sweep_interval(idle);
    if lingering {
        next.min(now + LINGER_TICK)
    } else {
        next
    }
}

/// How long an I/O thread that serves many connections may sleep at `now`
/// before something is due without an event: the shutdown deadline
/// `stop_at` (once past, the end of the lingering closes it allows,
/// [`LINGER_TIME`] later) and each of `due` (the next sweep, an accept
/// retry, a wait's timer). `None`: until an event; no timer, no spin.
pub fn sleep_for(
    now: Instant,
    stop_at: Option<Instant>,
    due: impl IntoIterator<Item = Option<Instant>>,
) -> Option<Duration> {
    let stop = stop_at.map(|t| if now >= t { t + LINGER_TIME } else { t });
    due.into_iter()
        .chain([stop])
        .flatten()
        .min()
        .map(|t| t.saturating_duration_since(now))
}

/// What the sweep does with one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Swept {
    /// Nothing now.
    Keep,
    /// Its lingering close passed a bound: close the socket.
    Expired,
    /// No frame for longer than the idle timeout: begin its lingering close.
    Idle,
}

/// The sweep's verdict on a connection whose lingering close is `closing`
/// (`None`: open) and whose last frame completed at `last_progress`.
pub fn sweep(
    closing: Option<&Closing>,
    last_progress: Instant,
    now: Instant,
    idle: Duration,
) -> Swept {
    match closing {
        Some(c) if c.expired(now) => Swept::Expired,
        Some(_) => Swept::Keep,
        None if now.duration_since(last_progress) > idle => Swept::Idle,
        None => Swept::Keep,
    }
}

/// What one sweep over an I/O thread's connections found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sweeping {
    /// Lingering closes past a bound: close their sockets.
    pub expired: Vec<usize>,
    /// Open connections idle past the timeout: begin their lingering close.
    pub idled: Vec<usize>,
}

/// One connection as the sweep sees it: its key, its lingering close
/// (`None`: open), when its last frame completed, and whether it waits for
/// its work (the pool, a timer), which is not idleness.
pub type SweepEntry<'a> = (usize, Option<&'a Closing>, Instant, bool);

/// The sweep of an I/O thread that serves many connections (the event
/// loop, the ring), at `now`: `None` when there is nothing to do (no
/// connection is open, `any_open` false, and then no sweep stays planned;
/// or `next`, the one planned, is not due), else [`sweep`]'s verdicts on
/// `conns`, read only then. The caller acts on them, then plans the next
/// with [`next_sweep`].
pub fn sweep_all<'a>(
    next: &mut Option<Instant>,
    now: Instant,
    idle: Duration,
    any_open: bool,
    conns: impl IntoIterator<Item = SweepEntry<'a>>,
) -> Option<Sweeping> {
    if !any_open {
        *next = None;
        return None;
    }
    if next.is_some_and(|t| now < t) {
        return None;
    }
    let mut found = Sweeping::default();
    for (key, closing, last_progress, working) in conns {
        match sweep(closing, last_progress, now, idle) {
            Swept::Expired => found.expired.push(key),
            Swept::Idle if working => {}
            Swept::Idle => found.idled.push(key),
            Swept::Keep => {}
        }
    }
    if !found.expired.is_empty() {
        debug!(
            closed = found.expired.len(),
            "lingering closes ended at their bound"
        );
    }
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sweep_closes_expired_lingerers_and_idles_the_silent() {
        let now = Instant::now();
        let idle = Duration::from_secs(1);
        let long_ago = now - Duration::from_secs(5);
        assert_eq!(sweep(None, now, now, idle), Swept::Keep);
        assert_eq!(sweep(None, long_ago, now, idle), Swept::Idle);
        let fresh = Closing::begun(now);
        assert_eq!(sweep(Some(&fresh), long_ago, now, idle), Swept::Keep);
        let old = Closing {
            since: long_ago,
            last_read: long_ago,
            shut: true,
        };
        assert_eq!(sweep(Some(&old), now, now, idle), Swept::Expired);
        assert!(End::Stopping.lingers() && !End::Finished.lingers());
        assert_eq!(
            sweep_interval(Duration::from_secs(60)),
            Duration::from_secs(15)
        );
    }

    #[test]
    fn a_thread_sleeps_until_the_earliest_due_and_past_the_deadline_until_the_lingering_ends() {
        let now = Instant::now();
        let s = Duration::from_secs(1);
        assert_eq!(sleep_for(now, None, [None, None]), None, "until an event");
        assert_eq!(
            sleep_for(now, None, [Some(now + 2 * s), Some(now + s)]),
            Some(s)
        );
        assert_eq!(sleep_for(now, Some(now + s), [Some(now + 3 * s)]), Some(s));
        let passed = now - s;
        assert_eq!(
            sleep_for(now, Some(passed), [None]),
            Some(LINGER_TIME - s),
            "past the deadline: until the lingering closes' bound"
        );
        assert_eq!(sleep_for(now, None, [Some(passed)]), Some(Duration::ZERO));
    }

    #[test]
    fn a_sweep_runs_when_due_and_spares_a_connection_waiting_for_work() {
        let now = Instant::now();
        let idle = Duration::from_secs(1);
        let long_ago = now - Duration::from_secs(5);
        let old = Closing {
            since: long_ago,
            last_read: long_ago,
            shut: true,
        };
        let conns = [
            (0, None, now, false),
            (1, None, long_ago, false),
            (2, None, long_ago, true),
            (3, Some(&old), now, false),
        ];
        let mut next = Some(now + idle);
        assert_eq!(
            sweep_all(&mut next, now, idle, true, conns),
            None,
            "not due"
        );
        next = Some(now);
        let found = sweep_all(&mut next, now, idle, true, conns).expect("due");
        assert_eq!(found.idled, [1], "2 waits for its work");
        assert_eq!(found.expired, [3]);
        assert_eq!(sweep_all(&mut next, now, idle, false, []), None);
        assert_eq!(next, None, "no connection: none planned");
    }
}
