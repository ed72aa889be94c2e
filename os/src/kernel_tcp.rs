//! The kernel's TCP memory, shared by every socket on the machine, as Linux
//! counts it: whether it went under pressure, and segments it dropped for
//! want of memory.
//!
//! Every socket's buffers are charged to one pool, bounded by the sysctl
//! `net.ipv4.tcp_mem` (in pages: below the first figure all is well, above
//! the second the kernel is "under pressure", and the third is the hard
//! limit). Under pressure a socket that holds more than its fair share (the
//! hard limit over the sockets open) is refused memory for what arrives:
//! the segment is dropped (`TCPRcvQDrop`), and the sender retransmits it
//! after a timeout that doubles each time. An echo over large frames holds
//! full buffers both ways, so there it stalls: the data that would free the
//! buffers is what is dropped, and the pressure lasts while they are full.
//! 100 connections of 16 MiB frames through one server peaked at 0.45 to
//! 0.87 GiB of TCP memory here (24 GiB, pressure from 1.46 GiB); three such
//! runs at once crossed it, and connections stalled for minutes, against
//! the blocking server and the completion server alike. No server can prevent that, so a load says when it happened
//! (`src/load/report/warnings.rs`) instead of blaming the server.
//!
//! Why the counters of `/proc/net/netstat` and not a crate: `procfs` would
//! parse the same two lines, and these are two numbers. Elsewhere than
//! Linux [`read`] is `None` and nothing is said.

/// The machine's TCP memory counters at one moment (Linux).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TcpMemory {
    /// Times the kernel entered TCP memory pressure since boot
    /// (`TcpExt: TCPMemoryPressures`).
    pub pressures: u64,
    /// Milliseconds spent under pressure, counted when it ends
    /// (`TCPMemoryPressuresChrono`).
    pub pressure_ms: u64,
    /// Segments dropped because a receive queue could not get memory
    /// (`TCPRcvQDrop`).
    pub dropped: u64,
    /// Pages of TCP memory in use now (`/proc/net/sockstat`, `TCP: ... mem`).
    pub pages: u64,
    /// The pressure threshold in pages (`tcp_mem`'s second figure).
    pub pressure_from: u64,
}

impl TcpMemory {
    /// True when the kernel is under TCP memory pressure at this moment.
    pub fn under_pressure(&self) -> bool {
        self.pressure_from > 0 && self.pages > self.pressure_from
    }

    /// What changed between `self` (earlier) and `later`, as the load
    /// reports it: `None` when neither pressure nor a drop happened.
    pub fn since(&self, later: &TcpMemory) -> Option<TcpPressure> {
        let entered = later.pressures.saturating_sub(self.pressures);
        let pressure_ms = later.pressure_ms.saturating_sub(self.pressure_ms);
        let dropped = later.dropped.saturating_sub(self.dropped);
        let at_an_edge = self.under_pressure() || later.under_pressure();
        (entered > 0 || pressure_ms > 0 || dropped > 0 || at_an_edge).then_some(TcpPressure {
            entered,
            dropped,
            pressure_from_bytes: later.pressure_from * PAGE,
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
    /// Segments dropped because a receive queue could not get memory.
    pub dropped: u64,
    /// The pressure threshold, bytes (`tcp_mem`'s second figure).
    pub pressure_from_bytes: u64,
}

/// Bytes in the page `tcp_mem` and `sockstat` count in (4 KiB on every
/// Linux this runs on; the kernel's own unit, not the MMU's huge pages).
const PAGE: u64 = 4096;

/// Reads the counters now; `None` off Linux or when `/proc` cannot be read.
pub fn read() -> Option<TcpMemory> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let netstat = std::fs::read_to_string("/proc/net/netstat").ok()?;
    let sockstat = std::fs::read_to_string("/proc/net/sockstat").ok()?;
    let tcp_mem = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_mem").ok()?;
    parse(&netstat, &sockstat, &tcp_mem)
}

/// The counters from the three files' texts.
fn parse(netstat: &str, sockstat: &str, tcp_mem: &str) -> Option<TcpMemory> {
    let ext = tcp_ext(netstat)?;
    let field = |name: &str| ext.iter().find(|(n, _)| *n == name).map(|&(_, v)| v);
    let pages = sockstat
        .lines()
        .find_map(|l| l.strip_prefix("TCP:"))
        .and_then(|l| after_word(l, "mem"))?;
    let pressure_from = tcp_mem.split_whitespace().nth(1)?.parse().ok()?;
    Some(TcpMemory {
        pressures: field("TCPMemoryPressures")?,
        pressure_ms: field("TCPMemoryPressuresChrono").unwrap_or(0),
        dropped: field("TCPRcvQDrop").unwrap_or(0),
        pages,
        pressure_from,
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

/// The number after `word` in a line of `word value` pairs.
fn after_word(line: &str, word: &str) -> Option<u64> {
    let mut words = line.split_whitespace();
    words.find(|w| *w == word)?;
    words.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NETSTAT: &str = "TcpExt: SyncookiesSent PruneCalled TCPMemoryPressures TCPMemoryPressuresChrono TCPRcvQDrop\n\
        TcpExt: 0 13 2 15216 4274\n\
        IpExt: InNoRoutes\n\
        IpExt: 0\n";
    const SOCKSTAT: &str = "sockets: used 9\nTCP: inuse 607 orphan 0 tw 0 alloc 607 mem 467170\n";
    const TCP_MEM: &str = "287898\t383867\t575796\n";

    #[test]
    fn the_counters_are_read_by_name_from_the_three_files() {
        let m = parse(NETSTAT, SOCKSTAT, TCP_MEM).expect("parsed");
        assert_eq!(
            m,
            TcpMemory {
                pressures: 2,
                pressure_ms: 15216,
                dropped: 4274,
                pages: 467_170,
                pressure_from: 383_867,
            }
        );
        assert!(m.under_pressure());
    }

    #[test]
    fn a_file_without_the_counter_or_the_line_is_none() {
        assert_eq!(parse("TcpExt: A\nTcpExt: 1\n", SOCKSTAT, TCP_MEM), None);
        assert_eq!(parse(NETSTAT, "TCP: inuse 1\n", TCP_MEM), None);
        assert_eq!(parse(NETSTAT, SOCKSTAT, "1\n"), None);
        assert_eq!(
            parse("TcpExt: TCPMemoryPressures\nTcpExt: x\n", SOCKSTAT, TCP_MEM),
            None
        );
    }

    fn at(pressures: u64, dropped: u64, pages: u64) -> TcpMemory {
        TcpMemory {
            pressures,
            pressure_ms: 0,
            dropped,
            pages,
            pressure_from: 1000,
        }
    }

    #[test]
    fn a_quiet_run_says_nothing() {
        assert_eq!(at(3, 10, 900).since(&at(3, 10, 100)), None);
    }

    #[test]
    fn pressure_entered_a_drop_or_pressure_at_either_edge_is_said() {
        let said = |a: TcpMemory, b: TcpMemory| a.since(&b);
        let p = said(at(3, 10, 0), at(4, 10, 0)).expect("entered");
        assert_eq!(
            (p.entered, p.dropped, p.pressure_from_bytes),
            (1, 0, 4_096_000)
        );
        assert_eq!(said(at(3, 10, 0), at(3, 17, 0)).map(|p| p.dropped), Some(7));
        assert!(said(at(3, 10, 1001), at(3, 10, 0)).is_some());
        assert!(said(at(3, 10, 0), at(3, 10, 1001)).is_some());
    }

    #[test]
    fn counters_reset_between_the_readings_count_as_nothing_new() {
        assert_eq!(at(9, 9, 0).since(&at(1, 1, 0)), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_machine_has_the_counters() {
        let m = read().expect("Linux has /proc/net/netstat's TcpExt");
        assert!(m.pressure_from > 0);
    }
}
