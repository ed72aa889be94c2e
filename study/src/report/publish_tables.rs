//! The tables the README and the pages show of the published run
//! (`publish.rs` puts them between their markers): the answer, the sweep, "which mode
//! when" and the service work, each from the run's measurements and its
//! analysis, and numbers as each language writes them: English "47,528"
//! and "0.81"; Spanish, following docs/glosario.md, "47 528" (a no-break
//! space, U+00A0, from five digits; "1000" stands alone) and "0,81".

use super::analysis::{self, measured};
use super::cases::{Case, Group};
pub use super::lang::Lang;
use super::markdown::md_table;
use super::run::Report;
use super::service::{how, of_bound};
use super::study::Study;
use super::tables::{counts, verdict_cell};
use super::verdicts::CountVerdict;
use crate::stats::Spread;
use crate::sweep::{find, Point};
use crate::target::{Pair, Target};

/// "47,528 (40,227-50,922)", or the median alone for one window.
fn spread(s: Spread, decimals: usize, lang: Lang) -> String {
    let n = |v: f64| lang.number(v, decimals);
    if s.n == 1 {
        return n(s.median);
    }
    // Spanish typography joins a range with an en dash.
    let dash = if lang == Lang::Es { '\u{2013}' } else { '-' };
    format!("{} ({}{dash}{})", n(s.median), n(s.min), n(s.max))
}

/// A figure of `t`'s point at `n`, or "-".
fn of(sweep: &[Point], t: Target, n: usize, f: impl Fn(&Point) -> Option<String>) -> String {
    find(sweep, t, n).and_then(f).unwrap_or_else(|| "-".into())
}

/// What the README's two sweep tables share: the studied servers the
/// sweep measured, the neighbouring pairs with their verdicts, and the
/// counts.
struct Grid<'a> {
    sweep: &'a [Point],
    studied: Vec<Target>,
    pairs: Vec<Pair>,
    verdicts: Vec<&'a [CountVerdict]>,
    counts: Vec<usize>,
}

impl<'a> Grid<'a> {
    fn of(r: &'a Report) -> Self {
        let sweep = &r.study.sweep;
        let pairs = analysis::neighbours(&r.study);
        Grid {
            sweep,
            studied: measured(Target::every_studied(), sweep),
            verdicts: pairs.iter().map(|&p| r.analysis.verdicts(p)).collect(),
            pairs,
            counts: counts(sweep),
        }
    }

    /// The head: the count, each studied server's messages/s, each pair.
    fn head(&self) -> Vec<String> {
        let vs = |p: &Pair| format!("{} vs {}", p.a.name(), p.b.name());
        let mut head = vec!["connections".to_string()];
        head.extend(self.studied.iter().map(|t| format!("{} msg/s", t.name())));
        head.extend(self.pairs.iter().map(vs));
        head
    }

    /// Count `n`'s row: the count, each studied server's messages/s as
    /// `msgs` writes them, and each pair's verdict as `verdict` does.
    fn row(
        &self,
        n: usize,
        msgs: impl Fn(Target, Spread) -> String,
        mut verdict: impl FnMut(Pair, &CountVerdict) -> String,
    ) -> Vec<String> {
        let mut row = vec![Lang::En.number(n as f64, 0)];
        for &t in &self.studied {
            row.push(of(self.sweep, t, n, |p| Some(msgs(t, p.msgs()?))));
        }
        for (&p, vs) in self.pairs.iter().zip(&self.verdicts) {
            let v = vs.iter().find(|v| v.connections == n);
            row.push(v.map_or("-".into(), |v| verdict(p, v)));
        }
        row
    }
}

/// The README's answer: at every count of the sweep, each studied
/// server's messages/s (median) and, for each compared pair, who carried
/// more beyond noise and by how much, or why there is no verdict.
pub fn answer_table(r: &Report) -> String {
    let g = Grid::of(r);
    let mut no_evidence = false;
    let mut verdict = |p, v: &CountVerdict| {
        no_evidence |= v.unchecked();
        short_verdict(p, v)
    };
    let msgs = |_, s: Spread| Lang::En.number(s.median, 0);
    let rows: Vec<_> = g
        .counts
        .iter()
        .map(|&n| g.row(n, msgs, &mut verdict))
        .collect();
    let mut out = md_table(&g.head(), rows);
    if no_evidence {
        out.push_str(
            "\nNo verdict: the cross-check had no cell with evidence in some placement \
             (the client saturated, or too few windows).\n",
        );
    }
    out
}

/// A verdict in a few words: who was ahead and by how much, or why none.
fn short_verdict(p: Pair, v: &CountVerdict) -> String {
    use super::cross::Outcome;
    use crate::stats::{ratio, Verdict};
    let verdict = match &v.checked {
        Some(Outcome::Holds(verdict)) => *verdict,
        Some(Outcome::DependsOnClient(_)) => return "depends on the client".into(),
        Some(Outcome::NoEvidence) => return "no verdict".into(),
        None => v.verdict,
    };
    let (winner, times) = match verdict {
        Verdict::Higher => (p.a, ratio(&v.a, &v.b).median),
        Verdict::Lower => (p.b, ratio(&v.b, &v.a).median),
        Verdict::NoDifference => return "no difference beyond noise".into(),
    };
    format!("{} ahead, {}x", winner.name(), Lang::En.number(times, 2))
}

/// The full sweep table (docs/bench.md): messages/s of every studied server
/// at every count, the verdicts between neighbouring models (the
/// cross-check's where it measured), and p99, system calls, threads and
/// memory per model.
pub fn sweep_table(r: &Report) -> String {
    let g = Grid::of(r);
    let models = measured(Target::every_model(), g.sweep);
    let names: Vec<&str> = models.iter().map(|t| t.name()).collect();
    let mut head = g.head();
    for what in ["p99 ms", "syscalls/msg", "threads", "RSS MiB"] {
        head.push(format!("{what} ({})", names.join(" / ")));
    }
    let took = r.study.elapsed_s.map_or(String::new(), |s| {
        format!("; `cargo bench` took {} s", Lang::En.number(s, 0))
    });
    let rows = g.counts.iter().map(|&n| readme_row(&g, &models, n));
    format!(
        "From a {} run on the project's machine ({}{took}), medians of {} windows with their range; the whole \
         report, with its findings and charts, is [benchmarks.md](benchmarks.md):\n\n{}",
        r.kind.name(),
        r.machine.one_line(),
        r.study.plan.repeats,
        md_table(&head, rows)
    )
}

/// One count's row of the README's table: messages/s of every studied
/// server (the models' with their range), the verdicts of the pairs, and
/// p99, system calls, threads and memory of each model.
fn readme_row(g: &Grid, models: &[Target], n: usize) -> Vec<String> {
    let msgs = |t: Target, s: Spread| match models.contains(&t) {
        true => spread(s, 0, Lang::En),
        false => Lang::En.number(s.median, 0),
    };
    let per_model = |f: &dyn Fn(&Point) -> Option<String>| {
        models
            .iter()
            .map(|&t| of(g.sweep, t, n, f))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    let mut row = g.row(n, msgs, verdict_cell);
    row.extend([
        per_model(&|p| p.p99().map(|s| ms(s.median))),
        per_model(&|p| p.syscalls_per_msg().map(|s| Lang::En.number(s.median, 3))),
        per_model(&|p| p.threads().map(|s| Lang::En.number(s.median, 0))),
        per_model(&|p| p.rss_mib().map(|s| Lang::En.number(s.median, 1))),
    ]);
    row
}

/// Milliseconds from µs with two significant decimals below 10 ms.
fn ms(us: f64) -> String {
    let v = us / 1000.0;
    Lang::En.number(v, if v < 10.0 { 2 } else { 0 })
}

/// How each guide names the servers in its table's head.
/// (The Spanish guide says which system a model exists on.)
fn label(t: Target, lang: Lang) -> String {
    match (lang, t.model().and_then(|m| m.only_on())) {
        (Lang::Es, Some(system)) => format!("{} ({system})", t.label(lang)),
        _ => t.label(lang).to_string(),
    }
}

/// The guides' one-connection round trip: 16 B echoes.
const ECHO_16_B: Case = Case {
    service: sockmodes_common::Service::Echo,
    bytes: 16,
};

/// The guides' "which mode when" table, in `lang`.
pub fn guide_table(r: &Report, lang: Lang) -> String {
    let study = &r.study;
    let g = Guide {
        study,
        servers: measured(Target::every_studied(), &study.sweep),
        lang,
    };
    let head = g.row("figure", "cifra", &|s| label(s, lang));
    let mut rows: Vec<Vec<String>> = g.latency().into_iter().collect();
    let Some(sweep_rows) = g.sweep_rows() else {
        return String::new();
    };
    rows.extend(sweep_rows);
    rows.extend(g.memory());
    md_table(&head, rows)
}

/// What the guide table's rows need: the run, the servers it shows, and
/// the language every row is written in (each row gives its English and
/// its Spanish side by side).
struct Guide<'a> {
    study: &'a Study,
    servers: Vec<Target>,
    lang: Lang,
}

impl Guide<'_> {
    fn t(&self, en: &str, es: &str) -> String {
        match self.lang {
            Lang::Es => es.to_string(),
            Lang::En => en.to_string(),
        }
    }

    fn num(&self, v: f64, d: usize) -> String {
        self.lang.number(v, d)
    }

    fn conns(&self, n: usize) -> String {
        let word = match (self.lang, n) {
            (Lang::En, 1) => "connection",
            (Lang::En, _) => "connections",
            (Lang::Es, 1) => "conexión",
            (Lang::Es, _) => "conexiones",
        };
        format!("{} {word}", self.num(n as f64, 0))
    }

    /// A row: its name (in English and in Spanish), then one cell per
    /// server.
    fn row(&self, en: &str, es: &str, cell: &dyn Fn(Target) -> String) -> Vec<String> {
        let mut v = vec![self.t(en, es)];
        v.extend(self.servers.iter().map(|&s| cell(s)));
        v
    }

    /// A row of a sweep figure of each server's point at `n`.
    fn at<F>(&self, en: &str, es: &str, n: usize, f: F) -> Vec<String>
    where
        F: Fn(&Point) -> Option<String>,
    {
        self.row(en, es, &|s| of(&self.study.sweep, s, n, &f))
    }

    /// The one-connection round trip of 16 B, beside raw's.
    fn latency(&self) -> Option<Vec<String>> {
        let case = self
            .study
            .cases
            .iter()
            .find(|c| c.group == Group::Latency && c.case == ECHO_16_B)?;
        let raw = case.get(Target::Raw).map_or("-".into(), |v| self.num(v, 1));
        let us = |v: f64| format!("{} µs", self.num(v, 1));
        Some(self.row(
            &format!("echo round trip, 16 B, one connection (median; raw: {raw} µs)"),
            &format!(
                "ida y vuelta de eco, 16 B, una conexión (mediana; servidor mínimo: {raw} µs)"
            ),
            &|s| case.get(s).map_or("-".into(), us),
        ))
    }

    /// The sweep's rows: messages/s at the first, the offered-load and the
    /// last count, then p99, threads and switches at the last, and system
    /// calls at the offered-load count. `None` without a sweep.
    fn sweep_rows(&self) -> Option<Vec<Vec<String>>> {
        let sweep = &self.study.sweep;
        let counts = counts(sweep);
        let (&first, &last) = (counts.first()?, counts.last()?);
        let middle = self.study.plan.load_connections;
        let mut shown = vec![first, middle, last];
        shown.dedup();
        let at = self.num(last as f64, 0);
        let mut rows = Vec::new();
        for n in shown.into_iter().filter(|n| counts.contains(n)) {
            rows.push(self.at(
                &format!("64 B echoes, closed loop, {}", self.conns(n)),
                &format!("ecos de 64 B, lazo cerrado, {}", self.conns(n)),
                n,
                |p| p.msgs().map(|m| format!("{}/s", self.num(m.median, 0))),
            ));
        }
        rows.push(self.at(
            &format!("p99 at {}", self.conns(last)),
            &format!("p99 con {}", self.conns(last)),
            last,
            |p| p.p99().map(|m| format!("{} µs", self.num(m.median, 0))),
        ));
        rows.push(self.at(
            &format!("server threads / context switches per message at {at}"),
            &format!("hilos del servidor / cambios de contexto por mensaje con {at}"),
            last,
            |p| {
                let (threads, switches) = (p.threads()?, p.switches_per_msg()?);
                let (threads, switches) =
                    (self.num(threads.median, 0), self.num(switches.median, 2));
                Some(format!("{threads} / {switches}"))
            },
        ));
        // Every server of the registry counts its system calls; tokio's
        // count leaves out its runtime's own waits and wake-ups, which the
        // others' counts hold: the row says so, so that its lower figure is
        // not read as fewer calls for the same work. A run measured before
        // a server kept the count holds no figure for it: the cell says
        // that of the run, not that the server goes uncounted.
        rows.push(self.row(
            &format!(
                "system calls per message at {} (tokio: without its runtime's waits)",
                self.conns(middle)
            ),
            &format!(
                "llamadas al sistema por mensaje con {} (tokio: sin contar las esperas de su entorno de ejecución)",
                self.conns(middle)
            ),
            &|s| match find(sweep, s, middle) {
                Some(p) => p.syscalls_per_msg().map_or_else(
                    || self.t("not in this run", "no consta en esta medición"),
                    |m| self.num(m.median, 3),
                ),
                None => "-".into(),
            },
        ));
        Some(rows)
    }

    /// Resident memory with the most idle connections measured.
    fn memory(&self) -> Option<Vec<String>> {
        let scale = &self.study.scale;
        let n = scale.iter().map(|p| p.connections).max()?;
        let idle = self.num(n as f64, 0);
        Some(self.row(
            &format!("server memory, {idle} idle connections"),
            &format!("memoria del servidor, {idle} conexiones inactivas"),
            &|s| match scale.iter().find(|p| p.target == s && p.connections == n) {
                Some(p) => format!("{} MiB", self.num(p.rss_mib, 1)),
                None => self.t("not measured", "no se mide"),
            },
        ))
    }
}

/// The table the README and the guides show: every case and setup, its
/// messages/s, ceiling and share, in `lang`.
pub fn page_table(r: &Report, lang: Lang) -> String {
    let cases = &r.analysis.service;
    let Some(first) = cases.first().and_then(|c| c.figures.first()) else {
        return String::new();
    };
    let connections = first.point(&r.study).map_or(0, |p| p.connections);
    let es = lang == Lang::Es;
    let num = |v: f64, d: usize| lang.number(v, d);
    let head = if es {
        "| trabajo | servidor | dónde se hace el trabajo | mensajes/s (mediana, rango) | límite (ley de Little) | fracción del límite | límite de la CPU (medido) | fracción del menor límite | p99 ms |"
    } else {
        "| work | server | where the work runs | messages/s (median, range) | ceiling (Little's law) | share of the ceiling | CPU ceiling (measured) | share of the lower ceiling | p99 ms |"
    };
    let (n, windows) = (num(connections as f64, 0), first.msgs.n);
    let mut out = match (lang, r.kind) {
        (Lang::En, kind) => format!(
            "The published {} run ({n} connections, closed loop, {windows} windows):\n\n",
            kind.name()
        ),
        (Lang::Es, kind) => format!(
            "Ejecución {} publicada ({n} conexiones, lazo cerrado, {windows} ventanas):\n\n",
            kind.pick("de prueba", "rápida", "completa")
        ),
    };
    out += head;
    out += "\n|---|---|---|---|---|---|---|---|---|\n";
    for c in cases {
        for f in &c.figures {
            let p99 = f
                .point(&r.study)
                .and_then(Point::p99)
                .map_or("-".into(), |s| num(s.median / 1000.0, 1));
            out += &format!(
                "| `{}` | {} | {} | {} | {} | {} | {} | {} | {p99} |\n",
                c.work,
                label(f.who.target, lang),
                how(f.who.concurrency, lang),
                spread(f.msgs, 0, lang),
                num(f.ceiling, 0),
                num(f.of_ceiling().median, 2),
                f.cpu_ceiling.map_or("-".into(), |c| num(c, 0)),
                of_bound(f, lang),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guides_tables_have_one_column_per_server_in_either_language() {
        let r = super::super::fixture::report();
        let en = guide_table(&r, Lang::En);
        let es = guide_table(&r, Lang::Es);
        let cells = |t: &str| {
            t.lines()
                .map(|l| l.matches('|').count())
                .collect::<Vec<_>>()
        };
        assert_eq!(cells(&en), cells(&es), "the same shape");
        assert!(
            en.contains("| figure | blocking | nonblocking | completion | tokio |"),
            "{en}"
        );
        assert!(
            es.contains("| cifra | bloqueante | no bloqueante | finalización (Linux) | tokio |")
        );
        assert!(en.contains("1,000 connections"), "{en}");
        assert!(es.contains("1000 conexiones"), "{es}");
        assert!(es.contains("10\u{a0}000 conexiones inactivas"), "{es}");
        let readme = sweep_table(&r);
        assert!(readme.contains("| 100 |"), "{readme}");
        assert!(
            readme.contains("nonblocking ahead with every unsaturated client"),
            "{readme}"
        );
        let answer = answer_table(&r);
        assert!(
            answer.contains("| 10 |") && answer.contains("| 1,000 |"),
            "{answer}"
        );
        assert!(answer.contains("| nonblocking ahead, 1.73x |"), "{answer}");
        assert!(answer.contains("| depends on the client |"), "{answer}");
        assert!(answer.contains("| depends on the client |"), "{answer}");
    }

    #[test]
    fn tokio_shows_its_system_calls_and_a_run_without_them_says_so() {
        let calls = |t: &str| {
            let row = t.lines().find(|l| l.contains("system calls per message"));
            row.or_else(|| t.lines().find(|l| l.contains("llamadas al sistema")))
                .map(str::to_string)
                .unwrap_or_else(|| panic!("no system-call row: {t}"))
        };
        let mut r = super::super::fixture::report();
        let row = calls(&guide_table(&r, Lang::En));
        assert!(row.ends_with("| 2.000 | 2.000 | 2.000 | 2.000 |"), "{row}");
        // A run from before the servers counted their calls.
        for w in r.study.sweep.iter_mut().flat_map(|p| p.windows.iter_mut()) {
            w.cost
                .as_mut()
                .expect("the fixture's cost")
                .syscalls_per_msg = None;
        }
        let row = calls(&guide_table(&r, Lang::En));
        assert!(row.ends_with("| not in this run |"), "{row}");
        assert!(!row.contains("not counted"), "{row}");
        let row = calls(&guide_table(&r, Lang::Es));
        assert!(row.ends_with("| no consta en esta medición |"), "{row}");
    }
}
