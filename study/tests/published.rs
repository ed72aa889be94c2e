//! The published run and the pages agree: what docs/benchmarks.md, its
//! charts, the README and the guides show of the run is, byte for byte,
//! what this code renders from `docs/benchmarks/report.json`
//! (`cargo run -p sockmodes-study --example publish` makes them so).

use std::path::Path;

use sockmodes_study::report::publish;

#[test]
fn every_page_equals_its_rendering_from_the_published_json() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let files = publish::render(&root).expect("the JSON and every page's markers");
    let mut differ = Vec::new();
    for (path, text) in &files {
        // The charts' log axes are placed by the platform's libm, and
        // mingw's differs from glibc's in the last digits (seen under Wine:
        // sweep-switches.svg only): the charts are checked where the run
        // was made and rendered, on Linux; the pages everywhere.
        let chart = path.extension().is_some_and(|e| e == "svg");
        if chart && !cfg!(target_os = "linux") {
            continue;
        }
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        if on_disk != *text {
            differ.push(path.display().to_string());
        }
    }
    assert!(
        differ.is_empty(),
        "these differ from their rendering of {}: {differ:?}; run `cargo run -p sockmodes-study --example publish`",
        publish::JSON
    );
    assert!(files.iter().any(|(p, _)| p.ends_with("README.md")));
}

/// The published run is kept compactly (one line of JSON), so the
/// repository carries 1.3 MB of windows rather than 4.4 MB of indentation.
#[test]
fn the_published_run_is_stored_compactly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let text = std::fs::read_to_string(root.join(publish::JSON)).expect("the published run");
    assert!(text.len() < 1_500_000, "{} bytes", text.len());
    assert_eq!(text.lines().count(), 1, "one line");
}
