//! `sockmodes load`: its options, declared with their `--help` text and
//! turned into a `LoadConfig`, the progress bar, and the report printed as
//! JSON or as a table (`load/table.rs`). The bounds live in `bounds.rs` and
//! the run in `loadgen/src/`.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use sockmodes_common::{Service, DEFAULT_MAX_FRAME};
use sockmodes_loadgen::{self as load, LoadConfig, LoadReport, WindowEdge, WindowHook};
use sockmodes_models::Model;
use sockmodes_python::show::count;

use super::bounds::{
    self, parse_connections, parse_duration, parse_frame_size, parse_rate, parse_send_grid,
    parse_warmup, InputError,
};
use super::{ensure_descriptors, out};

mod table;
use table::table;

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
  schema_version               --json only: the version of its fields, raised whenever one
                               is added, removed, renamed or changes type
  mode, service                what ran
  connections                  connections made (asked for, less those never connected)
  duration_s                   measured seconds (warm-up excluded)
  messages, messages_per_s     answered inside the window, whenever due (echo: round trips;
                               sink: frames the server's summary confirmed): what the server
                               answered, never what was offered
  bytes_per_s                  payload bytes/s of those messages
  p50_us p90_us p99_us p999_us max_us mean_us
                               latency in µs, from an HdrHistogram (1 µs to 1 hour, 0.1%);
                               closed loop: from send to answer; open loop (--rate): from
                               each send's scheduled time, so queueing behind a slow or
                               stalled server is counted. Sink: how long a send held the writer
  percentiles                  the whole distribution, [percentile, µs] pairs, p0 to p100
  errors                       one per connection that did not end served (see ended), and
                               latencies out of range
  latency_out_of_range         latencies outside 1 µs..1 hour: counted, never clamped
  rate_requested, unsent       open loop: the rate offered (the table: \"offered\"); sends due
                               in the window never made: the client could not keep the
                               schedule (it keeps a few messages in flight per connection,
                               blocking one, non-blocking up to 8, and counts the rest)
  send_grid_us                 open loop: send times were rounded up to this grid (latency
                               is measured from the rounded time); null: closed loop
  client_threads, client_cpu, client_cpu_utilization
                               the load generator's own CPU (user and system seconds) over
                               the window, divided by what its threads could use
  client_bound                 true when that share is over 90%: the client, not the server,
                               was the bottleneck, and the figures describe the client
  warnings                     every reason not to take the figures at face value
                               (with --json they are also printed on stderr)
  answered_per_s               the same as messages_per_s (kept for its readers)
  ramp                         warmup_s: the warm-up taken (at least --warmup, longer until
                               every connection had its first answer, --warmup-cap at most);
                               cap_reached; last_first_answer_ms (null: some connection was
                               never answered); first_answer_p50_ms/_p99_ms/_max_ms: time
                               from the start to each connection's first answer (sink: its
                               first frame taken); never_answered
  fairness                     answers per connection in the window: answers_min, answers_p1,
                               answers_median, answers_max; starved: connections with none,
                               starved_connections: which (the first 20); jain_index:
                               (sum x)^2 / (n sum x^2), 1 = all equal, 1/n = one took all
  carried_in, carried_in_max_ms
                               of messages, those due in the warm-up, and the longest of
                               their waits (in the percentiles: a backlog is not lost)
  unanswered, oldest_unanswered_ms
                               messages sent and never answered (sink: never confirmed) when
                               their connection ended or the run gave up (window end + 5 s,
                               or twice the ramp if longer), and how long the oldest waited
  answered_after_window        answers that came during the drain, not in messages
  ended                        why each connection ended: asked = served + rejected (reset
                               before any answer: over the server's --max-conns) +
                               closed_unanswered (closed before any answer: a frame over its
                               --max-frame) + closed (closed mid-run, owing) + failed +
                               never_answered + never_connected
  kernel_tcp                   Linux: the machine's TCP memory, shared by every process, ran
                               short during the run: entered (times it went under pressure),
                               pressure_ms (how long pressure that ended in the run lasted),
                               dropped (arriving segments dropped for want of buffer memory),
                               pressure_from_bytes (sysctl net.ipv4.tcp_mem); connections of
                               any server stall then. null: it did not, or not measured
                               (off Linux)
  placement                    --json only: where the two sides ran: same_machine, why,
                               own_network_namespace, server_pid, and each side's cores
                               (client, server): \"unpinned\", {\"pinned\": [cores]} or
                               \"unknown\"

Exit status 1 when no message was answered in the window. Every run ends within
max(--warmup, --warmup-cap) + --duration + 5 s once its connections are made, whatever
the server does and whatever the rate.

Check the figures against a server with a known delay:
  cargo run --release --example delayed_echo -- 20
  sockmodes load --addr 127.0.0.1:9100 --connections 20     # p50 about 20 ms
Merge runs from several load machines: --hdr-log on each, then
  sockmodes merge-logs a.hlog b.hlog             # docs/several-hosts.md";

#[derive(Debug, Args)]
pub struct LoadArgs {
    #[arg(long = "mode", value_name = "MODE", value_parser = Model::clients_parser(), default_value_t = Model::BLOCKING, help = Model::clients_help())]
    model: Model,
    /// Server address.
    #[arg(long, default_value = "127.0.0.1:8080", value_parser = sockmodes_os::net::resolve)]
    addr: SocketAddr,
    /// The server's service.
    #[arg(long, value_enum, default_value_t = LoadService::Echo)]
    service: LoadService,
    /// Connections open at once: 1 to 65535 (each needs a port of this machine).
    #[arg(long, default_value_t = 10, value_name = "N", value_parser = parse_connections)]
    connections: usize,
    /// Measured seconds (after the warm-up): 0.1 to 3600.
    #[arg(long, default_value = "5", value_parser = parse_duration, value_name = "SECS")]
    duration: Duration,
    /// Payload bytes per frame (suffixes K, M, G = 1024^n; at most 4G - 1,
    /// the 32-bit length, and the buffers, about (2 x connections + 2) x
    /// BYTES, must fit in the machine's memory).
    #[arg(long, default_value_t = 64, value_name = "BYTES", value_parser = parse_frame_size)]
    size: usize,
    /// Open loop: send this many messages per second in total, on a schedule,
    /// measuring latency from each scheduled time (above 0, at most 1e8,
    /// and at least one message in the window). Default: closed loop.
    #[arg(long, value_name = "MSGS_PER_SEC", value_parser = parse_rate)]
    rate: Option<f64>,
    /// Least seconds of traffic before measuring (excluded from the
    /// figures). The warm-up goes on until every connection has had its
    /// first answer, so a server still accepting is not measured half-ready.
    /// 0 to 3600.
    #[arg(long, default_value = "1", value_parser = parse_warmup, value_name = "SECS")]
    warmup: Duration,
    /// Open loop: round send times up to a grid of this many µs, so the
    /// sends of one slot go in one wake-up (0: each at its exact time).
    /// Default: the time of 8 messages at --rate, at most 1000 µs. At most
    /// 1000000 (1 s), and no longer than --duration.
    #[arg(long, value_name = "MICROS", requires = "rate", value_parser = parse_send_grid)]
    send_grid: Option<u64>,
    /// Most seconds of warm-up: then the window starts even if some
    /// connection was never answered, and those are reported as starved.
    /// 0 to 3600.
    #[arg(long, default_value = "30", value_parser = parse_warmup, value_name = "SECS")]
    warmup_cap: Duration,
    /// Print one JSON object instead of a table (fields: below with
    /// --help, and docs/cli.md).
    #[arg(long)]
    json: bool,
    /// Also write the latencies as an HdrHistogram interval log (one V2
    /// compressed histogram per second, µs, tagged MODE-SERVICE), to merge
    /// runs from several machines: `sockmodes merge-logs`, or HdrHistogram's
    /// tools. Written after the figures are printed, so a failed write
    /// loses no figure. An existing FILE (or a symlink) is refused before
    /// the run, as with `set -o noclobber`: give --overwrite to replace it.
    #[arg(long, value_name = "FILE")]
    hdr_log: Option<PathBuf>,
    /// Replace an existing --hdr-log FILE instead of refusing it.
    #[arg(long, requires = "hdr_log")]
    overwrite: bool,
}

pub fn run(args: LoadArgs) -> anyhow::Result<ExitCode> {
    let model = args.model;
    super::check_model(model, true)?;
    check_inputs(&args)?;
    // The progress bar learns from the run when the window opens.
    let measuring = Arc::new(AtomicBool::new(false));
    let config = load_config(&args, &measuring);
    // One descriptor per connection, plus a few for the process itself.
    ensure_descriptors(config.connections as u64 + 64);
    // Open the log first: a typo in its path should not cost a whole run.
    let log = match &args.hdr_log {
        Some(path) => Some(open_log(path, args.overwrite)?),
        None => None,
    };
    // Said once: on one machine the figures are of the pair.
    let placement = load::placement::observe(config.addr);
    if let Some(note) = placement.note() {
        eprintln!("sockmodes: note: {note}");
    }
    let progress = Arc::new(AtomicU64::new(0));
    let bar = std::io::stdout()
        .is_terminal()
        .then(|| spinner(&config, Arc::clone(&progress), measuring))
        .flatten();
    let report = load::run(&config, progress);
    if let Some((bar, ticker)) = bar {
        bar.finish_and_clear();
        let _ = ticker.join();
    }
    let run = match report {
        Ok(run) => run,
        Err(e) => {
            // An empty log left behind would merge as a host that got
            // nothing: the run failed, so a log it created goes, and one
            // it was to replace (--overwrite) is left as it was.
            if let (Some((file, true)), Some(path)) = (log, &args.hdr_log) {
                drop(file);
                let _ = std::fs::remove_file(path);
            }
            return Err(e.into());
        }
    };
    // The figures first: a log that cannot be written loses none of them.
    let shown = show(&args, run.report(), &placement);
    if let (Some((file, _)), Some(path)) = (log, &args.hdr_log) {
        // Emptied only now that there is a run to replace it with (a file:
        // a device or a pipe has nothing to empty).
        let emptied = file
            .metadata()
            .and_then(|m| if m.is_file() { file.set_len(0) } else { Ok(()) });
        let mut writer = std::io::BufWriter::new(file);
        emptied
            .and_then(|()| run.write_hdr_log(&mut writer))
            .and_then(|()| writer.flush())
            .map_err(|e| {
                anyhow::anyhow!(
                    "the figures are above, but the HdrHistogram log {} was not written: {e}",
                    path.display()
                )
            })?;
    }
    shown
}

/// Creates the `--hdr-log` file, or with `--overwrite` opens an existing
/// one (a symlink too) without emptying it yet; `true` when it was created.
fn open_log(path: &std::path::Path, overwrite: bool) -> Result<(std::fs::File, bool), InputError> {
    // O_EXCL: fails on any existing name, a dangling symlink included.
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path);
    let opened = match created {
        Ok(file) => Ok((file, true)),
        Err(e) if overwrite && e.kind() == std::io::ErrorKind::AlreadyExists => {
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .open(path)
                .map(|file| (file, false))
        }
        Err(e) => Err(e),
    };
    opened.map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => InputError(format!(
            "--hdr-log {}: the file exists; give another name, or --overwrite to replace it",
            path.display()
        )),
        // Refused before the run, as any input it cannot honour: exit 2.
        _ => InputError(format!(
            "cannot create the HdrHistogram log {}: {e}",
            path.display()
        )),
    })
}

/// The run's settings from the options; the window's opening sets
/// `measuring` (for the progress bar).
fn load_config(args: &LoadArgs, measuring: &Arc<AtomicBool>) -> LoadConfig {
    let opened = Arc::clone(measuring);
    let hook = WindowHook(Arc::new(move |edge, _due_ns| {
        if edge == WindowEdge::Start {
            opened.store(true, Ordering::Relaxed);
        }
    }));
    LoadConfig {
        on_window: Some(hook),
        service: match args.service {
            LoadService::Echo => Service::Echo,
            LoadService::Sink => Service::Sink,
        },
        connections: args.connections,
        duration: args.duration,
        size: args.size,
        rate: args.rate,
        grid: args.send_grid.map(Duration::from_micros),
        warmup: args.warmup,
        warmup_cap: args.warmup_cap,
        max_frame: DEFAULT_MAX_FRAME.max(args.size),
        ..LoadConfig::new(args.model, args.addr)
    }
}

/// Prints the report (`--json`, or the table); the exit status says
/// whether anything was answered.
fn show(
    args: &LoadArgs,
    report: &LoadReport,
    placement: &load::placement::Placement,
) -> anyhow::Result<ExitCode> {
    if args.json {
        let json = load::LoadJson::new(report, placement);
        out::line("the figures", &serde_json::to_string(&json)?)?;
        // The table shows the warnings; JSON readers get them on stderr too.
        for warning in &report.warnings {
            tracing::warn!("{warning}");
        }
    } else {
        out::line("the figures", &table(report))?;
    }
    // A run that answered nothing measured nothing: say so in the status.
    Ok(if report.messages == 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// What the options allow one by one but not together: a grid or a rate
/// that puts no send in the window, buffers beyond the machine's memory.
fn check_inputs(args: &LoadArgs) -> Result<(), InputError> {
    let window = args.duration.as_secs_f64();
    if let Some(rate) = args.rate.filter(|rate| rate * window < 1.0) {
        return Err(InputError(format!(
            "--rate {} over --duration {window} s schedules no message in the window: \
             raise either",
            short(rate)
        )));
    }
    if let Some(grid) = args
        .send_grid
        .filter(|&us| Duration::from_micros(us) > args.duration)
    {
        return Err(InputError(format!(
            "--send-grid {grid} µs is longer than --duration {window} s: the window \
             would hold no slot of the grid"
        )));
    }
    // A thread per connection: within what the system lets a process
    // start (past it, a thread's start aborts the process).
    let limit = load::thread_per_connection(args.model)
        .then(sockmodes_os::limits::thread_limit)
        .flatten();
    if let Some(limit) = limit.filter(|limit| args.connections as u64 > limit.max) {
        return Err(InputError(format!(
            "--connections {} with --mode {}: a thread each, more than this system \
             allows ({}: at most {})",
            args.connections, args.model, limit.name, limit.max
        )));
    }
    // Every connection's client session streams its frames through fixed
    // buffers, and the payload is a pattern computed as it is sent: what a
    // run holds grows with the connections, not with --size.
    let per_connection = sockmodes_common::ClientSession::memory_bound() as u64;
    let needed = (args.connections as u64).saturating_mul(per_connection);
    bounds::fits_in_memory(needed, || {
        format!(
            "--size {} with {}",
            args.size,
            count(args.connections as u64, "connection", "connections")
        )
    })
}

/// A number as short as it can be read: `1e-300`, not 300 digits.
fn short(v: f64) -> String {
    if v != 0.0 && !(1e-3..1e15).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// A progress bar on a terminal, updated by a ticker thread until cleared
/// (none if that thread cannot start).
fn spinner(
    config: &LoadConfig,
    progress: Arc<AtomicU64>,
    measuring: Arc<AtomicBool>,
) -> Option<(ProgressBar, thread::JoinHandle<()>)> {
    let total = (config.warmup + config.duration).as_millis() as u64;
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {elapsed}/{duration} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let (b, started) = (bar.clone(), Instant::now());
    let ticker = thread::Builder::new()
        .name("sockmodes-progress".into())
        .spawn(move || {
            while !b.is_finished() {
                b.set_position(started.elapsed().as_millis() as u64);
                let phase = if measuring.load(Ordering::Relaxed) {
                    "measuring"
                } else {
                    "warming up (until every connection is answered)"
                };
                let sent = progress.load(Ordering::Relaxed);
                b.set_message(format!("{phase}: {}", count(sent, "message", "messages")));
                thread::sleep(Duration::from_millis(100));
            }
        });
    ticker.ok().map(|ticker| (bar, ticker))
}
