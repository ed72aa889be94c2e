//! sockmodes' blocking half: std::net sockets whose calls wait.
//!
//! - [`server`]: an accept loop and one small-stack thread per connection; a
//!   [`ServerHandle`], common's `RunningServer`: the bound address, the
//!   counters and a graceful shutdown.
//! - [`connection`]: one connection served with blocking reads and writes,
//!   a thin adapter over common's `ServerSession`.
//! - [`client`]: a client in Blocking or Timeout mode whose errors are named
//!   the Python way.
//!
//! The examples `servidor` and `cliente` reproduce the classroom exchange.
#![deny(missing_docs)]

pub mod client;
pub mod connection;
pub mod server;

pub use client::Client;
pub use server::{start, ServerHandle};
pub use sockmodes_client::ClientSettings;
pub use sockmodes_client::{ClientDriver, MessageReceipt};
