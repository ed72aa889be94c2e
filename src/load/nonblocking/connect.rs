//! Making a loop's connections before the clock starts: every handshake is
//! finished (or failed) first, so the start line measures service, not
//! connection set-up.

use std::time::{Duration, Instant};

use sockmodes_common::ClientError;
use sockmodes_nonblocking::multi::{Event, MultiClient};

use super::super::record::until;
use super::super::{LoadError, Start};
use super::ConnState;

/// Opens a connection for each index in `share` and finishes every
/// handshake before the clock starts. Those that failed are settled at the
/// start line at once (they will never be answered, and are errors).
pub(super) fn connect_all(
    multi: &mut MultiClient,
    share: &[usize],
    run: &Start,
) -> Result<(Vec<ConnState>, Option<ClientError>), LoadError> {
    let mut states: Vec<ConnState> = Vec::new();
    let mut first_error = None;
    let mut pending = 0;
    for &index in share {
        match multi.connect(run.config.addr) {
            Ok(id) => {
                if states.len() <= id {
                    states.resize_with(id + 1, ConnState::default);
                }
                states[id].seen.index = index;
                pending += 1;
            }
            Err(e) => first_error = first_error.or(Some(e)),
        }
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while pending > 0 && Instant::now() < deadline {
        multi.poll(Some(until(deadline)), |id, event, _| match event {
            Event::Connected => {
                states[id].connected = true;
                pending -= 1;
            }
            Event::Failed(e) => {
                states[id].done = true;
                pending -= 1;
                first_error.get_or_insert(e);
            }
            _ => {}
        })?;
    }
    let connected = states.iter().filter(|s| s.connected).count();
    for _ in connected..share.len() {
        run.settle();
    }
    for st in states.iter_mut().filter(|s| !s.connected) {
        st.settled = true;
    }
    Ok((states, first_error))
}
