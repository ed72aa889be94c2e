//! Scale: resident memory of a server process holding many idle connections.
//!
//! Each server runs as its own process (`sockmodes server`), so its memory is
//! not mixed with the bench's. Every connection is used once (a 64-byte echo,
//! proving it is served) and then left idle; the server's VmRSS is read after
//! the connections settle.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use sockmodes::child::ServerProcess;
use sockmodes_common::net;
use sockmodes_common::procfs::resident_bytes;

/// One measurement.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScalePoint {
    pub mode: String,
    pub connections: usize,
    /// Server RSS with the connections open, MiB.
    pub rss_mib: f64,
    /// Server RSS before any connection, MiB.
    pub baseline_mib: f64,
}

fn start_server(mode: &str) -> ServerProcess {
    let bin = Path::new(env!("CARGO_BIN_EXE_sockmodes"));
    let args = [
        "--mode",
        mode,
        "--service",
        "echo",
        "--max-conns",
        "20000",
        "--idle-timeout",
        "3600",
    ];
    ServerProcess::start(bin, &args).expect("the sockmodes binary starts")
}

fn rss_mib(server: &ServerProcess) -> f64 {
    resident_bytes(Some(server.pid())).expect("server RSS") as f64 / (1024.0 * 1024.0)
}

/// Measures `mode`'s server with each count of idle connections.
pub fn measure(mode: &str, counts: &[usize]) -> Vec<ScalePoint> {
    let _ = net::raise_nofile_limit();
    let mut points = Vec::new();
    for &n in counts {
        let server = start_server(mode);
        thread::sleep(Duration::from_millis(200));
        let baseline = rss_mib(&server);
        let wire = super::clients::wire(64);
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
            mode: mode.to_string(),
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
