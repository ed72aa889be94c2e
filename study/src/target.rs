//! What the study compares, and how long it runs.
//!
//! One list of servers: the I/O models the command serves (taken from the
//! registry, `sockmodes::IoMode`), and the two references the bench adds
//! beside them (`raw`, the least a server can do;
//! `tokio`, what a user would pick instead). Tables, findings and charts
//! iterate over these lists, so a server is added here once.

use serde::{Deserialize, Serialize};
use sockmodes::IoMode;

/// A server implementation under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// std::net, thread per connection.
    Blocking,
    /// mio event loops.
    #[serde(rename = "nonblocking")]
    NonBlocking,
    /// io_uring, one ring (Linux).
    Completion,
    /// A minimal std server told each message's size: the loopback limit.
    Raw,
    /// A straightforward tokio server speaking the same frames.
    Tokio,
}

impl Target {
    /// The server of I/O model `mode` (the registry is `sockmodes::IoMode`).
    pub fn of(mode: IoMode) -> Target {
        match mode {
            IoMode::Blocking => Target::Blocking,
            IoMode::NonBlocking => Target::NonBlocking,
            IoMode::Completion => Target::Completion,
        }
    }

    /// The I/O model this server is, if it is one of the command's.
    pub fn mode(self) -> Option<IoMode> {
        IoMode::ALL.into_iter().find(|&m| Target::of(m) == self)
    }

    /// The command's own models built on this system, in registry order.
    pub fn models() -> Vec<Target> {
        IoMode::servers().into_iter().map(Target::of).collect()
    }

    /// The servers of the scaling study: the models and tokio (raw has no
    /// framing to scale with).
    pub fn studied() -> Vec<Target> {
        let mut v = Target::models();
        v.push(Target::Tokio);
        v
    }

    /// Every server, in table order: the models, then the references.
    pub fn all() -> Vec<Target> {
        let mut v = Target::models();
        v.extend([Target::Raw, Target::Tokio]);
        v
    }

    /// Every server the report can show, whatever this system builds, in
    /// table order: a report measured on Linux renders the same on any
    /// system (its completion server included). Report code iterates this
    /// and keeps the servers the data has.
    pub fn every() -> Vec<Target> {
        let mut v: Vec<Target> = IoMode::ALL.into_iter().map(Target::of).collect();
        v.extend([Target::Raw, Target::Tokio]);
        v
    }

    /// [`every`](Self::every) without the raw reference: the servers a
    /// study can measure.
    pub fn every_studied() -> Vec<Target> {
        Target::every()
            .into_iter()
            .filter(|&t| t != Target::Raw)
            .collect()
    }

    /// The command's models of [`every`](Self::every).
    pub fn every_model() -> Vec<Target> {
        IoMode::ALL.into_iter().map(Target::of).collect()
    }

    /// The name in tables, JSON and file names.
    pub fn name(self) -> &'static str {
        match self {
            Target::Blocking => "blocking",
            Target::NonBlocking => "nonblocking",
            Target::Completion => "completion",
            Target::Raw => "raw",
            Target::Tokio => "tokio",
        }
    }

    /// The same colour in every chart.
    pub fn colour(self) -> (u8, u8, u8) {
        match self {
            Target::Blocking => (214, 39, 40),     // red
            Target::NonBlocking => (31, 119, 180), // blue
            Target::Completion => (255, 127, 14),  // orange
            Target::Raw => (127, 127, 127),        // grey
            Target::Tokio => (44, 160, 44),        // green
        }
    }
}

/// How big and how long a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunMode {
    /// Every part once at the smallest size, no timing (CI).
    Test,
    /// Shorter: fewer counts, fewer windows.
    Quick,
    /// The report in docs/benchmarks.md.
    Full,
}

impl RunMode {
    /// From the bench's arguments (`--test`, `--quick`, else full).
    pub fn from_args(args: &[String]) -> RunMode {
        let has = |flag: &str| args.iter().any(|a| a == flag);
        if has("--test") {
            RunMode::Test
        } else if has("--quick") {
            RunMode::Quick
        } else {
            RunMode::Full
        }
    }

    /// The name in the report.
    pub fn name(self) -> &'static str {
        match self {
            RunMode::Test => "test",
            RunMode::Quick => "quick",
            RunMode::Full => "full",
        }
    }
}
