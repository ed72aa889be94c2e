//! The scaling study: where blocking and non-blocking part ways.
//!
//! Two experiments, each against the blocking server, the non-blocking
//! server and tokio, every one in a process of its own on the server cores
//! (placement `split`), driven by `sockmodes load`'s non-blocking engine on
//! the client cores:
//!
//! 1. **Connection sweep**, closed loop, 64-byte echo: 1 to 10,000
//!    connections (more where the open-file limit allows). At each point,
//!    messages/s and latency percentiles from the load engine, and from the
//!    server's `/proc`: CPU per message (user and system), context switches
//!    per message, resident memory and threads. Those last figures are the
//!    *why*: threads cost switches and memory, an event loop pays in
//!    syscalls.
//! 2. **Latency under offered load** (the hockey stick): at 1,000
//!    connections, open loop at 10% .. 110% of each server's own closed-loop
//!    capacity from the sweep; latency from each send's scheduled time, so
//!    queueing counts.
//!
//! The server's costs are read at the exact edges of the measured window
//! (the load engine's window hook), so they divide by the same messages.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use sockmodes::child::ServerProcess;
use sockmodes::load::{self, LoadConfig, LoadReport, WindowEdge, WindowHook};
use sockmodes::IoMode;
use sockmodes_common::procfs::{self, ProcessSample};

use super::affinity::Placement;
use super::servers::Target;

/// The servers the study compares.
pub const SERVERS: [Target; 3] = [Target::Blocking, Target::NonBlocking, Target::Tokio];

/// Environment variable that makes the bench binary serve tokio instead of
/// benching (its value is the number of worker threads).
pub const SERVE_TOKIO: &str = "SOCKMODES_BENCH_SERVE_TOKIO";

/// How big and how long, by run mode.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Connection counts of the sweep.
    pub connections: Vec<usize>,
    /// Why the sweep stops where it does.
    pub stopped_by: String,
    /// Connections of the hockey stick.
    pub load_connections: usize,
    /// Offered load steps, % of closed-loop capacity.
    pub load_steps: Vec<f64>,
    #[serde(skip)]
    pub warmup: Duration,
    #[serde(skip)]
    pub measure: Duration,
    pub warmup_s: f64,
    pub measure_s: f64,
    /// The most warm-up a point may take while some connection still waits
    /// for its first answer (then its connections count as starved).
    pub warmup_cap_s: f64,
    /// Cores each server gets (the split placement's server half).
    pub server_cores: usize,
}

impl Plan {
    /// The plan for `run_mode` ("full", "quick" or "test"), within the
    /// open-file limit `nofile` (each side holds one descriptor per
    /// connection).
    pub fn new(run_mode: &str, nofile: u64, server_cores: usize) -> Plan {
        // Why these counts: decades from 1 to 10,000, plus 3,000 where the
        // issue's first measurements showed the blocking server bending.
        let (wanted, steps, warmup, measure): (&[usize], &[f64], f64, f64) = match run_mode {
            "test" => (&[1, 10], &[50.0], 0.0, 0.3),
            "quick" => (
                &[1, 10, 100, 1_000, 3_000],
                &[10.0, 50.0, 90.0, 110.0],
                0.5,
                1.5,
            ),
            _ => (
                &[1, 10, 100, 1_000, 3_000, 10_000, 20_000],
                &[10.0, 25.0, 50.0, 70.0, 80.0, 90.0, 100.0, 110.0],
                1.0,
                3.0,
            ),
        };
        // Room for the process's own descriptors besides the connections.
        let fits = |n: usize| n as u64 + 200 <= nofile;
        let connections: Vec<usize> = wanted.iter().copied().filter(|&n| fits(n)).collect();
        let stopped_by = match wanted.iter().find(|&&n| !fits(n)) {
            Some(n) => format!(
                "the open-file limit: {n} connections need about {} descriptors in each process, and the limit is {nofile}",
                n + 200
            ),
            None if run_mode == "full" => "the plan (largest count planned)".into(),
            None => format!("{run_mode} mode (a shorter sweep than a full run)"),
        };
        let load_connections = if run_mode == "test" { 10 } else { 1_000 };
        Plan {
            connections,
            stopped_by,
            load_connections,
            load_steps: steps.to_vec(),
            warmup: Duration::from_secs_f64(warmup),
            measure: Duration::from_secs_f64(measure),
            warmup_s: warmup,
            measure_s: measure,
            // Why: measured here, the blocking server under load had not
            // answered about 1,000 of 10,000 connections after 30 s; 20 s
            // (5 s quick, 2 s test) shows that without the wait dominating
            // the run.
            warmup_cap_s: match run_mode {
                "test" => 2.0,
                "quick" => 5.0,
                _ => 20.0,
            },
            server_cores,
        }
    }
}

/// What a server cost over a measured window, per message.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ServerCost {
    pub user_us_per_msg: f64,
    pub system_us_per_msg: f64,
    pub switches_per_msg: f64,
    pub rss_mib: f64,
    pub threads: u64,
    /// Server CPU over the window as cores busy (1.0 = one core all the time).
    pub cores_busy: f64,
}

/// One point of the sweep, or one step of the hockey stick.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    pub server: String,
    pub connections: usize,
    /// Open loop: offered load as % of this server's closed-loop capacity.
    pub offered_pct: Option<f64>,
    pub offered_per_s: Option<f64>,
    pub messages_per_s: f64,
    /// Answers that arrived within the window, per second (open loop: what
    /// the server sustained).
    pub answered_per_s: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
    pub mean_us: f64,
    pub errors: u64,
    pub client_cpu_utilization: Option<f64>,
    pub client_bound: bool,
    /// None where `/proc` could not be read.
    pub cost: Option<ServerCost>,
    /// Cores the server was given.
    pub server_cores: usize,
    /// The whole distribution (kept for the spectrum chart's point).
    pub percentiles: Vec<[f64; 2]>,
    /// The warm-up the load engine took: until every connection had its
    /// first answer (the ramp).
    pub warmup_s: f64,
    /// ms from the start until the last connection's first answer (None:
    /// some connection was never answered).
    pub ramp_ms: Option<f64>,
    /// Connections with no answer in the window.
    pub starved: usize,
    /// Jain's fairness index over answers per connection.
    pub jain_index: Option<f64>,
}

/// The point of `points` for server `t` at `n` connections.
pub fn find(points: &[Point], t: Target, n: usize) -> Option<&Point> {
    points
        .iter()
        .find(|p| p.server == t.name() && p.connections == n)
}

/// A server of the study, in its own process on the server cores.
fn start_server(target: Target, placement: Placement) -> std::io::Result<ServerProcess> {
    let threads = placement.server_cpus().len().to_string();
    let command = match target {
        Target::Tokio => {
            let mut c = Command::new(std::env::current_exe()?);
            c.env(SERVE_TOKIO, &threads);
            c
        }
        _ => {
            let mut c = Command::new(Path::new(env!("CARGO_BIN_EXE_sockmodes")));
            c.args(["server", "--addr", "127.0.0.1:0", "--service", "echo"])
                .args(["--mode", target.name(), "--max-conns", "30000"])
                .args(["--idle-timeout", "3600"]);
            if target == Target::NonBlocking {
                c.args(["--threads", &threads]);
            }
            c
        }
    };
    placement.on_server_cpus(|| ServerProcess::spawn(command))
}

/// Runs one closed- or open-loop load against `addr`, sampling `pid`.
fn measure(
    server: &ServerProcess,
    target: Target,
    connections: usize,
    rate: Option<f64>,
    plan: &Plan,
) -> Result<Point, String> {
    let samples: Arc<Mutex<Vec<ProcessSample>>> = Arc::default();
    let (pid, into) = (server.pid(), Arc::clone(&samples));
    let hook = WindowHook(Arc::new(move |_edge: WindowEdge| {
        if let Ok(s) = procfs::sample(pid) {
            into.lock().unwrap().push(s);
        }
    }));
    let config = LoadConfig {
        connections,
        duration: plan.measure,
        warmup: plan.warmup,
        warmup_cap: Duration::from_secs_f64(plan.warmup_cap_s),
        rate,
        on_window: Some(hook),
        ..LoadConfig::new(IoMode::NonBlocking, server.addr)
    };
    let run = load::run(&config, Arc::new(AtomicU64::new(0))).map_err(|e| e.to_string())?;
    let r = run.report();
    let samples = samples.lock().unwrap();
    let cost = match samples.as_slice() {
        [a, b] => Some(cost(a, b, r, plan.measure)),
        _ => None,
    };
    let mut p = point(target, connections, r, cost);
    p.server_cores = plan.server_cores;
    Ok(p)
}

fn cost(a: &ProcessSample, b: &ProcessSample, r: &LoadReport, window: Duration) -> ServerCost {
    let msgs = r.messages.max(1) as f64;
    let user = b.user_s - a.user_s;
    let system = b.system_s - a.system_s;
    ServerCost {
        user_us_per_msg: user * 1e6 / msgs,
        system_us_per_msg: system * 1e6 / msgs,
        switches_per_msg: b.switches().saturating_sub(a.switches()) as f64 / msgs,
        rss_mib: b.rss_bytes as f64 / (1024.0 * 1024.0),
        threads: b.threads,
        cores_busy: (user + system) / window.as_secs_f64(),
    }
}

fn point(target: Target, connections: usize, r: &LoadReport, cost: Option<ServerCost>) -> Point {
    Point {
        server: target.name().to_string(),
        connections,
        offered_pct: None,
        offered_per_s: r.rate_requested,
        messages_per_s: r.messages_per_s,
        answered_per_s: r.answered_per_s,
        p50_us: r.p50_us,
        p99_us: r.p99_us,
        p999_us: r.p999_us,
        max_us: r.max_us,
        mean_us: r.mean_us,
        errors: r.errors,
        client_cpu_utilization: r.client_cpu_utilization,
        client_bound: r.client_bound,
        cost,
        server_cores: 1,
        percentiles: r.percentiles.clone(),
        warmup_s: r.ramp.warmup_s,
        ramp_ms: r.ramp.last_first_answer_ms,
        starved: r.fairness.starved,
        jain_index: r.fairness.jain_index,
    }
}

/// The connection sweep: every server at every count, a fresh server
/// process per point (so its threads and memory are that point's).
pub fn connection_sweep(plan: &Plan, placement: Placement) -> Vec<Point> {
    let mut points = Vec::new();
    for &n in &plan.connections {
        for target in SERVERS {
            eprintln!("sweep: {} server, {n} connections", target.name());
            let result = start_server(target, placement)
                .map_err(|e| e.to_string())
                .and_then(|server| {
                    let p = measure(&server, target, n, None, plan);
                    let _ = server.terminate();
                    p
                });
            match result {
                Ok(p) => points.push(p),
                Err(e) => eprintln!("sweep: {} at {n} connections failed: {e}", target.name()),
            }
        }
    }
    points
}

/// The hockey stick: each server at `plan.load_connections`, open loop at
/// each step of its own closed-loop capacity from `sweep`.
pub fn offered_load(plan: &Plan, placement: Placement, sweep: &[Point]) -> Vec<Point> {
    let n = plan.load_connections;
    let mut points = Vec::new();
    for target in SERVERS {
        let Some(capacity) = sweep
            .iter()
            .find(|p| p.server == target.name() && p.connections == n)
            .map(|p| p.messages_per_s)
            .filter(|c| *c > 0.0)
        else {
            eprintln!("load steps: no capacity for {} at {n}", target.name());
            continue;
        };
        let server = match start_server(target, placement) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("load steps: {} did not start: {e}", target.name());
                continue;
            }
        };
        for &pct in &plan.load_steps {
            let rate = capacity * pct / 100.0;
            eprintln!(
                "load steps: {} at {pct}% ({rate:.0} msg/s, {n} connections)",
                target.name()
            );
            match measure(&server, target, n, Some(rate), plan) {
                Ok(mut p) => {
                    p.offered_pct = Some(pct);
                    points.push(p);
                }
                Err(e) => eprintln!("load steps: {} at {pct}% failed: {e}", target.name()),
            }
        }
        let _ = server.terminate();
    }
    points
}

/// The bench binary re-executed as the tokio reference server: prints
/// `listening on ADDR` on stderr (as `sockmodes server` does) and serves
/// until killed.
pub fn serve_tokio(threads: &str) -> ! {
    let _ = sockmodes_common::net::raise_nofile_limit();
    let workers = threads.parse().unwrap_or(1);
    let server = super::tokio_server::TokioServer::start(sockmodes_common::Service::Echo, workers);
    let addr: SocketAddr = server.addr;
    eprintln!("tokio reference listening on {addr}");
    loop {
        std::thread::park();
    }
}

/// Busy share above which a side counts as saturated.
///
/// Why 0.9: the same line the load generator uses for "client-bound".
pub const SATURATED: f64 = 0.9;

impl Point {
    /// The server's CPU over the window as a share of its cores.
    pub fn server_busy(&self) -> Option<f64> {
        self.cost
            .as_ref()
            .map(|c| c.cores_busy / self.server_cores.max(1) as f64)
    }

    /// Which side limited this point: "client", "both" or "server" (None:
    /// neither was saturated, or the server was not measured).
    pub fn limited_by(&self) -> Option<&'static str> {
        let server = self.server_busy()? > SATURATED;
        match (self.client_bound, server) {
            (true, true) => Some("both"),
            (true, false) => Some("client"),
            (false, true) => Some("server"),
            (false, false) => None,
        }
    }
}
