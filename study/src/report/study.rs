//! What one run measured ([`Study`]): every criterion case, the sweep,
//! the offered-load and same-rate steps, the cross-check's cells, the
//! service-work points and idle memory, and where the run's time went.
//! The report judges these ([`Analysis`](super::analysis::Analysis)) and
//! shows them; nothing here judges.

use serde::{Deserialize, Serialize};

use super::cases::CaseResult;
use crate::crosscheck::{Cell, Skipped};
use crate::parts::PartTime;
use crate::scale::ScalePoint;
use crate::sweep::{Plan, Point};

/// The bare-thread yardstick of the blocking server's memory.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BareThreads {
    /// Threads in the process.
    pub threads: usize,
    /// Resident MiB with them.
    pub rss_mib: f64,
    /// Resident MiB of the same process without them.
    pub baseline_mib: f64,
}

impl BareThreads {
    /// Resident KiB per bare thread.
    pub fn kib_each(&self) -> f64 {
        (self.rss_mib - self.baseline_mib) * 1024.0 / self.threads.max(1) as f64
    }
}

/// Everything one run measured.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Study {
    pub plan: Plan,
    pub cases: Vec<CaseResult>,
    pub sweep: Vec<Point>,
    pub load_steps: Vec<Point>,
    pub same_rate: Vec<Point>,
    pub scale: Vec<ScalePoint>,
    pub bare_threads: Option<BareThreads>,
    /// The cross-check's cells: every server at a few counts, driven by
    /// every client engine in each placement of the plan (`crosscheck.rs`).
    #[serde(default)]
    pub cross_check: Vec<Cell>,
    /// Placements of the plan the cross-check could not measure here, and
    /// why (a CPU budget this machine cannot set).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cross_skipped: Vec<Skipped>,
    /// How long the whole `cargo bench` took, seconds (criterion, study,
    /// idle memory), as the README quotes it.
    #[serde(default)]
    pub elapsed_s: Option<f64>,
    /// What the run spent its time on, part by part.
    #[serde(default)]
    pub parts: Vec<PartTime>,
    /// The service-work section: every server with work per message, in
    /// each setup (`service.rs`).
    #[serde(default)]
    pub service: Vec<Point>,
}

/// "criterion (one connection) 61 s, connection sweep 95 s, ...": where a
/// run's time went.
pub fn time_account(study: &Study) -> Option<String> {
    let total = study.elapsed_s?;
    let parts: Vec<String> = study
        .parts
        .iter()
        .map(|p| format!("{} {:.0} s", p.part.name(), p.seconds))
        .collect();
    Some(if parts.is_empty() {
        format!("The whole run took {total:.0} s.")
    } else {
        format!("The whole run took {total:.0} s: {}.", parts.join(", "))
    })
}
