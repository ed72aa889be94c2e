//! Server configuration shared by every driver, so that one command line
//! starts any of the three servers with the same meaning. The part of it
//! that is one connection's (service, limits, work) is the session's own
//! [`SessionConfig`]; the live counters a running server keeps are
//! `stats.rs`.

use core::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sockmodes_common::frame::DEFAULT_MAX_FRAME;
use sockmodes_common::work::Work;
use sockmodes_common::{Service, SessionConfig};

use crate::liveness::{Limits, MinRate};

/// Default connection limit.
///
/// Why 10,000: the scale the benches hold open; each connection is one file
/// descriptor (and, in blocking mode, one thread), so the limit is what keeps
/// a flood from exhausting either.
pub const DEFAULT_MAX_CONNS: usize = 10_000;

/// Default listen backlog (`sockmodes_os::net::listen` takes it).
///
/// Why 1024: enough for a burst of a thousand simultaneous connects (the
/// benches' largest concurrency step) to queue while the accept loop drains it;
/// the kernel caps it at `net.core.somaxconn` (4096 on current Linux).
pub const DEFAULT_BACKLOG: i32 = 1024;

/// Default idle timeout.
///
/// Why 30 s: long enough for a student typing a message into `nc`, short enough
/// that a silent client gives its slot back soon. It counts bytes moved either
/// way, not frames (a large frame streaming slowly is busy, not idle); a
/// dribbling client (slow-loris) is the minimum rate's (`liveness.rs`).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Default cap on a connection's pending output before the server stops
/// reading from it.
///
/// Why 64 KiB: with the kernel's own send buffer (hundreds of KiB on
/// loopback) behind it, 64 KiB waiting in the server keeps the pipe full;
/// beyond that a peer that does not read is only filling our memory, and
/// 10,000 such peers would hold 640 MiB.
pub const DEFAULT_OUTPUT_CAP: usize = 64 * 1024;

/// Default largest `message` (the classroom service, kept whole).
///
/// Why 64 KiB: a typed or pasted message is far smaller, and a message is
/// the one thing a connection must hold whole, so its limit is what a
/// connection of that service costs; `--max-message` raises it.
pub const DEFAULT_MAX_MESSAGE: usize = 64 * 1024;

/// How long a lingering close may last in all.
///
/// Why 2 s: the peer needs one round trip to see our FIN and close its end
/// (microseconds on loopback, a few hundred ms across the world); a peer
/// still sending after 2 s is not going to stop, and a shutdown must end.
/// (nginx's `lingering_time` is 30 s for HTTP uploads; our frames are small.)
pub const LINGER_TIME: Duration = Duration::from_secs(2);

/// How long a lingering close waits for the peer's next bytes.
///
/// Why 500 ms: a peer that has seen our FIN answers it with its own within a
/// round trip; half a second of silence means it is not reading, and once
/// nothing unread is left, closing cannot reset it. (nginx's
/// `lingering_timeout` is 5 s.)
pub const LINGER_GAP: Duration = Duration::from_millis(500);

/// Default stack per connection thread in the blocking server.
///
/// Why 64 KiB: the connection loop keeps its buffers on the heap and needs a
/// few KiB of stack; 10,000 threads with 64 KiB stacks fit in this machine's
/// memory (most of each stack is never touched, so never resident).
pub const DEFAULT_STACK_SIZE: usize = 64 * 1024;

/// A server's settings. Both drivers take the same struct.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to bind; port 0 picks a free port.
    pub addr: SocketAddr,
    /// The service every connection gets.
    pub service: Service,
    /// Connections beyond this many open at once are accepted and reset at
    /// once (the client sees ConnectionResetError, not a refusal).
    pub max_conns: usize,
    /// Largest frame payload (echo, sink); frames are streamed, so this
    /// does not set memory.
    pub max_frame: usize,
    /// Largest message (`message` service; kept whole).
    pub max_message: usize,
    /// The most buffer memory all connections together may hold
    /// (`max_conns` x the per-connection bound); `None`: no check.
    pub max_memory: Option<u64>,
    /// A connection on which no byte moved either way for this long is
    /// closed (`liveness.rs`).
    pub idle_timeout: Duration,
    /// Owed bytes (a frame's rest, answers to read) moving slower than
    /// this close the connection (`liveness.rs`).
    pub min_rate: MinRate,
    /// Pending output above which the server stops reading a connection.
    pub output_cap: usize,
    /// Listen backlog.
    pub backlog: i32,
    /// Serve one connection, then stop (like the classroom's Python server).
    pub once: bool,
    /// Blocking server: stack size of each connection thread.
    pub stack_size: usize,
    /// Non-blocking server: number of event-loop threads.
    pub event_loops: usize,
    /// Set `TCP_NODELAY` on accepted connections.
    pub nodelay: bool,
    /// Work per frame (echo, sink); `None`: answer at once.
    pub work: Option<Work>,
    /// Event loop and completion servers: worker threads that run cpu and
    /// block work off the I/O thread; 0: the work runs inline.
    pub offload: usize,
}

impl ServerConfig {
    /// Defaults for `addr` and `service`.
    pub fn new(addr: SocketAddr, service: Service) -> Self {
        ServerConfig {
            addr,
            service,
            max_conns: DEFAULT_MAX_CONNS,
            max_frame: DEFAULT_MAX_FRAME,
            max_message: DEFAULT_MAX_MESSAGE,
            max_memory: None,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            min_rate: MinRate::default(),
            output_cap: DEFAULT_OUTPUT_CAP,
            backlog: DEFAULT_BACKLOG,
            once: false,
            stack_size: DEFAULT_STACK_SIZE,
            event_loops: 1,
            nodelay: true,
            work: None,
            offload: 0,
        }
    }

    /// The limits on a connection's liveness this configuration sets: the
    /// minimum rate applies to framed services only (see `liveness.rs`).
    pub fn limits(&self) -> Limits {
        Limits {
            idle: self.idle_timeout,
            min_rate: self.min_rate,
            rated: self.service != Service::Message,
        }
    }
}

/// The session's part of a server's settings: what each connection
/// accepts and holds (`ServerSession::for_config` takes a `&ServerConfig`).
impl From<&ServerConfig> for SessionConfig {
    fn from(config: &ServerConfig) -> Self {
        SessionConfig {
            service: config.service,
            max_frame: config.max_frame,
            max_message: config.max_message,
            output_cap: config.output_cap,
            work: config.work,
        }
    }
}

/// The most memory a server's connections can hold, stated before it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryBound {
    /// Buffers of one connection (see `ServerSession::memory_bound`).
    pub buffers: u64,
    /// What else a connection costs: its thread's stack (blocking), or the
    /// event loop's bookkeeping (non-blocking).
    pub overhead: u64,
    /// Connections at once (`max_conns`).
    pub connections: u64,
    /// Held whatever the number of connections: the completion server's
    /// pool of receive buffers; 0 for the others.
    pub fixed: u64,
}

impl MemoryBound {
    /// One connection in all.
    pub fn per_connection(&self) -> u64 {
        self.buffers + self.overhead
    }

    /// `fixed + connections x per_connection`: the worst case.
    pub fn total(&self) -> u64 {
        self.connections
            .saturating_mul(self.per_connection())
            .saturating_add(self.fixed)
    }

    /// How many connections fit in `limit` bytes.
    pub fn connections_within(&self, limit: u64) -> u64 {
        limit.saturating_sub(self.fixed) / self.per_connection().max(1)
    }
}

/// Bytes as a person reads them: 1.5 GiB, 192 KiB, 512 B.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, size) in UNITS {
        if n >= size {
            let v = n as f64 / size as f64;
            // A tenth below 10 units, where it is not a whole number.
            let decimals = usize::from(v < 10.0 && !n.is_multiple_of(size));
            return format!("{v:.decimals$} {unit}");
        }
    }
    format!("{n} B")
}

/// Called with each complete message of the `message` service.
pub type MessageHandler = Arc<dyn Fn(SocketAddr, Vec<u8>) + Send + Sync>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_case_is_connections_times_one_connection() {
        let b = MemoryBound {
            buffers: 128 << 10,
            overhead: 64 << 10,
            connections: 10_000,
            fixed: 0,
        };
        assert_eq!(b.per_connection(), 192 << 10);
        assert_eq!(b.total(), 10_000 * (192 << 10));
        assert_eq!(b.connections_within(1 << 30), (1 << 30) / (192 << 10));
        assert_eq!(human_bytes(b.total()), "1.8 GiB");
        assert_eq!(human_bytes(192 << 10), "192 KiB");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(7), "7 B");
        let pooled = MemoryBound {
            fixed: 16 << 20,
            ..b
        };
        assert_eq!(pooled.total(), b.total() + (16 << 20));
        assert_eq!(pooled.connections_within(16 << 20), 0);
        assert_eq!(
            pooled.connections_within((16 << 20) + (192 << 10)),
            1,
            "the pool first, then whole connections"
        );
    }
}
