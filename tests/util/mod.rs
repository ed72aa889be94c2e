//! Shared test helpers: servers of any model on 127.0.0.1:0, clients, waits.
#![allow(dead_code)] // each test file uses a different subset

pub mod cli;
pub mod json_schema;
pub mod proxy;
pub mod python;

use std::io::{ErrorKind, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use sockmodes_common::Service;
use sockmodes_models::{start_server, Client, ClientSettings, Model, Server};
use sockmodes_serving::{MessageHandler, ServerConfig};

/// Messages a server delivered, shared with the test.
pub type Inbox = Arc<Mutex<Vec<Vec<u8>>>>;

/// A server of `model` for `service` on 127.0.0.1:0, after `tweak`.
#[track_caller]
pub fn server(
    model: Model,
    service: Service,
    tweak: impl FnOnce(&mut ServerConfig),
) -> (Server, Inbox) {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), service);
    tweak(&mut config);
    let inbox: Inbox = Arc::default();
    let sink = Arc::clone(&inbox);
    let handler: MessageHandler = Arc::new(move |_, m| sink.lock().unwrap().push(m));
    let server = start_server(model, config, handler).expect("server starts");
    (server, inbox)
}

/// A client of `model` connected to `addr` with default settings.
#[track_caller]
pub fn client(model: Model, addr: SocketAddr) -> Client {
    Client::connect(model, addr, &ClientSettings::default()).expect("client connects")
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

/// Sends echo frames of 64 KiB on `s` (made non-blocking) and never reads
/// the answers, until both directions' buffers are full (the writes have
/// stalled for 200 ms), `stop` says so, or the server ended the connection.
pub fn never_read_answers(s: &mut TcpStream, mut stop: impl FnMut() -> bool) {
    s.set_nonblocking(true).unwrap();
    let mut frame = Vec::new();
    sockmodes_common::frame::encode_frame(&mut frame, &[7u8; 64 * 1024]).unwrap();
    let (mut offset, mut stalled) = (0, None::<Instant>);
    while stalled.is_none_or(|t| t.elapsed() < Duration::from_millis(200)) {
        if stop() {
            break;
        }
        match s.write(&frame[offset..]) {
            Ok(n) => {
                offset = (offset + n) % frame.len();
                stalled = None;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                stalled.get_or_insert_with(Instant::now);
                thread::sleep(Duration::from_millis(5));
            }
            // The server ended it (its lingering close reads and discards
            // until its bound).
            Err(_) => break,
        }
    }
}

/// What a server process held while clients pushed at it.
#[cfg(target_os = "linux")]
pub struct Pushed {
    /// Resident bytes before the clients came.
    pub before: u64,
    /// The process's peak resident bytes once they were done.
    pub peak: u64,
    /// The bytes the clients sent in all.
    pub sent: usize,
}

#[cfg(target_os = "linux")]
impl Pushed {
    /// How much the server grew at its peak.
    pub fn grew(&self) -> u64 {
        self.peak.saturating_sub(self.before)
    }
}

/// 100 clients connect to `srv` at once, each running `push` on its
/// connection (they never read) and returning the bytes it sent. Every
/// connection stays open until all the clients are done, so the server's
/// peak holds them all. Ends the server.
#[cfg(target_os = "linux")]
pub fn push_from_100_clients(
    srv: sockmodes_models::child::ServerProcess,
    push: impl Fn(&mut TcpStream) -> usize + Send + Sync + 'static,
) -> Pushed {
    use sockmodes_os::procfs;
    let before = procfs::resident_bytes(Some(srv.pid())).unwrap();
    let push = Arc::new(push);
    let clients: Vec<_> = (0..100)
        .map(|_| {
            let (addr, push) = (srv.addr, Arc::clone(&push));
            thread::spawn(move || {
                let mut s = TcpStream::connect(addr).unwrap();
                let sent = push(&mut s);
                (s, sent)
            })
        })
        .collect();
    let streams: Vec<(TcpStream, usize)> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    let peak = procfs::peak_resident_bytes(srv.pid()).unwrap();
    let sent = streams.iter().map(|(_, n)| n).sum();
    drop(streams);
    srv.terminate().unwrap();
    Pushed { before, peak, sent }
}

/// Runs `sockmodes_loadgen` in the test's process, 4 connections for 1 s
/// with no warm-up, after `tweak`; its report.
#[track_caller]
pub fn run_load(
    model: Model,
    addr: SocketAddr,
    tweak: impl FnOnce(&mut sockmodes_loadgen::LoadConfig),
) -> sockmodes_loadgen::LoadReport {
    let mut config = sockmodes_loadgen::LoadConfig {
        connections: 4,
        duration: Duration::from_secs(1),
        warmup: Duration::ZERO,
        ..sockmodes_loadgen::LoadConfig::new(model, addr)
    };
    tweak(&mut config);
    let stop = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let run = sockmodes_loadgen::run(&config, stop).expect("load runs");
    run.report().clone()
}

/// Requires a warning of `report` that says `text`.
#[track_caller]
pub fn assert_warned(report: &sockmodes_loadgen::LoadReport, text: &str) {
    assert!(
        report.warnings.iter().any(|w| w.contains(text)),
        "no warning says {text:?}: {:?}",
        report.warnings
    );
}

/// Every (client model, server model) pairing.
pub fn pairings() -> Vec<(Model, Model)> {
    Model::CLIENTS
        .into_iter()
        .flat_map(|c| Model::servers().into_iter().map(move |s| (c, s)))
        .collect()
}

/// A payload whose bytes depend on position and seed, so misordered or
/// mixed-up data is caught.
pub fn payload(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// A bitwise CRC-32 (IEEE), independent of the code under test.
pub fn reference_crc32<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> u32 {
    let mut crc = !0u32;
    for chunk in chunks {
        for &b in chunk {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
    }
    !crc
}
