//! The service-work section (`service.rs` measured it): each case's setups
//! beside their Little's-law ceilings, and findings computed from them.
//!
//! The figures are typed ([`Figure`], [`Finding`]) and made into text only
//! at the edge ([`show`], [`table`], and the guides' table in
//! `service_show.rs`), so that tests read verdicts, not sentences.
//!
//! Each figure has two ceilings. Little's law's comes from the setup alone
//! (concurrency / time per message, and the work's own CPU on the server's
//! cores). The CPU's is measured: the server's cores over the CPU it spent
//! per message in the window, its work's and its I/O's. A blocking call
//! costs no CPU of its own, yet waking a thread for it does: a thread per
//! connection sleeping 1 ms a message can have 1,000 messages in work, and
//! still its one core, at 17-27 µs of wake-ups and socket calls a message,
//! carries no more than 37,000-58,000. The lower of the two is the bound a
//! setup can reach on this machine ([`Figure::bound`]); how near it came is
//! what tells a setup that is held back from one that is simply full.
//!
//! The findings, for each case:
//! - every setup's messages/s as a share of its ceiling, and of its bound
//!   where the CPU is lower ([`Finding::Case`]);
//! - the fastest setup, and which others are within noise of it or behind it
//!   beyond noise ([`Finding::Fastest`]: the sweep's noise rule);
//! - what a pool did for each model that has one ([`Finding::Pool`]);
//! - any figure over its ceiling, which is a bug ([`Finding::OverCeiling`]);
//! - setups whose client was saturated, whose figures are then the
//!   client's, not the server's ([`Finding::ClientLimited`]).

use sockmodes_common::Work;
use sockmodes_models::ceiling::Concurrency;

use super::Study;
use crate::point::Limit;
use crate::service::{ceiling, concurrency};
use crate::stats::{compare, Spread, Verdict};
use crate::sweep::Point;
use crate::target::Target;

/// A figure over its ceiling by more than this share is reported as a bug.
///
/// Why 2%, on the median of the windows: a window counts the answers that
/// landed in it, and answers worked before its start can land inside. A
/// server that sends in batches lands a whole batch: in a quick run (0.5 s
/// windows) the completion server, blocking 1 ms inline and submitting its
/// sends once per pass of its ring, had one window of five at 1,047 msg/s
/// against its ceiling of 1,000, and a median of 958. And `cpu` work is
/// calibrated at start-up, so its cost is known to a few percent. A median
/// beyond that is no window edge.
pub const OVER_CEILING: f64 = 1.02;

/// Which server, and how its work ran: how figures and findings name a
/// setup without naming a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Who {
    pub target: Target,
    pub concurrency: Concurrency,
}

/// One setup of one case, over its windows.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure<'a> {
    pub who: Who,
    pub point: &'a Point,
    /// Messages/s, window by window.
    pub windows: Vec<f64>,
    pub msgs: Spread,
    /// Little's law's ceiling, msg/s.
    pub ceiling: f64,
    /// The measured ceiling: the server's cores over its median CPU per
    /// message, msg/s (`None` without a server measurement).
    pub cpu_ceiling: Option<f64>,
}

/// Which ceiling is the lower, and so bounds a setup here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// Little's law: the setup's concurrency over its work time.
    Concurrency,
    /// The server's cores over its measured CPU per message.
    Cpu,
}

impl Figure<'_> {
    /// Messages/s as a share of the ceiling, over the windows.
    pub fn of_ceiling(&self) -> Spread {
        self.msgs.scaled(self.ceiling)
    }

    /// The lower of the two ceilings, and which it is.
    pub fn bound(&self) -> (f64, Bound) {
        match self.cpu_ceiling {
            Some(cpu) if cpu < self.ceiling => (cpu, Bound::Cpu),
            _ => (self.ceiling, Bound::Concurrency),
        }
    }

    /// What [`Finding::Case`] says of this figure.
    fn at_case(&self) -> CaseFigure {
        CaseFigure {
            who: self.who,
            msgs: self.msgs.median,
            ceiling: self.ceiling,
            cpu_ceiling: self.cpu_ceiling,
        }
    }
}

/// One setup's median beside its ceilings, as [`Finding::Case`] holds it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CaseFigure {
    pub who: Who,
    pub msgs: f64,
    /// Little's law's, msg/s.
    pub ceiling: f64,
    /// The measured CPU's, msg/s.
    pub cpu_ceiling: Option<f64>,
}

impl CaseFigure {
    /// The CPU's ceiling where it is the lower of the two.
    pub fn cpu_bound(&self) -> Option<f64> {
        self.cpu_ceiling.filter(|&c| c < self.ceiling)
    }
}

/// The server's cores over its median CPU per message, msg/s.
fn cpu_ceiling(p: &Point) -> Option<f64> {
    let per_msg_us = p.cpu_per_msg()?.median;
    (per_msg_us > 0.0).then(|| p.server_cores.max(1) as f64 * 1e6 / per_msg_us)
}

/// Every case of the run, in plan order, with its setups' figures in the
/// order they were measured.
pub fn figures(study: &Study) -> Vec<(Work, Vec<Figure<'_>>)> {
    let mut cases: Vec<(Work, Vec<Figure>)> = Vec::new();
    for p in &study.service {
        let Some(f) = figure(p) else { continue };
        let work = p.setup.expect("figure() has a setup").work;
        match cases.iter_mut().find(|(w, _)| *w == work) {
            Some((_, fs)) => fs.push(f),
            None => cases.push((work, vec![f])),
        }
    }
    cases
}

fn figure(p: &Point) -> Option<Figure<'_>> {
    let setup = p.setup?;
    let windows = p.msgs_windows();
    Some(Figure {
        who: Who {
            target: p.target,
            concurrency: concurrency(p.target, setup, p.server_cores.max(1))?,
        },
        point: p,
        msgs: Spread::of(windows.iter().copied())?,
        windows,
        ceiling: ceiling(p)?,
        cpu_ceiling: cpu_ceiling(p),
    })
}

/// What one case showed.
#[derive(Debug, Clone, PartialEq)]
pub enum Finding {
    /// Every setup's median beside its ceilings, fastest first.
    Case {
        work: Work,
        connections: usize,
        figures: Vec<CaseFigure>,
    },
    /// The fastest setup and those within noise of it (`leaders`, in the
    /// order they were measured, so that two runs that agree say the same
    /// sentence whichever of them came first), and those behind it beyond
    /// noise with the ratio of their medians to its.
    Fastest {
        work: Work,
        leaders: Vec<Who>,
        behind: Vec<(Who, f64)>,
    },
    /// A model's pool against the same model inline.
    Pool {
        work: Work,
        target: Target,
        inline: f64,
        pooled: (Who, f64),
        verdict: Verdict,
    },
    /// A median over its ceiling (beyond [`OVER_CEILING`]): a bug.
    OverCeiling {
        work: Work,
        who: Who,
        msgs: f64,
        ceiling: f64,
    },
    /// Setups whose client was saturated: their figures are floors.
    ClientLimited { work: Work, who: Vec<Who> },
}

/// The findings of every case.
pub fn findings(study: &Study) -> Vec<Finding> {
    figures(study)
        .iter()
        .flat_map(|(work, fs)| case_findings(*work, fs))
        .collect()
}

/// The findings of one case's figures.
pub fn case_findings(work: Work, fs: &[Figure]) -> Vec<Finding> {
    let Some(best) = fs
        .iter()
        .max_by(|a, b| a.msgs.median.total_cmp(&b.msgs.median))
    else {
        return Vec::new();
    };
    let mut sorted: Vec<&Figure> = fs.iter().collect();
    sorted.sort_by(|a, b| b.msgs.median.total_cmp(&a.msgs.median));
    let mut out = vec![Finding::Case {
        work,
        connections: best.point.connections,
        figures: sorted.iter().map(|f| f.at_case()).collect(),
    }];
    let behind_best =
        |f: &Figure| f.who != best.who && compare(&best.windows, &f.windows) == Verdict::Higher;
    out.push(Finding::Fastest {
        work,
        leaders: fs
            .iter()
            .filter(|f| !behind_best(f))
            .map(|f| f.who)
            .collect(),
        behind: sorted
            .iter()
            .filter(|f| behind_best(f))
            .map(|f| (f.who, f.msgs.median / best.msgs.median.max(1e-12)))
            .collect(),
    });
    out.extend(pools(work, fs));
    out.extend(
        fs.iter()
            .filter(|f| f.msgs.median > OVER_CEILING * f.ceiling)
            .map(|f| Finding::OverCeiling {
                work,
                who: f.who,
                msgs: f.msgs.median,
                ceiling: f.ceiling,
            }),
    );
    let saturated: Vec<Who> = fs
        .iter()
        .filter(|f| matches!(f.point.limit(), Some(Limit::Client | Limit::Both)))
        .map(|f| f.who)
        .collect();
    if !saturated.is_empty() {
        out.push(Finding::ClientLimited {
            work,
            who: saturated,
        });
    }
    out
}

/// Each model with a pool: the pool's setup against the inline one.
fn pools(work: Work, fs: &[Figure]) -> Vec<Finding> {
    let pooled = |f: &&Figure| matches!(f.who.concurrency, Concurrency::Pool(_));
    fs.iter()
        .filter(pooled)
        .filter_map(|p| {
            let inline = fs
                .iter()
                .find(|f| f.who.target == p.who.target && !pooled(f))?;
            Some(Finding::Pool {
                work,
                target: p.who.target,
                inline: inline.msgs.median,
                pooled: (p.who, p.msgs.median),
                verdict: compare(&p.windows, &inline.windows),
            })
        })
        .collect()
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
