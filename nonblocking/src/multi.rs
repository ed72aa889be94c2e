//! Many client connections on one `Poll`: the engine of the non-blocking load
//! generator.
//!
//! The caller reacts to [`Event`]s in a handler that gets the connection's
//! [`Outbox`]: on `Connected` or on each received `Frame` it may queue the
//! next frame (closed loop), or it queues frames between polls on a schedule
//! (open loop). Queued bytes are written until `WouldBlock`; the rest waits for
//! a WRITABLE event, registered only while output is pending.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Registry, Token};
use sockmodes_common::buffer::{ByteQueue, KEEP_CAPACITY};
use sockmodes_common::frame::{encode_frame_into, Decoder};
use sockmodes_common::{interrupted, would_block, ClientError, Mode, Op, SocketError};

use crate::slab::Slab;
use crate::timer::Timer;

/// The token of the precise timer; connection ids are slab keys, far below.
const TIMER: Token = Token(usize::MAX);

/// What happened on one connection.
#[derive(Debug)]
pub enum Event<'a> {
    /// The handshake completed.
    Connected,
    /// A whole frame arrived (borrowed from the connection's buffer).
    Frame(&'a [u8]),
    /// The server closed the connection cleanly; it is removed.
    Closed,
    /// The connection failed; it is removed.
    Failed(ClientError),
}

/// A connection's outbound side, handed to event handlers.
pub struct Outbox<'a> {
    out: &'a mut ByteQueue,
    shutdown: &'a mut bool,
}

impl Outbox<'_> {
    /// Queues one frame (header and payload contiguous, written together).
    ///
    /// # Errors
    /// [`ClientError::TooLarge`] when the payload does not fit in a frame.
    pub fn send_frame(&mut self, payload: &[u8]) -> Result<(), ClientError> {
        encode_frame_into(self.out, payload).map_err(|_| ClientError::TooLarge {
            len: payload.len(),
            max: u32::MAX as usize,
        })
    }

    /// Shuts the write side down once everything queued is written.
    pub fn shutdown_write(&mut self) {
        *self.shutdown = true;
    }

    /// Bytes queued and not yet written.
    pub fn pending(&self) -> usize {
        self.out.len()
    }
}

struct Conn {
    stream: TcpStream,
    peer: SocketAddr,
    connected: bool,
    decoder: Decoder,
    out: ByteQueue,
    shutdown_requested: bool,
    write_shut: bool,
    interest: Interest,
}

/// Many non-blocking client connections driven by one `Poll`.
pub struct MultiClient {
    poll: Poll,
    timer: Timer,
    events: Events,
    conns: Slab<Conn>,
    max_frame: usize,
    wakeups: u64,
}

impl MultiClient {
    /// An empty driver; frames from servers are limited to `max_frame` bytes.
    ///
    /// # Errors
    /// Creating the `Poll` failed.
    pub fn new(max_frame: usize) -> io::Result<MultiClient> {
        let poll = Poll::new()?;
        let timer = Timer::register(poll.registry(), TIMER)?;
        Ok(MultiClient {
            poll,
            timer,
            // Why 1024: as the server's loop; one call drains a large burst.
            events: Events::with_capacity(1024),
            conns: Slab::default(),
            max_frame,
            wakeups: 0,
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
            decoder: Decoder::new(self.max_frame),
            out: ByteQueue::new(),
            shutdown_requested: false,
            write_shut: false,
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
        fill(&mut Outbox {
            out: &mut conn.out,
            shutdown: &mut conn.shutdown_requested,
        })?;
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
        H: FnMut(usize, Event<'_>, &mut Outbox<'_>),
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
        H: FnMut(usize, Event<'_>, &mut Outbox<'_>),
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
            if !conn.drive(id, registry, short_read_drains, &mut handler) {
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

    /// Handles readiness; `false` when the connection is done and must go.
    fn drive<H>(
        &mut self,
        id: usize,
        registry: &Registry,
        short_read_drains: bool,
        handler: &mut H,
    ) -> bool
    where
        H: FnMut(usize, Event<'_>, &mut Outbox<'_>),
    {
        match self.step(id, registry, short_read_drains, handler) {
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

    fn emit<H>(&mut self, id: usize, event: Event<'_>, handler: &mut H)
    where
        H: FnMut(usize, Event<'_>, &mut Outbox<'_>),
    {
        let mut outbox = Outbox {
            out: &mut self.out,
            shutdown: &mut self.shutdown_requested,
        };
        handler(id, event, &mut outbox);
    }

    fn step<H>(
        &mut self,
        id: usize,
        registry: &Registry,
        short_read_drains: bool,
        handler: &mut H,
    ) -> Result<bool, ClientError>
    where
        H: FnMut(usize, Event<'_>, &mut Outbox<'_>),
    {
        if !self.connected {
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
                }
                Err(e) if e.kind() == io::ErrorKind::NotConnected => return Ok(true),
                Err(e) => return Err(self.err(Op::Connect)(e)),
            }
        }
        loop {
            let space = self.decoder.read_space();
            let offered = space.len();
            match self.stream.read(space) {
                Ok(0) => {
                    let peer = self.peer;
                    self.decoder
                        .finish()
                        .map_err(|source| ClientError::Protocol { addr: peer, source })?;
                    return Ok(false);
                }
                Ok(n) => {
                    self.decoder.filled(n);
                    self.dispatch_frames(id, handler)?;
                    if short_read_drains && n < offered {
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

    fn dispatch_frames<H>(&mut self, id: usize, handler: &mut H) -> Result<(), ClientError>
    where
        H: FnMut(usize, Event<'_>, &mut Outbox<'_>),
    {
        let Conn {
            decoder,
            out,
            shutdown_requested,
            peer,
            ..
        } = self;
        loop {
            let frame = decoder
                .next_frame()
                .map_err(|source| ClientError::Protocol {
                    addr: *peer,
                    source,
                })?;
            let Some(frame) = frame else { return Ok(()) };
            let mut outbox = Outbox {
                out,
                shutdown: shutdown_requested,
            };
            handler(id, Event::Frame(frame), &mut outbox);
        }
    }

    /// Writes until done or WouldBlock, then sets interest from state.
    fn flush(&mut self, token: Token, registry: &Registry) -> Result<(), ClientError> {
        while !self.out.is_empty() {
            match self.stream.write(self.out.as_slice()) {
                Ok(0) => return Err(self.err(Op::Send)(io::ErrorKind::WriteZero.into())),
                Ok(n) => {
                    self.out.consume(n);
                    self.out.release_if_empty(KEEP_CAPACITY);
                }
                Err(e) if would_block(&e) => break,
                Err(e) if interrupted(&e) => {}
                Err(e) => return Err(self.err(Op::Send)(e)),
            }
        }
        if self.out.is_empty() && self.shutdown_requested && !self.write_shut {
            self.stream
                .shutdown(Shutdown::Write)
                .map_err(self.err(Op::Send))?;
            self.write_shut = true;
        }
        let want = if self.out.is_empty() {
            Interest::READABLE
        } else {
            Interest::READABLE | Interest::WRITABLE
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
