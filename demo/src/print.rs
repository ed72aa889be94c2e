//! The demo's output: colour where the terminal conventions allow it,
//! plain text otherwise.

use std::io::{self, Write};

use anstream::{AutoStream, ColorChoice};
use anstyle::{AnsiColor, Style as Look};

use super::{Lang, Step};

/// Whether to colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Colours and bold.
    Colour,
    /// Plain text (pipes, files, `NO_COLOR`).
    Plain,
}

/// A title: bold.
const TITLE: Look = Look::new().bold();
/// A step's heading: bold cyan.
const HEADING: Look = AnsiColor::Cyan.on_default().bold();
/// The label of a code line: yellow.
const LABEL: Look = AnsiColor::Yellow.on_default();
/// The arrow before an observation: green.
const ARROW: Look = AnsiColor::Green.on_default();
/// The lesson: dimmed.
const LESSON: Look = Look::new().dimmed();

impl Style {
    /// Standard output as the demo writes to it, and whether to colour
    /// there, as anstream decides by the terminal conventions: a terminal
    /// gets colour unless `NO_COLOR` is set and not empty, `CLICOLOR_FORCE`
    /// gives it anywhere, and a Windows console without ANSI support gets
    /// it through the console's own calls.
    pub fn stdout() -> (Style, AutoStream<io::StdoutLock<'static>>) {
        let out = anstream::stdout().lock();
        (Style::of(out.current_choice()), out)
    }

    /// Plain where anstream strips colour, colour otherwise.
    pub fn of(choice: ColorChoice) -> Style {
        match choice {
            ColorChoice::Never => Style::Plain,
            ColorChoice::Auto | ColorChoice::Always | ColorChoice::AlwaysAnsi => Style::Colour,
        }
    }

    fn paint(self, look: Look, text: &str) -> String {
        match self {
            Style::Colour => format!("{look}{text}{look:#}"),
            Style::Plain => text.to_string(),
        }
    }
}

pub fn intro(lang: Lang, style: Style, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", style.paint(TITLE, lang.t("intro.title")))?;
    writeln!(out, "{}\n", lang.t("intro.body"))
}

pub fn step(s: &Step, lang: Lang, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let title = lang.fill("step", &[("n", &s.number), ("title", &s.title)]);
    writeln!(out, "{}", style.paint(HEADING, &title))?;
    for (label, code) in &s.lines {
        let label = style.paint(LABEL, &format!("{:<9}", format!("{label}:")));
        writeln!(out, "  {label}  {code}")?;
    }
    for (key, value) in &s.observed {
        let label = lang.t(&format!("o.{key}"));
        let arrow = style.paint(ARROW, "->");
        let value = style.paint(TITLE, &lang.numbers(value));
        writeln!(out, "  {arrow} {label}: {value}")?;
    }
    writeln!(out, "  {}\n", style.paint(LESSON, &lang.numbers(&s.lesson)))
}

pub fn outro(lang: Lang, style: Style, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", style.paint(TITLE, lang.t("outro")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_colour_style_writes_escape_codes() {
        assert_eq!(Style::Plain.paint(HEADING, "step"), "step");
        assert_eq!(
            Style::Colour.paint(HEADING, "step"),
            "\x1b[1m\x1b[36mstep\x1b[0m"
        );
        assert_eq!(Style::of(ColorChoice::Never), Style::Plain);
        assert_eq!(Style::of(ColorChoice::AlwaysAnsi), Style::Colour);
    }
}
