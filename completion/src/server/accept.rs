//! Taking connections: the multishot accept (one operation that keeps
//! producing connections until it is cancelled or fails), the connection
//! limit (over it: a reset, as in the other servers), the back-off when
//! descriptors run out, and stopping (`--once`, shutdown).

use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd};
use std::time::Instant;

use io_uring::{cqueue, opcode, types};
use sockmodes_os::net::{self, AcceptErrorAction};
use tracing::{debug, warn};

use super::{Loop, ACCEPT, ACCEPT_CANCEL};
use crate::conn::Conn;
use crate::ring::Completion;

impl Loop {
    pub(super) fn post_accept(&mut self) -> std::io::Result<()> {
        let Some(listener) = &self.listener else {
            return Ok(());
        };
        if self.accept_pending {
            return Ok(());
        }
        let sqe = opcode::AcceptMulti::new(types::Fd(listener.as_raw_fd()))
            .build()
            .user_data(ACCEPT);
        // SAFETY: the listener stays open until the accept's last completion
        // (stop_accepting cancels first and drops it after).
        unsafe { self.ring.push(&sqe)? };
        self.accept_pending = true;
        Ok(())
    }

    pub(super) fn post_accept_or_stop(&mut self) {
        if let Err(e) = self.post_accept() {
            warn!(error = %e, "could not post an accept; the server stops accepting");
            self.listener = None;
        }
    }

    pub(super) fn accepted(&mut self, c: Completion) {
        let more = cqueue::more(c.flags);
        if !more {
            self.accept_pending = false;
        }
        if c.result < 0 {
            let e = std::io::Error::from_raw_os_error(-c.result);
            if c.result == -libc::ECANCELED {
                if !more {
                    self.listener = None;
                }
                return;
            }
            match net::after_accept_error(&mut self.out_of_resources, &e) {
                AcceptErrorAction::Retry => {}
                AcceptErrorAction::Backoff => {
                    self.accept_retry_at = Some(Instant::now() + net::ACCEPT_BACKOFF);
                    return;
                }
                AcceptErrorAction::Fatal => {
                    self.stop_accepting();
                    return;
                }
            }
        } else {
            // SAFETY: a successful accept's result is a new descriptor, ours.
            let stream = unsafe { TcpStream::from_raw_fd(c.result) };
            self.admit(stream);
        }
        if !more && self.accept_retry_at.is_none() && self.listener.is_some() {
            self.post_accept_or_stop();
        }
    }

    pub(super) fn admit(&mut self, stream: TcpStream) {
        let config = &self.shared.config;
        // getpeername and TCP_NODELAY (or SO_LINGER for a reset).
        self.shared.stats.count_syscalls(2);
        let peer = stream
            .peer_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
        if !self.shared.stats.try_admit(config.max_conns) {
            net::log_over_limit(peer, config.max_conns);
            let _ = net::reset_on_close(&stream);
            return;
        }
        if let Err(e) = stream.set_nodelay(config.nodelay) {
            warn!(%peer, error = %e, "could not set up a connection; closed");
            self.shared.stats.release();
            return;
        }
        debug!(%peer, "connection accepted");
        let once = config.once;
        let mut conn = Conn::new(stream, peer, config);
        // Its serial number (see `offload::Tag`).
        self.serials += 1;
        conn.serial = self.serials;
        let key = self.conns.insert(conn);
        // The first connection starts the idle sweep (closing.rs).
        self.next_sweep
            .get_or_insert_with(|| Instant::now() + config.limits().check_every());
        self.post(key);
        if once {
            self.stop_accepting();
        }
    }

    /// Stops accepting: cancels the multishot accept; the listener is
    /// dropped when the accept's last completion arrives.
    pub(super) fn stop_accepting(&mut self) {
        if !self.accept_pending {
            self.listener = None;
            return;
        }
        let sqe = opcode::AsyncCancel::new(ACCEPT)
            .build()
            .user_data(ACCEPT_CANCEL);
        // SAFETY: a cancellation names no buffer.
        if unsafe { self.ring.push(&sqe) }.is_err() {
            warn!("could not cancel the accept");
        }
        self.accept_retry_at = None;
    }
}
