//! The completion client: connections whose connects, sends and receives
//! are operations on an io_uring, each driving a common
//! [`ClientSession`](sockmodes_common::ClientSession).
//!
//! - [`ManyClient`]: many connections on one ring, the engine of the load
//!   generator's completion mode. Same calls and events as the event
//!   loop's `ManyClient` ([`ConnEvent`], [`Outbox`] from `common`), so one
//!   load engine drives either; only the waiting differs. Where the event
//!   loop is told "connection 7 is readable" and then reads it, the ring
//!   is told "connection 7's receive finished, here are its bytes".
//! - [`Client`] (`single.rs`): one connection, the `sockmodes client
//!   --mode completion` driver.
//! - `conn.rs`: one connection's operations and buffers.
//!
//! A turn of the loop is one `io_uring_enter`: it submits the operations
//! queued since the last turn (the handler's new requests among them) and
//! waits for completions, or for the caller's deadline (the kernel's own
//! timeout: precise, no timer descriptor).

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sockmodes_client::handler::OnEvent;
use sockmodes_client::ClientError;
use sockmodes_client::{ConnEvent, Exchange, Outbox};
use sockmodes_common::{ClientSession, Service};
use sockmodes_python::{Op, SocketError, SocketMode};
use sockmodes_serving::slab::Slab;

mod conn;
mod single;

use crate::conn::loan;
use crate::pool::Pool;
use crate::ring::{Completion, Ring};
use conn::{decode, Conn, Step};
pub use single::Client;

/// Submission queue slots.
///
/// Why 1024: a turn queues at most a send and a receive per busy
/// connection; a fuller queue is submitted early (`Ring::push`), so this
/// bounds batching, not connections.
const RING_ENTRIES: u32 = 1024;

/// Receive buffers in a client ring's pool (16 KiB each: 4 MiB).
///
/// Why 256: the generator's answers are read and dropped at once, so a
/// buffer is held only between its completion and the next line; a turn
/// with more than 256 receives finishing waits for the next (first come,
/// first served: `pool.rs`). A server's pool is larger (1,024) because it
/// holds requests while it answers them.
pub const CLIENT_POOL_BUFFERS: u16 = 256;

/// Many client connections driven by one io_uring.
///
/// `ring` is the first field, so it is dropped before the pool and the
/// connections whose buffers its operations name ([`Drop`] first waits
/// for every operation to end).
pub struct ManyClient {
    ring: Ring,
    pool: Pool,
    conns: Slab<Conn>,
    service: Service,
    max_frame: usize,
    /// Connections the caller still hears about (not dead).
    live: usize,
    completions: Vec<Completion>,
    touched: Vec<usize>,
}

impl ManyClient {
    /// An empty driver whose connections speak `service`; answers are
    /// limited to `max_frame` bytes.
    ///
    /// # Errors
    /// The kernel refused the ring or its buffer pool (see [`crate::probe`]).
    pub fn with_service(service: Service, max_frame: usize) -> io::Result<ManyClient> {
        let (ring, pool) = ring_and_pool(RING_ENTRIES, CLIENT_POOL_BUFFERS)?;
        Ok(ManyClient {
            ring,
            pool,
            conns: Slab::default(),
            service,
            max_frame,
            live: 0,
            completions: Vec::with_capacity(RING_ENTRIES as usize),
            touched: Vec::new(),
        })
    }

    /// Starts a connect (an operation on the ring); `ConnEvent::Connected`
    /// or `ConnEvent::Failed` follows. Returns the connection's id.
    ///
    /// # Errors
    /// Failures the kernel reports at once (out of descriptors).
    pub fn connect(&mut self, addr: SocketAddr) -> Result<usize, ClientError> {
        let mut x = Exchange::new(addr, self.max_frame);
        x.session = ClientSession::new(self.service, self.max_frame);
        let conn = Conn::open(x, SocketMode::NonBlocking, true)?;
        let id = self.conns.insert(conn);
        let conn = self.conns.get_mut(id).expect("just inserted");
        // SAFETY: the connection stays in the slab until nothing of it is
        // in flight (`release`).
        if let Err(e) = unsafe { conn.post_connect(id, &mut self.ring) } {
            self.conns.remove(id);
            return Err(SocketError::new(Op::Connect, addr, SocketMode::NonBlocking, e).into());
        }
        self.live += 1;
        Ok(id)
    }

    /// Open connections.
    pub fn len(&self) -> usize {
        self.live
    }

    /// True when no connection is open.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Queues output on connection `id` outside an event (open loop); it
    /// goes out with the next turn's submission. Returns `false` for an
    /// unknown or ended id.
    ///
    /// # Errors
    /// What `fill` returns, or a failure to queue the operation; after the
    /// latter the connection is ended.
    pub fn with_outbox(
        &mut self,
        id: usize,
        fill: impl FnOnce(&mut Outbox<'_>) -> Result<(), ClientError>,
    ) -> Result<bool, ClientError> {
        let Some(conn) = self.conns.get_mut(id).filter(|c| !c.dead) else {
            return Ok(false);
        };
        fill(&mut Outbox::new(&mut conn.x.session, conn.x.peer))?;
        // SAFETY: as in `connect`.
        if let Err(e) = unsafe { conn.post(id, &mut self.ring) } {
            self.end(id);
            return Err(e);
        }
        Ok(true)
    }

    /// Waits until `deadline` (the kernel's timeout, to the microsecond;
    /// `None`: until a completion) and handles every completion.
    ///
    /// # Errors
    /// A failed `io_uring_enter` (per-connection failures are events).
    pub fn poll_until(
        &mut self,
        deadline: Option<Instant>,
        handler: impl OnEvent,
    ) -> io::Result<()> {
        let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        self.poll(timeout, handler)
    }

    /// Waits up to `timeout` for completions and handles them all.
    ///
    /// # Errors
    /// A failed `io_uring_enter` (per-connection failures are events).
    pub fn poll(&mut self, timeout: Option<Duration>, mut handler: impl OnEvent) -> io::Result<()> {
        self.ring.submit_and_wait(timeout)?;
        self.ring.completions(&mut self.completions);
        let mut completions = std::mem::take(&mut self.completions);
        for c in completions.drain(..) {
            self.complete(c, &mut handler);
        }
        self.completions = completions;
        self.lend(&mut handler);
        let mut touched = std::mem::take(&mut self.touched);
        touched.sort_unstable();
        touched.dedup();
        for id in touched.drain(..) {
            self.post_or_fail(id, &mut handler);
        }
        self.touched = touched;
        Ok(())
    }

    /// One completion: the connection's step, and the events it makes.
    fn complete(&mut self, c: Completion, handler: &mut impl OnEvent) {
        let (id, op) = decode(c.user_data);
        let Some(conn) = self.conns.get_mut(id) else {
            return;
        };
        self.touched.push(id);
        match conn.complete(id, op, c, &mut self.pool) {
            Ok(Step::Quiet | Step::Moved) => self.dispatch(id, handler),
            Ok(Step::Connected) => self.emit(id, ConnEvent::Connected, handler),
            Ok(Step::Eof) => {
                self.dispatch(id, handler);
                self.emit(id, ConnEvent::Closed, handler);
                self.end(id);
            }
            Err(e) => {
                self.dispatch(id, handler);
                self.emit(id, ConnEvent::Failed(e), handler);
                self.end(id);
            }
        }
    }

    /// Hands the session's answers to the handler, in order.
    fn dispatch(&mut self, id: usize, handler: &mut impl OnEvent) {
        while let Some(event) = self
            .conns
            .get_mut(id)
            .and_then(|c| c.x.session.next_event())
        {
            if let Some(event) = ConnEvent::of(event) {
                self.emit(id, event, handler);
            }
        }
    }

    fn emit(&mut self, id: usize, event: ConnEvent, handler: &mut impl OnEvent) {
        if let Some(conn) = self.conns.get_mut(id).filter(|c| !c.dead) {
            handler(
                id,
                event,
                &mut Outbox::new(&mut conn.x.session, conn.x.peer),
            );
        }
    }

    /// Queues what connection `id` needs next; frees it once it ended and
    /// nothing of it is in flight.
    fn post_or_fail(&mut self, id: usize, handler: &mut impl OnEvent) {
        let Some(conn) = self.conns.get_mut(id) else {
            return;
        };
        if conn.dead {
            if !conn.in_flight() {
                self.conns.remove(id);
            }
            return;
        }
        // SAFETY: as in `connect`.
        if let Err(e) = unsafe { conn.post(id, &mut self.ring) } {
            self.emit(id, ConnEvent::Failed(e), handler);
            self.end(id);
        }
    }

    /// The caller hears no more of `id`: its operations are cancelled.
    fn end(&mut self, id: usize) {
        if let Some(conn) = self.conns.get_mut(id).filter(|c| !c.dead) {
            conn.kill(id, &mut self.ring);
            self.live -= 1;
            self.touched.push(id);
        }
    }

    /// Lends the pool's returned buffers to the connections that found it
    /// empty ([`loan::lend`]); a connection whose receive the ring refused
    /// fails.
    fn lend(&mut self, handler: &mut impl OnEvent) {
        // SAFETY: as in `connect`; the pool outlives the receive.
        let (rearmed, failed) =
            unsafe { loan::lend(&mut self.pool, &mut self.ring, &mut self.conns) };
        self.touched.extend(rearmed);
        for (id, e) in failed {
            if let Some(peer) = self.conns.get(id).map(|c| c.x.peer) {
                let e = SocketError::new(Op::Recv, peer, SocketMode::NonBlocking, e);
                self.emit(id, ConnEvent::Failed(e.into()), handler);
                self.end(id);
            }
        }
    }
}

impl Drop for ManyClient {
    /// Ends every connection and waits (a second at most) until the kernel
    /// has finished with their buffers.
    fn drop(&mut self) {
        for id in self.conns.keys() {
            self.end(id);
        }
        drain(&mut self.ring, &mut self.pool, &mut self.conns, true);
    }
}

/// A ring and its registered pool of `buffers` receive buffers.
fn ring_and_pool(entries: u32, buffers: u16) -> io::Result<(Ring, Pool)> {
    let ring = Ring::new(entries).map_err(io::Error::other)?;
    let pool = ring.register_pool(buffers).map_err(|e| {
        io::Error::other(format!(
            "the kernel refused io_uring's provided buffers ({e}; Linux 5.19 has them)"
        ))
    })?;
    Ok((ring, pool))
}

/// Waits, a second at most, until no connection in `conns` has an
/// operation in flight (their completions are taken and dropped); then,
/// with `unregister`, takes the pool back from the kernel.
fn drain(ring: &mut Ring, pool: &mut Pool, conns: &mut Slab<Conn>, unregister: bool) {
    let until = Instant::now() + Duration::from_secs(1);
    let mut completions = Vec::new();
    while conns
        .keys()
        .iter()
        .any(|&k| conns.get(k).is_some_and(Conn::in_flight))
    {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() || ring.submit_and_wait(Some(left)).is_err() {
            break;
        }
        ring.completions(&mut completions);
        for c in completions.drain(..) {
            let (id, op) = decode(c.user_data);
            if let Some(conn) = conns.get_mut(id) {
                let _ = conn.complete(id, op, c, pool);
            }
        }
    }
    if unregister {
        ring.unregister_pool();
    }
}
