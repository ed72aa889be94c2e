//! `sockmodes server --cpus F`: the server holds itself to F cores
//! (`sockmodes_os::cpu_budget`), says so at start-up, and tells the share
//! of the budget it used: in its counters line (`kill -USR1`) and at stop.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;
use sockmodes_os::cpu_budget::{self, Budget, BudgetError, CpuBudget, DEFAULT_PERIOD};

/// The options, as their own block of `sockmodes server`'s.
#[derive(Debug, Args)]
pub struct BudgetArgs {
    /// Hold the server to this many cores' worth of CPU, as `docker run
    /// --cpus` does (0.5: half of one core, however many threads), so that
    /// the server, not a load generator on the same machine, is the
    /// bottleneck. Linux: a cgroup of its own (v2 cpu.max, or v1
    /// cpu.cfs_quota_us), made under the server's group and removed at stop;
    /// needs root or a delegated group. Windows: a Job Object with a hard
    /// CPU rate cap (JOB_OBJECT_CPU_RATE_CONTROL_HARD_CAP) of F / cores of
    /// the machine. Elsewhere, or without permission: an error, exit 2.
    #[arg(long, value_name = "CORES", value_parser = parse_cpus)]
    pub cpus: Option<f64>,
    /// Linux, with --cpus: the quota's period in µs, 1000 to 1000000. A
    /// server that spends its quota early waits out the period, so p99
    /// grows with it; the kernel's default is 100000 (docs/cli.md, --cpus).
    /// Lengthened when the quota (cores x period) would be under the
    /// kernel's least, 1000 µs.
    #[arg(long, value_name = "MICROS", requires = "cpus",
          default_value_t = DEFAULT_PERIOD.as_micros() as u64)]
    pub cpu_period: u64,
    /// Tests only: the cgroup filesystem's root (default /sys/fs/cgroup).
    #[arg(long, hide = true, value_name = "DIR", requires = "cpus")]
    pub cgroup_root: Option<PathBuf>,
}

fn parse_cpus(s: &str) -> Result<f64, String> {
    let cores = sockmodes_os::process::cores_online();
    match s.trim().parse::<f64>() {
        Ok(f) if f.is_finite() && f > 0.0 && f <= cores as f64 => Ok(f),
        Ok(f) if f.is_finite() && f > cores as f64 => Err(format!(
            "{s}: this machine has {cores} core{} online",
            if cores == 1 { "" } else { "s" }
        )),
        _ => Err(format!(
            "{s:?}: expected a positive number of cores, e.g. 0.5"
        )),
    }
}

/// How the budget is held.
enum Holder {
    // Never made on Windows (a Job Object there).
    #[cfg_attr(windows, allow(dead_code))]
    Cgroup(CpuBudget),
    #[cfg(windows)]
    Job(sockmodes_os::cpu_budget_windows::JobBudget),
}

/// A budget in force.
pub struct Held {
    meter: Meter,
    holder: Holder,
}

/// What the counters thread needs to tell the share used: the budget, the
/// clocks it is measured from, and the group whose throttling to read.
#[derive(Debug, Clone)]
pub struct Meter {
    budget: Budget,
    since: Instant,
    cpu_since: Duration,
    group: Option<PathBuf>,
}

/// Sets the budget asked for (none: `Ok(None)`). Call before any thread
/// starts.
///
/// # Errors
/// One line: the budget could not be set here, and why.
pub fn hold(args: &BudgetArgs) -> Result<Option<Held>, String> {
    let Some(cpus) = args.cpus else {
        return Ok(None);
    };
    let refused = |e: BudgetError| format!("--cpus {cpus}: {e}");
    let budget = Budget::new(cpus, Duration::from_micros(args.cpu_period)).map_err(refused)?;
    let holder = hold_here(budget, args.cgroup_root.as_ref()).map_err(refused)?;
    let group = match &holder {
        Holder::Cgroup(c) => Some(c.group.clone()),
        #[cfg(windows)]
        Holder::Job(_) => None,
    };
    Ok(Some(Held {
        meter: Meter {
            budget,
            since: Instant::now(),
            cpu_since: cpu_now(),
            group,
        },
        holder,
    }))
}

#[cfg(not(windows))]
fn hold_here(budget: Budget, root: Option<&PathBuf>) -> Result<Holder, BudgetError> {
    if !cfg!(target_os = "linux") && root.is_none() {
        return Err(BudgetError::Unsupported(
            "a CPU budget needs Linux's cgroups or Windows' Job Objects; this system has neither",
        ));
    }
    let root = root.map_or_else(|| PathBuf::from(cpu_budget::CGROUP_ROOT), PathBuf::clone);
    let own = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    cpu_budget::hold(&root, &own, budget, std::process::id()).map(Holder::Cgroup)
}

#[cfg(windows)]
fn hold_here(budget: Budget, _root: Option<&PathBuf>) -> Result<Holder, BudgetError> {
    let cores = sockmodes_os::process::cores_online();
    sockmodes_os::cpu_budget_windows::hold_job(budget, cores).map(Holder::Job)
}

fn cpu_now() -> Duration {
    sockmodes_os::process::process_cpu_time().map_or(Duration::ZERO, |t| t.user + t.system)
}

impl Held {
    /// What the counters line reads.
    pub fn meter(&self) -> Meter {
        self.meter.clone()
    }

    /// The start-up line: the budget and how it is held.
    pub fn start_line(&self) -> String {
        let how = match &self.holder {
            Holder::Cgroup(c) => format!(
                "{} µs every {} µs, {}, group {}",
                self.meter.budget.quota_us(),
                self.meter.budget.period_us(),
                c.controller,
                c.group.display()
            ),
            #[cfg(windows)]
            Holder::Job(j) => format!(
                "a Job Object's hard CPU rate cap, {} of 10000 of the machine's cycles",
                j.rate
            ),
        };
        format!(
            "CPU budget: {} core ({how}); the share used is in the counters line and at stop",
            self.meter.budget.cpus
        )
    }

    /// Releases the budget (Linux: back to the parent group, the group
    /// removed) and returns the line to print at stop.
    pub fn finish(self) -> String {
        let mut line = self.meter.summary();
        match self.holder {
            Holder::Cgroup(c) => {
                let group = c.group.clone();
                if let Err(e) = c.release() {
                    line += &format!("; its group {} was not removed: {e}", group.display());
                }
            }
            #[cfg(windows)]
            Holder::Job(_) => {}
        }
        line
    }
}

impl Meter {
    /// The counters line's fields: the budget, the share of it used since
    /// start-up, and (cgroups) the periods throttled.
    pub fn counter_fields(&self) -> String {
        let mut fields = format!("cpus={}", self.budget.cpus);
        let cpu = cpu_now().saturating_sub(self.cpu_since);
        if let Some(used) = self.budget.share_used(cpu, self.since.elapsed()) {
            fields += &format!(" budget_used={used:.3}");
        }
        if let Some((throttled, periods)) = self.throttled() {
            fields += &format!(" throttled_periods={throttled} periods={periods}");
        }
        fields
    }

    fn throttled(&self) -> Option<(u64, u64)> {
        cpu_budget::throttled_in(self.group.as_ref()?)
    }

    /// The line at stop: CPU used, wall time, the share of the budget.
    fn summary(&self) -> String {
        let cpu = cpu_now().saturating_sub(self.cpu_since);
        let wall = self.since.elapsed();
        let mut line = format!(
            "CPU budget: {:.2} s of CPU in {:.2} s at {} core",
            cpu.as_secs_f64(),
            wall.as_secs_f64(),
            self.budget.cpus
        );
        if let Some(used) = self.budget.share_used(cpu, wall) {
            line += &format!(": {:.0}% of the budget", used * 100.0);
        }
        if let Some((throttled, periods)) = self.throttled() {
            line += &format!(" (throttled in {throttled} of {periods} periods)");
        }
        line
    }
}
