//! The two guides are one guide in two languages, and the Spanish follows
//! its glossary.
//!
//! `docs/guide.md` and `docs/guia.md` promise the same sections with the
//! same figures. Translations drift apart one edit at a time, so the first
//! test compares what a reader can count: the headings (number and level),
//! the tables (rows and columns), the exercises, the pictures (the Spanish
//! one wherever a `-es.svg` exists), the code blocks, and, section by
//! section, every number, read the way each language writes it (47,528 and
//! 0.81 in English, 47 528 and 0,81 in Spanish).
//!
//! The second test holds the Spanish text (guia.md, the demo's `es.rs`,
//! every `docs/**/*-es.svg`) to `docs/glosario.md`: the rules there marked
//! "(prueba)" are checked here, and every breach is listed with its place.
//!
//! Why one file over 400 lines: the guide/guía parity and the glossary checks
//! read the same two files section by section; they are one test of one guide
//! in two languages.

use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// A guide's language: how it writes thousands and decimals in prose.
#[derive(Clone, Copy)]
enum Lang {
    En,
    Es,
}

impl Lang {
    /// (thousands separators, decimal mark). Spanish groups with a
    /// non-breaking space (U+00A0, the glossary's choice; U+202F read too).
    fn marks(self) -> (&'static [char], char) {
        match self {
            Lang::En => (&[','], '.'),
            Lang::Es => (&['\u{a0}', '\u{202f}'], ','),
        }
    }
}

/// A Markdown text split into its prose and its code (fenced blocks and
/// inline spans), and how many fenced blocks it has.
struct Split {
    prose: String,
    code: String,
    blocks: usize,
}

fn split_code(md: &str) -> Split {
    let (mut outside, mut code, mut blocks, mut fenced) = (String::new(), String::new(), 0, false);
    for line in md.lines() {
        let fence = line.trim_start().starts_with("```");
        if fence {
            fenced = !fenced;
            blocks += usize::from(fenced);
        } else if fenced {
            code.push_str(line);
            code.push('\n');
        } else {
            outside.push_str(line);
        }
        outside.push('\n');
    }
    // Inline code goes to `code`; its line breaks stay in `prose`, so that a
    // line of the prose is the same line of the file.
    let mut prose = String::new();
    for (i, piece) in outside.split('`').enumerate() {
        if i % 2 == 0 {
            prose.push_str(piece);
        } else {
            code.push_str(piece);
            code.push(' ');
            prose.push(' ');
            prose.extend(piece.chars().filter(|&c| c == '\n'));
        }
    }
    Split {
        prose,
        code,
        blocks,
    }
}

/// Every number in prose, as the language writes it, normalised to
/// "47528" or "0.81".
fn prose_numbers(text: &str, lang: Lang) -> Vec<String> {
    let (thousands, decimal) = lang.marks();
    let c: Vec<char> = text.chars().collect();
    let digits_at =
        |i: usize, n: usize| (i..i + n).all(|k| c.get(k).is_some_and(char::is_ascii_digit));
    let (mut out, mut i) = (Vec::new(), 0);
    while i < c.len() {
        if !c[i].is_ascii_digit() || (i > 0 && c[i - 1].is_ascii_digit()) {
            i += 1;
            continue;
        }
        let mut n = String::new();
        while i < c.len() && c[i].is_ascii_digit() {
            n.push(c[i]);
            i += 1;
        }
        while i < c.len()
            && thousands.contains(&c[i])
            && digits_at(i + 1, 3)
            && !digits_at(i + 4, 1)
        {
            n.extend(&c[i + 1..i + 4]);
            i += 4;
        }
        // A version (PowerShell 5.1) keeps its point in Spanish too.
        if i < c.len() && (c[i] == decimal || c[i] == '.') && digits_at(i + 1, 1) {
            n.push('.');
            i += 1;
            while i < c.len() && c[i].is_ascii_digit() {
                n.push(c[i]);
                i += 1;
            }
        }
        out.push(n);
    }
    out
}

/// Runs of digits in code, which both guides write alike.
fn code_numbers(text: &str) -> Vec<String> {
    text.split(|ch: char| !ch.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The guide cut at its level-2 headings (the text before the first one is
/// section 0).
fn sections(md: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    for line in md.lines() {
        if line.starts_with("## ") {
            out.push(String::new());
        }
        let last = out.last_mut().expect("one section at least");
        last.push_str(line);
        last.push('\n');
    }
    out
}

fn headings(md: &str) -> Vec<usize> {
    let mut fenced = false;
    let mut out = Vec::new();
    for line in md.lines() {
        fenced ^= line.trim_start().starts_with("```");
        if !fenced && line.starts_with('#') {
            out.push(line.chars().take_while(|&c| c == '#').count());
        }
    }
    out
}

/// Each table as the number of cells in each of its rows.
fn tables(md: &str) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut inside = false;
    for line in md.lines() {
        if line.starts_with('|') {
            let cells = line.replace("\\|", "").matches('|').count() - 1;
            if !inside {
                out.push(Vec::new());
            }
            out.last_mut().expect("a table").push(cells);
        }
        inside = line.starts_with('|');
    }
    out
}

/// The targets of `![...](...)`.
fn pictures(md: &str) -> Vec<String> {
    md.split("![")
        .skip(1)
        .filter_map(|rest| rest.split_once("](")?.1.split_once(')'))
        .map(|(target, _)| target.to_string())
        .collect()
}

fn exercises(md: &str) -> usize {
    let section = sections(md)
        .into_iter()
        .find(|s| s.starts_with("## 7."))
        .expect("a section 7, the exercises");
    section
        .lines()
        .filter(|l| {
            let n = l.chars().take_while(char::is_ascii_digit).count();
            n > 0 && l[n..].starts_with(". **")
        })
        .count()
}

/// What a reader finds in one section: its code blocks and its numbers.
fn section_figures(section: &str, lang: Lang) -> (usize, Vec<String>) {
    let s = split_code(section);
    let mut numbers = prose_numbers(&s.prose, lang);
    numbers.extend(code_numbers(&s.code));
    numbers.sort();
    (s.blocks, numbers)
}

#[test]
fn guide_and_guia_match_section_by_section() {
    let (en, es) = (read("docs/guide.md"), read("docs/guia.md"));
    assert!(en.contains("(guia.md)"), "guide.md links guia.md");
    assert!(es.contains("(guide.md)"), "guia.md links guide.md");
    assert!(es.contains("(glosario.md)"), "guia.md links the glossary");
    assert_eq!(headings(&en), headings(&es), "headings: count and levels");
    assert_eq!(tables(&en), tables(&es), "tables: rows and columns");
    assert_eq!(exercises(&en), exercises(&es), "exercises");
    assert_eq!(exercises(&en), 9, "nine exercises");
    let expected: Vec<String> = pictures(&en).iter().map(|p| spanish_picture(p)).collect();
    assert_eq!(
        pictures(&es),
        expected,
        "pictures (the -es.svg where one exists)"
    );
    let (en_s, es_s) = (sections(&en), sections(&es));
    assert_eq!(en_s.len(), es_s.len(), "sections");
    for (i, (e, s)) in en_s.iter().zip(&es_s).enumerate() {
        let (eb, en_numbers) = section_figures(e, Lang::En);
        let (sb, es_numbers) = section_figures(s, Lang::Es);
        assert_eq!(eb, sb, "section {i}: code blocks");
        assert_eq!(
            en_numbers,
            es_numbers,
            "section {i}: the numbers differ; only in guide.md: {:?}; only in guia.md: {:?}",
            missing(&en_numbers, &es_numbers),
            missing(&es_numbers, &en_numbers)
        );
    }
}

/// The Spanish picture for an English one: `x-es.svg` where it exists.
fn spanish_picture(en: &str) -> String {
    let es = en.replacen(".svg", "-es.svg", 1);
    if root().join("docs").join(&es).exists() {
        es
    } else {
        en.to_string()
    }
}

/// What `a` has that `b` lacks (counting repeats).
fn missing(a: &[String], b: &[String]) -> Vec<String> {
    let mut rest = b.to_vec();
    a.iter()
        .filter(|x| match rest.iter().position(|y| y == *x) {
            Some(p) => {
                rest.remove(p);
                false
            }
            None => true,
        })
        .cloned()
        .collect()
}

#[path = "guides/glossary.rs"]
mod glossary;

fn spanish_svgs(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("docs/ is readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            spanish_svgs(&path, out);
        } else if path.to_string_lossy().ends_with("-es.svg") {
            out.push(path);
        }
    }
}

/// What `check` finds in the text of each Spanish SVG under docs/ (there
/// must be some), given the file's name and its text.
fn in_each_spanish_svg(check: impl Fn(&str, &str) -> Vec<String>) -> Vec<String> {
    let mut svgs = Vec::new();
    spanish_svgs(&root().join("docs"), &mut svgs);
    assert!(!svgs.is_empty(), "the Spanish SVGs under docs/");
    let mut found = Vec::new();
    for path in svgs {
        let name = path
            .strip_prefix(root())
            .unwrap_or(&path)
            .display()
            .to_string();
        let text = svg_text(&std::fs::read_to_string(&path).expect("an SVG"));
        found.extend(check(&name, &text));
    }
    found
}

/// The text nodes of an SVG (what it draws and its tooltips), one a line.
fn svg_text(svg: &str) -> String {
    svg.split('>')
        .filter_map(|piece| piece.split('<').next())
        .filter(|t| !t.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_spanish_text_follows_the_glossary() {
    let mut breaches = Vec::new();
    let guia = split_code(&read("docs/guia.md"));
    breaches.extend(glossary::words("docs/guia.md", &guia.prose));
    breaches.extend(glossary::numbers("docs/guia.md", &guia.prose));
    breaches.extend(glossary::quotes("docs/guia.md", &guia.prose, false));
    let es_rs: String = read("demo/src/text/es.rs")
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    breaches.extend(glossary::words("demo/src/text/es.rs", &es_rs));
    breaches.extend(glossary::quotes("demo/src/text/es.rs", &es_rs, true));
    // The lab's scripts: their comments and messages are Spanish too.
    for entry in std::fs::read_dir(root().join("lab")).expect("lab/") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "py") {
            let name = format!("lab/{}", path.file_name().unwrap().to_string_lossy());
            breaches.extend(glossary::words(&name, &read(&name)));
        }
    }
    breaches.extend(in_each_spanish_svg(|name, text| {
        let mut found = glossary::words(name, text);
        found.extend(glossary::decimals(name, text));
        found
    }));
    glossary::assert_none(&breaches, "breaches of docs/glosario.md");
}

/// The Spanish charts' labels: placements, client engines and tick labels
/// in Spanish (`docs/glosario.md`, «Gráficas»). Kept apart from the test
/// above because the charts are drawn by study's chart code.
#[test]
fn the_spanish_charts_label_in_spanish() {
    let breaches = in_each_spanish_svg(glossary::chart_labels);
    glossary::assert_none(&breaches, "English labels in the Spanish charts");
}

#[test]
fn numbers_are_read_as_each_language_writes_them() {
    let want = ["47528", "10", "0.81", "1004", "5.1"];
    assert_eq!(
        prose_numbers("47,528/s at 10, 0.81× and 1,004; PowerShell 5.1", Lang::En),
        want
    );
    assert_eq!(
        prose_numbers(
            "47\u{a0}528/s con 10, 0,81× y 1004; PowerShell 5.1",
            Lang::Es
        ),
        want
    );
    // A plain space is not a thousands separator: two numbers, which the
    // comparison with the English guide then catches.
    assert_eq!(prose_numbers("47 528", Lang::Es), ["47", "528"]);
    assert_eq!(
        code_numbers("`127.0.0.1:8080`"),
        ["127", "0", "0", "1", "8080"]
    );
}

#[test]
fn each_glossary_rule_catches_its_class_and_passes_the_glossary_form() {
    let count = |v: Vec<String>| v.len();
    for (bad, good) in [
        ("el núcleo envía un RST", "el kernel envía un RST"),
        ("2 núcleos, 24 GiB", "2 núcleos de CPU, 24 GiB"),
        (
            "completa el saludo\nTCP",
            "completa el saludo en\ntres pasos",
        ),
        (
            "nos aceptó y luego reinició",
            "nos aceptó y luego cortó la conexión con RST",
        ),
        ("envía un byte cada vez", "envía byte a byte"),
        ("venció el plazo", "venció el tiempo de espera"),
        (
            "ninguna diferencia más allá del ruido",
            "sin diferencia significativa",
        ),
        ("transportó menos", "atendió menos"),
        ("un bucle cerrado", "un lazo cerrado"),
        ("se detiene con Ctrl-C", "se detiene con Ctrl+C"),
        (
            "el bucle atendió 1,47× más",
            "el bucle atendió 1,47 veces los mensajes del bloqueante",
        ),
        ("atendió 0,5×\nmenos", "atendió la mitad"),
        (
            "a través de un runtime como tokio",
            "a través de una biblioteca asíncrona como tokio",
        ),
        ("en otra terminal", "en otro terminal"),
    ] {
        assert!(count(glossary::words("t", bad)) > 0, "{bad:?} passed");
        assert_eq!(count(glossary::words("t", good)), 0, "{good:?} failed");
    }
    for (bad, good) in [
        ("unos 1.003 hilos", "unos 1003 hilos"),
        ("47 528/s", "47\u{a0}528/s"),
        ("47528/s", "47\u{a0}528/s"),
        ("0,81x con 10", "0,81× con 10"),
        ("al menos un 20%", "al menos un 20\u{a0}%"),
        ("al menos un 20 %", "al menos un 20\u{a0}%"),
    ] {
        assert!(count(glossary::numbers("t", bad)) > 0, "{bad:?} passed");
        assert_eq!(count(glossary::numbers("t", good)), 0, "{good:?} failed");
    }
    for (bad, good) in [
        (
            "Latencia p99 según las conexiones (split)",
            "Latencia p99 según las conexiones (núcleos de CPU distintos)",
        ),
        (
            "Ida y vuelta (same-core)",
            "Ida y vuelta (mismo núcleo de CPU)",
        ),
        (
            "nonblocking/unpinned",
            "cliente no bloqueante, sin fijar núcleos",
        ),
        ("1,5k", "1500"),
        ("10k", "10\u{a0}000"),
        ("10M", "10\u{a0}000\u{a0}000"),
        ("1e-3", "0,001"),
        ("raw", "mínimo"),
    ] {
        assert!(
            count(glossary::chart_labels("t", bad)) > 0,
            "{bad:?} passed"
        );
        assert_eq!(
            count(glossary::chart_labels("t", good)),
            0,
            "{good:?} failed"
        );
    }
    let labels =
        "bloqueante\nno bloqueante\nfinalización\ntokio\n99,9\n0,10\nmáx.\nMB/s\n0,0-1033,3 ms";
    assert_eq!(glossary::chart_labels("t", labels), Vec::<String>::new());
    let fine = "WSAECONNREFUSED (10061), Python 3.8, 1004 hilos, 0,056";
    assert_eq!(glossary::numbers("t", fine), Vec::<String>::new());
    assert_eq!(count(glossary::decimals("t", "0.08 ms")), 1);
    assert_eq!(count(glossary::decimals("t", "0,08 ms")), 0);
    assert_eq!(count(glossary::quotes("t", "envía \"hola\"", false)), 2);
    assert_eq!(count(glossary::quotes("t", "envía «hola»", false)), 0);
    assert_eq!(
        count(glossary::quotes("t", r#"("k", "un \"hola\"")"#, true)),
        2
    );
}
