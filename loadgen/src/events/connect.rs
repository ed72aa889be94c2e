//! Making a loop's connections before the clock starts: every handshake is
//! finished (or failed) first, so the start line measures service, not
//! connection set-up.

use std::time::Instant;

use sockmodes_client::{ClientError, ConnEvent as Event};

use super::super::account::{ConnAccount, ConnTally, Ledger, Trouble};
use super::super::start::CONNECT_WAIT;
use super::super::{LoadError, Start};
use super::{ConnState, Connections};

/// What connecting leaves: the connections (by id), the tallies of those
/// that could not even be started, and the first error.
pub(super) type Connected = (Vec<ConnState>, Vec<ConnTally>, Option<ClientError>);

/// Opens a connection for each index in `share` and finishes every
/// handshake before the clock starts. Those that failed are settled at the
/// start line at once (they will never be answered): a reset during the
/// handshake is a rejection, anything else never connected.
pub(super) fn connect_all(
    multi: &mut impl Connections,
    share: &[usize],
    run: &Start,
) -> Result<Connected, LoadError> {
    let mut states: Vec<ConnState> = Vec::new();
    let mut lost = Vec::new();
    let mut first_error = None;
    let mut pending = 0;
    for &index in share {
        match multi.connect(run.config.addr) {
            Ok(id) => {
                if states.len() <= id {
                    states.resize_with(id + 1, ConnState::default);
                }
                states[id].account = ConnAccount::new(index);
                states[id].made = true;
                pending += 1;
            }
            Err(e) => {
                lost.push(Ledger::unconnected(index, Trouble::of(&e)));
                first_error = first_error.or(Some(e));
            }
        }
    }
    let deadline = Instant::now() + CONNECT_WAIT;
    while pending > 0 && Instant::now() < deadline {
        multi.poll_until(Some(deadline), |id, event, _| match event {
            Event::Connected => {
                states[id].connected = true;
                pending -= 1;
            }
            Event::Failed(e) if !states[id].connected => {
                states[id].refused = Some(Trouble::of(&e));
                pending -= 1;
                first_error.get_or_insert(e);
            }
            // Made, then ended before the clock started (a server over its
            // limit resets what it accepted).
            Event::Failed(e) => states[id].end(Trouble::of(&e)),
            Event::Closed => states[id].end(Trouble::Closed),
            Event::Answered { .. } | Event::Summary(_) => states[id].end(Trouble::Other),
        })?;
    }
    for st in states.iter_mut().filter(|s| s.made && !s.connected) {
        st.refused.get_or_insert(Trouble::Other);
        st.done = true;
        st.account.settle(run);
    }
    for _ in &lost {
        run.settle();
    }
    Ok((states, lost, first_error))
}
