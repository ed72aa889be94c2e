//! The registry of I/O models, and what starts a server or connects a
//! client of any of them: the command, the load generator, the demo and the
//! study ask this crate, never a model's crate.
//!
//! - [`registry`]: the models and [`Model`], a handle on one.
//! - [`info`]: what each model is ([`info::ModelInfo`]).
//! - [`start`]: a [`Server`] of any model, and a [`Client`] of those with a client.
//! - [`ceiling`]: the most msg/s a configuration with work per message can
//!   carry (Little's law).
//! - [`child`]: a `sockmodes server` child process (the study, the demo's
//!   memory step, the command's tests).
#![deny(missing_docs)]

pub mod ceiling;
pub mod child;
pub mod info;
mod list;
pub mod registry;
pub mod start;

pub use info::Server;
pub use registry::Model;
pub use sockmodes_client::ClientSettings;
pub use start::{start_server, Client, NO_CLIENT};
