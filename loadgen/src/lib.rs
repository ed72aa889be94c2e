//! The load generator: many connections of any model's client against any
//! server, for a fixed time, reporting throughput and latency percentiles.
//!
//! - Closed loop (default): each connection sends its next frame when the
//!   previous answer arrives. Simple, but a stalled server also stalls the
//!   sender, so the stall hides from the latency figures (coordinated omission).
//! - Open loop (`rate`): sends are scheduled at fixed times, and each latency
//!   is measured from its *scheduled* time, so time spent queued behind a
//!   stall is counted.
//!
//! What counts is defined once, for both engines, in `account/`: a message
//! counts when its answer arrives inside the measured window (whenever it
//! was due), so `messages/s` is what the server answered, not what was
//! offered; each connection ends one way (served, rejected, closed, ...),
//! and the ways add up to the connections asked for (`endings.rs`). The
//! warm-up lasts until every connection has had its first answer
//! (`start.rs`), and every connection's ramp, share of the answers and
//! unanswered messages are reported (`fairness.rs`). Latencies go into HdrHistograms
//! in microseconds, one per second of the window (`record.rs`), which can be
//! written as a standard interval log ([`hdrlog`]), and the logs of several
//! load hosts merged ([`merge`]). The client watches its
//! own CPU use over the window (`cpu.rs`) and says when it, not the server,
//! was the bottleneck (`report.rs`).

pub mod account;
mod cpu;
pub mod delayed;
pub mod endings;
mod engines;
pub(crate) mod events;
pub mod fairness;
pub mod hdrlog;
pub mod merge;
pub mod placement;
mod record;
pub mod reference;
mod report;
mod schedule;
mod start;
pub(crate) mod threads;

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sockmodes_common::{Service, DEFAULT_MAX_FRAME};
use sockmodes_os::kernel_tcp;

pub use account::ConnTally;
pub use cpu::CpuWindow;
pub use endings::Endings;
pub use engines::thread_per_connection;
pub use fairness::{Fairness, Ramp};
pub use record::Recorder;
pub use report::json::{self, LoadJson, SCHEMA_VERSION};
pub use report::{LoadReport, Run};
pub use schedule::Schedule;
use sockmodes_models::Model;
use start::Start;

/// What to run.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Client model.
    pub model: Model,
    /// Server address.
    pub addr: SocketAddr,
    /// `Echo` (round trips) or `Sink` (one-way upload).
    pub service: Service,
    /// Connections held open at once.
    pub connections: usize,
    /// Measured time (after warm-up).
    pub duration: Duration,
    /// Payload bytes per frame.
    pub size: usize,
    /// Open loop: total messages per second over all connections.
    pub rate: Option<f64>,
    /// Open loop: send times are rounded up to this grid, so that the
    /// sends of one slot go in one wake-up (`None`: [`GRID_MESSAGES`] /
    /// rate, at most [`GRID_MAX`]; zero: every send at its exact time).
    pub grid: Option<Duration>,
    /// Time sent but not measured, first: the least warm-up. It goes on
    /// while some connection still waits for its first answer.
    pub warmup: Duration,
    /// The most warm-up: the window opens then even if some connection was
    /// never answered (those count as starved).
    pub warmup_cap: Duration,
    /// Largest frame (the size must fit).
    pub max_frame: usize,
    /// Called at the start and at the end of the measured window, from the
    /// run's monitor thread: lets a bench read a server's costs over exactly
    /// the measured time.
    pub on_window: Option<WindowHook>,
}

/// Which edge of the measured window has been reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowEdge {
    /// Warm-up is over; counting starts.
    Start,
    /// The window has ended.
    End,
}

/// A callback for the window's edges (see [`LoadConfig::on_window`]),
/// given the edge and when it was due (CLOCK_MONOTONIC in nanoseconds,
/// [`sockmodes_os::process::monotonic_ns`]): the monitor thread may reach
/// an edge late under thousands of busy threads, and a hook that reads
/// something there can tell by how much.
#[derive(Clone)]
pub struct WindowHook(pub Arc<dyn Fn(WindowEdge, u64) + Send + Sync>);

impl std::fmt::Debug for WindowHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WindowHook")
    }
}

/// The default cap on the warm-up.
///
/// Why 30 s: measured here, a thread-per-connection server under load takes
/// about 3.5 s to serve 10,000 new connections; ten times that is a server
/// that is not going to, and the run must still report.
pub const DEFAULT_WARMUP_CAP: Duration = Duration::from_secs(30);

impl LoadConfig {
    /// Defaults: 10 echo connections for 5 s, 64-byte frames, 1 s warm-up
    /// (longer until every connection has been answered, 30 s at most).
    pub fn new(model: Model, addr: SocketAddr) -> Self {
        LoadConfig {
            model,
            addr,
            service: Service::Echo,
            connections: 10,
            duration: Duration::from_secs(5),
            size: 64,
            rate: None,
            grid: None,
            warmup: Duration::from_secs(1),
            warmup_cap: DEFAULT_WARMUP_CAP,
            max_frame: DEFAULT_MAX_FRAME,
            on_window: None,
        }
    }

    /// The open loop's send grid (zero for a closed loop).
    pub fn send_grid(&self) -> Duration {
        match (self.rate, self.grid) {
            (None, _) => Duration::ZERO,
            (Some(_), Some(grid)) => grid,
            (Some(rate), None) => Duration::from_secs_f64(GRID_MESSAGES / rate).min(GRID_MAX),
        }
    }

    /// Open loop: one connection's share of the rate from `start`, offset
    /// by `phase` of one interval, on the send grid (`None`: closed loop).
    pub(crate) fn schedule(&self, start: Instant, phase: f64) -> Option<Schedule> {
        let rate = self.rate? / self.connections as f64;
        Some(Schedule::new(start, rate, phase, self.send_grid()))
    }
}

/// Messages per slot of the automatic send grid.
///
/// Why 8: measured here at 1,000 connections (`cargo bench --bench
/// generator_cost`, docs/benchmarks.md), sending each message at its exact
/// time cost the client 2.2x the CPU per message of the simplest sender at
/// 10% of the server's capacity, because every send and every answer is a
/// wake-up of its own; slots of 4 messages still cost 1.44x, slots of 8
/// 1.18x. The server then sees bursts of about eight messages, not tens
/// (wrk2's millisecond timers send rate/1000 at once).
pub const GRID_MESSAGES: f64 = 8.0;

/// The longest automatic slot.
///
/// Why 1 ms: wrk2's timer resolution; at low rates a slot holds fewer than
/// [`GRID_MESSAGES`] and costs nothing in wake-ups worth saving.
pub const GRID_MAX: Duration = Duration::from_millis(1);

/// A configuration the generator cannot run.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Only echo and sink can be load-tested.
    #[error("the load generator runs echo or sink, not {0}")]
    Service(Service),
    /// Zero connections or zero duration.
    #[error("{0} must be at least 1")]
    Zero(&'static str),
    /// Frame size over the limit.
    #[error("--size {size} exceeds the frame limit of {max} bytes")]
    Size {
        /// Requested size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// A rate that is not a positive number.
    #[error("--rate must be a positive number of messages per second, got {0}")]
    Rate(f64),
    /// Not a single connection could be made.
    #[error("no connection could be made: {0}")]
    Connect(sockmodes_client::ClientError),
    /// Not a single handshake finished while the engine waited for them
    /// (a server whose accept queue stays full).
    #[error(
        "no connection could be made: no handshake finished in time (is the server's accept queue full?)"
    )]
    NoHandshake,
    /// Threads or poll could not be created.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A model with no load engine (see `Model::CLIENTS`).
    #[error("{}", sockmodes_models::NO_CLIENT)]
    NoEngine,
}

/// Runs the load; `progress` counts messages as they complete (for a
/// progress bar). The [`Run`] holds the summary ([`Run::report`]) and the
/// per-second histograms ([`Run::write_hdr_log`]).
///
/// # Errors
/// A configuration it cannot run, or no connection at all.
pub fn run(config: &LoadConfig, progress: Arc<AtomicU64>) -> Result<Run, LoadError> {
    validate(config)?;
    // The machine's TCP memory before and after: a run that drove it into
    // pressure stalls on any server, and says so (`os/src/kernel_tcp.rs`).
    let tcp_before = kernel_tcp::read();
    let outcome = crate::engines::load_engine(config, &progress)?;
    let tcp = tcp_before
        .zip(kernel_tcp::read())
        .and_then(|(a, b)| a.since(&b));
    Ok(Run::new(config, outcome, tcp))
}

fn validate(config: &LoadConfig) -> Result<(), LoadError> {
    if !matches!(config.service, Service::Echo | Service::Sink) {
        return Err(LoadError::Service(config.service));
    }
    if config.connections == 0 {
        return Err(LoadError::Zero("--connections"));
    }
    if config.duration.is_zero() {
        return Err(LoadError::Zero("--duration"));
    }
    if config.size > config.max_frame {
        return Err(LoadError::Size {
            size: config.size,
            max: config.max_frame,
        });
    }
    if let Some(rate) = config.rate.filter(|r| !(r.is_finite() && *r > 0.0)) {
        return Err(LoadError::Rate(rate));
    }
    Ok(())
}

/// What the engines hand back: merged counts and latencies.
pub(crate) struct Outcome {
    pub recorder: Recorder,
    /// One tally per connection asked for, in order.
    pub tallies: Vec<ConnTally>,
    /// Threads that drove the connections (blocking: one each; non-blocking:
    /// one per event loop).
    pub threads: usize,
    /// The start line: the window's wall-clock start and the CPU use.
    pub start: Arc<Start>,
}

impl Outcome {
    /// What the engines hand back, or the first connect error when not a
    /// single connection was made.
    fn new(
        recorder: Recorder,
        tallies: Vec<ConnTally>,
        first_error: Option<sockmodes_client::ClientError>,
        threads: usize,
        start: Arc<Start>,
    ) -> Result<Outcome, LoadError> {
        if !tallies.iter().any(ConnTally::connected) {
            // No error at all: every handshake was still pending when the
            // engine stopped waiting for it.
            return Err(first_error.map_or(LoadError::NoHandshake, LoadError::Connect));
        }
        Ok(Outcome {
            recorder,
            tallies,
            threads,
            start,
        })
    }
}
