//! The tokio server: a multi-thread runtime, an accept task, and a task
//! per connection; its handle, common's `RunningServer`.
//!
//! The handle owns the runtime. Stopping (`shutdown`) tells every task
//! through the stop signal (`shared.rs`), waits on the handle's thread
//! (`block_on`) for the connections to end or the deadline, then cuts the
//! rest and waits one `LINGER_TIME` for their lingering closes, and shuts
//! the runtime down: what is left then is dropped and its socket closed.
//! A `message` task dropped so (a machine too loaded to run it within that
//! `LINGER_TIME`) still resets, never confirms: its reset is armed when it
//! is admitted (`accept.rs`) and disarmed only once its message was read
//! whole.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sockmodes_os::net;
use sockmodes_python::{Op, SocketError, SocketMode};
use sockmodes_serving::config::LINGER_TIME;
use sockmodes_serving::offload::check_thread_limit;
use sockmodes_serving::{MessageHandler, RunningServer, ServerConfig, ServerStats};
use tokio::net::TcpListener;
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;
use tracing::debug;

use crate::shared::{Phase, Shared};

/// How long the runtime's shutdown waits for work still on the blocking
/// pool once every connection ended.
///
/// Why 100 ms: work on the pool sees the cut within
/// `sockmodes_os::work::CUT_SLICE` (20 ms); what is left after is let go
/// with the runtime rather than waited for.
const RUNTIME_DRAIN: Duration = Duration::from_millis(100);

/// A running tokio server.
pub struct ServerHandle {
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    /// `None` once stopped.
    runtime: Option<Runtime>,
    accept: Option<JoinHandle<()>>,
}

/// Binds `config.addr` (the OS layer's listener: its backlog and
/// `SO_REUSEADDR`) and starts serving on a runtime of
/// [`workers`](crate::workers) threads, whose blocking pool has
/// [`blocking_threads`](crate::blocking_threads).
///
/// # Errors
/// The bind/listen failure, classified; or the runtime's threads refused
/// (over the system's thread limit with `--offload`).
pub fn start(
    config: ServerConfig,
    on_message: MessageHandler,
) -> Result<ServerHandle, SocketError> {
    let (std_listener, local_addr) =
        net::server_listener(config.addr, config.backlog, SocketMode::NonBlocking)?;
    let start_err = SocketError::on(Op::Start, local_addr, SocketMode::NonBlocking);
    if config.offload > 0 && crate::work_pool(&config).is_some() {
        check_thread_limit(
            crate::blocking_threads(&config),
            &sockmodes_os::limits::thread_limits(),
        )
        .map_err(|e| start_err(std::io::Error::other(e.to_string())))?;
    }
    let workers = crate::workers(&config);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .max_blocking_threads(crate::blocking_threads(&config))
        .thread_stack_size(crate::THREAD_STACK)
        .thread_name("sockmodes-tokio")
        .enable_io()
        .enable_time()
        .build()
        .map_err(&start_err)?;
    let listener = {
        let _in_runtime = runtime.enter();
        TcpListener::from_std(std_listener).map_err(&start_err)?
    };
    let shared = Shared::new(config, on_message);
    let accept = runtime.spawn(crate::accept::accept_loop(listener, Arc::clone(&shared)));
    debug!(%local_addr, mode = "tokio", service = %shared.config.service, workers, "listening");
    Ok(ServerHandle {
        local_addr,
        shared,
        runtime: Some(runtime),
        accept: Some(accept),
    })
}

/// Waits until no connection holds a slot, or `until`; true when none
/// does.
async fn all_ended_by(shared: &Shared, until: Option<Instant>) -> bool {
    loop {
        let ended = shared.ended.notified();
        tokio::pin!(ended);
        ended.as_mut().enable();
        if shared.stats.active() == 0 {
            return true;
        }
        match until {
            None => ended.await,
            Some(t) => {
                if tokio::time::timeout_at(t.into(), ended).await.is_err() {
                    return shared.stats.active() == 0;
                }
            }
        }
    }
}

impl ServerHandle {
    /// Shuts the runtime down: tasks left are dropped (their sockets
    /// closed, their slots given back); blocking work is let go after
    /// [`RUNTIME_DRAIN`].
    fn end_runtime(&mut self) {
        self.shared.cut.store(true, Ordering::Release);
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(RUNTIME_DRAIN);
        }
    }
}

impl RunningServer for ServerHandle {
    fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    fn stats_handle(&self) -> Arc<ServerStats> {
        Arc::clone(&self.shared.stats)
    }

    fn is_finished(&self) -> bool {
        self.accept.as_ref().is_none_or(JoinHandle::is_finished) && self.shared.stats.active() == 0
    }

    fn wait(mut self: Box<Self>) {
        let (shared, accept) = (Arc::clone(&self.shared), self.accept.take());
        if let Some(runtime) = &self.runtime {
            runtime.block_on(async {
                if let Some(accept) = accept {
                    let _ = accept.await;
                }
                all_ended_by(&shared, None).await;
            });
        }
        self.end_runtime();
    }

    /// See the module's header.
    fn shutdown(mut self: Box<Self>, deadline: Duration) -> usize {
        let until = Instant::now() + deadline;
        let shared = Arc::clone(&self.shared);
        shared.stop.request(until);
        shared.phase.send_replace(Phase::Stopping);
        let accept = self.accept.take();
        if let Some(runtime) = &self.runtime {
            runtime.block_on(async {
                if let Some(accept) = accept {
                    let _ = accept.await;
                }
                if !all_ended_by(&shared, Some(until)).await {
                    shared.cut.store(true, Ordering::Release);
                    shared.phase.send_replace(Phase::Cut);
                    all_ended_by(&shared, Some(Instant::now() + LINGER_TIME)).await;
                }
            });
        }
        self.end_runtime();
        shared.stop.cut()
    }
}

impl Drop for ServerHandle {
    /// A handle dropped unstopped lets its runtime go without waiting.
    fn drop(&mut self) {
        self.shared.cut.store(true, Ordering::Release);
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
