//! `cargo bench`: sockmodes' main job. A thin driver: it runs the criterion
//! cases here (one connection, each server in this process, beside the
//! `raw` and `tokio` references), then the scaling study and the report of
//! the `sockmodes-study` library, in seven parts (on a terminal each is
//! announced with its number and the time left, `study/src/progress.rs`):
//!
//! 1. criterion groups on one connection: latency by payload, throughput;
//! 2. the connection sweep, closed loop, each server in its own process,
//!    every point in several windows (`study/src/sweep.rs`);
//! 3. latency under offered load (the hockey stick);
//! 4. every server at one same rate;
//! 5. the cross-check: the same servers at a few counts, driven by every
//!    client engine in each placement of the plan, one of them with the
//!    server held to a CPU budget (`study/src/crosscheck.rs`);
//! 6. service work: every server with work per message (cpu, a blocking
//!    call, a wait), inline and on a pool, beside its Little's-law ceiling
//!    (`study/src/service.rs`);
//! 7. resident memory with many idle connections, beside bare threads;
//!
//! then writes `report.{md,json,html}` in `sockmodes/` of criterion's
//! directory (`$CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`, else
//! `target/criterion`).
//!
//! Run: `cargo bench` (full), `cargo bench -- --quick`, or `cargo bench --
//! --test` (each part once at the smallest size, no timing: what CI runs).
//! A run without cargo bench's `--bench` (`cargo test --benches`,
//! `--all-targets`) is the same test run, as criterion takes it.
//! How long each takes on 2 cores is in the README.

mod support;

use std::io::IsTerminal;
use std::time::SystemTime;

use criterion::{BenchmarkId, Criterion, Throughput};
use sockmodes_common::Service;
use sockmodes_study::affinity::{pin_current_thread, Placement};
use sockmodes_study::crosscheck;
use sockmodes_study::driver::Driver;
use sockmodes_study::machine::Machine;
use sockmodes_study::progress::{self, Progress, Sizes};
use sockmodes_study::report::{
    self, criterion_dir, observe, Case, CaseSpec, Group, Metric, Part, Report, Study,
};
use sockmodes_study::scale::{self, SERVE_BARE_THREADS};
use sockmodes_study::service;
use sockmodes_study::sweep::{self, Launcher, Measurer, Plan};
use sockmodes_study::target::BenchKind;
use support::clients;
use support::servers::{Running, Target};

/// Payloads of the latency group.
const LATENCY_SIZES: [(usize, &str); 3] = [(16, "16B"), (1024, "1KiB"), (64 * 1024, "64KiB")];

/// Cases of the throughput group: sink of 1 MiB frames, echo of 64 KiB.
const THROUGHPUT: [(Service, usize, &str); 2] = [
    (Service::Sink, 1 << 20, "sink-1MiB"),
    (Service::Echo, 64 * 1024, "echo-64KiB"),
];

fn main() {
    // Re-executed as the study's bare-thread yardstick: serve, don't bench
    // (it does not return).
    if let Ok(n) = std::env::var(SERVE_BARE_THREADS) {
        scale::serve_bare_threads(&n);
    }
    let started = SystemTime::now();
    let args: Vec<String> = std::env::args().collect();
    let kind = BenchKind::from_args(&args);
    let listing = args.iter().any(|a| a == "--list");
    // 10,000 connections need as many descriptors in this process.
    let nofile = sockmodes_os::limits::raise_nofile_limit().map_or(1024, |l| l.now);
    let placement = Placement::for_sweep();
    let plan = Plan::new(kind, nofile, placement.server_cpus().len());
    let driver = Driver::sweep(placement);
    let sizes = Sizes {
        criterion_cases: (LATENCY_SIZES.len() + THROUGHPUT.len()) * Target::all().len(),
        idle_connections: idle_counts(kind).iter().sum::<usize>() * Target::models().len(),
    };
    // Listing the cases (`--list`) says nothing else.
    let shown = std::io::stderr().is_terminal() && !listing;
    let drivers = Driver::every(driver, &plan.cross_placements).len();
    let progress = Progress::new(progress::estimate(&plan, drivers, sizes), shown);
    let mut parts = Vec::new();
    progress.begin(Part::Criterion);
    let cases = criterion_cases(kind);
    if listing {
        return;
    }
    parts.push(progress.end(Part::Criterion));

    pin_current_thread(&placement.client_cpus());
    progress.note(&format!(
        "study: {} ({})",
        placement.describe(),
        plan.stopped_by
    ));
    let launcher = Launcher {
        sockmodes: env!("CARGO_BIN_EXE_sockmodes").into(),
    };
    let m = Measurer {
        plan: &plan,
        driver,
        launcher: &launcher,
        progress: &progress,
    };
    progress.begin(Part::Sweep);
    let sweep_points = sweep::connection_sweep(m);
    parts.push(progress.end(Part::Sweep));
    progress.begin(Part::OfferedLoad);
    let load_steps = sweep::offered_load(m, &sweep_points);
    parts.push(progress.end(Part::OfferedLoad));
    progress.begin(Part::SameRate);
    let same_rate = sweep::same_rate(m, &sweep_points);
    parts.push(progress.end(Part::SameRate));
    // The same servers driven by every client engine in both placements.
    progress.begin(Part::CrossCheck);
    let (cross_check, cross_skipped) = crosscheck::cross_check(m, &sweep_points);
    parts.push(progress.end(Part::CrossCheck));
    // Work per message: every server inline and on a pool, beside its
    // Little's-law ceiling.
    progress.begin(Part::Service);
    let service = service::service_work(m);
    parts.push(progress.end(Part::Service));
    progress.begin(Part::IdleMemory);
    let (scale, bare_threads) = idle_memory(kind, &launcher, &progress);
    parts.push(progress.end(Part::IdleMemory));
    let study = Study {
        plan,
        cases: report::collect(&cases, started),
        sweep: sweep_points,
        load_steps,
        same_rate,
        scale,
        bare_threads,
        cross_check,
        cross_skipped,
        elapsed_s: started.elapsed().ok().map(|d| d.as_secs_f64()),
        parts,
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

/// Part 1: the criterion groups on one connection, the client on the
/// client cores; the cases the report quotes.
fn criterion_cases(kind: BenchKind) -> Vec<CaseSpec> {
    pin_current_thread(&Placement::for_criterion().client_cpus());
    // Why these times: `progress::criterion_times` says.
    let (warm_up, measure) = progress::criterion_times(kind);
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

/// Idle connections per server of part 7, by kind of run. Quick takes 1,000,
/// since the blocking server starts a thread per connection and that
/// alone takes seconds; full 10,000, where a thread per connection shows.
fn idle_counts(kind: BenchKind) -> &'static [usize] {
    kind.pick(&[100], &[1_000], &[10_000])
}

/// Part 7: resident memory with many idle connections to each server, and
/// the bare threads' yardstick at the largest count.
fn idle_memory(
    kind: BenchKind,
    launcher: &Launcher,
    progress: &Progress,
) -> (Vec<scale::ScalePoint>, Option<report::BareThreads>) {
    let counts = idle_counts(kind);
    let mut points = Vec::new();
    for t in Target::models() {
        let each: Vec<String> = counts.iter().map(usize::to_string).collect();
        progress.window(&format!(
            "{} server with {} idle connections",
            t.name(),
            each.join(", ")
        ));
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
        .map_err(|e| progress.note(&format!("scale: bare threads not measured: {e}")))
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
    for (service, bytes, param) in THROUGHPUT {
        let wire = clients::wire(bytes);
        group.throughput(Throughput::Bytes(wire.len() as u64));
        for target in Target::all() {
            let server = Running::start(target, service, wire.len());
            // Echo streams on one connection; each sink upload opens its own.
            let mut stream = (service == Service::Echo).then(|| clients::connect(server.addr()));
            let id = format!("{}/{}/{param}", Group::Throughput.name(), target.name());
            group.bench_function(BenchmarkId::new(target.name(), param), |b| {
                b.iter_custom(|iters| {
                    let d = match &mut stream {
                        Some(stream) => clients::echo_stream(stream, &wire, iters),
                        None => clients::sink_upload(server.addr(), &wire, iters),
                    };
                    observe(&id, iters, d);
                    d
                });
            });
        }
        cases.push(CaseSpec {
            group: Group::Throughput,
            param: param.to_string(),
            case: Case {
                service,
                bytes: bytes as u64,
            },
            metric: Metric::BytesPerSec,
            per_iter: wire.len() as f64,
        });
    }
    group.finish();
}
