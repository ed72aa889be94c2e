//! The práctica a lecturer hands out (`docs/practica/`): the reference
//! captures say what the teacher notes' tables say (read with tshark), the
//! student sheets fit two printed A4 pages, name every file of the zip and
//! hold no answers, every question has a solution, and the zip's scripts run
//! from the unzipped folder.
//!
//! The capture tests need only the committed files and `tshark`; without
//! tshark they say so on stderr and check nothing. The zip test needs
//! `python3`.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};

#[allow(dead_code)]
#[path = "guides/glossary.rs"]
mod glossary;
mod util;

use util::python::{ok, python_or_say};

/// The práctica's port: the lab scripts' default, and the captures'.
const PORT: &str = "5050";

const CAPTURES: [&str; 4] = ["hola", "rechazo", "no_bloqueante", "nagle"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn capture(name: &str) -> PathBuf {
    root()
        .join("docs/practica/capturas")
        .join(format!("{name}.pcapng"))
}

fn has_tshark() -> bool {
    let found = Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("no tshark here: the captures were not checked (apt-get install tshark)");
    }
    found
}

/// One TCP segment as tshark decodes it.
#[derive(Debug)]
struct Segment {
    number: u32,
    /// Since the previous frame, in ms.
    delta_ms: f64,
    from_client: bool,
    /// As Wireshark's Info column writes them: "SYN, ACK".
    flags: String,
    len: u32,
    /// The dissectors' stack: "eth:ethertype:ip:tcp:data".
    protocols: String,
    payload: Vec<u8>,
    info: String,
}

/// The flags of `tcp.flags`, in the order of Wireshark's Info column.
fn flag_names(bits: u32) -> String {
    const NAMES: [(u32, &str); 8] = [
        (0x001, "FIN"),
        (0x002, "SYN"),
        (0x004, "RST"),
        (0x008, "PSH"),
        (0x010, "ACK"),
        (0x020, "URG"),
        (0x040, "ECE"),
        (0x080, "CWR"),
    ];
    NAMES
        .iter()
        .filter(|(bit, _)| bits & bit != 0)
        .map(|(_, name)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Every segment of a capture, read with `tshark -r` and its default
/// dissectors (plus `extra` options).
fn segments(name: &str, extra: &[&str]) -> Vec<Segment> {
    const FIELDS: [&str; 9] = [
        "frame.number",
        "frame.time_delta",
        "tcp.srcport",
        "tcp.dstport",
        "tcp.flags",
        "tcp.len",
        "frame.protocols",
        "data.data",
        "_ws.col.Info",
    ];
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(capture(name)).args(extra);
    cmd.args(["-T", "fields", "-E", "separator=/t"]);
    for f in FIELDS {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("tshark runs");
    assert!(
        out.status.success(),
        "tshark -r {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("tshark writes UTF-8")
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(f.len(), FIELDS.len(), "{name}: {line}");
            let (src, dst) = (f[2], f[3]);
            assert!(
                src == PORT || dst == PORT,
                "{name}: only the práctica's port is captured: {line}"
            );
            Segment {
                number: f[0].parse().unwrap(),
                delta_ms: f[1].parse::<f64>().unwrap() * 1000.0,
                from_client: dst == PORT,
                flags: flag_names(u32::from_str_radix(f[4].trim_start_matches("0x"), 16).unwrap()),
                len: f[5].parse().unwrap(),
                protocols: f[6].to_string(),
                payload: hex(f[7]),
                info: f[8].to_string(),
            }
        })
        .collect()
}

/// A capture as tshark's default dissectors read it: tshark takes seconds to
/// start on a busy machine, so each capture is read once for all tests.
fn decoded(name: &str) -> &'static [Segment] {
    static READ: std::sync::OnceLock<Vec<(&str, Vec<Segment>)>> = std::sync::OnceLock::new();
    let all = READ.get_or_init(|| CAPTURES.iter().map(|&c| (c, segments(c, &[]))).collect());
    &all.iter().find(|(c, _)| *c == name).expect("a capture").1
}

/// Bytes as the notes' tables write them: printable ASCII as it is, the
/// rest as `\xNN`.
fn shown(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if (0x20..0x7f).contains(&b) {
                (b as char).to_string()
            } else {
                format!("\\x{b:02x}")
            }
        })
        .collect()
}

/// One row of a capture's table in the teacher notes.
#[derive(Debug)]
struct Row {
    number: u32,
    /// The Δt column, as written (only the Nagle table has it).
    delta_ms: Option<String>,
    from_client: bool,
    flags: String,
    len: u32,
    data: String,
}

fn cells(line: &str) -> Vec<String> {
    let line = line.trim().trim_start_matches('|').trim_end_matches('|');
    line.split('|').map(|c| c.trim().to_string()).collect()
}

fn unquote(cell: &str) -> String {
    cell.trim_matches('`')
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string()
}

/// The table under the heading that names `capturas/NAME.pcapng`.
fn table(notes: &str, name: &str) -> Vec<Row> {
    let file = notes_file(notes);
    let heading = format!("`capturas/{name}.pcapng`");
    let text = read(file);
    let mut lines = text
        .lines()
        .skip_while(|l| !(l.starts_with("### ") && l.contains(&heading)))
        .skip(1)
        .skip_while(|l| !l.starts_with('|'));
    let header = cells(
        lines
            .next()
            .unwrap_or_else(|| panic!("{file}: no table for {heading}")),
    );
    let col = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.contains(&h.to_lowercase().as_str()))
    };
    let number = col(&["nº", "no."]).expect("a number column");
    let delta = col(&["δt (ms)"]);
    let direction = col(&["sentido", "direction"]).expect("a direction column");
    let flags = col(&["flags", "indicadores"]).expect("a flags column");
    let len = col(&["len"]).expect("a Len column");
    let data = col(&["datos", "data"]).expect("a data column");
    lines
        .skip(1)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let c = cells(l);
            let dir = &c[direction];
            let from_client = dir.starts_with("cliente") || dir.starts_with("client");
            assert!(
                from_client || dir.starts_with("servidor") || dir.starts_with("server"),
                "{file}: {l}"
            );
            Row {
                number: c[number].parse().expect("a packet number"),
                delta_ms: delta.map(|d| c[d].clone()),
                from_client,
                flags: unquote(&c[flags]),
                len: c[len].parse().expect("a Len"),
                data: c[data].trim_matches('`').to_string(),
            }
        })
        .collect()
}

fn notes_file(lang: &str) -> &'static str {
    match lang {
        "es" => "docs/practica/notas-profesor.md",
        _ => "docs/practica/teacher-notes.md",
    }
}

#[test]
fn the_reference_captures_show_what_the_teacher_notes_tables_say() {
    if !has_tshark() {
        return;
    }
    for name in CAPTURES {
        let got = decoded(name);
        for lang in ["es", "en"] {
            let want = table(lang, name);
            let file = notes_file(lang);
            assert_eq!(
                want.len(),
                got.len(),
                "{file}, {name}: {} rows for {} segments",
                want.len(),
                got.len()
            );
            for (w, g) in want.iter().zip(got) {
                let at = format!("{file}, {name}.pcapng, packet {}", g.number);
                assert_eq!(w.number, g.number, "{at}");
                assert_eq!(w.from_client, g.from_client, "{at}: direction");
                assert_eq!(w.flags, g.flags, "{at}: flags");
                assert_eq!(w.len, g.len, "{at}: Len");
                assert_eq!(w.data, shown(&g.payload), "{at}: data");
                if let Some(delta) = &w.delta_ms {
                    // Spanish writes 42,3; English 42.3.
                    let delta = delta.replace(',', ".");
                    assert_eq!(delta, format!("{:.1}", g.delta_ms), "{at}: Δt in ms");
                }
            }
        }
        // Every payload is plain data to Wireshark: no dissector claims 5050.
        for g in got.iter().filter(|g| g.len > 0) {
            assert!(
                g.protocols.ends_with(":tcp:data"),
                "{name}, packet {}: {}",
                g.number,
                g.protocols
            );
        }
    }
    // The práctica's message, as the seed sends it, in one segment.
    for name in ["hola", "no_bloqueante"] {
        let data: Vec<_> = decoded(name).iter().filter(|g| g.len > 0).collect();
        assert_eq!(data.len(), 1, "{name}");
        assert_eq!(data[0].payload, b"Hola, servidor!", "{name}");
        assert!(data[0].from_client);
    }
}

#[test]
fn the_client_closes_first_and_the_refusal_is_one_syn_and_one_rst() {
    if !has_tshark() {
        return;
    }
    for name in ["hola", "no_bloqueante", "nagle"] {
        let fins: Vec<bool> = decoded(name)
            .iter()
            .filter(|g| g.flags.contains("FIN"))
            .map(|g| g.from_client)
            .collect();
        assert_eq!(
            fins,
            [true, false],
            "{name}: the client's FIN, then the server's"
        );
    }
    let refusal: Vec<(bool, String)> = decoded("rechazo")
        .iter()
        .map(|g| (g.from_client, g.flags.clone()))
        .collect();
    assert_eq!(
        refusal,
        [(true, "SYN".to_string()), (false, "RST, ACK".to_string())]
    );
}

#[test]
fn on_port_8080_the_http_dissector_would_hide_the_message_as_the_sheets_say() {
    if !has_tshark() {
        return;
    }
    // 8080 is HTTP's to Wireshark; decoding 5050 as HTTP shows what 8080 would.
    let as_http = segments("hola", &["-d", "tcp.port==5050,http"]);
    let message = as_http.iter().find(|g| g.len == 15).expect("the message");
    assert!(
        message.info.contains("[TCP segment of a reassembled PDU]"),
        "{}",
        message.info
    );
    assert!(
        !message.protocols.ends_with(":data"),
        "{}",
        message.protocols
    );
    for sheet in ["docs/practica/hoja.md", "docs/practica/sheet.md"] {
        let text = read(sheet);
        assert!(
            text.contains("8080") && text.contains("[TCP segment of a reassembled PDU]"),
            "{sheet} says why not 8080"
        );
    }
}

#[test]
fn the_captures_are_small() {
    for name in CAPTURES {
        let size = std::fs::metadata(capture(name)).expect("committed").len();
        assert!(size <= 4096, "{name}.pcapng: {size} bytes");
    }
}

/// The files a sheet names (in backticks): scripts, sheets, captures.
fn named_files(sheet: &str) -> BTreeSet<String> {
    read(sheet)
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| {
            [".py", ".md", ".pcapng"]
                .iter()
                .any(|e| s.len() > e.len() && s.ends_with(e))
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_./-".contains(c))
        })
        .map(str::to_string)
        .collect()
}

/// The zip's contents: the files both sheets name, and the sheets.
fn files_the_sheets_name() -> BTreeSet<String> {
    let es = named_files("docs/practica/hoja.md");
    let en = named_files("docs/practica/sheet.md");
    let mut es_all = es.clone();
    es_all.insert("hoja.md".into());
    let mut en_all = en.clone();
    en_all.insert("sheet.md".into());
    assert_eq!(es_all, en_all, "both sheets name the same files");
    es_all
}

/// `python servidor.py` in `folder`, on its default port: the process, its
/// stdout, and the first line it printed.
fn servidor_py(py: &str, folder: &Path) -> (Child, BufReader<ChildStdout>, String) {
    let mut server = Command::new(py)
        .arg("servidor.py")
        .current_dir(folder)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut said = BufReader::new(server.stdout.take().unwrap());
    let mut line = String::new();
    said.read_line(&mut line).unwrap();
    (server, said, line)
}

#[test]
#[cfg_attr(windows, ignore = "no Python under Wine; runs on Linux and macOS")]
fn the_lab_zip_holds_exactly_the_files_the_sheets_name_and_its_scripts_run_from_it() {
    let Some(py) = python_or_say("the zip was not checked") else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("sockmodes-practica-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(py)
        .arg(root().join("scripts/lab-zip"))
        .arg(&dir)
        .output()
        .unwrap();
    ok(out, "scripts/lab-zip");
    let zip = dir.join("sockmodes-practica.zip");
    let list = Command::new(py)
        .args([
            "-c",
            "import sys, zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))",
        ])
        .arg(&zip)
        .output()
        .unwrap();
    let held: BTreeSet<String> = String::from_utf8(list.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            l.strip_prefix("sockmodes-practica/")
                .unwrap_or_else(|| panic!("one folder: {l}"))
                .to_string()
        })
        .collect();
    assert_eq!(held, files_the_sheets_name());
    assert!(!held
        .iter()
        .any(|f| f.contains("notas") || f.contains("teacher")));

    // Unzipped, as a student does it, and run from there.
    let out = Command::new(py)
        .args(["-m", "zipfile", "-e"])
        .arg(&zip)
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    let folder = dir.join("sockmodes-practica");
    for name in &held {
        assert!(folder.join(name).is_file(), "{name} unzipped");
    }
    let run = |args: &[&str]| Command::new(py).args(args).current_dir(&folder).output();

    // The shipped default port, as the sheet says: no argument.
    let (mut server, said, line) = servidor_py(py, &folder);
    assert!(
        line.contains("escuchando en 127.0.0.1:5050"),
        "servidor.py on its default port (is something else on 5050?): {line:?}"
    );
    let client = run(&["cliente.py"]).unwrap();
    assert!(
        String::from_utf8_lossy(&client.stdout)
            .contains("Mensaje enviado al servidor: Hola, servidor!"),
        "{client:?}"
    );
    let rest: Vec<String> = said.lines().map(Result::unwrap).collect();
    assert!(
        rest.iter()
            .any(|l| l == "Mensaje recibido: Hola, servidor!"),
        "{rest:?}"
    );
    assert!(server.wait().unwrap().success());

    // The non-blocking connect: refused with nobody there (any system
    // names the refusal), then through to a server.
    let refused = run(&["conectar_no_bloqueante.py"]).unwrap();
    assert!(!refused.status.success());
    let stdout = String::from_utf8_lossy(&refused.stdout);
    assert!(
        stdout.contains("connect() lanzó BlockingIOError"),
        "{stdout}"
    );
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("ConnectionRefusedError"),
        "{refused:?}"
    );
    let (mut server, said, _) = servidor_py(py, &folder);
    let connected = run(&["conectar_no_bloqueante.py"]).unwrap();
    assert!(connected.status.success(), "{connected:?}");
    let rest: Vec<String> = said.lines().map(Result::unwrap).collect();
    assert!(
        rest.iter()
            .any(|l| l == "Mensaje recibido: Hola, servidor!"),
        "{rest:?}"
    );
    server.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Lines on two printed A4 pages, and characters on one line.
///
/// A4 is 297 × 210 mm; with 2 cm margins the text is 257 × 170 mm, that is
/// 728.5 × 481.9 pt. At 11 pt with the usual 1.2 line spacing a line takes
/// 13.2 pt: 728.5 / 13.2 = 55 lines a page, 110 on two. A proportional
/// text font (Calibri, Arial, Liberation) averages about half an em per
/// character, 5.5 pt at 11 pt: 481.9 / 5.5 = 87 characters a line. The
/// measure counts the Markdown source, so its markup (backticks, asterisks)
/// counts as text, which makes up for inline code's wider letters.
const PAGE_LINES: usize = 2 * 55;
const LINE_CHARS: usize = 87;

/// The printed lines of a Markdown text under the rule above: each
/// paragraph or list item word-wrapped at LINE_CHARS; a blank line (the
/// space between paragraphs) is one line; a level-1 heading takes three
/// lines, a smaller one two (larger type and the space around it).
fn printed_lines(md: &str) -> usize {
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    let mut lines = 0;
    let starts_block = |l: &str| {
        l.starts_with('#')
            || l.starts_with("- ")
            || l.split_once(". ")
                .is_some_and(|(n, _)| n.parse::<u32>().is_ok())
    };
    for line in md.lines() {
        let line = line.trim();
        if line.is_empty() {
            lines += 1;
            blocks.push(Vec::new());
        } else if starts_block(line) || blocks.last().is_none_or(Vec::is_empty) {
            blocks.push(vec![line]);
        } else {
            blocks.last_mut().unwrap().push(line);
        }
    }
    for block in blocks.iter().filter(|b| !b.is_empty()) {
        let first = block[0];
        if first.starts_with("# ") {
            lines += 3;
        } else if first.starts_with('#') {
            lines += 2;
        } else {
            lines += wrapped(&block.join(" "), LINE_CHARS);
        }
    }
    lines
}

/// How many lines `text` takes, word-wrapped at `width` characters.
fn wrapped(text: &str, width: usize) -> usize {
    let (mut lines, mut used) = (1, 0);
    for word in text.split_whitespace() {
        let w = word.chars().count();
        if used == 0 {
            used = w;
        } else if used + 1 + w <= width {
            used += 1 + w;
        } else {
            lines += 1;
            used = w;
        }
        // A word longer than a line takes several.
        while used > width {
            lines += 1;
            used -= width;
        }
    }
    lines
}

#[test]
fn the_line_measure_counts_what_it_says() {
    assert_eq!(wrapped("a b", 3), 1);
    assert_eq!(wrapped("a b c", 3), 2);
    assert_eq!(wrapped(&"x".repeat(7), 3), 3);
    assert_eq!(
        printed_lines("# T\n\npara one\nstill one\n\n- a\n- b\n"),
        3 + 1 + 1 + 1 + 2
    );
    assert_eq!(printed_lines("## S\n"), 2);
}

#[test]
fn each_sheet_fits_two_printed_a4_pages() {
    for sheet in ["docs/practica/hoja.md", "docs/practica/sheet.md"] {
        let lines = printed_lines(&read(sheet));
        assert!(
            lines <= PAGE_LINES,
            "{sheet}: {lines} printed lines, two A4 pages hold {PAGE_LINES}"
        );
    }
}

/// The question labels a text uses, in order: P1, P2... or Q1, Q2...
fn questions(text: &str, label: char, bold_dot: bool) -> Vec<u32> {
    let open = if bold_dot { "**" } else { "- **" };
    text.lines()
        .filter_map(|l| l.trim_start().strip_prefix(open))
        .filter_map(|l| l.strip_prefix(label))
        .filter_map(|l| l.split_once(".**"))
        .filter_map(|(n, _)| n.parse().ok())
        .collect()
}

#[test]
fn every_question_on_the_sheets_has_a_solution_in_the_notes_and_no_answer_on_the_sheet() {
    for (sheet, notes, label) in [
        (
            "docs/practica/hoja.md",
            "docs/practica/notas-profesor.md",
            'P',
        ),
        (
            "docs/practica/sheet.md",
            "docs/practica/teacher-notes.md",
            'Q',
        ),
    ] {
        let asked = questions(&read(sheet), label, false);
        let answered = questions(&read(notes), label, true);
        assert_eq!(asked, (1..=12).collect::<Vec<_>>(), "{sheet}");
        assert_eq!(answered, asked, "{notes}: one solution per question");
        let text = read(sheet);
        // What the solutions say, never on the sheet.
        for answer in [
            "10061",
            "10035",
            "EINPROGRESS",
            "ECONNREFUSED",
            "Errno",
            "42,3",
            "42.3",
            "SO_ERROR = 0",
        ] {
            assert!(!text.contains(answer), "{sheet} gives away {answer:?}");
        }
    }
}

/// Prose of a Markdown text: code (fenced or inline) blanked, lines kept.
fn prose(md: &str) -> String {
    md.split('`')
        .enumerate()
        .map(|(i, piece)| {
            if i % 2 == 0 {
                piece.to_string()
            } else {
                piece.chars().filter(|&c| c == '\n').collect()
            }
        })
        .collect()
}

#[test]
fn the_spanish_practica_follows_the_glossary() {
    let mut breaches = Vec::new();
    for file in ["docs/practica/hoja.md", "docs/practica/notas-profesor.md"] {
        let text = prose(&read(file));
        breaches.extend(glossary::words(file, &text));
        breaches.extend(glossary::numbers(file, &text));
        breaches.extend(glossary::quotes(file, &text, false));
    }
    glossary::assert_none(&breaches, "breaches of docs/glosario.md");
}

#[test]
#[cfg_attr(windows, ignore = "no Python under Wine; runs on Linux and macOS")]
fn the_scripts_are_written_in_the_python_the_sheets_ask_for() {
    let Some(py) = python_or_say("the scripts' grammar was not checked") else {
        return;
    };
    for sheet in ["docs/practica/hoja.md", "docs/practica/sheet.md"] {
        assert!(read(sheet).contains("Python 3.8"), "{sheet}");
    }
    // ast's feature_version checks the grammar (no walrus, no match, no
    // newer f-strings); the library calls the scripts make are 3.8's too
    // (socket.create_server is the newest).
    let scripts: Vec<String> = files_the_sheets_name()
        .into_iter()
        .filter(|f| f.ends_with(".py"))
        .map(|f| root().join("lab").join(f).display().to_string())
        .collect();
    let out = Command::new(py)
        .args([
            "-c",
            "import ast, sys\nfor f in sys.argv[1:]:\n    ast.parse(open(f, encoding='utf-8').read(), f, feature_version=(3, 8))",
        ])
        .args(&scripts)
        .output()
        .unwrap();
    ok(out, "ast.parse with feature_version (3, 8)");
}
