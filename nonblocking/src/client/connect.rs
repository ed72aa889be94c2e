//! Connecting without waiting: the handshake starts, the call returns at
//! once, and a later WRITABLE event says how it ended. A refusal is only
//! seen then, through `take_error` (`ConnectionRefusedError`).

use std::io;
use std::net::SocketAddr;

use mio::net::TcpStream;
use mio::{Events, Interest, Poll};
use sockmodes_client::error::retry_refused;
use sockmodes_client::Exchange;
use sockmodes_client::{ClientError, ClientSettings};
use sockmodes_python::{would_block, Op, SocketError, SocketMode};

use super::{Client, WouldBlockCounts, ME};

impl Client {
    /// Starts a connect and returns at once, with the handshake in progress
    /// (the kernel said `EINPROGRESS`; mio returns `Ok`). Even a refused
    /// connect succeeds here: the refusal arrives with a later event.
    ///
    /// # Errors
    /// Failures the kernel reports at once (e.g. an unusable address).
    pub fn connect_start(
        addr: SocketAddr,
        settings: &ClientSettings,
    ) -> Result<Client, ClientError> {
        let err = SocketError::on(Op::Connect, addr, SocketMode::NonBlocking);
        let poll = Poll::new().map_err(&err)?;
        let mut stream = TcpStream::connect(addr).map_err(&err)?;
        poll.registry()
            .register(&mut stream, ME, Interest::READABLE | Interest::WRITABLE)
            .map_err(&err)?;
        Ok(Client {
            poll,
            // Why 8: one socket produces at most a readable and a writable event.
            events: Events::with_capacity(8),
            stream,
            peer: addr,
            connected: false,
            nodelay: settings.nodelay,
            timeout: settings.timeout,
            x: Exchange::new(addr, settings.max_frame),
            counts: WouldBlockCounts::default(),
            wakeups: 0,
        })
    }

    /// Connects, waiting in `poll` for the handshake, retrying refusals as
    /// `settings` say.
    ///
    /// # Errors
    /// `ConnectionRefusedError` (from `take_error` after the event),
    /// `TimeoutError`, ...
    pub fn connect(addr: SocketAddr, settings: &ClientSettings) -> Result<Client, ClientError> {
        let attempt = || {
            let mut client = Client::connect_start(addr, settings)?;
            client.wait_connected().map(|()| client)
        };
        let (first, retries) = (settings.retry_backoff, settings.retries);
        retry_refused(addr, first, retries, attempt, std::thread::sleep)
    }

    /// Checks once, without waiting, whether the handshake finished:
    /// `Ok(true)` connected, `Ok(false)` still in progress (counted as a
    /// WouldBlock), `Err` for a refusal or other failure.
    ///
    /// # Errors
    /// The connect failure, classified.
    pub fn try_finish_connect(&mut self) -> Result<bool, ClientError> {
        if self.connected {
            return Ok(true);
        }
        let err = SocketError::on(Op::Connect, self.peer, SocketMode::NonBlocking);
        if let Some(e) = self.stream.take_error().map_err(&err)? {
            return Err(err(e).into());
        }
        match self.stream.peer_addr() {
            Ok(_) => {
                self.connected = true;
                self.stream.set_nodelay(self.nodelay).map_err(&err)?;
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::NotConnected || would_block(&e) => {
                self.counts.connect += 1;
                Ok(false)
            }
            Err(e) => Err(err(e).into()),
        }
    }

    /// Waits in `poll` until the handshake finished.
    ///
    /// # Errors
    /// As [`try_finish_connect`](Self::try_finish_connect), or `TimeoutError`.
    pub fn wait_connected(&mut self) -> Result<(), ClientError> {
        let deadline = self.deadline();
        while !self.try_finish_connect()? {
            self.wait(Op::Connect, deadline)?;
        }
        Ok(())
    }
}
