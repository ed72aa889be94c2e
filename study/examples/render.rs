//! Renders a report again from its `report.json`: its measurements are
//! judged again by this version of the report code (the JSON keeps every
//! window) and every file is written anew, report.json with the new
//! analysis, so a change to the report can be applied to a run without
//! measuring again.
//!
//! `cargo run -p sockmodes-study --example render -- REPORT.json [OUT_DIR]`
//! (OUT_DIR defaults to the JSON's own directory).

use std::path::PathBuf;

use sockmodes_study::report::{self, publish};

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("render: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
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
    let report = publish::reanalyse(&text)
        .map_err(|e| anyhow::anyhow!("{} is not a sockmodes report: {e}", json.display()))?;
    let path = report::write(&out, &report)?;
    println!("{}", path.display());
    Ok(())
}
