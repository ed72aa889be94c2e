//! How the study starts each server as a process of its own: the command's
//! models through the `sockmodes` binary, tokio (a bench-only reference)
//! through the bench binary re-executed with [`SERVE_TOKIO`] set. Every
//! server runs on the server cores of the placement.

use std::path::PathBuf;
use std::process::Command;

use sockmodes_models::child::ServerProcess;

use crate::affinity::Placement;
use crate::service::Setup;
use crate::target::Target;

/// Environment variable that makes the bench binary serve tokio instead of
/// benching (its value is the number of worker threads).
pub const SERVE_TOKIO: &str = "SOCKMODES_BENCH_SERVE_TOKIO";

/// Environment variable that gives the tokio server its work per message
/// (`--work`'s text; `service.rs`).
pub const SERVE_TOKIO_WORK: &str = "SOCKMODES_BENCH_SERVE_TOKIO_WORK";

/// How to start each studied server as a process of its own.
#[derive(Debug, Clone)]
pub struct Launcher {
    /// The `sockmodes` binary (blocking and non-blocking servers).
    pub sockmodes: PathBuf,
    /// An executable that serves tokio when [`SERVE_TOKIO`] is set (the
    /// bench binary itself: tokio is only a bench dependency).
    pub tokio: PathBuf,
}

impl Launcher {
    /// Starts `target`, with the work per message of `setup` if any, on
    /// the server cores of `placement`.
    pub(crate) fn start(
        &self,
        target: Target,
        setup: Option<Setup>,
        placement: Placement,
    ) -> std::io::Result<ServerProcess> {
        let threads = placement.server_cpus().len().to_string();
        let command = match target {
            Target::Tokio | Target::Raw => {
                let mut c = Command::new(&self.tokio);
                c.env(SERVE_TOKIO, &threads);
                if let Some(s) = setup {
                    c.env(SERVE_TOKIO_WORK, s.work.to_string());
                }
                c
            }
            Target::Model(mode) => {
                let mut c = Command::new(&self.sockmodes);
                c.args(["server", "--addr", "127.0.0.1:0", "--service", "echo"])
                    .args(["--mode", mode.name(), "--max-conns", "30000"])
                    .args(["--idle-timeout", "3600"]);
                if mode.has_event_loops() {
                    c.args(["--threads", &threads]);
                }
                c.args(setup.iter().flat_map(Setup::server_args));
                c
            }
        };
        placement.on_server_cpus(|| ServerProcess::spawn(command))
    }
}
