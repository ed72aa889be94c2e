//! `cargo bench`: sockmodes' main job.
//!
//! Measures the blocking and non-blocking servers on the same work in one
//! run, beside two references (`raw`, the least a server can do; `tokio`,
//! what a user would pick instead):
//!
//! 1. criterion groups on one connection: latency by payload, throughput;
//! 2. the scaling study (`support/sweep.rs`): a closed-loop connection sweep
//!    from 1 to 10,000 connections and latency under offered load, each
//!    server in its own process, with the server's CPU, context switches,
//!    memory and threads;
//! 3. resident memory with many idle connections;
//!
//! then writes `target/criterion/sockmodes/report.{md,json,html}`.
//!
//! Run: `cargo bench` (full, about 9 minutes on 2 cores), `cargo bench -- --quick`
//! (about 3 minutes), or `cargo bench -- --test` (each case once at the
//! smallest size, no timing: what CI runs).

mod support;

use std::net::TcpStream;
use std::time::{Duration, SystemTime};

use criterion::{BenchmarkId, Criterion, Throughput};
use sockmodes_common::Service;
use support::affinity::Placement;
use support::clients;
use support::report::{self, observe, CaseSpec, Metric, Study};
use support::scale;
use support::servers::{Running, Target};
use support::sweep::{self, Plan};

/// Payloads of the latency group.
const LATENCY_SIZES: [(usize, &str); 3] = [(16, "16B"), (1024, "1KiB"), (64 * 1024, "64KiB")];

fn main() {
    // Re-executed as the scaling study's tokio server: serve, don't bench.
    if let Ok(threads) = std::env::var(sweep::SERVE_TOKIO) {
        sweep::serve_tokio(&threads);
    }
    let started = SystemTime::now();
    let args: Vec<String> = std::env::args().collect();
    let has = |flag: &str| args.iter().any(|a| a == flag);
    let run_mode = if has("--test") {
        "test"
    } else if has("--quick") {
        "quick"
    } else {
        "full"
    };
    // 10,000 connections need as many descriptors in this process.
    let nofile = sockmodes_common::net::raise_nofile_limit().map_or(1024, |l| l.now);
    // The client (this thread and those it starts) on the client cores.
    support::affinity::pin_current_thread(&Placement::for_criterion().client_cpus());
    // Why 1 s warm-up and 4 s measurement: loopback cases settle within a
    // second, and 20 cases x 5 s keeps criterion's share near 2 minutes.
    // Quick mode halves both.
    let (warm_up, measure) = if run_mode == "quick" {
        (Duration::from_millis(500), Duration::from_secs(2))
    } else {
        (Duration::from_secs(1), Duration::from_secs(4))
    };
    let mut c = Criterion::default()
        .output_directory(&report::criterion_dir())
        .warm_up_time(warm_up)
        .measurement_time(measure)
        .configure_from_args();
    let mut cases = Vec::new();
    latency(&mut c, &mut cases);
    throughput(&mut c, &mut cases);
    c.final_summary();
    if has("--list") {
        return;
    }

    let placement = Placement::for_sweep();
    let plan = Plan::new(run_mode, nofile, placement.server_cpus().len());
    support::affinity::pin_current_thread(&placement.client_cpus());
    eprintln!("sweep: {} ({})", placement.describe(), plan.stopped_by);
    let sweep_points = sweep::connection_sweep(&plan, placement);
    let load_steps = sweep::offered_load(&plan, placement, &sweep_points);

    let counts: &[usize] = if run_mode == "test" {
        &[100]
    } else {
        &[1_000, 10_000]
    };
    let mut points = Vec::new();
    for mode in ["blocking", "nonblocking"] {
        eprintln!("scale: {mode} server with {counts:?} idle connections");
        points.extend(scale::measure(mode, counts));
    }
    let results = report::collect(&cases, started);
    let dir = report::criterion_dir().join("sockmodes");
    let study = Study {
        results: &results,
        scale: &points,
        plan: &plan,
        sweep: &sweep_points,
        load_steps: &load_steps,
    };
    match report::write(&dir, run_mode, &study) {
        Ok(path) => println!(
            "\nsockmodes report: {}\n(also report.html and report.json beside it)",
            path.display()
        ),
        Err(e) => eprintln!("could not write the report in {}: {e}", dir.display()),
    }
}

/// Echo round trips on one connection (set up outside the timed part).
fn latency(c: &mut Criterion, cases: &mut Vec<CaseSpec>) {
    let mut group = c.benchmark_group("latency");
    for (size, param) in LATENCY_SIZES {
        let wire = clients::wire(size);
        // A server per size: raw is told the message length.
        let servers: Vec<(Target, Running)> = Target::ALL
            .iter()
            .map(|&t| (t, Running::start(t, Service::Echo, wire.len())))
            .collect();
        for (target, server) in &servers {
            let mut stream = clients::connect(server.addr());
            let mut reply = vec![0u8; wire.len()];
            let id = format!("latency/{}/{param}", target.name());
            group.bench_function(BenchmarkId::new(target.name(), param), |b| {
                b.iter_custom(|iters| {
                    let d = clients::round_trips(&mut stream, &wire, &mut reply, iters);
                    observe(&id, iters, d);
                    d
                });
            });
        }
        cases.push(CaseSpec {
            group: "latency",
            param: param.to_string(),
            label: format!("echo {}", human(size)),
            metric: Metric::LatencyUs,
            per_iter: 1.0,
        });
    }
    group.finish();
}

/// Sink upload in 1 MiB frames, and streamed echo of 64 KiB frames.
fn throughput(c: &mut Criterion, cases: &mut Vec<CaseSpec>) {
    let mut group = c.benchmark_group("throughput");
    group.sample_size(20);
    let sink = clients::wire(1 << 20);
    group.throughput(Throughput::Bytes(sink.len() as u64));
    for target in Target::ALL {
        let server = Running::start(target, Service::Sink, sink.len());
        let id = format!("throughput/{}/sink-1MiB", target.name());
        group.bench_function(BenchmarkId::new(target.name(), "sink-1MiB"), |b| {
            b.iter_custom(|iters| {
                let d = clients::sink_upload(server.addr(), &sink, iters);
                observe(&id, iters, d);
                d
            });
        });
    }
    cases.push(CaseSpec {
        group: "throughput",
        param: "sink-1MiB".into(),
        label: "sink 1 MiB frames".into(),
        metric: Metric::BytesPerSec,
        per_iter: sink.len() as f64,
    });
    let echo = clients::wire(64 * 1024);
    group.throughput(Throughput::Bytes(echo.len() as u64));
    for target in Target::ALL {
        let server = Running::start(target, Service::Echo, echo.len());
        let mut stream: TcpStream = clients::connect(server.addr());
        let id = format!("throughput/{}/echo-64KiB", target.name());
        group.bench_function(BenchmarkId::new(target.name(), "echo-64KiB"), |b| {
            b.iter_custom(|iters| {
                let d = clients::echo_stream(&mut stream, &echo, iters);
                observe(&id, iters, d);
                d
            });
        });
    }
    cases.push(CaseSpec {
        group: "throughput",
        param: "echo-64KiB".into(),
        label: "echo 64 KiB frames".into(),
        metric: Metric::BytesPerSec,
        per_iter: echo.len() as f64,
    });
    group.finish();
}

fn human(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{} MiB", b >> 20),
        b if b >= 1024 => format!("{} KiB", b >> 10),
        b => format!("{b} B"),
    }
}
