//! How one server is set up for a service-work point (`service.rs`): the
//! work per message, and whether a pool runs it; and what the registry
//! says such a setup can hold.

use std::net::{Ipv4Addr, SocketAddr};

use serde::{Deserialize, Serialize};
use sockmodes_common::{Service, Work};
use sockmodes_models::ceiling::Concurrency;
use sockmodes_serving::ServerConfig;

use crate::target::Target;

/// How one server is set up for a service-work point: the work per
/// message, and whether it runs on a pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Setup {
    /// The work per message, as `--work` takes it (`block:1ms`).
    #[serde(with = "crate::report::forms::work")]
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

/// Whether `target` can run work on a pool (`--offload`): a model with I/O
/// threads shared by many connections, asked of the registry. A pool takes
/// only work that holds a thread (cpu, block): a wait is a timer already.
pub fn has_pool(target: Target, work: Work) -> bool {
    // A reference runs its work its own way only (tokio: `spawn_blocking`).
    let Some(model) = target.model().filter(|m| !m.is_reference()) else {
        return false;
    };
    model.offload_workers(&config(work, Some(1), 1)).is_some()
}

pub(crate) fn config(work: Work, offload: Option<usize>, io_threads: usize) -> ServerConfig {
    let mut c = ServerConfig::new(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), Service::Echo);
    c.work = Some(work);
    c.offload = offload.unwrap_or(0);
    c.event_loops = io_threads.max(1);
    c
}

/// How many messages `target`, set up as `setup` on `cores` cores, can have
/// in work at once; `None` for a server that takes no work (raw).
pub fn concurrency(target: Target, setup: Setup, cores: usize) -> Option<Concurrency> {
    target
        .model()?
        .work_concurrency(&config(setup.work, setup.offload, cores))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work(s: &str) -> Work {
        s.parse().unwrap()
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
