//! The one file that picks each I/O model's server, client and load
//! engine: one server type over every model (each model's handle is a
//! `RunningServer`, common's `running.rs`), one client type over the
//! models that have a client, and each model's load engine. (The registry,
//! `model.rs`, asks each model's crate its figures; the demo's steps show
//! a model's own calls.) A new model adds its arm to `start_server`, a
//! `Client` variant with its `connect` and `driver` arms, and its arm to
//! `load_engine`, with a `connections!` line when its crate has a
//! many-connection client.

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use sockmodes_blocking as blocking;
use sockmodes_common::client::send_counted;
use sockmodes_common::{
    ClientDriver, ClientError, MessageHandler, MessageReceipt, Mode, Payload, RunningServer,
    ServerConfig, Service, SinkSummary, SinkTally, SocketError, DEFAULT_MAX_FRAME,
};
use sockmodes_nonblocking as nonblocking;

use crate::load::{self, LoadConfig, LoadError, Outcome};
pub use crate::model::IoMode;

/// A running server of any mode: every server's handle is a
/// [`RunningServer`] (its address, counters, `wait`, `shutdown`).
pub type Server = Box<dyn RunningServer>;

/// Binds and starts a server of `mode`: the one place that names each
/// model's crate.
///
/// # Errors
/// The bind failure, classified; on a system without the model (io_uring
/// off Linux), an `Unsupported` error that says so.
pub fn start_server(
    mode: IoMode,
    config: ServerConfig,
    on_message: MessageHandler,
) -> Result<Server, SocketError> {
    Ok(match mode {
        IoMode::Blocking => Box::new(blocking::start(config, on_message)?),
        IoMode::NonBlocking => Box::new(nonblocking::start(config, on_message)?),
        IoMode::Tokio => Box::new(sockmodes_tokio::start(config, on_message)?),
        #[cfg(target_os = "linux")]
        IoMode::Completion => Box::new(sockmodes_completion::start(config, on_message)?),
        #[cfg(not(target_os = "linux"))]
        IoMode::Completion => {
            let why = IoMode::Completion.check_available().unwrap_err();
            return Err(SocketError::on(
                sockmodes_common::Op::Bind,
                config.addr,
                Mode::NonBlocking,
            )(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                why,
            )));
        }
    })
}

// Each model's many-connection client, driven by the load's one event
// engine (`src/load/nonblocking/`).
load::nonblocking::connections!(nonblocking::multi::MultiClient);
#[cfg(target_os = "linux")]
load::nonblocking::connections!(sockmodes_completion::client::Multi);

/// Runs `config`'s load with its model's engine ([`crate::load::run`]
/// validates it first): a thread per connection, or one event engine over
/// a model's many-connection driver (`Connections`, `src/load/nonblocking/`).
///
/// # Errors
/// No connection at all, threads or a poll that could not be made, or a
/// model with no engine on this system.
pub(crate) fn load_engine(
    config: &LoadConfig,
    progress: &Arc<AtomicU64>,
) -> Result<Outcome, LoadError> {
    Ok(match config.mode {
        IoMode::Blocking => load::blocking::run(config, progress)?,
        IoMode::NonBlocking => {
            load::nonblocking::run::<nonblocking::multi::MultiClient>(config, progress)?
        }
        #[cfg(target_os = "linux")]
        IoMode::Completion => {
            load::nonblocking::run::<sockmodes_completion::client::Multi>(config, progress)?
        }
        #[cfg(not(target_os = "linux"))]
        IoMode::Completion => return Err(LoadError::NoEngine),
        IoMode::Tokio => return Err(LoadError::NoEngine),
    })
}

/// Why a model has no client on this system (completion off Linux).
pub const NO_CLIENT: &str = "this model has no client on this system; clients and the load generator use --mode blocking or nonblocking (any client talks to any server)";

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
    Blocking(Box<blocking::Client>),
    /// mio client.
    NonBlocking(Box<nonblocking::NbClient>),
    /// io_uring client (Linux).
    #[cfg(target_os = "linux")]
    Completion(Box<sockmodes_completion::client::RingClient>),
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
                Client::Blocking(Box::new(blocking::Client::connect(addr, &options)?))
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
            #[cfg(target_os = "linux")]
            IoMode::Completion => {
                let options = sockmodes_completion::client::RingOptions {
                    timeout: settings.timeout,
                    retries: settings.retries,
                    max_frame: settings.max_frame,
                    ..Default::default()
                };
                let client = sockmodes_completion::client::RingClient::connect(addr, &options)?;
                Client::Completion(Box::new(client))
            }
            IoMode::Tokio => {
                return Err(ClientError::Socket(SocketError::on(
                    sockmodes_common::Op::Connect,
                    addr,
                    Mode::NonBlocking,
                )(std::io::Error::new(
                    std::io::ErrorKind::Unsupported,
                    NO_CLIENT,
                ))));
            }
            #[cfg(not(target_os = "linux"))]
            IoMode::Completion => {
                let why = IoMode::Completion.check_available().unwrap_err();
                return Err(ClientError::Socket(SocketError::on(
                    sockmodes_common::Op::Connect,
                    addr,
                    Mode::NonBlocking,
                )(std::io::Error::new(
                    std::io::ErrorKind::Unsupported,
                    why,
                ))));
            }
        })
    }

    /// The client as the driver of its session: every call below is
    /// [`ClientDriver`]'s, the same for every mode.
    pub fn driver(&mut self) -> &mut dyn ClientDriver {
        match self {
            Client::Blocking(c) => &mut **c,
            Client::NonBlocking(c) => &mut **c,
            #[cfg(target_os = "linux")]
            Client::Completion(c) => &mut **c,
        }
    }

    /// Sends a `message` and waits briefly for the server's close.
    ///
    /// # Errors
    /// Socket failures.
    pub fn send_message(mut self, message: &[u8]) -> Result<MessageReceipt, ClientError> {
        self.driver().send_message(message)
    }

    /// Speaks `service` from now on (a new client speaks echo).
    pub fn set_service(&mut self, service: Service) {
        self.driver().set_service(service);
    }

    /// One echo round trip, verified.
    ///
    /// # Errors
    /// Socket, protocol and mismatch failures.
    pub fn echo(&mut self, payload: &[u8]) -> Result<(), ClientError> {
        self.driver().echo(payload)
    }

    /// One echo round trip of a shared payload, verified as it streams in.
    ///
    /// # Errors
    /// Socket, protocol and mismatch failures.
    pub fn echo_payload(&mut self, payload: &Payload) -> Result<(), ClientError> {
        self.driver().echo_payload(payload)
    }

    /// Sends one frame.
    ///
    /// # Errors
    /// Socket failures.
    pub fn send_frame(&mut self, payload: &[u8]) -> Result<(), ClientError> {
        self.driver().send_frame(payload)
    }

    /// Sends one frame of a shared payload (sink), waiting until the socket took it.
    ///
    /// # Errors
    /// Socket failures.
    pub fn send_payload(&mut self, payload: &Payload) -> Result<(), ClientError> {
        let driver = self.driver();
        driver.send(payload)?;
        driver.flush()
    }

    /// Receives the echo of a frame sent with [`send_frame`](Self::send_frame);
    /// `None` on a clean close.
    ///
    /// # Errors
    /// Socket and protocol failures.
    pub fn recv_frame(&mut self) -> Result<Option<Vec<u8>>, ClientError> {
        self.driver().recv_frame()
    }

    /// Shuts down the write side.
    ///
    /// # Errors
    /// Socket failures.
    pub fn shutdown_write(&mut self) -> Result<(), ClientError> {
        self.driver().shutdown_write()
    }

    /// Ends a sink upload whose frames were sent and counted in `sent`.
    ///
    /// # Errors
    /// Socket, protocol and mismatch failures.
    pub fn finish_sink(mut self, sent: &SinkTally) -> Result<SinkSummary, ClientError> {
        self.driver().finish_sink(sent)
    }

    /// Sends every frame and checks the sink summary.
    ///
    /// # Errors
    /// Socket, protocol and mismatch failures.
    pub fn sink_upload<'a, I>(mut self, frames: I) -> Result<SinkSummary, ClientError>
    where
        I: IntoIterator<Item = &'a [u8]>,
    {
        self.set_service(Service::Sink);
        let tally = send_counted(frames, |frame| self.send_frame(frame))?;
        self.finish_sink(&tally)
    }
}
