//! sockmodes' non-blocking half: mio sockets whose calls never wait.
//!
//! - [`server`]: event-loop server (one or N loops), graceful shutdown through
//!   mio's `Waker`; work per frame (`--work`) inline, on the loop's timer,
//!   or on a bounded pool of workers whose results wake the loop (`--offload`).
//! - [`conn`]: one connection driven by readiness: read and write until
//!   `WouldBlock`, WRITABLE interest only while output is pending,
//!   backpressure when a peer does not read.
//! - [`client`]: a client whose `try_send`/`try_recv` return a distinct
//!   would-block outcome (Python's `BlockingIOError`), plus convenience calls
//!   that wait on `Poll` between attempts.
//! - [`multi`]: one `Poll` driving many client connections (the load generator's engine).
//! - [`slab`]: connection storage whose keys are the mio tokens.
//! - [`timer`]: a timerfd for wake-ups more precise than `poll`'s milliseconds.
//! - [`turn`]: one connection's byte budget per turn of a loop, server or client.
#![deny(missing_docs)]

pub mod client;
pub mod conn;
pub mod multi;
pub mod server;
/// Connection storage (in common: the completion server uses it too).
pub use sockmodes_serving::slab;
/// One connection's share of a loop's turn (in serving: tokio's tasks spend it too).
pub use sockmodes_serving::turn;
pub mod timer;
#[cfg(target_os = "linux")]
pub mod timerfd;

pub use client::{Client, TryRecv, TrySend, WouldBlockCounts};
pub use server::{start, ServerHandle};
pub use sockmodes_client::ClientDriver;
pub use sockmodes_client::ClientSettings;

/// Memory one connection costs the event loop besides its buffers: its slab
/// entry (the `Conn`, a few hundred bytes) and the kernel's epoll item.
///
/// Why 1 KiB: measured here, 10,000 idle connections grew the server by
/// about 7 MiB in all (docs/benchmarks.md), under 1 KiB each; stated
/// rounded up, so the printed worst case is an upper bound.
pub const CONNECTION_OVERHEAD: usize = 1024;
