//! Blocking load: one thread per connection, each waiting in its own calls.
//!
//! Threads record into a few shared shards rather than a recorder each: a
//! recorder holds a histogram per second, and 10,000 threads each holding
//! their own would cost gigabytes. A shard's lock is held for one
//! histogram increment, so with a few shards per core it is rarely contended.
//!
//! No thread waits forever, whatever the server does: its socket has read
//! and write timeouts of one [`TICK`], and between ticks the thread asks the
//! start line whether the run has given up ([`Start::give_up_at`]). A
//! message still owed then is counted as unanswered, with its age.

use std::io::{self, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use sockmodes_blocking::{Client, ClientOptions};
use sockmodes_common::client::{check_echo, check_sink};
use sockmodes_common::{interrupted, timed_out, ClientError, Service, SinkTally};

use super::record::{until, Recorder, Window};
use super::{ConnTally, LoadConfig, LoadError, Outcome, Schedule, Start};

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

/// How long one read or write waits before the thread checks whether the
/// run gave up.
///
/// Why 100 ms: it bounds how late a thread notices the end (a tenth of a
/// second on a run of seconds); an answer that comes sooner costs nothing,
/// since the timeout only fires on a wait that long.
const TICK: Duration = Duration::from_millis(100);

/// How late past the window's end a thread may wake for a send due inside
/// it and still make it.
///
/// Why 10 ms: a sleeping thread wakes a little late, more so among
/// thousands; a send due just before the end is not one the client fell
/// behind on. Later than this, the thread is behind its schedule and what
/// it did not send counts as unsent.
const LATE_WAKE: Duration = Duration::from_millis(10);

/// What one connection's thread hands back.
type Finished = (Option<ClientError>, Option<ConnTally>);

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
    let results: Vec<Finished> = threads
        .into_iter()
        .map(|t| t.join().expect("load thread panicked"))
        .collect();
    let mut total = Recorder::new();
    for shard in shards.iter() {
        total.merge(&shard.lock().expect("no worker panicked"));
    }
    let mut tallies = Vec::with_capacity(n);
    let mut first_error = None;
    for (connect_error, tally) in results {
        tallies.extend(tally);
        if let Some(e) = connect_error {
            first_error.get_or_insert(e);
        }
    }
    if tallies.is_empty() {
        return Err(LoadError::Connect(
            first_error.expect("every connection failed, so there is an error"),
        ));
    }
    if let Some(e) = first_error {
        tracing::warn!(error = %e, failed = n - tallies.len(), "some connections failed");
    }
    Ok(Outcome {
        recorder: total,
        connected: tallies.len(),
        tallies,
        threads: n,
        start,
    })
}

/// How a wait for the server ended, when it did not fail.
enum Waited<T> {
    Got(T),
    /// The server closed the connection.
    Closed,
    /// The run gave up first.
    GaveUp,
}

/// One connection, once connected.
struct Conn<'a> {
    run: &'a Start,
    shard: &'a Mutex<Recorder>,
    client: Client,
    tally: ConnTally,
    start: Instant,
    settled: bool,
}

impl Conn<'_> {
    fn rec(&self) -> MutexGuard<'_, Recorder> {
        self.shard
            .lock()
            .expect("no worker panicked while recording")
    }

    /// Counts an answer (or, for sink, a frame taken) that was due at `due`.
    /// True when it was due in the window.
    fn answered(&mut self, due: Instant, done: Instant, bytes: usize) -> bool {
        let window = self.run.window();
        if self.tally.first_answer.is_none() {
            self.tally.first_answer = Some(done - self.start);
            self.settle();
        }
        if Window::holds(window, done) {
            self.tally.answered_in_window += 1;
        }
        let counted = self.rec().complete(window, due, done, bytes);
        if counted {
            self.run.progress.fetch_add(1, Ordering::Relaxed);
        }
        counted
    }

    /// Tells the start line this connection no longer holds up the warm-up.
    fn settle(&mut self) {
        if !self.settled {
            self.settled = true;
            self.run.settle();
        }
    }

    /// A message due at `due` that will never be answered.
    fn owed(&mut self, due: Instant) {
        self.tally.unanswered += 1;
        self.tally.oldest_unanswered = Some(due.elapsed());
    }

    fn error(&mut self) {
        self.rec().errors += 1;
        self.settle();
    }

    /// Writes a whole frame, in ticks, until the run gives up.
    fn write_frame(&mut self) -> io::Result<bool> {
        let mut buf = &self.run.frame[..];
        let mut stream: &TcpStream = self.client.stream();
        while !buf.is_empty() {
            match stream.write(buf) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => buf = &buf[n..],
                Err(e) if interrupted(&e) => {}
                Err(e) if timed_out(&e) => {
                    if Instant::now() >= self.run.give_up_at() {
                        return Ok(false);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Waits for one frame, in ticks, until the run gives up.
    fn recv<T>(&mut self, mut f: impl FnMut(&[u8]) -> T) -> Result<Waited<T>, ClientError> {
        loop {
            match self.client.recv_with(&mut f) {
                Ok(Some(t)) => return Ok(Waited::Got(t)),
                Ok(None) => return Ok(Waited::Closed),
                Err(ClientError::Socket(e)) if timed_out(&e.io) => {
                    if Instant::now() >= self.run.give_up_at() {
                        return Ok(Waited::GaveUp);
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// One connection's thread: connects, waits at the start line, then sends
/// until the window ends. Returns its connect error, or its tally.
fn worker(i: usize, run: &Start, shard: &Mutex<Recorder>) -> Finished {
    let config = &run.config;
    let options = ClientOptions {
        max_frame: config.max_frame,
        ..ClientOptions::default()
    };
    let client = Client::connect(config.addr, &options).and_then(|c| {
        let ticks = c
            .stream()
            .set_read_timeout(Some(TICK))
            .and_then(|()| c.stream().set_write_timeout(Some(TICK)));
        ticks.map(|()| c).map_err(|e| {
            let mode = sockmodes_common::Mode::Blocking;
            sockmodes_common::SocketError::new(
                sockmodes_common::Op::Configure,
                config.addr,
                mode,
                e,
            )
            .into()
        })
    });
    let start = run.wait();
    let client = match client {
        Ok(c) => c,
        Err(e) => {
            shard.lock().expect("no worker panicked").errors += 1;
            run.settle();
            return (Some(e), None);
        }
    };
    let mut conn = Conn {
        run,
        shard,
        client,
        tally: ConnTally {
            index: i,
            ..ConnTally::default()
        },
        start,
        settled: false,
    };
    let schedule = config.rate.map(|rate| {
        Schedule::new(
            start,
            rate / config.connections as f64,
            i as f64 / config.connections as f64,
        )
        .on_grid(config.send_grid())
    });
    let mut sends = Sends { schedule };
    match config.service {
        Service::Sink => sink(&mut conn, &mut sends),
        _ => echo(&mut conn, &mut sends),
    }
    conn.settle();
    (None, Some(conn.tally))
}

/// When the next message is due.
struct Sends {
    schedule: Option<Schedule>,
}

impl Sends {
    /// Closed loop: now. Open loop: the scheduled time (sleeping until
    /// then). `None` once the window is over: no send due after its end is
    /// made, and an open-loop thread that fell behind (it woke more than
    /// [`LATE_WAKE`] after the end) counts what it never sent.
    fn next(&mut self, conn: &Conn<'_>) -> Option<Instant> {
        let due = match &mut self.schedule {
            Some(s) => {
                let due = s.take();
                thread::sleep(until(due));
                due
            }
            None => Instant::now(),
        };
        let Some(Window { from, to: end }) = conn.run.window() else {
            return Some(due); // still warming up
        };
        if due >= end {
            return None;
        }
        if let (Some(s), true) = (&mut self.schedule, Instant::now() >= end + LATE_WAKE) {
            let behind = std::iter::once(due)
                .chain(std::iter::from_fn(|| (s.due() < end).then(|| s.take())))
                .filter(|&t| t >= from)
                .count();
            conn.rec().unsent += behind as u64;
            return None;
        }
        Some(due)
    }
}

/// Echo: send, wait for the answer, check it, count it.
fn echo(conn: &mut Conn<'_>, sends: &mut Sends) {
    let run = conn.run;
    let (addr, payload) = (run.config.addr, &run.payload[..]);
    while let Some(due) = sends.next(conn) {
        let failure = match conn.write_frame() {
            Ok(true) => match conn.recv(|reply| check_echo(addr, payload, reply)) {
                Ok(Waited::Got(Ok(()))) => {
                    conn.answered(due, Instant::now(), payload.len());
                    continue;
                }
                Ok(Waited::Got(Err(e))) | Err(e) => Some(e.to_string()),
                Ok(Waited::Closed) => Some("the server closed the connection".into()),
                Ok(Waited::GaveUp) => None,
            },
            Ok(false) => None,
            Err(e) => Some(e.to_string()),
        };
        match failure {
            Some(e) => tracing::debug!(error = %e, "echo failed"),
            None => tracing::debug!(connection = conn.tally.index, "no answer; gave up"),
        }
        conn.owed(due);
        conn.error();
        break;
    }
    run.wait_window_closed();
}

/// Sink: send frames (a frame counts once the socket took it), then check
/// the server's summary; bytes count only once the summary confirms them.
fn sink(conn: &mut Conn<'_>, sends: &mut Sends) {
    let run = conn.run;
    let (addr, payload) = (run.config.addr, &run.payload[..]);
    let mut tally = SinkTally::new();
    let mut warm_bytes = 0u64;
    while let Some(due) = sends.next(conn) {
        match conn.write_frame() {
            Ok(true) => {}
            Ok(false) => {
                conn.owed(due);
                conn.error();
                return;
            }
            Err(e) => {
                tracing::debug!(error = %e, "sink send failed");
                conn.error();
                return;
            }
        }
        tally.add(payload);
        if !conn.answered(due, Instant::now(), 0) {
            warm_bytes += payload.len() as u64;
        }
    }
    run.wait_window_closed();
    let asked = Instant::now();
    let summary = match conn.client.shutdown_write() {
        Ok(()) => conn.recv(|s| check_sink(addr, tally.summary(), s)),
        Err(e) => Err(e),
    };
    match summary {
        Ok(Waited::Got(Ok(summary))) => conn.rec().bytes += summary.bytes - warm_bytes,
        Ok(Waited::Got(Err(e))) | Err(e) => {
            tracing::debug!(error = %e, "sink summary failed");
            conn.error();
        }
        Ok(Waited::Closed | Waited::GaveUp) => {
            conn.owed(asked);
            conn.error();
        }
    }
}
