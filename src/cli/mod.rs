//! Command-line definitions (clap) and dispatch.

pub mod bounds;
mod budget;
mod client;
mod counters;
mod load;
mod merge_logs;
pub mod out;
mod server;
mod work;

use std::process::ExitCode;

pub use bounds::InputError;
use clap::{Parser, Subcommand};
pub use counters::block_usr1;
use sockmodes_common::Service;

/// Blocking versus non-blocking TCP sockets, side by side.
///
/// The same protocol served by a blocking server (std::net, one thread per
/// connection), a non-blocking one (mio event loop: readiness), on Linux a
/// completion one (io_uring), and tokio's runtime as the reference; clients
/// whose errors read like Python's; and a load generator to measure them.
#[derive(Debug, Parser)]
#[command(name = "sockmodes", version, propagate_version = true)]
#[command(after_help = "Examples:\n  \
    sockmodes server                                  # the classroom server on 127.0.0.1:8080\n  \
    sockmodes client message 'Hola, servidor!'        # the classroom client\n  \
    sockmodes server --mode nonblocking --service echo --addr 127.0.0.1:9000\n  \
    sockmodes load --mode nonblocking --addr 127.0.0.1:9000 --connections 100 --duration 5\n  \
    sockmodes demo                                    # the differences, step by step\n\n\
    Logs go to stderr; set RUST_LOG (e.g. RUST_LOG=debug) for more. Colour on a terminal,\n\
    unless NO_COLOR is set and not empty; CLICOLOR_FORCE=1 colours anywhere.\n\n\
    Exit status:\n  \
    0  done (a server stopped by Ctrl-C or SIGTERM included)\n  \
    1  failed: a socket error, a server that broke the protocol, a load that got no answer\n  \
    2  input refused, before anything ran: an unknown option, a value out of its bounds,\n     \
    a model this system cannot run\n\n\
    Reference (every command, --json's fields, the output scripts may rely on): docs/cli.md")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a server (Ctrl-C or SIGTERM shuts it down gracefully).
    #[command(after_help = SERVER_HELP)]
    #[command(allow_negative_numbers = true)]
    Server(server::ServerArgs),
    /// Connect and talk to a server: send a message, echo frames, or upload to a sink.
    #[command(allow_negative_numbers = true)]
    Client(client::ClientArgs),
    /// Generate load against an echo or sink server and report throughput and latency.
    #[command(after_long_help = load::FIELDS_HELP, allow_negative_numbers = true)]
    Load(load::LoadArgs),
    /// Merge `load --hdr-log` logs from several load hosts: one percentile
    /// table, and each host's messages/s and share (a host served under half
    /// its fair share is warned of).
    MergeLogs(merge_logs::MergeLogsArgs),
    /// A guided walk-through (about 90 seconds): each difference between the
    /// socket modes and the I/O models, shown and measured, up to why event
    /// loops exist, what must not block one, and readiness against
    /// completion. In English or Spanish.
    Demo {
        /// Short waits and 100 connections in step 10 (a few seconds in all).
        #[arg(long)]
        fast: bool,
        /// Language of the walk-through. Default: Spanish when LC_ALL, LC_MESSAGES or LANG
        /// starts with "es", English otherwise.
        #[arg(long, value_enum, value_name = "LANG")]
        lang: Option<LangArg>,
        /// Also draw the timelines of steps 9 and 11 (who waited while whom,
        /// as this run measured it) as SVG pictures in this directory, one
        /// per language from the same measurements: stepN-timeline.svg
        /// (English) and stepN-timeline-es.svg (Spanish). DIR is created if
        /// missing, with its parents.
        #[arg(long, value_name = "DIR")]
        svg: Option<std::path::PathBuf>,
    },
}

/// `server --help`'s closing text: the line scripts read, and the counters.
const SERVER_HELP: &str = "\
Stable output: once listening, the server writes one line on stderr that begins
  sockmodes: listening on ADDR (mode MODE, service SERVICE)
ADDR is the address it bound (with --addr HOST:0, the port the system chose), MODE
and SERVICE as --mode and --service name them. Scripts may rely on that much; what
follows it (\"; memory: ...\") may change.

On Unix, `kill -USR1 PID` prints the server's counters on stderr (connections, the system
calls it made for its sockets, its CPU time and, with --cpus, the share of the budget
used), as `dd` prints its progress.";

/// `--lang`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LangArg {
    /// English.
    En,
    /// Español.
    Es,
}

/// The service flag.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ServiceArg {
    /// Raw bytes until end of stream make one message (the classroom exchange).
    Message,
    /// Every frame is sent back unchanged.
    Echo,
    /// Frames are counted; the answer is a summary (frames, bytes, CRC-32).
    Sink,
}

impl From<ServiceArg> for Service {
    fn from(s: ServiceArg) -> Service {
        match s {
            ServiceArg::Message => Service::Message,
            ServiceArg::Echo => Service::Echo,
            ServiceArg::Sink => Service::Sink,
        }
    }
}

/// Parses a wait in seconds (fractions allowed): above 0, at most
/// [`bounds::MAX_WAIT`].
pub fn parse_secs(s: &str) -> Result<std::time::Duration, String> {
    let secs: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !(secs.is_finite() && secs > 0.0) {
        return Err(format!("{s} must be a positive number of seconds"));
    }
    let max = bounds::MAX_WAIT.as_secs();
    if secs > max as f64 {
        return Err(format!("{s} is over the maximum of {max} seconds (a day)"));
    }
    // A socket's timeout counts whole microseconds: less would be zero,
    // which a socket takes as no timeout at all, or refuses.
    if secs < 1e-6 {
        return Err(format!(
            "{s} is under the minimum of 0.000001 seconds (1 µs)"
        ));
    }
    Ok(std::time::Duration::from_secs_f64(secs))
}

/// Logs to stderr; `RUST_LOG` overrides the default (`info`; `warn` for the
/// demo, whose servers would otherwise interleave their logs with the steps).
///
/// Colour as anstream decides it for stderr, by the terminal conventions:
/// a terminal gets colour unless `NO_COLOR` is set and not empty,
/// `CLICOLOR_FORCE` gives it anywhere, and on a Windows console without
/// ANSI support anstream writes it through the console's own calls.
pub fn init_logging(cli: &Cli) {
    use tracing_subscriber::EnvFilter;
    let default = if matches!(cli.command, Command::Demo { .. }) {
        "warn"
    } else {
        "info"
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let choice = anstream::AutoStream::choice(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(move || anstream::AutoStream::new(std::io::stderr(), choice))
        .with_ansi(choice != anstream::ColorChoice::Never)
        .with_target(false)
        .init();
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Server(args) => server::run(args),
        Command::Client(args) => client::run(args),
        Command::Load(args) => load::run(args),
        Command::MergeLogs(args) => merge_logs::run(args),
        Command::Demo { fast, lang, svg } => {
            use sockmodes_demo::{self as demo, Ctx, Lang, Pace, Style};
            let ctx = Ctx {
                pace: if fast { Pace::fast() } else { Pace::normal() },
                lang: match lang {
                    Some(LangArg::En) => Lang::En,
                    Some(LangArg::Es) => Lang::Es,
                    None => Lang::from_env(),
                },
                // Step 10 runs this same binary as its servers.
                server_bin: std::env::current_exe()?,
            };
            if let Some(dir) = &svg {
                svg_dir(dir)?;
            }
            let (style, out) = Style::stdout();
            let mut out = out::Watched::new(out);
            let steps =
                demo::run(&ctx, style, &mut out).map_err(|e| out.blame("the walk-through", e))?;
            drop(out);
            if let Some(dir) = svg {
                // Every language from this one run's measurements.
                for (step, lang) in steps.iter().flat_map(|s| Lang::ALL.map(|l| (s, l))) {
                    if let Some(picture) = demo::timeline::svg(step, lang) {
                        let path = dir.join(demo::timeline::file_name(step.number, lang));
                        std::fs::write(&path, picture)
                            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                        out::line(
                            "the pictures' names",
                            &ctx.lang.fill(
                                "svg.written",
                                &[("n", &step.number), ("path", &path.display())],
                            ),
                        )?;
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Makes `demo --svg DIR` ready before the walk-through, so that a path
/// that cannot take the pictures costs no run: DIR is created with its
/// missing parents (as `mkdir -p`: `--svg out/pics` in a fresh folder is
/// what a student types), and must take a file. Refused: exit 2.
fn svg_dir(dir: &std::path::Path) -> Result<(), InputError> {
    let refuse = |why: String| InputError(format!("--svg {}: {why}", dir.display()));
    if dir.exists() && !dir.is_dir() {
        return Err(refuse("exists and is not a directory".into()));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| refuse(format!("cannot create the directory: {e}")))?;
    // A file of our own, created and removed at once: the pictures are
    // written after the run, and a directory that refuses them (read-only,
    // or not ours) is found out now.
    let probe = dir.join(format!(".sockmodes-svg-check-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(|e| refuse(format!("cannot write in it: {e}")))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// A model this system or kernel cannot run (completion off Linux) is
/// refused in one line, exit 2; for `client` and `load` (`client` true),
/// so is a model without a client.
pub fn check_model(model: sockmodes_models::Model, client: bool) -> Result<(), InputError> {
    let why = match model.check_available() {
        Err(why) => why,
        Ok(()) if !client || model.has_client() => return Ok(()),
        Ok(()) => sockmodes_models::NO_CLIENT.to_string(),
    };
    Err(InputError(format!("--mode {model}: {why}")))
}

/// Raises the open-file limit and warns when it is still below `needed`.
pub fn ensure_descriptors(needed: u64) {
    match sockmodes_os::limits::raise_nofile_limit() {
        Ok(lim) => {
            if lim.now > lim.before {
                tracing::debug!(
                    from = lim.before,
                    to = lim.now,
                    "raised the open-file limit"
                );
            }
            if lim.now < needed {
                tracing::warn!(
                    limit = lim.now,
                    needed,
                    "the open-file limit (RLIMIT_NOFILE) is too low for this many connections; \
                     raise the hard limit (ulimit -Hn) or use fewer"
                );
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not raise the open-file limit"),
    }
}
