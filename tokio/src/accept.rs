//! The accept task: takes connections until the server stops (or, with
//! `--once`, after its first), each admitted under `--max-conns` and
//! served by a task of its own; over the limit, a reset, as in the other
//! servers (lingering would let a flood hold descriptors for seconds, the
//! very thing the limit bounds). Out of descriptors, it backs off instead
//! of spinning on the same error.

use std::net::SocketAddr;
use std::sync::Arc;

use sockmodes_common::Service;
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
    drain(listener, &shared);
}

/// At a stop, the connections already in the listen queue: closing the
/// listener would reset each of them, so they are accepted and served, as
/// the other servers do. Taken until an accept would block (the queue is
/// empty), not until connects stop coming: a client that connects again
/// and again would otherwise keep the listener, and so the stop, open.
fn drain(listener: TcpListener, shared: &Arc<Shared>) {
    // Already non-blocking, as tokio keeps it; off the runtime's driver.
    let Ok(listener) = listener.into_std() else {
        return;
    };
    loop {
        shared.stats.count_syscalls(1);
        match listener.accept() {
            Ok((stream, peer)) => {
                let registered = stream
                    .set_nonblocking(true)
                    .and_then(|()| TcpStream::from_std(stream));
                if let Ok(stream) = registered {
                    admit(stream, peer, shared);
                }
            }
            Err(e) if net::accept_error_action(&e) == AcceptErrorAction::Retry => {}
            Err(_) => return,
        }
    }
}

/// A connection admitted gets its task; one over the limit is reset.
fn admit(stream: TcpStream, peer: SocketAddr, shared: &Arc<Shared>) {
    let Some(slot) = Slot::admit(shared) else {
        net::log_over_limit(peer, shared.config.max_conns);
        // Best effort: if setting SO_LINGER fails the close is a plain FIN.
        let _ = net::reset_on_close(&stream);
        return;
    };
    if shared.config.service == Service::Message {
        // A message's sender reads a plain close as its receipt, so a
        // message connection resets unless its task read the message whole
        // and disarmed this. Armed before the task first runs: a task the
        // runtime drops at a stop, run or not, then resets too.
        shared.stats.count_syscalls(1);
        // Best effort: if setting SO_LINGER fails the close is a plain FIN.
        let _ = net::reset_on_close(&stream);
    }
    tokio::spawn(crate::connection::serve(stream, peer, slot));
}

#[cfg(test)]
mod tests {
    use std::io::{ErrorKind, Read};
    use std::time::Duration;

    use sockmodes_serving::ServerConfig;

    use super::*;

    /// The worst case of a stop on a loaded machine: the runtime goes
    /// before a message connection's task ran again. Its sender must read
    /// a reset, not the end of stream it takes as a receipt. (Nothing is
    /// waiting unread, as after a task's last read: unread bytes would
    /// make the kernel reset anyway.)
    #[test]
    #[cfg_attr(
        windows,
        ignore = "Wine closes an SO_LINGER 0 socket with a FIN, not the reset Windows documents; not tried on real Windows"
    )]
    fn a_message_task_dropped_unrun_resets_its_connection() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut sender = std::net::TcpStream::connect(addr).unwrap();
        let (stream, peer) = listener.accept().unwrap();
        stream.set_nonblocking(true).unwrap();
        let config = ServerConfig::new(addr, Service::Message);
        let shared = Shared::new(config, Arc::new(|_, _| {}));
        {
            let _entered = runtime.enter();
            // A current-thread runtime runs its tasks only inside block_on,
            // which is never called: the task is dropped unrun.
            admit(TcpStream::from_std(stream).unwrap(), peer, &shared);
        }
        drop(runtime);
        sender
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let got = sender.read(&mut [0u8; 16]);
        assert_eq!(
            got.map_err(|e| e.kind()),
            Err(ErrorKind::ConnectionReset),
            "a dropped message connection must not close with a FIN"
        );
    }
}
