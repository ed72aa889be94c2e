//! What a [`ManyClient`](super::ManyClient) tells its handler about a
//! connection, and what the handler may do with it (queue requests on the
//! connection's session, or ask for its write side to be shut): `common`'s
//! types, which the io_uring driver speaks too, so one load engine drives
//! either.

pub use sockmodes_client::{ConnEvent as Event, Outbox};
