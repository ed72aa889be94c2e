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

use super::account::{Ledger, Trouble};
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

/// What one connection's thread hands back: its tally, and its connect
/// error if it had one.
type Finished = (Option<ClientError>, ConnTally);

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
        tallies.push(tally);
        if let Some(e) = connect_error {
            first_error.get_or_insert(e);
        }
    }
    let connected = tallies.iter().filter(|t| t.connected()).count();
    if connected == 0 {
        return Err(LoadError::Connect(
            first_error.expect("every connection failed, so there is an error"),
        ));
    }
    if let Some(e) = first_error {
        tracing::warn!(error = %e, failed = n - connected, "some connections failed");
    }
    Ok(Outcome {
        recorder: total,
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
    ledger: Ledger,
    start: Instant,
    settled: bool,
}

impl Conn<'_> {
    fn rec(&self) -> MutexGuard<'_, Recorder> {
        self.shard
            .lock()
            .expect("no worker panicked while recording")
    }

    /// The oldest message in flight was answered (echo) now.
    fn answered(&mut self, bytes: usize) {
        let (window, now) = (self.run.window(), Instant::now());
        let counted_before = self.ledger.has_first_answer();
        let mut rec = self
            .shard
            .lock()
            .expect("no worker panicked while recording");
        let before = rec.messages;
        self.ledger
            .answered(self.start, window, now, bytes, &mut rec);
        let counted = rec.messages - before;
        drop(rec);
        self.run.progress.fetch_add(counted, Ordering::Relaxed);
        if !counted_before {
            self.settle();
        }
    }

    /// Sink: the socket took a frame due at `due`, now.
    fn taken(&mut self, due: Instant, bytes: usize) {
        let (window, now) = (self.run.window(), Instant::now());
        let mut rec = self
            .shard
            .lock()
            .expect("no worker panicked while recording");
        self.ledger
            .frame_taken(self.start, window, due, now, bytes, &mut rec);
        drop(rec);
        self.run.progress.fetch_add(1, Ordering::Relaxed);
        self.settle();
    }

    /// Tells the start line this connection no longer holds up the warm-up.
    fn settle(&mut self) {
        if !self.settled {
            self.settled = true;
            self.run.settle();
        }
    }

    /// The server ended the connection.
    fn trouble(&mut self, trouble: Trouble) {
        self.ledger.trouble(trouble, Instant::now());
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
            run.settle();
            let tally = Ledger::unconnected(i, Trouble::of(&e));
            return (Some(e), tally);
        }
    };
    let mut conn = Conn {
        run,
        shard,
        client,
        ledger: Ledger::new(i),
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
    (None, conn.ledger.finish(Instant::now()))
}

/// When the next message is due.
struct Sends {
    schedule: Option<Schedule>,
}

impl Sends {
    /// Closed loop: now. Open loop: the scheduled time (sleeping until
    /// then; a thread behind its schedule sends at once, and the latency
    /// still counts from the due time). `None` once the window is over: no
    /// send due after its end is made, and an open-loop thread that fell
    /// behind (it woke more than [`LATE_WAKE`] after the end) counts, at
    /// once, the sends of the window it never made.
    fn next(&mut self, conn: &Conn<'_>) -> Option<Instant> {
        let window = conn.run.window();
        let Some(s) = &mut self.schedule else {
            return match window {
                Some(w) if Instant::now() >= w.to => None,
                _ => Some(Instant::now()),
            };
        };
        let due = s.due();
        if window.is_some_and(|w| due >= w.to) {
            return None;
        }
        thread::sleep(until(due));
        // The window may have opened while asleep.
        if let Some(Window { from, to }) = conn.run.window() {
            if due >= to {
                return None;
            }
            if Instant::now() >= to + LATE_WAKE {
                conn.rec().unsent += s.unsent_in(from, to);
                return None;
            }
        }
        Some(s.take())
    }
}

/// Echo: send, wait for the answer, check it, count it.
fn echo(conn: &mut Conn<'_>, sends: &mut Sends) {
    let run = conn.run;
    let (addr, payload) = (run.config.addr, &run.payload[..]);
    while let Some(due) = sends.next(conn) {
        conn.ledger.sent(due);
        let failure = match conn.write_frame() {
            Ok(true) => match conn.recv(|reply| check_echo(addr, payload, reply)) {
                Ok(Waited::Got(Ok(()))) => {
                    conn.answered(payload.len());
                    continue;
                }
                Ok(Waited::Got(Err(e))) | Err(e) => Some(Trouble::of(&e)),
                Ok(Waited::Closed) => Some(Trouble::Closed),
                Ok(Waited::GaveUp) => None,
            },
            Ok(false) => None,
            Err(e) => Some(Trouble::of(&io_error(addr, e))),
        };
        match failure {
            Some(trouble) => conn.trouble(trouble),
            None => tracing::debug!(connection = conn.ledger.index(), "no answer; gave up"),
        }
        break;
    }
    run.wait_window_closed();
    if !conn.ledger.ended() && !conn.ledger.owes() {
        // Served: shut the sending side, as the mio engine does.
        conn.ledger.shut();
        let _ = conn.client.shutdown_write();
    }
}

/// A send failure as a client error (to classify it).
fn io_error(addr: std::net::SocketAddr, e: io::Error) -> ClientError {
    let mode = sockmodes_common::Mode::Blocking;
    sockmodes_common::SocketError::new(sockmodes_common::Op::Send, addr, mode, e).into()
}

/// Sink: send frames (each is timed once the socket took it), then ask for
/// the server's summary; the frames count only once it confirms them.
fn sink(conn: &mut Conn<'_>, sends: &mut Sends) {
    let run = conn.run;
    let (addr, payload) = (run.config.addr, &run.payload[..]);
    let mut tally = SinkTally::new();
    while let Some(due) = sends.next(conn) {
        match conn.write_frame() {
            Ok(true) => {}
            Ok(false) => {
                // Gave up with a frame not taken: it is owed too.
                conn.ledger.frame_stuck(due);
                break;
            }
            Err(e) => {
                tracing::debug!(error = %e, "sink send failed");
                conn.trouble(Trouble::of(&io_error(addr, e)));
                return;
            }
        }
        tally.add(payload);
        conn.taken(due, payload.len());
    }
    run.wait_window_closed();
    if Instant::now() >= run.give_up_at() {
        return; // never taken: owed, counted by the ledger
    }
    conn.ledger.summary_asked(Instant::now());
    let summary = match conn.client.shutdown_write() {
        Ok(()) => conn.recv(|s| check_sink(addr, tally.summary(), s)),
        Err(e) => Err(e),
    };
    match summary {
        Ok(Waited::Got(Ok(_))) => {
            let mut rec = conn
                .shard
                .lock()
                .expect("no worker panicked while recording");
            conn.ledger.confirmed(&mut rec);
        }
        Ok(Waited::Got(Err(e))) | Err(e) => {
            tracing::debug!(error = %e, "sink summary failed");
            conn.trouble(Trouble::of(&e));
        }
        Ok(Waited::Closed) => conn.trouble(Trouble::Closed),
        Ok(Waited::GaveUp) => {}
    }
}
