//! What every sockmodes server does around the protocol, the same for the
//! blocking, event-loop and completion models: the settings one command
//! line gives any of them, the counters read while it runs, how it stops,
//! how a connection ends, and the accounting of the pool that runs work
//! off an I/O thread. The protocol itself, one connection's session, is
//! `sockmodes-common`'s; the sockets, threads and clocks are
//! `sockmodes-os`'s and the drivers'.
//!
//! - [`config`]: a server's settings ([`ServerConfig`]), each default
//!   saying why, the worst case of its memory ([`MemoryBound`]), and the
//!   handler of a `message` ([`MessageHandler`]).
//! - [`stats`]: a running server's live counters ([`ServerStats`]).
//! - [`running`]: a running server of any model ([`RunningServer`]), and
//!   the stop request its handle passes to its threads.
//! - [`liveness`]: when a connection is cut: idle (no byte moved either
//!   way) or too slow (owed bytes under a minimum rate), fed by each driver.
//! - [`ending`]: how a connection ended, logged in one place, and the
//!   lingering close that keeps a peer from losing its last answer.
//! - [`offload`]: the accounting of the bounded pool that runs work off an
//!   I/O thread (its queue, its memory, the system's thread limits given as
//!   data) and the timer's waits; the pool's threads are the OS layer's
//!   (`sockmodes_os::offload`).
//! - [`throttle`]: one log line a second for a condition that repeats
//!   (EMFILE), with a count.
//! - [`slab`]: the table of connections a driver of many keeps in one
//!   thread (the event-loop and completion servers, and their many-connection
//!   clients); an offload job names its connection by its key here.
//! - [`turn`]: one connection's share of a turn ([`TURN_BYTES`](turn::TURN_BYTES)),
//!   and the list of those driven once more next turn, each at most once.
//!
//! **No system call.** Like `sockmodes-common`, this crate has no socket2,
//! libc or windows-sys, and names no socket, file, thread, sleep or clock
//! of std (every `Instant` comes in from the driver); `tests/socket_free.rs`
//! keeps it so.
#![deny(missing_docs)]

pub mod config;
pub mod ending;
pub mod liveness;
pub mod offload;
pub mod running;
pub mod slab;
pub mod stats;
pub mod throttle;
pub mod turn;

pub use config::{MemoryBound, MessageHandler, ServerConfig};
pub use running::RunningServer;
pub use stats::{ServerStats, StatsSnapshot};
