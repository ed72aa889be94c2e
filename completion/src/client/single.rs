//! One completion client connection: `sockmodes client --mode completion`.
//!
//! The calls a person uses (echo, a sink upload, a message) are the same
//! for every client and written once over a session (`common`); this file
//! only moves its bytes. Each [`pump`](Client::pump) is one
//! `io_uring_enter`: it submits the connection's send and receive and
//! waits for one of them to finish, or for the timeout. So it reads while
//! it writes, and a frame of any size streams through.
//!
//! Failures are Python's, as the other clients': a refused connect is
//! `ConnectionRefusedError`, a wait past `--timeout` is `TimeoutError`,
//! a server's reset is `ConnectionResetError`.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sockmodes_client::error::{confirm_wait, retry_refused};
use sockmodes_client::Exchange;
use sockmodes_client::{ClientDriver, ClientError, ClientSettings};
use sockmodes_common::ClientEvent;
use sockmodes_python::{Op, SocketError, SocketMode};
use sockmodes_serving::slab::Slab;

use super::conn::{decode, Conn};
use super::{drain, ring_and_pool};
use crate::conn::loan;
use crate::pool::Pool;
use crate::ring::{Completion, Ring};

/// Receive buffers of a single connection's pool (16 KiB each).
///
/// Why 4: one receive is in flight at a time, and its buffer comes back
/// before the next is posted; four leave room and cost 64 KiB.
const SINGLE_POOL_BUFFERS: u16 = 4;

/// Submission slots: a connection has at most a connect, a receive, a send
/// and their cancellations in flight.
const SINGLE_RING_ENTRIES: u32 = 8;

/// A connected completion client.
///
/// `ring` is the first field: it goes before the buffers it names
/// ([`Drop`] first waits for every operation to end).
pub struct Client {
    ring: Ring,
    pool: Pool,
    /// The one connection, under key 0 (a slab so that it shares the
    /// many-connection driver's drain).
    conns: Slab<Conn>,
    peer: SocketAddr,
    /// Blocking, or Timeout with `--timeout` (each wait's bound).
    mode: SocketMode,
    completions: Vec<Completion>,
}

const KEY: usize = 0;

impl Client {
    /// Connects to `addr` with a connect operation on a ring of its own,
    /// retrying refused attempts as `settings` say.
    ///
    /// # Errors
    /// The last attempt's failure, classified (`ConnectionRefusedError`,
    /// `TimeoutError`), or the kernel's refusal of io_uring.
    pub fn connect(addr: SocketAddr, settings: &ClientSettings) -> Result<Client, ClientError> {
        let mode = settings
            .timeout
            .map_or(SocketMode::Blocking, SocketMode::Timeout);
        let (ring, pool) = ring_and_pool(SINGLE_RING_ENTRIES, SINGLE_POOL_BUFFERS)
            .map_err(SocketError::on(Op::Connect, addr, mode))?;
        let mut client = Client {
            ring,
            pool,
            conns: Slab::default(),
            peer: addr,
            mode,
            completions: Vec::new(),
        };
        let attempt = || client.try_connect(addr, settings);
        let (first, retries) = (settings.retry_backoff, settings.retries);
        retry_refused(addr, first, retries, attempt, std::thread::sleep)?;
        Ok(client)
    }

    /// One connect attempt: the socket, the connect operation, and a wait
    /// for its completion.
    fn try_connect(
        &mut self,
        addr: SocketAddr,
        settings: &ClientSettings,
    ) -> Result<(), ClientError> {
        self.close();
        let x = Exchange::new(addr, settings.max_frame);
        let conn = Conn::open(x, self.mode, settings.nodelay)?;
        let key = self.conns.insert(conn);
        debug_assert_eq!(key, KEY);
        // SAFETY: the connection stays in the slab until nothing of it is
        // in flight (`close` drains it).
        let conn = self.conns.get_mut(KEY).expect("just inserted");
        let err = SocketError::on(Op::Connect, addr, self.mode);
        unsafe { conn.post_connect(KEY, &mut self.ring) }.map_err(err)?;
        while !self.conn().connected {
            self.turn(Op::Connect)?;
        }
        Ok(())
    }

    fn conn(&mut self) -> &mut Conn {
        self.conns
            .get_mut(KEY)
            .expect("a client has its connection")
    }

    fn err(&self, op: Op) -> impl Fn(io::Error) -> ClientError {
        let (peer, mode) = (self.peer, self.mode);
        move |e| SocketError::new(op, peer, mode, e).into()
    }

    /// Queues what the connection needs next.
    fn post(&mut self) -> Result<(), ClientError> {
        let conn = self
            .conns
            .get_mut(KEY)
            .expect("a client has its connection");
        // SAFETY: as in `try_connect`.
        unsafe { conn.post(KEY, &mut self.ring) }
    }

    /// One turn: submit, wait for a completion (at most the timeout: then
    /// `TimeoutError` on `op`), take them all.
    fn turn(&mut self, op: Op) -> Result<(), ClientError> {
        self.post()?;
        if !self.conn().in_flight() {
            return Ok(()); // closed and all written: nothing to wait for
        }
        let deadline = self.mode.io_timeout().map(|t| Instant::now() + t);
        loop {
            let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if left == Some(Duration::ZERO) {
                return Err(self.err(op)(io::ErrorKind::TimedOut.into()));
            }
            self.ring.submit_and_wait(left).map_err(self.err(op))?;
            if self.take_completions()? {
                return Ok(());
            }
        }
    }

    /// Takes the completions; true if there was any. A failure ends the
    /// connection (its operations are cancelled).
    fn take_completions(&mut self) -> Result<bool, ClientError> {
        self.ring.completions(&mut self.completions);
        let any = !self.completions.is_empty();
        let mut failed = None;
        for c in std::mem::take(&mut self.completions) {
            let (key, op) = decode(c.user_data);
            let Some(conn) = self.conns.get_mut(key) else {
                continue;
            };
            if let Err(e) = conn.complete(key, op, c, &mut self.pool) {
                failed = failed.or(Some(e));
            }
        }
        // A receive that found the pool empty gets the next buffer back
        // (the next turn posts one that may take it from the ring again).
        // SAFETY: as in `try_connect`; the pool outlives the receive.
        let (_, refused) = unsafe { loan::lend(&mut self.pool, &mut self.ring, &mut self.conns) };
        if let Some((_, e)) = refused.into_iter().next() {
            return Err(self.err(Op::Recv)(e));
        }
        match failed {
            Some(e) => {
                if let Some(conn) = self.conns.get_mut(KEY) {
                    conn.kill(KEY, &mut self.ring);
                }
                Err(e)
            }
            None => Ok(any),
        }
    }

    /// Ends the connection and waits until the kernel is done with it.
    fn close(&mut self) {
        if let Some(conn) = self.conns.get_mut(KEY) {
            conn.kill(KEY, &mut self.ring);
            // The pool stays registered: the next attempt receives into it.
            drain(&mut self.ring, &mut self.pool, &mut self.conns, false);
            self.conns.remove(KEY);
        }
    }
}

impl ClientDriver for Client {
    fn exchange(&mut self) -> &mut Exchange {
        &mut self.conn().x
    }

    /// One `io_uring_enter`: submits the send, the shutdown and the
    /// receive the session needs, and waits for one to finish.
    fn pump(&mut self) -> Result<(), ClientError> {
        // The wait is the send's while bytes wait, else the receive's.
        let op = if self.conn().x.session.wants_write() {
            Op::Send
        } else {
            Op::Recv
        };
        self.turn(op)
    }

    fn flush(&mut self) -> Result<(), ClientError> {
        loop {
            self.post()?;
            let s = &self.conn().x.session;
            if !s.wants_write() && !s.wants_shutdown() {
                return Ok(());
            }
            self.pump()?;
        }
    }

    /// Waits for the close, by the kernel's timeout, and no longer.
    fn await_close(&mut self) -> Result<bool, ClientError> {
        let until = Instant::now() + confirm_wait(self.mode.io_timeout());
        loop {
            if let Some(event) = self.conn().x.session.next_event() {
                return Ok(event == ClientEvent::Confirmed);
            }
            let left = until.saturating_duration_since(Instant::now());
            self.post()?;
            if left.is_zero() || !self.conn().in_flight() {
                return Ok(false);
            }
            self.ring
                .submit_and_wait(Some(left))
                .map_err(self.err(Op::Recv))?;
            self.take_completions()?;
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if let Some(conn) = self.conns.get_mut(KEY) {
            conn.kill(KEY, &mut self.ring);
        }
        drain(&mut self.ring, &mut self.pool, &mut self.conns, true);
    }
}
