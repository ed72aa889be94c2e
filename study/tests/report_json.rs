//! What report.md prints of the published run is in its report.json as
//! data, so a script reading the JSON sees it: every finding's sentence
//! (with its typed form beside it), and every ceiling the service-work
//! findings and table print, as a number of the analysis.

use std::path::Path;

use serde_json::Value;
use sockmodes_study::report::{self, publish};

fn published() -> (String, Value) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let text = std::fs::read_to_string(root.join(publish::JSON)).expect("the published run");
    let run = publish::reread(&text).expect("a report with its analysis");
    (report::markdown(&run), serde_json::from_str(&text).unwrap())
}

/// The bullets of the Markdown's findings section.
fn finding_lines(md: &str) -> Vec<&str> {
    let start = md
        .find("## Findings (computed from this run)")
        .expect("a findings section");
    md[start..]
        .lines()
        .skip(1)
        .skip_while(|l| l.is_empty())
        .take_while(|l| l.starts_with("- "))
        .map(|l| &l[2..])
        .collect()
}

/// The numbers printed after each `marker` in `text` ("ceiling 50,000"
/// is 50000).
fn after(text: &str, marker: &str) -> Vec<f64> {
    text.match_indices(marker)
        .filter_map(|(i, _)| {
            let digits: String = text[i + marker.len()..]
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == ',')
                .filter(|c| *c != ',')
                .collect();
            digits.parse().ok()
        })
        .collect()
}

/// Every number under a key named `key` anywhere in `v`.
fn numbers_named(v: &Value, key: &str, out: &mut Vec<f64>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == key {
                    out.extend(x.as_f64());
                }
                numbers_named(x, key, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| numbers_named(x, key, out)),
        _ => {}
    }
}

/// Whether `printed` is one of `data` as the report rounds it.
fn printed_from(printed: f64, data: &[f64]) -> bool {
    data.iter().any(|d| (d.round() - printed).abs() < 0.5)
}

#[test]
fn every_finding_of_the_markdown_is_a_sentence_of_the_json_with_its_data() {
    let (md, json) = published();
    let printed = finding_lines(&md);
    let findings = json["analysis"]["findings"]
        .as_array()
        .expect("the findings");
    let sentences: Vec<&str> = findings
        .iter()
        .map(|f| f["sentence"].as_str().expect("a sentence"))
        .collect();
    assert!(printed.len() > 10, "{printed:?}");
    assert_eq!(printed, sentences, "the same findings in the same order");
    for f in findings {
        assert!(f["finding"].is_object() || f["finding"].is_string(), "{f}");
    }
    // The service-work cases are findings too.
    assert!(printed.iter().any(|s| s.starts_with("Service work, `")));
}

#[test]
fn every_ceiling_the_markdown_prints_is_a_number_of_the_json() {
    let (md, json) = published();
    let analysis = &json["analysis"];
    // The findings' ceilings: Little's law's and the CPU's.
    let mut case_ceilings = Vec::new();
    numbers_named(&analysis["findings"], "ceiling", &mut case_ceilings);
    let mut case_cpu = Vec::new();
    numbers_named(&analysis["findings"], "cpu_ceiling", &mut case_cpu);
    let findings = finding_lines(&md).join("\n");
    let little = after(&findings, "(ceiling ");
    let cpu = after(&findings, "its cores allowed ");
    assert!(little.len() >= 10 && !cpu.is_empty(), "{little:?} {cpu:?}");
    for c in &little {
        assert!(
            printed_from(*c, &case_ceilings),
            "ceiling {c} not in the JSON"
        );
    }
    for c in &cpu {
        assert!(
            printed_from(*c, &case_cpu),
            "CPU ceiling {c} not in the JSON"
        );
    }
    // The service-work table: each row's ceiling and CPU ceiling.
    let mut figures = Vec::new();
    numbers_named(&analysis["service"], "ceiling", &mut figures);
    let mut figures_cpu = Vec::new();
    numbers_named(&analysis["service"], "cpu_ceiling", &mut figures_cpu);
    let table = md
        .split("## Service work")
        .nth(1)
        .expect("the service-work table");
    let rows: Vec<Vec<&str>> = table
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| l.split(" | ").collect())
        .collect();
    assert!(rows.len() >= 10);
    let number = |cell: &str| -> f64 { cell.replace(',', "").trim().parse().unwrap() };
    for row in &rows {
        assert!(printed_from(number(row[4]), &figures), "{row:?}");
        if row[6] != "-" {
            assert!(printed_from(number(row[6]), &figures_cpu), "{row:?}");
        }
    }
}
