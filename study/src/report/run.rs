//! One run as the report keeps it: where and how it was measured, its
//! measurements ([`Study`]), and their [`Analysis`], computed once when the
//! report is made. report.json is this value, serialisable both ways: read
//! back, a report keeps the analysis it was written with, so rendering it
//! judges nothing again. To judge a run's measurements again with this
//! code (a change to the analysis, applied to an old run), read its
//! [`Measured`] part and make a report of it.

use serde::{Deserialize, Serialize};

use super::analysis::Analysis;
use super::study::Study;
use crate::affinity::Placement;
use crate::machine::Machine;
use crate::target::RunMode;

/// Everything one report shows, for the Markdown, HTML and JSON writers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Report {
    pub mode: RunMode,
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
            mode: study.plan.run_mode,
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
        for p in [Placement::Split, Placement::SameCore, Placement::Unpinned] {
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
        // An older version's judgments, or none that this code would make:
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
}
