//! Non-blocking load: a few threads, each one `MultiClient` (one `Poll`)
//! driving its share of the connections.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use sockmodes_common::client::check_sink;
use sockmodes_common::{ClientError, Service, SinkTally};
use sockmodes_nonblocking::multi::{Event, MultiClient};

use super::record::{until, Recorder};
use super::{LoadConfig, LoadError, Outcome, Schedule, Start};

/// How long after the end connections may take to deliver owed answers.
///
/// Why 5 s: a sink summary follows the last frame by one round trip; a server
/// that needs longer is stalled, and its connections count as errors.
const DRAIN_GRACE: Duration = Duration::from_secs(5);

#[derive(Default)]
struct ConnState {
    connected: bool,
    failed: bool,
    finished: bool,
    /// Due times of echoes in flight, oldest first.
    in_flight: VecDeque<Instant>,
    schedule: Option<Schedule>,
    /// Sink: what was sent, and how much of it during warm-up.
    tally: SinkTally,
    warm_bytes: u64,
    /// Sink: the frame handed to the socket and when it was due.
    queued: Option<Instant>,
    shut: bool,
}

pub(super) fn run(config: &LoadConfig, progress: &Arc<AtomicU64>) -> Result<Outcome, LoadError> {
    let cores = thread::available_parallelism().map_or(1, usize::from);
    let loops = cores.min(config.connections);
    let start = Start::new(config, loops, Arc::clone(progress));
    let mut threads = Vec::with_capacity(loops);
    for l in 0..loops {
        // Spread connections evenly: loop l takes every loops-th index from l.
        let share: Vec<usize> = (l..config.connections).step_by(loops).collect();
        let start = Arc::clone(&start);
        threads.push(
            thread::Builder::new()
                .name(format!("load-loop-{l}"))
                .spawn(move || event_loop(&share, &start))?,
        );
    }
    let mut total: Option<Recorder> = None;
    let mut connected = 0;
    let mut first_error: Option<ClientError> = None;
    for t in threads {
        let (rec, ok, err) = t.join().expect("load loop panicked")?;
        connected += ok;
        if first_error.is_none() {
            first_error = err;
        }
        match &mut total {
            Some(tot) => tot.merge(&rec),
            None => total = Some(rec),
        }
    }
    let total = total.expect("at least one loop");
    if connected == 0 {
        return Err(LoadError::Connect(
            first_error.expect("every connection failed, so there is an error"),
        ));
    }
    Ok(Outcome {
        recorder: total,
        connected,
        threads: loops,
        start,
    })
}

type LoopResult = Result<(Recorder, usize, Option<ClientError>), LoadError>;

fn event_loop(share: &[usize], run: &Start) -> LoopResult {
    let (config, payload, progress) = (&run.config, &run.payload[..], &*run.progress);
    let mut multi = MultiClient::new(config.max_frame)?;
    let mut first_error = None;
    let mut states: Vec<ConnState> = Vec::new();
    let mut pending_connects = 0;
    for _ in share {
        match multi.connect(config.addr) {
            Ok(id) => {
                if states.len() <= id {
                    states.resize_with(id + 1, ConnState::default);
                }
                pending_connects += 1;
            }
            Err(e) => first_error = first_error.or(Some(e)),
        }
    }
    // Finish every handshake before the clock starts.
    let connect_deadline = Instant::now() + Duration::from_secs(10);
    while pending_connects > 0 && Instant::now() < connect_deadline {
        multi.poll(Some(until(connect_deadline)), |id, event, _| match event {
            Event::Connected => {
                states[id].connected = true;
                pending_connects -= 1;
            }
            Event::Failed(e) => {
                states[id].failed = true;
                pending_connects -= 1;
                first_error.get_or_insert(e);
            }
            _ => {}
        })?;
    }
    let start = run.wait();
    let measure_from = start + config.warmup;
    let end = measure_from + config.duration;
    let mut rec = Recorder::new();
    rec.errors += share
        .len()
        .saturating_sub(states.iter().filter(|s| s.connected).count()) as u64;
    let ids: Vec<usize> = (0..states.len())
        .filter(|&id| states[id].connected)
        .collect();
    let n = config.connections as f64;
    for (k, &id) in ids.iter().enumerate() {
        if let Some(rate) = config.rate {
            states[id].schedule = Some(Schedule::new(start, rate / n, k as f64 / ids.len() as f64));
        }
    }
    let sink = config.service == Service::Sink;
    let drain_until = end + DRAIN_GRACE;
    // Connections stay open until the monitor has sampled the window's end.
    let mut window_closed = false;
    loop {
        let mut now = Instant::now();
        if now >= end && !window_closed {
            run.wait_window_closed();
            window_closed = true;
            now = Instant::now();
        }
        // Sends due now: open-loop schedules, closed-loop first sends, and
        // sink frames whose predecessor the socket has taken.
        let mut next_wake = if now < end {
            Some(end)
        } else {
            Some(drain_until)
        };
        for &id in &ids {
            let st = &mut states[id];
            if st.failed || st.finished {
                continue;
            }
            let mut due_sends: Vec<Instant> = Vec::new();
            if now < end {
                match &mut st.schedule {
                    Some(s) => {
                        while s.due() <= now {
                            due_sends.push(s.take());
                        }
                        next_wake = next_wake.min(Some(s.due()));
                    }
                    None if sink || st.in_flight.is_empty() => due_sends.push(now),
                    None => {}
                }
            }
            let result = multi.with_outbox(id, |out| {
                if sink {
                    if let Some(due) = st.queued {
                        if out.pending() == 0 {
                            st.queued = None;
                            if rec.complete(measure_from, due, now, 0) {
                                progress.fetch_add(1, Ordering::Relaxed);
                            } else {
                                st.warm_bytes += payload.len() as u64;
                            }
                        }
                    }
                    // One frame in the socket at a time per connection: the
                    // next is due when the previous one was taken.
                    if st.queued.is_none() {
                        if let Some(&due) = due_sends.last() {
                            out.send_frame(payload)?;
                            st.tally.add(payload);
                            st.queued = Some(due);
                        }
                    }
                    if now >= end && st.queued.is_none() && !st.shut {
                        out.shutdown_write();
                        st.shut = true;
                    }
                } else {
                    for due in due_sends {
                        out.send_frame(payload)?;
                        st.in_flight.push_back(due);
                    }
                    if now >= end && st.in_flight.is_empty() && !st.shut {
                        out.shutdown_write();
                        st.shut = true;
                    }
                }
                Ok(())
            });
            if result.is_err() {
                st.failed = true;
                rec.errors += 1;
            }
            if sink && st.queued.is_some() && now < end {
                // Re-check soon whether the socket took the frame.
                next_wake = next_wake.min(Some(now + Duration::from_micros(200)));
            }
        }
        let open = ids
            .iter()
            .any(|&id| !states[id].failed && !states[id].finished);
        if !open || now >= drain_until {
            break;
        }
        multi.poll_until(next_wake, |id, event, out| {
            let st = &mut states[id];
            match event {
                Event::Frame(frame) if sink => {
                    let ok = check_sink(config.addr, st.tally.summary(), frame);
                    match ok {
                        Ok(summary) => rec.bytes += summary.bytes - st.warm_bytes,
                        Err(e) => {
                            tracing::debug!(error = %e, "sink summary mismatch");
                            rec.errors += 1;
                        }
                    }
                    st.finished = true;
                }
                Event::Frame(frame) => {
                    let Some(due) = st.in_flight.pop_front() else {
                        rec.errors += 1; // an answer nobody asked for
                        return;
                    };
                    let now = Instant::now();
                    if frame != payload {
                        rec.errors += 1;
                    } else if rec.complete(measure_from, due, now, payload.len()) {
                        progress.fetch_add(1, Ordering::Relaxed);
                    }
                    if st.schedule.is_none() && now < end {
                        // Closed loop: the answer releases the next send.
                        if out.send_frame(payload).is_ok() {
                            st.in_flight.push_back(now);
                        }
                    } else if window_closed && st.in_flight.is_empty() && !st.shut {
                        out.shutdown_write();
                        st.shut = true;
                    }
                }
                Event::Closed => st.finished = true,
                Event::Failed(e) => {
                    tracing::debug!(error = %e, "load connection failed");
                    st.failed = true;
                    rec.errors += 1;
                }
                Event::Connected => {}
            }
        })?;
    }
    // Connections still owing answers after the grace period are errors.
    rec.errors += ids
        .iter()
        .filter(|&&id| !states[id].failed && !states[id].finished)
        .count() as u64;
    let connected = ids.len();
    Ok((rec, connected, first_error))
}
