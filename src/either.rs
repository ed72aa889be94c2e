//! One server type and one client type over both modes.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use sockmodes_blocking as blocking;
use sockmodes_common::client::send_counted;
use sockmodes_common::config::MemoryBound;
use sockmodes_common::{
    ClientError, MessageHandler, MessageReceipt, Mode, ServerConfig, ServerSession, SinkSummary,
    SinkTally, SocketError, StatsSnapshot, DEFAULT_MAX_FRAME,
};
use sockmodes_nonblocking as nonblocking;

/// Which I/O model: a thread per connection that waits, or an event loop
/// that never does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum IoMode {
    /// std::net, blocking calls, one thread per connection.
    #[default]
    Blocking,
    /// mio, non-blocking calls, event loop.
    NonBlocking,
}

impl IoMode {
    /// Both modes, for matrices.
    pub const ALL: [IoMode; 2] = [IoMode::Blocking, IoMode::NonBlocking];

    /// The most memory a server of this mode with `config` can hold: the
    /// session's buffers plus, per connection, a thread's stack (blocking)
    /// or the event loop's bookkeeping (non-blocking), times `max_conns`.
    /// The kernel's socket buffers are not counted (they are the kernel's,
    /// bounded by `net.ipv4.tcp_rmem`/`tcp_wmem`).
    pub fn memory_bound(self, config: &ServerConfig) -> MemoryBound {
        let overhead = match self {
            IoMode::Blocking => config.stack_size,
            IoMode::NonBlocking => nonblocking::CONNECTION_OVERHEAD,
        };
        MemoryBound {
            buffers: ServerSession::memory_bound(config) as u64,
            overhead: overhead as u64,
            connections: config.max_conns as u64,
        }
    }

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            IoMode::Blocking => "blocking",
            IoMode::NonBlocking => "nonblocking",
        }
    }
}

impl fmt::Display for IoMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for IoMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "blocking" => Ok(IoMode::Blocking),
            "nonblocking" | "non-blocking" => Ok(IoMode::NonBlocking),
            _ => Err(format!(
                "unknown mode {s:?} (expected blocking or nonblocking)"
            )),
        }
    }
}

/// A running server of either mode.
pub enum Server {
    /// The thread-per-connection server.
    Blocking(blocking::ServerHandle),
    /// The event-loop server.
    NonBlocking(nonblocking::ServerHandle),
}

impl Server {
    /// Binds and starts a server of `mode`.
    ///
    /// # Errors
    /// The bind failure, classified.
    pub fn start(
        mode: IoMode,
        config: ServerConfig,
        on_message: MessageHandler,
    ) -> Result<Server, SocketError> {
        Ok(match mode {
            IoMode::Blocking => Server::Blocking(blocking::start(config, on_message)?),
            IoMode::NonBlocking => Server::NonBlocking(nonblocking::start(config, on_message)?),
        })
    }

    /// The address really bound.
    pub fn local_addr(&self) -> SocketAddr {
        match self {
            Server::Blocking(s) => s.local_addr(),
            Server::NonBlocking(s) => s.local_addr(),
        }
    }

    /// Live counters.
    pub fn stats(&self) -> StatsSnapshot {
        match self {
            Server::Blocking(s) => s.stats(),
            Server::NonBlocking(s) => s.stats(),
        }
    }

    /// True once the server stopped by itself (`once`).
    pub fn is_finished(&self) -> bool {
        match self {
            Server::Blocking(s) => s.is_finished(),
            Server::NonBlocking(s) => s.is_finished(),
        }
    }

    /// Waits until the server stops by itself (`once`).
    pub fn wait(self) {
        match self {
            Server::Blocking(s) => s.wait(),
            Server::NonBlocking(s) => s.wait(),
        }
    }

    /// Graceful shutdown; returns how many connections were cut at the deadline.
    pub fn shutdown(self, deadline: Duration) -> usize {
        match self {
            Server::Blocking(s) => s.shutdown(deadline),
            Server::NonBlocking(s) => s.shutdown(deadline),
        }
    }
}

/// Client settings that mean the same in both modes.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// Longest wait of any call (`None`: wait as long as it takes).
    pub timeout: Option<Duration>,
    /// Connection attempts to repeat after a refusal.
    pub retries: u32,
    /// Largest frame accepted.
    pub max_frame: usize,
}

impl Default for ClientSettings {
    fn default() -> Self {
        ClientSettings {
            timeout: None,
            retries: 0,
            max_frame: DEFAULT_MAX_FRAME,
        }
    }
}

/// A connected client of either mode.
pub enum Client {
    /// std::net client (Blocking, or Timeout with a timeout set).
    Blocking(blocking::Client),
    /// mio client.
    NonBlocking(Box<nonblocking::NbClient>),
}

impl Client {
    /// Connects in `mode`.
    ///
    /// # Errors
    /// The connect failure, classified.
    pub fn connect(
        mode: IoMode,
        addr: SocketAddr,
        settings: &ClientSettings,
    ) -> Result<Client, ClientError> {
        Ok(match mode {
            IoMode::Blocking => {
                let options = blocking::ClientOptions {
                    mode: settings.timeout.map_or(Mode::Blocking, |t| {
                        Mode::timeout(t).unwrap_or(Mode::Timeout(Duration::from_micros(1)))
                    }),
                    retries: settings.retries,
                    max_frame: settings.max_frame,
                    ..blocking::ClientOptions::default()
                };
                Client::Blocking(blocking::Client::connect(addr, &options)?)
            }
            IoMode::NonBlocking => {
                let options = nonblocking::NbOptions {
                    timeout: settings.timeout,
                    retries: settings.retries,
                    max_frame: settings.max_frame,
                    ..nonblocking::NbOptions::default()
                };
                Client::NonBlocking(Box::new(nonblocking::NbClient::connect(addr, &options)?))
            }
        })
    }

    /// Sends a `message` and waits briefly for the server's close.
    ///
    /// # Errors
    /// Socket failures.
    pub fn send_message(self, message: &[u8]) -> Result<MessageReceipt, ClientError> {
        match self {
            Client::Blocking(c) => c.send_message(message),
            Client::NonBlocking(mut c) => c.send_message(message),
        }
    }

    /// One echo round trip, verified.
    ///
    /// # Errors
    /// Socket, protocol and mismatch failures.
    pub fn echo(&mut self, payload: &[u8]) -> Result<(), ClientError> {
        match self {
            Client::Blocking(c) => c.echo(payload),
            Client::NonBlocking(c) => c.echo(payload),
        }
    }

    /// Sends one frame.
    ///
    /// # Errors
    /// Socket failures.
    pub fn send_frame(&mut self, payload: &[u8]) -> Result<(), ClientError> {
        match self {
            Client::Blocking(c) => c.send_frame(payload),
            Client::NonBlocking(c) => c.send_frame(payload),
        }
    }

    /// Receives one frame; `None` on a clean close.
    ///
    /// # Errors
    /// Socket and protocol failures.
    pub fn recv_frame(&mut self) -> Result<Option<Vec<u8>>, ClientError> {
        match self {
            Client::Blocking(c) => c.recv_frame(),
            Client::NonBlocking(c) => c.recv_frame(),
        }
    }

    /// Shuts down the write side.
    ///
    /// # Errors
    /// Socket failures.
    pub fn shutdown_write(&mut self) -> Result<(), ClientError> {
        match self {
            Client::Blocking(c) => c.shutdown_write(),
            Client::NonBlocking(c) => c.shutdown_write(),
        }
    }

    /// Ends a sink upload whose frames were sent and counted in `sent`.
    ///
    /// # Errors
    /// Socket, protocol and mismatch failures.
    pub fn finish_sink(self, sent: &SinkTally) -> Result<SinkSummary, ClientError> {
        match self {
            Client::Blocking(c) => c.finish_sink(sent),
            Client::NonBlocking(mut c) => c.finish_sink(sent),
        }
    }

    /// Sends every frame and checks the sink summary.
    ///
    /// # Errors
    /// Socket, protocol and mismatch failures.
    pub fn sink_upload<'a, I>(mut self, frames: I) -> Result<SinkSummary, ClientError>
    where
        I: IntoIterator<Item = &'a [u8]>,
    {
        let tally = send_counted(frames, |frame| self.send_frame(frame))?;
        self.finish_sink(&tally)
    }
}
