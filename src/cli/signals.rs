//! Ctrl-C (SIGINT) and SIGTERM as a channel message.
//!
//! Both signals are blocked in every thread (the mask is inherited, so this
//! must run before any thread starts) and received synchronously by one
//! thread in `sigwait`. Nothing runs inside a signal handler, so nothing has
//! to be async-signal-safe.

use std::sync::mpsc::{self, Receiver};
use std::thread;

/// Blocks SIGINT and SIGTERM and returns a channel that yields the number of
/// each one received.
///
/// # Errors
/// The OS refused to change the signal mask.
pub fn shutdown_signals() -> std::io::Result<Receiver<i32>> {
    // SAFETY: sigset_t is plain data; sigemptyset/sigaddset initialise it and
    // pthread_sigmask only reads it.
    let set = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        let rc = libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        if rc != 0 {
            return Err(std::io::Error::from_raw_os_error(rc));
        }
        set
    };
    let (tx, rx) = mpsc::channel();
    thread::Builder::new()
        .name("signals".into())
        .spawn(move || loop {
            let mut sig = 0;
            // SAFETY: `set` is initialised above; sigwait writes into `sig`.
            if unsafe { libc::sigwait(&set, &mut sig) } == 0 && tx.send(sig).is_err() {
                return;
            }
        })?;
    Ok(rx)
}
