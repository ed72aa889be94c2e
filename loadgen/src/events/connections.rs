//! What this engine needs of a many-connection driver, so the same engine
//! runs on a mio `Poll` (readiness: `sockmodes_nonblocking::multi`) and on
//! an io_uring (completion: `sockmodes_completion::client`). Both hand the
//! engine the client core's [`ConnEvent`](sockmodes_client::ConnEvent)s
//! and [`Outbox`]es, through one handler shape ([`OnEvent`]); they differ
//! only in how they wait, which is what the comparison measures.

use std::io;
use std::net::SocketAddr;
use std::time::Instant;

use sockmodes_client::handler::OnEvent;
use sockmodes_client::{ClientError, Outbox};
use sockmodes_common::Service;

/// Many client connections driven by one thread.
pub(crate) trait Connections: Sized {
    /// An empty driver whose connections speak `service`.
    fn open(service: Service, max_frame: usize) -> io::Result<Self>;

    /// Starts a connect; `Connected` or `Failed` follows. Returns its id.
    fn connect(&mut self, addr: SocketAddr) -> Result<usize, ClientError>;

    /// Waits until `deadline` (precisely) and hands every event to `handler`.
    fn poll_until(&mut self, deadline: Option<Instant>, handler: impl OnEvent) -> io::Result<()>;

    /// Queues output on connection `id` between events; `false` for an
    /// unknown id.
    fn with_outbox<F>(&mut self, id: usize, fill: F) -> Result<bool, ClientError>
    where
        F: FnOnce(&mut Outbox<'_>) -> Result<(), ClientError>;
}

/// Implements [`Connections`] for a model's many-connection client by its
/// own calls of the same names. Invoked where each engine is picked
/// (`engines.rs`), so a new model's client joins the engine there.
/// (The `const _` block holds the imports, as serde's derives do; each is
/// by its full path, so that it means the same wherever it is invoked.)
macro_rules! connections {
    ($driver:ty) => {
        const _: () = {
            use sockmodes_client::handler::OnEvent;
            use sockmodes_client::{ClientError, Outbox};
            use sockmodes_common::Service;
            use std::net::SocketAddr;
            use std::time::Instant;
            use std::{io, result::Result};
            use $crate::events::Connections;
            impl Connections for $driver {
                fn open(service: Service, max_frame: usize) -> io::Result<Self> {
                    <$driver>::with_service(service, max_frame)
                }
                fn connect(&mut self, addr: SocketAddr) -> Result<usize, ClientError> {
                    <$driver>::connect(self, addr)
                }
                fn poll_until(
                    &mut self,
                    at: Option<Instant>,
                    handler: impl OnEvent,
                ) -> io::Result<()> {
                    <$driver>::poll_until(self, at, handler)
                }
                fn with_outbox<F>(&mut self, id: usize, fill: F) -> Result<bool, ClientError>
                where
                    F: FnOnce(&mut Outbox<'_>) -> Result<(), ClientError>,
                {
                    <$driver>::with_outbox(self, id, fill)
                }
            }
        };
    };
}
pub(crate) use connections;
