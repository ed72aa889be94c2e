//! The rules of `docs/glosario.md` that a machine can check. Each function
//! returns one line per breach: `file:line: what is wrong: «excerpt»`.

/// Requires `breaches` to be empty, or shows them all, one a line, counted
/// as `what`.
#[track_caller]
pub fn assert_none(breaches: &[String], what: &str) {
    assert!(
        breaches.is_empty(),
        "{} {what}:\n{}",
        breaches.len(),
        breaches.join("\n")
    );
}

/// Words the glossary replaces, with what it uses instead.
const FORBIDDEN: &[(&str, &str)] = &[
    (
        "reinici",
        "RST: «corta la conexión con RST», never a reboot",
    ),
    ("un byte cada vez", "«byte a byte»"),
    ("plazo", "«tiempo de espera»"),
    ("más allá del ruido", "«significativa»"),
    ("transport", "«atender» (messages carried)"),
    ("bucle cerrado", "«lazo cerrado»"),
    ("bucles cerrados", "«lazos cerrados»"),
    ("bucle abierto", "«lazo abierto»"),
    ("bucles abiertos", "«lazos abiertos»"),
    ("carga de un mensaje", "«carga útil»"),
    ("establecimiento de la conexión", "«saludo en tres pasos»"),
    ("saludo tcp", "«saludo en tres pasos»"),
    ("qué modo, cuándo", "the heading «Cuándo usar cada modo»"),
    ("advertencia honesta", "the glossary's «salvedad»"),
    ("ctrl-", "«Ctrl+C»"),
    ("} x {", "«×»"),
    (
        "× más",
        "«N veces» or «un N % más»: «1,47× más» reads as 2,47 times",
    ),
    (
        "× menos",
        "«N veces» or «un N % menos»: «N× menos» is ambiguous",
    ),
    ("runtime", "«biblioteca asíncrona» (tokio)"),
    (
        "otra terminal",
        "«otro terminal»: el terminal, in the masculine",
    ),
    (
        "una terminal",
        "«un terminal»: el terminal, in the masculine",
    ),
    (
        "la terminal",
        "«el terminal»: el terminal, in the masculine",
    ),
];

/// Words that must always carry their complement.
const QUALIFIED: &[(&str, &str)] = &[
    ("núcleo", " de cpu"),
    ("núcleos", " de cpu"),
    ("saludo", " en tres pasos"),
];

/// The text with every run of ASCII blanks made one space (a phrase may
/// break across lines; U+00A0 stays), and the line each character came from.
fn flatten(text: &str) -> (Vec<char>, Vec<usize>) {
    let (mut chars, mut lines, mut line, mut blank) = (Vec::new(), Vec::new(), 1, false);
    for c in text.chars() {
        let is_blank = matches!(c, ' ' | '\n' | '\t' | '\r');
        if !(is_blank && blank) {
            chars.push(if is_blank { ' ' } else { c });
            lines.push(line);
        }
        blank = is_blank;
        line += usize::from(c == '\n');
    }
    (chars, lines)
}

fn lower(chars: &[char]) -> Vec<char> {
    chars
        .iter()
        .map(|c| c.to_lowercase().next().unwrap_or(*c))
        .collect()
}

fn find_all(hay: &[char], needle: &str) -> Vec<usize> {
    let n: Vec<char> = needle.chars().collect();
    (0..hay.len().saturating_sub(n.len() - 1))
        .filter(|&i| hay[i..].starts_with(&n))
        .collect()
}

fn breach(file: &str, chars: &[char], lines: &[usize], at: usize, why: &str) -> String {
    let from = at.saturating_sub(25);
    let to = (at + 30).min(chars.len());
    let excerpt: String = chars[from..to].iter().collect();
    format!("{file}:{}: {why}: «{excerpt}»", lines[at])
}

/// The glossary's words: the forbidden ones, and núcleo and saludo only
/// with «de CPU» and «en tres pasos».
pub fn words(file: &str, text: &str) -> Vec<String> {
    let (chars, lines) = flatten(text);
    let low = lower(&chars);
    let mut out = Vec::new();
    for (word, instead) in FORBIDDEN {
        for at in find_all(&low, word) {
            out.push(breach(
                file,
                &chars,
                &lines,
                at,
                &format!("{word:?}: use {instead}"),
            ));
        }
    }
    for (word, complement) in QUALIFIED {
        for at in find_all(&low, word) {
            let end = at + word.chars().count();
            let whole = !low.get(end).is_some_and(|c| c.is_alphanumeric());
            let complement: Vec<char> = complement.chars().collect();
            if whole && !low[end..].starts_with(&complement) {
                let why = format!(
                    "{word:?} without «{}»",
                    complement.iter().collect::<String>().trim()
                );
                out.push(breach(file, &chars, &lines, at, &why));
            }
        }
    }
    out
}

fn digit(chars: &[char], i: usize) -> bool {
    chars.get(i).is_some_and(char::is_ascii_digit)
}

/// A decimal point between digits: Spanish writes a decimal comma.
pub fn decimals(file: &str, text: &str) -> Vec<String> {
    let (chars, lines) = flatten(text);
    (1..chars.len())
        .filter(|&i| chars[i] == '.' && digit(&chars, i - 1) && digit(&chars, i + 1))
        .map(|i| {
            breach(
                file,
                &chars,
                &lines,
                i,
                "a decimal point: write a decimal comma",
            )
        })
        .collect()
}

/// A version ("Python 3.8") is not a decimal number.
fn is_version(low: &[char], dot: usize) -> bool {
    let start = (0..dot)
        .rev()
        .find(|&i| !low[i].is_ascii_digit())
        .map_or(0, |i| i + 1);
    ["python ", "powershell "].iter().any(|name| {
        let n = name.chars().count();
        start >= n && low[start - n..start].iter().copied().eq(name.chars())
    })
}

/// Numbers as Spain writes them: decimal commas, thousands grouped by a
/// non-breaking space from five digits on (four-digit numbers and Winsock's
/// error codes 100xx stand alone), a non-breaking space before %, × for
/// ratios.
pub fn numbers(file: &str, text: &str) -> Vec<String> {
    let (chars, lines) = flatten(text);
    let low = lower(&chars);
    let mut out = Vec::new();
    let mut say = |i: usize, why: &str| out.push(breach(file, &chars, &lines, i, why));
    for i in 1..chars.len() {
        let after_digit = digit(&chars, i - 1);
        match chars[i] {
            '.' if after_digit && digit(&chars, i + 1) && !is_version(&low, i) => {
                say(i, "a decimal point: write a decimal comma")
            }
            '%' if after_digit => say(i, "a non-breaking space before %"),
            ' ' if after_digit && chars.get(i + 1) == Some(&'%') => {
                say(i, "a non-breaking space (U+00A0) before %, not a plain one")
            }
            ' ' if after_digit
                && (1..=3).all(|k| digit(&chars, i + k))
                && !digit(&chars, i + 4) =>
            {
                say(i, "thousands grouped by a plain space: use U+00A0")
            }
            'x' if after_digit && !chars.get(i + 1).is_some_and(|c| c.is_alphanumeric()) => {
                say(i, "a ratio written with x: use ×")
            }
            _ => {}
        }
    }
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        let code: String = chars[i..i + run].iter().collect();
        let winsock = run == 5 && code.starts_with("100");
        let after_dot = i > 0 && matches!(chars[i - 1], '.' | ',');
        if run >= 5 && !winsock && !after_dot {
            say(i, "five digits or more with no thousands space (U+00A0)");
        }
        i += run.max(1);
    }
    out
}

/// Straight double quotes: Spanish prose uses «». `escaped` reads a Rust
/// source, where only `\"` inside a string is a quote of the text.
pub fn quotes(file: &str, text: &str, escaped: bool) -> Vec<String> {
    let (chars, lines) = flatten(text);
    let needle = if escaped { "\\\"" } else { "\"" };
    find_all(&chars, needle)
        .into_iter()
        .map(|at| breach(file, &chars, &lines, at, "straight quotes: use «»"))
        .collect()
}

/// English words a Spanish chart must not show: the placements (`split`,
/// `same-core`, `unpinned`), the client engines and the raw server's name,
/// which the glossary writes in Spanish.
const CHART_ENGLISH: &[(&str, &str)] = &[
    ("split", "«núcleos de CPU distintos»"),
    ("same-core", "«mismo núcleo de CPU»"),
    ("unpinned", "«sin fijar núcleos de CPU»"),
    ("pinned", "«fijado»"),
    ("blocking", "«bloqueante»"),
    ("nonblocking", "«no bloqueante»"),
    ("non-blocking", "«no bloqueante»"),
    ("completion", "«finalización»"),
    ("raw", "«mínimo»"),
];

/// Whether `word` is a tick label written the English way: a number with
/// a `k`, `M` or `G` suffix (`1k`, `1,5k`, `10M`) or in scientific
/// notation (`1e-3`).
fn english_tick(word: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let number = |s: &str| {
        let mut parts = s.splitn(2, [',', '.']);
        let whole = parts.next().unwrap_or("");
        digits(whole) && parts.all(digits)
    };
    if let Some(stem) = word.strip_suffix(['k', 'K', 'M', 'G']) {
        if number(stem) {
            return true;
        }
    }
    match word.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => {
            number(mantissa) && digits(exponent.trim_start_matches(['-', '+']))
        }
        None => false,
    }
}

/// A Spanish chart's labels: no English placement or engine names, and
/// tick labels written in full the Spanish way (1000, 10 000, 0,001), not
/// `1k`, `1,5k`, `1M` or `1e-3`. `text` is the chart's text nodes.
pub fn chart_labels(file: &str, text: &str) -> Vec<String> {
    let (chars, lines) = flatten(text);
    let low = lower(&chars);
    let mut out = Vec::new();
    let is_word = |c: char| c.is_alphanumeric() || matches!(c, '-' | ',' | '.');
    let mut i = 0;
    while i < low.len() {
        if !is_word(low[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < low.len() && is_word(low[i]) {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect();
        let word = word.trim_matches(|c| matches!(c, '-' | ',' | '.'));
        let lowered = word.to_lowercase();
        if let Some((_, instead)) = CHART_ENGLISH.iter().find(|(w, _)| *w == lowered) {
            let why = format!("{lowered:?} in English: use {instead}");
            out.push(breach(file, &chars, &lines, start, &why));
        } else if english_tick(word) {
            let why =
                format!("tick label {word:?} written the English way: write the number in full");
            out.push(breach(file, &chars, &lines, start, &why));
        }
    }
    out
}
