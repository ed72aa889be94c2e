//! One window is not a measurement: the study measures every point in
//! several windows and keeps their **median and range** (min-max). Why the
//! range and not a bootstrap interval: with 3 or 5 windows a bootstrap has
//! too few samples to mean much, while "every window of A beat every window
//! of B" is a claim anyone can check in the JSON.
//!
//! The noise rule: a difference between two servers is claimed only where
//! their ranges do not overlap ([`compare`]); otherwise the finding says
//! "no difference beyond noise" and gives both ranges.

use serde::{Deserialize, Serialize};

/// The median and range of one figure over a point's windows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// The median (of an even count: the mean of the middle two).
    pub median: f64,
    /// The smallest window's value.
    pub min: f64,
    /// The largest window's value.
    pub max: f64,
    /// How many windows.
    pub n: usize,
}

impl Spread {
    /// The spread of `values`; `None` when there are none (or a NaN).
    pub fn of(values: impl IntoIterator<Item = f64>) -> Option<Spread> {
        let mut v: Vec<f64> = values.into_iter().collect();
        if v.is_empty() || v.iter().any(|x| x.is_nan()) {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Some(Spread {
            median,
            min: v[0],
            max: v[n - 1],
            n,
        })
    }

    /// "12.3 (11.9-13.0)" with `digits` decimals.
    pub fn show(&self, digits: usize) -> String {
        if self.n == 1 {
            return format!("{:.digits$}", self.median);
        }
        format!(
            "{:.digits$} ({:.digits$}-{:.digits$})",
            self.median, self.min, self.max
        )
    }

    /// Every value divided by `by` (for units).
    pub fn scaled(&self, by: f64) -> Spread {
        Spread {
            median: self.median / by,
            min: self.min / by,
            max: self.max / by,
            n: self.n,
        }
    }
}

/// What two spreads of one figure support.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every window of the first is above every window of the second.
    Higher,
    /// Every window of the first is below every window of the second.
    Lower,
    /// The ranges overlap: no difference beyond noise.
    NoDifference,
}

/// Compares `a` with `b` by the noise rule: a difference only where the
/// ranges do not overlap.
pub fn compare(a: &Spread, b: &Spread) -> Verdict {
    if a.min > b.max {
        Verdict::Higher
    } else if a.max < b.min {
        Verdict::Lower
    } else {
        Verdict::NoDifference
    }
}

/// The ratio of the medians, and the range of ratios the windows allow
/// (`a.min / b.max` to `a.max / b.min`).
pub fn ratio(a: &Spread, b: &Spread) -> Spread {
    let safe = |x: f64| x.max(1e-12);
    Spread {
        median: a.median / safe(b.median),
        min: a.min / safe(b.max),
        max: a.max / safe(b.min),
        n: a.n.min(b.n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn s(v: &[f64]) -> Spread {
        Spread::of(v.iter().copied()).unwrap()
    }

    #[test]
    fn the_median_and_range_of_odd_and_even_counts() {
        let a = s(&[5.0, 1.0, 3.0]);
        assert_eq!((a.median, a.min, a.max, a.n), (3.0, 1.0, 5.0, 3));
        let b = s(&[4.0, 1.0, 3.0, 2.0]);
        assert_eq!(b.median, 2.5);
        assert!(Spread::of([]).is_none());
        assert!(Spread::of([1.0, f64::NAN]).is_none());
        assert_eq!(a.show(1), "3.0 (1.0-5.0)");
        assert_eq!(s(&[2.0]).show(0), "2");
    }

    #[test]
    fn only_separated_ranges_make_a_difference() {
        let low = s(&[100.0, 110.0, 105.0]);
        let high = s(&[120.0, 130.0, 125.0]);
        assert_eq!(compare(&high, &low), Verdict::Higher);
        assert_eq!(compare(&low, &high), Verdict::Lower);
        // Medians 25% apart, but one window of each overlaps: noise.
        let wide = s(&[100.0, 125.0, 135.0]);
        assert_eq!(compare(&wide, &low), Verdict::NoDifference);
        // Touching ranges are not separated either.
        let touching = s(&[110.0, 112.0]);
        assert_eq!(compare(&touching, &low), Verdict::NoDifference);
    }

    #[test]
    fn a_ratio_carries_the_windows_range() {
        let r = ratio(&s(&[200.0, 220.0]), &s(&[100.0, 110.0]));
        assert!((r.median - 210.0 / 105.0).abs() < 1e-12);
        assert!((r.min - 200.0 / 110.0).abs() < 1e-12);
        assert!((r.max - 2.2).abs() < 1e-12);
    }
}
