//! Where the load generator and the server run, as far as the client can
//! tell: is the server on this machine, and which cores may each side use?
//!
//! On one machine the client and the server share the cores, so a figure
//! measures the pair, not the server: measured here, at 100 connections
//! unpinned, a thread-per-connection client ranked the blocking server
//! first and the event-loop client ranked the event loop first. `load`
//! says so once when the server is local (docs/benchmarks.md, "What one
//! machine can and cannot tell you"), and `--json` records the placement.
//!
//! The server is local when its address is loopback, when a process of
//! this machine listens on that address and port (Linux: found through
//! `/proc/net/tcp{,6}` and the processes' descriptors, as `ss -p` does), or
//! when the address is one of this machine's own (a socket can bind to it).
//! Otherwise the load cannot tell: "not local" means not an address of
//! this network namespace, which may be another machine, or another network
//! namespace (a container, `ip netns`) of this one, whose server shares
//! this machine's cores. On Linux the load says whether it runs in a network
//! namespace other than the machine's first (PID 1's); when it does, it
//! says that the server may be on this machine.
//! Each side's cores are its CPU affinity (`Cpus_allowed_list` in
//! `/proc/PID/status`), "unpinned" when it covers every online core.
//! Elsewhere only loopback is recognised and affinities are not read.
//! Hand-written rather than a crate: the `procfs` crate would do this, but
//! it is not among the project's dependencies, and three small readers of
//! text files are less than it brings.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

/// Which cores a side may run on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cores {
    /// Every online core: the scheduler decides.
    Unpinned,
    /// Only these cores.
    Pinned(Vec<usize>),
    /// Not known (not this machine's process, or not readable here).
    Unknown,
}

/// The placement of one run, as `--json` records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    /// The server is known to run on this machine (so the two share its
    /// cores). False: not known; it may still be (another network
    /// namespace of this machine).
    pub same_machine: bool,
    /// Why: "loopback address", "a process of this machine listens there",
    /// "an address of this machine", or what cannot be told.
    pub why: Option<String>,
    /// Linux: this load runs in a network namespace other than the
    /// machine's first (PID 1's); `None`: not known.
    pub own_network_namespace: Option<bool>,
    /// The server's process, where found.
    pub server_pid: Option<u32>,
    /// The cores this load generator may use.
    pub client: Cores,
    /// The cores the server's process may use (unknown when not found).
    pub server: Cores,
}

impl Placement {
    /// The one-time note for a local server, or for one that may be local
    /// (this load is in a network namespace of its own); `None` otherwise.
    pub fn note(&self) -> Option<String> {
        if !self.same_machine {
            return (self.own_network_namespace == Some(true)).then(|| {
                format!(
                    "the server's address is not of this network namespace, but this load runs in a network \
                     namespace of its own: the server may be on this machine, in another namespace, sharing its \
                     cores (client cores: {}); the load cannot tell. See docs/several-hosts.md.",
                    self.client.describe()
                )
            });
        }
        let pid = self
            .server_pid
            .map_or(String::new(), |p| format!(", pid {p}"));
        // Pinned apart, they share no core, but still the machine.
        let shared = match (&self.client, &self.server) {
            (Cores::Pinned(c), Cores::Pinned(s)) if !c.iter().any(|x| s.contains(x)) => {
                "which run on cores of their own here but share its memory, caches and kernel"
            }
            _ => "which share its cores",
        };
        Some(format!(
            "the server is on this machine ({}{pid}): these figures are of the client and the server together, \
             {shared}, not of the server alone; another client engine or placement can rank servers \
             differently (client cores: {}; server cores: {}). See docs/benchmarks.md, \"What one machine can and \
             cannot tell you\".",
            self.why.as_deref().unwrap_or("local"),
            self.client.describe(),
            self.server.describe()
        ))
    }
}

impl Cores {
    /// "unpinned", "CPU 0,2" or "unknown".
    pub fn describe(&self) -> String {
        match self {
            Cores::Unpinned => "unpinned".into(),
            Cores::Pinned(v) => format!(
                "CPU {}",
                v.iter().map(usize::to_string).collect::<Vec<_>>().join(",")
            ),
            Cores::Unknown => "unknown".into(),
        }
    }

    /// From a `Cpus_allowed_list` value ("0-1,3") and the online count.
    pub fn from_list(list: &str, online: usize) -> Cores {
        let mut cpus = Vec::new();
        for part in list.trim().split(',').filter(|p| !p.is_empty()) {
            let (lo, hi) = part.split_once('-').unwrap_or((part, part));
            match (lo.trim().parse::<usize>(), hi.trim().parse::<usize>()) {
                // 4096: more CPUs than Linux's largest default build
                // (CONFIG_NR_CPUS), so a larger number is a misread.
                (Ok(lo), Ok(hi)) if lo <= hi && hi < 4096 => cpus.extend(lo..=hi),
                _ => return Cores::Unknown,
            }
        }
        cpus.retain(|&c| c < online);
        match cpus.len() {
            0 => Cores::Unknown,
            n if n == online => Cores::Unpinned,
            _ => Cores::Pinned(cpus),
        }
    }
}

/// Why a server that is not found here may still be on this machine.
pub const NOT_HERE: &str = "not an address of this network namespace: another machine, or another \
    network namespace (a container) of this one; the load cannot tell which";

/// What can be told about a run against `addr` from this process.
pub fn observe(addr: SocketAddr) -> Placement {
    let server_pid = os::listener_pid(addr);
    let (same_machine, why) = if addr.ip().is_loopback() {
        (true, "loopback address")
    } else if server_pid.is_some() {
        (true, "a process of this machine listens there")
    } else if is_local(addr.ip()) {
        (true, "an address of this machine")
    } else {
        (false, NOT_HERE)
    };
    Placement {
        same_machine,
        why: Some(why.to_string()),
        own_network_namespace: os::own_network_namespace(),
        server_pid,
        client: os::cores(None),
        server: server_pid.map_or(Cores::Unknown, |p| os::cores(Some(p))),
    }
}

/// True when `ip` is this machine's: loopback, or an address a socket can
/// bind to here (binding an address asks the kernel, sends nothing).
fn is_local(ip: std::net::IpAddr) -> bool {
    ip.is_loopback() || std::net::UdpSocket::bind((ip, 0)).is_ok()
}

#[cfg(target_os = "linux")]
mod os {
    use std::net::SocketAddr;

    use super::Cores;

    /// The cores process `pid` (this one: `None`) may use.
    pub fn cores(pid: Option<u32>) -> Cores {
        let path = pid.map_or("/proc/self/status".to_string(), |p| {
            format!("/proc/{p}/status")
        });
        let online = sockmodes_os::process::cores_online();
        // Unreadable: no line, so unknown.
        let status = std::fs::read_to_string(path).unwrap_or_default();
        let allowed = status
            .lines()
            .find_map(|l| l.strip_prefix("Cpus_allowed_list:"));
        allowed.map_or(Cores::Unknown, |v| Cores::from_list(v, online))
    }

    /// The process listening on `addr` (or on the wildcard at its port).
    pub fn listener_pid(addr: SocketAddr) -> Option<u32> {
        let inode = ["/proc/net/tcp", "/proc/net/tcp6"]
            .iter()
            .filter_map(|f| std::fs::read_to_string(f).ok())
            .find_map(|table| listening_inode(&table, addr))?;
        let target = format!("socket:[{inode}]");
        std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            let fds = std::fs::read_dir(e.path().join("fd")).ok()?;
            fds.flatten()
                .any(|fd| {
                    std::fs::read_link(fd.path()).is_ok_and(|l| l.as_os_str() == target.as_str())
                })
                .then_some(pid)
        })
    }

    /// The inode of a listening socket (state 0A) in a `/proc/net/tcp*`
    /// table whose local port is `addr`'s, on its address, or on a wildcard
    /// when `addr` is one of this machine's own addresses.
    pub fn listening_inode(table: &str, addr: SocketAddr) -> Option<u64> {
        let port = format!("{:04X}", addr.port());
        let ours = super::is_local(addr.ip());
        table.lines().skip(1).find_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (local, state, inode) = (f.get(1)?, f.get(3)?, f.get(9)?);
            let (ip_hex, p) = local.split_once(':')?;
            let wildcard = ip_hex.bytes().all(|b| b == b'0');
            let same_ip = hex_ip(ip_hex) == Some(addr.ip());
            (p == port && *state == "0A" && (same_ip || (wildcard && ours)))
                .then(|| inode.parse().ok())
                .flatten()
        })
    }

    /// An address of `/proc/net/tcp*`: the address's bytes as the kernel
    /// stores them (network order), printed as 32-bit words in this
    /// machine's order.
    fn hex_ip(hex: &str) -> Option<std::net::IpAddr> {
        let mut bytes = Vec::with_capacity(16);
        for i in (0..hex.len()).step_by(8) {
            let word = u32::from_str_radix(hex.get(i..i + 8)?, 16).ok()?;
            bytes.extend(word.to_ne_bytes());
        }
        match bytes.len() {
            4 => Some(std::net::IpAddr::from(<[u8; 4]>::try_from(bytes).ok()?)),
            16 => Some(std::net::IpAddr::from(<[u8; 16]>::try_from(bytes).ok()?)),
            _ => None,
        }
    }

    /// Whether this process's network namespace is not the machine's
    /// first: PID 1's, or, where PID 1's is not readable (another user's,
    /// or a protected init), kthreadd's (PID 2: kernel threads stay in the
    /// first namespace). `None` when neither can be read.
    pub fn own_network_namespace() -> Option<bool> {
        let ns = |p: &str| std::fs::read_link(p).ok();
        let own = ns("/proc/self/ns/net")?;
        let first = ns("/proc/1/ns/net").or_else(|| {
            let comm = std::fs::read_to_string("/proc/2/comm").ok()?;
            (comm.trim() == "kthreadd").then(|| ns("/proc/2/ns/net"))?
        })?;
        Some(own != first)
    }
}

#[cfg(not(target_os = "linux"))]
mod os {
    use std::net::SocketAddr;

    use super::Cores;

    pub fn cores(_pid: Option<u32>) -> Cores {
        Cores::Unknown
    }

    pub fn listener_pid(_addr: SocketAddr) -> Option<u32> {
        None
    }

    pub fn own_network_namespace() -> Option<bool> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_affinity_list_is_unpinned_only_when_it_covers_every_core() {
        assert_eq!(Cores::from_list("0-1\n", 2), Cores::Unpinned);
        assert_eq!(Cores::from_list("1", 2), Cores::Pinned(vec![1]));
        assert_eq!(Cores::from_list("0,2-3", 4), Cores::Pinned(vec![0, 2, 3]));
        assert_eq!(
            Cores::from_list("0-3", 2),
            Cores::Unpinned,
            "offline cores ignored"
        );
        assert_eq!(Cores::from_list("x", 2), Cores::Unknown);
        assert_eq!(Cores::from_list("", 2), Cores::Unknown);
    }

    #[test]
    fn a_loopback_server_is_on_this_machine_and_a_remote_one_is_not() {
        let local = observe("127.0.0.1:9".parse().unwrap());
        assert!(local.same_machine);
        assert!(local.note().unwrap().contains("not of the server alone"));
        let apart = Placement {
            client: Cores::Pinned(vec![0]),
            server: Cores::Pinned(vec![1]),
            ..local.clone()
        };
        let note = apart.note().unwrap();
        assert!(!note.contains("share its cores"), "{note}");
        assert!(note.contains("cores of their own"), "{note}");
        let overlapping = Placement {
            client: Cores::Pinned(vec![0, 1]),
            server: Cores::Pinned(vec![1]),
            ..local
        };
        assert!(overlapping.note().unwrap().contains("share its cores"));
        // Under Wine a test bind succeeds for any address, so whether an
        // address is this machine's cannot be told there.
        if cfg!(windows) {
            return;
        }
        // TEST-NET-1 (RFC 5737): never this machine's; nothing is sent.
        let remote = observe("192.0.2.1:9".parse().unwrap());
        assert!(!remote.same_machine);
        assert_eq!(
            remote.why.as_deref(),
            Some(NOT_HERE),
            "never claims another machine"
        );
        if remote.own_network_namespace != Some(true) {
            assert_eq!(remote.note(), None);
        }
    }

    #[test]
    fn a_server_not_found_from_a_namespace_of_its_own_may_be_on_this_machine() {
        let p = Placement {
            same_machine: false,
            why: Some(NOT_HERE.into()),
            own_network_namespace: Some(true),
            server_pid: None,
            client: Cores::Unpinned,
            server: Cores::Unknown,
        };
        let note = p.note().expect("a note");
        assert!(note.contains("may be on this machine"), "{note}");
        let first = Placement {
            own_network_namespace: Some(false),
            ..p.clone()
        };
        assert_eq!(first.note(), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn an_address_of_this_machine_is_local_even_with_no_listener_found() {
        // Loopback aside, any address a socket can bind to here: the first
        // non-loopback address of this namespace, if there is one.
        let Some(ip) = std::net::UdpSocket::bind("0.0.0.0:0")
            .and_then(|s| {
                // Connecting a UDP socket sends nothing; it picks a source
                // address. TEST-NET-1 is never reached.
                s.connect("192.0.2.1:9")?;
                s.local_addr()
            })
            .ok()
            .map(|a| a.ip())
            .filter(|ip| !ip.is_loopback() && !ip.is_unspecified())
        else {
            return; // no route but loopback: nothing to try
        };
        // Port 1: nothing listens there.
        let p = observe(SocketAddr::new(ip, 1));
        assert!(p.same_machine, "{ip}: {p:?}");
        assert_eq!(p.why.as_deref(), Some("an address of this machine"));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn an_ipv6_listener_is_found_too() {
        let Ok(l) = std::net::TcpListener::bind("[::1]:0") else {
            return; // no IPv6 on this machine: nothing to find
        };
        let p = observe(l.local_addr().unwrap());
        assert_eq!(p.server_pid, Some(std::process::id()));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_listener_of_this_process_is_found_with_its_pid() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let p = observe(l.local_addr().unwrap());
        assert_eq!(p.server_pid, Some(std::process::id()));
        assert_eq!(p.server, p.client, "the same process");
        assert_ne!(p.client, Cores::Unknown);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_tcp_table_is_read_for_listeners_only() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1\n   1: 0100007F:1F91 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 4343 1\n   2: 00000000:1F92 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4444 1\n";
        let at = |s: &str| os::listening_inode(table, s.parse().unwrap());
        assert_eq!(at("127.0.0.1:8080"), Some(4242));
        assert_eq!(at("127.0.0.1:8081"), None, "established, not listening");
        assert_eq!(
            at("127.0.0.3:8082"),
            Some(4444),
            "the wildcard, for an address of ours"
        );
        assert_eq!(
            at("192.0.2.5:8082"),
            None,
            "the wildcard, but not our address"
        );
        assert_eq!(at("127.0.0.2:8080"), None, "another address");
    }
}
