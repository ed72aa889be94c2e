//! Renders what the pages show of the published run from
//! `docs/benchmarks/report.json`: the JSON itself, its measurements judged
//! again by this code, the report part of docs/benchmarks.md and its
//! charts, the README's tables, and the guides' tables
//! (`study/src/report/publish.rs` says which regions).
//!
//! `cargo run -p sockmodes-study --example publish` writes them;
//! `cargo run -p sockmodes-study --example publish -- --check` changes
//! nothing and exits 1 naming every file that differs (the test
//! `study/tests/published.rs` does the same). To publish a new run, copy its
//! `target/criterion/sockmodes/report.json` to `docs/benchmarks/report.json`
//! first.

use std::path::Path;
use std::process::ExitCode;

use sockmodes_study::report::publish;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(bad) = args.iter().find(|a| *a != "--check") {
        eprintln!("publish: unknown argument {bad:?} (the only one is --check)");
        return ExitCode::from(2);
    }
    let check = !args.is_empty();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let files = match publish::render(&root) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("publish: {e}");
            return ExitCode::from(2);
        }
    };
    let mut differ = 0;
    for (path, text) in files {
        if std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
            continue;
        }
        differ += 1;
        if check {
            println!("differs: {}", path.display());
        } else if let Err(e) = std::fs::write(&path, text) {
            eprintln!("publish: {}: {e}", path.display());
            return ExitCode::from(2);
        } else {
            println!("wrote {}", path.display());
        }
    }
    if check && differ > 0 {
        println!(
            "{differ} of the files differ from {}: run the example without --check",
            publish::JSON
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
