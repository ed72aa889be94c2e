//! `sockmodes server`.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use clap::Args;
use sockmodes_common::{Service, DEFAULT_MAX_FRAME};
use sockmodes_models::{start_server, Model, Server};
use sockmodes_python::show::{count, visible};
use sockmodes_serving::config::{
    human_bytes, MemoryBound, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNS, DEFAULT_MAX_MESSAGE,
};
use sockmodes_serving::liveness::{MIN_RATE, RATE_WINDOW};
use sockmodes_serving::ServerConfig;

use super::bounds::{
    self, memory_figure, parse_at_least_one, parse_frame_size, parse_memory, parse_message_limit,
    parse_threads, InputError,
};
use super::{counters, ensure_descriptors, parse_secs, ServiceArg};

/// How long open connections get to finish after Ctrl-C or SIGTERM.
///
/// Why 5 s: enough for any reply already being written on loopback; a
/// second signal does not wait at all.
const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(5);

/// `--idle-timeout`'s help, with the minimum rate it works beside (from
/// its constants, so the text cannot drift from them).
static IDLE_HELP: LazyLock<String> = LazyLock::new(|| {
    format!(
        "Close a connection on which no byte moved either way for this long. \
         Beside it, a minimum rate: a frame arriving slower than {MIN_RATE} B/s over \
         {window} s (slow-loris), or answers read slower than that, closes the \
         connection too (echo, sink; a typed message only times out). Cuts are \
         logged with their reason and counted.",
        window = RATE_WINDOW.as_secs()
    )
});

#[derive(Debug, Args)]
pub struct ServerArgs {
    /// I/O model.
    #[arg(long = "mode", value_name = "MODE", value_enum, default_value_t = Model::BLOCKING)]
    model: Model,
    /// What to do with each connection.
    #[arg(long, value_enum, default_value_t = ServiceArg::Message)]
    service: ServiceArg,
    /// Address to listen on (port 0: any free port; the real one is printed).
    #[arg(long, default_value = "127.0.0.1:8080", value_parser = sockmodes_os::net::resolve)]
    addr: SocketAddr,
    /// Serve one connection, then exit (like the classroom's Python server).
    #[arg(long)]
    once: bool,
    /// Connections beyond this many at once are accepted and closed at once
    /// with a reset: the client sees ConnectionResetError (not
    /// ConnectionRefusedError, which means nothing listens). A reset, not a
    /// lingering close, so that a flood cannot hold descriptors. At least 1.
    #[arg(long, default_value_t = DEFAULT_MAX_CONNS, value_name = "N", value_parser = parse_at_least_one::<usize>)]
    max_conns: usize,
    /// Largest frame payload in bytes (echo, sink; suffixes K, M, G = 1024^n;
    /// at most 4G - 1, the 32-bit length). Frames are streamed through a
    /// 64 KiB buffer, so this limit costs no memory.
    #[arg(long, default_value_t = DEFAULT_MAX_FRAME, value_name = "BYTES", value_parser = parse_frame_size)]
    max_frame: usize,
    /// Largest message in bytes (service message, kept whole: this is what
    /// one such connection may hold; suffixes K, M, G = 1024^n; at most
    /// 1073741824G, 1 EiB).
    #[arg(long, default_value_t = DEFAULT_MAX_MESSAGE, value_name = "BYTES", value_parser = parse_message_limit)]
    max_message: usize,
    /// Refuse to start when the worst case (--max-conns x one connection's
    /// bound, printed at start-up) exceeds this many bytes (suffixes K, M, G
    /// = 1024^n). Without it, only a worst case over the machine's memory
    /// is told, as a warning; a single connection that could need more than
    /// the machine has (a huge --max-message) is refused either way.
    #[arg(long, value_name = "BYTES", value_parser = parse_memory)]
    max_memory: Option<u64>,
    /// Close a connection on which no byte moved either way for this long.
    #[arg(long, default_value_t = DEFAULT_IDLE_TIMEOUT.as_secs().to_string(), value_name = "SECS", help = IDLE_HELP.as_str())]
    idle_timeout: String,
    /// Non-blocking and tokio models: event-loop threads or runtime
    /// workers (1 to 1024).
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = parse_threads)]
    threads: usize,
    // Work per message and where it runs (work.rs).
    #[command(flatten)]
    work: super::work::WorkArgs,
    // A CPU budget (budget.rs).
    #[command(flatten)]
    budget: super::budget::BudgetArgs,
}

pub fn run(args: ServerArgs) -> anyhow::Result<ExitCode> {
    let model = args.model;
    super::check_model(model, false)?;
    let mut config = server_config(&args)?;
    cap_threads(model, &mut config);
    let work_lines = super::work::prepare(&args.work, model, &mut config).map_err(InputError)?;
    let bound = model.memory_bound(&config);
    let worst = worst_case(model, &config, &bound);
    check_memory(&config, &bound, &worst)?;
    // Before any thread starts, so that every thread is held to it.
    let budget = super::budget::hold(&args.budget).map_err(InputError)?;
    // SIGUSR1 was blocked first thing in main, before any thread.
    // A request to stop as a channel message, through `ctrlc` with its
    // `termination` feature: SIGINT, SIGTERM and SIGHUP on Unix; Ctrl-C,
    // Ctrl-Break and closing the console window on Windows. It runs the
    // handler on a thread of its own, not inside a signal handler, so
    // nothing here has to be async-signal-safe.
    let (stop, stops) = mpsc::channel();
    ctrlc::set_handler(move || {
        // The receiver is gone only when the server has stopped already.
        let _ = stop.send(());
    })?;
    ensure_descriptors((config.max_conns as u64).saturating_add(64));
    let service = config.service;
    let server = start_server(model, config, Arc::new(print_message))?;
    counters::print_on_usr1(server.stats_handle(), budget.as_ref().map(|b| b.meter()));
    for line in &work_lines {
        eprintln!("sockmodes: {line}");
    }
    if let Some(held) = &budget {
        eprintln!("sockmodes: {}", held.start_line());
    }
    eprintln!(
        "sockmodes: listening on {} (mode {model}, service {service}); memory: {worst}{}",
        server.local_addr(),
        if args.once {
            ", serving one connection"
        } else {
            "; Ctrl-C to stop"
        }
    );
    let served = serve_until_stopped(server, &stops);
    if let Some(held) = budget {
        eprintln!("sockmodes: {}", held.finish());
    }
    served
}

/// The server's settings from the command line (work per message aside:
/// `work.rs`).
fn server_config(args: &ServerArgs) -> Result<ServerConfig, InputError> {
    let mut config = ServerConfig::new(args.addr, args.service.into());
    config.once = args.once;
    config.max_conns = args.max_conns;
    config.max_frame = args.max_frame;
    config.max_message = args.max_message;
    config.max_memory = args.max_memory;
    config.idle_timeout =
        parse_secs(&args.idle_timeout).map_err(|e| InputError(format!("--idle-timeout: {e}")))?;
    config.event_loops = args.threads;
    if args.threads > 1 && !args.model.has_event_loops() {
        tracing::warn!("{}", threads_ignored());
    }
    Ok(config)
}

/// A thread per connection: no more connections than the system lets this
/// process start threads (`vm.max_map_count` most often, on Linux). Past
/// that a thread's start aborts the whole process inside Rust's runtime,
/// so `--max-conns` is lowered to fit, said once, and connections beyond
/// it are reset as over the limit.
fn cap_threads(model: Model, config: &mut ServerConfig) {
    if model.io_threads(config).is_some() {
        return;
    }
    let Some(limit) = sockmodes_os::limits::thread_limit() else {
        return;
    };
    // The accept thread, the counters and signal threads, main.
    let fits = usize::try_from(limit.max.saturating_sub(THREADS_BESIDE)).unwrap_or(usize::MAX);
    if config.max_conns > fits {
        tracing::warn!(
            "--max-conns {}: this system lets the server start at most {fits} connection \
             threads ({}: at most {} threads); using --max-conns {fits}",
            config.max_conns,
            limit.name,
            limit.max
        );
        config.max_conns = fits.max(1);
    }
}

/// Threads a server runs besides its connections' (main, accept, the
/// counters, the stop handler), with room to spare.
const THREADS_BESIDE: u64 = 8;

/// The start-up line's worst case: connections x their bound, plus the
/// pools every connection shares.
fn worst_case(model: Model, config: &ServerConfig, bound: &MemoryBound) -> String {
    let mut fixed = String::new();
    if model.receive_pool() > 0 {
        fixed += &format!(" + {} receive pool", human_bytes(model.receive_pool()));
    }
    if let Some((threads, workers)) = model.offload_workers(config) {
        let queue = match model.offload_queue(workers) {
            Some(slots) => format!("queue {slots} each"),
            None => "queued: one per connection".to_string(),
        };
        fixed += &format!(
            " + {} offload pool ({threads} x {workers} workers, {queue})",
            memory_figure(model.offload_memory(config)),
        );
    }
    format!(
        "worst case {} x {} per connection{fixed} = {} ({} buffers + {} {}; kernel socket buffers not counted)",
        bound.connections,
        memory_figure(bound.per_connection()),
        memory_figure(bound.total()),
        memory_figure(bound.buffers),
        memory_figure(bound.overhead),
        model.overhead_label()
    )
}

/// What service `message` does with each message: a client's bytes are
/// shown, never obeyed: control characters (ESC, BEL, NUL, newlines)
/// escaped as Python's repr does, one message per line, a long one cut
/// (python/src/show.rs).
fn print_message(peer: SocketAddr, message: Vec<u8>) {
    tracing::info!(%peer, bytes = message.len(), "message received");
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", visible(&message));
    let _ = out.flush();
}

/// Serves until a stop is requested (Ctrl-C, SIGTERM, console close),
/// then shuts down gracefully; or until the server stops by itself
/// (`--once`).
fn serve_until_stopped(server: Server, stops: &Receiver<()>) -> anyhow::Result<ExitCode> {
    loop {
        match stops.recv_timeout(Duration::from_millis(100)) {
            Ok(()) => {
                eprintln!(
                    "sockmodes: stop requested (Ctrl-C or SIGTERM): shutting down (open connections get {} s)",
                    SHUTDOWN_DEADLINE.as_secs()
                );
                let cut = server.shutdown(SHUTDOWN_DEADLINE);
                if cut > 0 {
                    let were = count(cut as u64, "connection was", "connections were");
                    eprintln!("sockmodes: {were} still open at the deadline and closed");
                }
                return Ok(ExitCode::SUCCESS);
            }
            Err(RecvTimeoutError::Timeout) if server.is_finished() => {
                server.wait();
                return Ok(ExitCode::SUCCESS);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => anyhow::bail!("the stop handler went away"),
        }
    }
}

/// Refuses a worst case over `--max-memory`, saying what to lower and to
/// how much, and a connection that alone could need more than the machine
/// has. A total over the machine's memory is only a warning: the worst
/// case counts every thread stack whole, most of which is never touched,
/// and refusing it would refuse the demo's 20,000 connections on a small
/// laptop; `--max-memory` makes it a refusal.
fn check_memory(config: &ServerConfig, bound: &MemoryBound, worst: &str) -> Result<(), InputError> {
    let message = config.service == Service::Message;
    if let Ok(machine) = sockmodes_os::procfs::physical_memory() {
        let one = bound.per_connection().saturating_add(bound.fixed);
        if one > machine {
            return Err(InputError(format!(
                "one connection alone may need {}, more than {}{}",
                memory_figure(one),
                machine_name(machine),
                if message { ": lower --max-message" } else { "" }
            )));
        }
        if bound.total() > machine && config.max_memory.is_none() {
            tracing::warn!(
                "{worst} exceeds {}: a flood of connections could exhaust it \
                 (--max-memory makes this a refusal)",
                machine_name(machine)
            );
        }
    }
    let Some(limit) = config.max_memory.filter(|&limit| bound.total() > limit) else {
        return Ok(());
    };
    let advice = match bound.connections_within(limit) {
        0 if message => {
            "not even one connection fits: raise it, or lower --max-message".to_string()
        }
        0 => "not even one connection fits: raise it".to_string(),
        n => format!(
            "lower --max-conns to at most {n}{}",
            if message { " or --max-message" } else { "" }
        ),
    };
    Err(InputError(format!(
        "{worst} exceeds --max-memory {}: {advice}",
        human_bytes(limit)
    )))
}

fn machine_name(bytes: u64) -> String {
    format!(
        "this machine's memory, {} ({})",
        human_bytes(bytes),
        bounds::MACHINE_MEMORY_SOURCE
    )
}

/// Why `--threads` changes nothing for some models, from the registry:
/// "--threads applies to the non-blocking server; the blocking one uses a
/// thread per connection, the completion one a single ring".
fn threads_ignored() -> String {
    let (loops, others): (Vec<Model>, Vec<Model>) =
        Model::ALL.into_iter().partition(|m| m.has_event_loops());
    let loops: Vec<&str> = loops.iter().map(|m| m.prose()).collect();
    let others: Vec<String> = others
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let verb = if i == 0 { " uses" } else { "" };
            format!("the {} one{verb} {}", m.prose(), m.role())
        })
        .collect();
    let servers = if loops.len() > 1 { "servers" } else { "server" };
    format!(
        "--threads applies to the {} {servers}; {}",
        loops.join(" and "),
        others.join(", ")
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_threads_warning_names_each_model_as_the_registry_does() {
        assert_eq!(
            super::threads_ignored(),
            "--threads applies to the non-blocking and tokio servers; the blocking one uses a \
             thread per connection, the completion one a single ring"
        );
    }
}
