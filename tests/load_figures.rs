//! The load generator's figures checked against servers whose behaviour is
//! known: a fixed delay per answer, and a stall. These assert what the
//! figures must be *given* the server (a latency can't be under the delay,
//! queueing behind a stall must show), not how fast this machine is.

use std::net::SocketAddr;
use std::time::Duration;

use sockmodes_loadgen::delayed::{DelayedEcho, Quirk, Stall};
use sockmodes_loadgen::LoadReport;
use sockmodes_models::Model;
// `load`: 4 connections for 1 s, no warm-up, after a tweak; its report.
use util::{assert_warned, run_load as load};

mod util;

fn delayed(delay_ms: u64, stall: Option<Stall>) -> DelayedEcho {
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    DelayedEcho::start(any, Duration::from_millis(delay_ms), stall).expect("delayed echo starts")
}

/// p50 between the delay and 1.5x the delay, max at least the delay, and
/// the client neither failing nor saturated.
#[track_caller]
fn assert_reads_the_delay(what: &str, r: &LoadReport, delay_ms: u64) {
    let d = delay_ms as f64 * 1000.0;
    assert!(r.messages > 0, "{what}: {r:?}");
    assert_eq!(r.errors, 0, "{what}: {r:?}");
    assert!(
        r.p50_us >= d && r.p50_us <= 1.5 * d,
        "{what}: p50 {} µs for a {delay_ms} ms server",
        r.p50_us
    );
    assert!(r.max_us >= d, "{what}: max {} µs", r.max_us);
    assert!(
        r.p99_us >= r.p50_us && r.max_us >= r.p99_us,
        "{what}: {r:?}"
    );
    assert!(
        !r.client_bound,
        "{what}: a waiting client is not the bottleneck"
    );
    assert_eq!(r.latency_out_of_range, 0);
}

fn delays_read_right(model: Model) {
    // 20 ms: many samples in a second. 200 ms: far beyond the 2 ms where
    // the old recorder clamped everything.
    for (delay_ms, secs, rate) in [(20, 1, 100.0), (200, 2, 8.0)] {
        let server = delayed(delay_ms, None);
        let duration = Duration::from_secs(secs);
        let closed = load(model, server.addr(), |c| c.duration = duration);
        assert_reads_the_delay(
            &format!("{model:?} closed {delay_ms} ms"),
            &closed,
            delay_ms,
        );
        // Open loop below what 4 connections x 1/delay can carry.
        let open = load(model, server.addr(), |c| {
            c.duration = duration;
            c.rate = Some(rate);
        });
        assert_reads_the_delay(&format!("{model:?} open {delay_ms} ms"), &open, delay_ms);
        assert!(open.warnings.is_empty(), "{:?}", open.warnings);
    }
}

#[test]
fn blocking_client_reads_a_known_delay() {
    delays_read_right(Model::BLOCKING);
}

#[test]
fn nonblocking_client_reads_a_known_delay() {
    delays_read_right(Model::NON_BLOCKING);
}

#[cfg(target_os = "linux")]
#[test]
fn completion_client_reads_a_known_delay() {
    delays_read_right(Model::COMPLETION);
}

#[test]
fn closed_loop_obeys_littles_law() {
    let server = delayed(20, None);
    for model in Model::CLIENTS {
        let r = load(model, server.addr(), |c| c.connections = 10);
        // L = lambda x W: connections in flight = messages/s x mean latency.
        let in_flight = r.messages_per_s * r.mean_us / 1e6;
        let ratio = in_flight / r.connections as f64;
        assert!(
            (0.85..=1.15).contains(&ratio),
            "{model:?}: {:.0} msg/s x {:.0} µs = {in_flight:.2} in flight, not {}",
            r.messages_per_s,
            r.mean_us,
            r.connections
        );
    }
}

#[test]
fn open_loop_counts_the_queueing_behind_a_stall() {
    let stall_ms = 300;
    for model in Model::CLIENTS {
        let stall = Stall {
            after: Duration::from_millis(500),
            length: Duration::from_millis(stall_ms),
        };
        let server = delayed(1, Some(stall));
        let open = load(model, server.addr(), |c| {
            c.duration = Duration::from_millis(1500);
            c.rate = Some(200.0);
        });
        let stall_us = stall_ms as f64 * 1000.0;
        // The first send due after the stall began waits all of it; a fifth
        // of the sends fall in the stall, so p99 sits well inside it.
        assert!(open.max_us >= 0.8 * stall_us, "{model:?} open: {open:?}");
        assert!(open.p99_us >= 0.5 * stall_us, "{model:?} open: {open:?}");
        // The same stall in a closed loop holds back only the few messages
        // in flight: the percentiles hide it (coordinated omission).
        let server = delayed(1, Some(stall));
        let closed = load(model, server.addr(), |c| {
            c.duration = Duration::from_millis(1500);
        });
        assert!(
            closed.max_us >= 0.8 * stall_us,
            "{model:?} closed: {closed:?}"
        );
        assert!(
            closed.p99_us < open.p99_us / 3.0,
            "{model:?}: closed p99 {} vs open p99 {}",
            closed.p99_us,
            open.p99_us
        );
    }
}

#[test]
fn an_unreachable_open_loop_rate_is_reported_not_hidden() {
    // 2 connections x 1 answer per 50 ms = 40 msg/s at most for a blocking
    // client; ask for ten times that.
    let server = delayed(50, None);
    let r = load(Model::BLOCKING, server.addr(), |c| {
        c.connections = 2;
        c.rate = Some(400.0);
    });
    assert!(r.messages_per_s < 0.95 * 400.0, "{r:?}");
    assert!(r.unsent > 0, "{r:?}");
    assert_warned(&r, "rate not reached");
    assert_warned(&r, "never made");
}

#[test]
fn the_spectrum_spans_min_to_max_and_matches_the_named_percentiles() {
    let server = delayed(20, None);
    let r = load(Model::NON_BLOCKING, server.addr(), |_| {});
    let s = &r.percentiles;
    assert_eq!(s.first().unwrap()[0], 0.0);
    assert_eq!(s.last().unwrap(), &[100.0, r.max_us]);
    let at = |p: f64| s.iter().find(|x| x[0] == p).map(|x| x[1]);
    assert_eq!(at(50.0), Some(r.p50_us));
    assert_eq!(at(99.0), Some(r.p99_us));
    assert!(at(99.999).is_some());
    assert!(s
        .windows(2)
        .all(|w| w[0][0] < w[1][0] && w[0][1] <= w[1][1]));
    let cpu = r.client_cpu.expect("CPU measured on this OS");
    assert!(cpu.wall_s > 0.9 && cpu.user_s + cpu.system_s >= 0.0);
}

/// A server with one connection treated apart (see [`Quirk`]).
fn quirky(delay_ms: u64, quirk: Quirk) -> DelayedEcho {
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    DelayedEcho::with_quirk(any, Duration::from_millis(delay_ms), None, Some(quirk))
        .expect("delayed echo starts")
}

#[test]
fn the_warm_up_waits_for_every_first_answer_and_the_ramp_reads_it() {
    for model in Model::CLIENTS {
        // Connection k's first answer comes k x 300 ms late: 2.7 s for the last.
        let server = quirky(0, Quirk::StaggerFirst(Duration::from_millis(300)));
        let r = load(model, server.addr(), |c| c.connections = 10);
        let ramp = &r.ramp;
        let last = ramp
            .last_first_answer_ms
            .expect("every connection answered");
        assert!((2700.0..4000.0).contains(&last), "{model:?}: {ramp:?}");
        assert!(
            ramp.warmup_s >= 2.7,
            "{model:?}: the window waited: {ramp:?}"
        );
        assert!(!ramp.cap_reached && ramp.never_answered == 0, "{ramp:?}");
        assert!(
            (1200.0..2000.0).contains(&ramp.first_answer_p50_ms),
            "{model:?}: {ramp:?}"
        );
        // Once all are served the answers come at once: the ramp is not
        // in the window's latencies.
        assert!(r.p50_us < 50_000.0, "{model:?}: p50 {}", r.p50_us);
        assert_eq!(r.fairness.starved, 0, "{model:?}: {:?}", r.fairness);
        assert_eq!((r.errors, r.unanswered), (0, 0), "{model:?}: {r:?}");
    }
}

#[test]
fn a_connection_answered_ten_times_slower_gets_a_tenth_and_lowers_jain() {
    for model in Model::CLIENTS {
        let server = quirky(
            5,
            Quirk::Slow {
                which: 0,
                factor: 10,
            },
        );
        let r = load(model, server.addr(), |c| {
            c.connections = 10;
            c.duration = Duration::from_secs(2);
        });
        let f = &r.fairness;
        let share = f.answers_min as f64 / f.answers_median as f64;
        assert!((0.05..0.2).contains(&share), "{model:?}: {f:?}");
        let jain = f.jain_index.expect("answers");
        assert!(jain < 0.97, "{model:?}: {f:?}");
        assert_eq!(f.starved, 0, "{model:?}: {f:?}");
        // Little's law holds over all connections, the slow one included.
        let in_flight = r.messages_per_s * r.mean_us / 1e6;
        let ratio = in_flight / r.connections as f64;
        assert!((0.85..=1.15).contains(&ratio), "{model:?}: {ratio} {r:?}");
    }
}

#[test]
fn a_connection_never_answered_is_starved_and_the_run_still_ends() {
    for model in sockmodes_models::Model::CLIENTS.map(|m| m.name()) {
        let server = quirky(1, Quirk::Silent(3));
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sockmodes"))
            .args(["load", "--mode", model, "--json", "--connections", "10"])
            .args(["--duration", "1", "--warmup-cap", "1"])
            .args(["--addr", &server.addr().to_string()])
            .output()
            .expect("sockmodes runs");
        assert!(out.status.success(), "{model}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(r["fairness"]["starved"], 1, "{model}: {r}");
        assert_eq!(r["ramp"]["never_answered"], 1, "{model}: {r}");
        assert_eq!(r["ramp"]["cap_reached"], true, "{model}: {r}");
        assert!(r["ramp"]["last_first_answer_ms"].is_null(), "{model}: {r}");
        assert_eq!(r["unanswered"], 1, "{model}: {r}");
        let oldest = r["oldest_unanswered_ms"].as_f64().expect("an age");
        assert!(
            oldest >= 5000.0,
            "{model}: waited through the drain: {oldest}"
        );
        assert!(
            stderr.contains("1 of 10 connections starved"),
            "{model}: {stderr}"
        );
        assert!(stderr.contains("never answered"), "{model}: {stderr}");
    }
}
