//! Steps 9 and 10: why non-blocking sockets exist. One thread with blocking
//! calls serves one client at a time, so a second client waits for the
//! first; an event loop (or a thread per connection) serves both. And with
//! many connections, threads cost memory and context switches that a loop
//! does not pay.

use std::fmt::Display;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use sockmodes_common::Service;
use sockmodes_nonblocking::multi::{Event, ManyClient};
use sockmodes_os::procfs::{self, ProcessSample};

use super::{millis, server, step, Ctx, Step};
use sockmodes_models::child::ServerProcess;
use sockmodes_models::Model;

/// The lab's `servidor.py`, in Rust: one thread, `accept` then read the
/// whole message, then the next client. No thread per connection, no loop.
fn lab_server(listener: TcpListener, clients: usize) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        for _ in 0..clients {
            let Ok((mut conn, _)) = listener.accept() else {
                return;
            };
            let _ = conn.read_to_end(&mut Vec::new());
            // Dropping `conn` closes it: the client sees the end.
        }
    })
}

/// When things happened in one race, from B's send.
struct Race {
    /// A's first and last byte.
    a_sends: (Duration, Duration),
    /// B's send until the server took its message (closed B).
    b_waits: Duration,
}

/// Client A connects first and then sends a byte at a time for `hold`,
/// starting once client B has sent its whole message; returns when each
/// did what, B's wait being how long the server took to take its message.
fn race(addr: SocketAddr, hold: Duration) -> anyhow::Result<Race> {
    let mut a = TcpStream::connect(addr)?;
    let (go, b_sent) = mpsc::channel::<Instant>();
    let dribbler = thread::spawn(move || -> std::io::Result<(Duration, Duration)> {
        let t0 = b_sent.recv().unwrap_or_else(|_| Instant::now());
        let first = t0.elapsed();
        let start = Instant::now();
        while start.elapsed() < hold {
            a.write_all(b"a")?;
            thread::sleep(hold / 10);
        }
        a.shutdown(Shutdown::Write)?;
        let last = t0.elapsed();
        a.read_to_end(&mut Vec::new()).map(|_| (first, last))
    });
    let mut b = TcpStream::connect(addr)?;
    b.set_read_timeout(Some(hold * 10 + Duration::from_secs(5)))?;
    let t = Instant::now();
    b.write_all(b"hola")?;
    b.shutdown(Shutdown::Write)?;
    let _ = go.send(t);
    b.read_to_end(&mut Vec::new())?;
    let b_waits = t.elapsed();
    let a_sends = dribbler.join().expect("client A's thread")?;
    Ok(Race { a_sends, b_waits })
}

/// Records a race as observation `key` and as the picture's row.
fn note_race(s: &mut Step, key: &'static str, race: &Race, text: String) {
    s.span(key, "A", "tl.a_sends", race.a_sends);
    s.span(key, "B", "tl.b_waits", (Duration::ZERO, race.b_waits));
    s.observe(key, text);
}

pub fn one_thread_two_clients(ctx: &Ctx) -> anyhow::Result<Step> {
    let lang = ctx.lang;
    let mut s = step(ctx, 9);
    let hold = ctx.pace.hold;
    s.observe("a_holds", millis(hold));

    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let lab = lab_server(listener, 2);
    let r = race(addr, hold)?;
    lab.join().expect("lab server thread");
    let text = lang.fill("v.b_after", &[("time", &millis(r.b_waits))]);
    note_race(&mut s, "b_one_thread", &r, text);

    let looped = server(Model::NON_BLOCKING, Service::Message)?;
    let r = race(looped.local_addr(), hold)?;
    looped.shutdown(Duration::from_secs(1));
    let text = lang.fill("v.b_after", &[("time", &millis(r.b_waits))]);
    note_race(&mut s, "b_loop", &r, text);

    let threaded = server(Model::BLOCKING, Service::Message)?;
    let r = race(threaded.local_addr(), hold)?;
    // One thread accepting, one per client: both clients were connected.
    let threads = 1 + threaded.stats().accepted;
    threaded.shutdown(Duration::from_secs(1));
    let text = lang.fill(
        "v.b_after_threads",
        &[("time", &millis(r.b_waits)), ("threads", &threads)],
    );
    note_race(&mut s, "b_threads", &r, text);
    Ok(s)
}

/// Round trips each connection makes in step 10.
const ROUND_TRIPS: u64 = 3;

/// What serving `n` connections cost one server process.
struct Served {
    time: Duration,
    /// Threads with every connection open, and the costs over the traffic.
    peak: Option<ProcessSample>,
    switches: Option<u64>,
}

/// `n` connections to a `model` server in its own process, each making a few
/// echo round trips.
fn serve_many(bin: &Path, model: &str, n: usize) -> anyhow::Result<Served> {
    let srv = ServerProcess::start(
        bin,
        &["--mode", model, "--service", "echo", "--max-conns", "20000"],
    )?;
    let mut multi = ManyClient::new(1024)?;
    for _ in 0..n {
        multi.connect(srv.addr)?;
    }
    let mut pending = n;
    let deadline = Instant::now() + Duration::from_secs(30);
    while pending > 0 && Instant::now() < deadline {
        multi.poll(
            Some(Duration::from_millis(100)),
            |_, event, _| match event {
                Event::Connected | Event::Failed(_) => pending -= 1,
                _ => {}
            },
        )?;
    }
    // Give the server a moment to accept (and, blocking, start) them all.
    thread::sleep(Duration::from_millis(100));
    let before = procfs::sample(srv.pid()).ok();
    let t = Instant::now();
    let mut left = vec![ROUND_TRIPS; multi.len()];
    let mut done = 0;
    for id in 0..multi.len() {
        multi.with_outbox(id, |out| out.send_frame(b"ping"))?;
    }
    while done < multi.len() && Instant::now() < deadline {
        multi.poll(Some(Duration::from_millis(100)), |id, event, out| {
            if let Event::Answered { .. } = event {
                left[id] -= 1;
                // Done when its round trips are, or when it cannot send more.
                if left[id] == 0 || out.send_frame(b"ping").is_err() {
                    done += 1;
                }
            }
        })?;
    }
    let time = t.elapsed();
    let after = procfs::sample(srv.pid()).ok();
    drop(multi);
    let _ = srv.terminate();
    anyhow::ensure!(done == n, "only {done} of {n} connections were served");
    Ok(Served {
        time,
        switches: before
            .zip(after)
            .filter(|(b, _)| b.switches_measured)
            .map(|(b, a)| a.switches().saturating_sub(b.switches())),
        peak: after,
    })
}

pub fn many_connections(ctx: &Ctx) -> anyhow::Result<Step> {
    let lang = ctx.lang;
    let mut s = step(ctx, 10);
    let n = ctx.pace.many;
    let _ = sockmodes_os::limits::raise_nofile_limit();
    s.observe(
        "connections",
        lang.fill("v.n_times", &[("n", &n), ("k", &ROUND_TRIPS)]),
    );
    let blocking = serve_many(&ctx.server_bin, "blocking", n)?;
    let nonblocking = serve_many(&ctx.server_bin, "nonblocking", n)?;
    for (key, served) in [
        ("blocking_server", &blocking),
        ("nonblocking_server", &nonblocking),
    ] {
        let time = millis(served.time);
        let text = match &served.peak {
            Some(p) => {
                let rss = format!("{:.1}", p.rss_bytes as f64 / (1024.0 * 1024.0));
                let costs: [(&str, &dyn Display); 3] =
                    [("threads", &p.threads), ("rss", &rss), ("time", &time)];
                match served.switches {
                    Some(sw) => lang.fill(
                        "v.server_costs",
                        &[&costs[..], &[("switches", &sw)]].concat(),
                    ),
                    // Windows: threads and the working set, no switches.
                    None => lang.fill("v.server_costs_no_switches", &costs),
                }
            }
            None => lang.fill("v.server_costs_unmeasured", &[("time", &time)]),
        };
        s.observe(key, text);
    }
    if let (Some(b), Some(nb)) = (&blocking.peak, &nonblocking.peak) {
        let threads: [(&str, &dyn Display); 3] =
            [("bt", &b.threads), ("n", &n), ("nt", &nb.threads)];
        let text = match blocking.switches.zip(nonblocking.switches) {
            Some((bs, ns)) => lang.fill(
                "s10.meaning",
                &[&threads[..], &[("bs", &bs), ("ns", &ns)]].concat(),
            ),
            None => lang.fill("s10.meaning_threads", &threads),
        };
        s.observe("meaning", text);
    }
    Ok(s)
}
