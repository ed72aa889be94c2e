//! The client core every sockmodes client driver implements, the blocking
//! one, the mio one and the io_uring one alike: what can go wrong for a
//! client (named as Python names it), the checks on the server's answers,
//! and the calls a person makes, written once over a driver's way of moving
//! bytes. The rules of the exchange itself are the client session's
//! (`sockmodes_common::ClientSession`); the sockets are the drivers'.
//!
//! - [`error`]: [`ClientError`], the checks on echo and sink answers, the
//!   wait for a message's confirmation, the retry of a refused connect.
//! - [`driver`]: [`ClientDriver`], the client calls (`echo`,
//!   `send_frame`/`recv_frame`, `sink_upload`, `send_message`) over a
//!   driver's `pump` and `flush`.
//! - [`settings`]: [`ClientSettings`], how every client connects and waits.
//! - [`many`]: what a driver of many connections in one thread tells its
//!   caller ([`ConnEvent`]), and what the caller may do to a connection
//!   from inside that news ([`Outbox`]).
//!
//! **No system call.** The drivers wait and move bytes; this crate only
//! decides, and `tests/socket_free.rs` keeps it so.
#![deny(missing_docs)]

pub mod driver;
pub mod error;
pub mod handler;
pub mod many;
pub mod settings;

pub use driver::{ClientDriver, Exchange};
pub use error::{AtServer, ClientError, MessageReceipt};
pub use many::{ConnEvent, Outbox};
pub use settings::ClientSettings;
