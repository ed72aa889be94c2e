//! `cargo bench`: sockmodes' main job.
//!
//! Measures the blocking and non-blocking servers on the same work in one
//! run, beside two references (`raw`, the loopback limit; `tokio`, what a
//! user would pick instead), then the servers' memory with many idle
//! connections, and writes `target/criterion/sockmodes/report.{md,json,html}`.
//!
//! Run: `cargo bench` (full, about 6 minutes on 2 cores), `cargo bench -- --quick`,
//! or `cargo bench -- --test` (each case once, no timing: what CI runs).

mod support;

use std::net::TcpStream;
use std::time::{Duration, SystemTime};

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use sockmodes_common::Service;
use support::clients::{self, Swarm};
use support::report::{self, observe, CaseSpec, Metric};
use support::scale;
use support::servers::{Running, Target};

/// Payloads of the latency group.
const LATENCY_SIZES: [(usize, &str); 3] = [(16, "16B"), (1024, "1KiB"), (64 * 1024, "64KiB")];
/// Connection counts of the concurrency group.
const CONNECTIONS: [usize; 4] = [1, 10, 100, 1000];

fn main() {
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
    // 1,000 connections with both ends in this process need 2,000+ descriptors.
    let _ = sockmodes_common::net::raise_nofile_limit();
    // The client (this thread and those it starts) on one core, servers on the other.
    support::affinity::pin_current_thread(support::affinity::CLIENT_CPU);
    // Why 1 s warm-up and 4 s measurement: loopback cases settle within a
    // second, and 36 cases x 5 s keeps `cargo bench` near 6 minutes on 2 cores.
    // Quick mode halves both so that it stays well inside 3 minutes.
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
    concurrency(&mut c, &mut cases);
    c.final_summary();
    if has("--list") {
        return;
    }

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
    match report::write(&dir, run_mode, &results, &points) {
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
    let servers: Vec<(Target, Running)> = Target::ALL
        .iter()
        .map(|&t| (t, Running::start(t, Service::Echo)))
        .collect();
    for (size, param) in LATENCY_SIZES {
        let wire = clients::wire(size);
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
        let server = Running::start(target, Service::Sink);
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
        let server = Running::start(target, Service::Echo);
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

/// 1 to 1000 connections, each with one 64-byte echo in flight.
fn concurrency(c: &mut Criterion, cases: &mut Vec<CaseSpec>) {
    let mut group = c.benchmark_group("concurrency");
    // Why 10 flat samples: one iteration at 1000 connections is 1000 round
    // trips; criterion's default 100 linear samples would take minutes.
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    for n in CONNECTIONS {
        group.throughput(Throughput::Elements(n as u64));
        for target in Target::ALL {
            let server = Running::start(target, Service::Echo);
            let mut swarm = Swarm::connect(server.addr(), n, 64);
            let id = format!("concurrency/{}/{n}", target.name());
            group.bench_function(BenchmarkId::new(target.name(), n), |b| {
                b.iter_custom(|iters| {
                    let d = swarm.run(iters);
                    observe(&id, iters, d);
                    d
                });
            });
        }
        cases.push(CaseSpec {
            group: "concurrency",
            param: n.to_string(),
            label: format!("{n} connection{}", if n == 1 { "" } else { "s" }),
            metric: Metric::MessagesPerSec,
            per_iter: n as f64,
        });
    }
    group.finish();
}

fn human(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{} MiB", b >> 20),
        b if b >= 1024 => format!("{} KiB", b >> 10),
        b => format!("{b} B"),
    }
}
