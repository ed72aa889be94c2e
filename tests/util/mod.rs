//! Shared test helpers: servers of either mode on 127.0.0.1:0, clients, waits.
#![allow(dead_code)] // each test file uses a different subset

pub mod cli;
pub mod proxy;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use sockmodes_common::Service;
use sockmodes_models::{start_server, Client, ClientSettings, IoMode, Server};
use sockmodes_serving::{MessageHandler, ServerConfig};

/// Messages a server delivered, shared with the test.
pub type Inbox = Arc<Mutex<Vec<Vec<u8>>>>;

/// A server of `mode` for `service` on 127.0.0.1:0, after `tweak`.
#[track_caller]
pub fn server(
    mode: IoMode,
    service: Service,
    tweak: impl FnOnce(&mut ServerConfig),
) -> (Server, Inbox) {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), service);
    tweak(&mut config);
    let inbox: Inbox = Arc::default();
    let sink = Arc::clone(&inbox);
    let handler: MessageHandler = Arc::new(move |_, m| sink.lock().unwrap().push(m));
    let server = start_server(mode, config, handler).expect("server starts");
    (server, inbox)
}

/// A client of `mode` connected to `addr` with default settings.
#[track_caller]
pub fn client(mode: IoMode, addr: SocketAddr) -> Client {
    Client::connect(mode, addr, &ClientSettings::default()).expect("client connects")
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

/// Every (client mode, server mode) pairing.
pub fn pairings() -> Vec<(IoMode, IoMode)> {
    IoMode::CLIENTS
        .into_iter()
        .flat_map(|c| IoMode::servers().into_iter().map(move |s| (c, s)))
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
