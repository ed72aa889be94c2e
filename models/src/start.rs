//! What starts a server of any model and connects a client of any model
//! with a client: each model's handle is a `RunningServer` (common's
//! `running.rs`) and each client a `ClientDriver`, so the caller holds
//! either without asking which model it is.

use std::net::SocketAddr;

use sockmodes_client::error::send_counted;
use sockmodes_client::{ClientDriver, ClientError, ClientSettings};
use sockmodes_common::{Service, SinkSummary};
use sockmodes_python::{Op, SocketError};
use sockmodes_serving::{MessageHandler, ServerConfig};

use crate::info::{unsupported, Server};
use crate::Model;

/// Binds and starts a server of `model`.
///
/// # Errors
/// The bind failure, classified; on a system without the model (io_uring
/// off Linux), an `Unsupported` error that says so.
pub fn start_server(
    model: Model,
    config: ServerConfig,
    on_message: MessageHandler,
) -> Result<Server, SocketError> {
    (model.info().start)(config, on_message)
}

/// Why a model has no client on this system (completion off Linux).
pub const NO_CLIENT: &str = "this model has no client on this system; clients and the load generator use --mode blocking or nonblocking (any client talks to any server)";

/// A connected client of any model with a client: its driver, whose
/// calls ([`ClientDriver`]'s) are the same for every model.
pub struct Client(Box<dyn ClientDriver + Send>);

impl std::ops::Deref for Client {
    type Target = dyn ClientDriver + Send;
    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

impl std::ops::DerefMut for Client {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut *self.0
    }
}

impl Client {
    /// Connects a client of `model`.
    ///
    /// # Errors
    /// The connect failure, classified.
    pub fn connect(
        model: Model,
        addr: SocketAddr,
        settings: &ClientSettings,
    ) -> Result<Client, ClientError> {
        let Some(connect) = model.info().connect else {
            return Err(unsupported(Op::Connect, addr, NO_CLIENT).into());
        };
        Ok(Client(connect(addr, settings)?))
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
