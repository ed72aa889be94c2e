//! How a server connection ends: why ([`End`]), and so how its socket
//! closes ([`End::close`]: at once, with a lingering close, or with a
//! reset; the one rule every server follows); the lingering close's state
//! and bounds ([`Closing`]), and the sweep that finds idle and expired
//! connections ([`sweep`], and over a thread's connections [`sweep_all`])
//! and how long such a thread may sleep ([`sleep_for`]), which the event
//! loop and the completion server share (the non-blocking server's
//! `closing.rs` tells the story). The blocking server lingers in the
//! connection's own thread with timeouts instead (`linger` in its
//! `connection.rs`), for the same reasons.

use std::io;
use std::time::{Duration, Instant};

use core::net::SocketAddr;

use tracing::{debug, info, warn};

use sockmodes_common::session::SessionError;
use sockmodes_common::Service;

use crate::config::{LINGER_GAP, LINGER_TIME};
use crate::liveness::{Cut, Direction};
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
    /// Cut by the liveness rules: idle, or too slow (`liveness.rs`).
    #[error("{0}")]
    Cut(Cut),
    /// Still open when the shutdown deadline passed.
    #[error("cut at the shutdown deadline")]
    ShutdownDeadline,
    /// At rest when the server began to stop.
    #[error("server stopping")]
    Stopping,
}

/// How a server closes a connection's socket once the connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Close {
    /// At once, with end of stream: nothing is left to protect.
    Now,
    /// A lingering close ([`Closing`]): answers flushed, write side shut,
    /// input read and discarded until the peer closes.
    Linger,
    /// At once with a reset (`SO_LINGER` 0): the peer's `message` was not
    /// read whole. A `message` has no answer a reset could destroy, and an
    /// end of stream is what tells its sender the server read it, so
    /// anything else would confirm a message the server dropped.
    Reset,
}

impl End {
    /// How a connection of `service` that ended this way is closed: with a
    /// lingering close wherever the peer may still be sending and may be
    /// owed answers, so it never loses one to a reset. A finished
    /// connection already read the peer's end of stream, and a failed
    /// socket has nothing left to protect. (A write that timed out is not
    /// a failed socket but a peer that does not read: the blocking server
    /// ends it as [`End::Cut`], as the others' sweep does.)
    pub fn close(&self, service: Service) -> Close {
        match self {
            End::Finished | End::Io(_) => Close::Now,
            _ if service == Service::Message => Close::Reset,
            _ => Close::Linger,
        }
    }

    /// Logs why the connection with `peer` ends, and counts cuts and
    /// protocol errors in `stats`. A cut's line goes through the server's
    /// log throttle at `now` (a flood of slow peers writes one a second).
    pub fn note(&self, peer: SocketAddr, stats: &ServerStats, now: Instant) {
        match self {
            End::Finished => debug!(%peer, "connection finished"),
            End::Protocol(e) => {
                stats.note_protocol_error();
                warn!(%peer, error = %e, "connection closed: protocol error");
            }
            End::Io(e) => info!(%peer, error = %e, "connection closed: socket error"),
            End::Cut(cut) => {
                if let Some(suppressed) = stats.note_cut(cut, now) {
                    let reason = match cut {
                        Cut::Idle(_) => "idle",
                        Cut::TooSlow(Direction::Receiving, _) => "too slow receiving",
                        Cut::TooSlow(Direction::Sending, _) => "too slow sending",
                    };
                    info!(%peer, reason, why = %cut, suppressed, "connection closed: {reason}");
                }
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

    /// When [`expired`](Self::expired) turns true if the peer sends nothing
    /// more: for a driver that waits on a timer for it (tokio's tasks)
    /// rather than asking at each sweep.
    pub fn expires_at(&self) -> Instant {
        let all = self.since + LINGER_TIME;
        if self.shut {
            all.min(self.last_read + LINGER_GAP)
        } else {
            all
        }
    }
}

/// How often lingering connections are looked at while any exist.
///
/// Why 50 ms: a tenth of [`LINGER_GAP`], so a silent peer is let go at most
/// 10% late; it costs twenty wake-ups a second only while some connection
/// is closing.
pub const LINGER_TICK: Duration = Duration::from_millis(50);

/// When the next sweep is due: after `every` (the liveness rules'
/// [`Limits::check_every`](crate::liveness::Limits::check_every)), or a
/// [`LINGER_TICK`] while some connection is lingering.
pub fn next_sweep(now: Instant, every: Duration, lingering: bool) -> Instant {
    now + if lingering {
        every.min(LINGER_TICK)
    } else {
        every
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

/// What one sweep over an I/O thread's connections found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sweeping {
    /// Lingering closes past a bound: close their sockets.
    pub expired: Vec<usize>,
    /// Open connections the liveness rules cut: begin their lingering close.
    pub cut: Vec<(usize, Cut)>,
}

/// One connection as the sweep sees it: its key, its lingering close
/// (`None`: open), its liveness verdict now
/// ([`Liveness::verdict`](crate::liveness::Liveness::verdict)), and whether
/// it waits for its work (the pool, a timer), which is not idleness.
pub type SweepEntry<'a> = (usize, Option<&'a Closing>, Option<Cut>, bool);

/// The sweep of an I/O thread that serves many connections (the event
/// loop, the ring), at `now`: `None` when there is nothing to do (no
/// connection is open, `any_open` false, and then no sweep stays planned;
/// or `next`, the one planned, is not due), else the verdicts on `conns`,
/// read only then: a lingering close past its bound is to be closed, and
/// an open connection the liveness rules cut (idle, too slow) begins its
/// lingering close. The caller acts on them, then plans the next with
/// [`next_sweep`].
pub fn sweep_all<'a>(
    next: &mut Option<Instant>,
    now: Instant,
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
    for (key, closing, verdict, working) in conns {
        match (closing, verdict) {
            (Some(c), _) if c.expired(now) => found.expired.push(key),
            (None, Some(Cut::Idle(_))) if working => {}
            (None, Some(cut)) => found.cut.push((key, cut)),
            _ => {}
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
    fn a_lingering_close_expires_when_it_says_it_will() {
        let now = Instant::now();
        let mut closing = Closing::begun(now);
        assert_eq!(
            closing.expires_at(),
            now + LINGER_TIME,
            "not shut: the whole bound"
        );
        closing.shut = true;
        closing.last_read = now + LINGER_TIME - LINGER_GAP / 2;
        assert_eq!(
            closing.expires_at(),
            now + LINGER_TIME,
            "the whole bound comes first"
        );
        closing.last_read = now + Duration::from_millis(1);
        for shut in [false, true] {
            closing.shut = shut;
            let at = closing.expires_at();
            assert!(closing.expired(at), "shut {shut}");
            assert!(
                !closing.expired(at - Duration::from_millis(1)),
                "shut {shut}"
            );
        }
    }

    #[test]
    fn the_sweep_closes_expired_lingerers_and_cuts_what_liveness_cuts() {
        let now = Instant::now();
        let idle = Cut::Idle(Duration::from_secs(1));
        let long_ago = now - Duration::from_secs(5);
        let fresh = Closing::begun(now);
        let old = Closing {
            since: long_ago,
            last_read: long_ago,
            shut: true,
        };
        let conns = [
            (0, None, None, false),
            (1, None, Some(idle), false),
            (2, Some(&fresh), Some(idle), false),
            (3, Some(&old), None, false),
        ];
        assert_eq!(
            sweep_all(&mut None, now, true, conns),
            Some(Sweeping {
                expired: vec![3],
                cut: vec![(1, idle)],
            }),
            "open and fine: kept; open and cut: cut; lingering: kept until expired"
        );
        for service in [Service::Echo, Service::Sink] {
            assert_eq!(End::Stopping.close(service), Close::Linger);
            assert_eq!(End::Cut(idle).close(service), Close::Linger);
            assert_eq!(End::Finished.close(service), Close::Now);
        }
        let every = Duration::from_secs(15);
        assert_eq!(next_sweep(now, every, false), now + every);
        assert_eq!(next_sweep(now, every, true), now + LINGER_TICK);
    }

    #[test]
    fn a_message_not_read_whole_is_reset_and_a_read_one_closes() {
        let too_large = End::Protocol(SessionError::MessageTooLarge { max: 1 });
        let idle = Cut::Idle(Duration::from_secs(1));
        for end in [
            too_large,
            End::Cut(idle),
            End::ShutdownDeadline,
            End::Stopping,
        ] {
            assert_eq!(end.close(Service::Message), Close::Reset, "{end}");
        }
        assert_eq!(End::Finished.close(Service::Message), Close::Now);
        let failed = End::Io(io::ErrorKind::ConnectionReset.into());
        assert_eq!(failed.close(Service::Message), Close::Now);
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
        use crate::liveness::{Direction, MinRate};
        let now = Instant::now();
        let idle = Cut::Idle(Duration::from_secs(1));
        let slow = Cut::TooSlow(Direction::Receiving, MinRate::default());
        let long_ago = now - Duration::from_secs(5);
        let old = Closing {
            since: long_ago,
            last_read: long_ago,
            shut: true,
        };
        let conns = [
            (0, None, None, false),
            (1, None, Some(idle), false),
            (2, None, Some(idle), true),
            (3, Some(&old), None, false),
            (4, None, Some(slow), true),
        ];
        let mut next = Some(now + Duration::from_secs(1));
        assert_eq!(sweep_all(&mut next, now, true, conns), None, "not due");
        next = Some(now);
        let found = sweep_all(&mut next, now, true, conns).expect("due");
        assert_eq!(
            found.cut,
            [(1, idle), (4, slow)],
            "2 waits for its work, which is not idleness"
        );
        assert_eq!(found.expired, [3]);
        assert_eq!(sweep_all(&mut next, now, false, []), None);
        assert_eq!(next, None, "no connection: none planned");
    }
}
