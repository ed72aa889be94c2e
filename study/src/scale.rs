//! Scale: resident memory of a server process holding many idle connections,
//! and of a process holding as many bare threads.
//!
//! Each server runs as its own process (`sockmodes server`), so its memory is
//! not mixed with the bench's. Every connection is used once (a 64-byte echo,
//! proving it is served) and then left idle; the server's VmRSS is read after
//! the connections settle.
//!
//! The yardstick of the thread-per-connection server is a bare std thread
//! with the same 64 KiB stack, parked: a process of such threads is measured
//! the same way ([`bare_threads`]), so the report can say how much of a
//! blocking connection's memory is simply its thread.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sockmodes_models::child::ServerProcess;
use sockmodes_os::net;
use sockmodes_os::procfs::resident_bytes;

use crate::target::Target;

/// Environment variable that makes the bench binary start this many parked
/// threads and wait (the bare-thread yardstick).
pub const SERVE_BARE_THREADS: &str = "SOCKMODES_BENCH_BARE_THREADS";

/// Stack of each bare thread: the blocking server's default.
const BARE_STACK: usize = sockmodes_serving::config::DEFAULT_STACK_SIZE;

/// One measurement.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ScalePoint {
    pub target: Target,
    pub connections: usize,
    /// Server RSS with the connections open, MiB.
    pub rss_mib: f64,
    /// Server RSS before any connection, MiB.
    pub baseline_mib: f64,
}

impl ScalePoint {
    /// Resident KiB each idle connection added over the server's start.
    pub fn kib_per_connection(&self) -> f64 {
        (self.rss_mib - self.baseline_mib) * 1024.0 / self.connections.max(1) as f64
    }
}

fn rss_mib(server: &ServerProcess) -> f64 {
    resident_bytes(Some(server.pid())).expect("server RSS") as f64 / (1024.0 * 1024.0)
}

/// Measures `target`'s server (`bin` is the `sockmodes` binary) with each
/// count of idle connections.
pub fn measure(bin: &Path, target: Target, counts: &[usize]) -> Vec<ScalePoint> {
    let _ = sockmodes_os::limits::raise_nofile_limit();
    let mut points = Vec::new();
    for &n in counts {
        let args = [
            "--mode",
            target.name(),
            "--service",
            "echo",
            "--max-conns",
            "20000",
            "--idle-timeout",
            "3600",
        ];
        let server = ServerProcess::start(bin, &args).expect("the sockmodes binary starts");
        thread::sleep(Duration::from_millis(200));
        let baseline = rss_mib(&server);
        let mut wire = Vec::new();
        sockmodes_common::frame::encode_frame(&mut wire, &[7u8; 64]).expect("a small frame");
        let mut reply = vec![0u8; wire.len()];
        let mut conns = Vec::with_capacity(n);
        for _ in 0..n {
            let mut s = connect_retrying(server.addr);
            s.write_all(&wire).expect("send");
            s.read_exact(&mut reply).expect("echo");
            // Reset on close: 10,000 closes would otherwise leave as many
            // ports in TIME_WAIT for a minute.
            let _ = net::reset_on_close(&s);
            conns.push(s);
        }
        // Let the server settle (threads parked, buffers released).
        thread::sleep(Duration::from_millis(500));
        points.push(ScalePoint {
            target,
            connections: n,
            rss_mib: rss_mib(&server),
            baseline_mib: baseline,
        });
        drop(conns);
        let _ = server.terminate();
    }
    points
}

/// Connects, retrying briefly if the backlog is momentarily full.
fn connect_retrying(addr: SocketAddr) -> TcpStream {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match TcpStream::connect(addr) {
            Ok(s) => return s,
            Err(e) if Instant::now() < deadline => {
                eprintln!("scale: connect failed ({e}); retrying");
                thread::sleep(Duration::from_millis(10));
            }
            Err(e) => panic!("scale: cannot connect to {addr}: {e}"),
        }
    }
}

/// A bare thread's resident cost: a process (`exe`, which serves
/// [`SERVE_BARE_THREADS`] through [`serve_bare_threads`]) with `n` parked
/// threads of the blocking server's stack size, against one with none.
/// Returns (MiB with `n` threads, MiB with none).
pub fn bare_threads(exe: &Path, n: usize) -> std::io::Result<(f64, f64)> {
    let rss = |count: usize| -> std::io::Result<f64> {
        let mut child = std::process::Command::new(exe)
            .env(SERVE_BARE_THREADS, count.to_string())
            .stdout(std::process::Stdio::piped())
            .spawn()?;
        let mut ready = [0u8; 1];
        child
            .stdout
            .as_mut()
            .expect("piped")
            .read_exact(&mut ready)?;
        thread::sleep(Duration::from_millis(300));
        let bytes = resident_bytes(Some(child.id()));
        let _ = child.kill();
        let _ = child.wait();
        Ok(bytes? as f64 / (1024.0 * 1024.0))
    };
    Ok((rss(n)?, rss(0)?))
}

/// The bare-thread process: starts `n` parked threads, says so on stdout,
/// and waits to be killed.
pub fn serve_bare_threads(n: &str) -> ! {
    let n: usize = n.parse().unwrap_or(0);
    for _ in 0..n {
        let spawned = thread::Builder::new()
            .stack_size(BARE_STACK)
            .spawn(|| loop {
                thread::park();
            });
        if spawned.is_err() {
            break;
        }
    }
    let mut out = std::io::stdout();
    let _ = out.write_all(b"r");
    let _ = out.flush();
    loop {
        thread::park();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::BareThreads;

    #[test]
    fn memory_per_idle_connection_is_what_they_added_over_the_start() {
        let p = ScalePoint {
            target: Target::TOKIO,
            connections: 1024,
            rss_mib: 12.0,
            baseline_mib: 4.0,
        };
        assert_eq!(p.kib_per_connection(), 8.0);
        let none = ScalePoint {
            connections: 0,
            ..p
        };
        assert_eq!(
            none.kib_per_connection(),
            8.0 * 1024.0,
            "never divided by zero"
        );
        let bare = BareThreads {
            threads: 2048,
            rss_mib: 140.0,
            baseline_mib: 4.0,
        };
        assert_eq!(bare.kib_each(), 68.0);
    }
}
