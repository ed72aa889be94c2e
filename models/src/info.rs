//! What one I/O model is, as data ([`ModelInfo`]), and the small
//! functions the registry's list (`list.rs`) fills it with.

use std::net::SocketAddr;

use sockmodes_client::{ClientDriver, ClientError, ClientSettings};
use sockmodes_python::{Op, SocketError, SocketMode};
use sockmodes_serving::{MessageHandler, RunningServer, ServerConfig};

/// The error of a model that cannot `op` at `addr` on this system: an
/// `Unsupported` OS error saying `why`.
pub fn unsupported(op: Op, addr: SocketAddr, why: &str) -> SocketError {
    let e = std::io::Error::new(std::io::ErrorKind::Unsupported, why.to_string());
    SocketError::new(op, addr, SocketMode::NonBlocking, e)
}

/// A running server of any model: every server's handle is a
/// [`RunningServer`] (its address, counters, `wait`, `shutdown`).
pub type Server = Box<dyn RunningServer>;

/// The I/O threads of a thread per connection: none shared.
pub fn per_connection(_: &ServerConfig) -> Option<usize> {
    None
}

/// `--threads N` event loops that share the connections (one with `--once`).
pub fn event_loops(config: &ServerConfig) -> Option<usize> {
    Some(if config.once {
        1
    } else {
        config.event_loops.max(1)
    })
}

/// One thread for every connection (a ring), whatever `--threads` says.
pub fn one_thread(_: &ServerConfig) -> Option<usize> {
    Some(1)
}

/// The pool that runs work off the I/O threads, for the models whose
/// `--offload N` gives each I/O thread N workers: `(I/O threads, workers
/// each)`, with `--offload` and work that holds a thread (cpu, block).
pub fn offload_per_io_thread(
    config: &ServerConfig,
    io_threads: Option<usize>,
) -> Option<(usize, usize)> {
    let holds = config.work.is_some_and(|w| w.kind.holds_thread());
    (holds && config.offload > 0).then_some((io_threads?, config.offload))
}

/// The bounded queue of each `--offload` pool.
pub fn offload_queue_of(workers: usize) -> Option<usize> {
    Some(sockmodes_serving::offload::queue_capacity(workers))
}

/// What those pools hold: each worker's stack, its queue and done list.
pub fn offload_memory_of(threads: usize, workers: usize) -> u64 {
    threads as u64 * sockmodes_serving::offload::memory_bound(workers)
}

/// Finds the pool that runs a model's work off its I/O threads, given the
/// I/O threads: `(pools, workers each)`.
pub type WorkPoolFn = fn(&ServerConfig, Option<usize>) -> Option<(usize, usize)>;

/// Connects a model's client.
pub type ConnectFn =
    fn(SocketAddr, &ClientSettings) -> Result<Box<dyn ClientDriver + Send>, ClientError>;

/// What one I/O model is: the facts the rest of the code asks of it.
#[derive(Debug)]
pub struct ModelInfo {
    /// The command-line name (`--mode`), and its name in JSON.
    pub name: &'static str,
    /// Other spellings `--mode` accepts.
    pub aliases: &'static [&'static str],
    /// `--mode`'s help for it.
    pub help: &'static str,
    /// The API that does its I/O, the name its code goes by in the demo
    /// and the guides ("std", "mio", "io_uring").
    pub code_label: &'static str,
    /// Its name in running English text ("the non-blocking server").
    pub prose: &'static str,
    /// Its name in a ratio's column head ("nb/b").
    pub short: &'static str,
    /// In brief, as the report's first table introduces it: its API and
    /// what kind of server it is.
    pub in_brief: &'static str,
    /// Who does the I/O, as a sentence says it ("the event loop").
    pub role: &'static str,
    /// What kind of waiting it teaches, in a few words.
    pub kind: &'static str,
    /// The threads that do every connection's I/O; `None` for a thread
    /// per connection.
    pub io_threads: fn(&ServerConfig) -> Option<usize>,
    /// True when `--threads N` sets how many of them there are.
    pub takes_threads: bool,
    /// The pool that runs work off the I/O threads, `(pools, workers
    /// each)`, given the I/O threads; `None` where the work runs inline.
    pub work_pool: WorkPoolFn,
    /// What those pools hold in all, from `(pools, workers each)`.
    pub pool_memory: fn(usize, usize) -> u64,
    /// The slots of each pool's queue, from its workers; `None` where
    /// work beyond the workers waits in a runtime's own queue (tokio's
    /// `spawn_blocking`), one frame per connection at most.
    pub pool_queue: fn(usize) -> Option<usize>,
    /// True for a model the study measures as a reference beside the
    /// models it compares (tokio: what a user would pick instead).
    pub reference: bool,
    /// `Some(system)` when the model exists on one system only.
    pub only_on: Option<&'static str>,
    /// False where this build has no server of the model (io_uring off Linux).
    pub built: bool,
    /// Checks that this system and kernel can run the server: one line
    /// that names what is missing and what to use instead.
    pub probe: fn() -> Result<(), String>,
    /// Binds and starts its server.
    pub start: fn(ServerConfig, MessageHandler) -> Result<Server, SocketError>,
    /// Connects its client, where it has one on this system (with a load
    /// engine in `sockmodes-loadgen`).
    pub connect: Option<ConnectFn>,
    /// What each connection costs besides the session's buffers.
    pub connection_overhead: fn(&ServerConfig) -> usize,
    /// What that overhead is, in two words.
    pub overhead_label: &'static str,
    /// Memory the server holds whatever its connections (a pool of
    /// receive buffers).
    pub fixed_memory: fn() -> u64,
}
