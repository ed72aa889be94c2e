//! A `sockmodes server` run as a child process, for measurements that need
//! the server in its own process (its resident memory is then its own) and
//! for tests of the command itself.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread;

/// How a server's counters line begins (`kill -USR1 PID`; `src/cli/counters.rs`).
pub const COUNTERS_PREFIX: &str = "sockmodes: counters:";

/// A server's counters, from its counters line.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Counters {
    /// Connections accepted.
    pub accepted: u64,
    /// System calls the server made for its sockets so far.
    pub syscalls: u64,
    /// Its waits that came back with something to do
    /// (`StatsSnapshot::wakeups`); `None`: a line without the field.
    pub wakeups: Option<u64>,
    /// What those waits found: readiness events or completions
    /// (`StatsSnapshot::events`); `None`: a line without the field.
    pub events: Option<u64>,
    /// When the server read them: CLOCK_MONOTONIC in nanoseconds, the same
    /// clock in every process of the machine ([`monotonic_ns`]).
    pub at_ns: u64,
    /// The server's CPU time so far, user and system (`None`: a line
    /// without it, or a system without the figure).
    pub cpu_ns: Option<u64>,
    /// `server --cpus`: the cores it is held to.
    pub cpus: Option<f64>,
}

pub use sockmodes_os::process::monotonic_ns;
#[cfg(unix)]
use sockmodes_os::process::{send_signal, Signal};

impl Counters {
    /// Reads a counters line; `None` when `line` is not one.
    pub fn parse(line: &str) -> Option<Counters> {
        let rest = line.trim().strip_prefix(COUNTERS_PREFIX)?;
        let text = |name: &str| -> Option<&str> {
            rest.split_whitespace()
                .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
        };
        let field = |name: &str| -> Option<u64> { text(name)?.parse().ok() };
        Some(Counters {
            accepted: field("accepted")?,
            syscalls: field("syscalls")?,
            wakeups: field("wakeups"),
            events: field("events"),
            at_ns: field("at_ns")?,
            cpu_ns: field("cpu_ns"),
            cpus: text("cpus").and_then(|v| v.parse().ok()),
        })
    }

    /// The share of its CPU budget the server used between `earlier` and
    /// this reading: CPU time / (wall time x cores); `None` without a
    /// budget, without CPU times, or with readings out of order.
    pub fn budget_used_since(&self, earlier: &Counters) -> Option<f64> {
        let cpus = self.cpus?;
        let cpu = self.cpu_ns?.checked_sub(earlier.cpu_ns?)?;
        let wall = self.at_ns.checked_sub(earlier.at_ns).filter(|&w| w > 0)?;
        Some(cpu as f64 / (wall as f64 * cpus))
    }
}

/// Asks a running server for its counters (Unix: SIGUSR1) and reads the
/// line it prints. Cloneable, so that a load's window hook can hold one.
#[derive(Clone)]
pub struct CounterReader {
    pid: u32,
    lines: Arc<Mutex<Receiver<Counters>>>,
}

impl CounterReader {
    /// The server's counters, read after this call began; `None` where
    /// there is no SIGUSR1 (Windows) or the server did not answer within
    /// two seconds. A busy server (10,000 threads) may answer late: the
    /// line's `at_ns` says when it read them.
    pub fn read(&self) -> Option<Counters> {
        self.answers(&[self.ask()?]).pop().flatten()
    }

    /// Asks the server for its counters without waiting for the line;
    /// the value is when it was asked, for [`answers`](Self::answers).
    /// `None` where there is no SIGUSR1 (Windows) or the signal could not
    /// be sent.
    ///
    /// Why apart from the answer: a window's edge must not wait for the
    /// line to travel through pipes and threads of a machine under load;
    /// the line's `at_ns` says when the server read its counters.
    pub fn ask(&self) -> Option<u64> {
        #[cfg(unix)]
        {
            let asked = monotonic_ns();
            send_signal(self.pid, Signal::Usr1).ok()?;
            Some(asked)
        }
        #[cfg(not(unix))]
        {
            let _ = self.pid;
            None
        }
    }

    /// The answers to several requests, asked in this order: to each, the
    /// first line the server read at or after it and before the next
    /// (`None` where no such line came within two seconds in all).
    ///
    /// Why bounded by the next request: signals do not queue, so two
    /// requests close together may get one line, and a line must not
    /// answer a request it came after the next of.
    pub fn answers(&self, asked: &[u64]) -> Vec<Option<Counters>> {
        let mut found = vec![None; asked.len()];
        let Ok(lines) = self.lines.lock() else {
            return found;
        };
        let until = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while found.last().is_some_and(Option::is_none) {
            let left = until.saturating_duration_since(std::time::Instant::now());
            let Ok(c) = lines.recv_timeout(left) else {
                break;
            };
            if let Some(i) = asked.iter().rposition(|&a| c.at_ns >= a) {
                found[i].get_or_insert(c);
            }
        }
        found
    }
}

/// A running `sockmodes server` child and the address it announced.
pub struct ServerProcess {
    /// The child (stdout is piped and left for the caller).
    pub child: Child,
    /// The address from its "listening on" line.
    pub addr: SocketAddr,
    counters: Arc<Mutex<Receiver<Counters>>>,
}

impl ServerProcess {
    /// Starts `bin server --addr 127.0.0.1:0 ARGS...` and waits for the line
    /// naming the bound address; stderr is drained afterwards so the child
    /// never blocks on a full pipe.
    ///
    /// # Errors
    /// The child could not start, or exited before listening (its stderr
    /// lines so far are in the message).
    pub fn start(bin: &Path, args: &[&str]) -> std::io::Result<ServerProcess> {
        let mut command = Command::new(bin);
        command.args(["server", "--addr", "127.0.0.1:0"]).args(args);
        ServerProcess::spawn(command)
    }

    /// Starts any server `command` that announces `listening on ADDR` on
    /// stderr, as `sockmodes server` does (the bench's tokio reference does
    /// too), and waits for that line.
    ///
    /// # Errors
    /// As [`start`](Self::start).
    pub fn spawn(mut command: Command) -> std::io::Result<ServerProcess> {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr is piped"));
        let mut seen = String::new();
        let addr = loop {
            let mut line = String::new();
            if stderr.read_line(&mut line)? == 0 {
                let _ = child.wait();
                return Err(std::io::Error::other(format!(
                    "server exited before listening: {seen}"
                )));
            }
            if let Some(addr) = line
                .split("listening on ")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|a| a.parse().ok())
            {
                break addr;
            }
            seen.push_str(&line);
        };
        // The rest of stderr is drained (so the child never blocks on a
        // full pipe), and its counters lines kept for `counter_reader`.
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut line = String::new();
            while stderr.read_line(&mut line).is_ok_and(|n| n > 0) {
                if let Some(c) = Counters::parse(&line) {
                    let _ = tx.send(c);
                }
                line.clear();
            }
        });
        Ok(ServerProcess {
            child,
            addr,
            counters: Arc::new(Mutex::new(rx)),
        })
    }

    /// A handle that asks this server for its counters.
    pub fn counter_reader(&self) -> CounterReader {
        CounterReader {
            pid: self.child.id(),
            lines: Arc::clone(&self.counters),
        }
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the server and waits for the exit: on Unix with SIGTERM, a
    /// graceful shutdown (exit status 0); on Windows, which has no SIGTERM
    /// and cannot send Ctrl-C to one child's console alone, by
    /// TerminateProcess (not graceful; a failure status).
    ///
    /// # Errors
    /// Waiting for the child failed.
    pub fn terminate(mut self) -> std::io::Result<ExitStatus> {
        #[cfg(unix)]
        send_signal(self.child.id(), Signal::Term)?;
        #[cfg(windows)]
        self.child.kill()?;
        self.child.wait()
    }

    /// True where [`terminate`](Self::terminate) is a graceful shutdown.
    pub const TERMINATE_IS_GRACEFUL: bool = cfg!(unix);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_answer_is_the_first_line_between_its_request_and_the_next() {
        let reader_with = |at: &[u64]| {
            let (tx, rx) = mpsc::channel();
            for &at_ns in at {
                tx.send(Counters {
                    at_ns,
                    ..Counters::default()
                })
                .expect("sent");
            }
            CounterReader {
                pid: 0,
                lines: Arc::new(Mutex::new(rx)),
            }
        };
        let at = |found: Vec<Option<Counters>>| -> Vec<Option<u64>> {
            found.into_iter().map(|c| c.map(|c| c.at_ns)).collect()
        };
        // A stale line (5) is passed over; each request gets its own.
        let r = reader_with(&[5, 12, 31]);
        assert_eq!(at(r.answers(&[10, 30])), [Some(12), Some(31)]);
        // Signals do not queue: one line read after both requests answers
        // the second only, and the first has none.
        let r = reader_with(&[35]);
        assert_eq!(at(r.answers(&[10, 30])), [None, Some(35)]);
        // No line at all: no answer, after the wait.
        let r = reader_with(&[]);
        assert_eq!(at(r.answers(&[10])), [None]);
    }

    #[test]
    fn a_line_without_the_cpu_fields_still_parses() {
        let old = "sockmodes: counters: accepted=3 rejected=0 active=1 timed_out=0 \
                   protocol_errors=0 syscalls=99 work_started=0 at_ns=5";
        let c = Counters::parse(old).expect("parses");
        assert_eq!((c.accepted, c.syscalls, c.at_ns), (3, 99, 5));
        assert_eq!((c.cpu_ns, c.cpus), (None, None));
        assert_eq!((c.wakeups, c.events), (None, None));
        assert_eq!(Counters::parse("sockmodes: listening on 127.0.0.1:1"), None);
    }

    #[test]
    fn the_budget_used_is_cpu_over_wall_times_cores_between_two_lines() {
        let line = |cpu_ns: u64, at_ns: u64| {
            format!(
                "sockmodes: counters: accepted=1 syscalls=1 cpu_ns={cpu_ns} cpus=0.5 \
                 budget_used=0.9 throttled_periods=1 periods=2 at_ns={at_ns}"
            )
        };
        let a = Counters::parse(&line(1_000_000_000, 10_000_000_000)).unwrap();
        let b = Counters::parse(&line(3_400_000_000, 15_000_000_000)).unwrap();
        assert_eq!(b.cpus, Some(0.5));
        // 2.4 s of CPU in 5 s at half a core: 96%.
        let used = b.budget_used_since(&a).unwrap();
        assert!((used - 0.96).abs() < 1e-9, "{used}");
        assert_eq!(a.budget_used_since(&b), None, "out of order");
        let unbudgeted = Counters { cpus: None, ..b };
        assert_eq!(unbudgeted.budget_used_since(&a), None);
    }
}
