//! The parts of a `cargo bench` run, and how long each took: what the
//! progress display times and the report accounts for.

use serde::{Deserialize, Serialize};

/// A part of `cargo bench`, for the account of where its time went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Criterion,
    Sweep,
    OfferedLoad,
    SameRate,
    CrossCheck,
    Service,
    IdleMemory,
}

impl Part {
    /// How the report names it.
    pub fn name(self) -> &'static str {
        match self {
            Part::Criterion => "criterion (one connection)",
            Part::Sweep => "connection sweep",
            Part::OfferedLoad => "offered load",
            Part::SameRate => "same rate",
            Part::CrossCheck => "cross-check",
            Part::Service => "service work",
            Part::IdleMemory => "idle memory",
        }
    }
}

/// How long one part took.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PartTime {
    pub part: Part,
    pub seconds: f64,
}
