//! The tables the README and the guides show of the published run
//! (`publish.rs` puts them between their markers), and numbers as each
//! language writes them: English "47,528" and "0.81"; Spanish, following
//! docs/glosario.md, "47 528" (a no-break space, U+00A0, from five digits;
//! "1000" stands alone) and "0,81".

pub use super::lang::{number, Lang};
use super::verdicts::checked_verdicts;
use super::Report;
use crate::stats::{Spread, Verdict};
use crate::sweep::{find, Point};
use crate::target::Target;

/// "47,528 (40,227-50,922)", or the median alone for one window.
fn spread(s: Spread, decimals: usize, lang: Lang) -> String {
    let n = |v: f64| number(v, decimals, lang);
    if s.n == 1 {
        return n(s.median);
    }
    format!("{} ({}-{})", n(s.median), n(s.min), n(s.max))
}

/// A figure of `t`'s point at `n`, or "-".
fn of(sweep: &[Point], t: Target, n: usize, f: impl Fn(&Point) -> Option<String>) -> String {
    find(sweep, t, n).and_then(f).unwrap_or_else(|| "-".into())
}

/// The README's sweep table: messages/s of every studied server at every
/// count, the verdicts between neighbouring models (the cross-check's where
/// it measured), and p99, system calls, threads and memory per model.
pub fn readme_table(r: &Report) -> String {
    let sweep = &r.study.sweep;
    let models: Vec<Target> = Target::every_model()
        .into_iter()
        .filter(|&t| sweep.iter().any(|p| p.target == t))
        .collect();
    let studied: Vec<Target> = Target::every_studied()
        .into_iter()
        .filter(|&t| sweep.iter().any(|p| p.target == t))
        .collect();
    let pairs: Vec<(Target, Target)> = models.windows(2).map(|w| (w[0], w[1])).collect();
    let names = models
        .iter()
        .map(|t| t.name())
        .collect::<Vec<_>>()
        .join(" / ");
    let mut head: Vec<String> = vec!["connections".into()];
    head.extend(studied.iter().map(|t| format!("{} msg/s", t.name())));
    head.extend(
        pairs
            .iter()
            .map(|(a, b)| format!("{} vs {}", a.name(), b.name())),
    );
    for what in ["p99 ms", "syscalls/msg", "threads", "RSS MiB"] {
        head.push(format!("{what} ({names})"));
    }
    let verdicts: Vec<_> = pairs
        .iter()
        .map(|&(a, b)| checked_verdicts(&r.study, &r.cross_verdicts, a, b))
        .collect();
    let mut counts: Vec<usize> = sweep.iter().map(|p| p.connections).collect();
    counts.dedup();
    let took = r.study.elapsed_s.map_or(String::new(), |s| {
        format!("; `cargo bench` took {} s", number(s, 0, Lang::En))
    });
    let mut out = format!(
        "From a {} run on the project's machine ({}{took}), medians of {} windows with their range; the whole \
         report, with its findings and charts, is [docs/benchmarks.md](docs/benchmarks.md):\n\n",
        r.mode.name(),
        r.machine.one_line(),
        r.study.plan.repeats
    );
    out.push_str(&format!(
        "| {} |\n|{}\n",
        head.join(" | "),
        "---|".repeat(head.len())
    ));
    for n in counts {
        let mut row = vec![number(n as f64, 0, Lang::En)];
        for &t in &studied {
            let digits = if models.contains(&t) { None } else { Some(()) };
            row.push(of(sweep, t, n, |p| {
                let s = p.msgs()?;
                Some(match digits {
                    None => spread(s, 0, Lang::En),
                    Some(()) => number(s.median, 0, Lang::En),
                })
            }));
        }
        for (&(a, b), vs) in pairs.iter().zip(&verdicts) {
            row.push(vs.iter().find(|v| v.connections == n).map_or(
                "-".into(),
                |v| match &v.checked {
                    Some(o) => super::cross_show::outcome_words(a, b, o),
                    None => match v.verdict {
                        Verdict::Higher => format!("{} ahead", a.name()),
                        Verdict::Lower => format!("{} ahead", b.name()),
                        Verdict::NoDifference => "no difference beyond noise".into(),
                    },
                },
            ));
        }
        let per_model = |f: &dyn Fn(&Point) -> Option<String>| {
            models
                .iter()
                .map(|&t| of(sweep, t, n, f))
                .collect::<Vec<_>>()
                .join(" / ")
        };
        row.push(per_model(&|p| p.p99().map(|s| ms(s.median))));
        row.push(per_model(&|p| {
            p.syscalls_per_msg().map(|s| number(s.median, 3, Lang::En))
        }));
        row.push(per_model(&|p| {
            p.threads().map(|s| number(s.median, 0, Lang::En))
        }));
        row.push(per_model(&|p| {
            p.rss_mib().map(|s| number(s.median, 1, Lang::En))
        }));
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    out
}

/// Milliseconds from µs with two significant decimals below 10 ms.
fn ms(us: f64) -> String {
    let v = us / 1000.0;
    number(v, if v < 10.0 { 2 } else { 0 }, Lang::En)
}

/// How each guide names the servers in its table's head.
pub(super) fn label(t: Target, lang: Lang) -> &'static str {
    match (lang, t.mode()) {
        (Lang::En, Some(m)) => m.name(),
        (Lang::Es, Some(sockmodes::IoMode::Blocking)) => "bloqueante",
        (Lang::Es, Some(sockmodes::IoMode::NonBlocking)) => "no bloqueante",
        (Lang::Es, Some(_)) => "finalización (Linux)",
        (_, None) => t.name(),
    }
}

/// The guides' "which mode when" table, in `lang`.
pub fn guide_table(r: &Report, lang: Lang) -> String {
    let study = &r.study;
    let sweep = &study.sweep;
    let servers: Vec<Target> = Target::every_studied()
        .into_iter()
        .filter(|&t| sweep.iter().any(|p| p.target == t))
        .collect();
    let es = lang == Lang::Es;
    let t = |en: &str, es_text: &str| {
        if es {
            es_text.to_string()
        } else {
            en.to_string()
        }
    };
    let num = |v: f64, d: usize| number(v, d, lang);
    let conns = |n: usize| {
        let word = match (es, n) {
            (false, 1) => "connection",
            (false, _) => "connections",
            (true, 1) => "conexión",
            (true, _) => "conexiones",
        };
        format!("{} {word}", num(n as f64, 0))
    };
    let mut head = vec![t("figure", "cifra")];
    head.extend(servers.iter().map(|&s| label(s, lang).to_string()));
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut row = |name: String, cell: &dyn Fn(Target) -> String| {
        let mut v = vec![name];
        v.extend(servers.iter().map(|&s| cell(s)));
        rows.push(v);
    };
    if let Some(case) = study
        .cases
        .iter()
        .find(|c| c.group == "latency" && c.case == "echo 16 B")
    {
        let raw = case.get(Target::Raw).map_or("-".into(), |v| num(v, 1));
        row(
            t(
                &format!("echo round trip, 16 B, one connection (median; raw: {raw} µs)"),
                &format!("ida y vuelta de eco, 16 B, una conexión (mediana; raw: {raw} µs)"),
            ),
            &|s| {
                case.get(s)
                    .map_or("-".into(), |v| format!("{} µs", num(v, 1)))
            },
        );
    }
    let mut counts: Vec<usize> = sweep.iter().map(|p| p.connections).collect();
    counts.dedup();
    let (Some(&first), Some(&last)) = (counts.first(), counts.last()) else {
        return String::new();
    };
    let middle = study.plan.load_connections;
    let mut shown = vec![first, middle, last];
    shown.dedup();
    for n in shown.into_iter().filter(|n| counts.contains(n)) {
        row(
            t(
                &format!("64 B echoes, closed loop, {}", conns(n)),
                &format!("ecos de 64 B, lazo cerrado, {}", conns(n)),
            ),
            &|s| {
                of(sweep, s, n, |p| {
                    p.msgs().map(|m| format!("{}/s", num(m.median, 0)))
                })
            },
        );
    }
    row(
        t(
            &format!("p99 at {}", conns(last)),
            &format!("p99 con {}", conns(last)),
        ),
        &|s| {
            of(sweep, s, last, |p| {
                p.p99().map(|m| format!("{} µs", num(m.median, 0)))
            })
        },
    );
    row(
        t(
            &format!(
                "server threads / context switches per message at {}",
                num(last as f64, 0)
            ),
            &format!(
                "hilos del servidor / cambios de contexto por mensaje con {}",
                num(last as f64, 0)
            ),
        ),
        &|s| {
            of(sweep, s, last, |p| {
                Some(format!(
                    "{} / {}",
                    num(p.threads()?.median, 0),
                    num(p.switches_per_msg()?.median, 2)
                ))
            })
        },
    );
    row(
        t(
            &format!("system calls per message at {}", conns(middle)),
            &format!("llamadas al sistema por mensaje con {}", conns(middle)),
        ),
        &|s| match s.mode() {
            Some(_) => of(sweep, s, middle, |p| {
                p.syscalls_per_msg().map(|m| num(m.median, 3))
            }),
            None => t("not counted", "no se cuentan"),
        },
    );
    if let Some(n) = study.scale.iter().map(|p| p.connections).max() {
        row(
            t(
                &format!("server memory, {} idle connections", num(n as f64, 0)),
                &format!(
                    "memoria del servidor, {} conexiones inactivas",
                    num(n as f64, 0)
                ),
            ),
            &|s| {
                study
                    .scale
                    .iter()
                    .find(|p| p.target == s && p.connections == n)
                    .map_or_else(
                        || t("not measured", "no se mide"),
                        |p| format!("{} MiB", num(p.rss_mib, 1)),
                    )
            },
        );
    }
    let mut out = format!("| {} |\n|{}\n", head.join(" | "), "---|".repeat(head.len()));
    for r in rows {
        out.push_str(&format!("| {} |\n", r.join(" | ")));
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
        let readme = readme_table(&r);
        assert!(readme.contains("| 100 |"), "{readme}");
        assert!(
            readme.contains("nonblocking ahead with every unsaturated client"),
            "{readme}"
        );
    }
}
