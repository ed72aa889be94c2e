//! `sockmodes server --work KIND:AMOUNT --offload N`: parsing, the
//! calibration of `cpu` work, and the start-up lines that state the
//! calibration and the ceiling (`sockmodes_models::ceiling`).

use clap::Args;
use sockmodes_common::work::human_duration;
use sockmodes_common::{Service, Work, WorkKind};
use sockmodes_models::ceiling::{calibrate, Ceiling, Concurrency};
use sockmodes_models::IoMode;
use sockmodes_serving::ServerConfig;

/// The options, as their own block of `sockmodes server`'s.
#[derive(Debug, Args)]
pub struct WorkArgs {
    /// Work per frame (echo, sink): cpu:50us (computing, calibrated at
    /// start-up), block:2ms (a blocking call: the thread sleeps in the
    /// kernel), wait:2ms (a timer: an event loop or a ring serves others
    /// meanwhile; on the blocking server a sleep). Units ns, us, ms, s; at
    /// most 10s. A frame's answer leaves after its work; answers keep their
    /// order. Default: none, answers at once. The ceiling this allows
    /// (Little's law) is printed at start-up.
    #[arg(long, value_name = "KIND:AMOUNT", value_parser = parse_work)]
    pub work: Option<Work>,
    /// Non-blocking and completion modes: run cpu and block work on a pool
    /// of N worker threads (per event loop) instead of inline on the I/O
    /// thread. Its queue is bounded: when full, connections wanting more
    /// work are not read until it drains. Counted in the memory line.
    #[arg(long, value_name = "N", value_parser = parse_offload)]
    pub offload: Option<usize>,
}

fn parse_work(s: &str) -> Result<Work, String> {
    s.parse()
        .map_err(|e: sockmodes_common::work::WorkError| e.to_string())
}

fn parse_offload(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("0: at least 1 worker (leave --offload out to run the work inline)".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "{s:?}: expected a number of worker threads, e.g. 64"
        )),
    }
}

/// Puts the work into `config`, calibrated; returns the lines to print at
/// start-up (calibration, ceiling), or one line of error (exit 2).
///
/// # Errors
/// `--work` with the message service, or an `--offload` over the
/// system's thread limit.
pub fn prepare(
    args: &WorkArgs,
    mode: IoMode,
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
    let mut lines = Vec::new();
    let work = if work.kind == WorkKind::Cpu {
        let c = calibrate();
        let w = work.calibrated(c.spins_per_ms);
        lines.push(format!(
            "work: {work} per frame = {} spins (calibration: {} spins per ms, the fastest of {} runs)",
            thousands(w.spins as f64),
            thousands(c.spins_per_ms as f64),
            c.runs
        ));
        w
    } else {
        lines.push(format!("work: {work} per frame ({})", explain(work.kind)));
        work
    };
    config.work = Some(work);
    if args.offload.is_some() && mode.offload_workers(config).is_none() {
        tracing::warn!(
            "--offload applies to cpu and block work on the non-blocking and completion servers; here the work runs {}",
            if mode.io_threads(config).is_none() { "on each connection's thread" } else { "on a timer" }
        );
    }
    if let Some((threads, workers)) = mode.offload_workers(config) {
        sockmodes_os::limits::check_thread_limit(threads * workers).map_err(|e| e.to_string())?;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
    if let Some(concurrency) = mode.work_concurrency(config) {
        lines.push(ceiling_line(
            &Ceiling::new(concurrency, work, cores),
            config.max_conns as u64,
        ));
    }
    Ok(lines)
}

fn explain(kind: WorkKind) -> &'static str {
    match kind {
        WorkKind::Cpu => "computing",
        WorkKind::Block => "a blocking call: the thread sleeps",
        WorkKind::Wait => "a timer; a thread per connection sleeps",
    }
}

/// "ceiling: 1 x 1ms inline = 1,000 msg/s", with the CPU's bound beside it.
pub fn ceiling_line(c: &Ceiling, max_conns: u64) -> String {
    let t = human_duration(c.work.amount);
    let by_c = match c.concurrency {
        Concurrency::Inline(n) => format!(
            "{n} x {t} inline = {} msg/s",
            thousands(c.by_concurrency(0))
        ),
        Concurrency::Pool(n) => format!(
            "{n} workers x {t} = {} msg/s",
            thousands(c.by_concurrency(0))
        ),
        Concurrency::PerConnection => format!(
            "connections x {t} = {} msg/s per connection ({} at --max-conns {max_conns})",
            thousands(c.by_concurrency(1)),
            thousands(c.by_concurrency(max_conns))
        ),
    };
    let cpu = match c.by_cpu() {
        Some(v) => format!(
            "; CPU: {} cores / {} per message = {} msg/s",
            c.cores,
            human_duration(c.work.cpu()),
            thousands(v)
        ),
        None => "; CPU: the work uses none (the I/O's own cost is the other limit)".into(),
    };
    let min = match c.concurrency {
        Concurrency::PerConnection => format!(
            "at most {} msg/s with n connections: min(n x {}, CPU)",
            thousands(c.msgs_per_sec(max_conns)),
            thousands(c.by_concurrency(1))
        ),
        _ => format!("at most {} msg/s", thousands(c.msgs_per_sec(0))),
    };
    format!("ceiling (Little's law): {by_c}{cpu}: {min}")
}

/// 64000.4 -> "64,000".
fn thousands(v: f64) -> String {
    let n = v.round() as u64;
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
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
    fn offload_zero_and_nonsense_are_refused_in_one_line() {
        assert!(parse_offload("0").unwrap_err().contains("at least 1"));
        assert!(parse_offload("x").is_err());
        assert_eq!(parse_offload("64"), Ok(64));
        assert!(parse_work("cpu:50").unwrap_err().contains("needs a unit"));
    }
}
