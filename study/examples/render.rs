//! Renders a report again from its `report.json`: the findings, targets,
//! tables and charts are recomputed by this version of the report code from
//! the same measurements (the JSON keeps every window), so a change to the
//! report can be applied to a run without measuring again.
//!
//! `cargo run -p sockmodes-study --example render -- REPORT.json [OUT_DIR]`
//! (OUT_DIR defaults to the JSON's own directory).

use std::path::PathBuf;

use sockmodes_study::report::{self, Report};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let json = PathBuf::from(
        args.next()
            .ok_or_else(|| anyhow::anyhow!("usage: render REPORT.json [OUT_DIR]"))?,
    );
    let out = args.next().map(PathBuf::from).unwrap_or_else(|| {
        json.parent()
            .map_or_else(|| PathBuf::from("."), PathBuf::from)
    });
    let text =
        std::fs::read_to_string(&json).map_err(|e| anyhow::anyhow!("{}: {e}", json.display()))?;
    // Reading a report judges its measurements again with this code.
    let report: Report = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{} is not a sockmodes report: {e}", json.display()))?;
    let path = report::write(&out, &report)?;
    println!("{}", path.display());
    Ok(())
}
