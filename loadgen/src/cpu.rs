//! The load generator's own CPU use, so that a saturated client is never
//! mistaken for a slow server.
//!
//! A load generator measures the server only while it has time to spare: once
//! its own threads are busy all the time, sends leave late and answers are
//! read late, and the figures describe the client. The run reads the
//! process's CPU time (user + system) at the start and the end of the
//! measured window and divides by what its threads could have used:
//! `window x min(threads, cores)`. Above [`CLIENT_BOUND_UTILIZATION`] the run
//! is called client-bound.
//!
//! Where it comes from: `getrusage(RUSAGE_SELF)` on Unix, `GetProcessTimes`
//! on Windows. Both are one call; no maintained crate offers both with the
//! user/system split (`cpu-time` has not been released since 2019, `sysinfo`
//! gives a total and brings a whole system inventory with it).

use std::time::Duration;

use serde::{Deserialize, Serialize};
pub use sockmodes_os::process::{process_cpu_time, CpuTime};

/// Busy share above which the client, not the server, is the bottleneck.
///
/// Why 0.9: a thread busy more than 90% of the time has no slack left to
/// send on schedule or read an answer as it arrives; below it, the client
/// still waits for the server now and then.
pub const CLIENT_BOUND_UTILIZATION: f64 = 0.9;

/// CPU used over a window of wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CpuWindow {
    /// User-space CPU seconds.
    pub user_s: f64,
    /// Kernel CPU seconds.
    pub system_s: f64,
    /// The window's wall-clock seconds.
    pub wall_s: f64,
}

impl CpuWindow {
    /// The use between two readings taken `wall` apart.
    pub fn between(before: CpuTime, after: CpuTime, wall: Duration) -> CpuWindow {
        CpuWindow {
            user_s: after.user.saturating_sub(before.user).as_secs_f64(),
            system_s: after.system.saturating_sub(before.system).as_secs_f64(),
            wall_s: wall.as_secs_f64(),
        }
    }

    /// CPU seconds in all.
    pub fn total_s(&self) -> f64 {
        self.user_s + self.system_s
    }

    /// The busy share of `threads` threads on `cores` cores: CPU time over
    /// `wall x min(threads, cores)`.
    pub fn utilization(&self, threads: usize, cores: usize) -> f64 {
        let lanes = threads.min(cores).max(1) as f64;
        self.total_s() / (self.wall_s.max(1e-9) * lanes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spinning_shows_up_as_cpu_time() {
        let before = process_cpu_time().expect("this OS reports CPU time");
        let t = std::time::Instant::now();
        let mut x = 0u64;
        while t.elapsed() < Duration::from_millis(200) {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
        let after = process_cpu_time().unwrap();
        let w = CpuWindow::between(before, after, t.elapsed());
        assert!(w.total_s() > 0.0, "{w:?}");
        assert!(w.user_s >= 0.0 && w.system_s >= 0.0);
    }

    #[test]
    fn utilization_divides_by_the_threads_that_could_run() {
        let w = CpuWindow {
            user_s: 1.5,
            system_s: 0.5,
            wall_s: 1.0,
        };
        assert_eq!(w.utilization(2, 2), 1.0);
        assert_eq!(
            w.utilization(1000, 4),
            0.5,
            "threads beyond the cores add nothing"
        );
        assert_eq!(w.utilization(8, 2), 1.0);
    }
}
