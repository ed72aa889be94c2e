//! How the study starts each server as a process of its own: every model
//! of the registry, tokio among them, through the `sockmodes` binary, on
//! the server cores of the placement, held to its CPU budget where the
//! placement sets one (`--cpus`).

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
    /// the server cores of `placement` (and its CPU budget).
    pub(crate) fn start(
        &self,
        target: Target,
        setup: Option<Setup>,
        placement: Placement,
    ) -> std::io::Result<ServerProcess> {
        let Target::Model(model) = target else {
            let raw = "raw runs in the bench's process only (criterion)";
            return Err(std::io::Error::other(raw));
        };
        let mut command = Command::new(&self.sockmodes);
        command
            .args(["server", "--addr", "127.0.0.1:0", "--service", "echo"])
            .args(["--mode", model.name(), "--max-conns", "30000"])
            .args(["--idle-timeout", "3600"]);
        if model.has_event_loops() {
            command.args(["--threads", &placement.event_threads().to_string()]);
        }
        command.args(setup.iter().flat_map(Setup::server_args));
        if let Some(cpus) = placement.cpu_budget() {
            command.args(["--cpus", &cpus.to_string()]);
        }
        placement.on_server_cpus(|| ServerProcess::spawn(command))
    }

    /// Whether `placement`'s CPU budget can be set here: a server started
    /// with it listens (Ok), or its one-line refusal (no cgroup permission
    /// or `cpu` controller, or a system without either): the study then
    /// skips the placement and says why.
    pub fn budget_settable(&self, placement: Placement) -> Result<(), String> {
        if placement.cpu_budget().is_none() {
            return Ok(());
        }
        let probe = Target::Model(sockmodes_models::Model::NON_BLOCKING);
        let server = self
            .start(probe, None, placement)
            .map_err(|e| e.to_string().trim().to_string())?;
        let _ = server.terminate();
        Ok(())
    }
}
