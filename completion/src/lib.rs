//! sockmodes' completion half: a server on io_uring, where the kernel
//! performs each read and write and hands back the finished result.
//!
//! The other two models ask the kernel to *wait*: blocking calls wait inside
//! `recv`, and the event loop waits in `epoll_wait` for readiness, then does
//! the `recv` itself. Here the server hands the kernel whole operations
//! ("receive up to 4 KiB into this buffer", "send these bytes") on a
//! submission queue, and later reads their results from a completion queue:
//! one `io_uring_enter` call both submits a batch and waits for results, so
//! a busy server makes far fewer system calls than operations. Windows'
//! completion API is IOCP, and Python's asyncio uses it by default there
//! (the Proactor loop).
//!
//! - [`server`]: one thread, one ring: multishot accept, one receive per
//!   connection in flight, sends from the session's output, idle timeout,
//!   lingering close and graceful shutdown as in the other two servers.
//! - `conn`: one connection's buffers and the operations it has in flight.
//! - `ring`: the ring itself, with its count of `io_uring_enter` calls.
//!
//! The protocol is the same `common` `ServerSession` the other servers
//! drive: this crate has no protocol code.
//!
//! On other systems [`start`] and [`probe`] say that io_uring is Linux's.
#![deny(missing_docs)]

use sockmodes_common::config::ServerConfig;

#[cfg(target_os = "linux")]
mod conn;
#[cfg(target_os = "linux")]
mod ring;
#[cfg(target_os = "linux")]
pub mod server;

#[cfg(target_os = "linux")]
pub use server::{start, ServerHandle};

/// Why the completion model cannot run here.
#[derive(Debug, thiserror::Error)]
pub enum Unavailable {
    /// Not Linux: io_uring does not exist on this system.
    #[error("the completion model uses io_uring, which only Linux has (this is {0}); use --mode nonblocking")]
    Os(&'static str),
    /// The kernel refused `io_uring_setup` (disabled by the sysctl
    /// `kernel.io_uring_disabled`, blocked by seccomp in a container, or a
    /// kernel too old), or lacks a feature the server uses.
    #[error("the kernel refused io_uring: {0}; use --mode nonblocking")]
    Refused(String),
}

/// Checks that this system can run the completion server: Linux, a kernel
/// that allows `io_uring_setup`, and the features the server uses.
///
/// # Errors
/// [`Unavailable`], naming the OS or the kernel's errno.
pub fn probe() -> Result<(), Unavailable> {
    #[cfg(target_os = "linux")]
    {
        ring::Ring::new(8).map(drop).map_err(Unavailable::Refused)
    }
    #[cfg(not(target_os = "linux"))]
    {
        Err(Unavailable::Os(std::env::consts::OS))
    }
}

/// The receive buffer of a connection between frames.
///
/// Why 4 KiB: a receive is in flight on every open connection, each with a
/// buffer of its own (the kernel fills it whenever bytes arrive), so idle
/// connections hold this much each: 40 MiB at 10,000. Inside a large frame
/// the buffer grows to the session's own read size (64 KiB) and shrinks
/// back after it.
pub const RECV_IDLE: usize = 4 * 1024;

/// Memory one connection costs the completion server besides the session's
/// own buffers: the receive buffer at its largest, the send buffer (the
/// session's output moves there while the kernel sends it, up to the
/// output cap), and the connection's entry (under 1 KiB).
pub fn connection_overhead(config: &ServerConfig) -> usize {
    let largest_read = sockmodes_common::session::STREAM_CHUNK.max(RECV_IDLE);
    largest_read + config.output_cap + 1024
}
