//! Core placement of the client and the servers.
//!
//! Left to the scheduler, a loopback round trip here takes 14 to 60 µs
//! depending on whether the two ends land on one core or two, a lottery that
//! swamps the differences the benches measure. So placement is fixed, and the
//! same for every server:
//!
//! - `same-core`: client and server share the first core. A round trip is
//!   then the CPU work of both ends plus two context switches, the figure
//!   that differs between implementations. On this 2-vCPU virtual machine a
//!   cross-core wake-up adds tens of microseconds of hypervisor latency that
//!   belongs to neither server. The criterion groups (latency, throughput)
//!   use it by default.
//! - `split`: the client on the first half of the cores, the servers on the
//!   other half (CPU 0 and CPU 1 on two cores), as on two machines. The
//!   scaling study uses it: it measures how a server uses cores of its
//!   own, and a client sharing them would muddy that.
//!   `SOCKMODES_BENCH_PLACEMENT=split` makes the criterion groups use it too.
//! - `unpinned`: every core for both sides, the scheduler's choice: what a
//!   user gets by default. The cross-check (`crosscheck.rs`) measures it
//!   beside `split`, because on one machine the client's model and the
//!   placement can rank the servers differently.
//! - `budget`: every core for both sides, as `unpinned`, but the server
//!   held to [`BUDGET_CPUS`] cores' worth of CPU (`server --cpus`, a
//!   cgroup's CFS quota): the server, not the client, is then the
//!   bottleneck by construction. The cross-check measures it.
//!
//! Threads inherit their creator's mask, and so do child processes, so a
//! server started from a thread pinned to the server cores keeps all its
//! threads (connection threads, event loops, tokio workers) there.
//!
//! Why `sched_setaffinity` by hand and not the `core_affinity` crate: that
//! crate pins a thread to exactly one core, and the split placement gives
//! each side a *set* of cores. Elsewhere than Linux nothing is pinned, and
//! [`describe`] says so.

use serde::{Deserialize, Serialize};

/// Where the two sides run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Placement {
    /// Client and servers on the first core.
    SameCore,
    /// Client on the first half of the cores, servers on the second.
    Split,
    /// Both sides on every core: the scheduler places them.
    Unpinned,
    /// Both sides on every core, the server held to [`BUDGET_CPUS`] cores.
    Budget,
}

/// The budget placement's server CPU, in cores (`server --cpus`).
///
/// Why half a core: the client must stay well under its saturation line
/// (90% busy) while the server spends all of its budget. On loopback the
/// client's CPU per message is about the server's (both sides do the
/// kernel's TCP work), and unpinned the client has what the server leaves:
/// on 2 cores 1.5 of them at half a core, one at a whole core. Measured by
/// hand with the server at half a core, no client engine was over 35% busy
/// at 100 or 1,000 connections; at
/// one core the event-loop client would carry twice the messages on its
/// one thread, near the line where it was seen saturated. The kernel's
/// period stays the command's default (10 ms): a throttled server waits at
/// most 5 ms of each period, which shapes the cells' p99, not their
/// messages per second.
pub const BUDGET_CPUS: f64 = 0.5;

impl Placement {
    /// The criterion groups' placement: `same-core` unless
    /// `SOCKMODES_BENCH_PLACEMENT=split`.
    pub fn for_criterion() -> Placement {
        if std::env::var("SOCKMODES_BENCH_PLACEMENT").is_ok_and(|v| v == "split") {
            Placement::for_sweep()
        } else {
            Placement::SameCore
        }
    }

    /// The scaling study's placement: `split` wherever there are two cores.
    pub fn for_sweep() -> Placement {
        if cores_online() >= 2 {
            Placement::Split
        } else {
            Placement::SameCore
        }
    }

    /// Whether the sweep may run in this placement ([`for_sweep`]'s
    /// `split`, or `same-core` on one core): where the cross-check can
    /// take the sweep's own cells.
    ///
    /// [`for_sweep`]: Placement::for_sweep
    pub fn may_be_the_sweeps(self) -> bool {
        matches!(self, Placement::Split | Placement::SameCore)
    }

    pub fn name(self) -> &'static str {
        match self {
            Placement::SameCore => "same-core",
            Placement::Split => "split",
            Placement::Unpinned => "unpinned",
            Placement::Budget => "budget",
        }
    }

    /// The server's CPU budget in cores, where the placement sets one.
    pub fn cpu_budget(self) -> Option<f64> {
        (self == Placement::Budget).then_some(BUDGET_CPUS)
    }

    /// Event-loop threads a server gets (mio, tokio): one per server core,
    /// or per core of its budget rounded up (more loops than the budget
    /// has cores only share the same CPU time and batch less).
    pub fn event_threads(self) -> usize {
        match self.cpu_budget() {
            Some(cpus) => (cpus.ceil() as usize).max(1),
            None => self.server_cpus().len(),
        }
    }

    /// The placements of the cross-check: the study's own, the
    /// scheduler's choice, and the scheduler's choice with the server held
    /// to a budget (one core: only the first, there is no other to share).
    /// The plan may leave some out (`Plan::cross_placements`).
    pub fn for_cross_check() -> Vec<Placement> {
        if cores_online() >= 2 {
            vec![Placement::Split, Placement::Unpinned, Placement::Budget]
        } else {
            vec![Placement::SameCore]
        }
    }

    /// The client's cores: the servers' but in `split`.
    pub fn client_cpus(self) -> Vec<usize> {
        match self {
            Placement::Split => (0..cores_online() / 2).collect(),
            Placement::SameCore | Placement::Unpinned | Placement::Budget => self.server_cpus(),
        }
    }

    /// The servers' cores.
    pub fn server_cpus(self) -> Vec<usize> {
        match self {
            Placement::SameCore => vec![0],
            Placement::Split => (cores_online() / 2..cores_online()).collect(),
            Placement::Unpinned | Placement::Budget => (0..cores_online()).collect(),
        }
    }

    /// One sentence for the report, naming the cores.
    pub fn describe(self) -> String {
        let pinned = if cfg!(target_os = "linux") {
            ""
        } else {
            " (not enforced: this OS has no CPU affinity the bench can set)"
        };
        let cpus = |v: Vec<usize>| {
            v.iter()
                .map(|c| format!("CPU {c}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Placement::SameCore => format!(
                "Placement `same-core`: the client and the server both on CPU 0{pinned}, so a round trip is the CPU \
                 work of both ends plus two context switches; one event thread for mio and tokio."
            ),
            Placement::Split => format!(
                "Placement `split`: the client on {}, the servers on {}{pinned} ({} server core(s); mio and tokio \
                 get one event thread per server core).",
                cpus(self.client_cpus()),
                cpus(self.server_cpus()),
                self.server_cpus().len()
            ),
            Placement::Unpinned => format!(
                "Placement `unpinned`: the client and the servers on every core ({}), where the scheduler puts \
                 them; mio and tokio get one event thread per core.",
                cpus(self.server_cpus())
            ),
            Placement::Budget => format!(
                "Placement `budget`: the client and the servers on every core ({}), where the scheduler puts \
                 them, each server held to {BUDGET_CPUS} core of CPU (`server --cpus {BUDGET_CPUS}`, a cgroup's CFS \
                 quota), so that the server is the bottleneck; mio and tokio get {} event thread(s).",
                cpus(self.server_cpus()),
                self.event_threads()
            ),
        }
    }

    /// Runs `start` on the server cores, then returns the caller to the
    /// client cores.
    pub fn on_server_cpus<T>(self, start: impl FnOnce() -> T) -> T {
        pin_current_thread(&self.server_cpus());
        let started = start();
        pin_current_thread(&self.client_cpus());
        started
    }
}

pub use sockmodes_os::process::{cores_online, pin_current_thread};
