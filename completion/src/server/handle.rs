//! Starting the completion server (bind, ring, receive pool, offload pool,
//! the ring's thread) and the handle its caller holds: the OS layer's
//! `Loops` (`os/src/running.rs`), as for the event loops, whose stop
//! request reaches the ring's thread through an eventfd.

use std::sync::Arc;
use std::thread;
use std::time::Instant;

use sockmodes_os::net;
use sockmodes_os::offload::Runner;
use sockmodes_os::running::Loops;
use sockmodes_python::{Op, SocketError, SocketMode};
use sockmodes_serving::slab::Slab;
use sockmodes_serving::throttle::Throttle;
use sockmodes_serving::{MessageHandler, ServerConfig};
use tracing::debug;

use super::{work, EventFd, Loop, RingCounters, Shared, RING_ENTRIES};
use crate::ring::Ring;
use crate::{RecvBuffers, POOL_BUFFERS};

/// A running completion server: the ring's thread, woken through its
/// eventfd to stop as the server's header tells; [`RingCounters::enters`]
/// and [`RingCounters::pool_waits`] are its own counters
/// (`handle.counters()`).
pub type ServerHandle = Loops<RingCounters>;

/// Binds `config.addr`, sets up the ring and starts its thread.
///
/// # Errors
/// The bind failure, or the kernel's refusal of io_uring (as a bind error
/// naming it; `crate::probe` says it better, before binding).
pub fn start(
    config: ServerConfig,
    on_message: MessageHandler,
) -> Result<ServerHandle, SocketError> {
    start_with_pool(config, on_message, POOL_BUFFERS)
}

/// [`start`] with a pool of `pool_buffers` receive buffers (a power of
/// two); the tests use a small one to run it dry.
pub(super) fn start_with_pool(
    config: ServerConfig,
    on_message: MessageHandler,
    pool_buffers: u16,
) -> Result<ServerHandle, SocketError> {
    let addr = config.addr;
    let bind_err = SocketError::on(Op::Bind, addr, SocketMode::NonBlocking);
    let listener = net::listen(addr, config.backlog).map_err(&bind_err)?;
    let local_addr = listener.local_addr().map_err(&bind_err)?;
    let ring = Ring::new(RING_ENTRIES).map_err(|why| bind_err(std::io::Error::other(why)))?;
    let wake_fd = Arc::new(EventFd::new().map_err(&bind_err)?);
    let start_err = SocketError::on(Op::Start, local_addr, SocketMode::NonBlocking);
    let (work_pool, work_fd) = work::start_pool(&config)
        .map_err(|e| start_err(std::io::Error::other(e.to_string())))?
        .unzip();
    let shared = Shared::new(config, on_message, RingCounters::default());
    let pool = match RecvBuffers::from_env() {
        RecvBuffers::Pool => match ring.register_pool(pool_buffers) {
            Ok(pool) => Some(pool),
            Err(e) => {
                // Before Linux 5.19: each connection receives into its own.
                debug!(error = %e, "no provided-buffer ring; each connection has its own receive buffer");
                None
            }
        },
        RecvBuffers::Own => None,
    };
    let mut event_loop = Loop {
        ring,
        pool,
        conns: Slab::default(),
        listener: Some(listener),
        accept_pending: false,
        accept_retry_at: None,
        out_of_resources: Throttle::default(),
        wake_fd: Arc::clone(&wake_fd),
        wake_buf: Box::new([0; 8]),
        wake_pending: false,
        shared: Arc::clone(&shared),
        next_sweep: None,
        lingering: 0,
        work: Runner::new(work_pool),
        work_fd,
        work_buf: Box::new([0; 8]),
        serials: 0,
        ready: Vec::new(),
        worked_inline: false,
        last_submit: Instant::now(),
    };
    event_loop.post_accept().map_err(&bind_err)?;
    event_loop.post_wake().map_err(&bind_err)?;
    event_loop.post_work_wake().map_err(&bind_err)?;
    let thread = thread::Builder::new()
        .name("sockmodes-ring".into())
        .spawn(move || event_loop.run())
        .map_err(&bind_err)?;
    debug!(%local_addr, mode = "completion", service = %shared.config.service, "listening");
    let wake = Box::new(move || wake_fd.signal());
    Ok(Loops::new(local_addr, shared, vec![thread], wake))
}
