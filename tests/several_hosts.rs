//! Load from several hosts, on one Linux machine: a server and two load
//! generators, each in a network namespace of its own, joined by veth
//! pairs to a bridge in a fourth (10.77.0.0/24, addresses that exist only
//! inside these namespaces). Each load writes `--hdr-log`; `merge-logs`
//! adds them, and its total must be the two loads' own counts, and the
//! connections the server accepted must be theirs. The loads must not take
//! the server for another machine. Without root or `ip`, skipped.
//! The namespaces are deleted at the end, passed or failed.
#![cfg(target_os = "linux")]

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod util;

use sockmodes_models::child::ServerProcess;
use util::cli::{sockmodes, BIN};

/// The namespaces of one run, deleted at drop (which also removes their
/// veth pairs and the bridge).
struct Namespaces(Vec<String>);

impl Drop for Namespaces {
    fn drop(&mut self) {
        for ns in &self.0 {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// The server, stopped at drop if the test did not stop it (a failed
/// assertion), so that nothing outlives the namespaces.
struct Server(Option<ServerProcess>);

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut s) = self.0.take() {
            let _ = s.child.kill();
            let _ = s.child.wait();
        }
    }
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("ip: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Names and addresses: the server, then the two load hosts.
const HOSTS: [(&str, &str); 3] = [("s", "10.77.0.1"), ("a", "10.77.0.2"), ("b", "10.77.0.3")];

/// Builds the namespaces, or says why not (the test is then skipped).
fn build(prefix: &str) -> Result<Namespaces, String> {
    // SAFETY: geteuid only reads the process's credentials.
    if unsafe { libc::geteuid() } != 0 {
        return Err("not root".into());
    }
    if Command::new("ip").arg("-V").output().is_err() {
        return Err("no `ip` command (iproute2)".into());
    }
    let bridge = format!("{prefix}br");
    let mut made = Namespaces(Vec::new());
    ip(&["netns", "add", &bridge])?;
    made.0.push(bridge.clone());
    ip(&["-n", &bridge, "link", "add", "br0", "type", "bridge"])?;
    ip(&["-n", &bridge, "link", "set", "br0", "up"])?;
    for (host, addr) in HOSTS {
        let ns = format!("{prefix}{host}");
        ip(&["netns", "add", &ns])?;
        made.0.push(ns.clone());
        let port = format!("v{host}");
        ip(&[
            "link", "add", "v0", "netns", &ns, "type", "veth", "peer", "name", &port, "netns",
            &bridge,
        ])?;
        ip(&["-n", &bridge, "link", "set", &port, "master", "br0", "up"])?;
        ip(&["-n", &ns, "addr", "add", &format!("{addr}/24"), "dev", "v0"])?;
        ip(&["-n", &ns, "link", "set", "v0", "up"])?;
        ip(&["-n", &ns, "link", "set", "lo", "up"])?;
    }
    Ok(made)
}

/// `ip netns exec NS sockmodes ARGS`.
fn in_ns(ns: &str, args: &[&str]) -> Command {
    let mut c = Command::new("ip");
    c.args(["netns", "exec", ns, BIN]).args(args);
    c
}

/// Waits for a load, killing it past `deadline` (a load ends by itself
/// within warm-up cap + duration + 5 s; this only bounds a broken one).
fn finish(mut child: Child, deadline: Instant) -> Output {
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn two_load_hosts_merged_match_their_own_counts_and_the_servers() {
    let prefix = format!("smh{}", std::process::id());
    let namespaces = match build(&prefix) {
        Ok(n) => n,
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    let dir = std::env::temp_dir().join(format!("{prefix}-logs"));
    std::fs::create_dir_all(&dir).unwrap();
    let mut command = in_ns(
        &format!("{prefix}s"),
        &["server", "--mode", "nonblocking", "--service", "echo"],
    );
    command.args(["--addr", "10.77.0.1:0"]);
    let mut guard = Server(Some(
        ServerProcess::spawn(command).expect("the server starts in its namespace"),
    ));
    let server = guard.0.as_ref().unwrap();
    assert_eq!(server.addr.ip().to_string(), "10.77.0.1");
    let addr = server.addr.to_string();
    let connections = 4;
    let loads: Vec<Child> = ["a", "b"]
        .iter()
        .map(|host| {
            let log = dir.join(format!("{host}.hlog"));
            in_ns(
                &format!("{prefix}{host}"),
                &[
                    "load",
                    "--mode",
                    "nonblocking",
                    "--addr",
                    &addr,
                    "--connections",
                    &connections.to_string(),
                    "--duration",
                    "1",
                    "--warmup",
                    "0.5",
                    "--warmup-cap",
                    "5",
                    "--json",
                    "--hdr-log",
                    log.to_str().unwrap(),
                ],
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    let outputs: Vec<Output> = loads.into_iter().map(|l| finish(l, deadline)).collect();
    let mut messages = 0;
    for out in &outputs {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["connections"], connections, "{v}");
        messages += v["messages"].as_u64().unwrap();
        // Another namespace of this machine is not another machine.
        assert_eq!(v["placement"]["same_machine"], false, "{v}");
        assert_eq!(v["placement"]["own_network_namespace"], true, "{v}");
        assert!(stderr.contains("may be on this machine"), "{stderr}");
        assert!(!stderr.contains("another machine"), "{stderr}");
    }
    let counters = server
        .counter_reader()
        .read()
        .expect("the server's counters");
    assert!(guard.0.take().unwrap().terminate().unwrap().success());
    assert_eq!(counters.accepted, 2 * connections, "{counters:?}");
    let merged = sockmodes(&[
        "merge-logs",
        dir.join("a.hlog").to_str().unwrap(),
        dir.join("b.hlog").to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&merged.stdout);
    assert!(
        merged.status.success(),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    let total: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("messages ")?.trim().parse().ok())
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(messages > 0);
    assert_eq!(total, messages, "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
    drop(namespaces);
}
