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

use std::net::{Ipv4Addr, SocketAddr};

use serde::{Deserialize, Serialize};
use sockmodes_common::{Service, Work};
use sockmodes_models::ceiling::{Ceiling, Concurrency};
use sockmodes_serving::ServerConfig;

use crate::driver::Driver;
use crate::progress::Progress;
use crate::sweep::{empty, measure_all, Launcher, Plan, Point, Step};
use crate::target::Target;

/// How one server is set up for a service-work point: the work per
/// message, and whether it runs on a pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Setup {
    /// The work per message, as `--work` takes it (`block:1ms`).
    #[serde(with = "work_text")]
    pub work: Work,
    /// `--offload N`: a pool of N workers; `None`: inline (or the model's
    /// own way: a thread per connection, tokio's `spawn_blocking`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offload: Option<usize>,
}

impl Setup {
    /// The arguments `sockmodes server` takes for it.
    pub fn server_args(&self) -> Vec<String> {
        let mut args = vec!["--work".to_string(), self.work.to_string()];
        if let Some(n) = self.offload {
            args.extend(["--offload".to_string(), n.to_string()]);
        }
        args
    }

    /// "block:1ms", "block:1ms, 64 workers": how logs and tables name it.
    pub fn describe(&self) -> String {
        match self.offload {
            Some(n) => format!("{}, {n} workers", self.work),
            None => self.work.to_string(),
        }
    }
}

/// A [`Work`] travels as its `--work` text.
mod work_text {
    use serde::{Deserialize, Deserializer, Serializer};
    use sockmodes_common::Work;

    pub fn serialize<S: Serializer>(w: &Work, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(w)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Work, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Whether `target` can run work on a pool (`--offload`): a model with I/O
/// threads shared by many connections, asked of the registry. A pool takes
/// only work that holds a thread (cpu, block): a wait is a timer already.
pub fn has_pool(target: Target, work: Work) -> bool {
    // A reference runs its work its own way only (tokio: `spawn_blocking`).
    let Some(mode) = target.mode().filter(|m| !m.is_reference()) else {
        return false;
    };
    mode.offload_workers(&config(work, Some(1), 1)).is_some()
}

fn config(work: Work, offload: Option<usize>, io_threads: usize) -> ServerConfig {
    let mut c = ServerConfig::new(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), Service::Echo);
    c.work = Some(work);
    c.offload = offload.unwrap_or(0);
    c.event_loops = io_threads.max(1);
    c
}

/// Every (server, setup) of one case: each studied server inline, then
/// with the pool where it has one.
pub fn setups(plan: &Plan, work: Work) -> Vec<(Target, Setup)> {
    let mut all = Vec::new();
    for &t in &plan.servers {
        all.push((
            t,
            Setup {
                work,
                offload: None,
            },
        ));
        if has_pool(t, work) {
            all.push((
                t,
                Setup {
                    work,
                    offload: Some(plan.service_pool),
                },
            ));
        }
    }
    all
}

/// How many messages `target`, set up as `setup` on `cores` cores, can have
/// in work at once; `None` for a server that takes no work (raw).
pub fn concurrency(target: Target, setup: Setup, cores: usize) -> Option<Concurrency> {
    target
        .mode()?
        .work_concurrency(&config(setup.work, setup.offload, cores))
}

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
/// at `plan.service_connections`, driven by `driver`.
pub fn service_work(
    plan: &Plan,
    driver: Driver,
    launcher: &Launcher,
    progress: &Progress,
) -> Vec<Point> {
    let mut points = Vec::new();
    for &work in &plan.service_cases {
        // All of one case's rounds before the next: its setups interleaved.
        let at = setups(plan, work)
            .into_iter()
            .map(|(t, setup)| {
                let mut p = empty(t, Step::Service, plan.service_connections, driver.placement);
                p.setup = Some(setup);
                (p, None)
            })
            .collect();
        points.extend(measure_all(plan, driver, launcher, progress, at));
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;
    use sockmodes_models::IoMode;

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
            Target::Model(IoMode::NON_BLOCKING),
            Target::Model(IoMode::COMPLETION),
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
                Target::Model(IoMode::BLOCKING),
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
                Target::Model(IoMode::NON_BLOCKING),
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
            (Target::Model(IoMode::BLOCKING), None),
            (Target::Model(IoMode::NON_BLOCKING), None),
            (Target::Model(IoMode::NON_BLOCKING), Some(64)),
            (Target::TOKIO, None),
        ] {
            let c = ceiling(&point(t, "cpu:20us", offload, 1_000)).unwrap();
            assert!((c - 50_000.0).abs() < 1e-6, "{t:?} {offload:?}: {c}");
        }
    }

    #[test]
    fn pools_are_set_up_only_where_a_model_has_io_threads_and_the_work_holds_one() {
        let plan = Plan::new(crate::target::RunMode::Full, 100_000, 1);
        let block = setups(&plan, work("block:1ms"));
        let pooled: Vec<Target> = block
            .iter()
            .filter(|(_, s)| s.offload.is_some())
            .map(|&(t, _)| t)
            .collect();
        let expected: Vec<Target> = plan
            .servers
            .iter()
            .copied()
            .filter(|&t| {
                t.mode().is_some_and(|m| {
                    !m.is_reference() && m.io_threads(&config(work("block:1ms"), None, 1)).is_some()
                })
            })
            .collect();
        assert_eq!(pooled, expected);
        assert!(
            !pooled.contains(&Target::Model(IoMode::BLOCKING)) && !pooled.contains(&Target::TOKIO)
        );
        assert_eq!(block.len(), plan.servers.len() + pooled.len());
        // A wait takes no pool: one setup per server.
        assert_eq!(setups(&plan, work("wait:1ms")).len(), plan.servers.len());
    }

    #[test]
    fn a_setup_reads_back_from_json_and_gives_the_servers_arguments() {
        let s = Setup {
            work: work("block:1ms"),
            offload: Some(64),
        };
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(text, r#"{"work":"block:1ms","offload":64}"#);
        assert_eq!(serde_json::from_str::<Setup>(&text).unwrap(), s);
        assert_eq!(s.server_args(), ["--work", "block:1ms", "--offload", "64"]);
        assert_eq!(s.describe(), "block:1ms, 64 workers");
        assert!(serde_json::from_str::<Setup>(r#"{"work":"nap:1ms"}"#).is_err());
    }
}
