//! Every word the charts draw, in English and Spanish: one table, as
//! `src/demo/text/` is for the demo. The Spanish follows docs/glosario.md
//! (decimal commas, «lazo cerrado», «carga útil», «hilos vacíos»). The
//! names of command-line values (`split`, `unpinned`, the engines of
//! `--mode`) stay as the user types them where a chart labels a bar with
//! them; a caption's placement is said in words («núcleos de CPU distintos»).

use crate::affinity::Placement;
use crate::report::lang::Lang;
use crate::target::Target;

/// (key, English, Spanish). `{n}`, `{what}` and `{placement}` are filled
/// in by the caller.
const LABELS: &[(&str, &str, &str)] = &[
    (
        "latency.title",
        "Echo round trip by payload",
        "Ida y vuelta de eco según la carga útil",
    ),
    (
        "latency.unit",
        "µs (lower is better)",
        "µs (menos es mejor)",
    ),
    ("throughput.title", "Throughput", "Rendimiento"),
    (
        "throughput.unit",
        "MB/s (higher is better)",
        "MB/s (más es mejor)",
    ),
    (
        "by.connections",
        "{what} by connections ({placement})",
        "{what} según las conexiones ({placement})",
    ),
    (
        "sweep.msgs",
        "Closed-loop messages/s",
        "Mensajes/s en lazo cerrado",
    ),
    ("connections", "connections", "conexiones"),
    ("msgs", "messages/s", "mensajes/s"),
    ("sweep.p99", "p99 latency", "Latencia p99"),
    ("p99.log", "p99 µs (log)", "p99 µs (log.)"),
    (
        "sweep.switches",
        "Server context switches per message",
        // Shorter than the English, so that the caption with its
        // placement («núcleos de CPU distintos») fits the chart's width.
        "Cambios de contexto por mensaje",
    ),
    (
        "switches.log",
        "switches per message (log)",
        "cambios por mensaje (log.)",
    ),
    (
        "hockey.title",
        "p99 under offered load, {n} connections ({placement})",
        "p99 con carga ofrecida, {n} conexiones ({placement})",
    ),
    (
        "hockey.x",
        "offered load, % of closed-loop capacity",
        "carga ofrecida, % de la capacidad en lazo cerrado",
    ),
    (
        "cross.title",
        "Server messages/s by client engine/placement, {n} connections",
        "Mensajes/s del servidor por motor de cliente/colocación, {n} conexiones",
    ),
    ("memory.idle", "{n} idle", "{n} inactivas"),
    // A caption's placement: the command-line value in English; in
    // Spanish what it means, in the guide's words (docs/guia.md says
    // «núcleos de CPU distintos (`split`)»), since a caption is read, not
    // typed.
    ("placement.split", "split", "núcleos de CPU distintos"),
    ("placement.same-core", "same-core", "mismo núcleo de CPU"),
    ("placement.unpinned", "unpinned", "sin fijar núcleos de CPU"),
    ("placement.budget", "budget", "presupuesto de CPU"),
    ("memory.bare", "{n} bare threads", "{n} hilos vacíos"),
    (
        "memory.title",
        "Server resident memory",
        "Memoria residente del servidor",
    ),
    (
        "spectrum.title",
        "Latency by percentile, {n} connections at 50% load ({placement})",
        "Latencia por percentil, {n} conexiones al 50\u{a0}% de carga ({placement})",
    ),
    ("spectrum.max", "max", "máx."),
    ("spectrum.x", "percentile", "percentil"),
    ("us.log", "µs (log)", "µs (log.)"),
    (
        "cpu.title",
        "Server CPU per message by connections ({placement})",
        "CPU del servidor por mensaje según las conexiones ({placement})",
    ),
    (
        "cpu.unit",
        "µs per message: user (dark) + system (light)",
        "µs por mensaje: usuario (oscuro) + sistema (claro)",
    ),
    ("case.echo 16 B", "echo 16 B", "eco de 16 B"),
    ("case.echo 1 KiB", "echo 1 KiB", "eco de 1 KiB"),
    ("case.echo 64 KiB", "echo 64 KiB", "eco de 64 KiB"),
    (
        "case.sink 1 MiB frames",
        "sink 1 MiB frames",
        "sumidero, tramas de 1 MiB",
    ),
    (
        "case.echo 64 KiB frames",
        "echo 64 KiB frames",
        "eco, tramas de 64 KiB",
    ),
];

/// The row `key`'s text in `lang`; `missing` where the table lacks it.
fn lookup(key: &str, missing: &str, lang: Lang) -> String {
    let row = LABELS.iter().find(|(k, _, _)| *k == key);
    row.map_or(missing, |&(_, en, es)| match lang {
        Lang::En => en,
        Lang::Es => es,
    })
    .to_string()
}

/// The label `key` in `lang`; the key itself where the table lacks it.
pub fn label(key: &str, lang: Lang) -> String {
    lookup(key, key, lang)
}

/// A label with its `{n}` (a count, as `lang` writes it) and
/// `{placement}` filled in.
pub fn filled(key: &str, lang: Lang, n: usize, placement: &str) -> String {
    label(key, lang)
        .replace("{n}", &lang.number(n as f64, 0))
        .replace("{placement}", placement)
}

/// How a caption names the placement `name` (`split`, `same-core`,
/// `unpinned`); a name the table lacks as it is.
pub fn placement(name: &str, lang: Lang) -> String {
    lookup(&format!("placement.{name}"), name, lang)
}

/// Who drove a cross-check cell: the command-line values in English
/// (`nonblocking/split`); in Spanish the engine and where the two sides
/// ran, short enough for four categories to fit the axis («no bloq.,
/// distintos»: núcleos de CPU distintos; «sin fijar»; «mismo»;
/// «presupuesto»: el servidor con un presupuesto de CPU).
pub fn driver(d: crate::driver::Driver, lang: Lang) -> String {
    match lang {
        Lang::En => d.short(),
        Lang::Es => {
            let engine = match Target::Model(d.engine).label(lang) {
                "bloqueante" => "bloq.",
                "no bloqueante" => "no bloq.",
                other => other,
            };
            let place = match d.placement {
                Placement::Split => "distintos",
                Placement::SameCore => "mismo",
                Placement::Unpinned => "sin fijar",
                Placement::Budget => "presupuesto",
            };
            format!("{engine}, {place}")
        }
    }
}

/// A criterion case's name (its English label is the key).
pub fn case(name: &str, lang: Lang) -> String {
    lookup(&format!("case.{name}"), name, lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_has_both_languages_and_the_same_blanks() {
        for (key, en, es) in LABELS {
            assert!(!en.is_empty() && !es.is_empty(), "{key}");
            for blank in ["{n}", "{what}", "{placement}"] {
                assert_eq!(en.contains(blank), es.contains(blank), "{key}: {blank}");
            }
        }
        assert_eq!(
            filled("memory.idle", Lang::Es, 10_000, "split"),
            "10\u{a0}000 inactivas"
        );
        assert_eq!(
            filled("memory.idle", Lang::En, 10_000, "split"),
            "10,000 idle"
        );
        assert_eq!(
            case("sink 1 MiB frames", Lang::Es),
            "sumidero, tramas de 1 MiB"
        );
        assert_eq!(case("something new", Lang::Es), "something new");
        assert_eq!(placement("split", Lang::Es), "núcleos de CPU distintos");
        assert_eq!(placement("same-core", Lang::Es), "mismo núcleo de CPU");
        assert_eq!(placement("split", Lang::En), "split");
    }
}
