//! Taking connections: accept until `WouldBlock` (every loop has its own
//! registration on the one listener, and whichever wakes first takes the
//! connection), the connection limit (over it: a reset, as in the other
//! servers), the back-off when descriptors run out, and stopping (`--once`,
//! shutdown).

use std::sync::Arc;
use std::time::Instant;

use mio::Token;
use sockmodes_os::net::{self, AcceptErrorAction};
use sockmodes_python::would_block;
use tracing::{debug, warn};

use super::EventLoop;
use crate::conn::Conn;

impl EventLoop {
    /// Accepts until `WouldBlock`: each connection admitted under
    /// `--max-conns` (over it: a reset), registered and driven at once.
    pub(super) fn accept_all(&mut self) {
        let shared = Arc::clone(&self.shared);
        let config = &shared.config;
        while let Some(listener) = &self.listener {
            self.shared.stats.count_syscalls(1);
            match listener.accept() {
                Ok((stream, peer)) => {
                    if !self.shared.stats.try_admit(config.max_conns) {
                        net::log_over_limit(peer, config.max_conns);
                        let _ = net::reset_on_close(&stream);
                        continue;
                    }
                    let key = self.conns.next_key();
                    // TCP_NODELAY and epoll_ctl.
                    self.shared.stats.count_syscalls(2);
                    match Conn::register(stream, peer, Token(key), self.poll.registry(), config) {
                        Ok(mut conn) => {
                            self.serials += 1;
                            conn.serial = self.serials;
                            debug!(%peer, "connection accepted");
                            self.conns.insert(conn);
                            // The first connection starts the idle sweep (closing.rs).
                            self.next_sweep.get_or_insert_with(|| {
                                Instant::now() + config.limits().check_every()
                            });
                            // Bytes may have arrived before registration; the
                            // registration reports them, but driving now is cheap.
                            self.drive(key, false);
                        }
                        Err(e) => {
                            warn!(%peer, error = %e, "could not register a connection; closed");
                            self.shared.stats.release();
                        }
                    }
                    if config.once {
                        self.stop_accepting();
                    }
                }
                Err(e) if would_block(&e) => break,
                Err(e) => match net::after_accept_error(&mut self.out_of_resources, &e) {
                    AcceptErrorAction::Retry => {}
                    AcceptErrorAction::Backoff => {
                        self.accept_retry_at = Some(Instant::now() + net::ACCEPT_BACKOFF);
                        break;
                    }
                    AcceptErrorAction::Fatal => self.stop_accepting(),
                },
            }
        }
    }

    /// Stops accepting (shutdown, `once`, a fatal error).
    pub(super) fn stop_accepting(&mut self) {
        if let Some(mut listener) = self.listener.take() {
            let _ = self.poll.registry().deregister(&mut listener);
        }
    }
}
