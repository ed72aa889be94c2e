//! Moving bytes between a tokio socket and the session: the only place
//! that reads or writes a connection's socket (the lingering close aside,
//! which discards). Through tokio's own `poll_read` and `poll_write`, so
//! the model does what a tokio user's `read().await` does: a read only
//! when the driver says the socket is ready, and (on Linux) none that
//! would only say `WouldBlock` after a short one.
//!
//! Between frames a read lands in the worker's scratch buffer and is fed
//! to the session from there, inside the same poll: no buffer is held
//! across an await, so an idle connection owns none (as the event loop's
//! connections share the loop's). Inside a frame it lands in the session's
//! own read space.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use sockmodes_common::ServerSession;
use sockmodes_python::interrupted;
use sockmodes_serving::ending::End;
use sockmodes_serving::ServerStats;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Bytes of each worker thread's scratch buffer.
///
/// Why 64 KiB: the event loop's per-loop buffer; a burst of small frames,
/// or a good part of a large one, per read. One per worker thread, not
/// per connection.
const SCRATCH: usize = 64 * 1024;

thread_local! {
    static SCRATCH_BUF: RefCell<Vec<u8>> = RefCell::new(vec![0; SCRATCH]);
}

/// What a read brought.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Read {
    /// This many bytes read (already handed to the session).
    Bytes(usize),
    /// End of stream (already handed to the session).
    Eof,
}

/// Writes the session's output until it is empty (`Ready(Ok)`) or the
/// socket is full (`Pending`, the task is woken when it drains).
pub(crate) fn poll_flush(
    cx: &mut Context<'_>,
    stream: &mut TcpStream,
    session: &mut ServerSession,
    stats: &ServerStats,
) -> Poll<io::Result<()>> {
    while !session.output().is_empty() {
        let written = ready!(Pin::new(&mut *stream).poll_write(cx, session.output()));
        stats.count_syscalls(1);
        match written {
            Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
            Ok(n) => session.wrote(n),
            Err(e) if interrupted(&e) => {}
            Err(e) => return Poll::Ready(Err(e)),
        }
    }
    Poll::Ready(Ok(()))
}

/// One read into the session, when the socket has something: bytes, or
/// end of stream.
///
/// # Errors
/// The socket's failure, or the session's refusal (a protocol error):
/// either way, how the connection ends.
pub(crate) fn poll_read(
    cx: &mut Context<'_>,
    stream: &mut TcpStream,
    session: &mut ServerSession,
    stats: &ServerStats,
) -> Poll<Result<Read, End>> {
    loop {
        let read = if session.reads_direct() {
            let mut buf = ReadBuf::new(session.read_space());
            let polled = ready!(Pin::new(&mut *stream).poll_read(cx, &mut buf));
            let n = buf.filled().len();
            polled.map(|()| (n, if n > 0 { session.received(n) } else { Ok(0) }))
        } else {
            ready!(SCRATCH_BUF.with_borrow_mut(|scratch| {
                let limit = session.read_limit().min(scratch.len());
                let mut buf = ReadBuf::new(&mut scratch[..limit]);
                let polled = ready!(Pin::new(&mut *stream).poll_read(cx, &mut buf));
                let n = buf.filled().len();
                Poll::Ready(polled.map(|()| {
                    let fed = if n > 0 {
                        session.received_from(&scratch[..n])
                    } else {
                        Ok(0)
                    };
                    (n, fed)
                }))
            }))
        };
        stats.count_syscalls(1);
        return Poll::Ready(match read {
            Ok((0, _)) => session
                .received_eof()
                .map(|()| Read::Eof)
                .map_err(End::from),
            Ok((bytes, fed)) => fed.map(|_| Read::Bytes(bytes)).map_err(End::from),
            Err(e) if interrupted(&e) => continue,
            Err(e) => Err(End::Io(e)),
        });
    }
}

/// One read whose bytes are dropped (the lingering close): `Ready(Ok(0))`
/// at end of stream.
pub(crate) fn poll_discard(
    cx: &mut Context<'_>,
    stream: &mut TcpStream,
    stats: &ServerStats,
) -> Poll<io::Result<usize>> {
    SCRATCH_BUF.with_borrow_mut(|scratch| {
        let mut buf = ReadBuf::new(&mut scratch[..]);
        let read = ready!(Pin::new(&mut *stream).poll_read(cx, &mut buf));
        stats.count_syscalls(1);
        Poll::Ready(read.map(|()| buf.filled().len()))
    })
}
