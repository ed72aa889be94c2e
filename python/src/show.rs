//! Text for a person, made at the edge: bytes a peer sent, shown and never
//! obeyed, and counts with the right form of their noun.
//!
//! **Input from the network is shown, never obeyed.** A server that prints
//! what a client sent, as it came, hands that client its terminal: ESC
//! (`\x1b`) starts a control sequence (red text, a cursor jump, a new window
//! title), BEL (`\x07`) rings, NUL and the C1 controls do their own things.
//! In a lab where students connect to each other's servers, that is a
//! classmate writing to your screen. So every place that prints a peer's
//! bytes prints [`visible`] of them instead: what Python's `repr` shows of a
//! string, without the quotes.
//!
//! - Printable characters stay as they are: accents, `ñ`, any script, emoji,
//!   a backslash, quotes.
//! - Every other character is an escape a person can read, as `repr`
//!   writes it: `\n`, `\r`, `\t`, then `\x1b`, `\x00`, `\x9b` below 256,
//!   `\u202e` (an invisible bidi override) below 65,536, `\U000e0001` above.
//!   A message's own newlines are shown as `\n`, so one message is one line.
//! - Bytes that are not UTF-8 are shown one by one as `\xff`, and the valid
//!   text around them stays text.
//! - A long message is cut after [`SHOWN_CHARS`] characters of display,
//!   never inside an escape, and ends `… (+K bytes)`: K bytes were not shown.
//!
//! What counts as printable is Rust's own table, the one `{:?}` uses, which
//! follows the same Unicode categories as Python's `str.isprintable`. The
//! display is for reading, not for decoding back: a backslash is printable,
//! so a client that sends the four characters `\x1b` is shown the same as
//! one that sends an ESC; neither reaches the terminal as a control.

use std::fmt::Write;

/// The most characters [`visible`] shows of one message.
///
/// Why 1024: about thirteen lines of an 80-column terminal, so any message
/// a person types is shown whole, while a 64 KiB message (the `message`
/// service's default limit) from each of many clients cannot scroll the
/// server's log away.
pub const SHOWN_CHARS: usize = 1024;

/// `bytes` as text a person can read and a terminal cannot obey: printable
/// characters as they are, the others escaped as Python's `repr` writes
/// them, cut after [`SHOWN_CHARS`] characters (see the module's doc).
pub fn visible(bytes: &[u8]) -> String {
    visible_within(bytes, SHOWN_CHARS)
}

/// [`visible`] with a limit of `limit` characters instead of [`SHOWN_CHARS`].
pub fn visible_within(bytes: &[u8], limit: usize) -> String {
    // Each character as it is shown, with the bytes it stands for.
    let pieces = bytes.utf8_chunks().flat_map(|chunk| {
        let text = chunk
            .valid()
            .chars()
            .map(|c| (escape_char(c), c.len_utf8()));
        let raw = chunk.invalid().iter().map(|b| (format!("\\x{b:02x}"), 1));
        text.chain(raw)
    });
    let mut out = String::new();
    let (mut shown_chars, mut shown_bytes) = (0, 0);
    for (piece, len) in pieces {
        shown_chars += piece.chars().count();
        if shown_chars > limit {
            break;
        }
        out.push_str(&piece);
        shown_bytes += len;
    }
    let left = bytes.len() - shown_bytes;
    if left > 0 {
        let _ = write!(out, "… (+{})", count(left as u64, "byte", "bytes"));
    }
    out
}

/// `c`, or its escape when it is not printable, as `repr` writes it.
fn escape_char(c: char) -> String {
    match c {
        '\n' => "\\n".into(),
        '\r' => "\\r".into(),
        '\t' => "\\t".into(),
        c if printable(c) => c.to_string(),
        c if (c as u32) < 0x100 => format!("\\x{:02x}", c as u32),
        c if (c as u32) < 0x10000 => format!("\\u{:04x}", c as u32),
        c => format!("\\U{:08x}", c as u32),
    }
}

/// True for a character shown as itself: Rust's table of printable
/// characters (the one `{:?}` uses), asked about `c` after a letter, so
/// that a combining accent counts as printable (Python's `isprintable`
/// says so too). `{:?}` escapes quotes and the backslash; `repr` shows a
/// backslash doubled, and here it is shown as itself (see the module's doc).
fn printable(c: char) -> bool {
    if matches!(c, '\\' | '\'' | '"') {
        return true;
    }
    let mut buf = [0u8; 8];
    buf[0] = b'a';
    let len = 1 + c.encode_utf8(&mut buf[1..]).len();
    std::str::from_utf8(&buf[..len]).is_ok_and(|pair| pair.escape_debug().nth(1) == Some(c))
}

/// The noun for `n` things: `one` for exactly one, `many` otherwise (zero
/// included), which is the rule in English and in Spanish.
pub fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// `n` and its noun: `count(1, "frame", "frames")` is `"1 frame"`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", plural(n, one, many))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_as_python_repr_writes_them() {
        let sent = b"hola \x1b[31mROJO\x1b]0;titulo\x07 \x00 fin";
        let shown = visible(sent);
        assert_eq!(shown, r"hola \x1b[31mROJO\x1b]0;titulo\x07 \x00 fin");
        assert!(!shown.chars().any(|c| c.is_control()), "{shown}");
        assert_eq!(visible(b"a\nb\r\tc"), r"a\nb\r\tc", "one message, one line");
        assert_eq!(visible(b"\x7f"), r"\x7f", "DEL");
        assert_eq!(visible("\u{9b}31m".as_bytes()), r"\x9b31m", "C1 CSI");
    }

    #[test]
    fn nul_bytes_are_shown_not_dropped() {
        assert_eq!(visible(b"\x00"), r"\x00");
        assert_eq!(visible(b"a\x00\x00b"), r"a\x00\x00b");
    }

    #[test]
    fn printable_unicode_stays_and_invisible_formatting_is_escaped() {
        let spanish = "¿Qué tal, señor Muñoz? ½ € 😀 «ok» 'x' \"y\" C:\\dir";
        assert_eq!(visible(spanish.as_bytes()), spanish);
        // An accent as a letter plus a combining mark (macOS writes é so).
        assert_eq!(visible("e\u{301}".as_bytes()), "e\u{301}");
        // A bidi override reorders what follows: shown, not applied.
        assert_eq!(visible("a\u{202e}b".as_bytes()), r"a\u202eb");
        assert_eq!(visible("\u{a0}\u{200b}".as_bytes()), r"\xa0\u200b");
        assert_eq!(visible("\u{e0001}".as_bytes()), r"\U000e0001");
    }

    #[test]
    fn invalid_utf8_is_shown_byte_by_byte_and_the_text_around_it_stays() {
        assert_eq!(visible(b"\xff"), r"\xff");
        assert_eq!(visible(b"caf\xc3"), r"caf\xc3", "a character cut short");
        assert_eq!(
            visible(b"ma\xf1ana \xc3\xb1"),
            r"ma\xf1ana ñ",
            "Latin-1 ñ is not UTF-8; the UTF-8 one is"
        );
        assert_eq!(visible(b"\xed\xa0\x80"), r"\xed\xa0\x80", "a surrogate");
    }

    #[test]
    fn a_long_message_is_cut_and_says_how_much_was_left_out() {
        let long = vec![b'x'; 64 * 1024];
        let shown = visible(&long);
        let expected = format!(
            "{}… (+{} bytes)",
            "x".repeat(SHOWN_CHARS),
            long.len() - SHOWN_CHARS
        );
        assert_eq!(shown, expected);
        // Never cut inside an escape; the bytes left out are counted as bytes.
        assert_eq!(visible_within(b"ab\x1bcd", 4), r"ab… (+3 bytes)");
        assert_eq!(visible_within("ññ".as_bytes(), 1), "ñ… (+2 bytes)");
        assert_eq!(visible_within(b"abc", 2), "ab… (+1 byte)");
        assert_eq!(
            visible_within(b"abc", 3),
            "abc",
            "exactly the limit: not cut"
        );
        assert_eq!(visible(b""), "");
    }

    #[test]
    fn plurals_in_english_and_spanish() {
        assert_eq!(count(1, "frame", "frames"), "1 frame");
        assert_eq!(count(0, "frame", "frames"), "0 frames");
        assert_eq!(count(2, "vez", "veces"), "2 veces");
        assert_eq!(plural(1, "vez", "veces"), "vez");
    }
}
