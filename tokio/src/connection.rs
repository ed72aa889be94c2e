//! One connection's task: the session driven by tokio's readiness, the
//! idle timer, the stop.
//!
//! Each turn the task writes what the session owes and reads what it
//! wants (`io.rs`), in one poll: a peer that does not read fills the
//! output up to its cap, then the session stops wanting input and the
//! task waits for the socket to drain (backpressure, as in the event
//! loop). A frame's work is awaited where the session hands it out
//! (`work.rs`); meanwhile the connection reads nothing (the session would
//! take no more than one read past it anyway).
//!
//! **A turn's share**, as the event loop's: after [`TURN_BYTES`] moved
//! (read plus written) the task yields to the others. tokio's own
//! cooperative budget would yield only after 128 reads and writes, up to
//! 8 MiB of a large frame, while a connection the kernel holds to a small
//! receive window goes back to waiting after one read of some 100 KB: the
//! busy ones would get many times its share.
//!
//! **Idle timeout and minimum rate**, the rules every server follows
//! (serving's `liveness.rs`): a connection where no byte moved either way
//! for the idle timeout, or whose owed bytes move slower than the minimum
//! rate, is cut (a lingering close, counted), unless it waits for its
//! work. One timer per connection fires every
//! [`check_every`](sockmodes_serving::liveness::Limits::check_every) and
//! asks for a verdict, as the event loop's sweep does: each read and write
//! only notes its bytes, so a busy connection does not touch tokio's
//! timer wheel per read.
//!
//! **Stop**: at [`Phase::Stopping`] a connection at rest ends at once,
//! a busy one as soon as it comes to rest; at [`Phase::Cut`] every one
//! still served ends. All of them end with a lingering close
//! (`closing.rs`), so a client sees its answers, then end of stream; a
//! `message` not read whole ends with a reset ([`End::close`]).

use std::future::poll_fn;
use std::net::SocketAddr;
use std::task::{Context, Poll};
use std::time::Instant;

use sockmodes_common::ServerSession;
use sockmodes_common::Service;
use sockmodes_os::net;
use sockmodes_serving::ending::{Close, End};
use sockmodes_serving::liveness::{Liveness, Owed};
use sockmodes_serving::turn::TURN_BYTES;
use sockmodes_serving::ServerStats;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tracing::debug;

use crate::io::{self, Read};
use crate::shared::{Phase, Shared, Slot};
use crate::work;

/// Serves one admitted connection until it ends, then closes it as
/// [`End::close`] says; the slot is given back last.
pub(crate) async fn serve(stream: TcpStream, peer: SocketAddr, slot: Slot) {
    let shared = slot.shared();
    debug!(%peer, "connection accepted");
    let mut phase = shared.phase.subscribe();
    let mut conn = Conn {
        stream,
        peer,
        session: ServerSession::for_config(&shared.config),
        liveness: Liveness::new(shared.config.limits(), Instant::now()),
    };
    let end = conn.serve(shared, &mut phase).await;
    end.note(peer, &shared.stats, std::time::Instant::now());
    match end.close(shared.config.service) {
        // Boxed, as the work below: its timers are held only while it runs.
        Close::Linger => {
            Box::pin(crate::closing::linger(
                &mut conn.stream,
                &mut conn.session,
                &shared.stats,
            ))
            .await;
        }
        // A message connection's reset was armed at admission (accept.rs),
        // and only a message read whole disarms it: a failed socket keeps it.
        Close::Reset => {}
        Close::Now if shared.config.service == Service::Message && matches!(end, End::Finished) => {
            shared.stats.count_syscalls(1);
            // If this fails the sender gets a reset for a message that was
            // read: a false alarm, never a false receipt.
            let _ = net::fin_on_close(&conn.stream);
        }
        Close::Now => {}
    }
    drop(conn);
    drop(slot);
}

/// A connection being served.
struct Conn {
    stream: TcpStream,
    peer: SocketAddr,
    session: ServerSession,
    /// When bytes last moved, and the rate of what the peer owes: the idle
    /// and minimum-rate rules every server follows (`liveness.rs`).
    liveness: Liveness,
}

impl Conn {
    /// Serves until the connection ends; returns why.
    async fn serve(&mut self, shared: &Shared, phase: &mut watch::Receiver<Phase>) -> End {
        let stats = &shared.stats;
        let every = self.liveness.limits().check_every();
        // TCP_NODELAY, and the socket's registration with the driver
        // (epoll_ctl), made by tokio's accept.
        stats.count_syscalls(2);
        if let Err(e) = net::set_nodelay(&self.stream, shared.config.nodelay) {
            return End::Io(e);
        }
        let timer = tokio::time::sleep(every);
        tokio::pin!(timer);
        let mut turn = 0;
        loop {
            if self.session.is_finished() {
                return End::Finished;
            }
            // Each answer leaves before the next frame's work begins: a
            // finished answer never waits behind later work.
            let flushed = self.session.output().is_empty();
            if let Some(ticket) = flushed.then(|| self.session.next_work(stats)).flatten() {
                // Boxed: an idle connection's future holds no work's timer
                // or join handle (see `CONNECTION_OVERHEAD`).
                if let Err(end) = Box::pin(work::run(ticket.work, shared, phase)).await {
                    return end;
                }
                if let Err(e) = self.session.work_done(ticket) {
                    return e.into();
                }
                self.liveness.worked(Instant::now());
                continue;
            }
            match *phase.borrow_and_update() {
                Phase::Serving => {}
                Phase::Stopping if self.session.at_rest() => return End::Stopping,
                Phase::Stopping => {}
                Phase::Cut => {
                    shared.stop.count_cut(1);
                    return End::ShutdownDeadline;
                }
            }
            tokio::select! {
                moved = poll_fn(|cx| self.poll_move(cx, stats)) => match moved {
                    Ok((read, sent)) => {
                        let received = match read {
                            Some(Read::Bytes(bytes)) => bytes,
                            Some(Read::Eof) => {
                                if let Some(message) = self.session.take_message() {
                                    (shared.on_message)(self.peer, message);
                                }
                                0
                            }
                            None => 0,
                        };
                        let now = Instant::now();
                        self.liveness.moved(now, received, sent);
                        self.liveness.owed(now, Owed::of(&self.session, false));
                        turn += received + sent;
                        if turn >= TURN_BYTES {
                            turn = 0;
                            tokio::task::yield_now().await;
                        }
                    }
                    Err(end) => return end,
                },
                // Seen at the top of the next turn.
                _ = phase.changed() => {}
                () = &mut timer => {
                    let now = Instant::now();
                    if let Some(cut) = self.liveness.verdict(now) {
                        return End::Cut(cut);
                    }
                    timer.as_mut().reset((now + every).into());
                }
            }
        }
    }

    /// Writes what the session owes, then reads if it wants to: `Ready`
    /// once either moved something (the read, if any, and the bytes
    /// sent), `Pending` (woken by the socket) when neither could.
    fn poll_move(
        &mut self,
        cx: &mut Context<'_>,
        stats: &ServerStats,
    ) -> Poll<Result<(Option<Read>, usize), End>> {
        let before = self.session.output().len();
        if let Poll::Ready(Err(e)) = io::poll_flush(cx, &mut self.stream, &mut self.session, stats)
        {
            return Poll::Ready(Err(End::Io(e)));
        }
        let sent = before.saturating_sub(self.session.output().len());
        if self.session.wants_read() {
            if let Poll::Ready(read) = io::poll_read(cx, &mut self.stream, &mut self.session, stats)
            {
                return Poll::Ready(read.map(|read| (Some(read), sent)));
            }
        }
        // Output that left may have finished the connection, or brought
        // it to rest: the turn looks again.
        if sent > 0 {
            return Poll::Ready(Ok((None, sent)));
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use sockmodes_common::Service;
    use sockmodes_serving::ServerConfig;

    use super::*;

    #[test]
    fn a_connection_future_is_under_half_the_stated_overhead() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let _client = TcpStream::connect(addr).await.unwrap();
            let (stream, peer) = listener.accept().await.unwrap();
            let config = ServerConfig::new(addr, Service::Echo);
            let shared = Shared::new(config, Arc::new(|_, _| {}));
            let slot = Slot::admit(&shared).expect("a slot");
            let task = serve(stream, peer, slot);
            let size = std::mem::size_of_val(&task);
            eprintln!("the connection's future: {size} bytes");
            assert!(
                size <= crate::CONNECTION_OVERHEAD / 2,
                "the connection's future is {size} bytes"
            );
        });
    }
}
