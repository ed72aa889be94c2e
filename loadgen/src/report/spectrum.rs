//! The latency spectrum `--json` prints: `[percentile, µs]` pairs from the
//! minimum to the maximum, through HdrHistogram's iteration and the named
//! percentiles (p50 ... p99.999) that every run shows whatever it reaches.

use hdrhistogram::Histogram;

/// Percentiles named in every spectrum, whatever the iteration reaches.
const NAMED: [f64; 8] = [0.0, 50.0, 90.0, 99.0, 99.9, 99.99, 99.999, 100.0];

/// `[percentile, µs]` pairs, ascending, from the minimum to the maximum.
pub fn spectrum(h: &Histogram<u64>) -> Vec<[f64; 2]> {
    if h.is_empty() {
        return Vec::new();
    }
    let mut points: Vec<[f64; 2]> = h
        .iter_quantiles(5)
        .map(|v| {
            [
                percent(v.quantile_iterated_to()),
                v.value_iterated_to() as f64,
            ]
        })
        .collect();
    for p in NAMED {
        let value = match p {
            0.0 => h.min(),
            100.0 => h.max(),
            _ => h.value_at_quantile(p / 100.0),
        };
        points.push([p, value as f64]);
    }
    points.sort_by(|a, b| a[0].total_cmp(&b[0]));
    // The named value wins at an equal percentile: it was pushed last and
    // the sort is stable, so each run of one percentile keeps its last.
    points.reverse();
    points.dedup_by(|later, kept| later[0] == kept[0]);
    points.reverse();
    points
}

/// A quantile as a percentage, rounded to 6 decimals so that the
/// iteration's float steps (30.000000000000004) meet the named ones (30).
fn percent(q: f64) -> f64 {
    (q * 100.0 * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spectrum_runs_from_min_to_max_through_the_named_percentiles() {
        let mut h = crate::record::histogram();
        for v in 1..=100_000u64 {
            h.record(v).unwrap();
        }
        let s = spectrum(&h);
        assert_eq!(s.first().unwrap(), &[0.0, 1.0]);
        assert_eq!(s.last().unwrap()[0], 100.0);
        assert!(h.equivalent(s.last().unwrap()[1] as u64, 100_000));
        for p in NAMED {
            assert!(s.iter().any(|x| x[0] == p), "p{p} missing");
        }
        assert!(s
            .windows(2)
            .all(|w| w[0][0] < w[1][0] && w[0][1] <= w[1][1]));
        let p50 = s.iter().find(|x| x[0] == 50.0).unwrap()[1];
        assert!((p50 - 50_000.0).abs() < 100.0, "p50 {p50}");
    }
}
