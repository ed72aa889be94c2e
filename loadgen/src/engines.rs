//! Each model's load engine: a thread per connection, or the one event
//! engine (`events/`) over the model's many-connection driver. A model
//! with a client adds its line here; one without (its `connect` is
//! `None` in the registry) is refused before any engine runs.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use sockmodes_models::Model;

use crate::events::connections;
use crate::{LoadConfig, LoadError, Outcome};

// Each model's many-connection client, driven by the one event engine.
connections!(sockmodes_nonblocking::multi::ManyClient);
#[cfg(target_os = "linux")]
connections!(sockmodes_completion::client::ManyClient);

/// True when `model`'s engine runs a thread per connection (the rest run
/// one event engine), so that a run's connections are also its threads.
pub fn thread_per_connection(model: Model) -> bool {
    model == Model::BLOCKING
}

/// Runs `config`'s load with its model's engine ([`crate::run`] validates
/// it first).
///
/// # Errors
/// No connection at all, threads or a poll that could not be made, or a
/// model with no engine on this system.
pub(crate) fn load_engine(
    config: &LoadConfig,
    progress: &Arc<AtomicU64>,
) -> Result<Outcome, LoadError> {
    Ok(match config.model {
        Model::BLOCKING => crate::threads::run(config, progress)?,
        Model::NON_BLOCKING => {
            crate::events::run::<sockmodes_nonblocking::multi::ManyClient>(config, progress)?
        }
        #[cfg(target_os = "linux")]
        Model::COMPLETION => {
            crate::events::run::<sockmodes_completion::client::ManyClient>(config, progress)?
        }
        _ => return Err(LoadError::NoEngine),
    })
}
