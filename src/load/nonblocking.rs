//! Non-blocking load: a few threads, each one `MultiClient` (one `Poll`)
//! driving its share of the connections.
//!
//! The loop does work only where there is some: an answer releases the next
//! closed-loop send from inside the event handler, open-loop sends come off a
//! heap ordered by due time, and the whole set of connections is walked only
//! once, when the window closes. (An earlier version walked every connection
//! on every wake-up; at 1,000 connections that alone kept the client's core
//! busy, and the figures measured the client.) Sink keeps one frame in the
//! socket per connection and checks, on each wake-up, the connections whose
//! frame the socket has not yet taken.
//!
//! One file (just over 400 lines): the driver's methods share its state and
//! read best next to the loop that calls them.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use sockmodes_common::client::check_sink;
use sockmodes_common::{ClientError, Service, SinkTally};
use sockmodes_nonblocking::multi::{Event, MultiClient, Outbox};

use super::record::{until, Recorder, Window};
use super::{LoadConfig, LoadError, Outcome, Schedule, Start};

/// How long after the end connections may take to deliver owed answers.
///
/// Why 5 s: a sink summary follows the last frame by one round trip; a server
/// that needs longer is stalled, and its connections count as errors.
const DRAIN_GRACE: Duration = Duration::from_secs(5);

/// How soon a sink loop looks again whether the socket took its frame.
///
/// Why 200 µs: about one 1 MiB frame's time on loopback; sooner only spins.
const SINK_RECHECK: Duration = Duration::from_micros(200);

#[derive(Default)]
struct ConnState {
    connected: bool,
    /// Failed, or finished (closed by the server, or its summary arrived).
    done: bool,
    /// Due times of echoes in flight, oldest first.
    in_flight: VecDeque<Instant>,
    schedule: Option<Schedule>,
    /// Sink: what was sent, and how much of it during warm-up.
    tally: SinkTally,
    warm_bytes: u64,
    /// Sink: the frame handed to the socket and when it was due.
    queued: Option<Instant>,
    /// Sink, open loop: due times of frames not yet handed to the socket.
    backlog: VecDeque<Instant>,
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
                .spawn(move || event_loop(share.len(), &start))?,
        );
    }
    let mut total = Recorder::new();
    let mut connected = 0;
    let mut first_error: Option<ClientError> = None;
    for t in threads {
        let (rec, ok, err) = t.join().expect("load loop panicked")?;
        connected += ok;
        if first_error.is_none() {
            first_error = err;
        }
        total.merge(&rec);
    }
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

/// One loop's connections and tallies (everything but the `MultiClient`,
/// which the event handler borrows separately).
struct Driver<'a> {
    run: &'a Start,
    states: Vec<ConnState>,
    /// Connections still open (neither failed nor finished).
    open: usize,
    /// Open loop: (due time, connection) of each connection's next send.
    due: BinaryHeap<Reverse<(Instant, usize)>>,
    rec: Recorder,
    window: Window,
    window_closed: bool,
    sink: bool,
}

fn event_loop(conns: usize, run: &Start) -> LoopResult {
    let config = &run.config;
    let mut multi = MultiClient::new(config.max_frame)?;
    let (states, first_error) = connect_all(&mut multi, conns, config)?;
    let start = run.wait();
    let measure_from = start + config.warmup;
    let mut d = Driver {
        run,
        open: states.iter().filter(|s| s.connected).count(),
        states,
        due: BinaryHeap::new(),
        rec: Recorder::new(),
        window: Window {
            from: measure_from,
            to: measure_from + config.duration,
        },
        window_closed: false,
        sink: config.service == Service::Sink,
    };
    d.rec.errors += (conns - d.open) as u64;
    let connected = d.open;
    d.first_sends(&mut multi, start);
    let drain_until = d.window.to + DRAIN_GRACE;
    loop {
        let mut now = Instant::now();
        if now >= d.window.to && !d.window_closed {
            // Connections stay open until the monitor sampled the end.
            run.wait_window_closed();
            d.window_closed = true;
            d.shut_idle(&mut multi);
            now = Instant::now();
        }
        if d.open == 0 || now >= drain_until {
            break;
        }
        let mut wake = if d.window_closed {
            drain_until
        } else {
            d.window.to
        };
        if !d.window_closed {
            d.send_due(&mut multi, now);
            if let Some(Reverse((at, _))) = d.due.peek() {
                wake = wake.min(*at);
            }
        }
        if d.sink && d.sink_progress(&mut multi, now) {
            wake = wake.min(now + SINK_RECHECK);
        }
        multi.poll_until(Some(wake), |id, event, out| d.on_event(id, event, out))?;
    }
    // Connections still owing answers after the grace period are errors.
    d.rec.errors += d.open as u64;
    Ok((d.rec, connected, first_error))
}

/// Opens `conns` connections and finishes every handshake before the clock
/// starts.
fn connect_all(
    multi: &mut MultiClient,
    conns: usize,
    config: &LoadConfig,
) -> Result<(Vec<ConnState>, Option<ClientError>), LoadError> {
    let mut states: Vec<ConnState> = Vec::new();
    let mut first_error = None;
    let mut pending = 0;
    for _ in 0..conns {
        match multi.connect(config.addr) {
            Ok(id) => {
                if states.len() <= id {
                    states.resize_with(id + 1, ConnState::default);
                }
                pending += 1;
            }
            Err(e) => first_error = first_error.or(Some(e)),
        }
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while pending > 0 && Instant::now() < deadline {
        multi.poll(Some(until(deadline)), |id, event, _| match event {
            Event::Connected => {
                states[id].connected = true;
                pending -= 1;
            }
            Event::Failed(e) => {
                states[id].done = true;
                pending -= 1;
                first_error.get_or_insert(e);
            }
            _ => {}
        })?;
    }
    Ok((states, first_error))
}

impl Driver<'_> {
    fn payload(&self) -> &[u8] {
        &self.run.payload
    }

    /// Closed loop: every connection's first frame. Open loop: every
    /// connection's schedule, phased so they do not send at one instant.
    fn first_sends(&mut self, multi: &mut MultiClient, start: Instant) {
        let ids: Vec<usize> = (0..self.states.len())
            .filter(|&id| self.states[id].connected)
            .collect();
        let config = &self.run.config;
        for (k, &id) in ids.iter().enumerate() {
            match config.rate {
                Some(rate) => {
                    let per_conn = rate / config.connections as f64;
                    let s = Schedule::new(start, per_conn, k as f64 / ids.len() as f64);
                    self.due.push(Reverse((s.due(), id)));
                    self.states[id].schedule = Some(s);
                }
                None if self.sink => {}
                None => self.send(multi, id, start),
            }
        }
    }

    /// Sends one echo frame due at `due` on `id`.
    fn send(&mut self, multi: &mut MultiClient, id: usize, due: Instant) {
        let payload = &self.run.payload;
        let st = &mut self.states[id];
        if multi.with_outbox(id, |out| out.send_frame(payload)).is_ok() {
            st.in_flight.push_back(due);
        } else {
            self.fail(id);
        }
    }

    /// Open loop: sends whatever is due by `now`.
    fn send_due(&mut self, multi: &mut MultiClient, now: Instant) {
        while let Some(&Reverse((at, id))) = self.due.peek() {
            if at > now {
                break;
            }
            self.due.pop();
            if self.states[id].done {
                continue;
            }
            let s = self.states[id].schedule.as_mut().expect("open loop");
            let due = s.take();
            let next = s.due();
            if self.sink {
                // Sink sends from `sink_progress`, one frame at a time.
                self.states[id].backlog.push_back(due);
            } else {
                self.send(multi, id, due);
            }
            if next < self.window.to {
                self.due.push(Reverse((next, id)));
            }
        }
    }

    /// Once the window closed: shut the sending side of every connection
    /// that owes nothing more, so the server closes it.
    fn shut_idle(&mut self, multi: &mut MultiClient) {
        for id in 0..self.states.len() {
            let st = &mut self.states[id];
            let owes = !st.in_flight.is_empty() || st.queued.is_some() || !st.backlog.is_empty();
            if st.connected && !st.done && !st.shut && !owes {
                multi
                    .with_outbox(id, |out| {
                        out.shutdown_write();
                        Ok(())
                    })
                    .ok();
                st.shut = true;
            }
        }
    }

    fn fail(&mut self, id: usize) {
        let st = &mut self.states[id];
        if !st.done {
            st.done = true;
            self.open -= 1;
            self.rec.errors += 1;
        }
    }

    fn finish(&mut self, id: usize) {
        let st = &mut self.states[id];
        if !st.done {
            st.done = true;
            self.open -= 1;
        }
    }

    /// Sink: every open connection's [`sink_step`]. True while some frame
    /// still waits for the socket to take it.
    fn sink_progress(&mut self, multi: &mut MultiClient, now: Instant) -> bool {
        let mut waiting = false;
        for id in 0..self.states.len() {
            if !self.states[id].connected || self.states[id].done {
                continue;
            }
            if multi
                .with_outbox(id, |out| sink_step(self, id, out, now))
                .is_err()
            {
                self.fail(id);
            }
            waiting |= self.states[id].queued.is_some();
        }
        waiting
    }

    fn on_event(&mut self, id: usize, event: Event<'_>, out: &mut Outbox<'_>) {
        match event {
            Event::Frame(frame) if self.sink => {
                let config = &self.run.config;
                let st = &self.states[id];
                match check_sink(config.addr, st.tally.summary(), frame) {
                    Ok(summary) => self.rec.bytes += summary.bytes - st.warm_bytes,
                    Err(e) => {
                        tracing::debug!(error = %e, "sink summary mismatch");
                        self.rec.errors += 1;
                    }
                }
                self.finish(id);
            }
            Event::Frame(frame) => self.on_echo(id, frame, out),
            Event::Closed => self.finish(id),
            Event::Failed(e) => {
                tracing::debug!(error = %e, "load connection failed");
                self.fail(id);
            }
            Event::Connected => {}
        }
    }

    fn on_echo(&mut self, id: usize, frame: &[u8], out: &mut Outbox<'_>) {
        let Some(due) = self.states[id].in_flight.pop_front() else {
            self.rec.errors += 1; // an answer nobody asked for
            return;
        };
        let now = Instant::now();
        if frame != self.payload() {
            self.rec.errors += 1;
        } else if self.rec.complete(self.window, due, now, frame.len()) {
            self.run.progress.fetch_add(1, Ordering::Relaxed);
        }
        let st = &mut self.states[id];
        if st.schedule.is_none() && now < self.window.to {
            // Closed loop: the answer releases the next send.
            if out.send_frame(&self.run.payload).is_ok() {
                st.in_flight.push_back(now);
            }
        } else if self.window_closed && st.in_flight.is_empty() && !st.shut {
            out.shutdown_write();
            st.shut = true;
        }
    }
}

/// One sink connection's step: count the frame the socket has taken, hand
/// it the next one due (closed loop: one at once while the window is open),
/// and shut the sending side once nothing is left to send.
fn sink_step(
    d: &mut Driver<'_>,
    id: usize,
    out: &mut Outbox<'_>,
    now: Instant,
) -> Result<(), ClientError> {
    let payload = &d.run.payload[..];
    let closed_loop_sending = d.run.config.rate.is_none() && !d.window_closed && now < d.window.to;
    let st = &mut d.states[id];
    if let (Some(due), 0) = (st.queued, out.pending()) {
        // The previous frame has left the socket.
        st.queued = None;
        if d.rec.complete(d.window, due, now, 0) {
            d.run.progress.fetch_add(1, Ordering::Relaxed);
        } else {
            st.warm_bytes += payload.len() as u64;
        }
    }
    if st.queued.is_none() {
        let next = st
            .backlog
            .pop_front()
            .or(closed_loop_sending.then_some(now));
        if let Some(due) = next {
            out.send_frame(payload)?;
            st.tally.add(payload);
            st.queued = Some(due);
        }
    }
    if d.window_closed && st.queued.is_none() && st.backlog.is_empty() && !st.shut {
        out.shutdown_write();
        st.shut = true;
    }
    Ok(())
}
