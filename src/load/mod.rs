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
//! Warm-up traffic is sent but not counted. Latencies go into HdrHistograms
//! in microseconds, one per second of the window (`record.rs`), which can be
//! written as a standard interval log ([`hdrlog`]). The client watches its
//! own CPU use over the window (`cpu.rs`) and says when it, not the server,
//! was the bottleneck (`report.rs`).

mod blocking;
mod cpu;
pub mod hdrlog;
mod nonblocking;
mod record;
mod report;
mod schedule;

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Barrier, Condvar, Mutex, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime};

use sockmodes_common::{Service, DEFAULT_MAX_FRAME};

use crate::IoMode;
pub use cpu::{process_cpu_time, CpuWindow, CLIENT_BOUND_UTILIZATION};
pub use record::{Recorder, Window, INTERVAL, MAX_LATENCY_US};
pub use report::{LoadReport, Run};
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
    /// Called at the start and at the end of the measured window, from the
    /// run's monitor thread: lets a bench read a server's costs over exactly
    /// the measured time.
    pub on_window: Option<WindowHook>,
}

/// Which edge of the measured window has been reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowEdge {
    /// Warm-up is over; counting starts.
    Start,
    /// The window has ended.
    End,
}

/// A callback for the window's edges (see [`LoadConfig::on_window`]).
#[derive(Clone)]
pub struct WindowHook(pub Arc<dyn Fn(WindowEdge) + Send + Sync>);

impl std::fmt::Debug for WindowHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WindowHook")
    }
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
            on_window: None,
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

/// Runs the load; `progress` counts messages as they complete (for a
/// progress bar). The [`Run`] holds the summary ([`Run::report`]) and the
/// per-second histograms ([`Run::write_hdr_log`]).
///
/// # Errors
/// A configuration it cannot run, or no connection at all.
pub fn run(config: &LoadConfig, progress: Arc<AtomicU64>) -> Result<Run, LoadError> {
    validate(config)?;
    let outcome = match config.mode {
        IoMode::Blocking => blocking::run(config, &progress)?,
        IoMode::NonBlocking => nonblocking::run(config, &progress)?,
    };
    Ok(Run::new(config, outcome))
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
    /// Threads that drove the connections (blocking: one each; non-blocking:
    /// one per event loop).
    pub threads: usize,
    /// The start line: the window's wall-clock start and the CPU use.
    pub start: Arc<Start>,
}

/// What every worker of one run shares: the configuration, the payload, the
/// progress counter, and the start line, a barrier after which the first
/// worker through fixes the run's start time for all. A monitor thread waits
/// at the same barrier and reads the process's CPU time at the start and the
/// end of the measured window.
pub(crate) struct Start {
    pub config: LoadConfig,
    pub payload: Vec<u8>,
    pub progress: Arc<AtomicU64>,
    barrier: Barrier,
    t0: OnceLock<(Instant, SystemTime)>,
    monitor: Mutex<Option<JoinHandle<Option<CpuWindow>>>>,
    /// Set once the window's end has been observed (CPU read, hook run):
    /// until then workers keep their connections open, so that a server's
    /// per-connection threads are still there to be counted.
    closed: (Mutex<bool>, Condvar),
}

/// Longest a worker waits for the window to be closed by the monitor.
///
/// Why 30 s: the monitor only reads CPU time and runs the hook (a bench
/// reading /proc for 10,000 threads takes well under a second); waiting
/// longer would mean the monitor died, and the run must still end.
const CLOSE_WAIT: Duration = Duration::from_secs(30);

impl Start {
    /// A start line for `workers` workers (and the CPU monitor).
    pub fn new(config: &LoadConfig, workers: usize, progress: Arc<AtomicU64>) -> Arc<Start> {
        let start = Arc::new(Start {
            payload: payload(config.size),
            config: config.clone(),
            progress,
            barrier: Barrier::new(workers + 1),
            t0: OnceLock::new(),
            monitor: Mutex::new(None),
            closed: (Mutex::new(false), Condvar::new()),
        });
        let watched = Arc::clone(&start);
        let monitor = thread::Builder::new()
            .name("load-cpu".into())
            .spawn(move || watched.watch_cpu());
        match monitor {
            Ok(handle) => *start.monitor.lock().expect("not poisoned") = Some(handle),
            Err(e) => {
                // The barrier counts the monitor: a run without CPU figures
                // is still a run, so something must stand in at the line.
                tracing::warn!(error = %e, "no CPU monitor thread; client CPU not measured");
                start.close_window();
                let stand_in = Arc::clone(&start);
                drop(thread::spawn(move || stand_in.wait()));
            }
        }
        start
    }

    /// The monitor: CPU time at the start and at the end of the window,
    /// and the window hook at both edges.
    fn watch_cpu(&self) -> Option<CpuWindow> {
        let from = self.wait() + self.config.warmup;
        let to = from + self.config.duration;
        let edge = |e| {
            if let Some(WindowHook(hook)) = &self.config.on_window {
                hook(e);
            }
        };
        thread::sleep(record::until(from));
        let before = process_cpu_time();
        edge(WindowEdge::Start);
        thread::sleep(record::until(to));
        let after = process_cpu_time();
        edge(WindowEdge::End);
        self.close_window();
        Some(CpuWindow::between(before?, after?, to - from))
    }

    fn close_window(&self) {
        let (lock, cv) = &self.closed;
        *lock.lock().expect("not poisoned") = true;
        cv.notify_all();
    }

    /// Waits until the monitor has observed the window's end; workers call
    /// it before closing their connections.
    pub fn wait_window_closed(&self) {
        let (lock, cv) = &self.closed;
        let guard = lock.lock().expect("not poisoned");
        let _ = cv.wait_timeout_while(guard, CLOSE_WAIT, |closed| !*closed);
    }

    /// Waits for every worker (connections made), then returns the start time.
    pub fn wait(&self) -> Instant {
        self.barrier.wait();
        self.t0
            .get_or_init(|| (Instant::now(), SystemTime::now()))
            .0
    }

    /// The wall-clock time at which measuring began (after warm-up).
    pub fn measure_from_wall(&self) -> SystemTime {
        let wall = self.t0.get().map_or_else(SystemTime::now, |t| t.1);
        wall + self.config.warmup
    }

    /// The process's CPU use over the measured window (waits for the window
    /// to end); `None` where the OS gave no figure.
    pub fn cpu(&self) -> Option<CpuWindow> {
        let handle = self.monitor.lock().expect("not poisoned").take()?;
        handle.join().ok().flatten()
    }
}

/// The payload every connection sends: position-dependent bytes, so a reply
/// with bytes out of place does not compare equal.
pub(crate) fn payload(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i % 251) as u8).collect()
}
