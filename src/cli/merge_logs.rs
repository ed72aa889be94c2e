//! `sockmodes merge-logs A.hlog B.hlog ...`: the `load --hdr-log` logs of
//! several load hosts, merged (`sockmodes_loadgen::merge`), printed as one
//! percentile table and each host's rate and share.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use sockmodes_loadgen::merge::{self, HostLog, Merged, MAX_LOG_BYTES, PERCENTILES, UNEQUAL_BELOW};

use super::InputError;

#[derive(Debug, Args)]
pub struct MergeLogsArgs {
    /// HdrHistogram interval logs, one per load host (`load --hdr-log FILE`).
    #[arg(value_name = "LOG", required = true)]
    logs: Vec<PathBuf>,
}

pub fn run(args: MergeLogsArgs) -> anyhow::Result<ExitCode> {
    let hosts = args.logs.iter().map(read).collect::<Result<Vec<_>, _>>()?;
    let merged = merge::merge(&hosts).map_err(|why| InputError(why.to_string()))?;
    super::out::line("the merged table", &table(&merged))?;
    for none in merged.answered_nothing() {
        eprintln!(
            "sockmodes: warning: {} holds no answer (its run answered nothing in its window, \
             or its log is empty): it adds no latencies, and counts as a host that got no \
             messages",
            none.name
        );
    }
    for low in merged.unequal() {
        eprintln!(
            "sockmodes: warning: {} got {:.1}% of the messages, under half its fair share ({:.1}%): \
             the server served the hosts unequally (or this host's path or client was slower), \
             and the merged percentiles under-represent it",
            low.name,
            low.share * 100.0,
            100.0 / merged.hosts.len() as f64
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn read(path: &PathBuf) -> Result<HostLog, InputError> {
    let name = path.display().to_string();
    let failed = |e: std::io::Error| InputError(format!("{name}: {e}"));
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_LOG_BYTES + 1).read_to_end(&mut bytes))
        .map_err(failed)?;
    if bytes.len() as u64 > MAX_LOG_BYTES {
        return Err(InputError(format!(
            "{name}: over {} MiB, larger than any `load --hdr-log` log",
            MAX_LOG_BYTES >> 20
        )));
    }
    HostLog::read(&name, &bytes).map_err(|e| InputError(e.to_string()))
}

/// The merged table, then one line per host.
fn table(m: &Merged) -> String {
    let mut out = format!(
        "hosts          {}\nmessages       {}\nmessages_per_s {}\nmean_us        {:.0}\n",
        m.hosts.len(),
        m.total.len(),
        m.per_s().round(),
        m.total.mean()
    );
    for p in PERCENTILES {
        out += &format!("{:<14} {} us\n", format!("p{p}"), m.at(p));
    }
    out += &format!(
        "per host (a host under {:.0}% of its fair share is warned of):\n",
        UNEQUAL_BELOW * 100.0
    );
    for h in &m.hosts {
        out += &format!(
            "  {}  {} messages  {} msg/s  {:.1}%\n",
            h.name,
            h.messages,
            h.per_s.round(),
            h.share * 100.0
        );
    }
    out
}
