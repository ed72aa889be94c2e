//! Reading Rust source as the socket-free check needs it: its identifiers
//! and path separators with their line numbers, with comments, string and
//! character literals and `#[cfg(test)]` items left out. A small scanner,
//! not a parser: enough to tell `std::net::TcpStream` in code from the
//! same words in a doc comment or a string.

/// The identifiers and the punctuation `# [ ] ( ) { } ; ! :` of Rust
/// source with their line numbers, comments and string and character
/// literals left out.
fn tokens(source: &str) -> Vec<(usize, String)> {
    let chars: Vec<char> = source.chars().collect();
    let (mut i, mut line, mut out) = (0, 1, Vec::new());
    let at = |i: usize, s: &str| {
        s.chars()
            .enumerate()
            .all(|(k, c)| chars.get(i + k) == Some(&c))
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if at(i, "//") {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if at(i, "/*") {
            let mut depth = 0;
            while i < chars.len() {
                if at(i, "/*") {
                    depth += 1;
                    i += 2;
                } else if at(i, "*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    line += usize::from(chars[i] == '\n');
                    i += 1;
                }
            }
        } else if c == '"' {
            i = skip_string(&chars, i, false, &mut line);
        } else if c == '\'' {
            // A character literal ('x', '\n', '\'', '\u{7f}'), or a lifetime.
            let escaped = chars.get(i + 1) == Some(&'\\');
            let from = if escaped { i + 3 } else { i + 2 };
            let close = (from..(i + 12).min(chars.len())).find(|&k| chars[k] == '\'');
            i = match close {
                Some(k) if escaped || k == i + 2 => k + 1,
                _ => i + 1,
            };
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let id: String = chars[start..i].iter().collect();
            // r"..", r#".."#, br"..", b".." are literals; r#type is a name.
            let hashes = chars[i..].iter().take_while(|&&c| c == '#').count();
            let quoted = chars.get(i + hashes) == Some(&'"');
            match id.as_str() {
                "r" | "br" | "cr" if quoted => i = skip_string(&chars, i, true, &mut line),
                "b" | "c" if quoted && hashes == 0 => {
                    i = skip_string(&chars, i, false, &mut line);
                }
                _ => out.push((line, id)),
            }
        } else {
            if "#[](){};!:".contains(c) {
                out.push((line, c.to_string()));
            }
            i += 1;
        }
    }
    out
}

/// The identifiers and path separators (`:`) of Rust source outside
/// `#[cfg(test)]` items, with their line numbers (see [`tokens`]).
pub fn identifiers(source: &str) -> Vec<(usize, String)> {
    const CFG_TEST: [&str; 7] = ["#", "[", "cfg", "(", "test", ")", "]"];
    let toks = tokens(source);
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let is_cfg_test = CFG_TEST
            .iter()
            .enumerate()
            .all(|(k, t)| toks.get(i + k).is_some_and(|(_, s)| s == t));
        if is_cfg_test {
            // Skip the item: up to its `;`, or its braces' end.
            i += CFG_TEST.len();
            while i < toks.len() && toks[i].1 != "{" && toks[i].1 != ";" {
                i += 1;
            }
            if toks.get(i).is_some_and(|(_, s)| s == "{") {
                let mut depth = 0;
                while i < toks.len() {
                    match toks[i].1.as_str() {
                        "{" => depth += 1,
                        "}" if depth == 1 => break,
                        "}" => depth -= 1,
                        _ => {}
                    }
                    i += 1;
                }
            }
            i += 1;
            continue;
        }
        let (line, t) = &toks[i];
        if t == ":" || t.starts_with(|c: char| c.is_alphabetic() || c == '_') {
            out.push((*line, t.clone()));
        }
        i += 1;
    }
    out
}

/// The index just past the string literal whose opening `#`s or quote are
/// at `i` ("..." or, `raw`, #"..."# after its `r`).
fn skip_string(chars: &[char], mut i: usize, raw: bool, line: &mut usize) -> usize {
    let mut hashes = 0;
    while raw && chars.get(i) == Some(&'#') {
        hashes += 1;
        i += 1;
    }
    i += 1; // the opening quote
    while i < chars.len() {
        match chars[i] {
            '\\' if !raw => i += 1,
            '\n' => *line += 1,
            '"' if (1..=hashes).all(|k| chars.get(i + k) == Some(&'#')) => return i + 1 + hashes,
            _ => {}
        }
        i += 1;
    }
    i
}
