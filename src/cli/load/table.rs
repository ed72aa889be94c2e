//! `sockmodes load`'s table: the report as a person reads it, one line
//! per figure, then the warnings (`--json` prints the same fields).

use std::fmt::{Result, Write};

use sockmodes_loadgen::LoadReport;
use sockmodes_python::show::count;

/// The report as the table a person reads: one line per figure, then
/// the warnings (written whole by the caller, which reports a failed
/// write).
pub(super) fn table(r: &LoadReport) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = write_table(&mut out, r);
    out
}

fn write_table(out: &mut impl Write, r: &LoadReport) -> Result {
    writeln!(out, "mode          {}", r.model)?;
    writeln!(out, "service       {}", r.service)?;
    print_connections(out, r)?;
    print_throughput(out, r)?;
    writeln!(
        out,
        "latency µs    p50 {:.0}  p90 {:.0}  p99 {:.0}  p99.9 {:.0}  max {:.0}  mean {:.0}",
        r.p50_us, r.p90_us, r.p99_us, r.p999_us, r.max_us, r.mean_us
    )?;
    writeln!(out, "errors        {}", r.errors)?;
    print_ramp_and_fairness(out, r)?;
    print_client(out, r)?;
    for warning in &r.warnings {
        writeln!(out, "warning       {warning}")?;
    }
    Ok(())
}

/// How each connection asked for ended.
fn print_connections(out: &mut impl Write, r: &LoadReport) -> Result {
    let e = &r.ended;
    writeln!(
        out,
        "connections   {} made of {} asked: {} served, {} rejected, {} closed by the server \
         ({} before any answer), {} failed, {} never answered, {} never connected",
        r.connections,
        e.asked,
        e.served,
        e.rejected,
        e.closed + e.closed_unanswered,
        e.closed_unanswered,
        e.failed,
        e.never_answered,
        e.never_connected
    )
}

/// The window, its messages and bytes, and the rate offered.
fn print_throughput(out: &mut impl Write, r: &LoadReport) -> Result {
    writeln!(out, "duration      {:.2} s", r.duration_s)?;
    writeln!(
        out,
        "messages      {} answered in the window ({} carried in from the warm-up, {} after it)",
        r.messages, r.carried_in, r.answered_after_window
    )?;
    match r.rate_requested {
        Some(rate) => writeln!(
            out,
            "messages/s    {:.0}  offered {rate:.0} (open loop){}",
            r.messages_per_s,
            match r.unsent {
                0 => String::new(),
                n => format!("; {n} sends never made: the client could not keep the schedule"),
            }
        )?,
        None => writeln!(out, "messages/s    {:.0}", r.messages_per_s)?,
    }
    writeln!(
        out,
        "bytes/s       {:.0} ({:.1} MB/s)",
        r.bytes_per_s,
        r.bytes_per_s / 1e6
    )
}

/// How fast every connection got its first answer, how evenly they were
/// served, and what was owed.
fn print_ramp_and_fairness(out: &mut impl Write, r: &LoadReport) -> Result {
    let ramp = &r.ramp;
    writeln!(
        out,
        "ramp          warm-up {:.2} s{}; first answer p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms{}",
        ramp.warmup_s,
        if ramp.cap_reached {
            " (cap reached)"
        } else {
            ""
        },
        ramp.first_answer_p50_ms,
        ramp.first_answer_p99_ms,
        ramp.first_answer_max_ms,
        match ramp.never_answered {
            0 => String::new(),
            n => format!("; {n} never answered"),
        }
    )?;
    let f = &r.fairness;
    writeln!(
        out,
        "fairness      answers/connection min {}  p1 {}  median {}  max {}; starved {}; Jain {}",
        f.answers_min,
        f.answers_p1,
        f.answers_median,
        f.answers_max,
        f.starved,
        f.jain_index.map_or("-".into(), |j| format!("{j:.3}"))
    )?;
    if r.unanswered > 0 || r.carried_in > 0 {
        writeln!(out,
            "owed          {} never answered (oldest {:.0} ms); {} carried in from the warm-up (longest wait {:.1} ms)",
            r.unanswered,
            r.oldest_unanswered_ms.unwrap_or(0.0),
            r.carried_in,
            r.carried_in_max_ms.unwrap_or(0.0)
        )?;
    }
    Ok(())
}

/// What the client itself cost, and whether it was the bottleneck.
fn print_client(out: &mut impl Write, r: &LoadReport) -> Result {
    match (r.client_cpu, r.client_cpu_utilization) {
        (Some(cpu), Some(u)) => writeln!(
            out,
            "client CPU    {:.2} s user + {:.2} s system over {:.2} s: {:.0}% of {}{}",
            cpu.user_s,
            cpu.system_s,
            cpu.wall_s,
            u * 100.0,
            count(r.client_threads as u64, "thread", "threads"),
            if r.client_bound { "  CLIENT-BOUND" } else { "" }
        ),
        _ => writeln!(out, "client CPU    not measured on this system"),
    }
}
