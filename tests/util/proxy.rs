//! A fault-injecting TCP proxy for tests: sits between a client and a server
//! and, in the client-to-server direction, can slice the stream into 1-byte
//! pieces with delays, stall, reset the connection in the middle of a frame
//! (SO_LINGER 0), or half-close it. The server-to-client direction is
//! forwarded as it comes (sliced too, with `Fault::Slice`).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use sockmodes_os::net::reset_on_close;
use sockmodes_python::timed_out;

/// How often the downstream pump looks whether the upstream one reset the
/// connection.
///
/// Why: the reset needs the pump's clone of the socket closed too, and only
/// Linux wakes a blocked read when another thread shuts the socket's read
/// side down; Windows does not, so the pump reads with this timeout and
/// checks a flag. 20 ms keeps the reset prompt.
const RESET_POLL: Duration = Duration::from_millis(20);

/// What the proxy does to the client's bytes.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// Forward in `piece`-byte pieces with `delay` between them (both ways).
    Slice { piece: usize, delay: Duration },
    /// Forward `after` bytes, then forward nothing more (the server sees a silent peer).
    Stall { after: usize },
    /// Forward `after` bytes, then reset the server connection (RST).
    ResetAfter { after: usize },
    /// Forward `after` bytes, then shut down the write side towards the server (FIN).
    HalfCloseAfter { after: usize },
}

/// A running proxy; one thread pair per connection.
pub struct Proxy {
    pub addr: SocketAddr,
}

impl Proxy {
    pub fn start(upstream: SocketAddr, fault: Fault) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy binds");
        let addr = listener.local_addr().unwrap();
        thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let Ok(server) = TcpStream::connect(upstream) else {
                    return;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let reset = Arc::new(AtomicBool::new(false));
                let reset2 = Arc::clone(&reset);
                thread::spawn(move || upstream_pump(client, server, fault, &reset));
                thread::spawn(move || downstream_pump(s2, c2, fault, &reset2));
            }
        });
        Proxy { addr }
    }
}

/// Reads from `from`; at its end (or an error) shuts down `to`'s write side,
/// passing the close on, and returns `None`.
fn read_or_pass_close(from: &mut TcpStream, to: &TcpStream, buf: &mut [u8]) -> Option<usize> {
    match from.read(buf) {
        Ok(0) | Err(_) => {
            let _ = to.shutdown(Shutdown::Write);
            None
        }
        Ok(n) => Some(n),
    }
}

/// Client -> server, with the fault applied.
fn upstream_pump(mut from: TcpStream, mut to: TcpStream, fault: Fault, reset: &AtomicBool) {
    let mut buf = [0u8; 16 * 1024];
    let mut forwarded = 0usize;
    loop {
        let Some(n) = read_or_pass_close(&mut from, &to, &mut buf) else {
            return;
        };
        let mut chunk = &buf[..n];
        while !chunk.is_empty() {
            match fault {
                Fault::Slice { piece, delay } => {
                    let k = piece.min(chunk.len());
                    if to.write_all(&chunk[..k]).is_err() {
                        return;
                    }
                    chunk = &chunk[k..];
                    thread::sleep(delay);
                }
                Fault::Stall { after }
                | Fault::ResetAfter { after }
                | Fault::HalfCloseAfter { after } => {
                    let room = after.saturating_sub(forwarded);
                    let k = room.min(chunk.len());
                    if k > 0 && to.write_all(&chunk[..k]).is_err() {
                        return;
                    }
                    forwarded += k;
                    chunk = &chunk[k..];
                    if forwarded >= after {
                        match fault {
                            Fault::ResetAfter { .. } => {
                                // The downstream pump holds a clone of this
                                // socket: the flag (and, on Linux, shutting
                                // the read side) makes it drop its clone, and
                                // the last close (SO_LINGER 0) sends the RST.
                                let _ = reset_on_close(&to);
                                reset.store(true, Ordering::Release);
                                let _ = to.shutdown(Shutdown::Read);
                                drop(to);
                                return;
                            }
                            Fault::HalfCloseAfter { .. } => {
                                let _ = to.shutdown(Shutdown::Write);
                                // Keep reading the client so it is not blocked, dropping the bytes.
                                while matches!(from.read(&mut buf), Ok(n) if n > 0) {}
                                return;
                            }
                            _ => {
                                // Stall: swallow everything, forward nothing.
                                while matches!(from.read(&mut buf), Ok(n) if n > 0) {}
                                thread::sleep(Duration::from_secs(3600));
                                return;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Server -> client: as it comes, or sliced under `Fault::Slice`. Stops
/// (dropping its clone of the server socket) once `reset` is set.
fn downstream_pump(mut from: TcpStream, mut to: TcpStream, fault: Fault, reset: &AtomicBool) {
    let mut buf = [0u8; 16 * 1024];
    if matches!(fault, Fault::ResetAfter { .. }) {
        let _ = from.set_read_timeout(Some(RESET_POLL));
    }
    loop {
        if reset.load(Ordering::Acquire) {
            return;
        }
        let n = match from.read(&mut buf) {
            Err(e) if timed_out(&e) => continue,
            Ok(0) | Err(_) => {
                let _ = to.shutdown(Shutdown::Write);
                return;
            }
            Ok(n) => n,
        };
        let ok = match fault {
            Fault::Slice { piece, delay } => buf[..n].chunks(piece).all(|p| {
                thread::sleep(delay);
                to.write_all(p).is_ok()
            }),
            _ => to.write_all(&buf[..n]).is_ok(),
        };
        if !ok {
            return;
        }
    }
}
