//! Memory bounded in total, not only per connection: 100 clients each send
//! three legal 16 MiB echo frames and never read the answers. Before frames
//! were streamed, each server held whole frames and grew by 1.6 GiB
//! (non-blocking) and 2.1 GiB (blocking); now a connection holds one 64 KiB
//! read and a 64 KiB output at most, so the growth stays under 64 MiB.
//!
//! Linux only: the server's peak resident memory comes from `/proc`.

#![cfg(target_os = "linux")]

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use sockmodes_common::frame::header;
use sockmodes_models::child::ServerProcess;
use util::{push_from_100_clients, Pushed};

mod util;

/// The most a server may grow while 100 connections push 48 MiB each.
const BUDGET: u64 = 64 << 20;

#[test]
fn a_hundred_clients_pushing_16_mib_frames_cost_under_64_mib_in_every_model() {
    let frame_len = 16 << 20;
    let mut frame = header(frame_len).unwrap().to_vec();
    frame.extend(std::iter::repeat_n(0x5a, frame_len));
    let frame = std::sync::Arc::new(frame);
    for model in sockmodes_models::Model::servers().iter().map(|m| m.name()) {
        let bin = Path::new(env!("CARGO_BIN_EXE_sockmodes"));
        let srv = ServerProcess::start(bin, &["--mode", model, "--service", "echo"])
            .expect("server starts");
        let frame = std::sync::Arc::clone(&frame);
        let pushed = push_from_100_clients(srv, move |s| {
            // Never read: the server's output fills, it stops reading, and
            // our writes stall; the timeout ends them.
            s.set_write_timeout(Some(Duration::from_secs(2))).unwrap();
            let mut sent = 0usize;
            'frames: for _ in 0..3 {
                let mut rest = &frame[..];
                while !rest.is_empty() {
                    match s.write(rest) {
                        Ok(n) => {
                            sent += n;
                            rest = &rest[n..];
                        }
                        Err(_) => break 'frames,
                    }
                }
            }
            sent
        });
        let Pushed { before, peak, sent } = pushed;
        let grew = pushed.grew();
        assert!(
            sent > 100 * (1 << 20),
            "{model}: the clients did push ({sent} B)"
        );
        assert!(
            grew <= BUDGET,
            "{model}: the server grew by {} MiB (from {} MiB) under 100 x 48 MiB of unread echoes",
            grew >> 20,
            before >> 20
        );
        eprintln!("{model}: peak {} MiB, grew {} MiB", peak >> 20, grew >> 20);
    }
}
