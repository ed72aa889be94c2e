//! The demo's words, one file per language.
//!
//! Each language is a table of (key, text) in its own file; a third language
//! is one new file and one line in [`Lang`]. Texts may hold `{name}`
//! placeholders that [`Lang::fill`] replaces, and counts with their noun,
//! `{name:one|many}`: `{n:read|reads}` is "1 read" or "3 reads", `{n:vez|veces}`
//! "1 vez" or "3 veces" (one form for exactly one, the other for any other
//! count, zero included: the rule of both languages). A test fails when a key
//! exists in one language and not in another, or a text drops a placeholder.

mod en;
mod es;

use sockmodes_python::show::plural;

/// Between thousands in a Spanish number: a non-breaking space, so that
/// `12 345` never breaks across lines.
const THOUSANDS_ES: &str = "\u{a0}";

/// A language the demo speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Spanish, the classroom practice's language.
    Es,
}

impl Lang {
    /// Every language, for the tests.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Es];

    /// The language code, as in `--lang es`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }

    /// The language the environment asks for: the first of `LC_ALL`,
    /// `LC_MESSAGES`, `LANG` that is set and not empty, as POSIX orders
    /// them. Spanish when it starts with `es`; English otherwise.
    pub fn from_env() -> Lang {
        let var = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|v| std::env::var(v).ok())
            .find(|v| !v.is_empty());
        Lang::from_locale(var.as_deref())
    }

    /// The language of a locale name such as `es_ES.UTF-8`.
    pub fn from_locale(locale: Option<&str>) -> Lang {
        match locale {
            Some(l) if l.starts_with("es") => Lang::Es,
            _ => Lang::En,
        }
    }

    fn table(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Lang::En => en::TEXTS,
            Lang::Es => es::TEXTS,
        }
    }

    /// The text under `key`, if this language has one.
    pub fn get(self, key: &str) -> Option<&'static str> {
        self.table()
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
    }

    /// The text under `key`.
    ///
    /// # Panics
    /// When the key is missing: a programming error, which the tests (that
    /// run every step in every language) catch.
    pub fn t(self, key: &str) -> &'static str {
        self.get(key)
            .unwrap_or_else(|| panic!("no {key:?} text in {}", self.code()))
    }

    /// Numbers as this language writes them: Spanish uses a decimal comma
    /// ("12,3 ms"). Only whole words that are decimal numbers change (an
    /// address such as 127.0.0.1 or code such as `settimeout(0.0)` does
    /// not).
    pub fn numbers(self, text: &str) -> String {
        if self != Lang::Es {
            return text.to_string();
        }
        let words = text.split(' ').map(|word| {
            let start = word.len() - word.trim_start_matches('(').len();
            let end = word.trim_end_matches([')', ',', ';', ':']).len().max(start);
            let core = &word[start..end];
            let decimal = core.matches('.').count() == 1
                && core.parse::<f64>().is_ok()
                && core.starts_with(|c: char| c.is_ascii_digit() || c == '-');
            if !decimal {
                return word.to_string();
            }
            let (before, after) = (&word[..start], &word[end..]);
            format!("{before}{}{after}", core.replace('.', ","))
        });
        words.collect::<Vec<_>>().join(" ")
    }

    /// `value` with `digits` decimals, as this language writes a number,
    /// its thousands grouped: English `47,528.4` (from four digits: `1,004`);
    /// Spanish, following docs/glosario.md, `47\u{a0}528,4`, a decimal comma and
    /// from five integer digits a non-breaking space between thousands
    /// (four-digit numbers are not split, as the RAE writes them: `1000`).
    /// No negative zero: `-0.001` with one decimal is `0.0`. The one number
    /// formatter of the demo and the report.
    pub fn number(self, value: f64, digits: usize) -> String {
        let text = format!("{:.digits$}", value.abs());
        let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
        let (sep, point, from) = match self {
            Lang::En => (",", ".", 4),
            Lang::Es => (THOUSANDS_ES, ",", 5),
        };
        let mut grouped = String::new();
        for (i, c) in int.chars().enumerate() {
            if int.len() >= from && i > 0 && (int.len() - i) % 3 == 0 {
                grouped.push_str(sep);
            }
            grouped.push(c);
        }
        let negative = value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0');
        let sign = if negative { "-" } else { "" };
        let point = if frac.is_empty() { "" } else { point };
        format!("{sign}{grouped}{point}{frac}")
    }

    /// The text under `key` with each `{name}` replaced by its value, and
    /// each `{name:one|many}` by the value and the noun for it.
    pub fn fill(self, key: &str, values: &[(&str, &dyn std::fmt::Display)]) -> String {
        let mut text = self.t(key).to_string();
        for (name, value) in values {
            let shown = value.to_string();
            text = text.replace(&format!("{{{name}}}"), &shown);
            text = counted(&text, name, &shown);
        }
        text
    }
}

/// `text` with each `{name:one|many}` replaced by `shown` and its noun: the
/// first form when `shown` is exactly 1, the second otherwise.
fn counted(text: &str, name: &str, shown: &str) -> String {
    let open = format!("{{{name}:");
    let n = shown.parse::<u64>().unwrap_or(u64::MAX);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&open) {
        let after = &rest[at + open.len()..];
        let Some((forms, tail)) = after.split_once('}') else {
            break;
        };
        let (one, many) = forms.split_once('|').unwrap_or((forms, forms));
        out.push_str(&rest[..at]);
        out.push_str(shown);
        out.push(' ');
        out.push_str(plural(n, one, many));
        rest = tail;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(l: Lang) -> BTreeSet<&'static str> {
        l.table().iter().map(|(k, _)| *k).collect()
    }

    /// The names of `{name}` and `{name:one|many}`.
    fn placeholders(text: &str) -> BTreeSet<String> {
        text.split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}'))
            .map(|(inner, _)| inner.split(':').next().unwrap_or("").to_string())
            .filter(|n| !n.contains(' ') && !n.is_empty())
            .collect()
    }

    #[test]
    fn every_language_has_every_key_once_and_the_same_placeholders() {
        let en = keys(Lang::En);
        assert_eq!(en.len(), Lang::En.table().len(), "a key repeats in en");
        for l in Lang::ALL {
            let mine = keys(l);
            assert_eq!(mine.len(), l.table().len(), "a key repeats in {}", l.code());
            let missing: Vec<_> = en.difference(&mine).collect();
            let extra: Vec<_> = mine.difference(&en).collect();
            assert!(missing.is_empty(), "{} lacks {missing:?}", l.code());
            assert!(
                extra.is_empty(),
                "{} has keys en lacks: {extra:?}",
                l.code()
            );
            for (k, v) in l.table() {
                assert!(!v.trim().is_empty(), "{} {k} is empty", l.code());
                for inner in v.split('{').skip(1).filter_map(|r| r.split_once('}')) {
                    if let Some((_, forms)) = inner.0.split_once(':') {
                        assert!(
                            forms.split('|').count() == 2,
                            "{} {k}: a count needs one|many, not {forms:?}",
                            l.code()
                        );
                    }
                }
                assert_eq!(
                    placeholders(v),
                    placeholders(Lang::En.t(k)),
                    "{} {k}: placeholders differ from en",
                    l.code()
                );
            }
        }
    }

    #[test]
    fn the_locale_picks_the_language() {
        assert_eq!(Lang::from_locale(Some("es_ES.UTF-8")), Lang::Es);
        assert_eq!(Lang::from_locale(Some("es_AR")), Lang::Es);
        assert_eq!(Lang::from_locale(Some("en_US.UTF-8")), Lang::En);
        assert_eq!(Lang::from_locale(Some("C")), Lang::En);
        assert_eq!(Lang::from_locale(None), Lang::En);
    }

    #[test]
    fn spanish_writes_decimal_commas_and_leaves_addresses_and_code_alone() {
        assert_eq!(Lang::Es.numbers("12.3 ms (0.5 s)"), "12,3 ms (0,5 s)");
        assert_eq!(Lang::Es.numbers("en 127.0.0.1:8080"), "en 127.0.0.1:8080");
        assert_eq!(
            Lang::Es.numbers("settimeout(0.0) y 64 MiB"),
            "settimeout(0.0) y 64 MiB"
        );
        assert_eq!(
            Lang::Es.numbers("1003 hilos, 17.6 MiB;"),
            "1003 hilos, 17,6 MiB;"
        );
        assert_eq!(Lang::En.numbers("12.3 ms"), "12.3 ms");
        assert_eq!(
            Lang::Es.numbers("devolvió 2.5 ms: años"),
            "devolvió 2,5 ms: años"
        );
    }

    #[test]
    fn counts_take_the_singular_only_for_one() {
        let fill = |l: Lang, key: &str, v: &[(&str, &dyn std::fmt::Display)]| l.fill(key, v);
        assert_eq!(fill(Lang::En, "v.reads", &[("n", &1)]), "1 read");
        assert_eq!(fill(Lang::En, "v.reads", &[("n", &0)]), "0 reads");
        assert_eq!(fill(Lang::Es, "v.reads", &[("n", &1)]), "1 lectura");
        assert_eq!(fill(Lang::Es, "v.reads", &[("n", &5)]), "5 lecturas");
        let meaning = |l: Lang, n: u64| {
            fill(
                l,
                "s10.meaning",
                &[("bt", &n), ("n", &n), ("bs", &n), ("nt", &n), ("ns", &n)],
            )
        };
        assert_eq!(
            meaning(Lang::En, 1),
            "the blocking server ran 1 thread for 1 connection and switched 1 time; the loop ran 1 and switched 1 time"
        );
        assert!(meaning(Lang::En, 2).contains("2 threads for 2 connections and switched 2 times"));
        assert!(meaning(Lang::Es, 1).contains("1 hilo para 1 conexión y cambió de contexto 1 vez"));
        assert!(meaning(Lang::Es, 3).contains("cambió de contexto 3 veces"));
        let costs = fill(
            Lang::Es,
            "v.server_costs",
            &[
                ("threads", &1),
                ("rss", &"2,5"),
                ("switches", &1),
                ("time", &"3 ms"),
            ],
        );
        assert!(costs.starts_with("1 hilo, 2,5 MiB"), "{costs}");
        assert!(costs.contains(", 1 cambio de contexto,"), "{costs}");
        // Every count of every text is filled.
        for l in Lang::ALL {
            for (k, v) in l.table() {
                let names: Vec<String> = placeholders(v).into_iter().collect();
                let values: Vec<(&str, &dyn std::fmt::Display)> =
                    names.iter().map(|n| (n.as_str(), &1 as _)).collect();
                let text = l.fill(k, &values);
                for n in &names {
                    assert!(
                        !text.contains(&format!("{{{n}")),
                        "{} {k}: {text}",
                        l.code()
                    );
                }
            }
        }
    }

    #[test]
    fn numbers_in_each_language() {
        assert_eq!(Lang::En.number(1002.46, 1), "1,002.5");
        assert_eq!(Lang::Es.number(1002.46, 1), "1002,5");
        assert_eq!(Lang::Es.number(0.08, 2), "0,08");
        assert_eq!(Lang::Es.number(1000.0, 0), "1000", "four digits stay whole");
        assert_eq!(Lang::Es.number(12345.0, 0), "12\u{a0}345");
        assert_eq!(Lang::Es.number(1234567.25, 2), "1\u{a0}234\u{a0}567,25");
        assert_eq!(Lang::Es.number(-98765.0, 0), "-98\u{a0}765");
        assert_eq!(Lang::En.number(47528.4, 0), "47,528");
        assert_eq!(Lang::En.number(1004.0, 0), "1,004");
        assert_eq!(Lang::En.number(1234567.891, 1), "1,234,567.9");
        assert_eq!(Lang::En.number(-0.001, 1), "0.0", "no negative zero");
        assert_eq!(Lang::Es.number(-12.5, 1), "-12,5");
    }

    #[test]
    fn fill_replaces_every_placeholder() {
        let s = Lang::Es.fill(
            "v.bytes_after",
            &[("n", &4), ("text", &"\"hola\""), ("time", &"2 ms")],
        );
        assert_eq!(s, "4 bytes (\"hola\") tras 2 ms");
    }
}
