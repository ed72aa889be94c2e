//! The handle of a server whose I/O threads each serve many connections
//! (the event loops of the non-blocking server, the completion server's
//! ring): [`Loops`], one [`RunningServer`] for both, so that neither
//! writes its own.
//!
//! Those threads stop the same way: the handle sets the shared
//! [`Stop`] with its deadline, wakes every thread (a mio `Waker` each, or
//! an eventfd the ring reads), and joins them; each thread closes its
//! connections at rest at once and the busy ones at the deadline, and
//! counts those it cut. The threads and their joins are why this is in the
//! OS layer: the core (`sockmodes_serving::running`) holds the trait and the
//! stop request, and starts no thread.
//!
//! The blocking server's handle is its own (`blocking/src/server.rs`): a
//! thread per connection stops by having its socket shut, not by a wake.

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sockmodes_serving::running::Stop;
use sockmodes_serving::{MessageHandler, RunningServer, ServerConfig, ServerStats};

/// What a server's I/O threads share with each other and with its handle:
/// its settings and handler, the counters every server keeps, the stop
/// request, and the server's own counters `C` (the event loops' wake-ups,
/// the ring's `io_uring_enter` calls).
pub struct Shared<C> {
    /// The server's settings.
    pub config: ServerConfig,
    /// What a `message` frame is handed to.
    pub on_message: MessageHandler,
    /// The counters every server keeps.
    pub stats: Arc<ServerStats>,
    /// The stop request the handle passes to the threads.
    pub stop: Stop,
    /// The server's own counters.
    pub counters: C,
}

impl<C> Shared<C> {
    /// Shared state for a server starting with `config`, nothing counted
    /// yet.
    pub fn new(config: ServerConfig, on_message: MessageHandler, counters: C) -> Arc<Shared<C>> {
        Arc::new(Shared {
            config,
            on_message,
            stats: Arc::default(),
            stop: Stop::default(),
            counters,
        })
    }
}

/// A running server of one or more I/O threads that each serve many
/// connections, sharing [`Shared`] with them.
pub struct Loops<C: Send + Sync + 'static> {
    local_addr: SocketAddr,
    shared: Arc<Shared<C>>,
    threads: Vec<JoinHandle<()>>,
    /// Wakes every thread (a sleeping one would see the stop only at its
    /// next event).
    wake: Box<dyn Fn() + Send>,
}

impl<C: Send + Sync + 'static> Loops<C> {
    /// The handle of `threads`, started on `local_addr` and sharing
    /// `shared`; `wake` wakes all of them.
    pub fn new(
        local_addr: SocketAddr,
        shared: Arc<Shared<C>>,
        threads: Vec<JoinHandle<()>>,
        wake: Box<dyn Fn() + Send>,
    ) -> Loops<C> {
        Loops {
            local_addr,
            shared,
            threads,
            wake,
        }
    }

    /// The server's own counters.
    pub fn counters(&self) -> &C {
        &self.shared.counters
    }
}

impl<C: Send + Sync + 'static> RunningServer for Loops<C> {
    fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    fn stats_handle(&self) -> Arc<ServerStats> {
        Arc::clone(&self.shared.stats)
    }

    /// True once every thread stopped by itself (`once`).
    fn is_finished(&self) -> bool {
        self.threads.iter().all(JoinHandle::is_finished)
    }

    fn wait(self: Box<Self>) {
        for t in self.threads {
            let _ = t.join();
        }
    }

    /// Asks the threads to stop by `deadline` from now, wakes them, and
    /// joins them; each stops as its server's `closing.rs` tells.
    fn shutdown(self: Box<Self>, deadline: Duration) -> usize {
        let shared = Arc::clone(&self.shared);
        shared.stop.request(Instant::now() + deadline);
        (self.wake)();
        self.wait();
        shared.stop.cut()
    }
}
