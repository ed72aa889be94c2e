//! Blocking load: one thread per connection, each waiting in its own calls,
//! so one message in flight per connection. In an open loop a thread behind
//! its schedule sends its next message as soon as the answer comes, timed
//! from the message's due time; what it never sent by the window's end is
//! counted in one step (`Schedule::unsent_in`).
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

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use sockmodes_blocking::{Client, ClientDriver, ClientSettings};
use sockmodes_client::ClientError;
use sockmodes_common::{ClientEvent, Service};
use sockmodes_python::{timed_out, Op, SocketError, SocketMode};

use super::account::{ConnAccount, Ledger, Trouble};
use super::record::{until, Recorder, Window};
use super::start::CONNECT_WAIT;
use super::{ConnTally, LoadConfig, LoadError, Outcome, Schedule, Start};

/// Recorder shards per core.
///
/// Why 4: enough that two threads of one core rarely want the same shard at
/// once, few enough that the shards' histograms cost little.
const SHARDS_PER_CORE: usize = 4;

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

pub(crate) fn run(config: &LoadConfig, progress: &Arc<AtomicU64>) -> Result<Outcome, LoadError> {
    let n = config.connections;
    let start = Start::new(config, n, Arc::clone(progress));
    let cores = thread::available_parallelism().map_or(1, usize::from);
    let shards: Arc<Vec<Mutex<Recorder>>> = Arc::new(
        (0..(cores * SHARDS_PER_CORE).min(n))
            .map(|_| Mutex::default())
            .collect(),
    );
    let mut threads = Vec::with_capacity(n);
    for i in 0..n {
        let (start, shards) = (Arc::clone(&start), Arc::clone(&shards));
        let spawned = thread::Builder::new()
            .name(format!("load-{i}"))
            .stack_size(STACK)
            .spawn(move || worker(i, &start, &shards[i % shards.len()]));
        // The barrier counts n parties; those already started would wait
        // forever, so a thread that cannot start gives up the whole run.
        threads.push(spawned.map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("could not start load thread {i} of {n}: {e}"),
            )
        })?);
    }
    let (errors, tallies): (Vec<_>, Vec<ConnTally>) = threads
        .into_iter()
        .map(|t| t.join().expect("load thread panicked"))
        .unzip();
    let mut total = Recorder::default();
    for shard in shards.iter() {
        total.merge(&lock(shard));
    }
    let errors: Vec<ClientError> = errors.into_iter().flatten().collect();
    let connected = tallies.iter().filter(|t| t.connected()).count();
    // Some connected: a warning. None did: Outcome::new makes it the error.
    if let Some(e) = errors.first().filter(|_| connected > 0) {
        tracing::warn!(error = %e, failed = n - connected, "some connections failed");
    }
    // A handshake that never finished is no error of its own, as in the
    // event engines: if none connected and nothing failed otherwise, the
    // run ends with LoadError::NoHandshake, whichever engine ran it.
    let first_error = errors.into_iter().find(|e| !handshake_timed_out(e));
    Outcome::new(total, tallies, first_error, n, start)
}

/// A shard's recorder, locked (for one increment, or the final merge).
fn lock(shard: &Mutex<Recorder>) -> MutexGuard<'_, Recorder> {
    shard.lock().expect("no worker panicked while recording")
}

/// One connection, once connected.
struct Conn<'a> {
    run: &'a Start,
    shard: &'a Mutex<Recorder>,
    client: Client,
    account: ConnAccount,
    /// Open loop: when each message is due.
    schedule: Option<Schedule>,
}

impl Conn<'_> {
    /// The server ended the connection.
    fn trouble(&mut self, trouble: Trouble) {
        self.account.trouble(self.run, trouble, Instant::now());
    }

    /// When the next message is due. Closed loop: now. Open loop: the
    /// scheduled time (sleeping until then; a thread behind its schedule
    /// sends at once, and the latency
    /// still counts from the due time). `None` once the window is over: no
    /// send due after its end is made, and an open-loop thread that fell
    /// behind (it woke more than [`LATE_WAKE`] after the end) counts, at
    /// once, the sends of the window it never made.
    fn next(&mut self) -> Option<Instant> {
        let Some(s) = &mut self.schedule else {
            let now = Instant::now();
            return self.run.window().is_none_or(|w| now < w.to).then_some(now);
        };
        let due = s.due();
        // Sleep in ticks: a due time past the window's end (a coarse grid)
        // is found out once the window opens, not slept through.
        while Instant::now() < due {
            if self.run.window().is_some_and(|w| due >= w.to) {
                return None;
            }
            thread::sleep(until(due).min(TICK));
        }
        if let Some(Window { from, to }) = self.run.window() {
            if due >= to {
                return None;
            }
            if Instant::now() >= to + LATE_WAKE {
                lock(self.shard).unsent += s.unsent_in(from, to);
                return None;
            }
        }
        Some(s.take())
    }

    /// Drives the client with `f` in ticks until it succeeds, fails, or the
    /// run gives up (`Ok(None)`): a tick that timed out keeps its place.
    fn ticks<T>(
        &mut self,
        mut f: impl FnMut(&mut Client) -> Result<T, ClientError>,
    ) -> Result<Option<T>, ClientError> {
        loop {
            match f(&mut self.client) {
                Ok(t) => return Ok(Some(t)),
                Err(ClientError::Socket(e)) if timed_out(&e.io) => {
                    if Instant::now() >= self.run.give_up_at() {
                        return Ok(None);
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// No handshake finished within [`CONNECT_WAIT`]: what the event engines
/// call a handshake still pending when they stop waiting.
fn handshake_timed_out(e: &ClientError) -> bool {
    matches!(e, ClientError::Socket(s) if s.op == Op::Connect && timed_out(&s.io))
}

/// One connection's thread: connects, waits at the start line, then sends
/// until the window ends. Returns why it never connected if it did not, and
/// its tally.
fn worker(i: usize, run: &Start, shard: &Mutex<Recorder>) -> (Option<ClientError>, ConnTally) {
    let config = &run.config;
    // The connect waits at most CONNECT_WAIT, as the event engines' do:
    // without it a server whose accept queue stays full holds every thread
    // (and so the start line) for the kernel's SYN retries, minutes. The
    // timeout's mode also sets the reads' and writes' waits, which the
    // ticks below replace.
    let options = ClientSettings {
        max_frame: config.max_frame,
        timeout: Some(CONNECT_WAIT),
        ..ClientSettings::default()
    };
    let client = Client::connect(config.addr, &options).and_then(|mut c| {
        c.set_service(config.service);
        let ticks = c
            .stream()
            .set_read_timeout(Some(TICK))
            .and_then(|()| c.stream().set_write_timeout(Some(TICK)));
        ticks.map(|()| c).map_err(|e| {
            SocketError::new(Op::Configure, config.addr, SocketMode::Blocking, e).into()
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
        account: ConnAccount::new(i),
        schedule: config.schedule(start, i as f64 / config.connections as f64),
    };
    match config.service {
        Service::Sink => sink(&mut conn),
        _ => echo(&mut conn),
    }
    conn.account.settle(run);
    (None, conn.account.ledger.finish(Instant::now()))
}

/// Echo: send, wait for the answer (the session checks it), count it.
fn echo(conn: &mut Conn<'_>) {
    let run = conn.run;
    while let Some(due) = conn.next() {
        conn.account.ledger.sent(due);
        let sent = conn.client.send(&run.payload);
        let answer = sent.and_then(|_| conn.ticks(Client::next_event));
        match answer {
            Ok(Some(ClientEvent::Answered { bytes, .. })) => {
                let (window, now) = (run.window(), Instant::now());
                let rec = &mut lock(conn.shard);
                if conn.account.answered(run, window, now, bytes, rec) {
                    continue;
                }
            }
            Ok(Some(ClientEvent::Closed)) => conn.trouble(Trouble::Closed),
            Ok(Some(_)) => conn.trouble(Trouble::Other),
            Err(e) => conn.trouble(Trouble::of(&e)),
            Ok(None) => tracing::debug!(
                connection = conn.account.ledger.index(),
                "no answer; gave up"
            ),
        }
        break;
    }
    run.wait_window_closed();
    let ledger = &mut conn.account.ledger;
    if !ledger.ended() && !ledger.owes() {
        // Served: shut the sending side, as the mio engine does.
        ledger.shut();
        let _ = conn.client.shutdown_write();
    }
}

/// Sink: send frames (each is timed once the socket took it), then ask for
/// the server's summary; the frames count only once it confirms them (the
/// session checks it against what it sent).
fn sink(conn: &mut Conn<'_>) {
    let run = conn.run;
    while let Some(due) = conn.next() {
        let sent = conn.client.send(&run.payload);
        let taken = sent.and_then(|_| conn.ticks(Client::flush));
        match taken {
            Ok(Some(())) => {
                let (window, now, len) = (run.window(), Instant::now(), run.payload.len());
                let rec = &mut lock(conn.shard);
                conn.account.taken(run, window, (due, now), len, rec);
            }
            Ok(None) => {
                // Gave up with a frame not taken: it is owed too.
                conn.account.ledger.frame_stuck(due);
                break;
            }
            Err(e) => {
                tracing::debug!(error = %e, "sink send failed");
                conn.trouble(Trouble::of(&e));
                return;
            }
        }
    }
    run.wait_window_closed();
    if Instant::now() >= run.give_up_at() {
        return; // never taken: owed, counted by the ledger
    }
    conn.account.ledger.summary_asked(Instant::now());
    conn.client.session().finish_sending();
    match conn.ticks(Client::next_event) {
        Ok(Some(ClientEvent::Summary(_))) => conn.account.ledger.confirmed(&mut lock(conn.shard)),
        Ok(Some(ClientEvent::Closed)) => conn.trouble(Trouble::Closed),
        Ok(Some(_)) => conn.trouble(Trouble::Other),
        Err(e) => {
            tracing::debug!(error = %e, "sink summary failed");
            conn.trouble(Trouble::of(&e));
        }
        Ok(None) => {}
    }
}
