//! `sockmodes demo`: the differences between the socket modes and the I/O
//! models, shown step by step and measured, never scripted.
//!
//! Each step runs real sockets on loopback, records what it observed in a
//! [`Step`], and the printer shows three lines side by side (Python, Rust
//! std, mio) and then what happened. Tests assert the observations. The
//! words come from one table per language ([`Lang`]); the observations are
//! keyed, so tests read them in any language.

mod print;
mod steps;
pub mod text;
pub mod timeline;

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

pub use print::Style;
pub use text::Lang;

/// What one step did and saw.
#[derive(Debug, Clone)]
pub struct Step {
    /// 1-based step number.
    pub number: usize,
    /// Headline.
    pub title: String,
    /// The code of this operation, one line per language or model that has
    /// one, in order: Python first, then each I/O model of the registry
    /// (`std` for blocking, `mio` for readiness, `io_uring` for completion).
    pub lines: Vec<(&'static str, String)>,
    /// What happened, measured: (key, value) in order; the printer shows
    /// the key's label in the demo's language.
    pub observed: Vec<(&'static str, String)>,
    /// The point of the step, in one sentence.
    pub lesson: String,
    /// What each party did when, for the step's timeline picture
    /// (`sockmodes demo --svg DIR`); empty for steps without one.
    pub spans: Vec<Span>,
}

/// A stretch of time one party of a step spent doing one thing, measured
/// in this run from a common start. Keys, not words: the picture is drawn
/// in every language from the same measurements.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// The scenario (a row of the picture): the key of its observation
    /// (e.g. `b_one_thread`, whose label is the text `o.b_one_thread`).
    pub row: &'static str,
    /// Who: `"A"` or `"B"`.
    pub who: &'static str,
    /// The text key of what it was doing (e.g. `tl.a_sends`).
    pub what: &'static str,
    /// From, since the scenario's start.
    pub start: Duration,
    /// Until.
    pub end: Duration,
}

impl Step {
    /// The observed value under `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.observed
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The code line labelled `label` (`Python`, `std`, `mio`, `io_uring`).
    pub fn line(&self, label: &str) -> Option<&str> {
        self.lines
            .iter()
            .find(|(l, _)| *l == label)
            .map(|(_, v)| v.as_str())
    }

    fn observe(&mut self, key: &'static str, value: String) {
        self.observed.push((key, value));
    }

    /// Records that `who` did `what` from `start` to `end` in scenario `row`.
    fn span(
        &mut self,
        row: &'static str,
        who: &'static str,
        what: &'static str,
        (start, end): (Duration, Duration),
    ) {
        self.spans.push(Span {
            row,
            who,
            what,
            start,
            end,
        });
    }
}

/// How long the demo waits where waiting is the point, and how big it goes.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// How long a peer stays silent before sending (blocking recv step).
    pub peer_delay: Duration,
    /// The timeout of the timeout-mode step.
    pub timeout: Duration,
    /// Pause after each step, to read it.
    pub pause: Duration,
    /// Round trips per Nagle measurement.
    pub nagle_round_trips: usize,
    /// How long client A holds the one-thread server (step 9).
    pub hold: Duration,
    /// Connections of step 10.
    pub many: usize,
    /// The work of each message in step 11 (a blocking call, a timer).
    pub work: Duration,
}

impl Pace {
    /// About 90 seconds in all (measured: 89 s): waits long enough to feel.
    pub fn normal() -> Pace {
        Pace {
            peer_delay: Duration::from_secs(2),
            timeout: Duration::from_millis(1500),
            pause: Duration::from_secs(7),
            nagle_round_trips: 20,
            hold: Duration::from_secs(1),
            many: 1000,
            work: Duration::from_millis(200),
        }
    }

    /// For tests and `--fast`: the same steps with short waits and 100
    /// connections in step 10 (a few seconds in all). Step 11's work stays
    /// at 100 ms: whether B waited behind A shows as a whole work time, so
    /// the longer it is, the less a busy machine's delays can blur it.
    pub fn fast() -> Pace {
        Pace {
            peer_delay: Duration::from_millis(150),
            timeout: Duration::from_millis(200),
            pause: Duration::ZERO,
            nagle_round_trips: 5,
            hold: Duration::from_millis(300),
            many: 100,
            work: Duration::from_millis(100),
        }
    }
}

/// Everything a step needs.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Waits and sizes.
    pub pace: Pace,
    /// The language of the texts.
    pub lang: Lang,
    /// The `sockmodes` binary, which step 10 starts as its servers (the
    /// command passes its own path; tests pass the built binary's).
    pub server_bin: PathBuf,
}

/// Runs every step, printing each as it completes, and returns them all.
///
/// # Errors
/// A step's sockets failed in a way the demo did not expect (e.g. no loopback).
pub fn run(ctx: &Ctx, style: Style, out: &mut dyn Write) -> anyhow::Result<Vec<Step>> {
    print::intro(ctx.lang, style, out)?;
    let mut done = Vec::new();
    for (i, step) in steps::ALL.iter().enumerate() {
        let s = step(ctx)?;
        print::step(&s, ctx.lang, style, out)?;
        out.flush()?;
        done.push(s);
        if i + 1 < steps::ALL.len() {
            std::thread::sleep(ctx.pace.pause);
        }
    }
    print::outro(ctx.lang, style, out)?;
    Ok(done)
}
