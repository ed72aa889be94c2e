//! Who drives a window: the client's load engine and where the two sides
//! run. On one machine the client shares the cores with the server, so
//! every figure is of the pair; the study names its driver beside each
//! figure, and the cross-check (`crosscheck.rs`) varies it.

use serde::{Deserialize, Serialize};
use sockmodes_models::Model;

use crate::affinity::Placement;

/// A client engine of the registry (`Model::CLIENTS`) and a placement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Driver {
    /// The load engine: `sockmodes load --mode ENGINE`.
    pub engine: Model,
    pub placement: Placement,
}

impl Driver {
    /// The sweep's driver: the event-loop engine (the cheapest per message
    /// the registry has, so the client saturates last) in `placement`.
    pub fn sweep(placement: Placement) -> Driver {
        Driver {
            engine: Model::NON_BLOCKING,
            placement,
        }
    }

    /// Every driver of the cross-check: each of the registry's
    /// cross-check engines (`Model::CROSS_CHECK_CLIENTS`) in each of
    /// `placements`, the sweep's own first where its placement is one.
    pub fn every(sweep: Driver, placements: &[Placement]) -> Vec<Driver> {
        let first = placements.contains(&sweep.placement).then_some(sweep);
        let each = placements.iter().flat_map(|&placement| {
            Model::CROSS_CHECK_CLIENTS.map(|engine| Driver { engine, placement })
        });
        distinct(first.into_iter().chain(each))
    }

    /// "nonblocking client, split": how tables and logs name it.
    pub fn describe(self) -> String {
        format!("{} client, {}", self.engine.name(), self.placement.name())
    }

    /// A shorter name for chart categories: "nonblocking/split".
    pub fn short(self) -> String {
        format!("{}/{}", self.engine.name(), self.placement.name())
    }
}

/// Each of `items` once, in the order they first come: the drivers of a
/// set of cells, or the engines among some drivers.
pub fn distinct<T: PartialEq>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut out = Vec::new();
    for x in items {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_engine_meets_every_placement_once_the_sweeps_first() {
        let sweep = Driver::sweep(Placement::for_sweep());
        let placements = Placement::for_cross_check();
        let all = Driver::every(sweep, &placements);
        assert_eq!(all[0], sweep);
        assert_eq!(
            all.len(),
            Model::CROSS_CHECK_CLIENTS.len() * placements.len()
        );
        for p in placements {
            for e in Model::CROSS_CHECK_CLIENTS {
                let d = Driver {
                    engine: e,
                    placement: p,
                };
                assert_eq!(all.iter().filter(|&&x| x == d).count(), 1, "{d:?}");
            }
        }
        // Without the sweep's placement, neither is the sweep's driver.
        let others = Driver::every(sweep, &[Placement::Unpinned, Placement::Budget]);
        assert!(!others.contains(&sweep));
        assert_eq!(others.len(), 2 * Model::CROSS_CHECK_CLIENTS.len());
        assert!(others.iter().all(|d| d.placement != Placement::Split));
    }
}
