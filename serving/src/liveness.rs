//! When a server gives up on a connection: after a stretch of inactivity
//! (no byte moved either way for the idle timeout), or when what it owes
//! or is owed moves slower than a minimum rate ([`MIN_RATE`] over
//! [`RATE_WINDOW`]). One socket-free policy, [`Liveness`], that each
//! driver (a connection's thread, the event loop, the ring) feeds with the
//! bytes it moved and the time, and asks for a [`Cut`].
//!
//! **Inactivity, not progress.** A large frame streamed slowly (a 16 MiB
//! echo sharing a loop with 99 others) completes no frame for a long
//! time, yet its bytes keep moving: it is busy, not idle. So the idle rule
//! counts bytes, in either direction, as nginx's `client_body_timeout` and
//! `send_timeout` ("between two successive read (write) operations") and
//! HAProxy's `timeout client` do. A slow honest transfer is never cut for
//! being large.
//!
//! **A minimum rate against dribbling.** A peer that sends one byte a
//! second is never idle by that rule, and would hold its slot forever
//! (slow-loris). While a frame is partly in and the session wants the
//! rest, the peer owes bytes: over each [`RATE_WINDOW`] it must deliver at
//! least [`MIN_RATE`] bytes a second on average, or the connection is cut
//! as too slow receiving (Apache's `mod_reqtimeout` `MinRate`). The same
//! rule guards the other direction: while answers wait to be sent, a peer
//! that reads them slower than the rate (or never) is cut as too slow
//! sending. What the server itself holds back (backpressure of a full
//! output, a frame's work) owes nothing: the windows run only while the
//! peer is the one to move. A `message` (typed by a person, kept whole
//! and bounded by `--max-message`) is judged by the idle rule alone.
//!
//! Every `Instant` comes from the driver, so the tests below are plain
//! arithmetic on hand-made times.

use std::fmt;
use std::time::{Duration, Instant};

use sockmodes_common::ServerSession;

/// The least a peer must move, in bytes a second averaged over
/// [`RATE_WINDOW`], while it owes a frame's bytes or reads our answers.
///
/// Why 500 B/s: Apache's `mod_reqtimeout` default `MinRate`, the long-used
/// figure for "slower than any honest client": a 2G mobile link moves ten
/// times that, and a 16 MiB frame shared by a hundred connections on
/// loopback moves thousands of times that. A slow-loris at 1 B/s is 500
/// times too slow; one at 499 B/s holds a slot for 20 s of every window at
/// the cost of sending 10 KB, which is what a server can afford.
pub const MIN_RATE: u64 = 500;

/// How long the rate is averaged over before a connection is judged.
///
/// Why 20 s: Apache's `mod_reqtimeout` default body timeout. Long enough
/// that a stall of a few seconds (a busy peer, a lost segment's
/// retransmission timeout, a scheduler hiccup on a loaded machine) is
/// averaged away; shorter than the 30 s idle timeout, so a peer that
/// trickles is let go no later than one that is silent.
pub const RATE_WINDOW: Duration = Duration::from_secs(20);

/// A minimum rate: `bytes_per_sec` averaged over `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinRate {
    /// Bytes a second, at least.
    pub bytes_per_sec: u64,
    /// Over this long.
    pub window: Duration,
}

impl Default for MinRate {
    /// [`MIN_RATE`] over [`RATE_WINDOW`].
    fn default() -> Self {
        MinRate {
            bytes_per_sec: MIN_RATE,
            window: RATE_WINDOW,
        }
    }
}

impl MinRate {
    /// The bytes owed over `elapsed` at this rate.
    pub fn owed(&self, elapsed: Duration) -> u64 {
        let owed = u128::from(self.bytes_per_sec) * elapsed.as_millis() / 1000;
        u64::try_from(owed).unwrap_or(u64::MAX)
    }
}

impl fmt::Display for MinRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} B/s over {:?}", self.bytes_per_sec, self.window)
    }
}

/// A server's limits on a connection's liveness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// No byte moved either way for this long: idle.
    pub idle: Duration,
    /// Owed bytes moving slower than this: too slow.
    pub min_rate: MinRate,
    /// The minimum rate applies (framed services; see the module's header).
    pub rated: bool,
}

impl Limits {
    /// How often a driver that cannot keep a timer per connection looks at
    /// its connections: a quarter of the shorter of the idle timeout and
    /// the rate's window, so a cut comes at most 25% late, and 10,000
    /// connections cost four looks per period.
    pub fn check_every(&self) -> Duration {
        let shortest = if self.rated {
            self.idle.min(self.min_rate.window)
        } else {
            self.idle
        };
        (shortest / 4).max(Duration::from_millis(10))
    }
}

/// Which way bytes were owed when a connection was cut as too slow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The peer sends a frame slower than the rate.
    Receiving,
    /// The peer reads its answers slower than the rate.
    Sending,
}

/// Why a connection is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// No byte moved either way for this long.
    Idle(Duration),
    /// Owed bytes moved slower than the rate.
    TooSlow(Direction, MinRate),
}

impl fmt::Display for Cut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cut::Idle(t) => write!(f, "idle for longer than {t:?}"),
            Cut::TooSlow(Direction::Receiving, r) => write!(f, "too slow receiving (under {r})"),
            Cut::TooSlow(Direction::Sending, r) => write!(f, "too slow sending (under {r})"),
        }
    }
}

/// What the peer owes at a moment: the rest of a frame, or the reading of
/// answers waiting to be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Owed {
    /// A frame is partly in and the session wants its rest.
    pub receiving: bool,
    /// Answers wait to be sent.
    pub sending: bool,
}

impl Owed {
    /// What `session` is owed; `sending` also when the driver holds output
    /// of its own (the completion server's send buffer).
    pub fn of(session: &ServerSession, driver_sending: bool) -> Owed {
        Owed {
            receiving: session.owes_input(),
            sending: driver_sending || !session.output().is_empty(),
        }
    }
}

/// One direction's rate windows: consecutive intervals of the window's
/// length, from when bytes became owed that way; each must carry the
/// rate's bytes. Bytes count in the interval they moved in, so an early
/// burst pays for its own interval only, never for a later trickle.
#[derive(Debug, Clone, Copy, Default)]
struct Window {
    /// Start of the current interval; `None`: nothing owed this way.
    since: Option<Instant>,
    /// Bytes moved in the current interval.
    bytes: u64,
    /// An interval that ended fell short of the rate.
    short: bool,
}

impl Window {
    /// Opens the window at `now` when bytes become owed this way, and
    /// closes it when none are.
    fn owed(&mut self, now: Instant, owed: bool) {
        if owed != self.since.is_some() {
            *self = Window {
                since: owed.then_some(now),
                ..Window::default()
            };
        }
    }

    /// `n` bytes moved at `now`, counted in the interval `now` is in (the
    /// ones that ended before it are judged first).
    fn moved(&mut self, now: Instant, n: u64, rate: &MinRate) {
        let Some(since) = self.since else {
            return;
        };
        let ended = interval_count(now.saturating_duration_since(since), rate.window);
        if ended > 0 {
            // The first interval that ended had `bytes`; any after it, none.
            self.short |= self.bytes < rate.owed(rate.window) || ended > 1;
            self.since = Some(since + rate.window * ended);
            self.bytes = 0;
        }
        self.bytes = self.bytes.saturating_add(n);
    }

    /// True when an interval that ended by `now` fell short of the rate.
    fn too_slow(&self, now: Instant, rate: &MinRate) -> bool {
        let Some(since) = self.since else {
            return false;
        };
        let ended = interval_count(now.saturating_duration_since(since), rate.window);
        self.short || (ended > 0 && (self.bytes < rate.owed(rate.window) || ended > 1))
    }

    /// When the next verdict of this window is due as of `now`: the end of
    /// the interval `now` is in (an interval that ended and met the rate
    /// is behind us, even before a byte rolls it over), or `now` when one
    /// fell short.
    fn due(&self, now: Instant, rate: &MinRate) -> Option<Instant> {
        let since = self.since?;
        if self.too_slow(now, rate) {
            return Some(now);
        }
        let ended = interval_count(now.saturating_duration_since(since), rate.window);
        Some(since + rate.window * (ended + 1))
    }
}

/// How many whole intervals of `window` fit in `elapsed`.
fn interval_count(elapsed: Duration, window: Duration) -> u32 {
    let n = elapsed.as_nanos() / window.as_nanos().max(1);
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// One connection's liveness: when a byte last moved, and the rate windows
/// of what it owes. The driver calls [`moved`](Self::moved) after each
/// read and write, [`owed`](Self::owed) after each turn, and
/// [`verdict`](Self::verdict) when it looks (each read's return, a sweep).
#[derive(Debug, Clone)]
pub struct Liveness {
    limits: Limits,
    last_moved: Instant,
    receiving: Window,
    sending: Window,
}

impl Liveness {
    /// A connection accepted at `now`.
    pub fn new(limits: Limits, now: Instant) -> Liveness {
        Liveness {
            limits,
            last_moved: now,
            receiving: Window::default(),
            sending: Window::default(),
        }
    }

    /// The limits it judges by.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// `received` and `sent` bytes moved at `now` (either may be 0).
    pub fn moved(&mut self, now: Instant, received: usize, sent: usize) {
        if received == 0 && sent == 0 {
            return;
        }
        self.last_moved = now;
        let rate = self.limits.min_rate;
        self.receiving.moved(now, received as u64, &rate);
        self.sending.moved(now, sent as u64, &rate);
    }

    /// The server's own work for this connection (`--work`) ended at
    /// `now`: the silence before it was the server's wait, not the peer's,
    /// so the idle clock starts again.
    pub fn worked(&mut self, now: Instant) {
        self.last_moved = self.last_moved.max(now);
    }

    /// What the peer owes as of `now` (see [`Owed::of`]): a window opens
    /// when bytes become owed that way, and closes when none are.
    pub fn owed(&mut self, now: Instant, owed: Owed) {
        let rated = self.limits.rated;
        self.receiving.owed(now, rated && owed.receiving);
        self.sending.owed(now, rated && owed.sending);
    }

    /// True while a rate window is open (a driver that sleeps in one
    /// connection's read wakes more often then: [`Limits::check_every`]).
    pub fn judging(&self) -> bool {
        self.receiving.since.is_some() || self.sending.since.is_some()
    }

    /// Why the connection must be cut at `now`, if it must: too slow
    /// either way (the more specific finding), else idle.
    pub fn verdict(&self, now: Instant) -> Option<Cut> {
        let rate = &self.limits.min_rate;
        if self.receiving.too_slow(now, rate) {
            return Some(Cut::TooSlow(Direction::Receiving, *rate));
        }
        if self.sending.too_slow(now, rate) {
            return Some(Cut::TooSlow(Direction::Sending, *rate));
        }
        if now.saturating_duration_since(self.last_moved) >= self.limits.idle {
            return Some(Cut::Idle(self.limits.idle));
        }
        None
    }

    /// As of `now`, the earliest time a verdict could be due with nothing
    /// moving: the idle timeout's end, or the end of an open window's
    /// current interval.
    pub fn due(&self, now: Instant) -> Instant {
        let rate = &self.limits.min_rate;
        [self.receiving.due(now, rate), self.sending.due(now, rate)]
            .into_iter()
            .flatten()
            .fold(self.last_moved + self.limits.idle, Instant::min)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    fn limits() -> Limits {
        Limits {
            idle: 30 * S,
            min_rate: MinRate::default(),
            rated: true,
        }
    }

    const RECEIVING: Owed = Owed {
        receiving: true,
        sending: false,
    };
    const SENDING: Owed = Owed {
        receiving: false,
        sending: true,
    };

    #[test]
    fn a_large_frame_moving_slowly_is_never_idle() {
        let t0 = Instant::now();
        let mut l = Liveness::new(limits(), t0);
        l.owed(t0, RECEIVING);
        // 16 MiB at 64 KiB a second: four minutes without a frame ending.
        for s in 1..=256 {
            let now = t0 + s * S;
            l.moved(now, 64 << 10, 64 << 10);
            l.owed(
                now,
                Owed {
                    receiving: true,
                    sending: true,
                },
            );
            assert_eq!(l.verdict(now), None, "at {s} s");
        }
    }

    #[test]
    fn silence_is_idle_after_the_timeout_in_either_direction() {
        let t0 = Instant::now();
        let mut l = Liveness::new(limits(), t0);
        assert_eq!(l.verdict(t0 + 29 * S), None);
        assert_eq!(
            l.verdict(t0 + 30 * S),
            Some(Cut::Idle(30 * S)),
            "at the limit"
        );
        l.moved(t0 + 29 * S, 0, 1);
        assert_eq!(l.verdict(t0 + 31 * S), None, "a byte sent is activity");
        assert_eq!(l.due(t0 + 31 * S), t0 + 59 * S);
    }

    #[test]
    fn a_slow_loris_is_cut_as_too_slow_receiving_after_one_window() {
        let t0 = Instant::now();
        let mut l = Liveness::new(limits(), t0);
        l.owed(t0, RECEIVING);
        for s in 1..20 {
            let now = t0 + s * S;
            l.moved(now, 1, 0);
            assert_eq!(l.verdict(now), None, "at {s} s");
        }
        let at = t0 + RATE_WINDOW;
        l.moved(at, 1, 0);
        assert_eq!(
            l.verdict(at),
            Some(Cut::TooSlow(Direction::Receiving, MinRate::default()))
        );
    }

    #[test]
    fn a_peer_that_does_not_read_is_cut_as_too_slow_sending() {
        let t0 = Instant::now();
        let mut l = Liveness::new(limits(), t0);
        l.moved(t0, 100, 64 << 10);
        l.owed(t0, SENDING);
        // It keeps sending (so it is not idle) but reads nothing.
        for s in 1..=20 {
            l.moved(t0 + s * S, 1000, 0);
        }
        assert_eq!(
            l.verdict(t0 + 20 * S),
            Some(Cut::TooSlow(Direction::Sending, MinRate::default()))
        );
    }

    #[test]
    fn a_window_runs_only_while_bytes_are_owed_that_way() {
        let t0 = Instant::now();
        let mut l = Liveness::new(limits(), t0);
        l.owed(t0, RECEIVING);
        l.owed(t0 + 10 * S, Owed::default()); // the frame ended (or backpressure)
        l.moved(t0 + 25 * S, 5, 0);
        l.owed(t0 + 25 * S, RECEIVING); // a new frame begins
        assert_eq!(l.verdict(t0 + 40 * S), None, "15 s into the new window");
        assert!(l.judging());
        assert_eq!(l.due(t0 + 40 * S), t0 + 45 * S);
        // Past an interval that met the rate, the next interval's end.
        l.moved(t0 + 44 * S, 20_000, 0);
        assert_eq!(l.due(t0 + 46 * S), t0 + 65 * S);
    }

    #[test]
    fn an_early_burst_pays_for_one_window_not_for_ever() {
        let t0 = Instant::now();
        let mut l = Liveness::new(limits(), t0);
        l.owed(t0, RECEIVING);
        l.moved(t0, 1 << 20, 0);
        // A byte a second afterwards: the interval that began with the
        // burst is met, the next one is not.
        for s in 1..=40 {
            l.moved(t0 + s * S, 1, 0);
        }
        assert!(matches!(
            l.verdict(t0 + 40 * S),
            Some(Cut::TooSlow(Direction::Receiving, _))
        ));
    }

    #[test]
    fn above_the_rate_a_peer_is_kept_and_the_message_service_has_no_rate() {
        let t0 = Instant::now();
        let mut l = Liveness::new(limits(), t0);
        l.owed(t0, RECEIVING);
        for s in 1..=100 {
            l.moved(t0 + s * S, MIN_RATE as usize + 100, 0);
            assert_eq!(l.verdict(t0 + s * S), None, "at {s} s");
        }
        let typed = Limits {
            rated: false,
            ..limits()
        };
        let mut person = Liveness::new(typed, t0);
        person.owed(t0, RECEIVING);
        for s in 1..=100 {
            person.moved(t0 + s * S, 1, 0);
        }
        assert_eq!(person.verdict(t0 + 100 * S), None);
        assert!(!person.judging());
    }

    #[test]
    fn a_burst_then_silence_is_judged_when_its_interval_ends() {
        let t0 = Instant::now();
        let patient = Limits {
            idle: 60 * S,
            ..limits()
        };
        let mut l = Liveness::new(patient, t0);
        l.owed(t0, SENDING);
        l.moved(t0, 0, 64 << 10); // the kernel's buffers take a burst...
        assert_eq!(l.verdict(t0 + 39 * S), None, "its interval met the rate");
        // ...then the peer reads nothing: the next interval carries none.
        assert!(matches!(
            l.verdict(t0 + 40 * S),
            Some(Cut::TooSlow(Direction::Sending, _))
        ));
        assert_eq!(l.due(t0 + 39 * S), t0 + 40 * S, "the second interval's end");
        assert_eq!(l.due(t0 + 41 * S), t0 + 41 * S, "short: due now");
    }

    #[test]
    fn a_driver_looks_four_times_per_shortest_limit() {
        assert_eq!(limits().check_every(), 5 * S);
        let short_idle = Limits {
            idle: 2 * S,
            ..limits()
        };
        assert_eq!(short_idle.check_every(), S / 2);
        let unrated = Limits {
            rated: false,
            ..limits()
        };
        assert_eq!(unrated.check_every(), 30 * S / 4);
    }

    #[test]
    fn a_cut_says_why() {
        let r = MinRate::default();
        assert_eq!(
            Cut::TooSlow(Direction::Receiving, r).to_string(),
            "too slow receiving (under 500 B/s over 20s)"
        );
        assert_eq!(
            Cut::TooSlow(Direction::Sending, r).to_string(),
            "too slow sending (under 500 B/s over 20s)"
        );
        assert_eq!(Cut::Idle(30 * S).to_string(), "idle for longer than 30s");
    }
}
