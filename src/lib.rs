//! The `sockmodes` command's library: every I/O model behind one interface,
//! so the command, the load generator, the benches and the tests pick a
//! model with a value instead of with code.
//!
//! - [`model`]: the registry of I/O models, [`IoMode`].
//! - [`ceiling`]: the most msg/s a configuration with work per message can
//!   carry (Little's law), and the calibration of `cpu` work.
//! - [`either`]: a [`Server`] of any [`IoMode`] and a [`Client`] of those with a client.
//! - [`load`]: the load generator (closed and open loop, HdrHistogram).
//! - [`demo`]: the guided walk-through behind `sockmodes demo`.
//! - [`child`]: a `sockmodes server` child process (scale bench, command tests).
//! - [`delayed`]: an echo server with a known delay, the load generator's yardstick.
#![deny(missing_docs)]

pub mod ceiling;
pub mod child;
pub mod delayed;
pub mod demo;
pub mod either;
pub mod load;
pub mod model;

pub use either::{start_server, Client, ClientSettings, IoMode, Server};
pub use sockmodes_serving::RunningServer;
