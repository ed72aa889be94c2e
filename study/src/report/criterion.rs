//! Criterion's medians of this run: what `cargo bench` asked criterion
//! to measure ([`CaseSpec`]) read back from its estimates, or from the
//! bench's own observations where criterion measured nothing (`--test`),
//! into [`CaseResult`]s.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use super::cases::{CaseResult, CaseSpec, Source};
use crate::target::Target;

/// Per-iteration times the bench itself saw, by criterion id: the fallback
/// when criterion wrote no estimate (in `--test` mode it measures nothing).
static OBSERVED: Mutex<BTreeMap<String, Vec<f64>>> = Mutex::new(BTreeMap::new());

/// Records one `iter_custom` call.
pub fn observe(id: &str, iters: u64, elapsed: std::time::Duration) {
    let per_iter_ns = elapsed.as_nanos() as f64 / iters.max(1) as f64;
    OBSERVED
        .lock()
        .expect("not poisoned")
        .entry(id.to_string())
        .or_default()
        .push(per_iter_ns);
}

/// Criterion's directory: `$CRITERION_HOME`, or the workspace's
/// `target/criterion`.
pub fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || {
            let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
            workspace.canonicalize().unwrap_or(workspace).join("target")
        },
        PathBuf::from,
    );
    target.join("criterion")
}

/// Median ns per iteration of `id` from this run: criterion's estimate when
/// it wrote one after `since`, else the bench's own observations.
fn median_ns(id: &str, since: SystemTime) -> Option<(f64, Source)> {
    let path = criterion_dir().join(id).join("new/estimates.json");
    let fresh = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .is_ok_and(|t| t >= since);
    if fresh {
        let text = std::fs::read_to_string(&path).ok()?;
        let json: serde_json::Value = serde_json::from_str(&text).ok()?;
        if let Some(ns) = json["median"]["point_estimate"].as_f64() {
            return Some((ns, Source::CriterionMedian));
        }
    }
    let observed = OBSERVED.lock().expect("not poisoned");
    let mut v = observed.get(id)?.clone();
    v.sort_by(f64::total_cmp);
    Some((v[v.len() / 2], Source::SingleRun))
}

/// Every case's medians from this run (since `since`).
pub fn collect(cases: &[CaseSpec], since: SystemTime) -> Vec<CaseResult> {
    cases
        .iter()
        .map(|spec| {
            let mut values = BTreeMap::new();
            let mut source = Source::NotRun;
            for t in Target::every() {
                let id = format!("{}/{}/{}", spec.group.name(), t.name(), spec.param);
                if let Some((ns, how)) = median_ns(&id, since) {
                    values.insert(t, spec.metric.from_ns(ns, spec.per_iter));
                    source = how;
                }
            }
            CaseResult {
                group: spec.group,
                case: spec.case,
                metric: spec.metric,
                values,
                source,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::cases::{Case, Group, Metric};
    use super::*;
    use sockmodes_common::Service;

    #[test]
    fn without_criterions_estimate_the_median_of_the_benchs_own_runs_is_used() {
        let id = format!("test-only/raw/median-{}", std::process::id());
        for ns in [300, 100, 200] {
            observe(&id, 10, std::time::Duration::from_nanos(ns * 10));
        }
        let (ns, how) = median_ns(&id, SystemTime::now()).expect("observed");
        assert_eq!(ns, 200.0);
        assert_eq!(how, Source::SingleRun);
        assert_eq!(median_ns("test-only/never/run", SystemTime::now()), None);
    }

    #[test]
    fn every_case_is_collected_with_where_its_values_came_from() {
        let param = format!("collect-{}", std::process::id());
        let spec = CaseSpec {
            group: Group::Latency,
            param: param.clone(),
            case: Case {
                service: Service::Echo,
                bytes: 16,
            },
            metric: Metric::LatencyUs,
            per_iter: 1.0,
        };
        // Criterion wrote nothing since now: the bench's own observations,
        // for the servers it observed only.
        let since = SystemTime::now();
        observe(
            &format!("latency/raw/{param}"),
            4,
            std::time::Duration::from_micros(48),
        );
        let missing = CaseSpec {
            param: format!("{param}-never"),
            ..spec.clone()
        };
        let got = collect(&[spec, missing], since);
        assert_eq!(got[0].source, Source::SingleRun);
        assert_eq!(got[0].values, [(Target::Raw, 12.0)].into_iter().collect());
        assert_eq!(got[0].label(), "echo 16 B");
        assert_eq!((got[1].source, got[1].values.len()), (Source::NotRun, 0));
    }
}
