//! `sockmodes server --work KIND:AMOUNT --offload N`: parsing, and the
//! start-up lines that state the work and the ceiling
//! (`sockmodes_models::ceiling`).

use clap::Args;
use sockmodes_common::work::human_duration;
use sockmodes_common::{Service, Work, WorkKind};
use sockmodes_demo::Lang;
use sockmodes_models::ceiling::{Ceiling, Concurrency};
use sockmodes_models::Model;
use sockmodes_serving::ServerConfig;

/// The options, as their own block of `sockmodes server`'s.
#[derive(Debug, Args)]
pub struct WorkArgs {
    /// Work per frame (echo, sink): cpu:50us (computing until the thread's
    /// CPU clock has advanced that much), block:2ms (a blocking call: the thread sleeps in the
    /// kernel), wait:2ms (a timer: an event loop or a ring serves others
    /// meanwhile; on the blocking server a sleep). Units ns, us, ms, s; at
    /// most 10s. A frame's answer leaves after its work; answers keep their
    /// order. Default: none, answers at once. The ceiling this allows
    /// (Little's law) is printed at start-up.
    #[arg(long, value_name = "KIND:AMOUNT")]
    pub work: Option<Work>,
    /// Non-blocking and completion models: run cpu and block work on a pool
    /// of N worker threads (per event loop) instead of inline on the I/O
    /// thread; tokio: cpu work on its blocking pool of N threads per worker
    /// (block work always runs there). Its queue is bounded: when full, connections wanting more
    /// work are not read until it drains. Counted in the memory line.
    #[arg(long, value_name = "N", value_parser = parse_offload)]
    pub offload: Option<usize>,
}

fn parse_offload(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("0: at least 1 worker (leave --offload out to run the work inline)".into()),
        Ok(n) => Ok(n),
        Err(_) if super::bounds::is_negative(s) => Err(format!("{s}: must be at least 1 worker")),
        Err(_) => Err(format!(
            "{s:?}: expected a number of worker threads, e.g. 64"
        )),
    }
}

/// Puts the work into `config`; returns the lines to print at start-up
/// (the work, the ceiling), or one line of error (exit 2).
///
/// # Errors
/// `--work` with the message service, or an `--offload` over the
/// system's thread limit.
pub fn prepare(
    args: &WorkArgs,
    model: Model,
    config: &mut ServerConfig,
) -> Result<Vec<String>, String> {
    config.offload = args.offload.unwrap_or(0);
    let Some(work) = args.work else {
        if args.offload.is_some() {
            tracing::warn!("--offload applies to --work; without work there is nothing to offload");
        }
        return Ok(Vec::new());
    };
    if config.service == Service::Message {
        return Err(format!(
            "--work {work}: work is per frame, for --service echo or sink (message has no frames)"
        ));
    }
    let mut lines = vec![format!("work: {work} per frame ({})", explain(work))];
    config.work = Some(work);
    if args.offload.is_some() && model.offload_workers(config).is_none() {
        tracing::warn!(
            "--offload applies to cpu and block work on the non-blocking and completion servers, and to cpu work on tokio; here the work runs {}",
            if model.io_threads(config).is_none() { "on each connection's thread" } else { "on a timer" }
        );
    }
    if let Some((threads, workers)) = model.offload_workers(config) {
        sockmodes_os::limits::check_thread_limit(threads.saturating_mul(workers))
            .map_err(|e| e.to_string())?;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
    if let Some(concurrency) = model.work_concurrency(config) {
        lines.push(ceiling_line(
            &Ceiling::new(concurrency, work, cores),
            config.max_conns as u64,
        ));
    }
    Ok(lines)
}

fn explain(work: Work) -> String {
    match work.kind {
        WorkKind::Cpu => format!(
            "computing, until the thread's CPU clock has advanced by {}",
            human_duration(work.amount)
        ),
        WorkKind::Block => "a blocking call: the thread sleeps".into(),
        WorkKind::Wait => "a timer; a thread per connection sleeps".into(),
    }
}

/// "ceiling: 1 x 1ms inline = 1,000 msg/s", with the CPU's bound beside it.
pub fn ceiling_line(c: &Ceiling, max_conns: u64) -> String {
    let t = human_duration(c.work.amount);
    let by_c = match c.concurrency {
        Concurrency::Inline(n) => format!("{n} x {t} inline = {} msg/s", rate(c.by_concurrency(0))),
        Concurrency::Pool(n) => format!("{n} workers x {t} = {} msg/s", rate(c.by_concurrency(0))),
        Concurrency::PerConnection => format!(
            "connections x {t} = {} msg/s per connection ({} at --max-conns {max_conns})",
            rate(c.by_concurrency(1)),
            rate(c.by_concurrency(max_conns))
        ),
    };
    let cpu = match c.by_cpu() {
        Some(v) => format!(
            "; CPU: {} cores / {} per message = {} msg/s",
            c.cores,
            human_duration(c.work.cpu()),
            rate(v)
        ),
        None => "; CPU: the work uses none (the I/O's own cost is the other limit)".into(),
    };
    let min = match c.concurrency {
        Concurrency::PerConnection => format!(
            "at most {} msg/s with n connections: min(n x {}, CPU)",
            rate(c.msgs_per_sec(max_conns)),
            rate(c.by_concurrency(1))
        ),
        _ => format!("at most {} msg/s", rate(c.msgs_per_sec(0))),
    };
    format!("ceiling (Little's law): {by_c}{cpu}: {min}")
}

/// A rate in msg/s as a person reads it: whole and grouped from 100 up
/// (64000.4 -> "64,000"), with two significant decimals below (one
/// message every 3 s -> "0.33", 2 workers x 3 s -> "0.67"): a ceiling
/// under one message a second is not "0".
fn rate(v: f64) -> String {
    if v >= 100.0 {
        return Lang::En.number(v.round(), 0);
    }
    let decimals = if v >= 10.0 { 1 } else { 2 };
    format!("{v:.decimals$}")
        .trim_end_matches('0')
        .trim_end_matches('.')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ceiling_line_says_what_issue_27_asks() {
        let w: Work = "block:1ms".parse().unwrap();
        let line = ceiling_line(&Ceiling::new(Concurrency::Inline(1), w, 2), 10_000);
        assert!(line.contains("1 x 1ms inline = 1,000 msg/s"), "{line}");
        assert!(line.ends_with("at most 1,000 msg/s"), "{line}");
        let line = ceiling_line(&Ceiling::new(Concurrency::Pool(64), w, 2), 10_000);
        assert!(line.contains("64 workers x 1ms = 64,000 msg/s"), "{line}");
        let cpu: Work = "cpu:50us".parse().unwrap();
        let line = ceiling_line(&Ceiling::new(Concurrency::PerConnection, cpu, 2), 100);
        assert!(
            line.contains("2 cores / 50us per message = 40,000 msg/s"),
            "{line}"
        );
        assert!(line.contains("at most 40,000 msg/s"), "{line}");
    }

    #[test]
    fn a_ceiling_under_one_message_a_second_shows_its_fraction() {
        let slow: Work = "wait:3s".parse().unwrap();
        let line = ceiling_line(&Ceiling::new(Concurrency::PerConnection, slow, 2), 1);
        assert!(line.contains("at most 0.33 msg/s"), "{line}");
        let pool: Work = "block:3s".parse().unwrap();
        let line = ceiling_line(&Ceiling::new(Concurrency::Pool(2), pool, 2), 1);
        assert!(line.contains("2 workers x 3s = 0.67 msg/s"), "{line}");
        assert!(line.ends_with("at most 0.67 msg/s"), "{line}");
        assert_eq!(rate(12.26), "12.3");
        assert_eq!(rate(1.0), "1");
        assert_eq!(rate(0.1), "0.1");
        assert_eq!(rate(64_000.4), "64,000");
    }

    #[test]
    fn offload_zero_and_nonsense_are_refused_in_one_line() {
        assert!(parse_offload("0").unwrap_err().contains("at least 1"));
        assert!(parse_offload("x").is_err());
        assert_eq!(parse_offload("64"), Ok(64));
    }
}
