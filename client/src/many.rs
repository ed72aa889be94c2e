//! Many sessions driven by one thread: what a driver of many connections
//! (a mio loop, an io_uring) tells its caller, and what the caller may do
//! to a connection from inside that news.
//!
//! Both many-connection drivers speak these two types, so a load engine
//! written against them runs on either: the drivers differ only in how
//! they wait (readiness or completion), which is the lesson.

use core::net::SocketAddr;

use sockmodes_common::client_session::{ClientEvent, ClientSession, Payload};
use sockmodes_common::summary::SinkSummary;

use crate::error::{AtServer, ClientError};

/// What happened on one connection of a many-connection driver.
#[derive(Debug)]
pub enum ConnEvent {
    /// The handshake completed.
    Connected,
    /// Echo: the answer to request `seq` arrived whole and identical.
    Answered {
        /// The number [`Outbox::send`] returned for the request.
        seq: u64,
        /// Its payload bytes.
        bytes: usize,
    },
    /// Sink: the server's summary arrived and matches what was sent.
    Summary(SinkSummary),
    /// The server closed the connection cleanly; it is removed.
    Closed,
    /// The connection failed, or the server broke a rule; it is removed.
    Failed(ClientError),
}

impl ConnEvent {
    /// A session's event as the caller sees it; `None` for the close (the
    /// driver says [`ConnEvent::Closed`] once, when it removes the
    /// connection) and a message's confirmation (not load-tested).
    pub fn of(event: ClientEvent) -> Option<ConnEvent> {
        match event {
            ClientEvent::Answered { seq, bytes } => Some(ConnEvent::Answered { seq, bytes }),
            ClientEvent::Summary(summary) => Some(ConnEvent::Summary(summary)),
            ClientEvent::Confirmed | ClientEvent::Closed => None,
        }
    }
}

/// A connection's outbound side, handed to the caller's event handler.
pub struct Outbox<'a> {
    session: &'a mut ClientSession,
    peer: SocketAddr,
}

impl<'a> Outbox<'a> {
    /// The outbound side of `session`, connected to `peer`.
    pub fn new(session: &'a mut ClientSession, peer: SocketAddr) -> Outbox<'a> {
        Outbox { session, peer }
    }

    /// Queues a request of `payload` (shared, never copied); returns its
    /// sequence number, which [`ConnEvent::Answered`] repeats.
    ///
    /// # Errors
    /// [`ClientError::TooLarge`] when the payload does not fit in a frame.
    pub fn send(&mut self, payload: &Payload) -> Result<u64, ClientError> {
        self.session.send(payload).map_err(|e| e.at(self.peer))
    }

    /// Queues one frame of these bytes (copied once).
    ///
    /// # Errors
    /// [`ClientError::TooLarge`] when the payload does not fit in a frame.
    pub fn send_frame(&mut self, payload: &[u8]) -> Result<(), ClientError> {
        self.send(&Payload::bytes(payload)).map(drop)
    }

    /// Shuts the write side down once everything queued is written (for a
    /// sink, that asks for the summary).
    pub fn shutdown_write(&mut self) {
        self.session.finish_sending();
    }

    /// Bytes queued and not yet taken by the socket.
    pub fn pending(&self) -> u64 {
        self.session.unsent()
    }

    /// Echo requests whose answers are owed.
    pub fn in_flight(&self) -> usize {
        self.session.in_flight()
    }
}
