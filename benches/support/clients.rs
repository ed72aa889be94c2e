//! The client side of every case, the same against every server, so that a
//! difference between columns is the server's.
//!
//! Frames are encoded once, outside the timed part. The raw server echoes
//! bytes without parsing them, so the same framed bytes come back from all
//! four servers and the client reads exactly as many as it sent.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use sockmodes_common::frame::encode_frame;

/// One frame's bytes (header and payload), ready to write in one call.
pub fn wire(payload_len: usize) -> Vec<u8> {
    let payload: Vec<u8> = (0..payload_len).map(|i| (i % 251) as u8).collect();
    let mut out = Vec::with_capacity(payload_len + 4);
    encode_frame(&mut out, &payload).expect("bench frames fit");
    out
}

pub fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).expect("bench connects");
    s.set_nodelay(true).expect("nodelay");
    s
}

/// `iters` echo round trips on one connection; returns the time they took.
pub fn round_trips(stream: &mut TcpStream, wire: &[u8], reply: &mut [u8], iters: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        stream.write_all(wire).expect("send");
        stream.read_exact(reply).expect("echo back");
    }
    start.elapsed()
}

/// Streams `iters` echo frames with a writer thread while this thread reads
/// the echoes: throughput, not round-trip latency.
pub fn echo_stream(stream: &mut TcpStream, wire: &[u8], iters: u64) -> Duration {
    let mut writer = stream.try_clone().expect("clone");
    let mut sink = vec![0u8; 256 * 1024];
    let total = wire.len() as u64 * iters;
    let start = Instant::now();
    thread::scope(|s| {
        s.spawn(move || {
            for _ in 0..iters {
                writer.write_all(wire).expect("send");
            }
        });
        let mut got = 0u64;
        while got < total {
            let want = (total - got).min(sink.len() as u64) as usize;
            let n = stream.read(&mut sink[..want]).expect("echo back");
            assert!(n > 0, "server closed during the echo stream");
            got += n as u64;
        }
    });
    start.elapsed()
}

/// A sink upload of `iters` frames on a fresh connection (made before the
/// clock starts); the time includes the server's final answer.
pub fn sink_upload(addr: SocketAddr, wire: &[u8], iters: u64) -> Duration {
    let mut stream = connect(addr);
    let start = Instant::now();
    for _ in 0..iters {
        stream.write_all(wire).expect("send");
    }
    stream.shutdown(Shutdown::Write).expect("shutdown");
    // Our servers and tokio answer with the summary frame; raw just closes.
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).expect("answer");
    start.elapsed()
}
