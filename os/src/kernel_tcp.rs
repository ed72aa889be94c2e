//! The kernel's TCP memory, shared by every socket on the machine, as Linux
//! counts it: whether it went under pressure, and segments it dropped for
//! want of buffer memory.
//!
//! Every socket's buffers are charged to one pool, bounded by the sysctl
//! `net.ipv4.tcp_mem` (in pages: below the first figure all is well; past
//! the second the kernel is "under pressure" until use falls below the
//! first again; the third is the hard limit). Under pressure a socket that
//! holds more than its fair share (the hard limit over the sockets open) is
//! refused memory for what arrives: the segment is dropped (`TCPRcvQDrop`,
//! which also counts a socket over its own receive buffer), and the sender
//! retransmits it after a timeout that doubles each time. An echo over
//! large frames holds full buffers both ways, so there it stalls: the data
//! that would free the buffers is what is dropped, and the pressure lasts
//! while they are full. 100 connections of 16 MiB frames through one
//! server peaked at 0.45 to 0.87 GiB of TCP memory here (24 GiB, pressure
//! from 1.46 GiB); three such runs at once crossed it, and connections
//! stalled for minutes, against the blocking server and the completion
//! server alike. No server can prevent that, so a load says when it
//! happened (`loadgen/src/report/warnings.rs`) instead of blaming the server.
//!
//! The pool and its pressure flag are the machine's; the drop and pressure
//! counters (`/proc/net/netstat`) are the network namespace's. In a
//! container, pressure another namespace's sockets brought on shows as the
//! flag, not as a count.
//!
//! Why three files of `/proc` read by hand and not a crate: `procfs` (not
//! among the project's dependencies) would read the same lines for five
//! numbers. Elsewhere than Linux [`read`] is `None` and nothing is said.

/// The machine's TCP memory counters at one moment (Linux).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TcpMemory {
    /// Times the kernel entered TCP memory pressure since boot
    /// (`TcpExt: TCPMemoryPressures`).
    pub pressures: u64,
    /// Milliseconds spent under pressure, counted when it ends
    /// (`TCPMemoryPressuresChrono`).
    pub pressure_ms: u64,
    /// Arriving segments dropped for want of buffer memory (`TCPRcvQDrop`).
    pub dropped: u64,
    /// Under pressure now: the kernel's own flag (`/proc/net/protocols`,
    /// the TCP row's `press`).
    pub under_pressure: bool,
    /// The pressure threshold in pages (`tcp_mem`'s second figure).
    pub pressure_from: u64,
}

impl TcpMemory {
    /// What changed between `self` (earlier) and `later`, as the load
    /// reports it: `None` when neither pressure nor a drop happened.
    pub fn since(&self, later: &TcpMemory) -> Option<TcpPressure> {
        let entered = later.pressures.saturating_sub(self.pressures);
        let pressure_ms = later.pressure_ms.saturating_sub(self.pressure_ms);
        let dropped = later.dropped.saturating_sub(self.dropped);
        let at_an_edge = self.under_pressure || later.under_pressure;
        (entered > 0 || pressure_ms > 0 || dropped > 0 || at_an_edge).then(|| TcpPressure {
            entered,
            pressure_ms,
            dropped,
            pressure_from_bytes: later.pressure_from.saturating_mul(page_size()),
        })
    }
}

/// The kernel's TCP memory went under pressure, or dropped segments for
/// want of memory, during a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TcpPressure {
    /// Times it entered pressure (0: it was already under pressure, or
    /// only dropped).
    pub entered: u64,
    /// Milliseconds of pressure that ended during the run (pressure still
    /// on at its end is not counted yet).
    pub pressure_ms: u64,
    /// Arriving segments dropped for want of buffer memory.
    pub dropped: u64,
    /// The pressure threshold, bytes (`tcp_mem`'s second figure).
    pub pressure_from_bytes: u64,
}

/// Bytes in the page `tcp_mem` counts in: the system's page size (4 KiB
/// on x86-64; 16 or 64 KiB on some arm64 kernels).
fn page_size() -> u64 {
    #[cfg(unix)]
    {
        // SAFETY: sysconf only reads a system setting.
        let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if let Some(size) = u64::try_from(size).ok().filter(|&s| s > 0) {
            return size;
        }
    }
    4096
}

/// Reads the counters now; `None` off Linux or when `/proc` cannot be read.
pub fn read() -> Option<TcpMemory> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let netstat = std::fs::read_to_string("/proc/net/netstat").ok()?;
    let protocols = std::fs::read_to_string("/proc/net/protocols").ok()?;
    let tcp_mem = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_mem").ok()?;
    parse(&netstat, &protocols, &tcp_mem)
}

/// The counters from the three files' texts.
fn parse(netstat: &str, protocols: &str, tcp_mem: &str) -> Option<TcpMemory> {
    let ext = tcp_ext(netstat)?;
    let field = |name: &str| ext.iter().find(|(n, _)| *n == name).map(|&(_, v)| v);
    Some(TcpMemory {
        pressures: field("TCPMemoryPressures")?,
        pressure_ms: field("TCPMemoryPressuresChrono").unwrap_or(0),
        dropped: field("TCPRcvQDrop").unwrap_or(0),
        under_pressure: tcp_press(protocols)?,
        pressure_from: tcp_mem.split_whitespace().nth(1)?.parse().ok()?,
    })
}

/// `/proc/net/netstat`'s `TcpExt:` names paired with its values (two lines
/// that start alike: the names, then the numbers).
fn tcp_ext(netstat: &str) -> Option<Vec<(&str, u64)>> {
    let mut lines = netstat.lines().filter_map(|l| l.strip_prefix("TcpExt:"));
    let names = lines.next()?.split_whitespace();
    let values = lines.next()?.split_whitespace().map(|v| v.parse().ok());
    names.zip(values).map(|(n, v)| Some((n, v?))).collect()
}

/// The `press` column of `/proc/net/protocols`' `TCP` row: `yes` or `no`.
fn tcp_press(protocols: &str) -> Option<bool> {
    let mut lines = protocols.lines();
    let column = lines
        .next()?
        .split_whitespace()
        .position(|c| c == "press")?;
    let row = lines.find(|l| l.split_whitespace().next() == Some("TCP"))?;
    match row.split_whitespace().nth(column)? {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NETSTAT: &str = "TcpExt: SyncookiesSent PruneCalled TCPMemoryPressures \
        TCPMemoryPressuresChrono TCPRcvQDrop\n\
        TcpExt: 0 13 2 15216 4274\n\
        IpExt: InNoRoutes\n\
        IpExt: 0\n";
    const PROTOCOLS: &str = "protocol  size sockets  memory press maxhdr  slab module\n\
        MPTCP     1936      0       2   no       0   yes  kernel\n\
        TCP       2304    607  467170   yes    192   yes  kernel\n";
    const TCP_MEM: &str = "287898\t383867\t575796\n";

    #[test]
    fn the_counters_are_read_by_name_from_the_three_files() {
        let m = parse(NETSTAT, PROTOCOLS, TCP_MEM).expect("parsed");
        assert_eq!(
            m,
            TcpMemory {
                pressures: 2,
                pressure_ms: 15216,
                dropped: 4274,
                under_pressure: true,
                pressure_from: 383_867,
            }
        );
        let calm = PROTOCOLS.replace("   yes    192", "   no     192");
        let m = parse(NETSTAT, &calm, TCP_MEM).expect("parsed");
        assert!(!m.under_pressure, "the TCP row, not MPTCP's");
    }

    #[test]
    fn a_file_without_the_counter_or_the_row_is_none() {
        assert_eq!(parse("TcpExt: A\nTcpExt: 1\n", PROTOCOLS, TCP_MEM), None);
        let no_tcp = "protocol press\nMPTCP no\n";
        assert_eq!(parse(NETSTAT, no_tcp, TCP_MEM), None);
        assert_eq!(parse(NETSTAT, "protocol size\nTCP 1\n", TCP_MEM), None);
        assert_eq!(parse(NETSTAT, "protocol press\nTCP NI\n", TCP_MEM), None);
        assert_eq!(parse(NETSTAT, PROTOCOLS, "1\n"), None);
        let torn = "TcpExt: TCPMemoryPressures\nTcpExt: x\n";
        assert_eq!(parse(torn, PROTOCOLS, TCP_MEM), None);
    }

    fn at(pressures: u64, dropped: u64, under_pressure: bool) -> TcpMemory {
        TcpMemory {
            pressures,
            pressure_ms: 0,
            dropped,
            under_pressure,
            pressure_from: 1000,
        }
    }

    #[test]
    fn a_quiet_run_says_nothing() {
        assert_eq!(at(3, 10, false).since(&at(3, 10, false)), None);
    }

    #[test]
    fn pressure_entered_a_drop_or_pressure_at_either_edge_is_said() {
        let said = |a: TcpMemory, b: TcpMemory| a.since(&b);
        let p = said(at(3, 10, false), at(4, 10, false)).expect("entered");
        assert_eq!((p.entered, p.dropped), (1, 0));
        assert_eq!(p.pressure_from_bytes, 1000 * page_size());
        assert_eq!(
            said(at(3, 10, false), at(3, 17, false)).map(|p| p.dropped),
            Some(7)
        );
        assert!(said(at(3, 10, true), at(3, 10, false)).is_some());
        assert!(said(at(3, 10, false), at(3, 10, true)).is_some());
        let ended = TcpMemory {
            pressure_ms: 40,
            ..at(3, 10, false)
        };
        assert_eq!(
            said(at(3, 10, false), ended).map(|p| p.pressure_ms),
            Some(40)
        );
    }

    #[test]
    fn counters_reset_between_the_readings_count_as_nothing_new() {
        assert_eq!(at(9, 9, false).since(&at(1, 1, false)), None);
    }

    #[test]
    fn a_threshold_past_u64_in_bytes_saturates() {
        let huge = TcpMemory {
            pressure_from: u64::MAX / 2,
            ..at(3, 10, true)
        };
        let p = at(3, 10, false).since(&huge).expect("under pressure");
        assert_eq!(p.pressure_from_bytes, u64::MAX);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_machine_has_the_counters() {
        let m = read().expect("Linux has /proc/net/netstat's TcpExt and protocols' TCP row");
        assert!(m.pressure_from > 0);
    }
}
