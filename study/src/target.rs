//! What the study compares, and how long it runs.
//!
//! One list of servers: the I/O models the command serves
//! ([`Target::Model`], each asked of the registry, `sockmodes_models::Model`:
//! its name, words, colour and role), and the two references the bench
//! adds beside them (`raw`, the least a server can do; `tokio`, what a user
//! would pick instead). Tables, findings and charts iterate over these
//! lists and ask; the comparisons the report draws between two servers are
//! the [`Pair`]s here, so a new model needs no line in this file unless it
//! joins one of them.

use serde::{Deserialize, Serialize};
use sockmodes_demo::Lang;
use sockmodes_models::Model;

/// A server implementation under test: one of the command's I/O models
/// (everything about it asked of the registry, `sockmodes_models::Model`) or a
/// reference the bench adds beside them. Report code iterates over
/// [`every`](Self::every) and asks; it never names a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// One of the command's I/O models.
    Model(Model),
    /// A minimal std server told each message's size: the loopback limit.
    Raw,
}

/// Two servers the report compares, the first against the second: one of
/// the registry's questions (a thread per connection against an event
/// loop, readiness against completion, our event loop against tokio).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    pub a: Target,
    pub b: Target,
    /// How a finding opens on the pair.
    pub title: &'static str,
    /// Why the first can carry more than the second, where the registry
    /// knows: the reason a finding gives.
    pub why_first_ahead: Option<&'static str>,
}

impl Pair {
    /// A thread per connection against an event loop: the crossover.
    pub const THREADS_VS_LOOP: Pair = Pair {
        a: Target::Model(Model::BLOCKING),
        b: Target::Model(Model::NON_BLOCKING),
        title: "A thread per connection against the event loop",
        why_first_ahead: Some("with few connections a thread that waits in its own read is cheap"),
    };
    /// Completion (the kernel performs the I/O) against readiness.
    pub const COMPLETION_VS_READINESS: Pair = Pair {
        a: Target::Model(Model::COMPLETION),
        b: Target::Model(Model::NON_BLOCKING),
        title: "Completion (io_uring) against readiness (the mio event loop)",
        why_first_ahead: None,
    };
    /// Our event loop against tokio's.
    pub const LOOP_VS_TOKIO: Pair = Pair {
        a: Target::Model(Model::NON_BLOCKING),
        b: Target::TOKIO,
        title: "The mio event loop against tokio",
        why_first_ahead: None,
    };

    /// A pair only a ratio column shows: no finding opens on it.
    pub const fn ratio(a: Target, b: Target) -> Pair {
        Pair {
            a,
            b,
            title: "",
            why_first_ahead: None,
        }
    }

    /// The same pair the other way round.
    pub const fn flipped(self) -> Pair {
        Pair {
            a: self.b,
            b: self.a,
            ..self
        }
    }

    /// The ratio's column head: "nb/b".
    pub fn ratio_head(self) -> String {
        format!("{}/{}", self.a.short(), self.b.short())
    }

    /// The verdict's column head, the pair as a sentence orders it:
    /// "blocking vs non-blocking".
    pub fn verdict_head(self) -> String {
        format!("{} vs {}", self.a.prose(), self.b.prose())
    }
}

/// The criterion table's ratio columns (numerator, denominator): the
/// event loop over the thread per connection, completion over readiness,
/// then every server over raw.
pub fn case_ratios() -> Vec<Pair> {
    let mut v = vec![
        Pair::THREADS_VS_LOOP.flipped(),
        Pair::COMPLETION_VS_READINESS,
    ];
    let over_raw = Target::every_studied().into_iter();
    v.extend(over_raw.map(|a| Pair::ratio(a, Target::Raw)));
    v
}

/// The sweep table's comparisons: (ratio's pair, verdict head's pair).
pub fn sweep_pairs() -> [(Pair, Pair); 3] {
    [
        (Pair::THREADS_VS_LOOP.flipped(), Pair::THREADS_VS_LOOP),
        (
            Pair::COMPLETION_VS_READINESS,
            Pair::COMPLETION_VS_READINESS.flipped(),
        ),
        (Pair::LOOP_VS_TOKIO, Pair::LOOP_VS_TOKIO),
    ]
}

impl Target {
    /// tokio, the registry's reference: what a user would pick instead.
    pub const TOKIO: Target = Target::Model(Model::TOKIO);

    /// The I/O model this server is, if it is one of the command's.
    pub fn model(self) -> Option<Model> {
        match self {
            Target::Model(m) => Some(m),
            Target::Raw => None,
        }
    }

    /// The command's models (`reference` false) or the registry's
    /// references (true) among `models`, in registry order.
    fn of_kind(models: impl IntoIterator<Item = Model>, reference: bool) -> Vec<Target> {
        let kind = models.into_iter().filter(|m| m.is_reference() == reference);
        kind.map(Target::Model).collect()
    }

    /// The models built on this system that the study compares (not the
    /// registry's references), in registry order.
    pub fn models() -> Vec<Target> {
        Target::of_kind(Model::servers(), false)
    }

    /// The servers of the scaling study: the models and the references
    /// built on this system (tokio; raw has no framing to scale with).
    pub fn studied() -> Vec<Target> {
        [Target::models(), Target::of_kind(Model::servers(), true)].concat()
    }

    /// Every server, in table order: the models, then raw and the
    /// references.
    pub fn all() -> Vec<Target> {
        let references = Target::of_kind(Model::servers(), true);
        [Target::models(), vec![Target::Raw], references].concat()
    }

    /// Every server the report can show, whatever this system builds, in
    /// table order: a report measured on Linux renders the same on any
    /// system (its completion server included). Report code iterates this
    /// and keeps the servers the data has.
    pub fn every() -> Vec<Target> {
        let references = Target::of_kind(Model::ALL, true);
        [Target::every_model(), vec![Target::Raw], references].concat()
    }

    /// [`every`](Self::every) without the raw reference: the servers a
    /// study can measure.
    pub fn every_studied() -> Vec<Target> {
        [Target::every_model(), Target::of_kind(Model::ALL, true)].concat()
    }

    /// The command's models of [`every`](Self::every).
    pub fn every_model() -> Vec<Target> {
        Target::of_kind(Model::ALL, false)
    }

    /// The name in tables, JSON and file names.
    pub fn name(self) -> &'static str {
        match self {
            Target::Model(m) => m.name(),
            Target::Raw => "raw",
        }
    }

    /// The name in running English text ("the non-blocking server").
    pub fn prose(self) -> &'static str {
        self.model_word(Model::prose)
    }

    /// Who does the I/O, as a sentence says it ("the event loop").
    pub fn role(self) -> &'static str {
        self.model_word(Model::role)
    }

    /// The name in a ratio's column head ("nb/raw").
    pub fn short(self) -> &'static str {
        self.model_word(Model::short)
    }

    /// A model's `word` for it; a reference's and raw's is its name.
    fn model_word(self, word: fn(Model) -> &'static str) -> &'static str {
        match self {
            Target::Model(m) if !m.is_reference() => word(m),
            Target::Model(_) | Target::Raw => self.name(),
        }
    }

    /// The name in a chart's legend or a table's head in `lang`.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (_, Lang::En) => self.name(),
            (Target::Model(m), Lang::Es) => looks(m).es,
            // The glossary's word for the least a server can do.
            (Target::Raw, Lang::Es) => "mínimo",
        }
    }

    /// The same colour in every chart: red, blue and orange for the
    /// models, grey for raw, green for tokio.
    pub fn colour(self) -> (u8, u8, u8) {
        match self {
            Target::Model(m) => looks(m).colour,
            Target::Raw => (127, 127, 127),
        }
    }
}

/// Table order: the models, raw, then the references; maps keyed by
/// server keep it, in JSON too.
impl Ord for Target {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let key = |t: &Target| match *t {
            Target::Model(m) if !m.is_reference() => (0, Some(m)),
            Target::Raw => (1, None),
            Target::Model(m) => (2, Some(m)),
        };
        key(self).cmp(&key(other))
    }
}

impl PartialOrd for Target {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// How the report draws a model: its word in Spanish and its colour.
struct Looks {
    /// The model's registry name.
    model: &'static str,
    /// Its name in Spanish: the glossary's word (docs/glosario.md).
    es: &'static str,
    /// Its colour in every chart, as RGB.
    colour: (u8, u8, u8),
}

/// Every model's looks, keyed by its name in the registry; a test fails
/// when a model of the registry has none.
const LOOKS: &[Looks] = &[
    Looks::new("blocking", "bloqueante", (214, 39, 40)),
    Looks::new("nonblocking", "no bloqueante", (31, 119, 180)),
    Looks::new("completion", "finalización", (255, 127, 14)),
    Looks::new("tokio", "tokio", (44, 160, 44)),
];

impl Looks {
    const fn new(model: &'static str, es: &'static str, colour: (u8, u8, u8)) -> Looks {
        Looks { model, es, colour }
    }
}

/// A model's looks; black and its own name where [`LOOKS`] has none (a
/// test keeps that from shipping).
fn looks(m: Model) -> &'static Looks {
    const NONE: Looks = Looks::new("", "", (0, 0, 0));
    LOOKS.iter().find(|l| l.model == m.name()).unwrap_or(&NONE)
}

/// In JSON a server is its name (`"nonblocking"`, `"raw"`).
impl Serialize for Target {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Target::every()
            .into_iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown server {name:?}")))
    }
}

/// How big and how long a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BenchKind {
    /// Every part once at the smallest size, no timing (CI).
    Test,
    /// Shorter: fewer counts, fewer windows.
    Quick,
    /// The report in docs/benchmarks.md.
    Full,
}

impl BenchKind {
    /// From a bench binary's arguments, by criterion's rule: cargo passes
    /// `--bench` only under `cargo bench`, so a run without it
    /// (`cargo test --benches`, `--all-targets`, the binary run by hand) is
    /// a test, and so is `--test` (`cargo bench -- --test`). Under `--bench`,
    /// `--quick` is the shorter run and nothing else the full one.
    pub fn from_args(args: &[String]) -> BenchKind {
        let has = |flag: &str| args.iter().skip(1).any(|a| a == flag);
        if has("--test") || !has("--bench") {
            BenchKind::Test
        } else if has("--quick") {
            BenchKind::Quick
        } else {
            BenchKind::Full
        }
    }

    /// The name in the report.
    pub fn name(self) -> &'static str {
        self.pick("test", "quick", "full")
    }

    /// `test`, `quick` or `full`, by the kind of run: how the plan and the
    /// benches size each part.
    pub fn pick<T>(self, test: T, quick: T, full: T) -> T {
        match self {
            BenchKind::Test => test,
            BenchKind::Quick => quick,
            BenchKind::Full => full,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_of_the_registry_has_a_spanish_name_and_a_colour_of_its_own() {
        let mut colours = Vec::new();
        for m in Model::ALL {
            let l = looks(m);
            assert_eq!(l.model, m.name(), "{m} has no looks in LOOKS");
            assert!(!l.es.is_empty(), "{m}: no Spanish name");
            colours.push(l.colour);
        }
        colours.push(Target::Raw.colour());
        let mut unique = colours.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(
            unique.len(),
            colours.len(),
            "two servers share a colour: {colours:?}"
        );
    }

    #[test]
    fn every_server_travels_in_json_as_its_name_and_keeps_table_order() {
        let names: Vec<&str> = Target::every().iter().map(|t| t.name()).collect();
        assert_eq!(
            names,
            ["blocking", "nonblocking", "completion", "raw", "tokio"]
        );
        for t in Target::every() {
            let text = serde_json::to_string(&t).unwrap();
            assert_eq!(text, format!("\"{}\"", t.name()));
            assert_eq!(serde_json::from_str::<Target>(&text).unwrap(), t);
        }
        assert!(serde_json::from_str::<Target>("\"poll\"").is_err());
        let mut sorted = Target::every();
        sorted.sort();
        assert_eq!(sorted, Target::every(), "Ord is table order");
    }

    #[test]
    fn a_bench_run_without_cargo_benchs_flag_is_a_test() {
        let kind = |args: &[&str]| {
            let mut all = vec!["target/release/deps/sockmodes-0123abcd".to_string()];
            all.extend(args.iter().map(|a| a.to_string()));
            BenchKind::from_args(&all)
        };
        // cargo bench: `--bench`, and what follows `--`.
        assert_eq!(kind(&["--bench"]), BenchKind::Full);
        assert_eq!(kind(&["--bench", "--quick"]), BenchKind::Quick);
        assert_eq!(kind(&["--bench", "--test"]), BenchKind::Test);
        assert_eq!(kind(&["--bench", "--quick", "--test"]), BenchKind::Test);
        // cargo test --benches / --all-targets: no `--bench`, maybe a filter.
        assert_eq!(kind(&[]), BenchKind::Test);
        assert_eq!(kind(&["latency"]), BenchKind::Test);
        assert_eq!(kind(&["--quick"]), BenchKind::Test);
        // The program's own name is not an argument.
        assert_eq!(
            BenchKind::from_args(&["--bench".to_string()]),
            BenchKind::Test
        );
    }

    #[test]
    fn the_column_heads_come_from_the_registry() {
        let heads: Vec<String> = case_ratios().iter().map(|p| p.ratio_head()).collect();
        assert_eq!(
            heads,
            ["nb/b", "c/nb", "b/raw", "nb/raw", "c/raw", "tokio/raw"]
        );
        let verdicts: Vec<String> = sweep_pairs().iter().map(|p| p.1.verdict_head()).collect();
        assert_eq!(
            verdicts,
            [
                "blocking vs non-blocking",
                "non-blocking vs completion",
                "non-blocking vs tokio"
            ]
        );
    }
}
