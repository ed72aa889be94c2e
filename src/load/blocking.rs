//! Blocking load: one thread per connection, each waiting in its own calls.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use sockmodes_common::{ClientError, Service, SinkTally};

use super::record::{until, Recorder};
use super::{LoadConfig, LoadError, Outcome, Schedule, Start};
use crate::{Client, ClientSettings, IoMode};

/// Stack of each load thread.
///
/// Why 256 KiB: a client thread needs a few KiB; 10,000 of them then reserve
/// 2.5 GiB of address space but touch only what they use.
const STACK: usize = 256 * 1024;

pub(super) fn run(config: &LoadConfig, progress: &Arc<AtomicU64>) -> Result<Outcome, LoadError> {
    let n = config.connections;
    let start = Start::new(config, n, Arc::clone(progress));
    let mut threads = Vec::with_capacity(n);
    for i in 0..n {
        let start = Arc::clone(&start);
        let spawned = thread::Builder::new()
            .name(format!("load-{i}"))
            .stack_size(STACK)
            .spawn(move || worker(i, &start));
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
    let results: Vec<(Recorder, Option<ClientError>)> = threads
        .into_iter()
        .map(|t| t.join().expect("load thread panicked"))
        .collect();
    let start = start.started().expect("the barrier was passed");
    let mut total = Recorder::new(start + config.warmup);
    let mut connected = 0;
    let mut first_error = None;
    for (rec, connect_error) in &results {
        total.merge(rec);
        match connect_error {
            None => connected += 1,
            Some(e) if first_error.is_none() => first_error = Some(e.to_string()),
            Some(_) => {}
        }
    }
    if connected == 0 {
        let reason = results.into_iter().find_map(|(_, e)| e);
        return Err(LoadError::Connect(
            reason.expect("every connection failed, so there is an error"),
        ));
    }
    if let Some(e) = first_error {
        tracing::warn!(error = %e, failed = n - connected, "some connections failed");
    }
    Ok(Outcome {
        bytes: total.bytes,
        recorder: total,
        connected,
        measured: config.duration,
    })
}

fn worker(i: usize, run: &Start) -> (Recorder, Option<ClientError>) {
    let (config, payload, progress) = (&run.config, &run.payload[..], &*run.progress);
    let settings = ClientSettings {
        max_frame: config.max_frame,
        ..ClientSettings::default()
    };
    let client = Client::connect(IoMode::Blocking, config.addr, &settings);
    let start = run.wait();
    let measure_from = start + config.warmup;
    let end = measure_from + config.duration;
    let mut rec = Recorder::new(measure_from);
    let mut client = match client {
        Ok(c) => c,
        Err(e) => {
            rec.errors += 1;
            return (rec, Some(e));
        }
    };
    let mut schedule = config.rate.map(|rate| {
        Schedule::new(
            start,
            rate / config.connections as f64,
            i as f64 / config.connections as f64,
        )
    });
    // Closed loop: due now. Open loop: due at the scheduled time (sleep until then).
    let mut next_due = || match &mut schedule {
        Some(s) => {
            let due = s.take();
            thread::sleep(until(due));
            due
        }
        None => Instant::now(),
    };
    match config.service {
        Service::Sink => {
            let mut tally = SinkTally::new();
            let mut warm_bytes = 0u64;
            loop {
                let due = next_due();
                if due >= end {
                    break;
                }
                if let Err(e) = client.send_frame(payload) {
                    tracing::debug!(error = %e, "sink send failed");
                    rec.errors += 1;
                    return (rec, None);
                }
                tally.add(payload);
                if rec.complete(due, Instant::now(), 0) {
                    progress.fetch_add(1, Ordering::Relaxed);
                } else {
                    warm_bytes += payload.len() as u64;
                }
            }
            // Bytes count only once the server's summary confirms them.
            match client.finish_sink(&tally) {
                Ok(summary) => rec.bytes = summary.bytes - warm_bytes,
                Err(e) => {
                    tracing::debug!(error = %e, "sink summary failed");
                    rec.errors += 1;
                }
            }
        }
        _ => loop {
            let due = next_due();
            if due >= end {
                break;
            }
            match client.echo(payload) {
                Ok(()) => {
                    if rec.complete(due, Instant::now(), payload.len()) {
                        progress.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Err(e) => {
                    tracing::debug!(error = %e, "echo failed");
                    rec.errors += 1;
                    break;
                }
            }
        },
    }
    (rec, None)
}
