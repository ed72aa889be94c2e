//! The most messages per second a server with work per message can carry,
//! from its configuration alone: Little's law.
//!
//! A server that has `C` messages in work at once, each for `T`, finishes
//! at most `C / T` messages a second, whatever the load. `C` is the
//! model's concurrency ([`Model::work_concurrency`](crate::Model::work_concurrency)):
//!
//! - 1 per I/O thread when the work runs inline (an event loop that sleeps
//!   1 ms per message carries 1,000 msg/s, with 10 connections or 10,000);
//! - N with a pool of N workers (`--offload N`);
//! - the connection count for a thread per connection, or for a `wait`
//!   (a timer holds no thread): one message in work per connection.
//!
//! And computing is bounded by the machine: at most `cores / CPU per
//! message`. The ceiling is the lower of the two. A measured figure above
//! it is a bug; well below it, the I/O or the client is the limit.
//!
//! `cpu:50us` costs 50 µs of CPU per message exactly: it spins until its
//! thread's CPU clock has advanced that much (`sockmodes_os::work`), so no
//! measured figure can exceed the CPU's bound, however busy the machine.

use sockmodes_common::Work;

/// How many messages can be in work at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Concurrency {
    /// Inline on this many I/O threads (event loops, a ring).
    Inline(u64),
    /// On a pool of this many workers.
    Pool(u64),
    /// One per connection (a thread per connection, or a timer per wait).
    PerConnection,
}

/// The ceiling of one configuration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ceiling {
    /// How many messages can be in work at once.
    pub concurrency: Concurrency,
    /// The work per message.
    pub work: Work,
    /// Cores this process can run on.
    pub cores: u64,
}

impl Ceiling {
    /// The ceiling of `work` run with `concurrency` on `cores` cores.
    pub fn new(concurrency: Concurrency, work: Work, cores: u64) -> Ceiling {
        Ceiling {
            concurrency,
            work,
            cores: cores.max(1),
        }
    }

    /// Little's law: concurrency / work time, in msg/s, with `connections`
    /// open (counted only where each connection adds concurrency).
    pub fn by_concurrency(&self, connections: u64) -> f64 {
        let c = match self.concurrency {
            Concurrency::Inline(n) | Concurrency::Pool(n) => n,
            Concurrency::PerConnection => connections,
        };
        c as f64 / self.work.amount.as_secs_f64()
    }

    /// cores / CPU per message, in msg/s; `None` when the work itself
    /// costs no CPU (a sleep, a timer): then the I/O's own cost is the
    /// limit, which no configuration states.
    pub fn by_cpu(&self) -> Option<f64> {
        let cpu = self.work.cpu();
        (!cpu.is_zero()).then(|| self.cores as f64 / cpu.as_secs_f64())
    }

    /// The lower of the two, in msg/s, with `connections` open.
    pub fn msgs_per_sec(&self, connections: u64) -> f64 {
        let by_c = self.by_concurrency(connections);
        self.by_cpu().map_or(by_c, |cpu| cpu.min(by_c))
    }

    /// The ceiling under a closed loop of `connections` that each wait for
    /// an answer before they send again: no more than `connections`
    /// messages are in work at once, whatever the pool (10 connections
    /// keep at most 10 of 64 workers busy).
    pub fn closed_loop(&self, connections: u64) -> f64 {
        let in_flight = connections.max(1) as f64 / self.work.amount.as_secs_f64();
        self.msgs_per_sec(connections).min(in_flight)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work(s: &str) -> Work {
        s.parse().unwrap()
    }

    #[test]
    fn a_closed_loop_keeps_no_more_messages_in_work_than_its_connections() {
        let pool = Ceiling::new(Concurrency::Pool(64), work("block:1ms"), 2);
        assert_eq!(pool.closed_loop(10), 10_000.0, "10 of 64 workers busy");
        assert_eq!(pool.closed_loop(1_000), 64_000.0);
        let inline = Ceiling::new(Concurrency::Inline(1), work("block:1ms"), 2);
        assert_eq!(inline.closed_loop(10), 1_000.0);
        let cpu = Ceiling::new(Concurrency::PerConnection, work("cpu:20us"), 1);
        assert!(
            (cpu.closed_loop(1_000) - 50_000.0).abs() < 1e-6,
            "the core first"
        );
    }

    #[test]
    fn a_loop_that_blocks_1_ms_inline_carries_1000_whatever_the_connections() {
        let c = Ceiling::new(Concurrency::Inline(1), work("block:1ms"), 2);
        assert_eq!(c.msgs_per_sec(100), 1_000.0);
        assert_eq!(c.msgs_per_sec(10_000), 1_000.0);
        assert_eq!(c.by_cpu(), None, "a sleep costs no CPU");
    }

    #[test]
    fn a_pool_of_64_carries_64000_and_a_thread_each_scales_with_connections() {
        let pool = Ceiling::new(Concurrency::Pool(64), work("block:1ms"), 2);
        assert_eq!(pool.msgs_per_sec(100), 64_000.0);
        let threads = Ceiling::new(Concurrency::PerConnection, work("block:1ms"), 2);
        assert_eq!(threads.msgs_per_sec(100), 100_000.0);
        assert_eq!(threads.msgs_per_sec(1_000), 1_000_000.0);
        let waits = Ceiling::new(Concurrency::PerConnection, work("wait:2ms"), 2);
        assert_eq!(waits.msgs_per_sec(100), 50_000.0);
    }

    #[test]
    fn computing_is_bounded_by_the_cores_first() {
        // 1,000 threads could each finish 20,000 a second; 2 cores cannot.
        let c = Ceiling::new(Concurrency::PerConnection, work("cpu:50us"), 2);
        assert_eq!(c.by_cpu(), Some(40_000.0));
        assert_eq!(c.msgs_per_sec(1_000), 40_000.0);
        // Inline on one loop, the loop is the limit: 20,000.
        let inline = Ceiling::new(Concurrency::Inline(1), work("cpu:50us"), 2);
        assert_eq!(inline.msgs_per_sec(1_000), 20_000.0);
        // No cores reported still means one.
        assert_eq!(
            Ceiling::new(Concurrency::Pool(4), work("cpu:1ms"), 0).cores,
            1
        );
    }
}
