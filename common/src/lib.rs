//! sockmodes' shared core: everything the blocking, non-blocking and
//! completion drivers have in common, and nothing that reads or writes a
//! socket.
//!
//! Like rustls, the protocol is "sans-io": the drivers own the sockets and the
//! waiting (a thread blocked in `read`, a mio event loop, or an io_uring),
//! and feed this crate bytes; it hands back frames, replies and errors. That
//! is what makes the three servers interchangeable on the wire, and what lets every protocol
//! rule be tested on plain byte slices.
//!
//! - [`frame`]: the wire format (4-byte big-endian length, then payload) and an
//!   incremental [`frame::Decoder`].
//! - [`session`]: one server-side connection as a state machine running a
//!   [`Service`] (`message`, `echo`, `sink`).
//! - [`client_session`]: its mirror, one client-side connection: requests
//!   out, answers paired and checked as they stream in.
//! - [`summary`]: the sink service's 20-byte answer (frames, bytes, CRC-32).
//! - [`mode`]: blocking / timeout / non-blocking with Python's `settimeout` meaning.
//! - [`pyerror`]: `io::Error` + mode -> the Python exception a student knows.
//! - [`config`]: the server settings every driver shares.
//! - [`liveness`]: when a connection is cut: idle (no byte moved either
//!   way) or too slow (owed bytes under a minimum rate), fed by each driver.
//! - [`stats`]: a running server's live counters (`ServerStats`).
//! - [`running`]: a running server of any model ([`RunningServer`]), and
//!   the stop request its handle passes to its threads.
//! - [`client`]: client errors and the checks on echo and sink answers.
//! - [`sys`]: where the OS shows through: its error codes by name.
//! - [`work`]: work per message (`--work cpu:50us`, `block:2ms`, `wait:2ms`):
//!   what it is; doing it is the OS layer's (`sockmodes_os::work`).
//! - [`offload`]: the accounting of the bounded pool that runs that work
//!   off an I/O thread (its queue, its memory, the system's thread limits
//!   given as data) and the timer's waits; the pool's threads are the OS
//!   layer's (`sockmodes_os::offload`).
//! - [`throttle`]: one log line a second for a condition that repeats (EMFILE), with a count.
//! - [`show`]: text for a person: a peer's bytes shown and never obeyed
//!   (control characters escaped as Python's `repr` does), and plurals.
//!
//! **No system call.** Opening, binding and configuring sockets, resolving
//! names, the process's limits, a process's costs, and the threads and
//! sleeps that run frames' work are in the OS layer, `sockmodes-os`
//! (`os/`). This crate has no socket2, libc or windows-sys to make them
//! with, and names nothing of std that is the system: no socket (an
//! address is `core::net`'s), no file, no thread or sleep, no clock (every
//! `Instant` comes in from the driver), no environment, process or
//! console; `tests/socket_free.rs` keeps it so. (Its two locks are taken
//! rarely: the stop request's deadline in [`running`], once a stop was
//! requested; the cuts' log throttle in [`stats`], once per cut.)
//!
//! The wire format is specified in `docs/PROTOCOL.md`.
#![deny(missing_docs)]

pub mod buffer;
pub mod client;
pub mod client_session;
pub mod config;
pub mod ending;
pub mod frame;
pub mod liveness;
pub mod mode;
pub mod offload;
pub mod pyerror;
pub mod running;
pub mod session;
pub mod show;
pub mod slab;
pub mod stats;
pub mod stream;
pub mod summary;
pub mod sys;
pub mod throttle;
pub mod work;

pub use client::{ClientError, MessageReceipt};
pub use client_session::{ClientDriver, ClientEvent, ClientSession, ClientSessionError, Payload};
pub use config::{MessageHandler, ServerConfig, ServerStats, Service, StatsSnapshot};
pub use frame::{Decoder, FrameError, DEFAULT_MAX_FRAME, HEADER_LEN};
pub use mode::{Mode, ModeError};
pub use pyerror::{classify, python_addr, Op, PyException, SocketError};
pub use running::RunningServer;
pub use session::{ServerSession, SessionError};
pub use summary::{SinkSummary, SinkTally};
pub use work::{Work, WorkKind, WorkTicket};

/// True for the error a non-blocking call returns when it would have to wait.
pub fn would_block(err: &std::io::Error) -> bool {
    err.kind() == std::io::ErrorKind::WouldBlock
}

/// True for a read or write that gave up under a socket timeout
/// (`SO_RCVTIMEO`/`SO_SNDTIMEO`): on Unix that is EAGAIN, the same code as
/// [`would_block`]; on Windows it is its own, WSAETIMEDOUT (`TimedOut`).
pub fn timed_out(err: &std::io::Error) -> bool {
    matches!(
        err.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

/// True for a call interrupted by a signal: retry it.
pub fn interrupted(err: &std::io::Error) -> bool {
    err.kind() == std::io::ErrorKind::Interrupted
}
