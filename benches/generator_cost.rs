//! What the load generator itself costs: its CPU per message against the
//! simplest open-loop sender there can be (`sockmodes_loadgen::reference`), at
//! 10%, 50% and 90% of the non-blocking server's capacity, 1,000
//! connections, one client core and one server core (placement `split`).
//!
//! On loopback a sender's system calls also carry the kernel's work of
//! waking the receiver, so neither figure is "the client's work" alone; the
//! reference's figure is the floor any sender pays at that rate, and the
//! ratio generator / reference is the price of the generator's bookkeeping
//! (histograms, due times, a precise timer). Runs are interleaved, reference
//! then generator, R times, against one server process; the table gives
//! medians with min-max.
//!
//! A second table compares the client engines of the registry
//! (`Model::CLIENTS`: blocking, non-blocking and, on Linux, completion) at
//! the same rates: each engine's CPU per message and its ratio to the
//! reference. A cheaper engine leaves the server more of the machine, so
//! the study sees further before the client saturates.
//!
//! `cargo bench --bench generator_cost` (full: R = 3, 1.5 s windows; `--
//! --quick`: R = 2, 0.5 s; `-- --test`, or any run without cargo bench's
//! `--bench` such as `cargo test --benches`: one short window of each, no
//! figures claimed). Writes `generator-cost.md` in `sockmodes/` of
//! criterion's directory (`$CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`,
//! else `target/criterion`).

use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use sockmodes_loadgen::{self as load, reference, LoadConfig};
use sockmodes_models::child::ServerProcess;
use sockmodes_models::Model;
use sockmodes_study::affinity::{pin_current_thread, Placement};
use sockmodes_study::report::criterion_dir;
use sockmodes_study::stats::Spread;
use sockmodes_study::target::BenchKind;

/// "median (min-max)" of a step's windows.
fn show(values: Vec<f64>, digits: usize) -> String {
    Spread::of(values).map_or_else(|| "-".into(), |s| s.show(digits))
}

/// A CPU figure for the log: "43.37 µs/msg", or "not measured".
fn per_msg(us: Option<f64>) -> String {
    us.map_or_else(|| "not measured".into(), |us| format!("{us:.2} µs/msg"))
}

/// One load step's figures over its repeats.
#[derive(Default)]
struct Measured {
    /// CPU µs per message of each engine of `Model::CLIENTS`, in order.
    engines: Vec<Vec<f64>>,
    reference: Vec<f64>,
    generator: Vec<f64>,
    exact: Vec<f64>,
    ratio: Vec<f64>,
    exact_ratio: Vec<f64>,
    p50: Vec<f64>,
    exact_p50: Vec<f64>,
    grid_us: f64,
}

/// The generator's CPU µs per answered message.
fn cpu_per_msg(r: &sockmodes_loadgen::LoadReport) -> Option<f64> {
    let c = r.client_cpu?;
    Some(c.total_s() * 1e6 / (r.answered_per_s * c.wall_s).max(1.0))
}

/// How long and how wide the bench runs, from its arguments.
struct Settings {
    /// Interleaved windows per load step.
    repeats: usize,
    window: Duration,
    warmup: Duration,
    connections: usize,
    /// `--test`: one short window each, no figures claimed.
    test: bool,
}

impl Settings {
    fn from_args() -> Settings {
        let args: Vec<String> = std::env::args().collect();
        let kind = BenchKind::from_args(&args);
        // Why 3 windows of 1.5 s (quick: 2 of 0.5 s): enough for a range, and
        // the whole `cargo bench` stays within its time budget.
        let (repeats, window, warmup, connections) = match kind {
            BenchKind::Test => (1, 0.3, 0.2, 100),
            BenchKind::Quick => (2, 0.5, 0.3, 1_000),
            BenchKind::Full => (3, 1.5, 0.5, 1_000),
        };
        Settings {
            repeats,
            window: Duration::from_secs_f64(window),
            warmup: Duration::from_secs_f64(warmup),
            connections,
            test: kind == BenchKind::Test,
        }
    }
}

/// The bench's one server, and the load runs against it.
struct Bench {
    settings: Settings,
    server: ServerProcess,
}

impl Bench {
    /// One window of the `model` engine at `rate` (`None`: closed loop);
    /// the generator is the non-blocking engine.
    fn engine(
        &self,
        model: Model,
        rate: Option<f64>,
        grid: Option<Duration>,
    ) -> anyhow::Result<sockmodes_loadgen::LoadReport> {
        let s = &self.settings;
        let config = LoadConfig {
            connections: s.connections,
            duration: s.window,
            warmup: s.warmup,
            rate,
            grid,
            ..LoadConfig::new(model, self.server.addr)
        };
        Ok(load::run(&config, Arc::new(AtomicU64::new(0)))?
            .report()
            .clone())
    }

    /// One load step at `rate`, `pct`% of the capacity: the reference, the
    /// generator, every engine and the exact generator, interleaved, each
    /// `repeats` times.
    fn step(&self, pct: f64, rate: f64) -> anyhow::Result<Measured> {
        let s = &self.settings;
        let mut m = Measured {
            engines: vec![Vec::new(); Model::CLIENTS.len()],
            ..Measured::default()
        };
        for _ in 0..s.repeats {
            let r = reference::run(
                self.server.addr,
                s.connections,
                64,
                rate,
                s.warmup,
                s.window,
            )?;
            let g = self.engine(Model::NON_BLOCKING, Some(rate), None)?;
            for (k, model) in Model::CLIENTS.into_iter().enumerate() {
                let us = match model {
                    Model::NON_BLOCKING => cpu_per_msg(&g),
                    _ => cpu_per_msg(&self.engine(model, Some(rate), None)?),
                };
                eprintln!("{pct}%: {model} engine {}", per_msg(us));
                m.engines[k].extend(us);
            }
            let exact = self.engine(Model::NON_BLOCKING, Some(rate), Some(Duration::ZERO))?;
            let (r_us, g_us, e_us) = (r.cpu_us_per_msg(), cpu_per_msg(&g), cpu_per_msg(&exact));
            eprintln!(
                "{pct}%: reference {} ({} answered); generator {}, p50 {:.0} µs; exact {}, p50 {:.0} µs",
                per_msg(r_us),
                r.answered,
                per_msg(g_us),
                g.p50_us,
                per_msg(e_us),
                exact.p50_us
            );
            if let (Some(r_us), Some(g_us), Some(e_us)) = (r_us, g_us, e_us) {
                m.reference.push(r_us);
                m.generator.push(g_us);
                m.exact.push(e_us);
                m.ratio.push(g_us / r_us);
                m.exact_ratio.push(e_us / r_us);
                m.p50.push(g.p50_us);
                m.exact_p50.push(exact.p50_us);
                m.grid_us = g.send_grid_us.unwrap_or(0.0);
            }
        }
        if m.reference.is_empty() {
            anyhow::bail!("client CPU is not measured on this system");
        }
        Ok(m)
    }
}

fn main() -> anyhow::Result<()> {
    let settings = Settings::from_args();
    let placement = Placement::for_sweep();
    let bin = Path::new(env!("CARGO_BIN_EXE_sockmodes"));
    let server = placement.on_server_cpus(|| {
        ServerProcess::start(
            bin,
            &[
                "--mode",
                "nonblocking",
                "--service",
                "echo",
                "--threads",
                "1",
            ],
        )
    })?;
    pin_current_thread(&placement.client_cpus());
    let bench = Bench { settings, server };
    let capacities: Vec<f64> = (0..bench.settings.repeats)
        .map(|_| {
            bench
                .engine(Model::NON_BLOCKING, None, None)
                .map(|r| r.answered_per_s)
        })
        .collect::<Result<_, _>>()?;
    let capacity = Spread::of(capacities.iter().copied())
        .ok_or_else(|| anyhow::anyhow!("no capacity was measured"))?;
    let each: Vec<String> = capacities.iter().map(|c| format!("{c:.0}")).collect();
    eprintln!(
        "capacity at {} connections: {} msg/s (each window: {})",
        bench.settings.connections,
        capacity.show(0),
        each.join(", ")
    );
    let (mut rows, mut engine_rows) = (Vec::new(), Vec::new());
    for pct in [10.0, 50.0, 90.0] {
        let rate = capacity.median * pct / 100.0;
        let m = bench.step(pct, rate)?;
        engine_rows.push(engine_row(pct, rate, &m));
        rows.push(generator_row(pct, rate, m));
    }
    let _ = bench.server.terminate();
    let report = report(&bench.settings, &placement, &capacity, &rows, &engine_rows);
    println!("{report}");
    let dir = criterion_dir().join("sockmodes");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("generator-cost.md");
    std::fs::write(&path, &report)?;
    eprintln!("generator cost: {}", path.display());
    Ok(())
}

/// One row of the first table: the reference, the generator and the exact
/// generator at one load step.
fn generator_row(pct: f64, rate: f64, m: Measured) -> String {
    format!(
        "| {pct:.0}% | {rate:.0} | {:.0} | {} | {} | **{}** | {} | {} | {} | {} |",
        m.grid_us,
        show(m.reference, 2),
        show(m.generator, 2),
        show(m.ratio, 2),
        show(m.p50, 0),
        show(m.exact, 2),
        show(m.exact_ratio, 2),
        show(m.exact_p50, 0),
    )
}

/// The whole report: its setup, the generator's table, the engines' table.
fn report(
    s: &Settings,
    placement: &Placement,
    capacity: &Spread,
    rows: &[String],
    engine_rows: &[String],
) -> String {
    let banner = if s.test {
        "**TEST MODE**: one short window per step, to check that it runs; these figures are not measurements.\n\n"
    } else {
        ""
    };
    format!(
        "# What the load generator costs\n\n{banner}\
         Non-blocking server on one core, {} connections, 64 B echo, open loop; client on the \
         other core ({}). Capacity (closed loop, median of {}): {} msg/s. Each cell: median \
         (min-max) of {} interleaved windows of {:.1} s.\n\n\
         The generator by default rounds send times up to a grid of 8 messages' time (column grid), so a \
         slot's sends share a wake-up; `exact` is the same generator with `--send-grid 0`, every send at its \
         own time. p50 is the generator's latency figure: what the grid costs in precision.\n\n\
         | load | rate msg/s | grid µs | reference CPU µs/msg | generator CPU µs/msg | generator / reference | generator p50 µs | exact CPU µs/msg | exact / reference | exact p50 µs |\n\
         |---|---|---|---|---|---|---|---|---|---|\n{}\n\n\
         ## Each client engine at the same rates\n\n\
         The same open loop and grid driven by each client engine; each cell: CPU µs per message, and \
         in brackets its ratio to the reference's.\n\n{}\n",
        s.connections,
        placement.describe().trim_end_matches('.'),
        s.repeats,
        capacity.show(0),
        s.repeats,
        s.window.as_secs_f64(),
        rows.join("\n"),
        engine_table(engine_rows)
    )
}

/// One row of the engines' table: each engine's CPU per message and its
/// ratio to the reference (medians of the repeats).
fn engine_row(pct: f64, rate: f64, m: &Measured) -> String {
    let reference = Spread::of(m.reference.iter().copied()).map(|s| s.median);
    let cells: Vec<String> = m
        .engines
        .iter()
        .map(|us| {
            let median = Spread::of(us.iter().copied()).map(|s| s.median);
            match (median, reference) {
                (Some(e), Some(r)) => format!("{} ({:.2}x)", show(us.clone(), 2), e / r),
                _ => "-".into(),
            }
        })
        .collect();
    format!(
        "| {pct:.0}% | {rate:.0} | {} | {} |",
        show(m.reference.clone(), 2),
        cells.join(" | ")
    )
}

/// The engines' table, one column per engine of the registry.
fn engine_table(rows: &[String]) -> String {
    let names: Vec<String> = Model::CLIENTS
        .iter()
        .map(|m| format!("{m} CPU µs/msg"))
        .collect();
    let rules = vec!["---"; names.len() + 3].join("|");
    format!(
        "| load | rate msg/s | reference CPU µs/msg | {} |\n|{rules}|\n{}",
        names.join(" | "),
        rows.join("\n")
    )
}
