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
//!   connection in flight (into a shared pool of provided buffers), sends
//!   from the session's output, idle timeout, lingering close and graceful
//!   shutdown as in the other two servers; work per frame (`--work`)
//!   inline, as a deadline of the ring's wait, or on a bounded pool whose
//!   results arrive as an eventfd read on the ring (`--offload`).
//! - `conn`: one connection's buffers and the operations it has in flight.
//! - `pool`: the provided-buffer ring, receive buffers shared by every
//!   connection, and the queue of connections waiting for one when it runs
//!   dry.
//! - `ring`: the ring itself, with its count of `io_uring_enter` calls.
//! - [`client`]: the client side on the same ring code: one connection
//!   (`sockmodes client --mode completion`) or many (the load generator).
//!
//! The protocol is the same `common` `ServerSession` the other servers
//! drive: this crate has no protocol code.
//!
//! On other systems [`start`] and [`probe`] say that io_uring is Linux's.
#![deny(missing_docs)]

use sockmodes_serving::config::ServerConfig;

#[cfg(target_os = "linux")]
pub mod client;
#[cfg(target_os = "linux")]
mod conn;
#[cfg(target_os = "linux")]
mod pool;
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

/// The receive buffer of a connection between frames, where each
/// connection has its own ([`RecvBuffers::Own`]).
///
/// Why 4 KiB: a receive is in flight on every open connection, each with a
/// buffer of its own (the kernel fills it whenever bytes arrive), so idle
/// connections hold this much each: 40 MiB at 10,000. Inside a large frame
/// the buffer grows to the session's own read size (64 KiB) and shrinks
/// back after it.
pub const RECV_IDLE: usize = 4 * 1024;

/// Buffers in the shared pool ([`RecvBuffers::Pool`]).
///
/// Why 1024: enough for a burst from a thousand connections in one batch.
/// With more busy connections than buffers a receive can find the pool
/// empty (ENOBUFS); it then waits in a queue and is lent the next buffer
/// that comes back, first come first served (`pool.rs` tells why), so the
/// pool stays 16 MiB whatever `--max-conns` is, and no connection starves.
pub const POOL_BUFFERS: u16 = 1024;

/// Bytes per pooled buffer.
///
/// Why 16 KiB: a large frame arrives in 16 KiB pieces (64 per MiB), and the
/// whole pool is 16 MiB, fixed, whatever the number of connections.
pub const POOL_BUFFER: usize = 16 * 1024;

/// Where receives land.
///
/// Why the pool is the default, measured on a 2-core machine (each variant
/// three times, interleaved; docs/benchmarks.md): at 1,000 connections of 64 B echo
/// the pool carried 137,904 msg/s (131,604-149,218) against 141,762
/// (139,700-144,696) with each connection's own buffer, no difference
/// beyond noise; a 64 KiB echo round trip took 104 µs (87-200) against 74
/// (61-89), overlapping; with 10,000 idle connections the server held
/// 13.3 MiB against 48.5 MiB. Same speed, a quarter of the memory, and a
/// bound that does not grow with connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecvBuffers {
    /// One shared pool the kernel picks from when bytes arrive (a
    /// provided-buffer ring, Linux 5.19): memory for receiving is fixed.
    Pool,
    /// A buffer of each connection's own, handed over with each receive.
    Own,
}

/// Environment variable that picks the receive buffers (`pool` or `own`),
/// for measuring one against the other; the default is the pool.
pub const RECV_BUFFERS_ENV: &str = "SOCKMODES_COMPLETION_RECV";

impl RecvBuffers {
    /// What the environment asks for ([`RECV_BUFFERS_ENV`]); the pool by default.
    pub fn from_env() -> RecvBuffers {
        match std::env::var(RECV_BUFFERS_ENV).as_deref() {
            Ok("own") => RecvBuffers::Own,
            _ => RecvBuffers::Pool,
        }
    }
}

/// Memory one connection costs the completion server besides the session's
/// own buffers: the send buffer (the session's output moves there while the
/// kernel sends it, up to the output cap), the connection's entry (under
/// 1 KiB), and with [`RecvBuffers::Own`] its receive buffer at its largest.
pub fn connection_overhead(config: &ServerConfig) -> usize {
    let own = match RecvBuffers::from_env() {
        RecvBuffers::Own => sockmodes_common::session::STREAM_CHUNK.max(RECV_IDLE),
        RecvBuffers::Pool => 0,
    };
    own + config.output_cap + 1024
}

/// Memory held whatever the number of connections: the pool (16 MiB), or
/// nothing with [`RecvBuffers::Own`].
pub fn fixed_memory() -> usize {
    match RecvBuffers::from_env() {
        RecvBuffers::Pool => usize::from(POOL_BUFFERS) * POOL_BUFFER,
        RecvBuffers::Own => 0,
    }
}
