//! The warnings a run's summary carries: each says why a figure cannot be
//! taken at face value (the client was the bottleneck, the rate was not
//! reached, a connection was starved or never answered, the kernel ran
//! short of TCP memory), in one line that names the fix where there is one.

use std::time::Duration;

use sockmodes_os::kernel_tcp::TcpPressure;
use sockmodes_python::show::{count, plural};

use super::LoadReport;
use crate::cpu::CLIENT_BOUND_UTILIZATION;
use crate::endings::endings_said;
use crate::record::MAX_LATENCY_US;
use crate::LoadConfig;

/// Shortfall of the offered open-loop rate the run tolerates before it
/// warns.
///
/// Why 5%: the schedule itself loses nothing, and the answers counted are
/// those that arrived in the window, so the messages still in flight at its
/// end are balanced by those carried in at its start; beyond a few percent
/// of noise, the server or the client fell behind.
const RATE_SLACK: f64 = 0.05;

/// Every reason not to take the report's figures at face value, in this
/// order: the window's (the client was the bottleneck, the open-loop rate
/// was not reached, sends due were never made, latencies fell outside the
/// tracked range), the connections' (a warm-up that reached its cap,
/// starved connections, messages never answered, connections that ended
/// early, a window with no answer at all), and the kernel's.
pub(super) fn of(r: &LoadReport, config: &LoadConfig, warmup: Duration) -> Vec<String> {
    let mut said = Vec::new();
    if r.client_bound {
        said.push(format!(
            "client-bound: the load generator's {} busy {:.0}% of the window \
             (over {:.0}%); these figures measure the client, not the server: use fewer \
             connections per client process, or more client machines",
            count(r.client_threads as u64, "thread was", "threads were"),
            r.client_cpu_utilization.unwrap_or(0.0) * 100.0,
            CLIENT_BOUND_UTILIZATION * 100.0
        ));
    }
    if let Some(rate) = config.rate {
        // A connection's answers straddle the window's edges: one each may
        // fall outside by a jitter's width (16 answers of 4 connections in
        // 2 s read 15 when one lands a millisecond late).
        let (edges, answered_per_s) = (config.connections as f64 / r.duration_s, r.answered_per_s);
        if answered_per_s < rate * (1.0 - RATE_SLACK) - edges {
            said.push(format!(
                "open-loop rate not reached: offered {rate:.0} msg/s, {answered_per_s:.0} answered \
                 within the window ({:.0}%); the latencies count from each send's scheduled time, \
                 so they include the time messages waited for their turn",
                100.0 * answered_per_s / rate
            ));
        }
    }
    if r.unsent > 0 {
        said.push(format!(
            "{} sends due in the window were never made: the client could not keep the schedule \
             (it keeps at most a few messages in flight per connection, one when blocking, and \
             counts the rest instead of queueing them); the server answered slower than offered, \
             or more connections are needed",
            r.unsent
        ));
    }
    if r.latency_out_of_range > 0 {
        said.push(format!(
            "{} outside 1 µs ..= {} s, left out of the percentiles",
            count(r.latency_out_of_range, "latency fell", "latencies fell"),
            MAX_LATENCY_US / 1_000_000
        ));
    }
    if r.ramp.cap_reached {
        said.push(format!(
            "the warm-up reached its cap of {:.1} s with {} never answered; \
             the window started anyway",
            warmup.as_secs_f64(),
            count(r.ramp.never_answered as u64, "connection", "connections")
        ));
    }
    let f = &r.fairness;
    if f.starved > 0 {
        let named = &f.starved_connections;
        let list: Vec<String> = named.iter().map(usize::to_string).collect();
        let more = match f.starved - named.len() {
            0 => String::new(),
            more => format!(" and {more} more"),
        };
        let which = plural(named.len() as u64, "connection", "connections");
        said.push(format!(
            "{} of {} starved: no answer in the window ({which} {}{more})",
            f.starved,
            count(r.connections as u64, "connection", "connections"),
            list.join(", "),
        ));
    }
    if r.unanswered > 0 {
        said.push(format!(
            "{} never answered; the oldest had waited {:.0} ms when its connection ended or the run \
             gave up",
            count(r.unanswered, "message", "messages"),
            r.oldest_unanswered_ms.unwrap_or(0.0)
        ));
    }
    said.extend(endings_said(&r.ended, config.size));
    if r.messages == 0 {
        said.push(
            "no message was answered in the window: the figures describe no service at all".into(),
        );
    }
    said.extend(r.kernel_tcp.map(|p| of_the_kernel(&p)));
    said
}

/// The machine's TCP memory ran short during the run (`kernel_tcp.rs`):
/// the kernel drops what arrives on sockets over their share, so
/// connections stall whatever the server, and the figures describe the
/// machine.
fn of_the_kernel(p: &TcpPressure) -> String {
    let mut what = vec![if p.entered > 0 {
        format!("went under pressure {}", count(p.entered, "time", "times"))
    } else {
        "was under pressure".to_string()
    }];
    if p.dropped > 0 {
        what.push(format!(
            "dropped {} for want of buffer memory",
            count(p.dropped, "arriving segment", "arriving segments")
        ));
    }
    format!(
        "the kernel's TCP memory, shared by every process on this machine, {} during the run \
         (pressure from {} MiB: sysctl net.ipv4.tcp_mem); connections of any server stall then, \
         so these figures describe the machine, not the server: run fewer connections or \
         smaller frames at once, or with nothing else running beside it",
        what.join(" and "),
        p.pressure_from_bytes >> 20
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_warning_says_what_happened_and_the_threshold() {
        let p = TcpPressure {
            entered: 1,
            pressure_ms: 0,
            dropped: 4274,
            pressure_from_bytes: 383_867 * 4096,
        };
        let w = of_the_kernel(&p);
        assert!(
            w.contains("went under pressure 1 time and dropped 4274 arriving segments for want of buffer memory"),
            "{w}"
        );
        assert!(w.contains("pressure from 1499 MiB"), "{w}");
        let already = of_the_kernel(&TcpPressure {
            entered: 0,
            dropped: 0,
            ..p
        });
        assert!(
            already.contains(
                "memory, shared by every process on this machine, was under pressure during"
            ),
            "{already}"
        );
    }
}
