//! The client calls every driver offers (echo, send and receive a frame,
//! a sink upload, a message), written once over the two things a driver
//! does: move bytes ([`pump`](ClientDriver::pump), [`flush`](ClientDriver::flush))
//! and wait for the close that confirms a message.
//!
//! A blocking client waits in `read` and `write`; a non-blocking one in
//! `poll`; an io_uring one for completions. What they do with the events
//! is the same, so it is here, and the clients differ only in how they
//! wait, which is the lesson.

use core::net::SocketAddr;
use std::collections::VecDeque;

use sockmodes_common::client_session::{ClientEvent, ClientSession, Payload};
use sockmodes_common::summary::{SinkSummary, SinkTally};
use sockmodes_common::Service;

use crate::error::{AtServer, ClientError, MessageReceipt};

/// What every client driver holds besides its socket: the session, the
/// server's address, and the echoes [`send_frame`](ClientDriver::send_frame)
/// sent, for [`recv_frame`](ClientDriver::recv_frame) to hand back.
#[derive(Debug)]
pub struct Exchange {
    /// The session driven.
    pub session: ClientSession,
    /// The server (for error messages).
    pub peer: SocketAddr,
    /// Echo frames sent with `send_frame` and not yet received.
    pub sent: VecDeque<(u64, Payload)>,
}

impl Exchange {
    /// A new connection to `peer`: it speaks echo until told otherwise
    /// ([`ClientDriver::set_service`]).
    pub fn new(peer: SocketAddr, max_frame: usize) -> Exchange {
        Exchange {
            session: ClientSession::new(Service::Echo, max_frame),
            peer,
            sent: VecDeque::new(),
        }
    }
}

/// A client that drives a [`ClientSession`] over a socket.
pub trait ClientDriver {
    /// Its session and what goes with it.
    fn exchange(&mut self) -> &mut Exchange;

    /// The session it drives.
    fn session(&mut self) -> &mut ClientSession {
        &mut self.exchange().session
    }

    /// The server's address (for error messages).
    fn peer(&mut self) -> SocketAddr {
        self.exchange().peer
    }

    /// Moves bytes once: writes what the socket takes and reads what has
    /// arrived, waiting (in whatever way the driver waits) when neither can
    /// proceed. Keeps its place when it fails with a timeout.
    ///
    /// # Errors
    /// Socket failures; a rule the server broke.
    fn pump(&mut self) -> Result<(), ClientError>;

    /// Moves bytes until every queued byte is written (and the write side
    /// shut down, once asked), reading while an answer is owed.
    ///
    /// # Errors
    /// Socket failures; a rule the server broke.
    fn flush(&mut self) -> Result<(), ClientError>;

    /// After a message was sent and the write side shut: waits a short
    /// while ([`confirm_wait`](crate::error::confirm_wait)) for the
    /// server's close; `false` when it did not come in time.
    ///
    /// # Errors
    /// Socket failures (a reset: the server refused the message).
    fn await_close(&mut self) -> Result<bool, ClientError>;

    /// Speaks `service` from now on (a new connection speaks echo). Call it
    /// before sending anything: what the old service still owed is dropped.
    fn set_service(&mut self, service: Service) {
        let session = self.session();
        if session.service() != service {
            *session = ClientSession::new(service, session.max_frame());
            self.exchange().sent.clear();
        }
    }

    /// Queues a request (no I/O yet); returns its sequence number.
    ///
    /// # Errors
    /// [`ClientError::TooLarge`] over a frame's 32-bit length.
    fn send(&mut self, payload: &Payload) -> Result<u64, ClientError> {
        let peer = self.peer();
        self.session().send(payload).map_err(|e| e.at(peer))
    }

    /// What happens next, waiting for it: an answer, a summary, a close.
    /// After the server's close it is [`ClientEvent::Closed`] again.
    ///
    /// # Errors
    /// Socket failures; a rule the server broke (wrong echo, torn frame).
    fn next_event(&mut self) -> Result<ClientEvent, ClientError> {
        loop {
            let session = self.session();
            if let Some(event) = session.next_event() {
                return Ok(event);
            }
            if session.read_closed() && !session.wants_write() {
                return Ok(ClientEvent::Closed);
            }
            self.pump()?;
        }
    }

    /// Sends one frame and waits until the socket took it.
    ///
    /// # Errors
    /// Socket failures, [`ClientError::TooLarge`].
    fn send_frame(&mut self, payload: &[u8]) -> Result<(), ClientError> {
        let payload = Payload::bytes(payload);
        let seq = self.send(&payload)?;
        if self.session().service() == Service::Echo {
            self.exchange().sent.push_back((seq, payload));
        }
        self.flush()
    }

    /// Receives the echo of a frame sent with [`send_frame`](Self::send_frame),
    /// checked byte for byte as it arrived; `None` when the server closed
    /// between frames (also with an echo still owed: a server that refused
    /// a frame closes without answering it).
    ///
    /// # Errors
    /// Socket failures; a torn, oversized or different frame.
    fn recv_frame(&mut self) -> Result<Option<Vec<u8>>, ClientError> {
        loop {
            match self.next_event() {
                Ok(ClientEvent::Closed) | Err(ClientError::Closed { .. }) => return Ok(None),
                Ok(ClientEvent::Answered { seq, .. }) => {
                    let sent = &mut self.exchange().sent;
                    if let Some(at) = sent.iter().position(|(s, _)| *s == seq) {
                        return Ok(sent.remove(at).map(|(_, p)| p.to_vec()));
                    }
                }
                Ok(_) => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// One echo round trip: sends `payload` and checks the reply is identical.
    ///
    /// # Errors
    /// Socket and protocol failures, [`ClientError::Closed`],
    /// [`ClientError::EchoMismatch`].
    fn echo(&mut self, payload: &[u8]) -> Result<(), ClientError> {
        self.echo_payload(&Payload::bytes(payload))
    }

    /// [`echo`](Self::echo) of a shared payload (no copy of it is made).
    ///
    /// # Errors
    /// As [`echo`](Self::echo).
    fn echo_payload(&mut self, payload: &Payload) -> Result<(), ClientError> {
        let seq = self.send(payload)?;
        loop {
            match self.next_event()? {
                ClientEvent::Answered { seq: s, .. } if s == seq => return Ok(()),
                ClientEvent::Closed => return Err(ClientError::Closed { addr: self.peer() }),
                _ => {}
            }
        }
    }

    /// Shuts down the write side once what is queued is written: the
    /// server sees end of stream.
    ///
    /// # Errors
    /// Socket failures.
    fn shutdown_write(&mut self) -> Result<(), ClientError> {
        self.session().finish_sending();
        self.flush()
    }

    /// `message` service: sends `message`, shuts down the write side (the
    /// end of the message), and waits briefly for the server's close.
    ///
    /// # Errors
    /// A failed send, or a reset instead of a close (the server refused it).
    fn send_message(&mut self, message: &[u8]) -> Result<MessageReceipt, ClientError> {
        self.set_service(Service::Message);
        self.send(&Payload::bytes(message))?;
        self.shutdown_write()?;
        let confirmed = self.await_close()?;
        Ok(MessageReceipt {
            bytes: message.len(),
            confirmed,
        })
    }

    /// `sink` service: sends every frame, shuts down the write side, reads
    /// the server's summary and checks it against what was sent.
    ///
    /// # Errors
    /// Socket and protocol failures; [`ClientError::SinkMismatch`].
    fn sink_upload<'a, I>(&mut self, frames: I) -> Result<SinkSummary, ClientError>
    where
        I: IntoIterator<Item = &'a [u8]>,
        Self: Sized,
    {
        self.set_service(Service::Sink);
        let tally = crate::error::send_counted(frames, |frame| self.send_frame(frame))?;
        self.finish_sink(&tally)
    }

    /// Ends a sink upload whose frames were sent with
    /// [`send_frame`](Self::send_frame) (after [`set_service`](Self::set_service)
    /// to sink) and counted in `sent`: shuts down the write side and checks
    /// the summary against both the session's count and `sent`.
    ///
    /// # Errors
    /// Socket and protocol failures; [`ClientError::SinkMismatch`].
    fn finish_sink(&mut self, sent: &SinkTally) -> Result<SinkSummary, ClientError> {
        self.session().finish_sending();
        let addr = self.peer();
        loop {
            match self.next_event()? {
                ClientEvent::Summary(got) if got == sent.summary() => return Ok(got),
                ClientEvent::Summary(got) => {
                    let sent = sent.summary();
                    return Err(ClientError::SinkMismatch { addr, sent, got });
                }
                ClientEvent::Closed => return Err(ClientError::Closed { addr }),
                _ => {}
            }
        }
    }
}
