//! The command's results on stdout, written so that a failed write is an
//! error like any other, never a panic: `println!` panics when stdout is a
//! full disk (`> /dev/full`) or a closed pipe (`| head -0`).
//!
//! A closed pipe is the reader saying it has read enough, as Unix tools
//! take it: the command stops quietly there (exit 0, nothing on stderr),
//! as ripgrep does. Any other failure (no space left, an I/O error) is one
//! line on stderr and exit status 1 (`main`).

use std::io::{self, Write};

/// Stdout could not be written: the error, and what was being written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {what} to stdout: {source}")]
pub struct OutputError {
    /// What was being written ("the figures", "the result").
    pub what: &'static str,
    /// What the system said.
    #[source]
    pub source: io::Error,
}

/// Writes `text` and a newline to stdout, and flushes it, so that the
/// failure is seen here and not lost at exit.
///
/// # Errors
/// [`OutputError`], naming `what`.
pub fn line(what: &'static str, text: &str) -> Result<(), OutputError> {
    let mut out = io::stdout().lock();
    let newline = if text.ends_with('\n') { "" } else { "\n" };
    write!(out, "{text}{newline}")
        .and_then(|()| out.flush())
        .map_err(|source| OutputError { what, source })
}

/// A writer that remembers its first failure, for output written by code
/// that returns its own errors (the demo's walk-through): a failure of
/// the writer is then told apart from one of the work, and reported as an
/// [`OutputError`].
#[derive(Debug)]
pub struct Watched<W> {
    inner: W,
    failed: Option<io::Error>,
}

impl<W: Write> Watched<W> {
    /// Watches `inner`.
    pub fn new(inner: W) -> Self {
        Watched {
            inner,
            failed: None,
        }
    }

    /// `error`, as an [`OutputError`] about `what` when this writer failed.
    pub fn blame(&mut self, what: &'static str, error: anyhow::Error) -> anyhow::Error {
        match self.failed.take() {
            Some(source) => OutputError { what, source }.into(),
            None => error,
        }
    }

    fn note<T>(&mut self, result: io::Result<T>) -> io::Result<T> {
        if let (Err(e), None) = (&result, &self.failed) {
            self.failed = Some(io::Error::new(e.kind(), e.to_string()));
        }
        result
    }
}

impl<W: Write> Write for Watched<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let result = self.inner.write(buf);
        self.note(result)
    }

    fn flush(&mut self) -> io::Result<()> {
        let result = self.inner.flush();
        self.note(result)
    }
}
