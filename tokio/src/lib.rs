//! sockmodes' tokio model: the socket-free core (`sockmodes-common`'s
//! [`ServerSession`](sockmodes_common::ServerSession)) driven by tokio, the
//! runtime most readers know, so that it is measured and tested as a model
//! like the others, not only as the study's reference.
//!
//! Like rustls under tokio-rustls, the core decides and the I/O only moves
//! bytes: a task per connection polls the socket for what the session
//! wants (read while it [`wants_read`](sockmodes_common::ServerSession::wants_read),
//! write its [`output`](sockmodes_common::ServerSession::output)), feeds it
//! what arrived, and writes what it hands back. Services, limits, answers
//! and the work gate are the session's, exactly as in the other servers.
//!
//! - [`server`]: [`start`] builds a multi-thread runtime with as many
//!   workers as the event-loop server has loops ([`workers`]), binds with
//!   the OS layer's listener (backlog, `SO_REUSEADDR`), and returns a
//!   [`ServerHandle`], common's `RunningServer`.
//! - `shared.rs`: what the tasks share: settings, counters, the stop
//!   signal (a `watch` of [`Phase`](shared::Phase)), and each connection's slot.
//! - `accept.rs`: the accept task: `--max-conns` (over it: a reset, as
//!   everywhere), `--once`, the back-off when descriptors run out.
//! - `connection.rs`: one connection's task: the session, the idle timer,
//!   the stop.
//! - `io.rs`: moving bytes between a tokio socket and the session, through
//!   tokio's own `poll_read`/`poll_write`, into a per-worker scratch buffer
//!   between frames (an idle connection owns no read buffer).
//! - `work.rs`: work per message as tokio's guide says: `cpu` inline on
//!   the worker, `block` through `spawn_blocking`, `wait` through
//!   `tokio::time::sleep`; `--offload N` bounds the blocking pool.
//! - `closing.rs`: the lingering close.
//!
//! **Stopping** is the others' story: stop accepting, connections at rest
//! close at once and busy ones when they come to rest, each with a
//! lingering close; at the deadline the rest are cut (lingering too); one
//! `LINGER_TIME` later the runtime is shut down.
//!
//! **What is not the same.** The runtime's own system calls (`epoll_wait`,
//! its wake-ups) are tokio's: [`syscalls`](sockmodes_serving::StatsSnapshot::syscalls)
//! counts the calls the server makes (accepts, reads, writes, options,
//! shutdowns, a socket's registration and removal), not the driver's.
#![deny(missing_docs)]

mod accept;
mod closing;
mod connection;
mod io;
pub mod server;
mod shared;
mod work;

pub use server::{start, ServerHandle};
use sockmodes_common::WorkKind;
use sockmodes_serving::ServerConfig;

/// Memory one connection costs besides its session's buffers: its task
/// (tokio's header and the connection's future, which holds the session,
/// the liveness rules' state, the check timer and the stop signal's
/// receiver) and the socket's registration with tokio's I/O driver.
///
/// Why 3 KiB: the connection's future is under 1.5 KiB (a unit test checks
/// it); the task header, the timer entry and the driver's slot for the
/// socket are a few hundred bytes more. Stated rounded up, so that the
/// printed worst case is an upper bound.
pub const CONNECTION_OVERHEAD: usize = 3072;

/// The stack of each of the runtime's threads, its workers and its
/// blocking pool: tokio's own default, set explicitly so that the figure
/// the memory bound uses ([`pool_memory`]) is the one the runtime has.
pub const THREAD_STACK: usize = 2 * 1024 * 1024;

/// What a blocking pool of `threads` may hold: their stacks (reserved
/// address space; resident only as deep as the work goes).
pub fn pool_memory(threads: usize) -> u64 {
    threads as u64 * THREAD_STACK as u64
}

/// tokio's own default for `max_blocking_threads`: the pool that
/// `spawn_blocking` grows to when `--offload` sets no bound.
pub const DEFAULT_BLOCKING_THREADS: usize = 512;

/// The runtime's worker threads: as many as the event-loop server runs
/// loops for the same settings (`--threads`, one with `--once`).
pub fn workers(config: &ServerConfig) -> usize {
    if config.once {
        1
    } else {
        config.event_loops.max(1)
    }
}

/// The blocking pool's bound (`max_blocking_threads`): `--offload N` per
/// worker, the same total as N workers for each event loop; without it,
/// tokio's default.
pub fn blocking_threads(config: &ServerConfig) -> usize {
    if config.offload > 0 {
        workers(config).saturating_mul(config.offload)
    } else {
        DEFAULT_BLOCKING_THREADS
    }
}

/// `Some(threads)` when frames' work runs on the blocking pool: `block`
/// always (a blocking call never runs on a worker, as tokio's guide
/// says), `cpu` when `--offload` asks for a pool; `None` when it runs
/// inline on the worker (`cpu`) or on a timer (`wait`), or there is none.
pub fn work_pool(config: &ServerConfig) -> Option<usize> {
    match config.work?.kind {
        WorkKind::Block => Some(blocking_threads(config)),
        WorkKind::Cpu if config.offload > 0 => Some(blocking_threads(config)),
        WorkKind::Cpu | WorkKind::Wait => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sockmodes_common::Service;

    fn config(work: Option<&str>, offload: usize, loops: usize) -> ServerConfig {
        let mut c = ServerConfig::new("127.0.0.1:0".parse().unwrap(), Service::Echo);
        c.work = work.map(|w| w.parse().unwrap());
        (c.offload, c.event_loops) = (offload, loops);
        c
    }

    #[test]
    fn workers_follow_the_event_loops_and_once() {
        assert_eq!(workers(&config(None, 0, 3)), 3);
        assert_eq!(workers(&config(None, 0, 0)), 1);
        let mut once = config(None, 0, 3);
        once.once = true;
        assert_eq!(workers(&once), 1);
    }

    #[test]
    fn blocking_calls_go_to_the_pool_cpu_only_with_offload_and_waits_never() {
        assert_eq!(
            work_pool(&config(Some("block:1ms"), 0, 2)),
            Some(DEFAULT_BLOCKING_THREADS)
        );
        assert_eq!(work_pool(&config(Some("block:1ms"), 4, 2)), Some(8));
        assert_eq!(work_pool(&config(Some("cpu:50us"), 0, 2)), None);
        assert_eq!(work_pool(&config(Some("cpu:50us"), 4, 2)), Some(8));
        assert_eq!(work_pool(&config(Some("wait:1ms"), 4, 2)), None);
        assert_eq!(work_pool(&config(None, 4, 2)), None);
    }
}
