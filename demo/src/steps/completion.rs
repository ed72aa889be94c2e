//! Step 12: readiness against completion. Who performs the read, and what
//! a message costs in system calls.
//!
//! The same echo traffic goes to the event loop (readiness: `epoll_wait`
//! says a socket is readable, then the loop calls `recv` and `send`
//! itself) and to the io_uring server (completion: the kernel performs the
//! receives and sends it was handed, and one `io_uring_enter` submits new
//! ones and collects the finished ones in batches). Each server counts the
//! system calls it makes (`StatsSnapshot::syscalls`); the step divides by
//! the messages. Where io_uring is missing the step says why.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sockmodes_common::Service;
use sockmodes_nonblocking::multi::{Event, ManyClient};

use super::{server, step, Ctx, Step};
use sockmodes_models::Model;

/// Connections of the step: enough that batches form.
const CONNECTIONS: usize = 20;

/// `connections` x `trips` echo round trips against `addr`; returns how
/// many completed.
fn echo_traffic(addr: SocketAddr, connections: usize, trips: u64) -> anyhow::Result<u64> {
    let mut multi = ManyClient::new(1024)?;
    for _ in 0..connections {
        multi.connect(addr)?;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut left = vec![trips; connections];
    let mut started = vec![false; connections];
    let mut done = 0;
    let mut answered = 0;
    while done < connections && Instant::now() < deadline {
        multi.poll(
            Some(Duration::from_millis(100)),
            |id, event, out| match event {
                Event::Connected if !started[id] => {
                    started[id] = true;
                    if out.send_frame(b"ping").is_err() {
                        done += 1;
                    }
                }
                Event::Answered { .. } => {
                    answered += 1;
                    left[id] -= 1;
                    if left[id] == 0 || out.send_frame(b"ping").is_err() {
                        done += 1;
                    }
                }
                Event::Failed(_) => done += 1,
                _ => {}
            },
        )?;
    }
    anyhow::ensure!(
        answered == connections as u64 * trips,
        "only {answered} of {} echoes came back",
        connections as u64 * trips
    );
    Ok(answered)
}

pub fn readiness_against_completion(ctx: &Ctx) -> anyhow::Result<Step> {
    let lang = ctx.lang;
    let mut s = step(ctx, 12);
    // Echo round trips per connection: many, so that setting up the
    // connections (accept, socket options) weighs little per message.
    let trips = if ctx.pace.pause.is_zero() { 100 } else { 1000 };
    s.observe(
        "connections",
        lang.fill("v.n_times", &[("n", &CONNECTIONS), ("k", &trips)]),
    );
    for (model, key) in [
        (Model::NON_BLOCKING, "readiness_server"),
        (Model::COMPLETION, "completion_server"),
    ] {
        if let Err(why) = model.check_available() {
            s.observe(key, lang.fill("v.not_here", &[("why", &why)]));
            continue;
        }
        let srv = server(model, Service::Echo)?;
        let stats = srv.stats_handle();
        let before = stats.snapshot().syscalls;
        let messages = echo_traffic(srv.local_addr(), CONNECTIONS, trips)?;
        let calls = stats.snapshot().syscalls - before;
        srv.shutdown(Duration::from_secs(1));
        let per = format!("{:.2}", calls as f64 / messages as f64);
        s.observe(
            key,
            lang.fill(
                "v.syscalls",
                &[("msgs", &messages), ("calls", &calls), ("per", &per)],
            ),
        );
    }
    Ok(s)
}
