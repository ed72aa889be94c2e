//! The registry's one list: every I/O model, what it is, and the glue that
//! starts its server and connects its client. A new model is one more
//! [`ModelInfo`] here (and its crate in the workspace).

use sockmodes_blocking as blocking;
use sockmodes_nonblocking as nonblocking;
use sockmodes_python::SocketError;
use sockmodes_serving::{MessageHandler, ServerConfig};

use crate::info::{
    event_loops, offload_memory_of, offload_per_io_thread, offload_queue_of, one_thread,
    per_connection, ModelInfo, Server,
};

/// Every model, in table order.
pub const MODELS: [ModelInfo; 4] = [
    ModelInfo {
        name: "blocking",
        aliases: &[],
        help: "std::net: calls wait; one thread per connection",
        code_label: "std",
        prose: "blocking",
        short: "b",
        in_brief: "std, thread per connection",
        role: "a thread per connection",
        kind: "blocking calls",
        io_threads: per_connection,
        takes_threads: false,
        work_pool: offload_per_io_thread,
        pool_memory: offload_memory_of,
        pool_queue: offload_queue_of,
        reference: false,
        only_on: None,
        built: true,
        probe: || Ok(()),
        start: |config, on_message| Ok(Box::new(blocking::start(config, on_message)?)),
        connect: Some(|addr, settings| Ok(Box::new(blocking::Client::connect(addr, settings)?))),
        connection_overhead: |config| config.stack_size,
        overhead_label: "thread stack",
        fixed_memory: || 0,
    },
    ModelInfo {
        name: "nonblocking",
        aliases: &["non-blocking"],
        help: "mio (readiness): calls never wait; one event loop is told which sockets \
               are ready, then reads them",
        code_label: "mio",
        prose: "non-blocking",
        short: "nb",
        in_brief: "mio, readiness",
        role: "the event loop",
        kind: "readiness",
        io_threads: event_loops,
        takes_threads: true,
        work_pool: offload_per_io_thread,
        pool_memory: offload_memory_of,
        pool_queue: offload_queue_of,
        reference: false,
        only_on: None,
        built: true,
        probe: || Ok(()),
        start: |config, on_message| Ok(Box::new(nonblocking::start(config, on_message)?)),
        connect: Some(|addr, settings| Ok(Box::new(nonblocking::Client::connect(addr, settings)?))),
        connection_overhead: |_| nonblocking::CONNECTION_OVERHEAD,
        overhead_label: "bookkeeping",
        fixed_memory: || 0,
    },
    ModelInfo {
        name: "completion",
        aliases: &[],
        help: "io_uring (completion, Linux): the kernel performs the reads and writes \
               and reports them finished",
        code_label: "io_uring",
        prose: "completion",
        short: "c",
        in_brief: "io_uring, Linux",
        role: "a single ring",
        kind: "completion",
        io_threads: one_thread,
        takes_threads: false,
        work_pool: offload_per_io_thread,
        pool_memory: offload_memory_of,
        pool_queue: offload_queue_of,
        reference: false,
        only_on: Some("Linux"),
        built: cfg!(target_os = "linux"),
        probe: || sockmodes_completion::probe().map_err(|e| e.to_string()),
        start: start_completion,
        connect: CONNECT_COMPLETION,
        connection_overhead: sockmodes_completion::connection_overhead,
        overhead_label: "send buffer",
        fixed_memory: || sockmodes_completion::fixed_memory() as u64,
    },
    ModelInfo {
        name: "tokio",
        aliases: &[],
        help: "tokio (readiness, a runtime): a task per connection on a multi-thread runtime \
               whose workers wait for the sockets",
        code_label: "tokio",
        prose: "tokio",
        short: "t",
        in_brief: "tokio, a task per connection",
        role: "a task per connection on tokio's workers",
        kind: "readiness, on a runtime",
        io_threads: |config| Some(sockmodes_tokio::workers(config)),
        takes_threads: true,
        // One blocking pool for the runtime: `block` always runs there
        // (`spawn_blocking`, as tokio's guide says), `cpu` with `--offload`.
        work_pool: |config, _| sockmodes_tokio::work_pool(config).map(|threads| (1, threads)),
        pool_memory: |_, threads| sockmodes_tokio::pool_memory(threads),
        pool_queue: |_| None,
        reference: true,
        only_on: None,
        // Not yet on Windows: under Wine a burst of 1,500 connects stalled
        // after 90 (tests/limits.rs), and no real Windows is at hand.
        built: !cfg!(windows),
        probe: || {
            if cfg!(windows) {
                Err("the tokio model is not yet verified on Windows; use --mode nonblocking".into())
            } else {
                Ok(())
            }
        },
        start: |config, on_message| Ok(Box::new(sockmodes_tokio::start(config, on_message)?)),
        connect: None,
        connection_overhead: |_| sockmodes_tokio::CONNECTION_OVERHEAD,
        overhead_label: "task",
        fixed_memory: || 0,
    },
];

#[cfg(target_os = "linux")]
fn start_completion(
    config: ServerConfig,
    on_message: MessageHandler,
) -> Result<Server, SocketError> {
    Ok(Box::new(sockmodes_completion::start(config, on_message)?))
}

/// Off Linux: the bind fails, saying which system lacks io_uring.
#[cfg(not(target_os = "linux"))]
fn start_completion(
    config: ServerConfig,
    _on_message: MessageHandler,
) -> Result<Server, SocketError> {
    let why = sockmodes_completion::probe().unwrap_err().to_string();
    let bind = sockmodes_python::Op::Bind;
    Err(crate::info::unsupported(bind, config.addr, &why))
}

#[cfg(target_os = "linux")]
const CONNECT_COMPLETION: Option<crate::info::ConnectFn> = Some(|addr, settings| {
    Ok(Box::new(sockmodes_completion::client::Client::connect(
        addr, settings,
    )?))
});

#[cfg(not(target_os = "linux"))]
const CONNECT_COMPLETION: Option<crate::info::ConnectFn> = None;

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use sockmodes_common::Service;

    use super::ServerConfig;
    use crate::{start_server, Client, ClientSettings, Model};

    /// Every model the list builds here starts a server that answers, and
    /// every client it lists talks to it: a model cannot join the list
    /// without both.
    #[test]
    fn every_model_of_the_list_serves_and_every_client_connects() {
        for server in Model::servers() {
            let config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), Service::Echo);
            let running = start_server(server, config, Arc::new(|_, _| {}))
                .unwrap_or_else(|e| panic!("{server}: {e}"));
            for client in Model::CLIENTS {
                let mut c =
                    Client::connect(client, running.local_addr(), &ClientSettings::default())
                        .unwrap_or_else(|e| panic!("{client} client to {server}: {e}"));
                c.echo(b"Hola, servidor!")
                    .unwrap_or_else(|e| panic!("{client} client to {server}: {e}"));
            }
            running.shutdown(std::time::Duration::from_secs(5));
        }
    }
}
