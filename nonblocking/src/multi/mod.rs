//! Many client connections on one `Poll`: the engine of the non-blocking load
//! generator.
//!
//! Each connection drives a [`ClientSession`] (`common`): the session pairs
//! answers with requests and checks them as they stream in, so this file
//! only moves bytes. The caller reacts to [`Event`]s in a handler that gets
//! the connection's [`Outbox`]: on `Connected` or on each `Answered` it may
//! queue the next request (closed loop), or it queues requests between
//! polls on a schedule (open loop). Output is written until `WouldBlock`;
//! the rest waits for a WRITABLE event, registered only while output is
//! pending. Every connection reads into one buffer of the loop's, so a
//! connection holds only its session's staged output, whatever the frame
//! size.
//!
//! As in the event-loop server, each connection moves at most one
//! [`Budget`] of bytes per turn (`serving/src/turn.rs`, [`TURN_BYTES`]), reading and
//! writing, and one that spends it with bytes left is driven once more next
//! turn, after the others, without waiting for an event. A load generator
//! that let one connection write its whole 16 MiB request, or read a
//! server's whole burst, before the next connection's turn would measure
//! its own order of service as the server's unfairness.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Registry, Token};
use sockmodes_client::handler::OnEvent;
use sockmodes_client::{AtServer, ClientError};
use sockmodes_common::{ClientSession, Service};
use sockmodes_os::net;
use sockmodes_python::{interrupted, would_block, Op, SocketError, SocketMode};

mod events;

pub use events::{Event, Outbox};

use crate::slab::Slab;
use crate::timer::Timer;
pub use crate::turn::TURN_BYTES;
use crate::turn::{Budget, Requeue};

/// The loop's one read buffer, which every connection reads into.
///
/// Why [`TURN_BYTES`]: no read may take more than a turn's share, so a
/// larger buffer would never fill; a connection streaming a large frame is
/// served one share a turn and the others get theirs. One per loop, not per
/// connection: a few loops hold about a MiB whatever the frame size.
const SCRATCH: usize = TURN_BYTES;

/// The token of the precise timer; connection ids are slab keys, far below.
const TIMER: Token = Token(usize::MAX);

struct Conn {
    stream: TcpStream,
    peer: SocketAddr,
    connected: bool,
    session: ClientSession,
    interest: Interest,
    /// The turn's budget ran out with bytes left to move: drive it again
    /// after the others, without an event.
    again: bool,
    /// On the requeue list.
    requeued: bool,
    /// The loop's turn in which it was last driven (once a turn).
    turn: u64,
}

/// Many non-blocking client connections driven by one `Poll`.
pub struct ManyClient {
    poll: Poll,
    timer: Timer,
    events: Events,
    conns: Slab<Conn>,
    service: Service,
    max_frame: usize,
    wakeups: u64,
    /// Where every connection reads (one read at a time).
    scratch: Vec<u8>,
    /// Connections whose budget ran out with bytes left to move.
    requeue: Requeue,
}

impl ManyClient {
    /// An empty driver of echo connections; answers are limited to
    /// `max_frame` bytes.
    ///
    /// # Errors
    /// Creating the `Poll` failed.
    pub fn new(max_frame: usize) -> io::Result<ManyClient> {
        ManyClient::with_service(Service::Echo, max_frame)
    }

    /// An empty driver whose connections speak `service`.
    ///
    /// # Errors
    /// Creating the `Poll` failed.
    pub fn with_service(service: Service, max_frame: usize) -> io::Result<ManyClient> {
        let poll = Poll::new()?;
        let timer = Timer::register(poll.registry(), TIMER)?;
        Ok(ManyClient {
            poll,
            timer,
            // Why 1024: as the server's loop; one call drains a large burst.
            events: Events::with_capacity(1024),
            conns: Slab::default(),
            service,
            max_frame,
            wakeups: 0,
            scratch: vec![0; SCRATCH],
            requeue: Requeue::default(),
        })
    }

    /// Starts a non-blocking connect; `Event::Connected` or `Event::Failed`
    /// follows. Returns the connection's id.
    ///
    /// # Errors
    /// Failures the kernel reports at once (e.g. out of descriptors).
    pub fn connect(&mut self, addr: SocketAddr) -> Result<usize, ClientError> {
        let err = SocketError::on(Op::Connect, addr, SocketMode::NonBlocking);
        let mut stream = TcpStream::connect(addr).map_err(&err)?;
        let id = self.conns.next_key();
        let interest = Interest::READABLE | Interest::WRITABLE;
        self.poll
            .registry()
            .register(&mut stream, Token(id), interest)
            .map_err(&err)?;
        self.conns.insert(Conn {
            stream,
            peer: addr,
            connected: false,
            session: ClientSession::new(self.service, self.max_frame),
            interest,
            again: false,
            requeued: false,
            turn: 0,
        });
        Ok(id)
    }

    /// Open connections.
    pub fn len(&self) -> usize {
        self.conns.len()
    }

    /// True when no connection is open.
    pub fn is_empty(&self) -> bool {
        self.conns.is_empty()
    }

    /// Queues output on connection `id` outside an event (open loop) and writes
    /// what the socket takes now, up to one turn's share (the rest goes
    /// with the next turn). Returns `false` for an unknown id.
    ///
    /// # Errors
    /// What `fill` returns, or a write failure; after a write failure the
    /// connection is removed.
    pub fn with_outbox(
        &mut self,
        id: usize,
        fill: impl FnOnce(&mut Outbox<'_>) -> Result<(), ClientError>,
    ) -> Result<bool, ClientError> {
        let registry = self.poll.registry();
        let Some(conn) = self.conns.get_mut(id) else {
            return Ok(false);
        };
        fill(&mut Outbox::new(&mut conn.session, conn.peer))?;
        if conn.connected {
            let mut budget = Budget::FULL;
            if let Err(e) = conn.flush(Token(id), registry, &mut budget) {
                self.conns.remove(id);
                return Err(e);
            }
            if conn.again {
                self.requeue.push(id, &mut conn.requeued);
            }
        }
        Ok(true)
    }

    /// Waits until `deadline` (precisely, through a timerfd; `None`: until an
    /// event) for events and handles them all.
    ///
    /// # Errors
    /// A failed `poll` (per-connection failures are events, not errors).
    pub fn poll_until(
        &mut self,
        deadline: Option<Instant>,
        handler: impl OnEvent,
    ) -> io::Result<()> {
        if let Some(at) = deadline {
            self.timer.arm(at)?;
        }
        self.poll(None, handler)
    }

    /// Waits up to `timeout` (millisecond resolution: see [`poll_until`](Self::poll_until))
    /// for events and handles them all; then drives, once more, the
    /// connections whose last turn spent its budget (with some, it does
    /// not wait).
    ///
    /// # Errors
    /// A failed `poll` (per-connection failures are events, not errors).
    pub fn poll(&mut self, timeout: Option<Duration>, mut handler: impl OnEvent) -> io::Result<()> {
        let timeout = if self.requeue.is_empty() {
            timeout
        } else {
            Some(Duration::ZERO)
        };
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => {}
            Err(e) if interrupted(&e) => return Ok(()),
            Err(e) => return Err(e),
        }
        self.wakeups += 1;
        let turn = self.wakeups;
        let mut ids = Vec::with_capacity(self.events.iter().count());
        for event in self.events.iter() {
            if event.token() == TIMER {
                self.timer.clear();
            } else {
                // As in the server (`conn.rs`): a short read may end the read
                // loop, one syscall less per message, unless the event
                // already reported end of stream or an error, and only where
                // edge-triggered readiness re-arms on new data (Linux epoll).
                let drains =
                    cfg!(target_os = "linux") && !(event.is_read_closed() || event.is_error());
                ids.push((event.token().0, drains));
            }
        }
        // Without an event the receive queue's state is unknown: read on
        // until WouldBlock (or the budget).
        ids.extend(self.requeue.take().into_iter().map(|id| (id, false)));
        let registry = self.poll.registry();
        for (id, short_read_drains) in ids {
            let Some(conn) = self.conns.get_mut(id) else {
                continue; // removed earlier in this batch
            };
            if conn.turn == turn {
                continue; // driven already: an event and the requeue both named it
            }
            conn.turn = turn;
            conn.requeued = false; // driven now: it may be queued anew
            let step = conn.step(
                id,
                registry,
                &mut self.scratch,
                short_read_drains,
                &mut handler,
            );
            if !conn.settle(id, step, &mut handler) {
                self.conns.remove(id);
            } else if conn.again {
                self.requeue.push(id, &mut conn.requeued);
            }
        }
        Ok(())
    }
}

impl Conn {
    fn err(&self, op: Op) -> impl Fn(io::Error) -> ClientError + '_ {
        move |e| SocketError::new(op, self.peer, SocketMode::NonBlocking, e).into()
    }

    /// Says how a [`step`](Self::step) ended the connection, if it did;
    /// `false` when the connection is done and must go.
    fn settle(
        &mut self,
        id: usize,
        step: Result<bool, ClientError>,
        handler: &mut impl OnEvent,
    ) -> bool {
        match step {
            Ok(open) => {
                if !open {
                    self.emit(id, Event::Closed, handler);
                }
                open
            }
            Err(e) => {
                self.emit(id, Event::Failed(e), handler);
                false
            }
        }
    }

    fn emit(&mut self, id: usize, event: Event, handler: &mut impl OnEvent) {
        let mut outbox = Outbox::new(&mut self.session, self.peer);
        handler(id, event, &mut outbox);
    }

    /// The handshake's end, once: `Ok(false)` while still in progress.
    fn finish_connect(
        &mut self,
        id: usize,
        handler: &mut impl OnEvent,
    ) -> Result<bool, ClientError> {
        if let Some(e) = self.stream.take_error().map_err(self.err(Op::Connect))? {
            return Err(self.err(Op::Connect)(e));
        }
        match self.stream.peer_addr() {
            Ok(_) => {
                self.connected = true;
                self.stream
                    .set_nodelay(true)
                    .map_err(self.err(Op::Configure))?;
                self.emit(id, Event::Connected, handler);
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
            Err(e) => Err(self.err(Op::Connect)(e)),
        }
    }

    /// Handles readiness: finishes the handshake, reads until the socket
    /// would block, then flushes, all within one turn's [`Budget`] (`again`
    /// says it ran out first). `Ok(false)` at the server's end of stream.
    fn step(
        &mut self,
        id: usize,
        registry: &Registry,
        scratch: &mut [u8],
        short_read_drains: bool,
        handler: &mut impl OnEvent,
    ) -> Result<bool, ClientError> {
        self.again = false;
        if !self.connected && !self.finish_connect(id, handler)? {
            return Ok(true);
        }
        let peer = self.peer;
        let mut budget = Budget::FULL;
        loop {
            if budget.spent() {
                self.again = true; // bytes may be left: no event would say so
                break;
            }
            let offered = budget.cap(scratch.len());
            budget.read();
            match self.stream.read(&mut scratch[..offered]) {
                Ok(0) => {
                    self.session.received_eof().map_err(|e| e.at(peer))?;
                    self.dispatch(id, handler);
                    return Ok(false);
                }
                Ok(n) => {
                    budget.spend(n);
                    self.session
                        .received_from(&scratch[..n])
                        .map_err(|e| e.at(peer))?;
                    self.dispatch(id, handler);
                    if short_read_drains && n < offered {
                        break;
                    }
                }
                Err(e) if would_block(&e) => break,
                Err(e) if interrupted(&e) => {}
                Err(e) => return Err(self.err(Op::Recv)(e)),
            }
        }
        self.flush(Token(id), registry, &mut budget)?;
        Ok(true)
    }

    /// Hands the session's answers to the handler, in order (a close is
    /// said once, by `settle`).
    fn dispatch(&mut self, id: usize, handler: &mut impl OnEvent) {
        while let Some(event) = self.session.next_event() {
            if let Some(event) = Event::of(event) {
                self.emit(id, event, handler);
            }
        }
    }

    /// Writes until done, WouldBlock or the end of `budget` (then sets
    /// `again`), then sets interest from state.
    fn flush(
        &mut self,
        token: Token,
        registry: &Registry,
        budget: &mut Budget,
    ) -> Result<(), ClientError> {
        while self.session.wants_write() {
            if budget.bytes == 0 {
                self.again = true; // the socket may take more: no event would say so
                break;
            }
            let out = self.session.output();
            match self.stream.write(&out[..budget.cap(out.len())]) {
                Ok(0) => return Err(self.err(Op::Send)(io::ErrorKind::WriteZero.into())),
                Ok(n) => {
                    budget.spend(n);
                    self.session.wrote(n);
                }
                Err(e) if would_block(&e) => break,
                Err(e) if interrupted(&e) => {}
                Err(e) => return Err(self.err(Op::Send)(e)),
            }
        }
        if self.session.wants_shutdown() {
            net::shutdown_write(&self.stream).map_err(self.err(Op::Send))?;
            self.session.shut_down();
        }
        let want = if self.session.wants_write() {
            Interest::READABLE | Interest::WRITABLE
        } else {
            Interest::READABLE
        };
        if want != self.interest {
            registry
                .reregister(&mut self.stream, token, want)
                .map_err(self.err(Op::Configure))?;
            self.interest = want;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;
    use std::net::TcpListener;
    use std::thread;

    use sockmodes_common::HEADER_LEN;

    use super::*;

    /// A peer that reads and drops everything until the client closes;
    /// joined, it says how many bytes it took.
    fn sink() -> (SocketAddr, thread::JoinHandle<usize>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let peer = thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = vec![0; 64 * 1024];
            let mut total = 0;
            loop {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => return total,
                    Ok(n) => total += n,
                }
            }
        });
        (addr, peer)
    }

    #[test]
    fn a_large_request_leaves_one_share_a_turn_until_all_of_it_is_sent() {
        let (addr, peer) = sink();
        let frame = vec![7u8; 8 * TURN_BYTES];
        let mut multi = ManyClient::new(frame.len()).unwrap();
        let id = multi.connect(addr).unwrap();
        // Not a timing threshold: only a bound on a hung test.
        let give_up = Instant::now() + Duration::from_secs(120);
        while !multi.conns.get_mut(id).unwrap().connected {
            assert!(Instant::now() < give_up, "never connected");
            multi
                .poll(Some(Duration::from_millis(100)), |_, _, _| {})
                .unwrap();
        }
        let unsent = |m: &mut ManyClient| m.conns.get_mut(id).unwrap().session.unsent();
        multi.with_outbox(id, |out| out.send_frame(&frame)).unwrap();
        let mut left = unsent(&mut multi);
        assert!(
            left >= (frame.len() - TURN_BYTES) as u64,
            "queueing wrote {} bytes at once, more than one share",
            frame.len() as u64 - left
        );
        while left > 0 {
            assert!(Instant::now() < give_up, "{left} bytes never sent");
            multi
                .poll(Some(Duration::from_millis(100)), |_, _, _| {})
                .unwrap();
            let now = unsent(&mut multi);
            assert!(
                left - now <= TURN_BYTES as u64,
                "one turn wrote {} bytes",
                left - now
            );
            left = now;
        }
        drop(multi);
        assert_eq!(peer.join().unwrap(), HEADER_LEN + frame.len());
    }
}
