//! The offload pool's backpressure bounds memory: 100 connections pipeline
//! small echo frames, never reading, against a pool of 2 workers that
//! finishes 200 frames a second. The pool's queue fills at once; the
//! connections whose work waits stop being read, so what they keep sending
//! stays in the kernel's socket buffers (TCP's flow control), and the
//! server grows by no more than the worst case it prints (`--max-conns
//! 100` x one connection, plus the pool).
//!
//! Linux only: the server's peak resident memory comes from `/proc`.

#![cfg(target_os = "linux")]

use std::io::Write;
use std::time::{Duration, Instant};

use sockmodes_common::frame::encode_frame;
use sockmodes_common::Service;
use sockmodes_models::Model;
use sockmodes_serving::ServerConfig;
use util::push_from_100_clients;

mod util;

#[test]
fn a_saturated_pool_holds_a_hundred_pipelining_clients_within_the_printed_worst_case() {
    let mut wire = Vec::new();
    for _ in 0..1024 {
        encode_frame(&mut wire, &[0x5a; 60]).unwrap();
    }
    let wire = std::sync::Arc::new(wire);
    for model in Model::servers() {
        let srv = util::cli::start_echo_with_work(
            model.name(),
            "block:10ms",
            &["--offload", "2", "--max-conns", "100"],
        );
        // The worst case the command printed, from the same configuration.
        let mut config = ServerConfig::new(srv.addr, Service::Echo);
        config.max_conns = 100;
        config.work = Some("block:10ms".parse().unwrap());
        config.offload = 2;
        let worst = model.memory_bound(&config).total();
        let wire = std::sync::Arc::clone(&wire);
        let pushed = push_from_100_clients(srv, move |s| {
            // Never read; writes stall once the server stops reading and
            // the socket buffers are full.
            s.set_write_timeout(Some(Duration::from_millis(500)))
                .unwrap();
            let until = Instant::now() + Duration::from_secs(2);
            let mut sent = 0usize;
            while Instant::now() < until {
                match s.write(&wire) {
                    Ok(n) => sent += n,
                    Err(_) => break,
                }
            }
            sent
        });
        let (sent, grew) = (pushed.sent, pushed.grew());
        // Far more than the pool could work through: it was saturated.
        let worked = 2 * 100 * 3 * 64; // 2 workers x 100/s x 3 s x 64 B
        assert!(
            sent > 10 * worked,
            "{model}: the clients did pipeline ({sent} B)"
        );
        assert!(
            grew <= worst,
            "{model}: the server grew by {} KiB, over its worst case of {} KiB",
            grew >> 10,
            worst >> 10
        );
        eprintln!(
            "{model}: sent {} KiB; grew {} KiB of a worst case of {} KiB",
            sent >> 10,
            grew >> 10,
            worst >> 10
        );
    }
}
