//! Holding this process to a share of the machine's cores (`server --cpus
//! F`, as `docker run --cpus F` means it): at most F cores' worth of CPU
//! time in every period, whatever the number of threads.
//!
//! Why: on one machine a load generator shares the cores with the server,
//! and at hundreds of connections the client saturates first, so the run
//! measures the client. A server held to less CPU than the client has
//! becomes the bottleneck by construction.
//!
//! **Linux**: the CFS bandwidth controller of a cgroup of our own,
//! `sockmodes-<pid>`, made a child of the group this process is in:
//! cgroup v2's `cpu.max` (`QUOTA PERIOD`, µs), or, where v2 has no `cpu`
//! controller, cgroup v1's `cpu.cfs_quota_us` and `cpu.cfs_period_us`.
//! The process (every thread: its pid goes to `cgroup.procs`) is moved in,
//! and at [`CpuBudget::release`] (or drop) moved back to the parent group
//! and the group removed. A process killed by SIGKILL cannot remove its
//! group: it stays, empty, costing the kernel a few KiB, until the next
//! [`hold`] in the same parent removes every empty `sockmodes-<pid>`
//! group whose process is gone.
//!
//! **The period**: the kernel refills the quota once a period; a process
//! that spends its quota early waits, throttled, for the rest of the period,
//! and every reply due in that time waits with it. At 0.5 core and the
//! kernel's default 100 ms period that wait is up to 50 ms per period, the
//! size of the p99 seen under such a budget (docs/cli.md, "--cpus").
//! [`DEFAULT_PERIOD`] is 10 ms: the longest wait is 5 ms at 0.5 core.
//! Shorter periods cost a timer and a quota refill per period per CPU, and
//! the kernel refuses periods and quotas under 1 ms ([`MIN_PERIOD`]): so the
//! period is lengthened when F x period would be under 1 ms.
//!
//! The filesystem root (`/sys/fs/cgroup`) and `/proc/self/cgroup`'s text
//! are parameters, so that a temporary directory can stand for the cgroup
//! filesystem in tests.
//!
//! **Windows** (`cpu_budget_windows.rs`): a Job Object with a hard CPU rate
//! cap (`JOBOBJECT_CPU_RATE_CONTROL_INFORMATION`,
//! `JOB_OBJECT_CPU_RATE_CONTROL_HARD_CAP`): the rate is in hundredths of a
//! percent of the whole machine, so F cores of N is `10000 x F / N`; the job
//! ends with the process, so nothing is left to remove.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The period when none is asked for: short enough that the wait of a
/// throttled period (at most period x (1 - F / cores used)) does not
/// dominate a p99 measured in milliseconds, long enough that the refill
/// timer costs nothing measurable.
pub const DEFAULT_PERIOD: Duration = Duration::from_millis(10);
/// The kernel's shortest period and shortest quota.
pub const MIN_PERIOD: Duration = Duration::from_millis(1);
/// The kernel's longest period.
pub const MAX_PERIOD: Duration = Duration::from_secs(1);
/// How the groups of this module are named: `sockmodes-<pid>`.
pub const GROUP_PREFIX: &str = "sockmodes-";

/// A CPU budget: `cpus` cores' worth of time in every `period`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// Cores (0.5: half of one core).
    pub cpus: f64,
    /// How often the quota is refilled.
    pub period: Duration,
}

/// Why a budget could not be set.
#[derive(Debug, thiserror::Error)]
pub enum BudgetError {
    /// A value the kernel would refuse.
    #[error("{0}")]
    Invalid(String),
    /// Neither cgroup v2's nor v1's `cpu` controller is there.
    #[error(
        "no cgroup cpu controller under {} (cgroup v2 without `cpu` in cgroup.controllers, and no v1 `cpu` hierarchy)",
        .0.display()
    )]
    NoController(PathBuf),
    /// A cgroup file could not be written or a group not made.
    #[error("{}: {source}{}", path.display(), hint(source))]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// This OS has no way here.
    #[error("{0}")]
    Unsupported(&'static str),
}

fn hint(e: &io::Error) -> &'static str {
    match e.kind() {
        io::ErrorKind::PermissionDenied => " (needs root, or a cgroup delegated to this user)",
        io::ErrorKind::ResourceBusy => {
            " (cgroup v2 hands a controller to the children of a group that holds no other processes only: \
             start sockmodes in a group of its own, e.g. under `systemd-run --scope -p Delegate=yes`)"
        }
        _ => "",
    }
}

impl Budget {
    /// `cpus` cores every `period`, the period lengthened when the quota
    /// would be under the kernel's 1 ms.
    ///
    /// # Errors
    /// `cpus` is not a positive number, a period is outside 1 ms..1 s, or
    /// `cpus` is so small that even a 1 s period gives under 1 ms.
    pub fn new(cpus: f64, period: Duration) -> Result<Budget, BudgetError> {
        if !(cpus.is_finite() && cpus > 0.0) {
            return Err(BudgetError::Invalid(format!(
                "--cpus {cpus}: must be a positive number of cores"
            )));
        }
        if !(MIN_PERIOD..=MAX_PERIOD).contains(&period) {
            return Err(BudgetError::Invalid(format!(
                "a CPU period of {} µs: the kernel takes 1000 to 1000000",
                period.as_micros()
            )));
        }
        let least = MIN_PERIOD.as_secs_f64() / cpus;
        let period = if period.as_secs_f64() < least {
            Duration::from_micros((least * 1e6).ceil() as u64)
        } else {
            period
        };
        if period > MAX_PERIOD {
            return Err(BudgetError::Invalid(format!(
                "--cpus {cpus}: under the kernel's smallest share, 1 ms per 1 s (0.001)"
            )));
        }
        Ok(Budget { cpus, period })
    }

    /// The CPU time allowed per period, in µs (what the files take).
    pub fn quota_us(&self) -> u64 {
        (self.cpus * self.period.as_micros() as f64).round() as u64
    }

    /// The period in µs.
    pub fn period_us(&self) -> u64 {
        self.period.as_micros() as u64
    }

    /// Windows' Job Object CPU rate for this budget on `cores` cores: the
    /// share of the whole machine's cycles, per 10,000 (1 to 10,000).
    pub fn job_rate(&self, cores: usize) -> u32 {
        (10_000.0 * self.cpus / cores.max(1) as f64)
            .round()
            .clamp(1.0, 10_000.0) as u32
    }

    /// The share of this budget that `cpu` used over `wall`: cpu / (wall x
    /// cpus); `None` for no wall time.
    pub fn share_used(&self, cpu: Duration, wall: Duration) -> Option<f64> {
        let allowed = wall.as_secs_f64() * self.cpus;
        (allowed > 0.0).then(|| cpu.as_secs_f64() / allowed)
    }
}

/// Which cgroup interface holds the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Controller {
    /// cgroup v2: `cpu.max`.
    V2,
    /// cgroup v1: `cpu.cfs_quota_us`, `cpu.cfs_period_us`.
    V1,
}

impl std::fmt::Display for Controller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Controller::V2 => "cgroup v2 cpu.max",
            Controller::V1 => "cgroup v1 cpu.cfs_quota_us",
        })
    }
}

/// A budget in force: this process is in its own group until released.
#[derive(Debug)]
pub struct CpuBudget {
    /// What was asked.
    pub budget: Budget,
    /// Which interface holds it.
    pub controller: Controller,
    /// The group made for this process.
    pub group: PathBuf,
    parent: PathBuf,
    pid: u32,
    state: State,
}

/// Real-time microseconds a second a held group may use (cgroup v1, where
/// real-time groups exist): the server's counters thread prints one line a
/// request, tens of microseconds; 10 ms a second is room for hundreds and
/// 1% of a core.
pub const RT_RUNTIME_US: u64 = 10_000;

/// Where the cgroup filesystem is mounted on Linux.
pub const CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// Holds process `pid` (this one: [`std::process::id`]) to `budget`: makes
/// `sockmodes-<pid>` in the group `proc_cgroup` (the text of
/// `/proc/self/cgroup`) names under `root`, sets the quota and period, and
/// moves the process in. Empty groups of gone processes are removed first.
///
/// # Errors
/// No cpu controller, or a file that could not be written (no permission,
/// a v2 parent that holds processes, a quota over the parent's): the group
/// made is removed again.
pub fn hold(
    root: &Path,
    proc_cgroup: &str,
    budget: Budget,
    pid: u32,
) -> Result<CpuBudget, BudgetError> {
    let (controller, parent) = find_parent(root, proc_cgroup)?;
    remove_stale_groups(&parent, pid);
    let group = parent.join(format!("{GROUP_PREFIX}{pid}"));
    match std::fs::create_dir(&group) {
        // Left by a killed process with this pid: this process's own now.
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(io_error(&group)(e)),
        _ => {}
    }
    let mut held = CpuBudget {
        budget,
        controller,
        group,
        parent,
        pid,
        state: State::Making,
    };
    // On an error `held` is dropped: the process moved back, the group
    // removed. v1 limits the group before the process enters. v2 hands a
    // controller to the children of a group that holds no processes only
    // (the root aside), so the process leaves the parent group first.
    if controller == Controller::V1 {
        held.set_limit()?;
    }
    write(&held.group.join("cgroup.procs"), &pid.to_string())?;
    held.state = State::Holding;
    if controller == Controller::V2 {
        held.set_limit()?;
    }
    Ok(held)
}

/// Where a [`CpuBudget`] stands, for its drop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// The group is made; the process is not in it yet.
    Making,
    /// The process is in the group.
    Holding,
    /// Released, or its release tried.
    Released,
}

impl CpuBudget {
    fn set_limit(&self) -> Result<(), BudgetError> {
        let (quota, period) = (self.budget.quota_us(), self.budget.period_us());
        match self.controller {
            Controller::V2 => {
                let max = self.group.join("cpu.max");
                // The parent hands the cpu controller to its children only
                // when its subtree_control names it.
                if !max.exists() {
                    write(&self.parent.join("cgroup.subtree_control"), "+cpu")?;
                }
                write(&max, &format!("{quota} {period}"))
            }
            Controller::V1 => {
                // The period first: a quota is checked against it.
                write(&self.group.join("cpu.cfs_period_us"), &period.to_string())?;
                write(&self.group.join("cpu.cfs_quota_us"), &quota.to_string())?;
                // Where real-time groups exist, a child group gets no
                // real-time time: give it a little, so that the counters
                // thread can answer at real-time priority (src/cli/counters.rs)
                // instead of waiting out the quota behind the connections.
                // Refused where the parent has none to give: then it keeps
                // ordinary priority, as without the file.
                let rt = self.group.join("cpu.rt_runtime_us");
                if rt.exists() {
                    let _ = write(&rt, &RT_RUNTIME_US.to_string());
                }
                Ok(())
            }
        }
    }

    /// Moves the process back to the group it came from and removes this
    /// one.
    ///
    /// # Errors
    /// Either step failed (the group is then left; a later [`hold`]
    /// removes it once empty and its process gone).
    pub fn release(mut self) -> Result<(), BudgetError> {
        self.state = State::Released;
        self.undo()
    }

    /// On cgroup v2 the parent cannot take the process back once it hands
    /// the cpu controller to its children (the root aside): the move fails
    /// (EBUSY), and the group stays until the process exits; the next
    /// [`hold`] removes it.
    fn undo(&self) -> Result<(), BudgetError> {
        match write(&self.parent.join("cgroup.procs"), &self.pid.to_string()) {
            Err(BudgetError::Io { source, .. }) if source.kind() == io::ErrorKind::ResourceBusy => {
                return Err(BudgetError::Invalid(format!(
                    "{}: the parent group cannot take the process back (it hands the cpu controller \
                     to its children); the group stays until this process exits, and the next \
                     `server --cpus` removes it",
                    self.group.display()
                )));
            }
            back => back?,
        }
        std::fs::remove_dir(&self.group).map_err(io_error(&self.group))
    }
}

/// Throttling so far of `group`, from its `cpu.stat` (the same fields in v1
/// and v2): (periods throttled, periods); `None` where not readable.
pub fn throttled_in(group: &Path) -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string(group.join("cpu.stat")).ok()?;
    let field = |name: &str| {
        stat.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
    };
    Some((field("nr_throttled")?, field("nr_periods")?))
}

impl Drop for CpuBudget {
    fn drop(&mut self) {
        match self.state {
            State::Making => {
                let _ = std::fs::remove_dir(&self.group);
            }
            State::Holding => {
                if let Err(e) = self.undo() {
                    tracing::warn!("the CPU budget's group was not removed: {e}");
                }
            }
            State::Released => {}
        }
    }
}

/// The group this process is in, under `root`, with a cpu controller: v2
/// when its `cgroup.controllers` lists `cpu`, else v1's `cpu` hierarchy.
fn find_parent(root: &Path, proc_cgroup: &str) -> Result<(Controller, PathBuf), BudgetError> {
    // Lines "ID:CONTROLLERS:PATH"; v2's is "0::PATH".
    let lines: Vec<(&str, &str, &str)> = proc_cgroup
        .lines()
        .filter_map(|l| {
            let mut f = l.splitn(3, ':');
            Some((f.next()?, f.next()?, f.next()?.trim()))
        })
        .collect();
    let inside = |mount: &Path, path: &str| -> PathBuf {
        let own = mount.join(path.trim_start_matches('/'));
        // In a container the mount's root may be the group itself.
        if own.is_dir() {
            own
        } else {
            mount.to_path_buf()
        }
    };
    if let Some((_, _, path)) = lines.iter().find(|(id, c, _)| *id == "0" && c.is_empty()) {
        // Pure v2 at the root; hybrid under "unified".
        for mount in [root.to_path_buf(), root.join("unified")] {
            if !mount.join("cgroup.controllers").is_file() {
                continue;
            }
            let parent = inside(&mount, path);
            let has_cpu = std::fs::read_to_string(parent.join("cgroup.controllers"))
                .is_ok_and(|c| c.split_whitespace().any(|c| c == "cpu"));
            if has_cpu {
                return Ok((Controller::V2, parent));
            }
        }
    }
    for (_, controllers, path) in &lines {
        if !controllers.split(',').any(|c| c == "cpu") {
            continue;
        }
        for mount in [
            root.join("cpu"),
            root.join(controllers),
            root.join("cpu,cpuacct"),
        ] {
            if mount.join("cpu.cfs_quota_us").is_file() {
                return Ok((Controller::V1, inside(&mount, path)));
            }
        }
    }
    Err(BudgetError::NoController(root.to_path_buf()))
}

/// Removes the groups killed processes left: `sockmodes-<pid>` whose pid
/// is not running here. rmdir refuses a group with processes in it, so a
/// live server's group is never removed even if its pid is not visible.
fn remove_stale_groups(parent: &Path, own: u32) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(GROUP_PREFIX))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != own && !Path::new("/proc").join(pid.to_string()).exists() {
            let _ = std::fs::remove_dir(entry.path());
        }
    }
}

/// Writes one value, as `echo VALUE > FILE` does.
fn write(path: &Path, value: &str) -> Result<(), BudgetError> {
    std::fs::write(path, format!("{value}\n")).map_err(io_error(path))
}

/// A closure for `map_err`: `path` could not be written, made or removed.
fn io_error(path: &Path) -> impl FnOnce(io::Error) -> BudgetError + '_ {
    |source| BudgetError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
#[cfg(target_os = "linux")]
mod tests {
    use super::*;

    /// A temporary directory standing for /sys/fs/cgroup, removed at drop.
    struct FakeRoot(PathBuf);

    impl FakeRoot {
        fn new(name: &str) -> FakeRoot {
            let dir = std::env::temp_dir().join(format!(
                "sockmodes-cgroup-test-{name}-{}",
                std::process::id()
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            FakeRoot(dir)
        }
        fn file(&self, rel: &str, text: &str) {
            let path = self.0.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        fn read(&self, rel: &str) -> String {
            std::fs::read_to_string(self.0.join(rel)).unwrap_or_default()
        }
    }

    impl Drop for FakeRoot {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn half() -> Budget {
        Budget::new(0.5, DEFAULT_PERIOD).unwrap()
    }

    #[test]
    fn the_quota_is_cores_times_the_period() {
        assert_eq!((half().quota_us(), half().period_us()), (5_000, 10_000));
        let two = Budget::new(2.0, Duration::from_millis(100)).unwrap();
        assert_eq!((two.quota_us(), two.period_us()), (200_000, 100_000));
    }

    #[test]
    fn a_quota_under_the_kernels_millisecond_lengthens_the_period() {
        let small = Budget::new(0.05, DEFAULT_PERIOD).unwrap();
        assert_eq!((small.quota_us(), small.period_us()), (1_000, 20_000));
        assert!(Budget::new(0.0005, DEFAULT_PERIOD).is_err());
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(Budget::new(bad, DEFAULT_PERIOD).is_err(), "{bad}");
        }
        assert!(Budget::new(0.5, Duration::from_micros(999)).is_err());
        assert!(Budget::new(0.5, Duration::from_micros(1_000_001)).is_err());
    }

    #[test]
    fn a_job_objects_rate_is_the_share_of_the_whole_machine_per_10000() {
        assert_eq!(half().job_rate(8), 625);
        assert_eq!(half().job_rate(2), 2_500);
        assert_eq!(
            Budget::new(4.0, DEFAULT_PERIOD).unwrap().job_rate(2),
            10_000
        );
        assert_eq!(Budget::new(0.001, MAX_PERIOD).unwrap().job_rate(64), 1);
    }

    #[test]
    fn the_share_used_is_cpu_over_wall_times_cores() {
        let used = half().share_used(Duration::from_secs(2), Duration::from_secs(5));
        assert_eq!(used, Some(0.8));
        assert_eq!(
            half().share_used(Duration::from_secs(1), Duration::ZERO),
            None
        );
    }

    #[test]
    fn cgroup_v2_gets_cpu_max_in_a_child_of_the_process_group() {
        let root = FakeRoot::new("v2");
        root.file("cgroup.controllers", "cpuset cpu io memory pids\n");
        root.file("user.slice/cgroup.controllers", "cpu memory\n");
        let held = hold(&root.0, "0::/user.slice\n", half(), 4242).unwrap();
        assert_eq!(held.controller, Controller::V2);
        assert_eq!(held.group, root.0.join("user.slice/sockmodes-4242"));
        assert_eq!(
            root.read("user.slice/sockmodes-4242/cpu.max"),
            "5000 10000\n"
        );
        assert_eq!(
            root.read("user.slice/sockmodes-4242/cgroup.procs"),
            "4242\n"
        );
        // The fake group has no cpu.max of the kernel's: the parent was asked
        // to hand its children the controller.
        assert_eq!(root.read("user.slice/cgroup.subtree_control"), "+cpu\n");
        // Released: the process goes back to its parent group (a temporary
        // directory with files in it is not removed as a cgroup is).
        let _ = held.release();
        assert_eq!(root.read("user.slice/cgroup.procs"), "4242\n");
    }

    #[test]
    fn on_v2_the_process_leaves_the_parent_first_and_returns_when_refused() {
        let root = FakeRoot::new("v2-refused");
        root.file("cgroup.controllers", "cpu\n");
        // A parent that refuses to hand the controller down: its
        // subtree_control cannot be written.
        std::fs::create_dir(root.0.join("cgroup.subtree_control")).unwrap();
        let e = hold(&root.0, "0::/\n", half(), 21).unwrap_err();
        assert!(e.to_string().contains("cgroup.subtree_control"), "{e}");
        // Moved into its group before the parent was asked, then back.
        assert_eq!(root.read("sockmodes-21/cgroup.procs"), "21\n");
        assert_eq!(root.read("cgroup.procs"), "21\n");
    }

    #[test]
    fn cgroup_v1_gets_quota_and_period_where_v2_has_no_cpu() {
        let root = FakeRoot::new("v1");
        // Hybrid, as on this project's machine: v2 without cpu, v1 cpu.
        root.file("unified/cgroup.controllers", "hugetlb\n");
        root.file("cpu/cpu.cfs_quota_us", "-1\n");
        let text = "1:cpu:/\n2:cpuacct:/\n0::/\n";
        let held = hold(&root.0, text, half(), 77).unwrap();
        assert_eq!(held.controller, Controller::V1);
        assert_eq!(held.group, root.0.join("cpu/sockmodes-77"));
        assert_eq!(root.read("cpu/sockmodes-77/cpu.cfs_period_us"), "10000\n");
        assert_eq!(root.read("cpu/sockmodes-77/cpu.cfs_quota_us"), "5000\n");
        assert_eq!(root.read("cpu/sockmodes-77/cgroup.procs"), "77\n");
        // No real-time groups here: no such file written.
        assert!(!root.0.join("cpu/sockmodes-77/cpu.rt_runtime_us").exists());
        assert_eq!(root.read("unified/cgroup.subtree_control"), "");
    }

    #[test]
    fn cgroup_v1_with_real_time_groups_gives_the_group_a_little_real_time() {
        let root = FakeRoot::new("v1-rt");
        root.file("cpu/cpu.cfs_quota_us", "-1\n");
        // The kernel makes the file with the group; the fake makes it first
        // (a group left by this pid is taken over).
        root.file("cpu/sockmodes-78/cpu.rt_runtime_us", "0\n");
        let held = hold(&root.0, "1:cpu:/\n", half(), 78).unwrap();
        assert_eq!(held.controller, Controller::V1);
        assert_eq!(root.read("cpu/sockmodes-78/cpu.rt_runtime_us"), "10000\n");
        assert_eq!(root.read("cpu/sockmodes-78/cpu.cfs_quota_us"), "5000\n");
    }

    #[test]
    fn cgroup_v1_under_a_joint_cpu_cpuacct_mount_is_found() {
        let root = FakeRoot::new("v1-joint");
        root.file("cpu,cpuacct/cpu.cfs_quota_us", "-1\n");
        root.file("cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "-1\n");
        let held = hold(&root.0, "3:cpu,cpuacct:/docker/abc\n", half(), 5).unwrap();
        assert_eq!(
            held.group,
            root.0.join("cpu,cpuacct/docker/abc/sockmodes-5")
        );
    }

    #[test]
    fn no_controller_is_an_error_naming_the_root() {
        let root = FakeRoot::new("empty");
        let text = "1:cpu:/\n0::/\n";
        let e = hold(&root.0, text, half(), 9).unwrap_err();
        assert!(matches!(e, BudgetError::NoController(_)), "{e}");
        assert!(e.to_string().contains(&root.0.display().to_string()), "{e}");
        // v2 mounted, but without its cpu controller: the same.
        root.file("cgroup.controllers", "memory pids\n");
        let e = hold(&root.0, "0::/\n", half(), 9).unwrap_err();
        assert!(matches!(e, BudgetError::NoController(_)), "{e}");
    }

    #[test]
    fn a_group_that_cannot_be_made_is_an_error_naming_it() {
        let root = FakeRoot::new("unwritable");
        root.file("cpu/cpu.cfs_quota_us", "-1\n");
        // The group's place is taken by a file: mkdir and writes fail as
        // they would without permission.
        root.file("cpu/sockmodes-11", "");
        let e = hold(&root.0, "1:cpu:/\n", half(), 11).unwrap_err();
        assert!(matches!(e, BudgetError::Io { .. }), "{e}");
        assert!(e.to_string().contains("sockmodes-11"), "{e}");
    }

    #[test]
    fn groups_of_gone_processes_are_removed_and_live_ones_kept() {
        let root = FakeRoot::new("stale");
        root.file("cpu/cpu.cfs_quota_us", "-1\n");
        // No pid this large runs (pid_max is at most 2^22).
        std::fs::create_dir(root.0.join("cpu/sockmodes-4999999")).unwrap();
        let own = std::process::id();
        std::fs::create_dir(root.0.join(format!("cpu/sockmodes-{own}"))).unwrap();
        std::fs::create_dir(root.0.join("cpu/other-4999999")).unwrap();
        let held = hold(&root.0, "1:cpu:/\n", half(), 12).unwrap();
        assert!(!root.0.join("cpu/sockmodes-4999999").exists());
        assert!(root.0.join(format!("cpu/sockmodes-{own}")).exists());
        assert!(root.0.join("cpu/other-4999999").exists());
        drop(held);
    }

    #[test]
    fn throttling_is_read_from_cpu_stat() {
        let root = FakeRoot::new("stat");
        root.file("cpu/cpu.cfs_quota_us", "-1\n");
        let held = hold(&root.0, "1:cpu:/\n", half(), 13).unwrap();
        root.file(
            "cpu/sockmodes-13/cpu.stat",
            "nr_periods 500\nnr_throttled 120\nthrottled_time 99\n",
        );
        assert_eq!(throttled_in(&held.group), Some((120, 500)));
    }
}
