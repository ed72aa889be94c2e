//! What a finished operation does to its connection: a receive's bytes
//! go to the session (or, while lingering, are discarded), its buffer back
//! to the pool; a send moves on through `send_buf`; a cancellation is
//! counted. A negative result is `-errno`, as the kernel reports it.

use std::io;
use std::net::SocketAddr;
use std::time::Instant;

use io_uring::cqueue;

use super::{Conn, End, SEND_KEEP};
use crate::pool::Pool;

impl Conn {
    /// A receive completed with `result` (bytes, 0 at end of stream, or
    /// `-errno`) and `flags` (which pooled buffer, if any). The buffer goes
    /// back to `pool` whatever happens; a pooled receive that found the
    /// pool empty queues connection `key` for a buffer. Messages completed
    /// on the way go to `on_message`.
    pub fn received(
        &mut self,
        key: usize,
        result: i32,
        flags: u32,
        pool: Option<&mut Pool>,
        on_message: &mut dyn FnMut(SocketAddr, Vec<u8>),
    ) -> Result<(), End> {
        self.recv.pending = false;
        let len = result.max(0) as usize;
        let picked = cqueue::buffer_select(flags);
        match (pool, self.recv.loan.take().or(picked)) {
            (Some(pool), Some(id)) => {
                if picked.is_some() {
                    pool.taken();
                }
                let outcome = self.take(result, pool.bytes(id, len), on_message);
                pool.give_back(id);
                outcome
            }
            (Some(pool), None) if result == -libc::ENOBUFS => {
                if !self.dying {
                    self.recv.waiting_buffer = true;
                    pool.wait(key);
                }
                Ok(())
            }
            (Some(_), None) if result > 0 => Err(End::Io(io::Error::other(
                "a pooled receive completed without its buffer",
            ))),
            _ => {
                let buf = std::mem::take(&mut self.recv_buf);
                let outcome = self.take(result, &buf[..len.min(buf.len())], on_message);
                self.recv_buf = buf;
                outcome
            }
        }
    }

    fn take(
        &mut self,
        result: i32,
        bytes: &[u8],
        on_message: &mut dyn FnMut(SocketAddr, Vec<u8>),
    ) -> Result<(), End> {
        if self.dying {
            return Ok(());
        }
        if result < 0 {
            return match -result {
                libc::EINTR | libc::EAGAIN | libc::ECANCELED => Ok(()),
                errno => Err(End::Io(io::Error::from_raw_os_error(errno))),
            };
        }
        if let Some(c) = &mut self.closing {
            // Lingering: read and discard until the peer's end of stream.
            if bytes.is_empty() {
                self.eof = true;
            } else {
                c.last_read = Instant::now();
            }
            return Ok(());
        }
        if bytes.is_empty() {
            self.session.received_eof()?;
            if let Some(m) = self.session.take_message() {
                on_message(self.peer, m);
            }
            return Ok(());
        }
        self.liveness.moved(Instant::now(), bytes.len(), 0);
        self.session.received_from(bytes)?;
        Ok(())
    }

    /// A send completed with `result` (bytes taken, or `-errno`).
    pub fn sent(&mut self, result: i32) -> Result<(), End> {
        self.send_pending = false;
        if self.dying {
            return Ok(());
        }
        match result {
            r if r < 0 => match -r {
                libc::EINTR | libc::EAGAIN => Ok(()),
                errno => Err(End::Io(io::Error::from_raw_os_error(errno))),
            },
            0 => Err(End::Io(io::ErrorKind::WriteZero.into())),
            n => {
                self.liveness.moved(Instant::now(), 0, n as usize);
                self.send_off += n as usize;
                if !self.sending() {
                    self.send_buf.clear();
                    self.send_buf.shrink_to(SEND_KEEP);
                    self.send_off = 0;
                }
                Ok(())
            }
        }
    }

    /// A cancellation's own completion arrived.
    pub fn cancel_done(&mut self) {
        self.cancels = self.cancels.saturating_sub(1);
    }
}
