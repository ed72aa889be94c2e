//! Blocking load: one thread per connection, each waiting in its own calls.
//!
//! Threads record into a few shared shards rather than a recorder each: a
//! recorder holds a histogram per second, and 10,000 threads each holding
//! their own would cost gigabytes. A shard's lock is held for one
//! histogram increment, so with a few shards per core it is rarely contended.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Instant;

use sockmodes_common::{ClientError, Service, SinkTally};

use super::record::{until, Recorder, Window};
use super::{LoadConfig, LoadError, Outcome, Schedule, Start};
use crate::{Client, ClientSettings, IoMode};

/// Recorder shards per core.
///
/// Why 4: enough that two threads of one core rarely want the same shard at
/// once, few enough that the shards' histograms cost little.
const SHARDS_PER_CORE: usize = 4;

type Shards = Arc<Vec<Mutex<Recorder>>>;

/// Stack of each load thread.
///
/// Why 256 KiB: a client thread needs a few KiB; 10,000 of them then reserve
/// 2.5 GiB of address space but touch only what they use.
const STACK: usize = 256 * 1024;

pub(super) fn run(config: &LoadConfig, progress: &Arc<AtomicU64>) -> Result<Outcome, LoadError> {
    let n = config.connections;
    let start = Start::new(config, n, Arc::clone(progress));
    let cores = thread::available_parallelism().map_or(1, usize::from);
    let shards: Shards = Arc::new(
        (0..(cores * SHARDS_PER_CORE).min(n))
            .map(|_| Mutex::new(Recorder::new()))
            .collect(),
    );
    let mut threads = Vec::with_capacity(n);
    for i in 0..n {
        let (start, shards) = (Arc::clone(&start), Arc::clone(&shards));
        let spawned = thread::Builder::new()
            .name(format!("load-{i}"))
            .stack_size(STACK)
            .spawn(move || worker(i, &start, &shards[i % shards.len()]));
        match spawned {
            Ok(t) => threads.push(t),
            Err(e) => {
                // The barrier counts n parties; those already started would
                // wait forever, so give up on the whole run.
                return Err(LoadError::Io(std::io::Error::new(
                    e.kind(),
                    format!("could not start load thread {i} of {n}: {e}"),
                )));
            }
        }
    }
    let results: Vec<Option<ClientError>> = threads
        .into_iter()
        .map(|t| t.join().expect("load thread panicked"))
        .collect();
    let mut total = Recorder::new();
    for shard in shards.iter() {
        total.merge(&shard.lock().expect("no worker panicked"));
    }
    let mut connected = 0;
    let mut first_error = None;
    for connect_error in &results {
        match connect_error {
            None => connected += 1,
            Some(e) if first_error.is_none() => first_error = Some(e.to_string()),
            Some(_) => {}
        }
    }
    if connected == 0 {
        let reason = results.into_iter().flatten().next();
        return Err(LoadError::Connect(
            reason.expect("every connection failed, so there is an error"),
        ));
    }
    if let Some(e) = first_error {
        tracing::warn!(error = %e, failed = n - connected, "some connections failed");
    }
    Ok(Outcome {
        recorder: total,
        connected,
        threads: n,
        start,
    })
}

/// One connection's thread: connects, waits at the start line, then sends
/// until the window ends. Returns its connect error, if any.
fn worker(i: usize, run: &Start, shard: &Mutex<Recorder>) -> Option<ClientError> {
    let rec = || shard.lock().expect("no worker panicked while recording");
    let (config, payload, progress) = (&run.config, &run.payload[..], &*run.progress);
    let settings = ClientSettings {
        max_frame: config.max_frame,
        ..ClientSettings::default()
    };
    let client = Client::connect(IoMode::Blocking, config.addr, &settings);
    let start = run.wait();
    let measure_from = start + config.warmup;
    let end = measure_from + config.duration;
    let window = Window {
        from: measure_from,
        to: end,
    };
    let mut client = match client {
        Ok(c) => c,
        Err(e) => {
            rec().errors += 1;
            return Some(e);
        }
    };
    let mut schedule = config.rate.map(|rate| {
        Schedule::new(
            start,
            rate / config.connections as f64,
            i as f64 / config.connections as f64,
        )
    });
    // Closed loop: due now. Open loop: due at the scheduled time (sleep until
    // then). `None` once the window is over. No send starts after the end: a
    // thread that fell behind its schedule counts what it never sent.
    let mut next_due = || {
        let due = match &mut schedule {
            Some(s) => {
                let due = s.take();
                thread::sleep(until(due));
                due
            }
            None => Instant::now(),
        };
        if due >= end {
            return None;
        }
        if let (Some(s), true) = (&mut schedule, Instant::now() >= end) {
            let behind = std::iter::once(due)
                .chain(std::iter::from_fn(|| (s.due() < end).then(|| s.take())))
                .filter(|&t| t >= measure_from)
                .count();
            rec().unsent += behind as u64;
            return None;
        }
        Some(due)
    };
    match config.service {
        Service::Sink => {
            let mut tally = SinkTally::new();
            let mut warm_bytes = 0u64;
            while let Some(due) = next_due() {
                if let Err(e) = client.send_frame(payload) {
                    tracing::debug!(error = %e, "sink send failed");
                    rec().errors += 1;
                    return None;
                }
                tally.add(payload);
                if rec().complete(window, due, Instant::now(), 0) {
                    progress.fetch_add(1, Ordering::Relaxed);
                } else {
                    warm_bytes += payload.len() as u64;
                }
            }
            run.wait_window_closed();
            // Bytes count only once the server's summary confirms them.
            match client.finish_sink(&tally) {
                Ok(summary) => rec().bytes += summary.bytes - warm_bytes,
                Err(e) => {
                    tracing::debug!(error = %e, "sink summary failed");
                    rec().errors += 1;
                }
            }
        }
        _ => {
            while let Some(due) = next_due() {
                match client.echo(payload) {
                    Ok(()) => {
                        let done = Instant::now();
                        if rec().complete(window, due, done, payload.len()) {
                            progress.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "echo failed");
                        rec().errors += 1;
                        break;
                    }
                }
            }
            run.wait_window_closed();
        }
    }
    None
}
