//! Python for the tests of the lab (`lab/`): the interpreter, where there is
//! one. Where there is none the tests say so on stderr and pass: every CI
//! machine has it, a contributor's may not.

use std::process::{Command, Output};

/// The stdout of a run that must have succeeded; where it did not, `what`
/// ran, with its status and both outputs.
#[track_caller]
pub fn ok(out: Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what}: {:?}\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// `python3` or `python`, whichever runs here.
pub fn python() -> Option<&'static str> {
    ["python3", "python"].into_iter().find(|p| {
        Command::new(p)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// The interpreter; where there is none, says on stderr that `what` (the
/// tests did not run, a check was not made).
pub fn python_or_say(what: &str) -> Option<&'static str> {
    let py = python();
    if py.is_none() {
        eprintln!("no python3 here: {what}");
    }
    py
}
