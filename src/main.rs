//! `sockmodes`: blocking versus non-blocking TCP, side by side.
//!
//! Run `sockmodes --help`, or `sockmodes <command> --help`.

mod cli;

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::Parser;

/// Exit status for an input the command refuses (clap's, for usage errors).
const BAD_INPUT: u8 = 2;

fn main() -> ExitCode {
    // First, before anything slow and before any thread: a `kill -USR1`
    // that comes while the server is still starting is held until its
    // counters thread takes it, instead of killing it (SIGUSR1's default).
    cli::block_usr1();
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        // A value out of its bounds: one line, as every other refusal.
        Err(e) if e.kind() == ErrorKind::ValueValidation => {
            let text = e.to_string();
            let line = text.lines().next().unwrap_or_default();
            eprintln!(
                "sockmodes: error: {}",
                line.trim_start_matches("error: ").trim()
            );
            return ExitCode::from(BAD_INPUT);
        }
        // Help, version, unknown flags: clap's own text (with its hints).
        Err(e) => e.exit(),
    };
    cli::init_logging(&args);
    match cli::run(args) {
        Ok(code) => code,
        // The reader of our stdout closed it (a broken pipe): it has read
        // enough, the end and not a failure.
        Err(e)
            if e.downcast_ref::<cli::out::OutputError>()
                .is_some_and(|o| o.source.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sockmodes: error: {}", one_line(&e));
            if e.downcast_ref::<cli::InputError>().is_some() {
                ExitCode::from(BAD_INPUT)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// One clear line, never a backtrace: the error chain, joined, leaving out
/// a cause its parent's message already states.
fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain().map(ToString::to_string) {
        if line.contains(&cause) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&cause);
    }
    line
}
