//! The service-work section as text: the report's findings and table, and
//! the table the README and the guides show of the published run, in each
//! guide's language.

use sockmodes_models::ceiling::Concurrency;

use super::lang::{number, Lang};
use super::service::{figures, findings, Bound, CaseFigure, Figure, Finding, Who};
use super::tables::Table;
use super::{Report, Study};
use crate::point::Limit;
use crate::stats::Verdict;
use crate::target::RunMode;

/// How the work ran: "inline", "pool of 64", "one per connection".
pub fn how(c: Concurrency, lang: Lang) -> String {
    let n = |v: u64| number(v as f64, 0, lang);
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

fn n(v: f64) -> String {
    number(v, 0, Lang::En)
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

/// The service findings of `study`, as sentences.
pub fn sentences(study: &Study) -> Vec<String> {
    findings(study).iter().map(show).collect()
}

fn limit(f: &Figure) -> &'static str {
    match f.point.limit() {
        Some(Limit::Client) => "client",
        Some(Limit::Server) => "server",
        Some(Limit::Both) => "both",
        None => "-",
    }
}

/// The server's cores over its measured CPU per message (work and I/O):
/// the most its CPU could carry at that cost, msg/s.
fn cpu_ceiling(f: &Figure) -> String {
    f.cpu_ceiling.map_or("-".into(), n)
}

/// "0.97 (CPU)": messages/s over the lower ceiling, and which it is (the
/// names read the same in both languages).
fn of_bound(f: &Figure, lang: Lang) -> String {
    let (bound, which) = f.bound();
    let name = match which {
        Bound::Concurrency => "Little",
        Bound::Cpu => "CPU",
    };
    format!("{} ({name})", number(f.msgs.median / bound, 2, lang))
}

/// The report's table: one row per case and setup.
pub fn table(r: &Report) -> Option<Table> {
    let cases = figures(&r.study);
    let first = cases.first()?.1.first()?;
    let rows = cases
        .iter()
        .flat_map(|(work, fs)| {
            fs.iter().map(move |f| {
                let opt =
                    |s: Option<crate::stats::Spread>, d: usize| s.map_or("-".into(), |s| s.show(d));
                vec![
                    format!("`{work}`"),
                    f.who.target.name().into(),
                    how(f.who.concurrency, Lang::En),
                    f.msgs.show(0),
                    n(f.ceiling),
                    f.of_ceiling().show(2),
                    cpu_ceiling(f),
                    of_bound(f, Lang::En),
                    opt(f.point.p99().map(|s| s.scaled(1000.0)), 1),
                    opt(f.point.threads(), 0),
                    opt(f.point.rss_mib(), 1),
                    opt(f.point.client_busy().map(|s| s.scaled(0.01)), 0),
                    limit(f).into(),
                ]
            })
        })
        .collect();
    Some(Table {
        heading: "Service work: which model for a service that does work",
        note: format!(
            "Every message carries work: `cpu` computes, `block` sleeps in a system call (a synchronous database \
             client), `wait` arms a timer (an awaited one). Each server serves it inline, on a pool (`--offload`) where \
             it has one, or its own way (a thread per connection; tokio: `spawn_blocking` and its timer), closed loop \
             at {} connections. The ceiling is Little's law from the setup alone: concurrency / time per message, \
             and the server's cores / CPU per message; \"of ceiling\" is measured / ceiling, and a figure over it is a \
             bug. \"cores / CPU per msg\" is a second, measured ceiling: the server's cores over the CPU it spent per \
             message in the window (the work's and the I/O's): a setup near it is bound by its CPU, whatever Little's \
             law allows. \"of the lower ceiling\" is the median over the lower of the two ceilings, named.",
            n(first.point.connections as f64)
        ),
        headers: super::tables::heads(&[
            "work",
            "server",
            "how the work runs",
            "messages/s",
            "ceiling msg/s",
            "of ceiling",
            "cores / CPU per msg",
            "of the lower ceiling",
            "p99 ms",
            "threads",
            "RSS MiB",
            "client busy %",
            "saturated",
        ]),
        rows,
    })
}

/// The table the README and the guides show: every case and setup, its
/// messages/s, ceiling and share, in `lang`.
pub fn page_table(r: &Report, lang: Lang) -> String {
    let cases = figures(&r.study);
    let Some(first) = cases.first().and_then(|(_, fs)| fs.first()) else {
        return String::new();
    };
    let es = lang == Lang::Es;
    let num = |v: f64, d: usize| number(v, d, lang);
    let head = if es {
        "| trabajo | servidor | dónde se hace el trabajo | mensajes/s (mediana, rango) | límite (ley de Little) | fracción del límite | límite de la CPU (medido) | fracción del menor límite | p99 ms |"
    } else {
        "| work | server | where the work runs | messages/s (median, range) | ceiling (Little's law) | share of the ceiling | CPU ceiling (measured) | share of the lower ceiling | p99 ms |"
    };
    let mut out = if es {
        format!(
            "Ejecución {} publicada ({} conexiones, lazo cerrado, {} ventanas):\n\n",
            match r.mode {
                RunMode::Full => "completa",
                RunMode::Quick => "rápida",
                RunMode::Test => "de prueba",
            },
            num(first.point.connections as f64, 0),
            first.msgs.n
        )
    } else {
        format!(
            "The published {} run ({} connections, closed loop, {} windows):\n\n",
            r.mode.name(),
            num(first.point.connections as f64, 0),
            first.msgs.n
        )
    };
    out += head;
    out += "\n|---|---|---|---|---|---|---|---|---|\n";
    for (work, fs) in &cases {
        for f in fs {
            let m = f.msgs;
            let p99 = f
                .point
                .p99()
                .map_or("-".into(), |s| num(s.median / 1000.0, 1));
            out += &format!(
                "| `{}` | {} | {} | {} ({}-{}) | {} | {} | {} | {} | {p99} |\n",
                work,
                super::publish_tables::label(f.who.target, lang),
                how(f.who.concurrency, lang),
                num(m.median, 0),
                num(m.min, 0),
                num(m.max, 0),
                num(f.ceiling, 0),
                num(f.of_ceiling().median, 2),
                f.cpu_ceiling.map_or("-".into(), |c| num(c, 0)),
                of_bound(f, lang),
            );
        }
    }
    out
}
