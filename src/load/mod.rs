//! The load generator: many connections of either client mode against any
//! server, for a fixed time, reporting throughput and latency percentiles.
//!
//! - Closed loop (default): each connection sends its next frame when the
//!   previous answer arrives. Simple, but a stalled server also stalls the
//!   sender, so the stall hides from the latency figures (coordinated omission).
//! - Open loop (`rate`): sends are scheduled at fixed times, and each latency
//!   is measured from its *scheduled* time, so time spent queued behind a
//!   stall is counted.
//!
//! Warm-up traffic is sent but not counted. Latencies go into an HdrHistogram
//! in microseconds.

mod blocking;
mod nonblocking;
mod record;
mod schedule;

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Barrier, OnceLock};
use std::time::{Duration, Instant};

use serde::Serialize;
use sockmodes_common::{Service, DEFAULT_MAX_FRAME};

use crate::IoMode;
pub use record::Recorder;
pub use schedule::Schedule;

/// What to run.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Client mode.
    pub mode: IoMode,
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
    /// Time sent but not measured, first.
    pub warmup: Duration,
    /// Largest frame (the size must fit).
    pub max_frame: usize,
}

impl LoadConfig {
    /// Defaults: 10 echo connections for 5 s, 64-byte frames, 1 s warm-up.
    pub fn new(mode: IoMode, addr: SocketAddr) -> Self {
        LoadConfig {
            mode,
            addr,
            service: Service::Echo,
            connections: 10,
            duration: Duration::from_secs(5),
            size: 64,
            rate: None,
            warmup: Duration::from_secs(1),
            max_frame: DEFAULT_MAX_FRAME,
        }
    }
}

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
    Connect(sockmodes_common::ClientError),
    /// Threads or poll could not be created.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The figures of one run; `--json` prints exactly these fields.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LoadReport {
    /// Client mode.
    pub mode: String,
    /// Service.
    pub service: String,
    /// Connections that were open.
    pub connections: usize,
    /// Measured seconds (warm-up excluded).
    pub duration_s: f64,
    /// Messages completed in the measured time (echo: round trips; sink: frames sent).
    pub messages: u64,
    /// Messages per second.
    pub messages_per_s: f64,
    /// Payload bytes per second (sink: verified by the server's summary).
    pub bytes_per_s: f64,
    /// Median latency, µs (sink: time a send call held the writer).
    pub p50_us: f64,
    /// 90th percentile, µs.
    pub p90_us: f64,
    /// 99th percentile, µs.
    pub p99_us: f64,
    /// 99.9th percentile, µs.
    pub p999_us: f64,
    /// Largest latency, µs.
    pub max_us: f64,
    /// Failed connections, mismatched echoes, or sink summaries that disagree.
    pub errors: u64,
}

/// Runs the load; `progress` counts messages as they complete (for a
/// progress bar).
///
/// # Errors
/// A configuration it cannot run, or no connection at all.
pub fn run(config: &LoadConfig, progress: Arc<AtomicU64>) -> Result<LoadReport, LoadError> {
    validate(config)?;
    let outcome = match config.mode {
        IoMode::Blocking => blocking::run(config, &progress)?,
        IoMode::NonBlocking => nonblocking::run(config, &progress)?,
    };
    Ok(outcome.report(config))
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
    if let Some(rate) = config.rate {
        if !(rate.is_finite() && rate > 0.0) {
            return Err(LoadError::Rate(rate));
        }
    }
    Ok(())
}

/// What the engines hand back: merged counts and latencies.
pub(crate) struct Outcome {
    pub recorder: Recorder,
    /// Connections that were established.
    pub connected: usize,
    /// Measured payload bytes (sink: as confirmed by the server).
    pub bytes: u64,
    pub measured: Duration,
}

impl Outcome {
    fn report(self, config: &LoadConfig) -> LoadReport {
        let secs = self.measured.as_secs_f64().max(1e-9);
        let h = &self.recorder.histogram;
        let q = |q: f64| {
            if h.is_empty() {
                0.0
            } else {
                h.value_at_quantile(q) as f64
            }
        };
        LoadReport {
            mode: config.mode.name().to_string(),
            service: config.service.name().to_string(),
            connections: self.connected,
            duration_s: secs,
            messages: self.recorder.messages,
            messages_per_s: self.recorder.messages as f64 / secs,
            bytes_per_s: self.bytes as f64 / secs,
            p50_us: q(0.5),
            p90_us: q(0.9),
            p99_us: q(0.99),
            p999_us: q(0.999),
            max_us: if h.is_empty() { 0.0 } else { h.max() as f64 },
            errors: self.recorder.errors,
        }
    }
}

/// What every worker of one run shares: the configuration, the payload, the
/// progress counter, and the start line, a barrier after which the first
/// worker through fixes the run's start time for all.
pub(crate) struct Start {
    pub config: LoadConfig,
    pub payload: Vec<u8>,
    pub progress: Arc<AtomicU64>,
    barrier: Barrier,
    t0: OnceLock<Instant>,
}

impl Start {
    /// A start line for `workers` workers.
    pub fn new(config: &LoadConfig, workers: usize, progress: Arc<AtomicU64>) -> Arc<Start> {
        Arc::new(Start {
            payload: payload(config.size),
            config: config.clone(),
            progress,
            barrier: Barrier::new(workers),
            t0: OnceLock::new(),
        })
    }

    /// Waits for every worker (connections made), then returns the start time.
    pub fn wait(&self) -> Instant {
        self.barrier.wait();
        *self.t0.get_or_init(Instant::now)
    }

    /// The start time, once the workers passed the start line.
    pub fn started(&self) -> Option<Instant> {
        self.t0.get().copied()
    }
}

/// The payload every connection sends: position-dependent bytes, so a reply
/// with bytes out of place does not compare equal.
pub(crate) fn payload(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i % 251) as u8).collect()
}
