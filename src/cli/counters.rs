//! `kill -USR1 PID` makes a running server print its counters on stderr,
//! as `dd` prints its progress: one line, read while the server runs.
//!
//! The bench reads system calls per message this way: it signals the
//! server at both edges of a measured window and divides the difference
//! by the messages between the server's two readings (`at_ns`); messages per wake-up too (`wakeups`, and
//! `events`: what the wake-ups found). The line's format is [`sockmodes_models::child`]'s
//! to parse (`COUNTERS_PREFIX`).
//!
//! How: SIGUSR1 is blocked in every thread (the mask is set before the
//! first thread starts, and threads inherit it), and one thread waits for
//! it with `sigwait`, so the line is printed by ordinary code, not inside a
//! signal handler. Unix only: Windows has no SIGUSR1.

use std::sync::Arc;

use sockmodes_models::child::COUNTERS_PREFIX;
use sockmodes_serving::ServerStats;

use super::budget::Meter;

/// One line with every counter (printed on Unix only; Windows has no
/// SIGUSR1): the server's, its CPU time so far (`cpu_ns`), and with
/// `--cpus` the budget and the share of it used since start-up.
#[cfg_attr(not(unix), allow(dead_code))]
pub fn line(stats: &ServerStats, budget: Option<&Meter>) -> String {
    let s = stats.snapshot();
    let cpu_ns = sockmodes_os::process::process_cpu_time().map_or(String::new(), |t| {
        format!(" cpu_ns={}", (t.user + t.system).as_nanos())
    });
    let budget = budget.map_or(String::new(), |m| format!(" {}", m.counter_fields()));
    format!(
        "{COUNTERS_PREFIX} accepted={} rejected={} active={} timed_out={} protocol_errors={} syscalls={} wakeups={} events={} work_started={}{cpu_ns}{budget} at_ns={}",
        s.accepted,
        s.rejected,
        s.active,
        s.timed_out,
        s.protocol_errors,
        s.syscalls,
        s.wakeups,
        s.events,
        s.work_started,
        sockmodes_os::process::monotonic_ns()
    )
}

/// Blocks SIGUSR1 in this thread and every thread it starts afterwards.
/// `main` calls it first thing, for every command: a server is then safe
/// from the first instant, and for the others a SIGUSR1 simply stays
/// pending (they have no counters to print).
#[cfg(unix)]
pub use sockmodes_os::process::block_usr1;

/// Starts the thread that prints [`line`] at each SIGUSR1.
#[cfg(unix)]
pub fn print_on_usr1(stats: Arc<ServerStats>, budget: Option<Meter>) {
    let spawned = std::thread::Builder::new()
        .name("sockmodes-counters".into())
        .spawn(move || {
            // At real-time priority where allowed: the line's `at_ns` is
            // then the moment asked, not the turn this thread would wait
            // for among a thousand busy connection threads. It sleeps in
            // `sigwait` otherwise, and printing a line is short. Held to a
            // CPU budget (`--cpus`, joined before this thread starts), the
            // raise needs the real-time time the held group is given
            // (`cpu_budget::RT_RUNTIME_US`, cgroup v1); where the group has
            // none, it is refused and the thread keeps ordinary priority.
            sockmodes_os::process::urgently(|| {
                while sockmodes_os::process::wait_usr1() {
                    eprintln!("{}", line(&stats, budget.as_ref()));
                }
                tracing::warn!("no more counters on SIGUSR1: waiting for the signal failed");
            })
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "no counters on SIGUSR1: the thread did not start");
    }
}

/// Windows has no SIGUSR1.
#[cfg(not(unix))]
pub fn block_usr1() {}

/// Windows has no SIGUSR1.
#[cfg(not(unix))]
pub fn print_on_usr1(_stats: Arc<ServerStats>, _budget: Option<Meter>) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_parses_back() {
        let stats = ServerStats::default();
        stats.count_syscalls(42);
        assert!(stats.try_admit(5));
        sockmodes_common::session::CountsWork::work_started(&stats);
        stats.count_wakeup(3);
        assert!(line(&stats, None).contains(" work_started=1 "));
        let parsed = sockmodes_models::child::Counters::parse(&line(&stats, None)).expect("parses");
        assert_eq!(parsed.syscalls, 42);
        assert_eq!(parsed.accepted, 1);
        assert_eq!((parsed.wakeups, parsed.events), (Some(1), Some(3)));
        assert!(parsed.cpu_ns.is_some_and(|ns| ns > 0), "{parsed:?}");
        assert_eq!(parsed.cpus, None, "no budget, no cpus field");
    }
}
