//! Service work: which model for *my* service?
//!
//! Every other part of the study measures servers that answer at once, and
//! there most of an event loop's CPU is the kernel's loopback TCP, so the
//! models are often within noise of each other. A real handler does work
//! between a request and its answer: it computes, calls a database
//! synchronously, or awaits one. That is where a thread per connection and
//! an event loop part ways, and where the classic mistake lives: a blocking
//! call inline in an event loop stalls every connection.
//!
//! So each case of [`Plan::service_cases`] (`cpu:20us`, `block:1ms`,
//! `wait:1ms`) is served by every studied server in each of its setups
//! ([`setups`]): inline, and, where the model has I/O threads to spare,
//! with a pool of [`Plan::service_pool`] workers (`--offload`). tokio runs
//! cpu inline, block through `spawn_blocking` and wait through its timer.
//! Each setup is a [`Point`] measured like every other: R windows, closed
//! loop, servers interleaved, each window against a fresh process.
//!
//! Every point has a ceiling ([`ceiling`]): Little's law, from the setup
//! alone (`sockmodes_models::ceiling`). A figure above it is a bug; the report
//! prints each figure beside it, as a ratio to a physical limit, not to a
//! peer.
//!
//! [`Plan::service_cases`]: crate::plan::Plan::service_cases
//! [`Plan::service_pool`]: crate::plan::Plan::service_pool

use sockmodes_models::ceiling::Ceiling;

use crate::plan::setups;
use crate::setup::concurrency;
use crate::sweep::{empty, Measurer, Point, Step};

/// The ceiling of point `p` in msg/s (Little's law, and the CPU's bound
/// on the server's cores), under the study's closed loop: one message per
/// connection at a time. `None` for a point without work.
pub fn ceiling(p: &Point) -> Option<f64> {
    let setup = p.setup?;
    let cores = p.server_cores.max(1);
    let c = concurrency(p.target, setup, cores)?;
    Some(Ceiling::new(c, setup.work, cores as u64).closed_loop(p.connections as u64))
}

/// Measures every case of `plan.service_cases`, each setup of each server
/// at `plan.service_connections`.
pub fn service_work(m: Measurer) -> Vec<Point> {
    let (plan, placement) = (m.plan, m.driver.placement);
    let at = |(t, setup)| {
        let mut p = empty(t, Step::Service, plan.service_connections, placement);
        p.setup = Some(setup);
        (p, None)
    };
    // All of one case's rounds before the next: its setups interleaved.
    let mut points = Vec::new();
    for &work in &plan.service_cases {
        points.extend(m.all(setups(plan, work).into_iter().map(at).collect()));
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setup::Setup;
    use crate::target::Target;
    use sockmodes_common::Work;
    use sockmodes_models::Model;

    fn work(s: &str) -> Work {
        s.parse().unwrap()
    }

    fn point(target: Target, setup: &str, offload: Option<usize>, connections: usize) -> Point {
        let mut p = empty(
            target,
            Step::Service,
            connections,
            crate::affinity::Placement::Split,
        );
        p.server_cores = 1;
        p.setup = Some(Setup {
            work: work(setup),
            offload,
        });
        p
    }

    #[test]
    fn a_loop_blocking_1ms_inline_has_a_ceiling_of_1000_and_a_pool_of_64_of_64000() {
        for t in [
            Target::Model(Model::NON_BLOCKING),
            Target::Model(Model::COMPLETION),
        ] {
            assert_eq!(ceiling(&point(t, "block:1ms", None, 1_000)), Some(1_000.0));
            assert_eq!(
                ceiling(&point(t, "block:1ms", Some(64), 1_000)),
                Some(64_000.0)
            );
            // A wait holds no thread: every connection waits at once.
            assert_eq!(ceiling(&point(t, "wait:1ms", None, 100)), Some(100_000.0));
        }
        // A thread per connection: one message in work per connection.
        assert_eq!(
            ceiling(&point(
                Target::Model(Model::BLOCKING),
                "block:1ms",
                None,
                100
            )),
            Some(100_000.0)
        );
        // tokio: spawn_blocking's 512 threads, fewer than 1,000 connections.
        assert_eq!(
            ceiling(&point(Target::TOKIO, "block:1ms", None, 1_000)),
            Some(512_000.0)
        );
        // A closed loop of 10 keeps 10 messages in work, whatever the pool.
        assert_eq!(
            ceiling(&point(
                Target::Model(Model::NON_BLOCKING),
                "block:1ms",
                Some(64),
                10
            )),
            Some(10_000.0)
        );
        assert_eq!(ceiling(&point(Target::Raw, "block:1ms", None, 10)), None);
    }

    #[test]
    fn computing_is_bounded_by_the_servers_cores_whatever_the_setup() {
        // 1 core, 20 µs each: 50,000 msg/s, inline, pooled or per thread.
        for (t, offload) in [
            (Target::Model(Model::BLOCKING), None),
            (Target::Model(Model::NON_BLOCKING), None),
            (Target::Model(Model::NON_BLOCKING), Some(64)),
            (Target::TOKIO, None),
        ] {
            let c = ceiling(&point(t, "cpu:20us", offload, 1_000)).unwrap();
            assert!((c - 50_000.0).abs() < 1e-6, "{t:?} {offload:?}: {c}");
        }
    }
}
