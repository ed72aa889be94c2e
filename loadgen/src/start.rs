//! The start line every worker of a run shares, and the measured window it
//! opens once the warm-up is over.
//!
//! Workers first make their connections, then meet at a barrier; the first
//! through fixes the run's start time for all. A monitor thread meets them
//! there too and decides when the **window** opens: not before `--warmup`,
//! and not before every connection has had its first answer, so that a
//! server still accepting and spawning threads is not measured half-ready.
//! A server that never answers some connection cannot hold the run
//! forever: at `--warmup-cap` the window opens anyway and those connections
//! count as starved (`fairness.rs`).
//!
//! Workers read the window with [`Start::window`]: `None` while warming up.
//! The monitor also reads the process's CPU time at both edges, runs the
//! caller's window hook, and tells workers when the end has been observed,
//! so that connections (and a server's threads for them) stay open until a
//! bench has sampled them.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Barrier, Condvar, Mutex, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime};

use sockmodes_common::Payload;

use super::cpu::{process_cpu_time, CpuWindow};
use super::record::{until, Window};
use super::{LoadConfig, WindowEdge, WindowHook};

/// How long every engine waits for its connections' handshakes before the
/// start line (a thread of the thread-per-connection engine for its own,
/// an event loop for all of its share at once).
///
/// Why 10 s: a server with a full accept queue answers a SYN again after
/// 1, 3 and 7 s; past that the connection is not coming, and the kernel's
/// own limit (its SYN retries, about two minutes on Linux) is far longer
/// than a user waits for a load that cannot start.
pub(crate) const CONNECT_WAIT: Duration = Duration::from_secs(10);

/// How long after the window the engines wait at least for answers still
/// owed.
///
/// Why 5 s: a sink summary follows the last frame by one round trip, and an
/// echo in flight at the end by one latency; a server that needs longer is
/// stalled, and what it still owes is counted as unanswered. Unless the
/// ramp said otherwise ([`RAMP_GRACE`]).
pub const DRAIN_GRACE: Duration = Duration::from_secs(5);

/// The drain also lasts this many times the ramp (the start line to the
/// last connection's first answer), within the run's bound.
///
/// Why: the ramp is one round of every connection's first message through
/// this server, on this machine, under this load; the round in flight at
/// the window's end is the same work, and may start as the window ends.
/// 100 connections of 16 MiB frames through a debug build on a shared
/// machine took 3 to 8 s of ramp and then as long for their last round, so
/// a fixed 5 s drain left the last connections of a healthy run "never
/// answered". Twice, because a second round on a shared machine is no
/// faster than the first. A server that never answered some connection in
/// the warm-up sets no ramp, and gets [`DRAIN_GRACE`] only.
pub const RAMP_GRACE: u32 = 2;

/// Longest a worker waits for the window to be closed by the monitor.
///
/// Why 30 s: the monitor only reads CPU time and runs the hook (a bench
/// reading /proc for 10,000 threads takes well under a second); waiting
/// longer would mean the monitor died, and the run must still end.
const CLOSE_WAIT: Duration = Duration::from_secs(30);

/// What every worker of one run shares.
pub(crate) struct Start {
    pub config: LoadConfig,
    /// What every connection sends: the pattern, computed as it is sent
    /// and never held (`Payload::pattern`), so `--size` costs no memory.
    pub payload: Payload,
    pub progress: Arc<AtomicU64>,
    barrier: Barrier,
    t0: OnceLock<(Instant, SystemTime)>,
    window: OnceLock<Window>,
    /// Connections not yet settled: neither answered once nor given up.
    unsettled: (Mutex<usize>, Condvar),
    /// When the last connection settled: the ramp's end (unset while some
    /// connection waits for its first answer).
    ramped: OnceLock<Instant>,
    /// How many were still unsettled when the warm-up cap opened the window.
    unsettled_at_cap: OnceLock<usize>,
    monitor: Mutex<Option<JoinHandle<Option<CpuWindow>>>>,
    /// Set once the window's end has been observed (CPU read, hook run).
    closed: (Mutex<bool>, Condvar),
}

impl Start {
    /// A start line for `workers` workers (and the monitor) driving
    /// `config.connections` connections.
    pub fn new(config: &LoadConfig, workers: usize, progress: Arc<AtomicU64>) -> Arc<Start> {
        let start = Arc::new(Start {
            payload: Payload::pattern(config.size),
            config: config.clone(),
            progress,
            barrier: Barrier::new(workers + 1),
            t0: OnceLock::new(),
            window: OnceLock::new(),
            unsettled: (Mutex::new(config.connections), Condvar::new()),
            ramped: OnceLock::new(),
            unsettled_at_cap: OnceLock::new(),
            monitor: Mutex::new(None),
            closed: (Mutex::new(false), Condvar::new()),
        });
        let watched = Arc::clone(&start);
        let monitor = thread::Builder::new()
            .name("load-monitor".into())
            .spawn(move || watched.monitor(true));
        match monitor {
            Ok(handle) => *start.monitor.lock().expect("not poisoned") = Some(handle),
            Err(e) => {
                // The barrier counts the monitor, and the window must still
                // open and close: a stand-in does it without CPU figures.
                tracing::warn!(error = %e, "no monitor thread; client CPU not measured");
                let stand_in = Arc::clone(&start);
                drop(thread::spawn(move || stand_in.monitor(false)));
            }
        }
        start
    }

    /// The monitor: opens the window once the warm-up is over, reads CPU
    /// time and runs the hook at both edges, then closes it.
    fn monitor(&self, measure_cpu: bool) -> Option<CpuWindow> {
        let t0 = self.wait();
        let config = &self.config;
        thread::sleep(until(t0 + config.warmup));
        let cap = t0 + config.warmup.max(config.warmup_cap);
        let (lock, cv) = &self.unsettled;
        let guard = lock.lock().expect("not poisoned");
        let left = cv
            .wait_timeout_while(guard, until(cap), |n| *n > 0)
            .map_or(0, |(n, _)| *n);
        let _ = self.unsettled_at_cap.set(left);
        let from = Instant::now();
        let from_ns = sockmodes_os::process::monotonic_ns();
        let to = from + config.duration;
        let to_ns = from_ns + config.duration.as_nanos() as u64;
        let _ = self.window.set(Window { from, to });
        let edge = |e, due_ns| {
            if let Some(WindowHook(hook)) = &config.on_window {
                hook(e, due_ns);
            }
        };
        // The CPU time over the wall time between its own two readings:
        // under thousands of busy threads this thread may wake late.
        let before = measure_cpu.then(process_cpu_time).flatten();
        let before_at = Instant::now();
        edge(WindowEdge::Start, from_ns);
        thread::sleep(until(to));
        let after = measure_cpu.then(process_cpu_time).flatten();
        let after_at = Instant::now();
        edge(WindowEdge::End, to_ns);
        let (closed, cv) = &self.closed;
        *closed.lock().expect("not poisoned") = true;
        cv.notify_all();
        Some(CpuWindow::between(before?, after?, after_at - before_at))
    }

    /// Waits for every worker (connections made), then returns the start time.
    pub fn wait(&self) -> Instant {
        self.barrier.wait();
        self.started()
    }

    /// The start time (fixed by the first through the barrier).
    pub fn started(&self) -> Instant {
        self.t0
            .get_or_init(|| (Instant::now(), SystemTime::now()))
            .0
    }

    /// The measured window; `None` while warming up.
    pub fn window(&self) -> Option<Window> {
        self.window.get().copied()
    }

    /// One connection is settled: it got its first answer, or it will never
    /// get one (it failed). Each connection settles exactly once.
    pub fn settle(&self) {
        let (lock, cv) = &self.unsettled;
        let mut n = lock.lock().expect("not poisoned");
        *n = n.saturating_sub(1);
        if *n == 0 {
            let _ = self.ramped.set(Instant::now());
            cv.notify_all();
        }
    }

    /// When a worker stops waiting for what it is owed: the drain's end
    /// once the window is known, before that the latest it can be.
    ///
    /// The drain lasts [`DRAIN_GRACE`], or [`RAMP_GRACE`] times the ramp
    /// if longer, but never past the latest end: every run still ends
    /// within `max(warmup, warmup_cap) + duration + DRAIN_GRACE` of its
    /// start line.
    pub fn give_up_at(&self) -> Instant {
        let c = &self.config;
        let latest = self.started() + c.warmup.max(c.warmup_cap) + c.duration + DRAIN_GRACE;
        let Some(w) = self.window() else {
            return latest;
        };
        let ramp = self.ramped.get().map_or(Duration::ZERO, |&at| {
            at.saturating_duration_since(self.started())
        });
        let stretched = (w.to + ramp * RAMP_GRACE).min(latest);
        (w.to + DRAIN_GRACE).max(stretched)
    }

    /// Waits until the monitor has observed the window's end; workers call
    /// it before closing their connections.
    pub fn wait_window_closed(&self) {
        let (lock, cv) = &self.closed;
        let guard = lock.lock().expect("not poisoned");
        let _ = cv.wait_timeout_while(guard, CLOSE_WAIT, |closed| !*closed);
    }

    /// The warm-up the run took, and whether it ended at its cap with
    /// connections still unanswered.
    pub fn warmup_taken(&self) -> (Duration, bool) {
        let taken = match (self.t0.get(), self.window()) {
            (Some(&(t0, _)), Some(w)) => w.from.saturating_duration_since(t0),
            _ => self.config.warmup,
        };
        (taken, self.unsettled_at_cap.get().is_some_and(|&n| n > 0))
    }

    /// The wall-clock time at which measuring began.
    pub fn measure_from_wall(&self) -> SystemTime {
        let wall = self.t0.get().map_or_else(SystemTime::now, |t| t.1);
        wall + self.warmup_taken().0
    }

    /// The process's CPU use over the measured window (waits for the window
    /// to end); `None` where the OS gave no figure.
    pub fn cpu(&self) -> Option<CpuWindow> {
        let handle = self.monitor.lock().expect("not poisoned").take()?;
        handle.join().ok().flatten()
    }
}
