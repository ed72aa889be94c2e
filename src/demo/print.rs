//! The demo's output: colour on a terminal (unless `NO_COLOR` is set),
//! plain text otherwise.

use std::io::{self, IsTerminal, Write};

use super::Step;

/// Whether to use ANSI colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Colours and bold.
    Colour,
    /// Plain text (pipes, files, `NO_COLOR`).
    Plain,
}

impl Style {
    /// Colour when stdout is a terminal and `NO_COLOR` is unset.
    pub fn detect() -> Style {
        if io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
            Style::Colour
        } else {
            Style::Plain
        }
    }

    fn paint(self, code: &str, text: &str) -> String {
        match self {
            Style::Colour => format!("\x1b[{code}m{text}\x1b[0m"),
            Style::Plain => text.to_string(),
        }
    }
}

pub fn intro(style: Style, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "{}",
        style.paint(
            "1",
            "sockmodes demo: blocking versus non-blocking sockets, measured"
        )
    )?;
    writeln!(
        out,
        "Every step below runs real sockets on 127.0.0.1; the figures are what this run observed.\n"
    )
}

pub fn step(s: &Step, style: Style, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "{}",
        style.paint("1;36", &format!("Step {}: {}", s.number, s.title))
    )?;
    writeln!(out, "  {}  {}", style.paint("33", "Python:"), s.python)?;
    writeln!(out, "  {}  {}", style.paint("33", "std:   "), s.std)?;
    writeln!(out, "  {}  {}", style.paint("33", "mio:   "), s.mio)?;
    for (label, value) in &s.observed {
        writeln!(
            out,
            "  {} {label}: {}",
            style.paint("32", "->"),
            style.paint("1", value)
        )?;
    }
    writeln!(out, "  {}\n", style.paint("2", s.lesson))
}

pub fn outro(style: Style, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "{}",
        style.paint("1", "Next: docs/guide.md (the side-by-side table, capturing packets, the pitfalls), and `cargo bench`.")
    )
}
