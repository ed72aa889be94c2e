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

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Registry, Token};
use sockmodes_client::{AtServer, ClientError};
use sockmodes_common::{ClientSession, Service};
use sockmodes_python::{interrupted, would_block, Mode, Op, SocketError};

mod events;

pub use events::{Event, Outbox};

use crate::slab::Slab;
use crate::timer::Timer;

/// The loop's one read buffer, which every connection reads into.
///
/// Why 1 MiB: one read takes what a loopback socket holds at once, so a
/// connection streaming a large frame is served one read a turn and the
/// others get theirs (with 64 KiB, a connection whose server kept sending
/// was read again and again while the rest waited: 100 connections of
/// 16 MiB frames saw first answers after 15 to 37 s, not 5). One per loop,
/// not per connection: a few loops hold a few MiB whatever the frame size.
const SCRATCH: usize = 1024 * 1024;

/// The token of the precise timer; connection ids are slab keys, far below.
const TIMER: Token = Token(usize::MAX);

struct Conn {
    stream: TcpStream,
    peer: SocketAddr,
    connected: bool,
    session: ClientSession,
    interest: Interest,
}

/// Many non-blocking client connections driven by one `Poll`.
pub struct MultiClient {
    poll: Poll,
    timer: Timer,
    events: Events,
    conns: Slab<Conn>,
    service: Service,
    max_frame: usize,
    wakeups: u64,
    /// Where every connection reads (one read at a time).
    scratch: Vec<u8>,
}

impl MultiClient {
    /// An empty driver of echo connections; answers are limited to
    /// `max_frame` bytes.
    ///
    /// # Errors
    /// Creating the `Poll` failed.
    pub fn new(max_frame: usize) -> io::Result<MultiClient> {
        MultiClient::with_service(Service::Echo, max_frame)
    }

    /// An empty driver whose connections speak `service`.
    ///
    /// # Errors
    /// Creating the `Poll` failed.
    pub fn with_service(service: Service, max_frame: usize) -> io::Result<MultiClient> {
        let poll = Poll::new()?;
        let timer = Timer::register(poll.registry(), TIMER)?;
        Ok(MultiClient {
            poll,
            timer,
            // Why 1024: as the server's loop; one call drains a large burst.
            events: Events::with_capacity(1024),
            conns: Slab::default(),
            service,
            max_frame,
            wakeups: 0,
            scratch: vec![0; SCRATCH],
        })
    }

    /// Starts a non-blocking connect; `Event::Connected` or `Event::Failed`
    /// follows. Returns the connection's id.
    ///
    /// # Errors
    /// Failures the kernel reports at once (e.g. out of descriptors).
    pub fn connect(&mut self, addr: SocketAddr) -> Result<usize, ClientError> {
        let err = SocketError::on(Op::Connect, addr, Mode::NonBlocking);
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

    /// Returns from `poll` so far.
    pub fn wakeups(&self) -> u64 {
        self.wakeups
    }

    /// Queues output on connection `id` outside an event (open loop) and writes
    /// what the socket takes now. Returns `false` for an unknown id.
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
            if let Err(e) = conn.flush(Token(id), registry) {
                self.conns.remove(id);
                return Err(e);
            }
        }
        Ok(true)
    }

    /// Waits until `deadline` (precisely, through a timerfd; `None`: until an
    /// event) for events and handles them all.
    ///
    /// # Errors
    /// A failed `poll` (per-connection failures are events, not errors).
    pub fn poll_until<H>(&mut self, deadline: Option<Instant>, handler: H) -> io::Result<()>
    where
        H: FnMut(usize, Event, &mut Outbox<'_>),
    {
        if let Some(at) = deadline {
            self.timer.arm(at)?;
        }
        self.poll(None, handler)
    }

    /// Waits up to `timeout` (millisecond resolution: see [`poll_until`](Self::poll_until))
    /// for events and handles them all.
    ///
    /// # Errors
    /// A failed `poll` (per-connection failures are events, not errors).
    pub fn poll<H>(&mut self, timeout: Option<Duration>, mut handler: H) -> io::Result<()>
    where
        H: FnMut(usize, Event, &mut Outbox<'_>),
    {
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => {}
            Err(e) if interrupted(&e) => return Ok(()),
            Err(e) => return Err(e),
        }
        self.wakeups += 1;
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
        let registry = self.poll.registry();
        for (id, short_read_drains) in ids {
            let Some(conn) = self.conns.get_mut(id) else {
                continue; // removed earlier in this batch
            };
            let step = conn.step(
                id,
                registry,
                &mut self.scratch,
                short_read_drains,
                &mut handler,
            );
            if !conn.settle(id, step, &mut handler) {
                self.conns.remove(id);
            }
        }
        Ok(())
    }
}

impl Conn {
    fn err(&self, op: Op) -> impl Fn(io::Error) -> ClientError + '_ {
        move |e| SocketError::new(op, self.peer, Mode::NonBlocking, e).into()
    }

    /// Says how a [`step`](Self::step) ended the connection, if it did;
    /// `false` when the connection is done and must go.
    fn settle<H>(&mut self, id: usize, step: Result<bool, ClientError>, handler: &mut H) -> bool
    where
        H: FnMut(usize, Event, &mut Outbox<'_>),
    {
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

    fn emit<H>(&mut self, id: usize, event: Event, handler: &mut H)
    where
        H: FnMut(usize, Event, &mut Outbox<'_>),
    {
        let mut outbox = Outbox::new(&mut self.session, self.peer);
        handler(id, event, &mut outbox);
    }

    /// The handshake's end, once: `Ok(false)` while still in progress.
    fn finish_connect<H>(&mut self, id: usize, handler: &mut H) -> Result<bool, ClientError>
    where
        H: FnMut(usize, Event, &mut Outbox<'_>),
    {
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
    /// would block, then flushes. `Ok(false)` at the server's end of stream.
    fn step<H>(
        &mut self,
        id: usize,
        registry: &Registry,
        scratch: &mut [u8],
        short_read_drains: bool,
        handler: &mut H,
    ) -> Result<bool, ClientError>
    where
        H: FnMut(usize, Event, &mut Outbox<'_>),
    {
        if !self.connected && !self.finish_connect(id, handler)? {
            return Ok(true);
        }
        let peer = self.peer;
        loop {
            match self.stream.read(scratch) {
                Ok(0) => {
                    self.session.received_eof().map_err(|e| e.at(peer))?;
                    self.dispatch(id, handler);
                    return Ok(false);
                }
                Ok(n) => {
                    self.session
                        .received_from(&scratch[..n])
                        .map_err(|e| e.at(peer))?;
                    self.dispatch(id, handler);
                    if short_read_drains && n < scratch.len() {
                        break;
                    }
                }
                Err(e) if would_block(&e) => break,
                Err(e) if interrupted(&e) => {}
                Err(e) => return Err(self.err(Op::Recv)(e)),
            }
        }
        self.flush(Token(id), registry)?;
        Ok(true)
    }

    /// Hands the session's answers to the handler, in order (a close is
    /// said once, by `settle`).
    fn dispatch<H>(&mut self, id: usize, handler: &mut H)
    where
        H: FnMut(usize, Event, &mut Outbox<'_>),
    {
        while let Some(event) = self.session.next_event() {
            if let Some(event) = Event::of(event) {
                self.emit(id, event, handler);
            }
        }
    }

    /// Writes until done or WouldBlock, then sets interest from state.
    fn flush(&mut self, token: Token, registry: &Registry) -> Result<(), ClientError> {
        while self.session.wants_write() {
            match self.stream.write(self.session.output()) {
                Ok(0) => return Err(self.err(Op::Send)(io::ErrorKind::WriteZero.into())),
                Ok(n) => self.session.wrote(n),
                Err(e) if would_block(&e) => break,
                Err(e) if interrupted(&e) => {}
                Err(e) => return Err(self.err(Op::Send)(e)),
            }
        }
        if self.session.wants_shutdown() {
            self.stream
                .shutdown(Shutdown::Write)
                .map_err(self.err(Op::Send))?;
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
