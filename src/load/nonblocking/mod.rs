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
//! Connecting is in `connect.rs`, the sink's one-frame-at-a-time sending in
//! `sink.rs`; the driver's echo methods stay here, next to the loop that
//! calls them.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use sockmodes_common::client::check_sink;
use sockmodes_common::{ClientError, Service, SinkTally};
use sockmodes_nonblocking::multi::{Event, MultiClient, Outbox};

mod connect;
mod sink;

use connect::connect_all;

use super::record::{Recorder, Window};
use super::{ConnTally, LoadConfig, LoadError, Outcome, Schedule, Start, DRAIN_GRACE};

/// How often a loop looks whether the window has opened, while warming up
/// with nothing else to wake it.
///
/// Why 10 ms: answers carry the news sooner (each one looks); this only
/// bounds how late an idle loop starts timing the window's end.
const WARMUP_TICK: Duration = Duration::from_millis(10);

/// How soon a sink loop looks again whether the socket took its frame.
///
/// Why 200 µs: about one 1 MiB frame's time on loopback; sooner only spins.
const SINK_RECHECK: Duration = Duration::from_micros(200);

#[derive(Default)]
struct ConnState {
    /// First answer, answers in the window, what was never answered.
    seen: ConnTally,
    /// Counted at the start line (answered once, or failed).
    settled: bool,
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
                .spawn(move || event_loop(&share, &start))?,
        );
    }
    let mut total = Recorder::new();
    let mut tallies = Vec::with_capacity(config.connections);
    let mut first_error: Option<ClientError> = None;
    for t in threads {
        let (rec, loop_tallies, err) = t.join().expect("load loop panicked")?;
        tallies.extend(loop_tallies);
        if first_error.is_none() {
            first_error = err;
        }
        total.merge(&rec);
    }
    tallies.sort_unstable_by_key(|t| t.index);
    let connected = tallies.len();
    if connected == 0 {
        return Err(LoadError::Connect(
            first_error.expect("every connection failed, so there is an error"),
        ));
    }
    Ok(Outcome {
        recorder: total,
        tallies,
        connected,
        threads: loops,
        start,
    })
}

type LoopResult = Result<(Recorder, Vec<ConnTally>, Option<ClientError>), LoadError>;

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
    /// The start line's time, and the window once it opened.
    start: Instant,
    window: Option<Window>,
    window_closed: bool,
    sink: bool,
}

fn event_loop(share: &[usize], run: &Start) -> LoopResult {
    let config = &run.config;
    let mut multi = MultiClient::new(config.max_frame)?;
    let (states, first_error) = connect_all(&mut multi, share, run)?;
    let start = run.wait();
    let mut d = Driver {
        run,
        open: states.iter().filter(|s| s.connected).count(),
        states,
        due: BinaryHeap::new(),
        rec: Recorder::new(),
        start,
        window: None,
        window_closed: false,
        sink: config.service == Service::Sink,
    };
    d.rec.errors += (share.len() - d.open) as u64;
    d.first_sends(&mut multi, start);
    loop {
        let mut now = Instant::now();
        d.window = d.window.or_else(|| run.window());
        if let Some(w) = d.window.filter(|w| now >= w.to && !d.window_closed) {
            // Sends due before the end still go (a late wake-up is not a
            // client behind its schedule), then connections stay open until
            // the monitor sampled the end.
            d.send_due(&mut multi, w.to - Duration::from_nanos(1));
            run.wait_window_closed();
            d.window_closed = true;
            d.shut_idle(&mut multi);
            now = Instant::now();
        }
        let drain_until = d.window.map(|w| w.to + DRAIN_GRACE);
        if d.open == 0 || drain_until.is_some_and(|t| now >= t) {
            break;
        }
        let mut wake = match (d.window, drain_until) {
            (Some(w), Some(drain)) => {
                if d.window_closed {
                    drain
                } else {
                    w.to
                }
            }
            _ => now + WARMUP_TICK,
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
    let tallies = d.finish_tallies();
    Ok((d.rec, tallies, first_error))
}

impl Driver<'_> {
    fn payload(&self) -> &[u8] {
        &self.run.payload
    }

    /// Counts an answer on `id` (sink: a frame the socket took) that was
    /// due at `due`; true when it was due in the window.
    fn answered(&mut self, id: usize, due: Instant, done: Instant, bytes: usize) -> bool {
        self.window = self.window.or_else(|| self.run.window());
        let st = &mut self.states[id];
        if st.seen.first_answer.is_none() {
            st.seen.first_answer = Some(done - self.start);
        }
        if !st.settled {
            st.settled = true;
            self.run.settle();
        }
        if Window::holds(self.window, done) {
            st.seen.answered_in_window += 1;
        }
        let counted = self.rec.complete(self.window, due, done, bytes);
        if counted {
            self.run.progress.fetch_add(1, Ordering::Relaxed);
        }
        counted
    }

    /// The run is over: what each connection is still owed, and its tally.
    /// A connection still open owes something (an answer, or the sink
    /// summary) and counts as an error.
    fn finish_tallies(&mut self) -> Vec<ConnTally> {
        let now = Instant::now();
        let ended = self.window.map_or(now, |w| w.to);
        let mut tallies = Vec::with_capacity(self.states.len());
        for st in self.states.iter_mut().filter(|s| s.connected) {
            if !st.done {
                let dues: Vec<Instant> = (st.in_flight.iter().chain(&st.queued))
                    .chain(&st.backlog)
                    .copied()
                    .collect();
                st.seen.unanswered = dues.len().max(1) as u64;
                let oldest = dues.iter().min().copied().unwrap_or(ended);
                st.seen.oldest_unanswered = Some(now.saturating_duration_since(oldest));
                self.rec.errors += 1;
            }
            tallies.push(st.seen);
        }
        tallies
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
                    let s = Schedule::new(start, per_conn, k as f64 / ids.len() as f64)
                        .on_grid(config.send_grid());
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
            if self.window.is_none_or(|w| next < w.to) {
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
        if !self.states[id].done {
            self.rec.errors += 1;
            self.owe_in_flight(id);
        }
        self.finish(id);
    }

    /// A connection that ended: its messages in flight will never be answered.
    fn owe_in_flight(&mut self, id: usize) {
        let st = &mut self.states[id];
        if let Some(&oldest) = st.in_flight.front() {
            st.seen.unanswered += st.in_flight.len() as u64;
            st.seen.oldest_unanswered = Some(oldest.elapsed());
            st.in_flight.clear();
        }
    }

    fn finish(&mut self, id: usize) {
        let st = &mut self.states[id];
        if !st.done {
            st.done = true;
            self.open -= 1;
        }
        if !st.settled {
            st.settled = true;
            self.run.settle();
        }
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
            Event::Closed => {
                self.owe_in_flight(id);
                self.finish(id);
            }
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
        } else {
            self.answered(id, due, now, frame.len());
        }
        let sending = self.window.is_none_or(|w| now < w.to);
        let st = &mut self.states[id];
        if st.schedule.is_none() && sending {
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
