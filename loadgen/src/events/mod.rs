//! The event engine, for every model with a many-connection client: a few
//! threads, each one many-connection driver (a mio `Poll`, or an io_uring)
//! driving its share of the connections. The engine is written once over
//! what both drivers offer (`connections.rs`).
//!
//! The loop does work only where there is some: an answer releases the next
//! closed-loop send from inside the event handler, open-loop sends come off a
//! heap ordered by due time, and the whole set of connections is walked only
//! once, when the window closes: a walk of every connection on every wake-up
//! would alone keep the client's core busy at 1,000 connections, and the
//! figures would measure the client. Sink keeps one frame in the
//! socket per connection and checks, on each wake-up, the connections whose
//! frame the socket has not yet taken.
//!
//! Open-loop echo keeps at most [`MAX_IN_FLIGHT`] messages in flight per
//! connection: a connection behind its schedule sends the next due message
//! when an answer makes room, timed from its due time, and what it never
//! sent is counted at the window's end, never queued.
//!
//! Connecting is in `connect.rs`, echo's sending and answers in `echo.rs`,
//! the sink's one-frame-at-a-time sending in `sink.rs`; what counts is
//! decided by each connection's `Ledger` (`account`).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use sockmodes_client::{ClientError, ConnEvent as Event, Outbox};
use sockmodes_common::Service;

mod connect;
mod connections;
mod echo;
mod sink;

use connect::connect_all;
pub(crate) use connections::{connections, Connections};

use super::account::{ConnAccount, Ledger, Trouble};
use super::record::{Recorder, Window};
use super::{ConnTally, LoadConfig, LoadError, Outcome, Schedule, Start};

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

/// Open loop: the most echoes one connection has in flight.
///
/// Why 8: a few round trips' worth of pipelining keeps a connection busy
/// when its share of the rate is faster than a round trip, while a server
/// that falls behind makes the client wait, not queue: the sends it cannot
/// make are a count in the schedule ([`Schedule::unsent_in`]), never
/// memory. (Unbounded, `--rate 10000000` once reached 2.39 GB.)
const MAX_IN_FLIGHT: usize = 8;

/// Open loop: the most bytes of frames one connection has in flight.
///
/// Why 64 KiB: at 64 B frames the count above binds; at 1 MiB frames one at
/// a time, so 10,000 connections cannot queue gigabytes.
const MAX_IN_FLIGHT_BYTES: usize = 64 * 1024;

#[derive(Default)]
pub(super) struct ConnState {
    /// What it owes and was answered, how it ended, and whether it was
    /// counted at the start line (`account/`).
    account: ConnAccount,
    /// A connect was started.
    made: bool,
    connected: bool,
    /// The connect failed: how.
    refused: Option<Trouble>,
    /// Nothing more to drive: it ended, or it was served and shut.
    done: bool,
    schedule: Option<Schedule>,
    /// Its next due time is in the heap.
    in_heap: bool,
    /// Sink: the frame handed to the socket and when it was due.
    queued: Option<Instant>,
    /// Sink: the sending side was shut and the summary asked for (an echo
    /// connection is done once shut).
    shut: bool,
}

impl ConnState {
    /// The server ended it (during connecting, or later).
    fn end(&mut self, trouble: Trouble) {
        self.account.ledger.trouble(trouble, Instant::now());
        self.done = true;
    }

    /// Open loop: the next send's due time, taken, once reached by `now`;
    /// before that `None`, with the due time in the heap to wake the loop.
    /// Never one due after the window, nor any in a closed loop.
    fn due_by(
        &mut self,
        id: usize,
        now: Instant,
        window: Option<Window>,
        heap: &mut BinaryHeap<Reverse<(Instant, usize)>>,
    ) -> Option<Instant> {
        let s = self.schedule.as_mut()?;
        let at = s.due();
        if window.is_some_and(|w| at >= w.to) {
            return None;
        }
        if at > now {
            if !self.in_heap {
                heap.push(Reverse((at, id)));
                self.in_heap = true;
            }
            return None;
        }
        Some(s.take())
    }
}

/// Runs the load on threads each driving one `M`.
pub(crate) fn run<M: Connections>(
    config: &LoadConfig,
    progress: &Arc<AtomicU64>,
) -> Result<Outcome, LoadError> {
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
                .spawn(move || event_loop::<M>(&share, &start))?,
        );
    }
    let mut total = Recorder::default();
    let mut tallies = Vec::with_capacity(config.connections);
    let mut first_error: Option<ClientError> = None;
    for t in threads {
        let (rec, loop_tallies, err) = t.join().expect("load loop panicked")?;
        tallies.extend(loop_tallies);
        first_error = first_error.or(err);
        total.merge(&rec);
    }
    tallies.sort_unstable_by_key(|t| t.index);
    Outcome::new(total, tallies, first_error, loops, start)
}

type LoopResult = Result<(Recorder, Vec<ConnTally>, Option<ClientError>), LoadError>;

/// One loop's connections and tallies (everything but the `ManyClient`,
/// which the event handler borrows separately).
struct Driver<'a> {
    run: &'a Start,
    states: Vec<ConnState>,
    /// Connections still driven (neither ended nor served and shut).
    open: usize,
    /// Open loop: (due time, connection) of the next send of each
    /// connection that has room for it.
    due: BinaryHeap<Reverse<(Instant, usize)>>,
    rec: Recorder,
    /// The window once it opened.
    window: Option<Window>,
    window_closed: bool,
    sink: bool,
    /// Open loop: echoes in flight per connection at most: [`MAX_IN_FLIGHT`],
    /// fewer for large frames, at least one.
    limit: usize,
}

fn event_loop<M: Connections>(share: &[usize], run: &Start) -> LoopResult {
    let config = &run.config;
    let mut multi = M::open(config.service, config.max_frame)?;
    let (mut states, lost, first_error) = connect_all(&mut multi, share, run)?;
    for st in states.iter_mut().filter(|s| s.connected && s.done) {
        st.account.settle(run);
    }
    let start = run.wait();
    let mut d = Driver {
        run,
        open: states.iter().filter(|s| s.connected && !s.done).count(),
        states,
        due: BinaryHeap::new(),
        rec: Recorder::default(),
        window: None,
        window_closed: false,
        sink: config.service == Service::Sink,
        limit: (MAX_IN_FLIGHT_BYTES / config.size.max(1)).clamp(1, MAX_IN_FLIGHT),
    };
    d.first_sends(&mut multi, start);
    loop {
        let mut now = Instant::now();
        d.window = d.window.or_else(|| run.window());
        if let Some(w) = d.window.filter(|w| now >= w.to && !d.window_closed) {
            // Sends due before the end still go (a late wake-up is not a
            // client behind its schedule); what is left was never made.
            // Then connections stay open until the monitor sampled the end.
            d.send_due(&mut multi, w.to - Duration::from_nanos(1));
            d.count_unsent(w);
            run.wait_window_closed();
            d.window_closed = true;
            d.shut_idle(&mut multi);
            now = Instant::now();
        }
        let drain_until = d.window.map(|_| run.give_up_at());
        if d.open == 0 || drain_until.is_some_and(|t| now >= t) {
            break;
        }
        let mut wake = match (d.window, drain_until) {
            (Some(_), Some(drain)) if d.window_closed => drain,
            (Some(w), Some(_)) => w.to,
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
    let mut tallies = d.finish_tallies();
    tallies.extend(lost);
    Ok((d.rec, tallies, first_error))
}

impl Driver<'_> {
    /// The run is over: every connection's tally (`account.rs` decides
    /// what a connection still open owes).
    fn finish_tallies(&mut self) -> Vec<ConnTally> {
        let now = Instant::now();
        let made = self.states.iter_mut().filter(|s| s.made);
        made.map(|st| {
            if let Some(trouble) = st.refused {
                return Ledger::unconnected(st.account.ledger.index(), trouble);
            }
            if let Some(due) = st.queued.take() {
                st.account.ledger.frame_stuck(due);
            }
            st.account.ledger.finish(now)
        })
        .collect()
    }

    /// Closed loop: every connection's first frame. Open loop: every
    /// connection's schedule, phased so they do not send at one instant.
    fn first_sends(&mut self, multi: &mut impl Connections, start: Instant) {
        let ids: Vec<usize> = (0..self.states.len())
            .filter(|&id| self.states[id].connected && !self.states[id].done)
            .collect();
        for (k, &id) in ids.iter().enumerate() {
            if let Some(s) = self.run.config.schedule(start, k as f64 / ids.len() as f64) {
                self.due.push(Reverse((s.due(), id)));
                self.states[id].in_heap = true;
                self.states[id].schedule = Some(s);
            } else if !self.sink {
                match multi.with_outbox(id, |out| out.send(&self.run.payload).map(drop)) {
                    Ok(_) => self.states[id].account.ledger.sent(start),
                    Err(e) => self.fail(id, &e),
                }
            }
        }
    }

    /// Open loop: sends whatever is due by `now` on the connections whose
    /// turn came.
    fn send_due(&mut self, multi: &mut impl Connections, now: Instant) {
        while let Some(&Reverse((_, id))) = self.due.peek().filter(|Reverse((at, _))| *at <= now) {
            self.due.pop();
            self.states[id].in_heap = false;
            if self.states[id].done || self.sink {
                // Sink sends from `sink_progress`; the entry only woke the loop.
                continue;
            }
            if let Err(e) = multi.with_outbox(id, |out| self.pump(id, now, out)) {
                self.fail(id, &e);
            }
        }
    }

    /// The window's end: the sends of the window each open-loop connection
    /// still had to make were never made.
    fn count_unsent(&mut self, w: Window) {
        for st in self.states.iter().filter(|s| s.connected && !s.done) {
            if let Some(s) = &st.schedule {
                self.rec.unsent += s.unsent_in(w.from, w.to);
            }
        }
    }

    /// Once the window closed: shut the sending side of every connection
    /// that owes nothing more; it is served.
    fn shut_idle(&mut self, multi: &mut impl Connections) {
        if self.sink {
            return; // `sink_step` asks for the summary
        }
        for id in 0..self.states.len() {
            let st = &self.states[id];
            if st.connected && !st.done && !st.account.ledger.owes() {
                let _ = multi.with_outbox(id, |out| {
                    out.shutdown_write();
                    Ok(())
                });
                self.served(id);
            }
        }
    }

    /// Served and shut: nothing more to drive.
    fn served(&mut self, id: usize) {
        self.states[id].account.ledger.shut();
        self.finish(id);
    }

    /// The connection failed (a write, or a rule the server broke).
    fn fail(&mut self, id: usize, e: &ClientError) {
        tracing::debug!(error = %e, "load connection failed");
        self.end(id, Trouble::of(e));
    }

    /// The connection ended with `trouble`.
    fn end(&mut self, id: usize, trouble: Trouble) {
        let st = &mut self.states[id];
        st.account.trouble(self.run, trouble, Instant::now());
        self.finish(id);
    }

    fn finish(&mut self, id: usize) {
        let st = &mut self.states[id];
        if !st.done {
            st.done = true;
            self.open -= 1;
        }
        st.account.settle(self.run);
    }

    fn on_event(&mut self, id: usize, event: Event, out: &mut Outbox<'_>) {
        if self.states.get(id).is_none_or(|s| s.done) {
            return; // ended, or served and shut: nothing more counts
        }
        self.window = self.window.or_else(|| self.run.window());
        match event {
            Event::Summary(_) => {
                self.states[id].account.ledger.confirmed(&mut self.rec);
                self.finish(id);
            }
            Event::Answered { bytes, .. } => self.on_echo(id, bytes, out),
            Event::Closed => self.end(id, Trouble::Closed),
            Event::Failed(e) => self.fail(id, &e),
            Event::Connected => {}
        }
    }
}
