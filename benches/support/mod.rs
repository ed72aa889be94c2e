//! The bench's parts: the servers under test and the two references, the one
//! client used against all of them, the scaling study, the idle-memory
//! measurement, and the report.

pub mod affinity;
pub mod clients;
pub mod machine;
pub mod raw;
pub mod report;
pub mod scale;
pub mod servers;
pub mod sweep;
pub mod tokio_server;
