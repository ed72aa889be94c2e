//! The scaling study behind `cargo bench`, and the report it writes.
//!
//! `benches/sockmodes.rs` is a thin driver: it runs the criterion cases
//! (one connection, every server), starts the study here, and hands both to
//! [`report::write`]. Everything that turns windows into verdicts lives in
//! this library, so that `cargo test --workspace` tests it on fixed data:
//!
//! - [`target`]: the servers compared, and the kinds of run;
//! - [`stats`]: a measurement is several windows; [`stats::Spread`] is their
//!   median and range, and [`stats::compare`] claims a difference only where
//!   it is beyond chance (a rank test) and beyond run-to-run drift;
//! - [`launch`]: each server started as a process of its own;
//! - [`sweep`]: the connection sweep, the offered-load steps and the
//!   same-rate efficiency step, each point measured in R windows, each window
//!   against a fresh server process, servers interleaved;
//! - [`measure`]: how one point is measured: its windows, each against a
//!   fresh server, and the server's costs over each;
//! - [`driver`] and [`crosscheck`]: who drives a window (the client's load
//!   engine and the placement), and the cross-check that measures the
//!   servers again with every engine in both placements, so a verdict can
//!   say whether it is about the servers or about the pair;
//! - [`service`]: the same servers with work per message (cpu, a blocking
//!   call, a wait), inline and on a pool, each beside its Little's-law
//!   ceiling: which model for a service that does work;
//! - [`progress`]: where a long run is: each part announced with its
//!   number and the time left, on a terminal;
//! - [`scale`]: resident memory with many idle connections, and the same for
//!   bare threads (the yardstick of the thread-per-connection server);
//! - [`report`]: the run's analysis ([`report::Analysis`]: targets,
//!   verdicts, findings, ceilings), computed once from the measurements and
//!   kept in report.json beside them; tables and charts rendered from it as
//!   Markdown, HTML and the published pages.

pub mod affinity;
pub mod crosscheck;
pub mod driver;
pub mod launch;
pub mod machine;
pub mod measure;
pub mod parts;
pub mod plan;
pub mod point;
pub mod progress;
pub mod report;
pub mod scale;
pub mod service;
pub mod setup;
pub mod stats;
pub mod sweep;
pub mod target;
