//! One point of the study: a server at a connection count (and rate),
//! measured in several windows, each kept whole; the figures the report
//! shows are the windows' spreads ([`Spread`]), and which side limited the
//! point is a verdict of its own ([`Limit`]).

use serde::{Deserialize, Serialize};
use sockmodes_loadgen::{LoadReport, WindowEdge};

use crate::setup::Setup;
use crate::stats::Spread;
use crate::target::Target;

/// Busy share above which a side counts as saturated.
///
/// Why 0.9: the same line the load generator uses for "client-bound".
pub const SATURATED: f64 = 0.9;

/// What a server cost over a measured window, per message.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ServerCost {
    pub user_us_per_msg: f64,
    pub system_us_per_msg: f64,
    /// Context switches per message, summed over the server's threads at
    /// both edges (`/proc/PID/task/*/status`). `None` where threads ended
    /// between the two readings: an ended thread takes its count with it,
    /// so the difference would be too low (or below zero).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub switches_per_msg: Option<f64>,
    pub rss_mib: f64,
    pub threads: u64,
    /// Server CPU over the window as cores busy (1.0 = one core all the time).
    pub cores_busy: f64,
    /// System calls per message, from the server's own count at both edges
    /// of the window (`kill -USR1`; `src/cli/counters.rs`); tokio's leaves
    /// out its runtime's own waits and wake-ups. `None` where the readings
    /// came late or the server kept no count (runs from before it did).
    #[serde(default)]
    pub syscalls_per_msg: Option<f64>,
    /// Messages per wake-up: how many messages the server answered per
    /// wait that came back with something to do (`poll` with events, the
    /// ring's turn with completions), from its own count at both edges
    /// (`StatsSnapshot::wakeups`). `None` for a server that counts no
    /// wake-up (a thread per connection, whose wake-ups are its context
    /// switches; tokio, whose waits are its runtime's) and for runs before
    /// the count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msgs_per_wakeup: Option<f64>,
    /// Readiness events or completions per wake-up (`None` as above).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_per_wakeup: Option<f64>,
}

/// One window against one fresh server process.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Window {
    /// The load generator's whole report of the window.
    pub load: LoadReport,
    /// The server's costs over it (None where `/proc` could not be read).
    pub cost: Option<ServerCost>,
    /// Held to a CPU budget: the share of it the server used between its
    /// two counters readings (its own CPU clock, in nanoseconds; `/proc`'s
    /// ticks of 10 ms are 3% of half a core's budget in a 0.6 s window).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_used: Option<f64>,
    /// The server's readings that came later after their edge than
    /// [`LATE_SHARE`] of the window allows: the figures they give are left
    /// out of the window (its `cost`, or its counted ones, are `None`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub late: Vec<LateReading>,
}

/// How late after its window's edge a reading of the server may come, as
/// a share of the window, before its figures are left out.
///
/// Why 10%: the figures are divided by the stretch between the two
/// readings (and that stretch's messages), so a reading a little late
/// still measures steady load; but a start reading that comes near the
/// end measures almost nothing, and reads as a server that made no system
/// call and no context switch while a core was busy. A tenth keeps nine
/// tenths of the window measured (docs/benchmarks.md, "Readings at a
/// window's edge").
pub const LATE_SHARE: f64 = 0.1;

/// One reading of the server at a window's edge that came late, or
/// never came.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct LateReading {
    pub source: ReadingSource,
    pub edge: WindowEdge,
    /// How long after the edge it was due the reading was taken; `None`:
    /// it never came (the server did not answer, or was gone).
    pub late_ms: Option<f64>,
}

impl LateReading {
    /// A reading of `source` at `edge` that never came.
    pub fn never(source: ReadingSource, edge: WindowEdge) -> LateReading {
        LateReading {
            source,
            edge,
            late_ms: None,
        }
    }
}

/// What was read of the server at a window's edge.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ReadingSource {
    /// Its `/proc`: CPU, context switches, memory, threads.
    Proc,
    /// Its counters line: system calls, wake-ups, its CPU budget's use.
    Counters,
}

/// Which experiment a point belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Closed loop.
    Sweep,
    /// Open loop at a share of the server's own capacity.
    Offered,
    /// Open loop at the same rate for every server.
    SameRate,
    /// Closed loop, driven by another client engine or placement than the
    /// sweep's (`crosscheck.rs`).
    CrossCheck,
    /// Closed loop, every message with work (`service.rs`).
    Service,
}

/// Which side limited a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// Only the load generator was saturated: server figures are lower bounds.
    Client,
    /// Only the server.
    Server,
    /// Both (on loopback, each side's syscalls carry the other's kernel work).
    Both,
}

/// One server at one connection count (and offered rate), over R windows.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Point {
    pub target: Target,
    pub step: Step,
    pub connections: usize,
    /// Offered: % of this server's capacity; same rate: % of the slowest's.
    pub offered_pct: Option<f64>,
    pub offered_per_s: Option<f64>,
    /// Cores the server was given.
    pub server_cores: usize,
    /// The CPU budget the server was held to, in cores (the `budget`
    /// placement: `server --cpus`); its busy share is then of the budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_cpus: Option<f64>,
    pub windows: Vec<Window>,
    /// Windows measured again because the machine disturbed them
    /// ([`disturbed`]); `windows` holds the new ones.
    #[serde(default)]
    pub remeasured: usize,
    /// The server's work per message and where it runs (service work
    /// only; every other point answers at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup: Option<Setup>,
}

/// A closed-loop window is disturbed when it carried under this share of
/// the median of its point's other windows.
///
/// Why 60%: on this shared 2-core VM a window now and then runs at half
/// speed for reasons outside the server (one measured: 89,326 msg/s against
/// a median of 169,000 for the same server and count, its server 66% busy);
/// the ordinary spread of a point is within about 30% of its median. Such a
/// window is measured once more and the report says how many were.
pub const DISTURBED: f64 = 0.6;

/// The indexes of the disturbed windows among `msgs` (see [`DISTURBED`]).
pub fn disturbed(msgs: &[f64]) -> Vec<usize> {
    (0..msgs.len())
        .filter(|&i| {
            let others = msgs
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(_, &m)| m);
            Spread::of(others).is_some_and(|s| s.n >= 2 && msgs[i] < DISTURBED * s.median)
        })
        .collect()
}

impl Point {
    /// One figure, window by window (windows without it left out): what
    /// [`compare`] tests.
    ///
    /// [`compare`]: crate::stats::compare
    fn values(&self, f: impl Fn(&Window) -> Option<f64>) -> Vec<f64> {
        self.windows.iter().filter_map(f).collect()
    }

    fn spread(&self, f: impl Fn(&Window) -> Option<f64>) -> Option<Spread> {
        Spread::of(self.values(f))
    }

    /// Messages per second.
    pub fn msgs(&self) -> Option<Spread> {
        Spread::of(self.msgs_windows())
    }

    /// Messages per second, window by window.
    pub fn msgs_windows(&self) -> Vec<f64> {
        self.values(|w| Some(w.load.messages_per_s))
    }

    /// Answers within the window per second (open loop: what was sustained).
    pub fn answered(&self) -> Option<Spread> {
        self.spread(|w| Some(w.load.answered_per_s))
    }

    pub fn p50(&self) -> Option<Spread> {
        self.spread(|w| Some(w.load.p50_us))
    }

    pub fn p99(&self) -> Option<Spread> {
        self.spread(|w| Some(w.load.p99_us))
    }

    pub fn p999(&self) -> Option<Spread> {
        self.spread(|w| Some(w.load.p999_us))
    }

    /// Server CPU µs per message, user + system.
    pub fn cpu_per_msg(&self) -> Option<Spread> {
        Spread::of(self.cpu_windows())
    }

    /// Server CPU µs per message, window by window (windows without a
    /// server measurement left out).
    pub fn cpu_windows(&self) -> Vec<f64> {
        self.values(|w| {
            w.cost
                .as_ref()
                .map(|c| c.user_us_per_msg + c.system_us_per_msg)
        })
    }

    pub fn user_per_msg(&self) -> Option<Spread> {
        self.spread(|w| w.cost.as_ref().map(|c| c.user_us_per_msg))
    }

    pub fn system_per_msg(&self) -> Option<Spread> {
        self.spread(|w| w.cost.as_ref().map(|c| c.system_us_per_msg))
    }

    pub fn syscalls_per_msg(&self) -> Option<Spread> {
        self.spread(|w| w.cost.as_ref().and_then(|c| c.syscalls_per_msg))
    }

    /// Messages per wake-up, window by window (windows without the count
    /// left out).
    pub fn msgs_per_wakeup_windows(&self) -> Vec<f64> {
        self.values(|w| w.cost.as_ref().and_then(|c| c.msgs_per_wakeup))
    }

    /// Readiness events or completions per wake-up, window by window.
    pub fn events_per_wakeup_windows(&self) -> Vec<f64> {
        self.values(|w| w.cost.as_ref().and_then(|c| c.events_per_wakeup))
    }

    /// Context switches per message, window by window.
    pub fn switches_windows(&self) -> Vec<f64> {
        self.values(|w| w.cost.as_ref().and_then(|c| c.switches_per_msg))
    }

    pub fn switches_per_msg(&self) -> Option<Spread> {
        Spread::of(self.switches_windows())
    }

    pub fn rss_mib(&self) -> Option<Spread> {
        self.spread(|w| w.cost.as_ref().map(|c| c.rss_mib))
    }

    pub fn threads(&self) -> Option<Spread> {
        self.spread(|w| w.cost.as_ref().map(|c| c.threads as f64))
    }

    /// Connections starved (no answer in the window), over the windows.
    pub fn starved(&self) -> Option<Spread> {
        self.spread(|w| Some(w.load.fairness.starved as f64))
    }

    pub fn jain(&self) -> Option<Spread> {
        self.spread(|w| w.load.fairness.jain_index)
    }

    /// Seconds until the last connection's first answer (windows where some
    /// connection never got one are left out; `never_answered` says so).
    pub fn ramp_s(&self) -> Option<Spread> {
        self.spread(|w| w.load.ramp.last_first_answer_ms.map(|ms| ms / 1000.0))
    }

    /// Windows in which some connection was never answered.
    pub fn windows_with_unanswered(&self) -> usize {
        self.windows
            .iter()
            .filter(|w| w.load.ramp.never_answered > 0)
            .count()
    }

    /// The client's busy share.
    pub fn client_busy(&self) -> Option<Spread> {
        self.spread(|w| w.load.client_cpu_utilization)
    }

    /// The server's busy share of its cores, or of its CPU budget where
    /// it had one (1.0: it spent all of it, server-bound): the server's own
    /// count where it gave one, else its `/proc`.
    pub fn server_busy(&self) -> Option<Spread> {
        let cores = self
            .budget_cpus
            .filter(|&b| b > 0.0)
            .unwrap_or(self.server_cores.max(1) as f64);
        let held = self.budget_cpus.is_some();
        self.spread(|w| {
            w.budget_used
                .filter(|_| held)
                .or_else(|| w.cost.as_ref().map(|c| c.cores_busy / cores))
        })
    }

    /// Which side limited this point, by the medians (None: neither was
    /// saturated, or the server was not measured).
    pub fn limit(&self) -> Option<Limit> {
        let client = self.client_busy()?.median > SATURATED;
        let server = self.server_busy()?.median > SATURATED;
        match (client, server) {
            (true, true) => Some(Limit::Both),
            (true, false) => Some(Limit::Client),
            (false, true) => Some(Limit::Server),
            (false, false) => None,
        }
    }
}

/// The point of `points` for `target` at `n` connections.
pub fn find(points: &[Point], target: Target, n: usize) -> Option<&Point> {
    points
        .iter()
        .find(|p| p.target == target && p.connections == n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture::{point, EVENT_LOOP, THREADS};

    #[test]
    fn the_limit_is_the_side_whose_median_busy_share_passed_ninety_percent() {
        // The fixture's client is 60% busy; its server `busy` of one core.
        let with = |server_busy: f64, client: &[f64]| {
            let mut p = point(THREADS, 10, &vec![100.0; client.len()]);
            for (w, &c) in p.windows.iter_mut().zip(client) {
                w.load.client_cpu_utilization = Some(c);
                w.cost.as_mut().expect("a cost").cores_busy = server_busy;
            }
            p
        };
        assert_eq!(with(0.5, &[0.6, 0.6, 0.6]).limit(), None);
        assert_eq!(with(0.95, &[0.6, 0.6, 0.6]).limit(), Some(Limit::Server));
        assert_eq!(with(0.5, &[0.95, 0.97, 0.5]).limit(), Some(Limit::Client));
        assert_eq!(with(0.5, &[0.95, 0.5, 0.5]).limit(), None, "the median");
        assert_eq!(with(0.95, &[0.95, 0.95, 0.95]).limit(), Some(Limit::Both));
        // Two server cores: 1.5 busy is 75% of them.
        let mut two = with(1.5, &[0.6]);
        two.server_cores = 2;
        assert_eq!(two.limit(), None);
        // A server not measured (no /proc): no limit claimed.
        let mut unmeasured = with(0.95, &[0.95]);
        unmeasured.windows[0].cost = None;
        assert_eq!(unmeasured.limit(), None);
        // Held to half a core on two: 0.48 of a core busy is 96% of the
        // budget, server-bound; 0.3 is 60%, not.
        let mut held = with(0.48, &[0.3]);
        held.server_cores = 2;
        held.budget_cpus = Some(0.5);
        assert_eq!(held.server_busy().map(|s| s.median), Some(0.96));
        assert_eq!(held.limit(), Some(Limit::Server));
        held.windows[0].cost.as_mut().expect("a cost").cores_busy = 0.3;
        assert_eq!(held.limit(), None);
        // The server's own count, where it gave one, over `/proc`'s.
        held.windows[0].budget_used = Some(0.97);
        assert_eq!(held.server_busy().map(|s| s.median), Some(0.97));
        assert_eq!(held.limit(), Some(Limit::Server));
    }

    #[test]
    fn a_figure_leaves_out_the_windows_that_lack_it_and_find_matches_both_keys() {
        let mut p = point(THREADS, 10, &[100.0, 200.0, 300.0]);
        p.windows[1].cost = None;
        // The fixture's cost: 1 µs user and 4 system a message.
        assert_eq!(p.cpu_windows(), [5.0, 5.0]);
        assert_eq!(p.cpu_per_msg().map(|s| s.n), Some(2));
        assert_eq!(p.msgs().map(|s| (s.median, s.n)), Some((200.0, 3)));
        p.server_cores = 2;
        // 0.5 of a core on two cores is a quarter of them.
        assert_eq!(p.server_busy().map(|s| s.median), Some(0.25));
        p.windows[0].load.ramp.last_first_answer_ms = None;
        assert_eq!(p.ramp_s().map(|s| (s.median, s.n)), Some((0.003, 2)));
        let points = [point(THREADS, 1, &[1.0]), p, point(EVENT_LOOP, 10, &[2.0])];
        assert_eq!(find(&points, THREADS, 10).map(|p| p.windows.len()), Some(3));
        assert_eq!(
            find(&points, EVENT_LOOP, 10).map(|p| p.windows.len()),
            Some(1)
        );
        assert!(find(&points, EVENT_LOOP, 1).is_none());
    }

    #[test]
    fn only_a_window_far_below_its_siblings_is_disturbed() {
        assert_eq!(disturbed(&[89.0, 173.0, 160.0, 212.0, 165.0]), vec![0]);
        assert!(disturbed(&[100.0, 95.0, 95.0, 131.0, 99.0]).is_empty());
        // A fast window is never "disturbed": only slowness comes from outside.
        assert!(disturbed(&[100.0, 100.0, 100.0, 300.0]).is_empty());
        assert!(disturbed(&[10.0, 100.0]).is_empty(), "too few to tell");
    }
}
