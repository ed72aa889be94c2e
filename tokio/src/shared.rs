//! What the accept task, the connection tasks and the handle share: the
//! settings and the handler, the counters, and the stop signal; and the
//! slot each connection holds under `--max-conns`.
//!
//! The stop is a `watch` of [`Phase`]: a task waiting in a read (or a
//! timer, or its work) also waits for the phase to change, so the handle
//! reaches every task at once without knowing them. The work on the
//! blocking pool cannot await anything: it watches [`Shared::cut`] instead
//! (`sockmodes_os::work::Perform::perform_unless`).

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use sockmodes_serving::running::Stop;
use sockmodes_serving::{MessageHandler, ServerConfig, ServerStats};
use tokio::sync::{watch, Notify};

/// Where the server is in its life, as every task sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Accepting and serving.
    Serving,
    /// Stopping: no more accepting; a connection at rest closes.
    Stopping,
    /// The deadline passed: every connection still served closes.
    Cut,
}

/// State shared by the tasks and the handle.
pub(crate) struct Shared {
    pub config: ServerConfig,
    pub on_message: MessageHandler,
    pub stats: Arc<ServerStats>,
    /// Counts the connections cut at the deadline (and logs them).
    pub stop: Stop,
    pub phase: watch::Sender<Phase>,
    /// Set with [`Phase::Cut`], for work running on the blocking pool.
    pub cut: Arc<AtomicBool>,
    /// Notified whenever a connection's slot is given back.
    pub ended: Notify,
}

impl Shared {
    pub fn new(config: ServerConfig, on_message: MessageHandler) -> Arc<Shared> {
        Arc::new(Shared {
            config,
            on_message,
            stats: Arc::default(),
            stop: Stop::default(),
            phase: watch::Sender::new(Phase::Serving),
            cut: Arc::default(),
            ended: Notify::new(),
        })
    }
}

/// A connection's slot under `--max-conns`, taken at admission and given
/// back when dropped: when its task ends, or when the runtime shuts down
/// and drops the task unfinished. Declared before the socket in a task, it
/// is dropped after it, so a slot is free only once its socket is closed.
pub(crate) struct Slot(Arc<Shared>);

impl Slot {
    /// Takes a slot if fewer than `max_conns` are taken (counting the
    /// connection as accepted, else as rejected).
    pub fn admit(shared: &Arc<Shared>) -> Option<Slot> {
        let max = shared.config.max_conns;
        shared
            .stats
            .try_admit(max)
            .then(|| Slot(Arc::clone(shared)))
    }

    pub fn shared(&self) -> &Arc<Shared> {
        &self.0
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        // The socket's removal from the driver (epoll_ctl), then the close.
        self.0.stats.count_syscalls(1);
        self.0.stats.release();
        self.0.ended.notify_waiters();
    }
}
