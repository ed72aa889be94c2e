//! The demo's words, one file per language.
//!
//! Each language is a table of (key, text) in its own file; a third language
//! is one new file and one line in [`Lang`]. Texts may hold `{name}`
//! placeholders that [`Lang::fill`] replaces. A test fails when a key exists
//! in one language and not in another, or a text drops a placeholder.

mod en;
mod es;

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

    /// `en` or `es`.
    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
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

    /// The text under `key`.
    ///
    /// # Panics
    /// When the key is missing: a programming error, which the tests (that
    /// run every step in every language) catch.
    pub fn t(self, key: &str) -> &'static str {
        self.table()
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("no {key:?} text in {}", self.code()))
    }

    /// The text under `key` with each `{name}` replaced by its value.
    pub fn fill(self, key: &str, values: &[(&str, &dyn std::fmt::Display)]) -> String {
        let mut text = self.t(key).to_string();
        for (name, value) in values {
            text = text.replace(&format!("{{{name}}}"), &value.to_string());
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(l: Lang) -> BTreeSet<&'static str> {
        l.table().iter().map(|(k, _)| *k).collect()
    }

    fn placeholders(text: &str) -> BTreeSet<String> {
        text.split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}'))
            .map(|(name, _)| name.to_string())
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
        assert_eq!(Lang::from_code("es"), Some(Lang::Es));
        assert_eq!(Lang::from_code("fr"), None);
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
