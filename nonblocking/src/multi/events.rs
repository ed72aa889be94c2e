//! What a [`MultiClient`](super::MultiClient) tells its handler about a
//! connection, and what the handler may do with it: queue requests on the
//! connection's session, or ask for its write side to be shut.

use std::net::SocketAddr;

use sockmodes_common::{ClientError, ClientSession, Payload, SinkSummary};

/// What happened on one connection.
#[derive(Debug)]
pub enum Event {
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

/// A connection's outbound side, handed to event handlers.
pub struct Outbox<'a> {
    pub(super) session: &'a mut ClientSession,
    pub(super) peer: SocketAddr,
}

impl Outbox<'_> {
    /// Queues a request of `payload` (shared, never copied); returns its
    /// sequence number, which [`Event::Answered`] repeats.
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

    /// Bytes queued and not yet written.
    pub fn pending(&self) -> u64 {
        self.session.unsent()
    }

    /// Echo requests whose answers are owed.
    pub fn in_flight(&self) -> usize {
        self.session.in_flight()
    }
}
