//! The lingering close, as the other servers do it (serving's `ending.rs`
//! holds its state and bounds, [`Closing`]): every answer already owed is
//! flushed, the write side is shut (the peer reads the answers, then end
//! of stream), and input is read and discarded until the peer closes too,
//! or [`LINGER_GAP`] of silence or [`LINGER_TIME`] in all passes. Closing
//! then leaves nothing unread, so the peer sees no reset.
//!
//! A lingering connection keeps its slot under `--max-conns` and reads
//! into the worker's scratch buffer: it holds no more memory than before.
//!
//! [`LINGER_GAP`]: sockmodes_serving::config::LINGER_GAP
//! [`LINGER_TIME`]: sockmodes_serving::config::LINGER_TIME

use std::future::poll_fn;
use std::time::Instant;

use sockmodes_common::ServerSession;
use sockmodes_serving::ending::Closing;
use sockmodes_serving::ServerStats;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::timeout_at;

use crate::io;

/// Ends the connection with a lingering close; returns when the socket
/// may be closed.
pub(crate) async fn linger(
    stream: &mut TcpStream,
    session: &mut ServerSession,
    stats: &ServerStats,
) {
    let mut closing = Closing::begun(Instant::now());
    let flushed = timeout_at(
        closing.expires_at().into(),
        poll_fn(|cx| io::poll_flush(cx, stream, session, stats)),
    );
    if !matches!(flushed.await, Ok(Ok(()))) {
        return; // the peer is gone, or never read its answers
    }
    closing.shut = true;
    stats.count_syscalls(1);
    if stream.shutdown().await.is_err() {
        return; // not connected any more: nothing to protect
    }
    loop {
        match timeout_at(
            closing.expires_at().into(),
            poll_fn(|cx| io::poll_discard(cx, stream, stats)),
        )
        .await
        {
            Ok(Ok(0) | Err(_)) => return, // the peer closed, or the socket failed
            Ok(Ok(_)) => closing.last_read = Instant::now(),
            Err(_) if closing.expired(Instant::now()) => return,
            Err(_) => {}
        }
    }
}
