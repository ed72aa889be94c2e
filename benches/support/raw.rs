//! The `raw` reference: the least a server can do on this machine. A thread
//! per connection, blocking std calls, no framing, no parsing: echo writes
//! back whatever it read, sink reads and discards until end of stream. Its
//! figures are the loopback limit every other server is divided by.

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
    pub fn start(service: Service) -> RawServer {
        let listener = sockmodes_common::net::listen("127.0.0.1:0".parse().unwrap(), 1024).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        thread::spawn(move || accept(&listener, service, &flag));
        RawServer { addr, stop }
    }
}

fn accept(listener: &TcpListener, service: Service, stop: &AtomicBool) {
    for stream in listener.incoming() {
        if stop.load(Ordering::Acquire) {
            return;
        }
        let Ok(stream) = stream else { continue };
        // Same socket options as our servers: TCP_NODELAY on.
        let _ = stream.set_nodelay(true);
        let _ = thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || serve(stream, service));
    }
}

fn serve(mut stream: TcpStream, service: Service) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if service == Service::Echo && stream.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
        }
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}
