//! `sockmodes demo`: the differences between the modes, shown step by step
//! and measured, never scripted.
//!
//! Each step runs real sockets on loopback, records what it observed in a
//! [`Step`], and the printer shows three lines side by side (Python, Rust
//! std, mio) and then what happened. Tests assert the observations.

mod print;
mod steps;

use std::io::Write;
use std::time::Duration;

pub use print::Style;

/// What one step did and saw.
#[derive(Debug, Clone)]
pub struct Step {
    /// 1-based step number.
    pub number: usize,
    /// Headline.
    pub title: &'static str,
    /// The Python line for this operation.
    pub python: &'static str,
    /// The Rust std line.
    pub std: &'static str,
    /// The mio line.
    pub mio: &'static str,
    /// What happened, measured: (label, value) in order.
    pub observed: Vec<(&'static str, String)>,
    /// The point of the step, in one sentence.
    pub lesson: &'static str,
}

impl Step {
    /// The observed value under `label`.
    pub fn get(&self, label: &str) -> Option<&str> {
        self.observed
            .iter()
            .find(|(l, _)| *l == label)
            .map(|(_, v)| v.as_str())
    }
}

/// How long the demo waits where waiting is the point.
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
}

impl Pace {
    /// About a minute in all: waits long enough to feel.
    pub fn normal() -> Pace {
        Pace {
            peer_delay: Duration::from_secs(2),
            timeout: Duration::from_millis(1500),
            pause: Duration::from_secs(7),
            nagle_round_trips: 20,
        }
    }

    /// For tests: the same steps with short waits.
    pub fn fast() -> Pace {
        Pace {
            peer_delay: Duration::from_millis(150),
            timeout: Duration::from_millis(200),
            pause: Duration::ZERO,
            nagle_round_trips: 5,
        }
    }
}

/// Runs every step, printing each as it completes, and returns them all.
///
/// # Errors
/// A step's sockets failed in a way the demo did not expect (e.g. no loopback).
pub fn run(pace: Pace, style: Style, out: &mut dyn Write) -> anyhow::Result<Vec<Step>> {
    print::intro(style, out)?;
    let mut done = Vec::new();
    for (i, step) in steps::ALL.iter().enumerate() {
        let mut s = step(&pace)?;
        s.number = i + 1;
        print::step(&s, style, out)?;
        out.flush()?;
        done.push(s);
        if i + 1 < steps::ALL.len() {
            std::thread::sleep(pace.pause);
        }
    }
    print::outro(style, out)?;
    Ok(done)
}
