//! `sockmodes`: blocking versus non-blocking TCP, side by side.
//!
//! Run `sockmodes --help`, or `sockmodes <command> --help`.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    cli::init_logging(&args);
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            // One clear line, never a backtrace: the error chain, joined.
            let chain: Vec<String> = e.chain().map(ToString::to_string).collect();
            eprintln!("sockmodes: error: {}", chain.join(": "));
            ExitCode::FAILURE
        }
    }
}
