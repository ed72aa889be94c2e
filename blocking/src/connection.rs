//! One connection, served with blocking calls: the thin adapter between a
//! `std::net::TcpStream` and common's [`ServerSession`].
//!
//! The thread sleeps in `read` until bytes arrive, hands them to the session,
//! and writes every reply before it reads again, so pending output never
//! builds up here: a peer that does not read makes our `write` block, TCP's
//! own flow control stops the peer, and the write timeout ends the standoff.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sockmodes_common::{
    interrupted, net, timed_out, MessageHandler, ServerConfig, ServerSession, SessionError,
};

/// Bytes of the per-thread read buffer used between frames.
///
/// Why 4 KiB: one page, already resident near the top of the thread's stack;
/// small frames arrive in one read, and a large frame's first read tells its
/// length, after which the rest is read straight into the frame's buffer.
const SCRATCH: usize = 4096;

/// Where a blocked read cannot be woken from another thread, how often a
/// connection thread wakes to see whether the server is cutting it.
///
/// Why only on Windows, and why 250 ms: on Linux and macOS the server's
/// shutdown of the socket wakes the read at once; Windows does not, so the
/// read times out every tick instead. A quarter second keeps a shutdown
/// prompt and costs four wake-ups a second per idle connection.
const CUT_TICK: Duration = Duration::from_millis(250);

/// How a served connection ended.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionEnd {
    /// The peer finished and everything owed was sent.
    #[error("finished")]
    Finished,
    /// No frame completed within the idle timeout.
    #[error("idle for longer than {0:?}")]
    IdleTimeout(std::time::Duration),
    /// The peer broke the protocol.
    #[error("protocol error: {0}")]
    Protocol(#[from] SessionError),
    /// The socket failed (reset, broken pipe, write timeout, ...).
    #[error("socket error: {0}")]
    Io(#[from] io::Error),
    /// The server cut it at its shutdown deadline.
    #[error("cut at shutdown")]
    Cut,
}

/// Serves `stream` with `config.service` until the peer is done or fails,
/// or `cut` is set (the server's shutdown deadline passed). Messages
/// (service `message`) go to `on_message`.
pub fn serve_connection(
    stream: &mut TcpStream,
    peer: SocketAddr,
    config: &ServerConfig,
    on_message: &MessageHandler,
    cut: &AtomicBool,
) -> ConnectionEnd {
    if let Err(e) = configure(stream, config) {
        return ConnectionEnd::Io(e);
    }
    let mut session = ServerSession::new(config.service, config.max_frame, config.output_cap);
    let mut last_progress = Instant::now();
    // Between frames the thread reads into this stack buffer and frames are
    // decoded straight out of it, so an idle connection holds no heap buffer.
    let mut scratch = [0u8; SCRATCH];
    loop {
        let direct = session.reads_direct();
        let read = if direct {
            stream.read(session.read_space())
        } else {
            stream.read(&mut scratch)
        };
        match read {
            Ok(0) => {
                if let Err(e) = session.received_eof() {
                    return e.into();
                }
            }
            Ok(n) => match if direct {
                session.received(n)
            } else {
                session.received_from(&scratch[..n])
            } {
                Ok(0) if last_progress.elapsed() > config.idle_timeout => {
                    return ConnectionEnd::IdleTimeout(config.idle_timeout)
                }
                Ok(0) => {}
                Ok(_) => last_progress = Instant::now(),
                Err(e) => return e.into(),
            },
            Err(e) if interrupted(&e) => continue,
            // Under SO_RCVTIMEO a read that waited too long fails with EAGAIN
            // on Unix (the code a non-blocking read gives) and WSAETIMEDOUT on
            // Windows (see common::sys). On Windows it may be only a tick.
            Err(e) if timed_out(&e) => {
                if cut.load(Ordering::Acquire) {
                    return ConnectionEnd::Cut;
                }
                if last_progress.elapsed() >= config.idle_timeout || !cfg!(windows) {
                    return ConnectionEnd::IdleTimeout(config.idle_timeout);
                }
                continue;
            }
            Err(e) => return e.into(),
        }
        if let Some(message) = session.take_message() {
            on_message(peer, message);
        }
        if let Err(e) = write_output(stream, &mut session) {
            return e.into();
        }
        if session.is_finished() {
            return ConnectionEnd::Finished;
        }
    }
}

fn configure(stream: &TcpStream, config: &ServerConfig) -> io::Result<()> {
    // Why the read timeout equals the idle timeout: a silent peer fails the
    // read after one idle period; a dribbling one is caught by the progress
    // check after each read. Either way the thread is back within about two
    // idle periods, without a setsockopt on every read.
    // On Windows the read wakes every CUT_TICK (see there).
    let read_timeout = if cfg!(windows) {
        config.idle_timeout.min(CUT_TICK)
    } else {
        config.idle_timeout
    };
    stream.set_read_timeout(Some(read_timeout))?;
    stream.set_write_timeout(Some(config.idle_timeout))?;
    net::set_nodelay(stream, config.nodelay)
}

fn write_output(stream: &mut TcpStream, session: &mut ServerSession) -> io::Result<()> {
    while !session.output().is_empty() {
        match stream.write(session.output()) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => session.wrote(n),
            Err(e) if interrupted(&e) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
