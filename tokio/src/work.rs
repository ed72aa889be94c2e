//! A frame's work (`--work`), the way tokio's guide tells a user to do it:
//!
//! - `cpu`: computed inline, on the worker that runs the connection's
//!   task. The worker serves no other task meanwhile, as an event loop
//!   working inline does; tokio's other workers steal what waits on it.
//!   With `--offload N` it goes to the blocking pool instead (the guide's
//!   advice for long computations).
//! - `block`: a blocking call never runs on a worker: `spawn_blocking`
//!   puts it on tokio's blocking pool, bounded by `max_blocking_threads`
//!   (`--offload N` per worker; tokio's default of 512 without it,
//!   [`blocking_threads`](crate::blocking_threads)). Calls beyond the
//!   bound wait in tokio's queue, one per connection at most (a
//!   connection has one frame in work at a time: the session's gate).
//! - `wait`: `tokio::time::sleep`, a timer; the worker serves others.
//!
//! At the shutdown deadline ([`Phase::Cut`]) a sleep is dropped, and work
//! on the pool sees [`Shared::cut`] within `sockmodes_os::work::CUT_SLICE`
//! and stops; inline work cannot be cut (its worker is the one computing),
//! as on the event loop.

use std::sync::Arc;

use sockmodes_common::{Work, WorkKind};
use sockmodes_os::work::Perform;
use sockmodes_serving::ending::End;
use tokio::sync::watch;

use crate::shared::{Phase, Shared};

/// Does one frame's work. `Err` when the shutdown deadline cut it: the
/// connection ends, its answer never sent.
pub(crate) async fn run(
    work: Work,
    shared: &Shared,
    phase: &mut watch::Receiver<Phase>,
) -> Result<(), End> {
    let on_pool = crate::work_pool(&shared.config).is_some();
    let done = match work.kind {
        WorkKind::Cpu if !on_pool => {
            work.perform();
            true
        }
        WorkKind::Cpu | WorkKind::Block => {
            let cut = Arc::clone(&shared.cut);
            let job = tokio::task::spawn_blocking(move || work.perform_unless(&cut));
            tokio::select! {
                // A job that panicked did not finish: its answer is not owed.
                finished = job => finished.unwrap_or(false),
                _ = phase.wait_for(|p| *p == Phase::Cut) => false,
            }
        }
        WorkKind::Wait => tokio::select! {
            () = tokio::time::sleep(work.amount) => true,
            _ = phase.wait_for(|p| *p == Phase::Cut) => false,
        },
    };
    if done {
        Ok(())
    } else {
        shared.stop.count_cut(1);
        Err(End::ShutdownDeadline)
    }
}
