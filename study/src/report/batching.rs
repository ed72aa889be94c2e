//! How much a server batches, and the measured cause of a verdict that
//! depends on the client.
//!
//! A server that waits for many sockets at once (the event loop, the ring)
//! answers as many messages per wake-up as the client makes ready between
//! two of its waits: a client that sends one connection at a time (a
//! thread per connection, each thread writing as its answer comes back)
//! may make fewer ready at once than one that writes a whole batch per
//! turn (an event loop). Those servers count their own wake-ups
//! (`StatsSnapshot::wakeups`); the thread per connection has none to count
//! (each thread sleeps in its own read) and tokio's are inside its
//! runtime, so their figure is their context switches per message, from
//! `/proc`.
//!
//! Where the cross-check's cells disagree, [`measured_cause`] looks for
//! the figure that moved with the driver the way the server fared: first
//! the batching of either server between two drivers that gave different
//! verdicts, beyond noise ([`compare`]); else its CPU per message (a loop
//! preempted by a hundred client threads spends more per message whatever
//! it batches); else it says the cause is not measured. Everything here is
//! computed from windows, so the tests build points by hand.

use serde::{Deserialize, Serialize};

use crate::driver::Driver;
use crate::stats::{compare, Spread, Verdict};
use crate::sweep::Point;
use crate::target::Target;

/// The figure that tells a cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Figure {
    /// Messages answered per wake-up, the server's own count: the event
    /// loop and the ring.
    MsgsPerWakeup,
    /// Context switches per message, from `/proc`: a server that counts
    /// no wake-up (a thread per connection, tokio), or a run before the
    /// count.
    SwitchesPerMsg,
    /// Server CPU µs per message: the cause when batching did not move.
    CpuPerMsg,
}

impl Figure {
    /// The figure's value, window by window.
    fn windows(self, p: &Point) -> Vec<f64> {
        match self {
            Figure::MsgsPerWakeup => p.msgs_per_wakeup_windows(),
            Figure::SwitchesPerMsg => p.switches_windows(),
            Figure::CpuPerMsg => p.cpu_windows(),
        }
    }

    /// What the server did, with its value: "answered 9.0 messages per
    /// wake-up".
    fn said(self, value: f64) -> String {
        match self {
            Figure::MsgsPerWakeup => format!("answered {value:.1} messages per wake-up"),
            Figure::SwitchesPerMsg => format!("made {value:.2} context switches per message"),
            Figure::CpuPerMsg => format!("spent {value:.1} µs of CPU per message"),
        }
    }

    /// Whether `x` of this figure is worse for a server than `y`: fewer
    /// messages per wake-up, more switches or CPU per message.
    fn worse(self, x: f64, y: f64) -> bool {
        match self {
            Figure::MsgsPerWakeup => x < y,
            Figure::SwitchesPerMsg | Figure::CpuPerMsg => x > y,
        }
    }
}

/// The batching figure of a server's point: messages per wake-up where it
/// counted them in every window, else context switches per message.
fn batching_figure(p: &Point) -> Figure {
    let counted = p.msgs_per_wakeup_windows().len();
    if counted > 0 && counted == p.windows.len() {
        Figure::MsgsPerWakeup
    } else {
        Figure::SwitchesPerMsg
    }
}

/// How much one server batched in one cell.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    pub figure: Figure,
    pub spread: Spread,
    /// Readiness events or completions per wake-up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Spread>,
}

impl Batch {
    /// `p`'s batching; `None` where the server's costs were not measured.
    pub fn of(p: &Point) -> Option<Batch> {
        let figure = batching_figure(p);
        Some(Batch {
            figure,
            spread: Spread::of(figure.windows(p))?,
            events: match figure {
                Figure::MsgsPerWakeup => Spread::of(p.events_per_wakeup_windows()),
                _ => None,
            },
        })
    }

    /// "9.0 (8.1-9.6) msg/wake-up, 11.2 (10.0-12.0) events" or "1.90
    /// (1.80-2.00) switches/msg".
    pub fn show(&self) -> String {
        match self.figure {
            Figure::MsgsPerWakeup => {
                let events = self
                    .events
                    .map_or(String::new(), |e| format!(", {} events", e.show(1)));
                format!("{} msg/wake-up{events}", self.spread.show(1))
            }
            Figure::SwitchesPerMsg => format!("{} switches/msg", self.spread.show(2)),
            Figure::CpuPerMsg => format!("{} µs CPU/msg", self.spread.show(1)),
        }
    }
}

/// Whether any of `points` counted its wake-ups: a run made before the
/// servers counted them shows no batching (its pages stay as published).
pub fn counted<'a>(mut points: impl Iterator<Item = &'a Point>) -> bool {
    points.any(|p| !p.msgs_per_wakeup_windows().is_empty())
}

/// One driver's cell of a pair of servers: its verdict on `a` against
/// `b`, and the two servers' points.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    pub driver: Driver,
    pub verdict: Verdict,
    pub a: &'a Point,
    pub b: &'a Point,
}

/// One server's figure under one driver.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Under {
    pub driver: Driver,
    pub spread: Spread,
}

/// What moved with the driver where the verdicts disagree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measured {
    /// `server`'s `figure` differed beyond noise between two drivers
    /// whose verdicts differ (the largest such difference).
    Differs {
        server: Target,
        figure: Figure,
        first: Under,
        second: Under,
    },
    /// Neither server's batching nor its CPU per message differed beyond
    /// noise between the drivers that disagree.
    NotMeasured,
}

/// Whether `a` fared worse against `b` under `x` than under `y` (the ratio
/// of their messages/s medians lower); `None` where they fared the same.
fn a_worse_under(x: &Side, y: &Side) -> Option<bool> {
    let ratio = |s: &Side| Some(s.a.msgs()?.median / s.b.msgs()?.median.max(1e-12));
    let (rx, ry) = (ratio(x)?, ratio(y)?);
    (rx != ry).then_some(rx < ry)
}

/// The rule: between every two drivers with different verdicts, each
/// server's batching, compared by the noise rule; a difference beyond
/// noise that goes the way the server fared (worse batching under the
/// driver where it fared worse against the other server) is a cause, the
/// largest one the cause, two drivers of one placement before two of
/// different placements (then only the client's engine differs). Where
/// none, the same with CPU per message; where none either, the cause is
/// not measured. A difference the other way explains nothing: it is left
/// to the table, which shows every cell's batching.
pub fn measured_cause(sides: &[Side]) -> Measured {
    // The batching of a server under two drivers, by the figure both have.
    let batching = |p: &Point, q: &Point| match (batching_figure(p), batching_figure(q)) {
        (Figure::MsgsPerWakeup, Figure::MsgsPerWakeup) => Figure::MsgsPerWakeup,
        _ => Figure::SwitchesPerMsg,
    };
    for cpu_stage in [false, true] {
        let figure_of = |p: &Point, q: &Point| match cpu_stage {
            false => batching(p, q),
            true => Figure::CpuPerMsg,
        };
        let mut best: Option<((bool, f64), Measured)> = None;
        for (i, x) in sides.iter().enumerate() {
            for y in sides[i + 1..].iter().filter(|y| y.verdict != x.verdict) {
                let Some(a_worse) = a_worse_under(x, y) else {
                    continue;
                };
                let slots = [
                    (x.a.target, x.a, y.a, a_worse),
                    (x.b.target, x.b, y.b, !a_worse),
                ];
                for (server, p, q, worse_under_x) in slots {
                    let figure = figure_of(p, q);
                    let (wp, wq) = (figure.windows(p), figure.windows(q));
                    if compare(&wp, &wq) == Verdict::NoDifference {
                        continue;
                    }
                    let (Some(sp), Some(sq)) = (Spread::of(wp), Spread::of(wq)) else {
                        continue;
                    };
                    if figure.worse(sp.median, sq.median) != worse_under_x {
                        continue;
                    }
                    let size = (sp.median.max(1e-12) / sq.median.max(1e-12)).ln().abs();
                    let rank = (x.driver.placement == y.driver.placement, size);
                    if best.as_ref().is_none_or(|(b, _)| rank > *b) {
                        let under = |driver, spread| Under { driver, spread };
                        best = Some((
                            rank,
                            Measured::Differs {
                                server,
                                figure,
                                first: under(x.driver, sp),
                                second: under(y.driver, sq),
                            },
                        ));
                    }
                }
            }
        }
        if let Some((_, m)) = best {
            return m;
        }
    }
    Measured::NotMeasured
}

/// The measured cause in words: `long` for the cross-check table
/// ("measured, its batching: with the blocking client, unpinned, the
/// nonblocking server answered 1.3 messages per wake-up (median), against
/// 9.0 with the nonblocking client, unpinned"), else for a finding's
/// sentence, without its commas ("measured: completion answered 9.0
/// messages per wake-up with the nonblocking client (split) against 1.3
/// with the blocking client (split)").
pub fn words(m: &Measured, long: bool) -> String {
    let Measured::Differs {
        server,
        figure,
        first,
        second,
    } = m
    else {
        return if long {
            "the cause is not measured: neither server's batching nor its CPU per message differed \
             beyond noise between the drivers that disagree"
        } else {
            "cause not measured (neither batching nor CPU per message moved beyond noise)"
        }
        .into();
    };
    let with = |d: Driver| match long {
        true => d.describe(),
        false => format!("{} client ({})", d.engine.name(), d.placement.name()),
    };
    let what = match (figure, long) {
        (Figure::CpuPerMsg, true) => "measured, not its batching but its CPU: ",
        (_, true) => "measured, its batching: ",
        (Figure::CpuPerMsg, false) => "measured: not batching but CPU: ",
        (_, false) => "measured: ",
    };
    let digits = if *figure == Figure::SwitchesPerMsg {
        2
    } else {
        1
    };
    let (did, against) = (
        figure.said(first.spread.median),
        format!("{:.digits$}", second.spread.median),
    );
    let (server, one, other) = (server.name(), with(first.driver), with(second.driver));
    if long {
        format!("{what}with the {one}, the {server} server {did} (median), against {against} with the {other}")
    } else {
        format!("{what}{server} {did} with the {one} against {against} with the {other}")
    }
}

#[cfg(test)]
mod tests {
    use sockmodes_models::Model;

    use super::*;
    use crate::affinity::Placement;
    use crate::report::fixture::{point, EVENT_LOOP, EVENT_LOOP_MODEL, THREADS, THREADS_MODEL};

    const MSGS: [f64; 5] = [100e3; 5];

    fn driver(engine: Model) -> Driver {
        Driver {
            engine,
            placement: Placement::Unpinned,
        }
    }

    /// The event loop ahead of the thread per connection.
    const MORE: [f64; 5] = [160e3, 165e3, 170e3, 175e3, 180e3];

    /// A point of `target` of `msgs` messages/s whose windows counted
    /// `per_wakeup` messages per wake-up (empty: none counted), at `cpu` µs
    /// per message.
    fn counted_point(target: Target, msgs: &[f64], per_wakeup: &[f64], cpu: f64) -> Point {
        let mut p = point(target, 100, msgs);
        for (i, w) in p.windows.iter_mut().enumerate() {
            let c = w.cost.as_mut().expect("the fixture's cost");
            c.msgs_per_wakeup = per_wakeup.get(i).copied();
            c.events_per_wakeup = per_wakeup.get(i).map(|m| m * 1.5);
            (c.user_us_per_msg, c.system_us_per_msg) = (cpu / 2.0, cpu / 2.0);
        }
        p
    }

    const FEW: [f64; 5] = [1.2, 1.3, 1.3, 1.4, 1.3];
    const MANY: [f64; 5] = [8.5, 9.0, 9.2, 8.8, 9.4];

    fn side<'a>(engine: Model, verdict: Verdict, a: &'a Point, b: &'a Point) -> Side<'a> {
        Side {
            driver: driver(engine),
            verdict,
            a,
            b,
        }
    }

    #[test]
    fn batching_that_moved_with_the_driver_the_way_the_server_fared_is_the_cause() {
        // The thread client: a tie, and the loop found 1.3 messages a
        // wake-up; the loop client: the loop ahead, with 9 a wake-up.
        let b = point(THREADS, 100, &MSGS);
        let l1 = counted_point(EVENT_LOOP, &MSGS, &FEW, 7.9);
        let l2 = counted_point(EVENT_LOOP, &MORE, &MANY, 6.1);
        let sides = [
            side(THREADS_MODEL, Verdict::NoDifference, &b, &l1),
            side(EVENT_LOOP_MODEL, Verdict::Lower, &b, &l2),
        ];
        let m = measured_cause(&sides);
        let Measured::Differs {
            server,
            figure,
            first,
            second,
        } = &m
        else {
            panic!("{m:?}")
        };
        assert_eq!((*server, *figure), (EVENT_LOOP, Figure::MsgsPerWakeup));
        assert_eq!(
            (first.driver.engine, first.spread.median),
            (THREADS_MODEL, 1.3)
        );
        assert_eq!(
            (second.driver.engine, second.spread.median),
            (EVENT_LOOP_MODEL, 9.0)
        );
        let said = words(&m, true);
        assert!(
            said.contains("with the blocking client, unpinned, the nonblocking server answered 1.3 messages per wake-up")
                && said.contains("against 9.0 with the nonblocking client"),
            "{said}"
        );
        // Two drivers that agree are not compared: no cause from them.
        let agree = [
            sides[0],
            Side {
                verdict: Verdict::NoDifference,
                ..sides[1]
            },
        ];
        assert_eq!(measured_cause(&agree), Measured::NotMeasured);
        // The loop batching more where it fared worse explains nothing:
        // then its CPU, which went the way it fared, is the cause.
        let l1 = counted_point(EVENT_LOOP, &MSGS, &MANY, 7.9);
        let l2 = counted_point(EVENT_LOOP, &MORE, &FEW, 6.1);
        let m = measured_cause(&[
            side(THREADS_MODEL, Verdict::NoDifference, &b, &l1),
            side(EVENT_LOOP_MODEL, Verdict::Lower, &b, &l2),
        ]);
        assert!(
            matches!(
                m,
                Measured::Differs {
                    figure: Figure::CpuPerMsg,
                    ..
                }
            ),
            "{m:?}"
        );
    }

    #[test]
    fn without_a_batching_difference_cpu_per_message_is_the_cause_else_none() {
        let b = point(THREADS, 100, &MSGS);
        let l1 = counted_point(EVENT_LOOP, &MSGS, &MANY, 7.9);
        let l2 = counted_point(EVENT_LOOP, &MORE, &MANY, 6.1);
        let m = measured_cause(&[
            side(THREADS_MODEL, Verdict::NoDifference, &b, &l1),
            side(EVENT_LOOP_MODEL, Verdict::Lower, &b, &l2),
        ]);
        let Measured::Differs {
            server,
            figure,
            first,
            ..
        } = &m
        else {
            panic!("{m:?}")
        };
        assert_eq!(
            (*server, *figure, first.spread.median),
            (EVENT_LOOP, Figure::CpuPerMsg, 7.9)
        );
        assert!(
            words(&m, true).contains("not its batching but its CPU"),
            "{}",
            words(&m, true)
        );
        assert_eq!(
            words(&m, false),
            "measured: not batching but CPU: nonblocking spent 7.9 µs of CPU per message with the \
             blocking client (unpinned) against 6.1 with the nonblocking client (unpinned)"
        );
        // The same CPU too: not measured, and said so.
        let l3 = counted_point(EVENT_LOOP, &MORE, &MANY, 7.9);
        let m = measured_cause(&[
            side(THREADS_MODEL, Verdict::NoDifference, &b, &l1),
            side(EVENT_LOOP_MODEL, Verdict::Lower, &b, &l3),
        ]);
        assert_eq!(m, Measured::NotMeasured);
        assert!(words(&m, true).starts_with("the cause is not measured"));
    }

    #[test]
    fn a_batching_difference_within_noise_is_no_cause() {
        // 10% apart: under the noise rule's 20% floor, whatever the ranks.
        let near: Vec<f64> = MANY.iter().map(|m| m * 1.1).collect();
        let b = point(THREADS, 100, &MSGS);
        let l1 = counted_point(EVENT_LOOP, &MSGS, &MANY, 6.0);
        let l2 = counted_point(EVENT_LOOP, &MORE, &near, 6.0);
        let m = measured_cause(&[
            side(THREADS_MODEL, Verdict::NoDifference, &b, &l1),
            side(EVENT_LOOP_MODEL, Verdict::Lower, &b, &l2),
        ]);
        assert_eq!(m, Measured::NotMeasured);
    }

    #[test]
    fn a_server_without_a_wakeup_count_is_judged_by_its_context_switches() {
        // The thread per connection behind with the thread client, at 2
        // switches a message, and level with the loop client, at 0.5 (the
        // fixture's); its CPU the same.
        let mut b1 = point(THREADS, 100, &MSGS);
        for (w, x) in b1.windows.iter_mut().zip([2.1, 2.0, 2.0, 2.0, 2.0]) {
            w.cost.as_mut().expect("a cost").switches_per_msg = Some(x);
        }
        let b2 = point(THREADS, 100, &MSGS);
        let (ahead, level) = (
            counted_point(EVENT_LOOP, &MORE, &MANY, 5.0),
            counted_point(EVENT_LOOP, &MSGS, &MANY, 5.0),
        );
        let m = measured_cause(&[
            side(THREADS_MODEL, Verdict::Lower, &b1, &ahead),
            side(EVENT_LOOP_MODEL, Verdict::NoDifference, &b2, &level),
        ]);
        let Measured::Differs { server, figure, .. } = &m else {
            panic!("{m:?}")
        };
        assert_eq!((*server, *figure), (THREADS, Figure::SwitchesPerMsg));
        assert!(
            words(&m, true).contains("made 2.00 context switches per message"),
            "{}",
            words(&m, true)
        );
    }

    #[test]
    fn the_cross_checks_verdict_names_the_cause_its_cells_measured() {
        use crate::report::cross::tests::{cells, drivers, FAST, SLOW};
        use crate::report::cross::{cause_words, verdicts, Outcome};
        // The published run's shape at 100 connections (a difference
        // against none, unpinned), with the loop's own count: 9 messages a
        // wake-up with the event-loop client, 1.3 with the thread client.
        let [nb_split, b_split, nb_unpinned, b_unpinned] = drivers();
        let level = [100e3, 102e3, 104e3, 106e3, 108e3];
        let mut all: Vec<crate::crosscheck::Cell> = [
            cells(nb_split, &SLOW, &FAST, 0.6),
            cells(b_split, &SLOW, &FAST, 0.7),
            cells(nb_unpinned, &SLOW, &FAST, 0.4),
            cells(b_unpinned, &level, &level, 0.5),
        ]
        .concat();
        for c in all.iter_mut().filter(|c| c.point.target == EVENT_LOOP) {
            let per = if c.driver.engine == EVENT_LOOP_MODEL {
                MANY
            } else {
                FEW
            };
            for (w, m) in c.point.windows.iter_mut().zip(per) {
                w.cost.as_mut().expect("a cost").msgs_per_wakeup = Some(m);
            }
        }
        let v = verdicts(&all);
        let Outcome::DependsOnClient(cause) = &v[0].outcome else {
            panic!("{:?}", v[0].outcome)
        };
        let Some(Measured::Differs {
            server,
            first,
            second,
            ..
        }) = &cause.measured
        else {
            panic!("{cause:?}")
        };
        // Within the unpinned placement, where the verdicts differ.
        assert_eq!(*server, EVENT_LOOP);
        assert_eq!((first.driver, second.driver), (nb_unpinned, b_unpinned));
        assert!(
            cause_words(cause, true).contains("answered 9.0 messages per wake-up"),
            "{}",
            cause_words(cause, true)
        );
        // Every cell carries both servers' batching: the loop's count, the
        // thread per connection's context switches.
        let cell = &v[0].cells[0];
        assert_eq!(cell.a_batch.map(|b| b.figure), Some(Figure::SwitchesPerMsg));
        assert_eq!(cell.b_batch.map(|b| b.figure), Some(Figure::MsgsPerWakeup));
        // A run before the count: no batching in the cells.
        let before: Vec<crate::crosscheck::Cell> = drivers()
            .into_iter()
            .flat_map(|d| cells(d, &SLOW, &FAST, 0.6))
            .collect();
        assert!(verdicts(&before)[0]
            .cells
            .iter()
            .all(|c| c.a_batch.is_none() && c.b_batch.is_none()));
    }

    #[test]
    fn a_cells_batching_is_its_count_where_it_has_one() {
        let l = counted_point(EVENT_LOOP, &MSGS, &MANY, 5.0);
        let batch = Batch::of(&l).expect("measured");
        assert_eq!(batch.figure, Figure::MsgsPerWakeup);
        assert_eq!(
            batch.show(),
            "9.0 (8.5-9.4) msg/wake-up, 13.5 (12.8-14.1) events"
        );
        let b = point(THREADS, 100, &MSGS);
        assert_eq!(
            Batch::of(&b).map(|x| x.show()).as_deref(),
            Some("0.50 (0.50-0.50) switches/msg")
        );
        assert!(counted([&b, &l].into_iter()));
        assert!(!counted([&b].into_iter()));
    }
}
