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
use sockmodes_nonblocking::multi::{Event, MultiClient};

use super::servers::MAX_FRAME;

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

/// `conns` connections on one `Poll`, each keeping one 64-byte echo in flight.
pub struct Swarm {
    multi: MultiClient,
    ids: Vec<usize>,
    payload: Vec<u8>,
}

impl Swarm {
    pub fn connect(addr: SocketAddr, conns: usize, payload_len: usize) -> Swarm {
        let mut multi = MultiClient::new(MAX_FRAME).expect("poll");
        let ids: Vec<usize> = (0..conns)
            .map(|_| multi.connect(addr).expect("connect"))
            .collect();
        let mut pending = conns;
        let deadline = Instant::now() + Duration::from_secs(30);
        while pending > 0 {
            assert!(Instant::now() < deadline, "connections did not complete");
            multi
                .poll(
                    Some(Duration::from_millis(100)),
                    |_, event, _| match event {
                        Event::Connected => pending -= 1,
                        Event::Failed(e) => panic!("bench connection failed: {e}"),
                        _ => {}
                    },
                )
                .expect("poll");
        }
        Swarm {
            multi,
            ids,
            payload: vec![0x5a; payload_len],
        }
    }

    /// Completes `iters * conns` round trips, closed loop: each connection
    /// sends its next frame when the previous answer arrives.
    pub fn run(&mut self, iters: u64) -> Duration {
        let target = iters * self.ids.len() as u64;
        let (mut sent, mut received) = (0u64, 0u64);
        let start = Instant::now();
        for &id in &self.ids {
            if sent == target {
                break;
            }
            let payload = &self.payload;
            self.multi
                .with_outbox(id, |out| out.send_frame(payload))
                .expect("send");
            sent += 1;
        }
        let payload = &self.payload;
        while received < target {
            self.multi
                .poll(None, |_, event, out| match event {
                    Event::Frame(_) => {
                        received += 1;
                        if sent < target {
                            out.send_frame(payload).expect("send");
                            sent += 1;
                        }
                    }
                    Event::Failed(e) => panic!("bench connection failed: {e}"),
                    Event::Closed => panic!("server closed a bench connection"),
                    Event::Connected => {}
                })
                .expect("poll");
        }
        start.elapsed()
    }
}
