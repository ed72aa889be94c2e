//! What the study compares, and how long it runs.
//!
//! One list of servers: the I/O models the command serves, and the two
//! references the bench adds beside them (`raw`, the least a server can do;
//! `tokio`, what a user would pick instead). Tables, findings and charts
//! iterate over these lists, so a server is added here once.

use serde::{Deserialize, Serialize};

/// A server implementation under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// std::net, thread per connection.
    Blocking,
    /// mio event loops.
    #[serde(rename = "nonblocking")]
    NonBlocking,
    /// A minimal std server told each message's size: the loopback limit.
    Raw,
    /// A straightforward tokio server speaking the same frames.
    Tokio,
}

impl Target {
    /// Every server, in table order.
    pub const ALL: [Target; 4] = [
        Target::Blocking,
        Target::NonBlocking,
        Target::Raw,
        Target::Tokio,
    ];

    /// The I/O models of the command itself (the references left out).
    pub const MODELS: [Target; 2] = [Target::Blocking, Target::NonBlocking];

    /// The servers of the scaling study (raw has no framing to scale with).
    pub const STUDIED: [Target; 3] = [Target::Blocking, Target::NonBlocking, Target::Tokio];

    /// The name in tables, JSON and file names.
    pub fn name(self) -> &'static str {
        match self {
            Target::Blocking => "blocking",
            Target::NonBlocking => "nonblocking",
            Target::Raw => "raw",
            Target::Tokio => "tokio",
        }
    }

    /// The same colour in every chart.
    pub fn colour(self) -> (u8, u8, u8) {
        match self {
            Target::Blocking => (214, 39, 40),     // red
            Target::NonBlocking => (31, 119, 180), // blue
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
