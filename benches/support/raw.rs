//! The `raw` reference: the least a server can do on this machine. A thread
//! per connection, blocking std calls, no parsing, and buffers sized for the
//! case: it is told each message's length on the wire, so echo reads
//! exactly one message (as many reads as the kernel needs) and writes it
//! back in one call, and sink reads into a 4 MiB buffer and computes the
//! same CRC-32 over every byte that our servers' sink must compute (without
//! it, raw's sink would skip work ours cannot, and would not be a limit).
//! Its figures are the limit every other server is divided by: a real
//! server must also find the message boundaries that raw is given.
//!
//! (An earlier raw echoed whatever each 64 KiB read returned: a 64 KiB frame
//! then cost it two reads, two writes and two wake-ups, and our framed
//! servers, which write a whole frame at once, beat it. A limit that can be
//! beaten is not a limit.)

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

use sockmodes_common::Service;

pub struct RawServer {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl RawServer {
    /// `wire_len`: each echo message's length on the wire (ignored by sink).
    pub fn start(service: Service, wire_len: usize) -> RawServer {
        let listener = sockmodes_os::net::listen("127.0.0.1:0".parse().unwrap(), 1024).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        thread::spawn(move || accept(&listener, service, wire_len.max(1), &flag));
        RawServer { addr, stop }
    }
}

fn accept(listener: &TcpListener, service: Service, wire_len: usize, stop: &AtomicBool) {
    for stream in listener.incoming() {
        if stop.load(Ordering::Acquire) {
            return;
        }
        let Ok(stream) = stream else { continue };
        // Same socket options as our servers: TCP_NODELAY on.
        let _ = stream.set_nodelay(true);
        let _ = thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || match service {
                Service::Echo => echo(stream, wire_len),
                _ => sink(stream),
            });
    }
}

/// One message in (however many reads that takes), the same out in one write.
fn echo(mut stream: TcpStream, wire_len: usize) {
    let mut buf = vec![0u8; wire_len];
    while stream.read_exact(&mut buf).is_ok() {
        if stream.write_all(&buf).is_err() {
            return;
        }
    }
}

/// Reads until end of stream, computing the CRC-32 of every byte.
///
/// Why 4 MiB: larger than the biggest sink frame (1 MiB), so each read
/// takes whatever the socket holds, the fewest calls the kernel allows.
fn sink(mut stream: TcpStream) {
    let mut buf = vec![0u8; 4 << 20];
    let mut crc = crc32fast::Hasher::new();
    while let Ok(n @ 1..) = stream.read(&mut buf) {
        crc.update(&buf[..n]);
    }
    std::hint::black_box(crc.finalize());
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}
