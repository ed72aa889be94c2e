//! Frames of the protocol's default limit (16 MiB) through every load
//! engine: each client session streams them both ways through fixed
//! buffers, so no engine deadlocks on a server that echoes while the frame
//! arrives (the blocking engine once wrote the whole frame before reading,
//! and both ends waited forever), and every connection is answered.

mod util;

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use sockmodes::load::{self, LoadConfig};
use sockmodes::IoMode;
use sockmodes_common::{Service, DEFAULT_MAX_FRAME};
use util::server;

#[test]
fn frames_of_16_mib_on_100_connections_answer_every_connection_in_every_engine() {
    for mode in IoMode::CLIENTS {
        let (srv, _) = server(IoMode::NonBlocking, Service::Echo, |_| {});
        let config = LoadConfig {
            connections: 100,
            size: DEFAULT_MAX_FRAME,
            duration: Duration::from_millis(500),
            warmup: Duration::ZERO,
            // Until every connection's first answer: 1.6 GB each way.
            warmup_cap: Duration::from_secs(600),
            ..LoadConfig::new(mode, srv.local_addr())
        };
        let run = load::run(&config, Arc::new(AtomicU64::new(0))).expect("load runs");
        let r = run.report();
        assert_eq!(r.ended.served, 100, "{mode}: {:?}", r.ended);
        // Answered at least once each, in the warm-up or the window (the
        // window is too short for every 16 MiB round trip to land in it).
        assert_eq!(r.ramp.never_answered, 0, "{mode}: {:?}", r.ramp);
        assert!(!r.ramp.cap_reached, "{mode}: {:?}", r.ramp);
        assert_eq!(r.errors, 0, "{mode}");
        drop(srv);
    }
}
