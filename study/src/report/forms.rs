//! How the analysis writes, in report.json, the types it borrows from
//! elsewhere that have no JSON form of their own: a [`Pair`] as its two
//! servers (read back as the registry's pair, with its words), a
//! `Concurrency` as a tagged value, a `Work` as `--work` takes it
//! (`block:1ms`), and a latency `Case` as its label (`echo 16 B`).
//! Each is a `#[serde(with = ...)]` module, so the types stay where they are.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::target::{Pair, Target};

/// A [`Pair`] as `{"a": ..., "b": ...}`, read back as the registry's pair
/// with those servers (either way round), else a ratio's pair.
pub mod pair {
    use super::*;

    #[derive(Serialize, Deserialize)]
    struct Servers {
        a: Target,
        b: Target,
    }

    /// The registry's pair of `a` against `b`, with its words.
    pub fn of(a: Target, b: Target) -> Pair {
        for p in [
            Pair::THREADS_VS_LOOP,
            Pair::COMPLETION_VS_READINESS,
            Pair::LOOP_VS_TOKIO,
        ] {
            if (p.a, p.b) == (a, b) {
                return p;
            }
            if (p.b, p.a) == (a, b) {
                return p.flipped();
            }
        }
        Pair::ratio(a, b)
    }

    pub fn serialize<S: Serializer>(p: &Pair, s: S) -> Result<S::Ok, S::Error> {
        Servers { a: p.a, b: p.b }.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Pair, D::Error> {
        let Servers { a, b } = Servers::deserialize(d)?;
        Ok(of(a, b))
    }
}

/// A `Concurrency`: `{"inline": 1}`, `{"pool": 64}`, `"per_connection"`.
pub mod concurrency {
    use super::*;
    pub use sockmodes_models::ceiling::Concurrency;

    #[derive(Serialize, Deserialize)]
    #[serde(remote = "Concurrency", rename_all = "snake_case")]
    enum Form {
        Inline(u64),
        Pool(u64),
        PerConnection,
    }

    pub fn serialize<S: Serializer>(c: &Concurrency, s: S) -> Result<S::Ok, S::Error> {
        Form::serialize(c, s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Concurrency, D::Error> {
        Form::deserialize(d)
    }
}

/// A `Work` as `--work` takes it: `block:1ms` (a service-work `Setup`'s
/// too).
pub mod work {
    use super::*;
    pub use sockmodes_common::Work;

    pub fn serialize<S: Serializer>(w: &Work, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(w)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Work, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// A latency `Case` as its label: `echo 16 B`.
pub mod latency_case {
    use super::*;
    pub use crate::report::cases::{Case, Group};

    pub fn serialize<S: Serializer>(c: &Case, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&c.label(Group::Latency))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Case, D::Error> {
        Case::parse(&String::deserialize(d)?, Group::Latency).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_reads_back_as_the_registrys_with_its_words_either_way_round() {
        let p = Pair::THREADS_VS_LOOP;
        let json = serde_json::to_string(&Wrap(p)).unwrap();
        let back: Wrap = serde_json::from_str(&json).unwrap();
        assert_eq!(back.0, p);
        assert_eq!(pair::of(p.b, p.a), p.flipped());
        let (a, b) = (Target::Raw, Target::TOKIO);
        assert_eq!(pair::of(a, b), Pair::ratio(a, b));
    }

    #[derive(Serialize, Deserialize)]
    struct Wrap(#[serde(with = "pair")] Pair);
}
