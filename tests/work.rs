//! Work per message (`--work`, `--offload`) in every server: each frame's
//! answer comes after its work, in order, with the work inline, on a pool
//! or on a timer; and a shutdown with work in flight lets it finish, or
//! cuts it at the deadline, and either way the client sees end of stream,
//! never a reset. The server counts each frame it hands to work
//! (`work_started`), and the shutdown tests wait for that count, never for
//! time to pass, before they stop it.
//!
//! No timing thresholds: the only clock check is a lower bound that
//! physics sets (a connection's frames are worked one after another, and a
//! sleep never ends early).

mod util;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use sockmodes_common::frame::encode_frame;
use sockmodes_common::{Service, SinkSummary, Work, WorkKind};
use sockmodes_models::ceiling::Concurrency;
use sockmodes_models::{Model, Server};
use sockmodes_serving::ServerConfig;
use util::{payload, reference_crc32, server, wait_until};

/// `KIND:AMOUNT`, as the command reads it.
fn work(kind: WorkKind, amount: &str) -> Work {
    format!("{}:{amount}", kind.name()).parse().unwrap()
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connects");
    s.set_nodelay(true).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s
}

/// Sends `frames` pipelined, then reads every echo: they must come back
/// whole and in order.
fn pipelined_echoes(addr: SocketAddr, frames: usize, seed: u8) {
    let mut s = connect(addr);
    let mut wire = Vec::new();
    for i in 0..frames {
        encode_frame(&mut wire, &payload(10 + i, seed.wrapping_add(i as u8))).unwrap();
    }
    s.write_all(&wire).unwrap();
    let mut back = vec![0u8; wire.len()];
    s.read_exact(&mut back).unwrap();
    assert!(back == wire, "every echo, whole and in order");
}

#[test]
fn every_server_answers_every_frame_after_its_work_in_order() {
    const FRAMES: usize = 12;
    for model in Model::servers() {
        for kind in WorkKind::ALL {
            for offload in [0, 2] {
                let w = work(kind, "1ms");
                let (srv, _) = server(model, Service::Echo, |c| {
                    c.work = Some(w);
                    c.offload = offload;
                });
                let addr = srv.local_addr();
                let started = Instant::now();
                let clients: Vec<_> = (0..4u8)
                    .map(|seed| thread::spawn(move || pipelined_echoes(addr, FRAMES, seed)))
                    .collect();
                for c in clients {
                    c.join().expect("echoes");
                }
                // Every answer is in: each frame was handed to its work
                // once, before its answer could leave.
                assert_eq!(
                    srv.stats().work_started,
                    4 * FRAMES as u64,
                    "{model} {w} offload {offload}: frames counted into work"
                );
                if kind != WorkKind::Cpu {
                    // One frame in work per connection: its frames took
                    // at least FRAMES sleeps, one after another.
                    assert!(
                        started.elapsed() >= w.amount * FRAMES as u32,
                        "{model} {w}: the answers waited for the work"
                    );
                }
                srv.shutdown(Duration::from_secs(5));
                // Sink: the summary comes after every frame's work.
                let (srv, _) = server(model, Service::Sink, |c| {
                    c.work = Some(w);
                    c.offload = offload;
                });
                let mut s = connect(srv.local_addr());
                let payloads: Vec<Vec<u8>> = (0..5).map(|i| payload(100 * i, 9)).collect();
                let mut wire = Vec::new();
                for p in &payloads {
                    encode_frame(&mut wire, p).unwrap();
                }
                s.write_all(&wire).unwrap();
                s.shutdown(std::net::Shutdown::Write).unwrap();
                let mut answer = Vec::new();
                s.read_to_end(&mut answer).unwrap();
                let summary = SinkSummary::decode(&answer[4..]).expect("a summary");
                assert_eq!(summary.frames, 5, "{model} {w} offload {offload}");
                assert_eq!(
                    summary.crc32,
                    reference_crc32(payloads.iter().map(Vec::as_slice))
                );
                srv.shutdown(Duration::from_secs(5));
            }
        }
    }
}

/// How a client that sent one frame saw its connection end.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    /// The echo, then end of stream.
    AnswerThenEof,
    /// End of stream with no answer (its work was cut).
    Eof,
    /// A reset, or anything else: never acceptable.
    Other(String),
}

fn one_frame_then_the_end(addr: SocketAddr) -> Seen {
    let mut s = connect(addr);
    let mut frame = Vec::new();
    encode_frame(&mut frame, b"work in flight").unwrap();
    s.write_all(&frame).unwrap();
    let mut got = Vec::new();
    match s.read_to_end(&mut got) {
        Ok(_) if got == frame => Seen::AnswerThenEof,
        Ok(_) if got.is_empty() => Seen::Eof,
        Ok(_) => Seen::Other(format!("{} unexpected bytes", got.len())),
        Err(e) if e.kind() == ErrorKind::ConnectionReset => Seen::Other("reset".into()),
        Err(e) => Seen::Other(e.to_string()),
    }
}

/// How long a test waits for the server to show its frames in work: far
/// beyond what a loaded machine needs, and reached only when something is
/// wrong.
const IN_WORK_DEADLINE: Duration = Duration::from_secs(30);

/// True when `model` works `w` inline on a loop (`offload` workers): the
/// loop works one frame at a time, and frames it has not read yet wait.
fn inline_on_a_loop(model: Model, w: Work, offload: usize) -> bool {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), Service::Echo);
    (config.work, config.offload) = (Some(w), offload);
    matches!(
        model.work_concurrency(&config),
        Some(Concurrency::Inline(_))
    )
}

/// Waits until `srv` has handed `n` frames to their work (its own count,
/// `work_started`); fails the test after [`IN_WORK_DEADLINE`].
fn wait_for_work_started(srv: &Server, n: u64, what: &str) {
    let until = Instant::now() + IN_WORK_DEADLINE;
    loop {
        let started = srv.stats().work_started;
        if started >= n {
            return;
        }
        assert!(
            Instant::now() < until,
            "{what}: the server took {started} frames into work in {IN_WORK_DEADLINE:?}, not {n}"
        );
        thread::sleep(Duration::from_millis(5));
    }
}

/// Ten clients each with one frame in work, then a shutdown.
///
/// The stop comes once the server's own count shows the frames in work
/// that the case guarantees: all ten, or where the work is inline on a
/// loop, the one it works first (it reads the others only after it).
fn shutdown_with_work_in_flight(
    model: Model,
    w: Work,
    offload: usize,
    deadline: Duration,
) -> Vec<Seen> {
    let (srv, _) = server(model, Service::Echo, |c| {
        c.work = Some(w);
        c.offload = offload;
    });
    let addr = srv.local_addr();
    let clients: Vec<_> = (0..10)
        .map(|_| thread::spawn(move || one_frame_then_the_end(addr)))
        .collect();
    wait_until("ten connections", || srv.stats().active == 10);
    let in_work = if inline_on_a_loop(model, w, offload) {
        1
    } else {
        10
    };
    wait_for_work_started(&srv, in_work, &format!("{model} {w} offload {offload}"));
    srv.shutdown(deadline);
    clients.into_iter().map(|c| c.join().unwrap()).collect()
}

#[test]
fn work_in_flight_finishes_before_a_shutdown_closes_with_eof() {
    for model in Model::servers() {
        for (w, offload) in [
            (work(WorkKind::Block, "200ms"), 0),
            (work(WorkKind::Block, "200ms"), 4),
            (work(WorkKind::Wait, "200ms"), 0),
        ] {
            let seen = shutdown_with_work_in_flight(model, w, offload, Duration::from_secs(5));
            let answered = seen.iter().filter(|s| **s == Seen::AnswerThenEof).count();
            if inline_on_a_loop(model, w, offload) {
                // The loop works one frame at a time: frames it had not
                // read when the stop came are at rest, closed unanswered
                // (as any unread frame at a stop); the one in work is
                // answered.
                assert!(answered >= 1, "{model} {w}: {seen:?}");
            } else {
                assert_eq!(answered, 10, "{model} {w} offload {offload}: {seen:?}");
            }
            for s in &seen {
                assert!(
                    matches!(s, Seen::AnswerThenEof | Seen::Eof),
                    "{model} {w} offload {offload}: {s:?}"
                );
            }
        }
    }
}

#[test]
fn work_cut_at_the_deadline_still_ends_with_eof_not_a_reset() {
    for model in Model::servers() {
        // A thread per connection, a pool and a timer. (Inline work on a
        // loop holds the loop, so ten clients cannot all connect
        // meanwhile: its cut is tested with one connection, below.)
        let mut cases = vec![(work(WorkKind::Wait, "8s"), 0)];
        cases.push(
            match model.io_threads(&ServerConfig::new(
                "127.0.0.1:0".parse().unwrap(),
                Service::Echo,
            )) {
                None => (work(WorkKind::Block, "8s"), 0),
                Some(_) => (work(WorkKind::Block, "8s"), 10),
            },
        );
        for (w, offload) in cases {
            let started = Instant::now();
            let seen = shutdown_with_work_in_flight(model, w, offload, Duration::from_millis(200));
            for s in &seen {
                assert!(
                    matches!(s, Seen::Eof),
                    "{model} {w} offload {offload}: {s:?}"
                );
            }
            assert!(
                started.elapsed() < w.amount,
                "{model} {w}: the work was cut, not waited for"
            );
        }
    }
}

/// Without `--work` no frame is handed to any (the count with work is
/// checked after every answer in the test above).
#[test]
fn a_server_without_work_counts_no_frame_into_work() {
    for model in Model::servers() {
        let (srv, _) = server(model, Service::Echo, |_| {});
        pipelined_echoes(srv.local_addr(), 4, 1);
        assert_eq!(srv.stats().work_started, 0, "{model} without work");
        srv.shutdown(Duration::from_secs(5));
    }
}

#[test]
fn a_connection_waiting_for_its_work_is_not_idle() {
    for model in Model::servers() {
        let w = work(WorkKind::Wait, "600ms");
        let (srv, _) = server(model, Service::Echo, |c| {
            c.work = Some(w);
            c.idle_timeout = Duration::from_millis(200);
        });
        // The work outlasts the idle timeout; the answer still comes.
        pipelined_echoes(srv.local_addr(), 1, 3);
        assert_eq!(srv.stats().timed_out, 0, "{model}");
        srv.shutdown(Duration::from_secs(5));
    }
}

/// Pipelines `frames` frames of `len` bytes to `addr`; returns the stream
/// and the bytes sent.
fn pipeline(addr: SocketAddr, frames: usize, len: usize) -> (TcpStream, Vec<u8>) {
    let mut s = connect(addr);
    let mut wire = Vec::new();
    for i in 0..frames {
        encode_frame(&mut wire, &payload(len, i as u8)).unwrap();
    }
    s.write_all(&wire).unwrap();
    (s, wire)
}

/// Each answer leaves when its own frame's work is done, not when the
/// last pipelined frame's is: once the client has answer 1, the server
/// has not yet taken frame 3 into work (the work is a second long, so the
/// server is then in frame 2's work or about to begin it). A server that
/// did every frame's work before writing, or held answers for a batch of
/// inline work, has started all three by then.
#[test]
fn each_answer_leaves_when_its_own_work_is_done_in_every_server() {
    const FRAMES: usize = 3;
    const LEN: usize = 16;
    for model in Model::servers() {
        for kind in [WorkKind::Block, WorkKind::Wait] {
            let w = work(kind, "1s");
            let (srv, _) = server(model, Service::Echo, |c| c.work = Some(w));
            let (mut s, wire) = pipeline(srv.local_addr(), FRAMES, LEN);
            let one = wire.len() / FRAMES;
            let mut back = vec![0u8; wire.len()];
            s.read_exact(&mut back[..one]).unwrap();
            let started = srv.stats().work_started;
            assert!(
                started < FRAMES as u64,
                "{model} {w}: answer 1 arrived after frame {started}'s work began"
            );
            s.read_exact(&mut back[one..]).unwrap();
            assert!(back == wire, "{model} {w}: every echo, whole and in order");
            srv.shutdown(Duration::from_secs(5));
        }
    }
}

/// A stop while frame 2's work runs: frame 1's finished answer is sent,
/// then end of stream (not held until the last frame's work, which the
/// deadline cuts: then it would never leave).
#[test]
fn a_finished_answer_is_sent_when_a_stop_cuts_the_next_frames_work() {
    const FRAMES: usize = 3;
    const LEN: usize = 16;
    for model in Model::servers() {
        let w = work(WorkKind::Block, "3s");
        let (srv, _) = server(model, Service::Echo, |c| c.work = Some(w));
        let (mut s, wire) = pipeline(srv.local_addr(), FRAMES, LEN);
        // Frame 2 taken into work: frame 1's is done.
        wait_for_work_started(&srv, 2, &format!("{model} {w}"));
        srv.shutdown(Duration::from_millis(200));
        let mut got = Vec::new();
        let end = s.read_to_end(&mut got);
        assert!(end.is_ok(), "{model}: end of stream, not {end:?}");
        let one = wire.len() / FRAMES;
        assert!(
            got.len() >= one && got[..one] == wire[..one],
            "{model}: frame 1's answer, then the end ({} bytes)",
            got.len()
        );
    }
}

/// A stop with inline work pipelined behind it ends within its deadline:
/// the loop (or the thread) doing the work heeds the deadline between
/// slices of it. The command's deadline, 5 s, against ten frames of 2 s
/// each: the server takes at most the frames the deadline reaches into
/// work (three, or four on a slow machine), not all ten, and the client
/// sees the answers finished before it, then end of stream (working every
/// frame of a turn first, 16 at most, would take 20 s here).
#[test]
fn a_stop_with_inline_work_pipelined_ends_by_its_deadline_in_every_server() {
    const FRAMES: usize = 10;
    const LEN: usize = 16;
    for model in Model::servers() {
        let w = work(WorkKind::Block, "2s");
        let (srv, _) = server(model, Service::Echo, |c| c.work = Some(w));
        let stats = srv.stats_handle();
        let (mut s, wire) = pipeline(srv.local_addr(), FRAMES, LEN);
        wait_for_work_started(&srv, 1, &format!("{model} {w}"));
        srv.shutdown(Duration::from_secs(5));
        let started = stats.snapshot().work_started;
        assert!(
            started < FRAMES as u64,
            "{model}: all {started} frames were worked before the stop ended"
        );
        let mut got = Vec::new();
        let end = s.read_to_end(&mut got);
        assert!(end.is_ok(), "{model}: end of stream, not {end:?}");
        let one = wire.len() / FRAMES;
        assert_eq!(got.len() % one, 0, "{model}: whole answers only");
        assert!(got[..] == wire[..got.len()], "{model}: in order");
    }
}

/// The same through the command: SIGTERM to `sockmodes server --work
/// block:2s` with ten frames pipelined on one connection, once the first
/// answer is in. The command exits 0, and the client gets the answers
/// finished by the 5 s deadline, then end of stream: not all ten (waiting
/// for them would take 20 s).
#[cfg(unix)]
#[test]
fn sigterm_with_inline_work_pipelined_ends_by_its_deadline_in_every_server() {
    const FRAMES: usize = 10;
    const LEN: usize = 16;
    for model in Model::servers() {
        let srv = util::cli::start_echo_with_work(model.name(), "block:2s", &[]);
        let (mut s, wire) = pipeline(srv.addr, FRAMES, LEN);
        // The first answer in hand: frame 2's work has begun, and the
        // other eight wait behind it.
        let one = wire.len() / FRAMES;
        let mut got = vec![0u8; one];
        s.read_exact(&mut got).unwrap();
        let status = srv.terminate().expect("the server exits");
        assert!(status.success(), "{model}: {status:?}");
        let end = s.read_to_end(&mut got);
        assert!(end.is_ok(), "{model}: end of stream, not {end:?}");
        assert!(
            got.len() < wire.len(),
            "{model}: all {FRAMES} answers: the stop waited for every frame's work"
        );
        assert!(
            got[..] == wire[..got.len()] && got.len().is_multiple_of(one),
            "{model}"
        );
    }
}
