//! Helpers of the tokio server's tests: a server on 127.0.0.1:0, raw
//! clients, and how a connection ended.
#![allow(dead_code)] // each test file uses a different subset

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use sockmodes_common::frame::encode_frame;
use sockmodes_common::Service;
use sockmodes_serving::{MessageHandler, RunningServer, ServerConfig};

/// Messages the server delivered.
pub type Inbox = Arc<Mutex<Vec<Vec<u8>>>>;

/// A tokio server for `service` on 127.0.0.1:0, after `tweak`.
pub fn server(
    service: Service,
    tweak: impl FnOnce(&mut ServerConfig),
) -> (Box<dyn RunningServer>, Inbox) {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), service);
    tweak(&mut config);
    let inbox: Inbox = Arc::default();
    let sink = Arc::clone(&inbox);
    let handler: MessageHandler = Arc::new(move |_, m| sink.lock().unwrap().push(m));
    let server = sockmodes_tokio::start(config, handler).expect("the server starts");
    (Box::new(server), inbox)
}

/// A raw connection with a generous read timeout (a hang fails, late).
pub fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connects");
    s.set_nodelay(true).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s
}

/// `payload` as one frame.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut wire = Vec::new();
    encode_frame(&mut wire, payload).unwrap();
    wire
}

/// Bytes that depend on position and seed.
pub fn payload(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Polls `cond` every 10 ms for up to 10 s.
#[track_caller]
pub fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(10));
    }
}

/// How a raw client's connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Eof,
    Reset,
    Other(ErrorKind),
}

/// Reads until the server ends the connection: what came, and how it ended.
pub fn read_to_end(s: &mut TcpStream) -> (Vec<u8>, Ending) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return (got, Ending::Eof),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                let end = match e.kind() {
                    ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => Ending::Reset,
                    k => Ending::Other(k),
                };
                return (got, end);
            }
        }
    }
}

/// Writes `bytes` after the server ended the connection, reads, and
/// writes them again. A server that lingers reads and drops them; one that
/// closed for good answers the first with a reset, which the second write
/// reports (a read after end of stream reports none on Linux).
pub fn ending_after_more(s: &mut TcpStream, bytes: &[u8]) -> Ending {
    let kind = |e: std::io::Error| match e.kind() {
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe => {
            Ending::Reset
        }
        k => Ending::Other(k),
    };
    if let Err(e) = s.write_all(bytes) {
        return kind(e);
    }
    match read_to_end(s).1 {
        Ending::Eof => {}
        other => return other,
    }
    match s.write_all(bytes) {
        Ok(()) => Ending::Eof,
        Err(e) => kind(e),
    }
}
