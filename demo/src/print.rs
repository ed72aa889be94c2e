//! The demo's output: colour on a terminal (unless `NO_COLOR` is set),
//! plain text otherwise.

use std::io::{self, IsTerminal, Write};

use super::{Lang, Step};

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

pub fn intro(lang: Lang, style: Style, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", style.paint("1", lang.t("intro.title")))?;
    writeln!(out, "{}\n", lang.t("intro.body"))
}

pub fn step(s: &Step, lang: Lang, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let title = lang.fill("step", &[("n", &s.number), ("title", &s.title)]);
    writeln!(out, "{}", style.paint("1;36", &title))?;
    for (label, code) in &s.lines {
        let label = format!("{label}:");
        writeln!(
            out,
            "  {}  {code}",
            style.paint("33", &format!("{label:<9}"))
        )?;
    }
    for (key, value) in &s.observed {
        let label = lang.t(&format!("o.{key}"));
        writeln!(
            out,
            "  {} {label}: {}",
            style.paint("32", "->"),
            style.paint("1", &lang.numbers(value))
        )?;
    }
    writeln!(out, "  {}\n", style.paint("2", &lang.numbers(&s.lesson)))
}

pub fn outro(lang: Lang, style: Style, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", style.paint("1", lang.t("outro")))
}
