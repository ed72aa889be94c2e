//! The steps. Each runs real sockets and reports what it saw, in the
//! demo's language: the basics of one socket (`basics.rs`), of a stream
//! (`streams.rs`), why event loops exist (`concurrency.rs`), what a
//! handler must not do on one (`work.rs`), and readiness against
//! completion (`completion.rs`).

mod basics;
mod completion;
mod concurrency;
mod streams;
mod work;

use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use sockmodes_common::Service;
use sockmodes_serving::ServerConfig;

use super::{Ctx, Step};
use sockmodes_models::{start_server, Model, Server};

type StepFn = fn(&Ctx) -> anyhow::Result<Step>;

/// The steps, in order.
pub const ALL: [StepFn; 12] = [
    basics::refused,
    basics::blocking_recv_waits,
    basics::nonblocking_recv_would_block,
    basics::timeout_mode,
    streams::tcp_is_a_stream,
    streams::partial_writes,
    streams::nagle_and_delayed_ack,
    streams::zero_timeout_trap,
    concurrency::one_thread_two_clients,
    concurrency::many_connections,
    work::dont_block_the_loop,
    completion::readiness_against_completion,
];

/// A step `n` with its title, code lines and lesson in `ctx`'s language:
/// the Python line, then a line for each I/O model whose text the step
/// has (`s{n}.std`, `s{n}.mio`, `s{n}.io_uring`: [`Model::code_label`]).
fn step(ctx: &Ctx, n: usize) -> Step {
    let t = |part: &str| ctx.lang.t(&format!("s{n}.{part}")).to_string();
    let mut lines = vec![("Python", t("python"))];
    for m in Model::ALL {
        if let Some(text) = ctx.lang.get(&format!("s{n}.{}", m.code_label())) {
            lines.push((m.code_label(), text.to_string()));
        }
    }
    Step {
        number: n,
        title: t("title"),
        lines,
        observed: Vec::new(),
        spans: Vec::new(),
        lesson: if n == 4 { String::new() } else { t("lesson") },
    }
}

fn micros(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

/// Milliseconds, or microseconds below one millisecond.
fn millis(d: Duration) -> String {
    if d < Duration::from_millis(1) {
        micros(d)
    } else {
        format!("{:.1} ms", d.as_secs_f64() * 1e3)
    }
}

/// A connected pair on loopback: (client, server side).
fn pair() -> anyhow::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let client = TcpStream::connect(listener.local_addr()?)?;
    let (server, _) = listener.accept()?;
    Ok((client, server))
}

/// One of our servers on 127.0.0.1:0.
fn server(model: Model, service: Service) -> anyhow::Result<Server> {
    let config = ServerConfig::new("127.0.0.1:0".parse()?, service);
    Ok(start_server(model, config, Arc::new(|_, _| {}))?)
}
