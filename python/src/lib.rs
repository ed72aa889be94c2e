//! sockmodes in the words of the Python course it teaches: a socket's mode
//! as `settimeout` means it, and each `io::Error` named by the exception a
//! student has seen in a traceback.
//!
//! - [`mode`]: blocking / timeout / non-blocking with Python's `settimeout` meaning.
//! - [`pyerror`]: `io::Error` + mode -> the Python exception a student knows.
//! - [`sys`]: where the OS shows through: its error codes by name.
//! - [`show`]: text for a person: a peer's bytes shown and never obeyed
//!   (control characters escaped as Python's `repr` does), and plurals.
//! - [`would_block`], [`timed_out`], [`interrupted`]: what an `io::Error`
//!   tells a driver to do next.
//!
//! **No system call.** Putting a mode on a socket is the OS layer's
//! (`sockmodes-os`); this crate only names and reads errors, and
//! `tests/socket_free.rs` keeps it so. It depends on nothing of the
//! workspace.
#![deny(missing_docs)]

pub mod mode;
pub mod pyerror;
pub mod show;
pub mod sys;

use std::io::{self, ErrorKind};

pub use mode::{SocketMode, SocketModeError};
pub use pyerror::{classify, python_addr, Op, PyException, SocketError};

/// True for the error a non-blocking call returns when it would have to wait.
pub fn would_block(err: &io::Error) -> bool {
    err.kind() == ErrorKind::WouldBlock
}

/// True for a read or write that gave up under a socket timeout
/// (`SO_RCVTIMEO`/`SO_SNDTIMEO`): on Unix that is EAGAIN, the same code as
/// [`would_block`]; on Windows it is its own, WSAETIMEDOUT (`TimedOut`).
pub fn timed_out(err: &io::Error) -> bool {
    matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

/// True for a call interrupted by a signal: retry it.
pub fn interrupted(err: &io::Error) -> bool {
    err.kind() == ErrorKind::Interrupted
}
