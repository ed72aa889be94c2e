//! sockmodes' shared protocol: the wire format and the two sans-io
//! sessions that every driver runs, and nothing that reads or writes a
//! socket. Open this crate first: the rest of sockmodes moves bytes for it.
//!
//! Like rustls, the protocol is "sans-io": the drivers own the sockets and the
//! waiting (a thread blocked in `read`, a mio event loop, or an io_uring),
//! and feed this crate bytes; it hands back frames, replies and errors. That
//! is what makes the three servers interchangeable on the wire, and what lets every protocol
//! rule be tested on plain byte slices.
//!
//! The wire:
//!
//! - [`frame`]: the wire format (4-byte big-endian length, then payload) and an
//!   incremental [`frame::Decoder`].
//! - [`stream`]: the same frames read as a stream of pieces, so no frame
//!   size sets a connection's memory.
//! - [`buffer`]: the byte queue both sessions read into and write from.
//! - [`summary`]: the sink service's 20-byte answer (frames, bytes, CRC-32).
//!
//! The sessions:
//!
//! - [`service`]: what a server does with a connection (`message`, `echo`,
//!   `sink`), and so what its client expects back.
//! - [`session`]: one server-side connection as a state machine running a
//!   [`Service`] under its own settings ([`SessionConfig`]), with the gate
//!   that holds a frame's answer while its work runs.
//! - [`client_session`]: its mirror, one client-side connection: requests
//!   out, answers paired and checked as they stream in.
//! - [`work`]: work per message (`--work cpu:50us`, `block:2ms`, `wait:2ms`):
//!   what it is, and the [`WorkTicket`] the session hands out for it.
//!
//! Around it, each in a crate of its own: the Python names of modes and
//! errors (`sockmodes-python`), what every server does around a session
//! (`sockmodes-serving`: settings, counters, stopping, lingering, the work
//! pool's accounting), the client core every client driver implements
//! (`sockmodes-client`), and the system calls (`sockmodes-os`). This crate
//! depends on none of them.
//!
//! **No system call.** This crate has no socket2, libc or windows-sys to
//! make one with, and names nothing of std that is the system: no socket
//! (an address is `core::net`'s), no file, no thread or sleep, no clock
//! (every `Instant` comes in from the driver), no environment, process or
//! console; `tests/socket_free.rs` keeps it so.
//!
//! The wire format is specified in `docs/PROTOCOL.md`.
#![deny(missing_docs)]

pub mod buffer;
pub mod client_session;
pub mod frame;
pub mod service;
pub mod session;
pub mod stream;
pub mod summary;
pub mod work;

pub use client_session::{ClientEvent, ClientSession, ClientSessionError, Payload};
pub use frame::{Decoder, FrameError, DEFAULT_MAX_FRAME, HEADER_LEN};
pub use service::Service;
pub use session::{ServerSession, SessionConfig, SessionError};
pub use summary::{SinkSummary, SinkTally};
pub use work::{Work, WorkKind, WorkTicket};
