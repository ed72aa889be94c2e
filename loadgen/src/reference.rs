//! The simplest open-loop sender there can be: the yardstick for the load
//! generator's own cost.
//!
//! A load generator spends CPU on its bookkeeping (histograms, per-message
//! due times, a precise timer, per-connection tallies); on loopback it also
//! pays, in its own system calls, for the kernel waking the server. To know
//! which is which, this sender does only the unavoidable: it writes frames
//! on a schedule, round robin over its connections, and reads answers until
//! `WouldBlock`, counting bytes. No latencies, no timer but poll's own
//! timeout (millisecond granularity, so it sends in small batches), nothing
//! per message beyond one `write`. The CPU it uses per message is what any
//! open-loop sender must pay at that rate; the generator's excess over it
//! is the price of its figures.
//!
//! One mio loop per core the process may use, like the generator's
//! non-blocking engine.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use sockmodes_common::frame::encode_frame;
use sockmodes_common::Payload;
use sockmodes_python::{interrupted, would_block};

use super::cpu::{process_cpu_time, CpuWindow};
use super::record::until;

/// What a reference run did.
#[derive(Debug, Clone, Copy)]
pub struct ReferenceRun {
    /// Whole answers read in the measured window.
    pub answered: u64,
    /// The process's CPU over the measured window.
    pub cpu: Option<CpuWindow>,
}

impl ReferenceRun {
    /// CPU µs per answered message (None: not measured, or no answers).
    pub fn cpu_us_per_msg(&self) -> Option<f64> {
        let cpu = self.cpu?;
        (self.answered > 0).then(|| cpu.total_s() * 1e6 / self.answered as f64)
    }
}

/// Sends `rate` messages/s of `size`-byte echo frames over `connections`
/// to `addr` for `warmup + duration`, measuring the last `duration`.
///
/// # Errors
/// A connection or poll could not be made.
pub fn run(
    addr: SocketAddr,
    connections: usize,
    size: usize,
    rate: f64,
    warmup: Duration,
    duration: Duration,
) -> io::Result<ReferenceRun> {
    let loops = thread::available_parallelism()
        .map_or(1, usize::from)
        .min(connections);
    let mut frame = Vec::with_capacity(size + 4);
    encode_frame(&mut frame, &Payload::pattern(size).to_vec()).map_err(io::Error::other)?;
    let start = Instant::now() + Duration::from_millis(200);
    let from = start + warmup;
    let to = from + duration;
    thread::scope(|s| {
        let handles: Vec<_> = (0..loops)
            .map(|l| {
                let conns = (l..connections).step_by(loops).count();
                let frame = &frame;
                let rate = rate / loops as f64;
                s.spawn(move || sender(addr, conns, frame, rate, start, (from, to)))
            })
            .collect();
        thread::sleep(until(from));
        let before = process_cpu_time();
        thread::sleep(until(to));
        let after = process_cpu_time();
        let cpu = before
            .zip(after)
            .map(|(b, a)| CpuWindow::between(b, a, to - from));
        let mut run = ReferenceRun { answered: 0, cpu };
        for h in handles {
            run.answered += h.join().expect("reference sender panicked")?;
        }
        Ok(run)
    })
}

/// One loop: `conns` connections, `rate` frames/s from `start`; returns
/// the answers read within `window`.
fn sender(
    addr: SocketAddr,
    conns: usize,
    frame: &[u8],
    rate: f64,
    start: Instant,
    (from, to): (Instant, Instant),
) -> io::Result<u64> {
    let mut poll = Poll::new()?;
    let mut streams = Vec::with_capacity(conns);
    for i in 0..conns {
        let mut s = TcpStream::connect(addr)?;
        poll.registry()
            .register(&mut s, Token(i), Interest::READABLE)?;
        s.set_nodelay(true)?;
        streams.push(s);
    }
    let mut events = Events::with_capacity(1024);
    let mut scratch = vec![0u8; 64 * 1024];
    let (mut sent_total, mut bytes_in) = (0u64, 0u64);
    let interval = Duration::from_secs_f64(1.0 / rate);
    loop {
        let now = Instant::now();
        if now >= to {
            break;
        }
        // Every send due by now, round robin.
        let due = (now.saturating_duration_since(start).as_secs_f64() * rate) as u64;
        while sent_total < due {
            let next = sent_total as usize % streams.len();
            write_whole(&mut streams[next], frame)?;
            sent_total += 1;
        }
        let wake = start + interval.mul_f64((sent_total + 1) as f64);
        poll.poll(&mut events, Some(until(wake.min(to))))?;
        let counting = Instant::now() >= from;
        for ev in &events {
            let s = &mut streams[ev.token().0];
            loop {
                match s.read(&mut scratch) {
                    Ok(0) => break,
                    Ok(n) if counting => bytes_in += n as u64,
                    Ok(_) => {}
                    Err(e) if would_block(&e) => break,
                    Err(e) if interrupted(&e) => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }
    Ok(bytes_in / frame.len() as u64)
}

/// Writes a whole frame; a socket that cannot take 68 bytes at once is
/// waited for by spinning (it never happens at the rates this is used at).
fn write_whole(s: &mut TcpStream, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        match s.write(buf) {
            Ok(n) => buf = &buf[n..],
            Err(e) if would_block(&e) || interrupted(&e) => thread::yield_now(),
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
