//! One run as the report keeps it: where and how it was measured, its
//! measurements ([`Study`]), and their [`Analysis`], computed once when the
//! report is made. report.json is this value, serialisable both ways: read
//! back, a report keeps the analysis it was written with, so rendering it
//! judges nothing again. To judge a run's measurements again with this
//! code (a change to the analysis, applied to an old run), read its
//! [`Measured`] part and make a report of it.

use serde::{Deserialize, Deserializer, Serialize};

use super::analysis::Analysis;
use super::study::Study;
use crate::affinity::Placement;
use crate::machine::Machine;
use crate::target::BenchKind;

/// The version of report.json's fields. Bump it with any change to the
/// set of fields a report writes (`run.rs`'s test compares that set with
/// the list kept for this version, `study/tests/report_schema/vN.txt`), so
/// that a script reading report.json can tell which fields to expect.
pub const SCHEMA_VERSION: u32 = 2;

/// Everything one report shows, for the Markdown, HTML and JSON writers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Report {
    /// [`SCHEMA_VERSION`]: a report of another version does not read as a
    /// `Report` (its [`Measured`] part does).
    #[serde(deserialize_with = "this_version")]
    pub schema_version: u32,
    /// Test, quick or full (in JSON `mode`).
    #[serde(rename = "mode")]
    pub kind: BenchKind,
    pub machine: Machine,
    /// Placement of the criterion groups (latency, throughput).
    pub criterion_placement: String,
    /// Placement of the scaling study.
    pub sweep_placement: String,
    pub study: Study,
    /// What the report says of the measurements, computed from them.
    pub analysis: Analysis,
}

/// What a report.json holds of its run: the machine, where the run placed
/// its servers, and every measurement. Any report.json reads as one, of
/// whichever version; the rest of a [`Report`] is judged from these.
#[derive(Debug, Deserialize)]
pub struct Measured {
    pub machine: Machine,
    pub criterion_placement: String,
    pub sweep_placement: String,
    pub study: Study,
}

/// Reads `schema_version`, refusing any but this code's.
fn this_version<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let v = u32::deserialize(d)?;
    if v != SCHEMA_VERSION {
        return Err(serde::de::Error::custom(format!(
            "report.json schema_version {v}, this code reads {SCHEMA_VERSION}: judge its \
             measurements again (the render example, or publish::reanalyse)"
        )));
    }
    Ok(v)
}

impl From<Measured> for Report {
    fn from(m: Measured) -> Report {
        let mut r = Report::new(m.study, m.machine);
        // Where the run placed its servers is part of the measurement.
        r.criterion_placement = m.criterion_placement;
        r.sweep_placement = m.sweep_placement;
        r
    }
}

impl Report {
    /// The report of `study`, measured on `machine` in this process's
    /// placements: its analysis computed here.
    pub fn new(study: Study, machine: Machine) -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            kind: study.plan.kind,
            machine,
            criterion_placement: Placement::for_criterion().describe(),
            sweep_placement: Placement::for_sweep().describe(),
            analysis: Analysis::of(&study),
            study,
        }
    }

    /// The name of the placement a sentence of [`Placement::describe`]
    /// gives ("Placement `split`: ..." is `split`), so that a report read
    /// back from its JSON draws the placement it was measured with, not
    /// the one of the machine rendering it.
    pub fn placement_name(described: &str) -> &str {
        described.split('`').nth(1).unwrap_or(described)
    }
}

#[cfg(test)]
mod tests {
    use super::super::findings;
    use super::super::fixture;
    use super::*;

    #[test]
    fn a_placement_is_named_from_its_sentence() {
        for p in [
            Placement::Split,
            Placement::SameCore,
            Placement::Unpinned,
            Placement::Budget,
        ] {
            assert_eq!(Report::placement_name(&p.describe()), p.name());
        }
        assert_eq!(Report::placement_name("split"), "split");
    }

    #[test]
    fn the_json_reads_back_into_the_same_report() {
        let r = fixture::report();
        let text = serde_json::to_string_pretty(&r).unwrap();
        let back: Report = serde_json::from_str(&text).unwrap();
        assert_eq!(back, r);
        // Enums travel as names, not numbers or free strings.
        assert!(
            text.contains("\"target\": \"nonblocking\""),
            "{}",
            &text[..400]
        );
        assert!(text.contains("\"step\": \"same_rate\""));
        assert!(text.contains("\"mode\": \"quick\""));
    }

    #[test]
    fn measurements_judged_again_whatever_judgments_their_json_holds() {
        let r = fixture::report();
        let mut json = serde_json::to_value(&r).unwrap();
        // The findings travel with their sentences, the targets with their
        // rows.
        let first = findings::show(&r.analysis.findings[0]);
        assert_eq!(json["analysis"]["findings"][0]["sentence"], first.as_str());
        assert!(json["analysis"]["targets"][0]["row"]["target"].is_string());
        // Judgments this code would not make (another build's, or none):
        // judged again, the measurements decide.
        json["analysis"] = serde_json::json!({"findings": ["an older sentence"]});
        json["targets"] =
            serde_json::json!([{"target": "old", "limit": "raw", "measured": "1x", "met": false}]);
        let measured: Measured = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(Report::from(measured), r);
        // Read as a report, it keeps the analysis it holds.
        let mut kept = serde_json::to_value(&r).unwrap();
        kept["analysis"]["findings"] = serde_json::json!([]);
        let back: Report = serde_json::from_value(kept).unwrap();
        assert!(back.analysis.findings.is_empty());
        // Where the run placed its servers is kept, not this machine's.
        json["sweep_placement"] = "Placement `unpinned`: measured elsewhere.".into();
        let measured: Measured = serde_json::from_value(json).unwrap();
        let back = Report::from(measured);
        assert_eq!(Report::placement_name(&back.sweep_placement), "unpinned");
    }

    /// Every field path of `v`: `a.b`, `a[].c`; a map of servers' values
    /// (`values`) by `*`, so a new server is no new field.
    fn paths(v: &serde_json::Value, at: &str, out: &mut std::collections::BTreeSet<String>) {
        out.insert(at.to_string());
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    let key = if at.ends_with(".values") { "*" } else { k };
                    let next = if at.is_empty() {
                        key.to_string()
                    } else {
                        format!("{at}.{key}")
                    };
                    paths(x, &next, out);
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| paths(x, &format!("{at}[]"), out)),
            _ => {}
        }
    }

    #[test]
    fn the_json_fields_are_the_ones_listed_for_this_schema_version() {
        let mut found = std::collections::BTreeSet::new();
        let quick = fixture::report();
        let mut study = quick.study.clone();
        study.plan.kind = BenchKind::Test;
        // A run with the budget placement, one of whose placements was
        // skipped: the fields only such a run writes.
        let mut budget = quick.study.clone();
        for c in budget
            .cross_check
            .iter_mut()
            .filter(|c| c.driver.placement == Placement::Unpinned)
        {
            c.driver.placement = Placement::Budget;
            c.point.budget_cpus = Some(0.5);
            for w in &mut c.point.windows {
                w.budget_used = Some(0.95);
                w.late.push(crate::point::LateReading {
                    source: crate::point::ReadingSource::Counters,
                    edge: sockmodes_loadgen::WindowEdge::End,
                    late_ms: Some(80.0),
                });
            }
        }
        budget.cross_skipped = vec![crate::crosscheck::Skipped {
            placement: Placement::Split,
            why: "not measured".into(),
        }];
        for r in [quick, fixture::report_of(study), fixture::report_of(budget)] {
            assert_eq!(r.schema_version, SCHEMA_VERSION);
            paths(&serde_json::to_value(&r).unwrap(), "", &mut found);
        }
        let found: Vec<String> = found.into_iter().filter(|p| !p.is_empty()).collect();
        let list = format!(
            "{}/tests/report_schema/v{SCHEMA_VERSION}.txt",
            env!("CARGO_MANIFEST_DIR")
        );
        let listed = std::fs::read_to_string(&list).unwrap_or_default();
        let listed: Vec<&str> = listed.lines().filter(|l| !l.is_empty()).collect();
        assert!(
            found == listed,
            "report.json's fields differ from {list}: bump SCHEMA_VERSION and list the new set \
             there.\nadded: {:?}\nremoved: {:?}",
            found
                .iter()
                .filter(|p| !listed.contains(&p.as_str()))
                .collect::<Vec<_>>(),
            listed
                .iter()
                .filter(|p| !found.contains(&p.to_string()))
                .collect::<Vec<_>>(),
        );
    }

    #[test]
    fn a_report_of_another_schema_version_reads_only_as_measurements() {
        let r = fixture::report();
        let mut json = serde_json::to_value(&r).unwrap();
        json["schema_version"] = (SCHEMA_VERSION + 1).into();
        let err = serde_json::from_value::<Report>(json.clone()).unwrap_err();
        assert!(
            err.to_string().contains("judge its measurements again"),
            "{err}"
        );
        let measured: Measured = serde_json::from_value(json).unwrap();
        assert_eq!(Report::from(measured), r);
    }
}
