//! The `sockmodes` command's library: both modes behind one interface, so the
//! command, the load generator, the benches and the tests pick a mode with a
//! value instead of with code.
#![deny(missing_docs)]

pub mod either;

pub use either::{Client, ClientSettings, IoMode, Server};
