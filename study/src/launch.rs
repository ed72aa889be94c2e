//! How the study starts each server as a process of its own: every model
//! of the registry, tokio among them, through the `sockmodes` binary, on
//! the server cores of the placement.

use std::path::PathBuf;
use std::process::Command;

use sockmodes_models::child::ServerProcess;

use crate::affinity::Placement;
use crate::setup::Setup;
use crate::target::Target;

/// How to start each studied server as a process of its own.
#[derive(Debug, Clone)]
pub struct Launcher {
    /// The `sockmodes` binary.
    pub sockmodes: PathBuf,
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
            Target::Raw => {
                return Err(std::io::Error::other(
                    "raw runs in the bench's process only (criterion)",
                ))
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
