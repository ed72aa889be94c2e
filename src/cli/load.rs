//! `sockmodes load`.

use std::io::IsTerminal;
use std::net::SocketAddr;
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
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
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
    let progress = Arc::new(AtomicU64::new(0));
    let bar = std::io::stdout()
        .is_terminal()
        .then(|| spinner(&config, Arc::clone(&progress)));
    let report = load::run(&config, progress);
    if let Some((bar, ticker)) = bar {
        bar.finish_and_clear();
        let _ = ticker.join();
    }
    let report = report?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print_table(&report);
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
        "latency µs    p50 {:.0}  p90 {:.0}  p99 {:.0}  p99.9 {:.0}  max {:.0}",
        r.p50_us, r.p90_us, r.p99_us, r.p999_us, r.max_us
    );
    println!("errors        {}", r.errors);
}
