//! The service-work section (`service.rs` measured it): each case's setups
//! beside their Little's-law ceilings, and findings computed from them.
//!
//! The figures are typed ([`Figure`], [`Finding`]) and made into text only
//! at the edge: the findings' sentences here ([`show`]), the report's
//! table in `tables.rs` and the pages' in `publish_tables.rs`, so that
//! tests read verdicts, not sentences.
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

use serde::{Deserialize, Serialize};
use sockmodes_common::Work;
use sockmodes_models::ceiling::Concurrency;

use super::forms;
use super::lang::Lang;
use super::study::Study;
use crate::point::Limit;
use crate::service::ceiling;
use crate::setup::concurrency;
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Who {
    pub target: Target,
    #[serde(with = "forms::concurrency")]
    pub concurrency: Concurrency,
}

/// One case of the run: its work, and every setup's figure in the order
/// they were measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceCase {
    #[serde(with = "forms::work")]
    pub work: Work,
    pub figures: Vec<Figure>,
}

/// One setup of one case, over its windows, beside its two ceilings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    pub who: Who,
    /// Where its point is in the study's `service` list.
    pub point: usize,
    /// Messages/s over the windows.
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

impl Figure {
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

    /// Its point in `study` (`None` in a study that is not its own).
    pub fn point<'a>(&self, study: &'a Study) -> Option<&'a Point> {
        study.service.get(self.point)
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
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
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
pub fn cases(study: &Study) -> Vec<ServiceCase> {
    let mut cases: Vec<ServiceCase> = Vec::new();
    for (i, p) in study.service.iter().enumerate() {
        let (Some(f), Some(setup)) = (figure(i, p), p.setup) else {
            continue;
        };
        match cases.iter_mut().find(|c| c.work == setup.work) {
            Some(c) => c.figures.push(f),
            None => cases.push(ServiceCase {
                work: setup.work,
                figures: vec![f],
            }),
        }
    }
    cases
}

fn figure(index: usize, p: &Point) -> Option<Figure> {
    let setup = p.setup?;
    Some(Figure {
        who: Who {
            target: p.target,
            concurrency: concurrency(p.target, setup, p.server_cores.max(1))?,
        },
        point: index,
        msgs: Spread::of(p.msgs_windows())?,
        ceiling: ceiling(p)?,
        cpu_ceiling: cpu_ceiling(p),
    })
}

/// What one case showed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Finding {
    /// Every setup's median beside its ceilings, fastest first.
    Case {
        #[serde(with = "forms::work")]
        work: Work,
        connections: usize,
        figures: Vec<CaseFigure>,
    },
    /// The fastest setup and those within noise of it (`leaders`, in the
    /// order they were measured, so that two runs that agree say the same
    /// sentence whichever of them came first), and those behind it beyond
    /// noise with the ratio of their medians to its.
    Fastest {
        #[serde(with = "forms::work")]
        work: Work,
        leaders: Vec<Who>,
        behind: Vec<(Who, f64)>,
    },
    /// A model's pool against the same model inline.
    Pool {
        #[serde(with = "forms::work")]
        work: Work,
        target: Target,
        inline: f64,
        pooled: (Who, f64),
        verdict: Verdict,
    },
    /// A median over its ceiling (beyond [`OVER_CEILING`]): a bug.
    OverCeiling {
        #[serde(with = "forms::work")]
        work: Work,
        who: Who,
        msgs: f64,
        ceiling: f64,
    },
    /// Setups whose client was saturated: their figures are floors.
    ClientLimited {
        #[serde(with = "forms::work")]
        work: Work,
        who: Vec<Who>,
    },
}

/// The findings of every case of `cases` (the study's own).
pub fn findings(study: &Study, cases: &[ServiceCase]) -> Vec<Finding> {
    cases
        .iter()
        .flat_map(|c| case_findings(study, c.work, &c.figures))
        .collect()
}

/// A figure's messages/s, window by window.
fn windows(study: &Study, f: &Figure) -> Vec<f64> {
    f.point(study).map_or_else(Vec::new, Point::msgs_windows)
}

/// The findings of one case's figures.
fn case_findings(study: &Study, work: Work, fs: &[Figure]) -> Vec<Finding> {
    let Some(best) = fs
        .iter()
        .max_by(|a, b| a.msgs.median.total_cmp(&b.msgs.median))
    else {
        return Vec::new();
    };
    let mut sorted: Vec<&Figure> = fs.iter().collect();
    sorted.sort_by(|a, b| b.msgs.median.total_cmp(&a.msgs.median));
    let connections = best.point(study).map_or(0, |p| p.connections);
    let mut out = vec![Finding::Case {
        work,
        connections,
        figures: sorted.iter().map(|f| f.at_case()).collect(),
    }];
    let best_windows = windows(study, best);
    let behind_best = |f: &Figure| {
        f.who != best.who && compare(&best_windows, &windows(study, f)) == Verdict::Higher
    };
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
    out.extend(pools(study, work, fs));
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
        .filter(|f| {
            f.point(study)
                .is_some_and(|p| matches!(p.limit(), Some(Limit::Client | Limit::Both)))
        })
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
fn pools(study: &Study, work: Work, fs: &[Figure]) -> Vec<Finding> {
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
                verdict: compare(&windows(study, p), &windows(study, inline)),
            })
        })
        .collect()
}

/// How the work ran: "inline", "pool of 64", "one per connection".
pub fn how(c: Concurrency, lang: Lang) -> String {
    let n = |v: u64| lang.number(v as f64, 0);
    match (c, lang) {
        (Concurrency::Inline(1), Lang::En) => "inline".into(),
        (Concurrency::Inline(1), Lang::Es) => "en el propio hilo".into(),
        (Concurrency::Inline(t), Lang::En) => format!("inline on {} threads", n(t)),
        (Concurrency::Inline(t), Lang::Es) => format!("en sus {} hilos", n(t)),
        (Concurrency::Pool(w), Lang::En) => format!("pool of {}", n(w)),
        (Concurrency::Pool(w), Lang::Es) => format!("reserva de {} hilos", n(w)),
        (Concurrency::PerConnection, Lang::En) => "one per connection".into(),
        (Concurrency::PerConnection, Lang::Es) => "uno por conexión".into(),
    }
}

/// "nonblocking, pool of 64".
pub fn who(w: Who, lang: Lang) -> String {
    format!("{}, {}", w.target.name(), how(w.concurrency, lang))
}

fn list(who_list: &[Who]) -> String {
    who_list
        .iter()
        .map(|&w| who(w, Lang::En))
        .collect::<Vec<_>>()
        .join("; ")
}

pub fn n(v: f64) -> String {
    Lang::En.number(v, 0)
}

fn pct(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// "nonblocking, inline 990 msg/s (ceiling 1,000: 99% of it)", and where
/// the measured CPU allowed less than Little's law, "...; CPU-bound: its
/// cores allowed 38,000, 97% of that)".
fn case_figure(f: &CaseFigure) -> String {
    let little = format!(
        "{} {} msg/s (ceiling {}: {} of it",
        who(f.who, Lang::En),
        n(f.msgs),
        n(f.ceiling),
        pct(f.msgs / f.ceiling)
    );
    match f.cpu_bound() {
        Some(cpu) => format!(
            "{little}; CPU-bound: its cores allowed {}, {} of that)",
            n(cpu),
            pct(f.msgs / cpu)
        ),
        None => little + ")",
    }
}

/// One finding as a sentence of the report.
pub fn show(f: &Finding) -> String {
    match f {
        Finding::Case {
            work,
            connections,
            figures,
        } => {
            let parts: Vec<String> = figures.iter().map(case_figure).collect();
            format!(
                "Service work, `{work}` per message at {} connections: {}.",
                n(*connections as f64),
                parts.join("; ")
            )
        }
        Finding::Fastest {
            work,
            leaders,
            behind,
        } => {
            let mut s = match leaders.len() {
                1 => format!("Fastest with `{work}`: {}", list(leaders)),
                _ => format!(
                    "Fastest with `{work}`, within noise of each other: {}",
                    list(leaders)
                ),
            };
            if !behind.is_empty() {
                let b: Vec<String> = behind
                    .iter()
                    .map(|&(w, r)| format!("{} ({r:.2}x the fastest)", who(w, Lang::En)))
                    .collect();
                s += &format!("; behind beyond noise: {}", b.join("; "));
            }
            s + "."
        }
        Finding::Pool {
            work,
            target,
            inline,
            pooled: (w, msgs),
            verdict,
        } => {
            let ratio = msgs / inline.max(1e-12);
            let what = match verdict {
                Verdict::Higher => format!("took {} from {} to {} msg/s ({ratio:.2}x, beyond noise)", target.name(), n(*inline), n(*msgs)),
                Verdict::Lower => format!("slowed {} from {} to {} msg/s ({ratio:.2}x, beyond noise)", target.name(), n(*inline), n(*msgs)),
                Verdict::NoDifference => format!("made no difference beyond noise to {} ({} msg/s inline, {} with the pool)", target.name(), n(*inline), n(*msgs)),
            };
            format!("With `{work}`, a {} {what}.", how(w.concurrency, Lang::En))
        }
        Finding::OverCeiling {
            work,
            who: w,
            msgs,
            ceiling,
        } => format!(
            "**A FIGURE OVER ITS CEILING**: {} carried {} msg/s with `{work}`, over its ceiling of {}: a bug in the server or in the measurement.",
            who(*w, Lang::En),
            n(*msgs),
            n(*ceiling)
        ),
        Finding::ClientLimited { work, who: w } => format!(
            "With `{work}` the client was saturated against {}: those figures are the client's limit, floors for the servers.",
            list(w)
        ),
    }
}

/// "0.97 (CPU)": messages/s over the lower ceiling, and which it is (the
/// names read the same in both languages).
pub fn of_bound(f: &Figure, lang: Lang) -> String {
    let (bound, which) = f.bound();
    let name = match which {
        Bound::Concurrency => "Little",
        Bound::Cpu => "CPU",
    };
    format!("{} ({name})", lang.number(f.msgs.median / bound, 2))
}

#[cfg(test)]
mod tests {

    use sockmodes_models::ceiling::Concurrency;

    use super::super::fixture::{self, service_point, EVENT_LOOP, RING, THREADS};
    use super::super::lang::Lang;
    use super::super::publish_tables::page_table;
    use super::*;

    fn work(s: &str) -> Work {
        s.parse().unwrap()
    }

    /// The findings of `study`'s service cases.
    fn findings_of(study: &Study) -> Vec<Finding> {
        findings(study, &cases(study))
    }

    fn study_with(service: Vec<Point>) -> Study {
        let mut study = fixture::report().study;
        study.service = service;
        study
    }

    fn of_case(fs: &[Finding], w: &str) -> Vec<Finding> {
        let w = work(w);
        fs.iter()
            .filter(|f| match f {
                Finding::Case { work, .. }
                | Finding::Fastest { work, .. }
                | Finding::Pool { work, .. }
                | Finding::OverCeiling { work, .. }
                | Finding::ClientLimited { work, .. } => *work == w,
            })
            .cloned()
            .collect()
    }

    const NB_INLINE: Who = Who {
        target: EVENT_LOOP,
        concurrency: Concurrency::Inline(1),
    };

    #[test]
    fn every_figure_stands_beside_its_ceiling_fastest_first() {
        let fs = findings_of(&study_with(fixture::service()));
        let Some(Finding::Case {
            connections,
            figures,
            ..
        }) = of_case(&fs, "block:1ms").first().cloned()
        else {
            panic!("no case finding: {fs:?}");
        };
        assert_eq!(connections, 100);
        let ceilings: Vec<(Who, f64)> = figures.iter().map(|f| (f.who, f.ceiling)).collect();
        assert!(ceilings.contains(&(NB_INLINE, 1_000.0)));
        assert!(ceilings.contains(&(
            Who {
                target: EVENT_LOOP,
                concurrency: Concurrency::Pool(64)
            },
            64_000.0
        )));
        assert!(ceilings.contains(&(
            Who {
                target: THREADS,
                concurrency: Concurrency::PerConnection
            },
            100_000.0
        )));
        let msgs: Vec<f64> = figures.iter().map(|f| f.msgs).collect();
        assert!(
            msgs.windows(2).all(|w| w[0] >= w[1]),
            "fastest first: {msgs:?}"
        );
        let text = show(&of_case(&fs, "block:1ms")[0]);
        assert!(
            text.contains("nonblocking, inline 990 msg/s (ceiling 1,000: 99% of it)"),
            "{text}"
        );
    }

    #[test]
    fn the_fastest_is_tied_with_what_is_within_noise_and_ahead_of_the_rest() {
        let fs = findings_of(&study_with(fixture::service()));
        let (leaders, behind) = of_case(&fs, "block:1ms")
            .into_iter()
            .find_map(|f| match f {
                Finding::Fastest {
                    leaders, behind, ..
                } => Some((leaders, behind)),
                _ => None,
            })
            .unwrap();
        // 45k (the thread per connection) and both pools at 44k, in the order
        // measured, whichever was fastest.
        let leaders: Vec<(Target, Concurrency)> =
            leaders.iter().map(|w| (w.target, w.concurrency)).collect();
        assert_eq!(
            leaders,
            [
                (THREADS, Concurrency::PerConnection),
                (EVENT_LOOP, Concurrency::Pool(64)),
                (RING, Concurrency::Pool(64)),
            ]
        );
        assert_eq!(behind.len(), 2, "both inline loops behind");
        for (w, ratio) in &behind {
            assert_eq!(w.concurrency, Concurrency::Inline(1));
            assert!((ratio - 990.0 / 45e3).abs() < 1e-9, "{ratio}");
        }
        let text = show(
            of_case(&fs, "block:1ms")
                .iter()
                .find(|f| matches!(f, Finding::Fastest { .. }))
                .unwrap(),
        );
        assert!(
        text.starts_with("Fastest with `block:1ms`, within noise of each other: blocking, one per connection; nonblocking, pool of 64; completion, pool of 64; behind beyond noise: nonblocking, inline (0.02x the fastest)"),
        "{text}"
    );
        // Computing on one core: every setup within noise of the fastest.
        let cpu = of_case(&fs, "cpu:20us");
        assert!(cpu
            .iter()
            .any(|f| matches!(f, Finding::Fastest { behind, .. } if behind.is_empty())));
    }

    #[test]
    fn a_pool_helps_a_blocking_call_and_not_computing_on_one_core() {
        let fs = findings_of(&study_with(fixture::service()));
        let pools = |w: &str| -> Vec<Verdict> {
            of_case(&fs, w)
                .into_iter()
                .filter_map(|f| match f {
                    Finding::Pool { verdict, .. } => Some(verdict),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(pools("block:1ms"), [Verdict::Higher, Verdict::Higher]);
        assert_eq!(pools("cpu:20us"), [Verdict::NoDifference; 2]);
        assert!(pools("wait:1ms").is_empty(), "a wait has no pool");
        let text = show(
            of_case(&fs, "block:1ms")
                .iter()
                .find(|f| matches!(f, Finding::Pool { .. }))
                .unwrap(),
        );
        assert!(
        text.starts_with("With `block:1ms`, a pool of 64 took nonblocking from 990 to 44,000 msg/s (44.44x, beyond noise)"),
        "{text}"
    );
    }

    #[test]
    fn a_figure_over_its_ceiling_is_a_bug_and_one_within_the_window_edge_is_not() {
        let at = |m: f64| vec![service_point(EVENT_LOOP, "block:1ms", None, &[m; 5])];
        let over = |fs: &[Finding]| fs.iter().any(|f| matches!(f, Finding::OverCeiling { .. }));
        assert!(over(&findings_of(&study_with(at(1_100.0)))));
        assert!(!over(&findings_of(&study_with(at(1_015.0)))), "within 2%");
        assert!(!over(&findings_of(&study_with(fixture::service()))));
        let text = show(
            findings_of(&study_with(at(1_100.0)))
                .iter()
                .find(|f| matches!(f, Finding::OverCeiling { .. }))
                .unwrap(),
        );
        assert!(
            text.contains("1,100 msg/s") && text.contains("ceiling of 1,000"),
            "{text}"
        );
    }

    #[test]
    fn a_saturated_client_is_named_and_an_idle_one_is_not() {
        let mut points = fixture::service();
        let limited = |fs: &[Finding]| -> Vec<Who> {
            fs.iter()
                .flat_map(|f| match f {
                    Finding::ClientLimited { who, .. } => who.clone(),
                    _ => Vec::new(),
                })
                .collect()
        };
        assert!(limited(&findings_of(&study_with(points.clone()))).is_empty());
        for w in &mut points[0].windows {
            w.load.client_cpu_utilization = Some(0.95);
        }
        let who = limited(&findings_of(&study_with(points)));
        assert_eq!(who.len(), 1);
        assert_eq!(who[0].target, THREADS);
    }

    #[test]
    fn no_service_points_no_findings_and_no_table() {
        let study = study_with(Vec::new());
        assert!(findings_of(&study).is_empty());
        let r = fixture::report_of(study);
        assert!(!super::super::tables::all(&r)
            .iter()
            .any(|t| t.heading.starts_with("Service work")));
        assert_eq!(page_table(&r, Lang::En), "");
    }

    #[test]
    fn the_pages_table_is_in_each_guides_language() {
        let r = fixture::report();
        let en = page_table(&r, Lang::En);
        let es = page_table(&r, Lang::Es);
        assert!(
            en.contains("| `block:1ms` | nonblocking | inline | 990 (950-1,020) | 1,000 | 0.99 |"),
            "{en}"
        );
        assert!(
        es.contains(
            "| `block:1ms` | no bloqueante | en el propio hilo | 990 (950\u{2013}1020) | 1000 | 0,99 |"
        ),
        "{es}"
    );
        assert!(
            es.contains("reserva de 64 hilos") && es.contains("44\u{a0}000"),
            "{es}"
        );
        assert_eq!(en.lines().filter(|l| l.starts_with("| `")).count(), 13);
    }

    /// The fixture's windows cost 5 µs of server CPU a message: a thread per
    /// connection at 45,000 msg/s that cost 22 µs instead is bound by its one
    /// core (about 45,455 msg/s), far under Little's 100,000.
    #[test]
    fn a_setup_whose_cpu_allows_less_than_littles_law_is_named_cpu_bound() {
        let mut points = fixture::service();
        for p in points.iter_mut().filter(|p| p.target == THREADS) {
            for w in &mut p.windows {
                let cost = w.cost.as_mut().expect("the fixture measures the server");
                cost.user_us_per_msg = 2.0;
                cost.system_us_per_msg = 20.0;
            }
        }
        let points_again = points.clone();
        let fs = findings_of(&study_with(points));
        let Some(Finding::Case { figures, .. }) = of_case(&fs, "block:1ms").first().cloned() else {
            panic!("no case finding: {fs:?}");
        };
        let threads = figures
            .iter()
            .find(|f| f.who.target == THREADS)
            .expect("the thread per connection's figure");
        let cpu = threads.cpu_bound().expect("its CPU is the lower ceiling");
        assert!((cpu - 1e6 / 22.0).abs() < 1.0, "{cpu}");
        // The loops' CPU (5 µs a message: 200,000) is over their Little's law.
        let inline = figures.iter().find(|f| f.who == NB_INLINE).unwrap();
        assert_eq!(inline.cpu_bound(), None);
        let text = show(&of_case(&fs, "block:1ms")[0]);
        assert!(
            text.contains(
                "(ceiling 100,000: 45% of it; CPU-bound: its cores allowed 45,455, 99% of that)"
            ),
            "{text}"
        );
        let r = fixture::report_of(study_with(points_again));
        let en = page_table(&r, Lang::En);
        assert!(
        en.contains("| `block:1ms` | blocking | one per connection | 45,000 (43,200-46,350) | 100,000 | 0.45 | 45,455 | 0.99 (CPU) |"),
        "{en}"
    );
        assert!(
        en.contains("| `block:1ms` | nonblocking | inline | 990 (950-1,020) | 1,000 | 0.99 | 200,000 | 0.99 (Little) |"),
        "{en}"
    );
    }
}
