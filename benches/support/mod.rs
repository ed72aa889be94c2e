//! The bench's criterion side: the servers under test and the raw
//! reference started in this process, and the one client used against all
//! of them. The scaling study and the report are the `sockmodes-study`
//! library.

pub mod clients;
pub mod raw;
pub mod servers;
