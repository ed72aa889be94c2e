//! The parts of a `cargo bench` run, and how long each took: what the
//! progress display times and the report accounts for.

use serde::{Deserialize, Serialize};

use crate::point::Step;

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

/// The parts of `cargo bench`, in the order it runs them, each with how
/// the report names it, the step whose window length its windows take,
/// and its overhead: what its windows really took in the published run
/// (docs/benchmarks/report.json), over windows x (warm-up + window): a
/// server started and stopped per window, the ramp to every first answer
/// (the sweep's 10,000 connections, the service cases' 1,000), the drain.
/// Criterion's is over cases x (warm-up + measurement); idle memory's time
/// is per connection instead (`progress::IDLE_S_PER_CONNECTION`). A test
/// of the progress estimate reads them back from that report, so a new
/// published run updates them.
pub const PARTS: [(Part, &str, Option<Step>, f64); 7] = [
    (Part::Criterion, "criterion (one connection)", None, 1.17),
    (Part::Sweep, "connection sweep", Some(Step::Sweep), 1.92),
    (Part::OfferedLoad, "offered load", Some(Step::Offered), 1.05),
    (Part::SameRate, "same rate", Some(Step::SameRate), 1.05),
    (
        Part::CrossCheck,
        "cross-check",
        Some(Step::CrossCheck),
        1.43,
    ),
    (Part::Service, "service work", Some(Step::Service), 1.87),
    (Part::IdleMemory, "idle memory", None, 1.0),
];

impl Part {
    /// How the report names it.
    pub fn name(self) -> &'static str {
        self.row().1
    }

    /// Its row of [`PARTS`].
    pub(crate) fn row(self) -> (Part, &'static str, Option<Step>, f64) {
        *PARTS
            .iter()
            .find(|r| r.0 == self)
            .expect("every part has a row")
    }
}

/// How long one part took.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PartTime {
    pub part: Part,
    pub seconds: f64,
}
