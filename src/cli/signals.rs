//! A request to stop (Ctrl-C, SIGTERM, a closed console window) as a channel
//! message.
//!
//! Through the `ctrlc` crate with its `termination` feature: SIGINT, SIGTERM
//! and SIGHUP on Unix; Ctrl-C, Ctrl-Break and closing the console window on
//! Windows. It runs our handler on a thread of its own, not inside a signal
//! handler, so nothing here has to be async-signal-safe.

use std::sync::mpsc::{self, Receiver};

/// Returns a channel that yields `()` each time a stop is requested.
///
/// # Errors
/// The handler could not be installed (one was installed already).
pub fn stop_requests() -> anyhow::Result<Receiver<()>> {
    let (tx, rx) = mpsc::channel();
    ctrlc::set_handler(move || {
        // The receiver is gone only when the server has stopped already.
        let _ = tx.send(());
    })?;
    Ok(rx)
}
