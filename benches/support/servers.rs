//! The servers every case runs against (the registry's models, tokio
//! among them, and raw), started in this process.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sockmodes_common::Service;
use sockmodes_models::{start_server, Server};
use sockmodes_serving::ServerConfig;

use sockmodes_study::affinity::Placement;
pub use sockmodes_study::target::Target;

use super::raw;

/// Largest frame the benches send (the 1 MiB sink frames fit with room).
pub const MAX_FRAME: usize = 2 << 20;

/// Threads each event-driven server gets, the same for ours and tokio's.
///
/// Why 1: in the criterion groups every server is confined to one core (see
/// `affinity`), and more event threads than cores only add context
/// switches. The scaling study gives one per server core instead.
pub const EVENT_THREADS: usize = 1;

/// A running server; stops when dropped.
pub enum Running {
    Ours(Option<Server>),
    Raw(raw::RawServer),
}

impl Running {
    /// Starts `target` with all its threads on the server core. `wire_len`
    /// is each echo message's length on the wire: only raw is told it.
    pub fn start(target: Target, service: Service, wire_len: usize) -> Running {
        let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
        Placement::for_criterion().on_server_cpus(|| match target {
            Target::Model(model) => {
                let mut config = ServerConfig::new(addr, service);
                config.max_frame = MAX_FRAME;
                config.event_loops = EVENT_THREADS;
                config.max_conns = 20_000;
                let server = start_server(model, config, Arc::new(|_, _| {}));
                Running::Ours(Some(server.expect("server starts")))
            }
            Target::Raw => Running::Raw(raw::RawServer::start(service, wire_len)),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        match self {
            Running::Ours(s) => s.as_ref().expect("running").local_addr(),
            Running::Raw(s) => s.addr,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Running::Ours(s) = self {
            if let Some(s) = s.take() {
                s.shutdown(Duration::from_millis(200));
            }
        }
    }
}
