//! The accept task: takes connections until the server stops (or, with
//! `--once`, after its first), each admitted under `--max-conns` and
//! served by a task of its own; over the limit, a reset, as in the other
//! servers (lingering would let a flood hold descriptors for seconds, the
//! very thing the limit bounds). Out of descriptors, it backs off instead
//! of spinning on the same error.

use std::net::SocketAddr;
use std::sync::Arc;

use sockmodes_os::net::{self, AcceptErrorAction};
use sockmodes_serving::throttle::Throttle;
use tokio::net::{TcpListener, TcpStream};

use crate::shared::{Phase, Shared, Slot};

/// Accepts until the phase leaves [`Phase::Serving`] (the listener is
/// dropped with the task: nothing is accepted after).
pub(crate) async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut phase = shared.phase.subscribe();
    let mut out_of_resources = Throttle::default();
    while *phase.borrow_and_update() == Phase::Serving {
        let accepted = tokio::select! {
            biased;
            _ = phase.changed() => continue,
            accepted = listener.accept() => accepted,
        };
        shared.stats.count_syscalls(1);
        match accepted {
            Ok((stream, peer)) => {
                admit(stream, peer, &shared);
                if shared.config.once {
                    return;
                }
            }
            Err(e) => match net::after_accept_error(&mut out_of_resources, &e) {
                AcceptErrorAction::Retry => {}
                AcceptErrorAction::Backoff => tokio::time::sleep(net::ACCEPT_BACKOFF).await,
                AcceptErrorAction::Fatal => return,
            },
        }
    }
    drain(&listener, &shared).await;
}

/// At a stop, the connections already in the listen queue: closing the
/// listener would reset each of them, so they are accepted and served
/// (they are at rest, and end at once with a lingering close), as the
/// other servers do. The queue is empty when no connection comes within
/// [`DRAIN_WAIT`].
async fn drain(listener: &TcpListener, shared: &Arc<Shared>) {
    while let Ok(Ok((stream, peer))) = tokio::time::timeout(DRAIN_WAIT, listener.accept()).await {
        shared.stats.count_syscalls(1);
        admit(stream, peer, shared);
    }
}

/// How long the drain waits for the next queued connection. Why 20 ms: a
/// queued connection is ready at once; this only bounds how long a stop
/// waits after the last one.
const DRAIN_WAIT: std::time::Duration = std::time::Duration::from_millis(20);

/// A connection admitted gets its task; one over the limit is reset.
fn admit(stream: TcpStream, peer: SocketAddr, shared: &Arc<Shared>) {
    let Some(slot) = Slot::admit(shared) else {
        net::log_over_limit(peer, shared.config.max_conns);
        // Best effort: if setting SO_LINGER fails the close is a plain FIN.
        let _ = net::reset_on_close(&stream);
        return;
    };
    tokio::spawn(crate::connection::serve(stream, peer, slot));
}
