//! `cargo bench`: sockmodes' main job. A thin driver: it runs the criterion
//! cases here (one connection, each server in this process, beside the
//! `raw` and `tokio` references), then the scaling study and the report of
//! the `sockmodes-study` library:
//!
//! 1. criterion groups on one connection: latency by payload, throughput;
//! 2. the scaling study: a closed-loop connection sweep, latency under
//!    offered load, and every server at one same rate, each server in its
//!    own process, every point in several windows (`study/src/sweep.rs`);
//! 3. the cross-check: the same servers at a few counts, driven by every
//!    client engine in both placements (`study/src/crosscheck.rs`);
//! 4. service work: every server with work per message (cpu, a blocking
//!    call, a wait), inline and on a pool, beside its Little's-law ceiling
//!    (`study/src/service.rs`);
//! 5. resident memory with many idle connections, beside bare threads;
//!
//! then writes `target/criterion/sockmodes/report.{md,json,html}`.
//!
//! Run: `cargo bench` (full), `cargo bench -- --quick`, or `cargo bench --
//! --test` (each part once at the smallest size, no timing: what CI runs).
//! How long each takes on 2 cores is in the README.

mod support;

use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, SystemTime};

use criterion::{BenchmarkId, Criterion, Throughput};
use sockmodes_common::Service;
use sockmodes_study::affinity::{pin_current_thread, Placement};
use sockmodes_study::crosscheck;
use sockmodes_study::driver::Driver;
use sockmodes_study::machine::Machine;
use sockmodes_study::report::{
    self, criterion_dir, observe, Case, CaseSpec, Group, Metric, Part, PartTime, Report, Study,
};
use sockmodes_study::scale::{self, SERVE_BARE_THREADS};
use sockmodes_study::service;
use sockmodes_study::sweep::{self, Launcher, Plan};
use sockmodes_study::target::RunMode;
use support::clients;
use support::servers::{Running, Target};

/// Payloads of the latency group.
const LATENCY_SIZES: [(usize, &str); 3] = [(16, "16B"), (1024, "1KiB"), (64 * 1024, "64KiB")];

fn main() {
    serve_if_asked();
    let started = SystemTime::now();
    let args: Vec<String> = std::env::args().collect();
    let mode = RunMode::from_args(&args);
    // 10,000 connections need as many descriptors in this process.
    let nofile = sockmodes_os::limits::raise_nofile_limit().map_or(1024, |l| l.now);
    let cases = criterion_cases(mode);
    if args.iter().any(|a| a == "--list") {
        return;
    }

    let placement = Placement::for_sweep();
    let plan = Plan::new(mode, nofile, placement.server_cpus().len());
    pin_current_thread(&placement.client_cpus());
    eprintln!("study: {} ({})", placement.describe(), plan.stopped_by);
    let launcher = Launcher {
        sockmodes: Path::new(env!("CARGO_BIN_EXE_sockmodes")).to_path_buf(),
    };
    let driver = Driver::sweep(placement);
    let mut clock = Clock::since(started);
    clock.lap(Part::Criterion);
    let sweep_points = sweep::connection_sweep(&plan, driver, &launcher);
    clock.lap(Part::Sweep);
    let load_steps = sweep::offered_load(&plan, driver, &launcher, &sweep_points);
    clock.lap(Part::OfferedLoad);
    let same_rate = sweep::same_rate(&plan, driver, &launcher, &sweep_points);
    clock.lap(Part::SameRate);
    // The same servers driven by every client engine in both placements.
    let cross_check = crosscheck::cross_check(&plan, driver, &launcher, &sweep_points);
    clock.lap(Part::CrossCheck);
    // Work per message: every server inline and on a pool, beside its
    // Little's-law ceiling.
    let service = service::service_work(&plan, driver, &launcher);
    clock.lap(Part::Service);
    let (scale, bare_threads) = idle_memory(mode, &launcher);
    clock.lap(Part::IdleMemory);
    let study = Study {
        plan,
        cases: report::collect(&cases, started),
        sweep: sweep_points,
        load_steps,
        same_rate,
        scale,
        bare_threads,
        cross_check,
        elapsed_s: started.elapsed().ok().map(|d| d.as_secs_f64()),
        parts: clock.parts,
        service,
    };
    let report = Report::new(study, Machine::describe());
    let dir = criterion_dir().join("sockmodes");
    match report::write(&dir, &report) {
        Ok(path) => println!(
            "\nsockmodes report: {}\n(also report.html and report.json beside it)",
            path.display()
        ),
        Err(e) => eprintln!("could not write the report in {}: {e}", dir.display()),
    }
}

/// Re-executed as the study's bare-thread yardstick: serve, don't bench
/// (it does not return).
fn serve_if_asked() {
    if let Ok(n) = std::env::var(SERVE_BARE_THREADS) {
        scale::serve_bare_threads(&n);
    }
}

/// Part 1: the criterion groups on one connection, the client on the
/// client cores; the cases the report quotes.
fn criterion_cases(mode: RunMode) -> Vec<CaseSpec> {
    pin_current_thread(&Placement::for_criterion().client_cpus());
    // Why 1 s warm-up and 2 s measurement: loopback cases settle within a
    // second, and 20 cases x 3 s keep criterion's share near 70 s of a
    // full run that must stay under 20 minutes with the service-work
    // section (3 s took 115 s; the section's 300 s is what was cut for).
    // Quick mode takes 0.3 s and 1 s.
    let (warm_up, measure) = if mode == RunMode::Quick {
        (Duration::from_millis(300), Duration::from_secs(1))
    } else {
        (Duration::from_secs(1), Duration::from_secs(2))
    };
    // Why no plots and 10,000 resamples: criterion's own per-case SVGs and
    // 100,000-resample bootstraps took about a minute of a quick run; the
    // report draws its own charts and quotes medians.
    let mut c = Criterion::default()
        .output_directory(&criterion_dir())
        .warm_up_time(warm_up)
        .measurement_time(measure)
        .nresamples(10_000)
        .without_plots()
        .configure_from_args();
    let mut cases = Vec::new();
    latency(&mut c, &mut cases);
    throughput(&mut c, &mut cases);
    c.final_summary();
    cases
}

/// Part 5: resident memory with many idle connections to each server, and
/// the bare threads' yardstick at the largest count. Quick takes 1,000,
/// since the blocking server starts a thread per connection and that
/// alone takes seconds; full 10,000, where a thread per connection shows.
fn idle_memory(
    mode: RunMode,
    launcher: &Launcher,
) -> (Vec<scale::ScalePoint>, Option<report::BareThreads>) {
    let counts: &[usize] = match mode {
        RunMode::Test => &[100],
        RunMode::Quick => &[1_000],
        RunMode::Full => &[10_000],
    };
    let mut points = Vec::new();
    for t in Target::models() {
        eprintln!(
            "scale: {} server with {counts:?} idle connections",
            t.name()
        );
        points.extend(scale::measure(&launcher.sockmodes, t, counts));
    }
    let largest = counts.iter().copied().max().unwrap_or(100);
    let own = std::env::current_exe().expect("the bench's own path");
    let bare_threads = scale::bare_threads(&own, largest)
        .map(|(rss_mib, baseline_mib)| report::BareThreads {
            threads: largest,
            rss_mib,
            baseline_mib,
        })
        .map_err(|e| eprintln!("scale: bare threads not measured: {e}"))
        .ok();
    (points, bare_threads)
}

/// Echo round trips on one connection (set up outside the timed part).
fn latency(c: &mut Criterion, cases: &mut Vec<CaseSpec>) {
    let mut group = c.benchmark_group(Group::Latency.name());
    for (size, param) in LATENCY_SIZES {
        let wire = clients::wire(size);
        // A server per size: raw is told the message length.
        let servers: Vec<(Target, Running)> = Target::all()
            .iter()
            .map(|&t| (t, Running::start(t, Service::Echo, wire.len())))
            .collect();
        for (target, server) in &servers {
            let mut stream = clients::connect(server.addr());
            let mut reply = vec![0u8; wire.len()];
            let id = format!("{}/{}/{param}", Group::Latency.name(), target.name());
            group.bench_function(BenchmarkId::new(target.name(), param), |b| {
                b.iter_custom(|iters| {
                    let d = clients::round_trips(&mut stream, &wire, &mut reply, iters);
                    observe(&id, iters, d);
                    d
                });
            });
        }
        cases.push(CaseSpec {
            group: Group::Latency,
            param: param.to_string(),
            case: Case {
                service: Service::Echo,
                bytes: size as u64,
            },
            metric: Metric::LatencyUs,
            per_iter: 1.0,
        });
    }
    group.finish();
}

/// Sink upload in 1 MiB frames, and streamed echo of 64 KiB frames.
fn throughput(c: &mut Criterion, cases: &mut Vec<CaseSpec>) {
    let mut group = c.benchmark_group(Group::Throughput.name());
    group.sample_size(20);
    let sink = clients::wire(1 << 20);
    group.throughput(Throughput::Bytes(sink.len() as u64));
    for target in Target::all() {
        let server = Running::start(target, Service::Sink, sink.len());
        let id = format!("{}/{}/sink-1MiB", Group::Throughput.name(), target.name());
        group.bench_function(BenchmarkId::new(target.name(), "sink-1MiB"), |b| {
            b.iter_custom(|iters| {
                let d = clients::sink_upload(server.addr(), &sink, iters);
                observe(&id, iters, d);
                d
            });
        });
    }
    cases.push(CaseSpec {
        group: Group::Throughput,
        param: "sink-1MiB".into(),
        case: Case {
            service: Service::Sink,
            bytes: 1 << 20,
        },
        metric: Metric::BytesPerSec,
        per_iter: sink.len() as f64,
    });
    let echo = clients::wire(64 * 1024);
    group.throughput(Throughput::Bytes(echo.len() as u64));
    for target in Target::all() {
        let server = Running::start(target, Service::Echo, echo.len());
        let mut stream: TcpStream = clients::connect(server.addr());
        let id = format!("{}/{}/echo-64KiB", Group::Throughput.name(), target.name());
        group.bench_function(BenchmarkId::new(target.name(), "echo-64KiB"), |b| {
            b.iter_custom(|iters| {
                let d = clients::echo_stream(&mut stream, &echo, iters);
                observe(&id, iters, d);
                d
            });
        });
    }
    cases.push(CaseSpec {
        group: Group::Throughput,
        param: "echo-64KiB".into(),
        case: Case {
            service: Service::Echo,
            bytes: 64 * 1024,
        },
        metric: Metric::BytesPerSec,
        per_iter: echo.len() as f64,
    });
    group.finish();
}

/// Where the run's time goes, part by part.
struct Clock {
    last: SystemTime,
    parts: Vec<PartTime>,
}

impl Clock {
    fn since(start: SystemTime) -> Clock {
        Clock {
            last: start,
            parts: Vec::new(),
        }
    }

    /// `part` ended now.
    fn lap(&mut self, part: Part) {
        let now = SystemTime::now();
        let seconds = now
            .duration_since(self.last)
            .map_or(0.0, |d| d.as_secs_f64());
        self.parts.push(PartTime { part, seconds });
        self.last = now;
    }
}
