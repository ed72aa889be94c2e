//! `sockmodes server --cpus F`: refused in one line (exit 2) where no
//! budget can be set; on a Linux machine where it can (root, a cgroup cpu
//! controller), the server is in a group of its own with F x period of
//! quota, its counters line tells the budget, and the group is gone after a
//! graceful stop, or after the next start when the server was killed.

use std::process::Output;

mod util;

use util::cli::sockmodes;

#[track_caller]
fn assert_refused(out: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(needle), "expected {needle:?}: {stderr}");
    assert!(!stderr.contains("listening on"), "never started: {stderr}");
}

/// `sockmodes server --addr 127.0.0.1:0 --cpus 0.5 EXTRA...`, run.
#[track_caller]
fn half_a_core(extra: &[&str]) -> Output {
    let mut args = vec!["server", "--addr", "127.0.0.1:0", "--cpus", "0.5"];
    args.extend_from_slice(extra);
    sockmodes(&args)
}

/// Linux's cgroups only: elsewhere `--cgroup-root` names nothing (Windows
/// holds the budget with a Job Object).
#[cfg(target_os = "linux")]
#[test]
fn no_cgroup_controller_is_one_line_and_exit_2() {
    let root = std::env::temp_dir().join(format!("sockmodes-no-cgroup-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    let out = half_a_core(&["--cgroup-root", root.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&root);
    assert_refused(&out, "--cpus 0.5: no cgroup cpu controller under");
}

#[test]
fn a_budget_out_of_bounds_is_one_line_and_exit_2() {
    let cores = sockmodes_os::process::cores_online();
    let over = (cores + 1).to_string();
    for (cpus, needle) in [
        ("0", "expected a positive number of cores"),
        ("-1", "expected a positive number of cores"),
        ("half", "expected a positive number of cores"),
        (over.as_str(), "core"),
        ("0.0001", "under the kernel's smallest share"),
    ] {
        let arg = format!("--cpus={cpus}");
        let out = sockmodes(&["server", "--addr", "127.0.0.1:0", &arg]);
        assert_refused(&out, needle);
    }
    let out = half_a_core(&["--cpu-period", "500"]);
    assert_refused(&out, "1000 to 1000000");
}

/// Where a real budget can be set: Linux.
#[cfg(target_os = "linux")]
mod real {
    use std::path::{Path, PathBuf};

    use sockmodes_models::child::ServerProcess;

    use super::util::cli::start_server;

    /// A server stopped gracefully when the test ends, passed or failed, so a
    /// failed assertion leaves no server (and no group) behind.
    struct Running(Option<ServerProcess>);

    impl Running {
        fn start(args: &[&str]) -> Running {
            Running(Some(start_server(args)))
        }
        fn get(&self) -> &ServerProcess {
            self.0.as_ref().unwrap()
        }
        fn stop(mut self) -> std::process::ExitStatus {
            self.0.take().unwrap().terminate().unwrap()
        }
    }

    impl Drop for Running {
        fn drop(&mut self) {
            if let Some(server) = self.0.take() {
                let _ = server.terminate();
            }
        }
    }

    /// True where this test can set a real budget: Linux, root, and a cgroup
    /// cpu controller under /sys/fs/cgroup (v2's, or v1's `cpu` hierarchy).
    fn real_budget_possible() -> Result<(), String> {
        if !cfg!(target_os = "linux") {
            return Err("not Linux".into());
        }
        // SAFETY: geteuid only reads the process's credentials.
        if unsafe { libc::geteuid() } != 0 {
            return Err("not root".into());
        }
        let v2 = std::fs::read_to_string("/sys/fs/cgroup/cgroup.controllers")
            .or_else(|_| std::fs::read_to_string("/sys/fs/cgroup/unified/cgroup.controllers"))
            .is_ok_and(|c| c.split_whitespace().any(|c| c == "cpu"));
        let v1 = Path::new("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").is_file();
        if v2 || v1 {
            Ok(())
        } else {
            Err("no cgroup cpu controller under /sys/fs/cgroup".into())
        }
    }

    #[test]
    fn a_real_budget_holds_the_server_in_its_own_group_until_it_stops() {
        if let Err(why) = real_budget_possible() {
            eprintln!("skipped: {why}");
            return;
        }
        let server = Running::start(&[
            "--mode",
            "nonblocking",
            "--service",
            "echo",
            "--cpus",
            "0.5",
        ]);
        let pid = server.get().pid();
        let own = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
        let name = format!("sockmodes-{pid}");
        assert!(own.contains(&format!("/{name}\n")), "{own}");
        let group = find_group(&name).expect("the group exists");
        let (quota, period) = limits(&group);
        assert_eq!((quota, period), (5_000, 10_000), "{}", group.display());
        let procs = std::fs::read_to_string(group.join("cgroup.procs")).unwrap();
        assert!(procs.lines().any(|l| l == pid.to_string()), "{procs}");
        let counters = server
            .get()
            .counter_reader()
            .read()
            .expect("a counters line");
        assert_eq!(counters.cpus, Some(0.5));
        assert!(counters.cpu_ns.is_some());
        let status = server.stop();
        assert!(status.success(), "{status}");
        assert!(!group.exists(), "{} removed at stop", group.display());
    }

    #[test]
    fn a_killed_servers_group_is_removed_by_the_next_start() {
        if let Err(why) = real_budget_possible() {
            eprintln!("skipped: {why}");
            return;
        }
        let mut killed = start_server(&["--cpus", "0.5"]);
        let name = format!("sockmodes-{}", killed.pid());
        killed.child.kill().unwrap();
        killed.child.wait().unwrap();
        let left = find_group(&name).expect("SIGKILL leaves the group");
        let next = start_server(&["--cpus", "0.5"]);
        assert!(
            !left.exists(),
            "{} removed by the next start",
            left.display()
        );
        assert!(next.terminate().unwrap().success());
    }

    /// The group named `name` under the cgroup filesystem (v2 or v1's cpu).
    fn find_group(name: &str) -> Option<PathBuf> {
        let own = std::fs::read_to_string("/proc/self/cgroup").ok()?;
        for line in own.lines() {
            let mut f = line.splitn(3, ':');
            let (id, controllers, path) = (f.next()?, f.next()?, f.next()?);
            let mounts: Vec<PathBuf> = if id == "0" {
                vec!["/sys/fs/cgroup".into(), "/sys/fs/cgroup/unified".into()]
            } else if controllers.split(',').any(|c| c == "cpu") {
                vec![
                    "/sys/fs/cgroup/cpu".into(),
                    format!("/sys/fs/cgroup/{controllers}").into(),
                ]
            } else {
                continue;
            };
            for mount in mounts {
                for parent in [mount.join(path.trim_start_matches('/')), mount.clone()] {
                    let group = parent.join(name);
                    if group.is_dir() {
                        return Some(group);
                    }
                }
            }
        }
        None
    }

    /// (quota, period) in µs from a v2 or v1 group.
    fn limits(group: &Path) -> (u64, u64) {
        let read = |f: &str| std::fs::read_to_string(group.join(f)).ok();
        if let Some(max) = read("cpu.max") {
            let mut f = max.split_whitespace().map(|v| v.parse().unwrap());
            return (f.next().unwrap(), f.next().unwrap());
        }
        let num = |f: &str| read(f).unwrap().trim().parse().unwrap();
        (num("cpu.cfs_quota_us"), num("cpu.cfs_period_us"))
    }
}

#[test]
fn the_docs_figures_are_the_codes() {
    use sockmodes_os::cpu_budget::{Budget, DEFAULT_PERIOD, MAX_PERIOD, MIN_PERIOD};
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/cli.md")).unwrap();
    let docs = docs.split("## `merge-logs`").next().unwrap();
    let docs = docs.split_whitespace().collect::<Vec<_>>().join(" ");
    let half = Budget::new(0.5, DEFAULT_PERIOD).unwrap();
    let has = |s: String| assert!(docs.contains(&s), "docs/cli.md should say {s:?}");
    has(format!(
        "`{} {}` for 0.5 core",
        half.quota_us(),
        half.period_us()
    ));
    has(format!("the default is {} µs", DEFAULT_PERIOD.as_micros()));
    has(format!(
        "periods from {} to {} µs and quotas of at least {} µs",
        MIN_PERIOD.as_micros(),
        MAX_PERIOD.as_micros(),
        MIN_PERIOD.as_micros()
    ));
    let small = Budget::new(0.05, DEFAULT_PERIOD).unwrap();
    has(format!(
        "(0.05 core: {} ms every {} ms)",
        small.quota_us() / 1000,
        small.period_us() / 1000
    ));
    assert!(Budget::new(0.0009, DEFAULT_PERIOD).is_err());
    has("under 0.001 core is refused".into());
    has(format!("(0.5 core of 8: {})", half.job_rate(8)));
}
