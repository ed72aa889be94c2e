// An echo server that answers every frame a known time late, to check the
// load generator's figures against something independent.
//
// Run:   cargo run --release --example delayed_echo -- 20            (20 ms, port 9100)
//        cargo run --release --example delayed_echo -- 20 127.0.0.1:0
// Then:  sockmodes load --addr 127.0.0.1:9100 --connections 20 --duration 3
// and p50 reads about 20 ms in either --mode, closed loop or with --rate.
//
// A third argument treats one connection (by accept order) apart, to check
// the ramp, fairness and starvation figures:
//        ... -- 0 127.0.0.1:9100 stagger:300   connection k's first answer k x 300 ms late
//        ... -- 1 127.0.0.1:9100 slow:0:10     connection 0 answered 10x slower
//        ... -- 1 127.0.0.1:9100 silent:3      connection 3 never answered

use std::time::Duration;

use anyhow::Context;
use sockmodes_loadgen::delayed::{DelayedEcho, Quirk};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let ms: f64 = args
        .next()
        .unwrap_or_else(|| "20".into())
        .parse()
        .context("the first argument is the delay in milliseconds, e.g. 20")?;
    anyhow::ensure!(
        ms.is_finite() && ms >= 0.0,
        "the delay must be a non-negative number of milliseconds"
    );
    let addr = args
        .next()
        .unwrap_or_else(|| "127.0.0.1:9100".into())
        .parse()
        .context("the second argument is HOST:PORT, e.g. 127.0.0.1:9100")?;
    let quirk: Option<Quirk> = args
        .next()
        .map(|q| q.parse().map_err(anyhow::Error::msg))
        .transpose()?;
    let delay = Duration::from_secs_f64(ms / 1000.0);
    let server = DelayedEcho::with_quirk(addr, delay, None, quirk)
        .with_context(|| format!("cannot listen on {addr}"))?;
    eprintln!(
        "delayed echo: answering every frame {ms} ms late on {} (Ctrl-C stops)",
        server.addr()
    );
    loop {
        std::thread::park();
    }
}
