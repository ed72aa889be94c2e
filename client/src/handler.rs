//! The handler a many-connection driver calls with each connection's news
//! (`ManyClient::poll` of the event loop and of the ring alike).

use crate::{ConnEvent, Outbox};

/// Called with a connection's id, what happened to it, and its [`Outbox`]
/// (to queue its next requests): any closure of that shape.
pub trait OnEvent: FnMut(usize, ConnEvent, &mut Outbox<'_>) {}

impl<F: FnMut(usize, ConnEvent, &mut Outbox<'_>)> OnEvent for F {}
