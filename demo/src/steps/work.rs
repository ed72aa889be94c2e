//! Step 11: don't block the loop. Every client of an event loop shares its
//! one thread, so what a handler does with that thread decides whether one
//! client's work holds the others.
//!
//! One event loop thread (`--threads 1`) serves two clients: A sends a
//! message, then B sends one, and each message has the same work. Three
//! configurations of the same server, started in this process:
//!
//! - `--work block`: a blocking call inline (Python's `time.sleep` in an
//!   asyncio handler). The loop sleeps in A's work, reads B only after it,
//!   and sleeps again: B's answer comes after A's work and its own.
//! - `--work wait`: a timer (`await asyncio.sleep`). The loop arms it and
//!   goes back to polling, so B's work starts while A's runs.
//! - `--work block --offload 2`: the same blocking call on a pool of two
//!   threads (`loop.run_in_executor`); the loop only hands it over.
//!
//! The step reports when each answer arrived, counted from A's send, as
//! this run measured it, and the same times as the timeline's bars.

use std::cell::Cell;
use std::fmt::Display;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use sockmodes_common::{Service, Work, WorkKind};
use sockmodes_nonblocking::multi::{Event, ManyClient};
use sockmodes_serving::ServerConfig;

use super::{millis, step, Ctx, Step};
use sockmodes_models::{start_server, Model, Server};

/// Worker threads of the offload scenario: one for A's call, one for B's.
const WORKERS: usize = 2;

/// When each answer arrived, and when B sent, all from A's send.
struct Answers {
    a: Duration,
    b_sent: Duration,
    b: Duration,
}

/// Waits until `srv` has accepted `n` connections (at most 5 s).
fn accepted(srv: &Server, n: u64) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(5);
    while srv.stats().accepted < n {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the server accepted {} of {n} connections",
            srv.stats().accepted
        );
        thread::sleep(Duration::from_millis(1));
    }
    Ok(())
}

/// Polls `clients` until `until` holds, handing each event to `on`.
fn poll_until(
    clients: &mut ManyClient,
    deadline: Instant,
    what: &str,
    mut on: impl FnMut(usize, Event) -> anyhow::Result<()>,
    until: impl Fn() -> bool,
) -> anyhow::Result<()> {
    let mut failed = Ok(());
    while !until() {
        anyhow::ensure!(Instant::now() < deadline, "no {what} in time");
        clients.poll(Some(Duration::from_millis(100)), |id, event, _| {
            if failed.is_ok() {
                failed = on(id, event);
            }
        })?;
        std::mem::replace(&mut failed, Ok(()))?;
    }
    Ok(())
}

/// A one-thread event loop with `work` per frame (on `offload` workers
/// when not 0): A sends a frame, then B; returns when each was answered.
/// One client thread polls both connections, so each answer is timed when
/// it arrives, by the same clock and the same thread.
fn two_clients(work: Work, offload: usize) -> anyhow::Result<Answers> {
    let mut config = ServerConfig::new("127.0.0.1:0".parse()?, Service::Echo);
    config.event_loops = 1;
    config.work = Some(work);
    config.offload = offload;
    let srv = start_server(Model::NON_BLOCKING, config, Arc::new(|_, _| {}))?;
    let deadline = Instant::now() + work.amount * 10 + Duration::from_secs(5);
    let mut clients = ManyClient::new(1024)?;
    let a = clients.connect(srv.local_addr())?;
    let b = clients.connect(srv.local_addr())?;
    let connected = Cell::new(0);
    let on_connect = |_, event: Event| match event {
        Event::Connected => {
            connected.set(connected.get() + 1);
            Ok(())
        }
        other => anyhow::bail!("while connecting: {other:?}"),
    };
    poll_until(&mut clients, deadline, "connection", on_connect, || {
        connected.get() == 2
    })?;
    // Both connections registered before either sends: the loop then
    // reads A's message first, as A wrote it first (a moment lets the loop
    // finish registering B and go back to its poll).
    accepted(&srv, 2)?;
    thread::sleep(Duration::from_millis(10));
    let t0 = Instant::now();
    clients.with_outbox(a, |out| out.send_frame(b"A"))?;
    let b_sent = t0.elapsed();
    clients.with_outbox(b, |out| out.send_frame(b"B"))?;
    let answered: [Cell<Option<Duration>>; 2] = Default::default();
    let on_answer = |id: usize, event: Event| {
        let (slot, sent): (_, &[u8]) = if id == a { (0, b"A") } else { (1, b"B") };
        match event {
            // The session checked the echo against what was sent.
            Event::Answered { bytes, .. } if bytes == sent.len() => {
                answered[slot].set(Some(t0.elapsed()));
                Ok(())
            }
            other => anyhow::bail!("instead of the echo of {sent:?}: {other:?}"),
        }
    };
    poll_until(&mut clients, deadline, "answer", on_answer, || {
        answered.iter().all(|t| t.get().is_some())
    })?;
    drop(clients);
    srv.shutdown(Duration::from_secs(1));
    let [a, b] = answered.map(|t| t.get().unwrap_or_default());
    Ok(Answers { a, b_sent, b })
}

/// Records one configuration as observation `key` and as the picture's row.
fn note(s: &mut Step, ctx: &Ctx, key: &'static str, r: &Answers) {
    s.span(key, "A", "tl.waits_answer", (Duration::ZERO, r.a));
    s.span(key, "B", "tl.waits_answer", (r.b_sent, r.b));
    let text = ctx
        .lang
        .fill("v.answers", &[("a", &millis(r.a)), ("b", &millis(r.b))]);
    s.observe(key, text);
}

pub fn dont_block_the_loop(ctx: &Ctx) -> anyhow::Result<Step> {
    let lang = ctx.lang;
    let mut s = step(ctx, 11);
    let amount = ctx.pace.work;
    // `amount` as Python writes seconds (`0.2`) and as `--work` writes it
    // (`200ms`).
    let secs = amount.as_secs_f64().to_string();
    let arg = sockmodes_common::work::human_duration(amount);
    for (_, line) in &mut s.lines {
        *line = line
            .replace("{secs}", &secs)
            .replace("{work}", &arg)
            .replace("{workers}", &WORKERS.to_string());
    }
    s.observe("work_each", format!("{} ms", amount.as_millis()));
    let block = Work {
        kind: WorkKind::Block,
        amount,
    };
    let wait = Work {
        kind: WorkKind::Wait,
        ..block
    };
    let runs = [
        ("with_block", two_clients(block, 0)?),
        ("with_wait", two_clients(wait, 0)?),
        ("with_offload", two_clients(block, WORKERS)?),
    ];
    for (key, r) in &runs {
        note(&mut s, ctx, key, r);
    }
    // B's wait in units of one message's work: about 2 when it waited
    // behind A, about 1 when it did not.
    let ratio = |r: &Answers| {
        let b = (r.b - r.b_sent).as_secs_f64() / amount.as_secs_f64();
        lang.number(b, 2)
    };
    let [b, w, o] = runs.each_ref().map(|(_, r)| ratio(r));
    let ratios: [(&str, &dyn Display); 3] = [("block", &b), ("wait", &w), ("offload", &o)];
    s.observe("meaning", lang.fill("s11.meaning", &ratios));
    Ok(s)
}
