//! `sockmodes server`.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use sockmodes::{IoMode, Server};
use sockmodes_common::config::{DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNS};
use sockmodes_common::{MessageHandler, ServerConfig, DEFAULT_MAX_FRAME};

use super::{ensure_descriptors, parse_addr, parse_secs, signals, ModeArg, ServiceArg};

/// How long open connections get to finish after Ctrl-C or SIGTERM.
///
/// Why 5 s: enough for any reply already being written on loopback; a
/// second signal does not wait at all.
const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(5);

#[derive(Debug, Args)]
pub struct ServerArgs {
    /// I/O model.
    #[arg(long, value_enum, default_value_t = ModeArg::Blocking)]
    mode: ModeArg,
    /// What to do with each connection.
    #[arg(long, value_enum, default_value_t = ServiceArg::Message)]
    service: ServiceArg,
    /// Address to listen on (port 0: any free port; the real one is printed).
    #[arg(long, default_value = "127.0.0.1:8080", value_parser = parse_addr)]
    addr: SocketAddr,
    /// Serve one connection, then exit (like the classroom's Python server).
    #[arg(long)]
    once: bool,
    /// Connections beyond this many at once are refused (closed with a reset).
    #[arg(long, default_value_t = DEFAULT_MAX_CONNS, value_name = "N")]
    max_conns: usize,
    /// Largest frame payload, and largest message, in bytes.
    #[arg(long, default_value_t = DEFAULT_MAX_FRAME, value_name = "BYTES")]
    max_frame: usize,
    /// Close a connection that completes no frame (message: no end of stream) for this long.
    #[arg(long, default_value_t = DEFAULT_IDLE_TIMEOUT.as_secs().to_string(), value_name = "SECS")]
    idle_timeout: String,
    /// Non-blocking mode: event-loop threads.
    #[arg(long, default_value_t = 1, value_name = "N")]
    threads: usize,
}

pub fn run(args: ServerArgs) -> anyhow::Result<ExitCode> {
    let stops = signals::stop_requests()?;
    let mode = IoMode::from(args.mode);
    let mut config = ServerConfig::new(args.addr, args.service.into());
    config.once = args.once;
    config.max_conns = args.max_conns.max(1);
    config.max_frame = args.max_frame;
    config.idle_timeout =
        parse_secs(&args.idle_timeout).map_err(|e| anyhow::anyhow!("--idle-timeout: {e}"))?;
    config.event_loops = args.threads.max(1);
    if args.threads > 1 && mode == IoMode::Blocking {
        tracing::warn!("--threads applies to the non-blocking server; the blocking one uses a thread per connection");
    }
    ensure_descriptors(config.max_conns as u64 + 64);
    let on_message: MessageHandler = Arc::new(|peer, message: Vec<u8>| {
        tracing::info!(%peer, bytes = message.len(), "message received");
        let text = String::from_utf8_lossy(&message);
        let mut out = std::io::stdout().lock();
        // One message per line: embedded newlines are shown escaped.
        let _ = writeln!(out, "{}", text.replace('\n', "\\n"));
        let _ = out.flush();
    });
    let service = config.service;
    let server = Server::start(mode, config, on_message)?;
    eprintln!(
        "sockmodes: listening on {} (mode {mode}, service {service}){}",
        server.local_addr(),
        if args.once {
            ", serving one connection"
        } else {
            "; Ctrl-C to stop"
        }
    );
    loop {
        match stops.recv_timeout(Duration::from_millis(100)) {
            Ok(()) => {
                eprintln!(
                    "sockmodes: stop requested (Ctrl-C or SIGTERM): shutting down (open connections get {} s)",
                    SHUTDOWN_DEADLINE.as_secs()
                );
                let cut = server.shutdown(SHUTDOWN_DEADLINE);
                if cut > 0 {
                    eprintln!("sockmodes: {cut} connection(s) were still open at the deadline and were closed");
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
