//! `sockmodes load`.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use sockmodes::load::{self, LoadConfig, LoadReport};
use sockmodes::IoMode;
use sockmodes_common::{Service, DEFAULT_MAX_FRAME};

use super::{ensure_descriptors, parse_addr, parse_secs, ModeArg};

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LoadService {
    /// Round trips: latency and messages/s.
    Echo,
    /// One-way upload: bytes/s verified by the server's summary.
    Sink,
}

/// `load --help`'s closing text: what every figure means.
pub const FIELDS_HELP: &str = "\
Figures (the table's lines; --json prints them as fields):
  mode, service, connections   what ran; connections = those that connected
  duration_s                   measured seconds (warm-up excluded)
  messages, messages_per_s     echo: round trips; sink: frames, completed in the window
  bytes_per_s                  payload bytes/s (sink: as the server's summary confirmed)
  p50_us p90_us p99_us p999_us max_us mean_us
                               latency in µs, from an HdrHistogram (1 µs to 1 hour, 0.1%);
                               closed loop: from send to answer; open loop (--rate): from
                               each send's scheduled time, so queueing behind a slow or
                               stalled server is counted. Sink: how long a send held the writer
  percentiles                  the whole distribution, [percentile, µs] pairs, p0 to p100
  errors                       failed connections, wrong echoes, sink summaries that
                               disagree, and latencies out of range
  latency_out_of_range         latencies outside 1 µs..1 hour: counted, never clamped
  rate_requested, unsent       open loop: the rate asked for; sends due in the window that
                               the client never made because it fell behind its schedule
  client_threads, client_cpu, client_cpu_utilization
                               the load generator's own CPU (user and system seconds) over
                               the window, divided by what its threads could use
  client_bound                 true when that share is over 90%: the client, not the server,
                               was the bottleneck, and the figures describe the client
  warnings                     every reason not to take the figures at face value

Check the figures against a server with a known delay:
  cargo run --release --example delayed_echo -- 20
  sockmodes load --addr 127.0.0.1:9100 --connections 20     # p50 about 20 ms
Merge runs from several load machines: --hdr-log on each, then
  python3 scripts/merge-hdr-logs.py a.hlog b.hlog";

#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Client I/O model: blocking = a thread per connection; nonblocking = mio event loops.
    #[arg(long, value_enum, default_value_t = ModeArg::Blocking)]
    mode: ModeArg,
    /// Server address.
    #[arg(long, default_value = "127.0.0.1:8080", value_parser = parse_addr)]
    addr: SocketAddr,
    /// The server's service.
    #[arg(long, value_enum, default_value_t = LoadService::Echo)]
    service: LoadService,
    /// Connections open at once.
    #[arg(long, default_value_t = 10, value_name = "N")]
    connections: usize,
    /// Measured seconds (after the warm-up).
    #[arg(long, default_value = "5", value_parser = parse_secs, value_name = "SECS")]
    duration: Duration,
    /// Payload bytes per frame.
    #[arg(long, default_value_t = 64, value_name = "BYTES")]
    size: usize,
    /// Open loop: send this many messages per second in total, on a schedule,
    /// measuring latency from each scheduled time. Default: closed loop.
    #[arg(long, value_name = "MSGS_PER_SEC")]
    rate: Option<f64>,
    /// Seconds of traffic before measuring (excluded from the figures).
    #[arg(long, default_value = "1", value_parser = parse_warmup, value_name = "SECS")]
    warmup: Duration,
    /// Print one JSON object instead of a table (fields: see the README,
    /// "load --json").
    #[arg(long)]
    json: bool,
    /// Also write the latencies as an HdrHistogram interval log (one V2
    /// compressed histogram per second, µs, tagged MODE-SERVICE), to merge
    /// runs from several machines with HdrHistogram's tools.
    #[arg(long, value_name = "FILE")]
    hdr_log: Option<PathBuf>,
}

fn parse_warmup(s: &str) -> Result<Duration, String> {
    if s.trim().parse::<f64>() == Ok(0.0) {
        return Ok(Duration::ZERO);
    }
    parse_secs(s)
}

pub fn run(args: LoadArgs) -> anyhow::Result<ExitCode> {
    let mode = IoMode::from(args.mode);
    let config = LoadConfig {
        service: match args.service {
            LoadService::Echo => Service::Echo,
            LoadService::Sink => Service::Sink,
        },
        connections: args.connections,
        duration: args.duration,
        size: args.size,
        rate: args.rate,
        warmup: args.warmup,
        max_frame: DEFAULT_MAX_FRAME.max(args.size),
        ..LoadConfig::new(mode, args.addr)
    };
    // One descriptor per connection, plus a few for the process itself.
    ensure_descriptors(config.connections as u64 + 64);
    // Open the log first: a typo in its path should not cost a whole run.
    let mut log = match &args.hdr_log {
        Some(path) => Some(std::fs::File::create(path).map_err(|e| {
            anyhow::anyhow!("cannot create the HdrHistogram log {}: {e}", path.display())
        })?),
        None => None,
    };
    let progress = Arc::new(AtomicU64::new(0));
    let bar = std::io::stdout()
        .is_terminal()
        .then(|| spinner(&config, Arc::clone(&progress)));
    let report = load::run(&config, progress);
    if let Some((bar, ticker)) = bar {
        bar.finish_and_clear();
        let _ = ticker.join();
    }
    let run = report?;
    if let (Some(file), Some(path)) = (&mut log, &args.hdr_log) {
        let mut out = std::io::BufWriter::new(file);
        run.write_hdr_log(&mut out)
            .and_then(|()| out.flush())
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
    }
    let report = run.report();
    if args.json {
        println!("{}", serde_json::to_string(report)?);
        // The table shows the warnings; JSON readers get them on stderr too.
        for warning in &report.warnings {
            tracing::warn!("{warning}");
        }
    } else {
        print_table(report);
    }
    Ok(ExitCode::SUCCESS)
}

/// A progress bar on a terminal, updated by a ticker thread until cleared.
fn spinner(config: &LoadConfig, progress: Arc<AtomicU64>) -> (ProgressBar, thread::JoinHandle<()>) {
    let total = (config.warmup + config.duration).as_millis() as u64;
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {elapsed}/{duration} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let (b, started, warmup) = (bar.clone(), Instant::now(), config.warmup);
    let ticker = thread::spawn(move || {
        while !b.is_finished() {
            let elapsed = started.elapsed();
            b.set_position(elapsed.as_millis() as u64);
            let phase = if elapsed < warmup {
                "warming up"
            } else {
                "measuring"
            };
            b.set_message(format!(
                "{phase}: {} messages",
                progress.load(Ordering::Relaxed)
            ));
            thread::sleep(Duration::from_millis(100));
        }
    });
    (bar, ticker)
}

fn print_table(r: &LoadReport) {
    println!("mode          {}", r.mode);
    println!("service       {}", r.service);
    println!("connections   {}", r.connections);
    println!("duration      {:.2} s", r.duration_s);
    println!("messages      {}", r.messages);
    println!("messages/s    {:.0}", r.messages_per_s);
    println!(
        "bytes/s       {:.0} ({:.1} MB/s)",
        r.bytes_per_s,
        r.bytes_per_s / 1e6
    );
    println!(
        "latency µs    p50 {:.0}  p90 {:.0}  p99 {:.0}  p99.9 {:.0}  max {:.0}  mean {:.0}",
        r.p50_us, r.p90_us, r.p99_us, r.p999_us, r.max_us, r.mean_us
    );
    println!("errors        {}", r.errors);
    if let Some(rate) = r.rate_requested {
        println!("rate asked    {rate:.0} msg/s (open loop)");
    }
    match (r.client_cpu, r.client_cpu_utilization) {
        (Some(cpu), Some(u)) => println!(
            "client CPU    {:.2} s user + {:.2} s system over {:.2} s: {:.0}% of {} thread(s){}",
            cpu.user_s,
            cpu.system_s,
            cpu.wall_s,
            u * 100.0,
            r.client_threads,
            if r.client_bound { "  CLIENT-BOUND" } else { "" }
        ),
        _ => println!("client CPU    not measured on this system"),
    }
    for warning in &r.warnings {
        println!("warning       {warning}");
    }
}
