//! `sockmodes demo`: every step's observations are what the step claims.
//! No timing thresholds: where a step measures time, the test checks the
//! outcome (which error, how many bytes, which mode), not how fast.

use std::process::Command;

use sockmodes::demo::{run, Pace, Step, Style};

fn steps() -> Vec<Step> {
    let mut out = Vec::new();
    let steps = run(Pace::fast(), Style::Plain, &mut out).expect("the demo runs");
    let text = String::from_utf8(out).unwrap();
    for s in &steps {
        assert!(text.contains(s.title), "step {} printed", s.number);
        assert!(!s.python.is_empty() && !s.std.is_empty() && !s.mio.is_empty());
    }
    assert!(!text.contains('\x1b'), "plain style has no escape codes");
    steps
}

#[track_caller]
fn observed<'a>(s: &'a Step, label: &str) -> &'a str {
    s.get(label)
        .unwrap_or_else(|| panic!("step {} observed {label:?}: {:?}", s.number, s.observed))
}

#[test]
fn every_step_observes_what_it_teaches() {
    let s = steps();
    assert_eq!(s.len(), 8);

    // 1: refused; std at connect, mio after the event through take_error.
    assert!(observed(&s[0], "std connect").starts_with("ConnectionRefusedError (os error 111)"));
    assert!(observed(&s[0], "mio connect").starts_with("returned Ok"));
    assert!(observed(&s[0], "mio poll").starts_with("event=true"));
    assert_eq!(
        observed(&s[0], "mio take_error"),
        "ConnectionRefusedError (os error 111)"
    );

    // 2: the blocking recv got the data the peer sent late.
    assert!(observed(&s[1], "recv returned").starts_with("4 bytes (\"hola\")"));

    // 3: WouldBlock first, then readiness, then the data.
    assert!(observed(&s[2], "try_recv").starts_with("WouldBlock (BlockingIOError)"));
    assert!(observed(&s[2], "poll").starts_with("READABLE=true"));
    assert!(observed(&s[2], "then try_recv").starts_with("8 bytes"));

    // 4: one errno, two exceptions, depending on the mode.
    assert_eq!(observed(&s[3], "the OS said"), "WouldBlock, os error 11");
    assert_eq!(observed(&s[3], "read as timeout mode"), "TimeoutError");
    assert_eq!(
        observed(&s[3], "same code, non-blocking mode"),
        "BlockingIOError"
    );

    // 5: one send in several reads; three sends in one read; framing restores three.
    let reads: usize = observed(&s[4], "one 300 KiB send arrived in")
        .trim_end_matches(" reads")
        .parse()
        .unwrap();
    assert!(reads > 1, "300 KiB cannot arrive in one 64 KiB read");
    assert!(observed(&s[4], "three sends (3+3+4 bytes) arrived in").contains("\"unodostres\""));
    assert!(observed(&s[4], "framed, the same bytes decode to").starts_with("3 messages"));

    // 6: a partial write, then WouldBlock.
    let taken = observed(&s[5], "the kernel took");
    let bytes: usize = taken.split_whitespace().next().unwrap().parse().unwrap();
    assert!(bytes > 0 && bytes < 64 << 20, "{taken}");
    assert_eq!(observed(&s[5], "next send"), "WouldBlock (BlockingIOError)");

    // 7: the three round trips were measured (their comparison is the bench's job).
    for label in [
        "two writes, Nagle on (median)",
        "two writes, TCP_NODELAY (median)",
        "one write, Nagle on (median)",
    ] {
        assert!(
            observed(&s[6], label).ends_with('s'),
            "{label} is a duration"
        );
    }

    // 8: three meanings of zero.
    assert_eq!(observed(&s[7], "Python settimeout(0.0) is"), "NonBlocking");
    assert!(observed(&s[7], "std says").starts_with("InvalidInput"));
    assert_eq!(observed(&s[7], "socket2 says"), "Ok");
    assert!(observed(&s[7], "read timeout now").starts_with("None"));
}

#[test]
fn the_command_runs_the_demo_plain_when_piped() {
    let out = Command::new(env!("CARGO_BIN_EXE_sockmodes"))
        .args(["demo", "--fast"])
        .output()
        .expect("sockmodes runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for n in 1..=8 {
        assert!(text.contains(&format!("Step {n}: ")), "step {n} in {text}");
    }
    assert!(
        !text.contains('\x1b'),
        "no colour codes when stdout is not a terminal"
    );
    assert!(
        out.stderr.is_empty(),
        "no log noise: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
