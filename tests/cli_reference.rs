//! docs/cli.md against the command it describes: every option of every
//! `--help` is named in its section, the `load --json` fields are those of
//! `load --help` and of the schema, the exit statuses are the help's and
//! the binary's, and the server's stable line is what the server prints.

mod util;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};

use sockmodes_loadgen::placement::{Cores, Placement};
use sockmodes_loadgen::{Fairness, LoadJson, LoadReport, SCHEMA_VERSION};
use sockmodes_models::Model;
use sockmodes_os::kernel_tcp::TcpPressure;
use util::cli::{sockmodes, BIN};
use util::json_schema::FIELDS;

const DOC: &str = include_str!("../docs/cli.md");

/// `sockmodes ARGS --help`, its text.
fn help(args: &[&str]) -> String {
    let out = sockmodes(&[args, &["--help"]].concat());
    assert!(out.status.success(), "{args:?} --help");
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// The text of the section of docs/cli.md under `heading` (a line that
/// starts with `#`s and then it), up to the next heading of its level or
/// above.
fn section(heading: &str) -> &'static str {
    let lines: Vec<&str> = DOC.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim_start_matches('#').trim() == heading && l.starts_with('#'))
        .unwrap_or_else(|| panic!("docs/cli.md has no section {heading:?}"));
    let level = lines[start].len() - lines[start].trim_start_matches('#').len();
    let end = lines[start + 1..]
        .iter()
        .position(|l| {
            let depth = l.len() - l.trim_start_matches('#').len();
            depth > 0 && depth <= level && l[depth..].starts_with(' ')
        })
        .map_or(lines.len(), |i| start + 1 + i);
    let from = DOC.find(lines[start]).expect("the heading is in the text");
    let to = if end == lines.len() {
        DOC.len()
    } else {
        DOC.find(lines[end]).expect("the next heading")
    };
    &DOC[from..to]
}

/// The long options a `--help` lists under "Options:" (`--mode`, ...),
/// but help and version: the lines indented as an option is, not as its
/// description.
fn options(help: &str) -> BTreeSet<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Options:"))
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .filter(|l| l.len() - l.trim_start().len() <= 6)
        .filter_map(|l| {
            let l = l.trim_start().split(", ").last()?;
            l.starts_with("--")
                .then(|| l.split([' ', '<', '=']).next().unwrap_or(l).to_string())
        })
        .filter(|o| o != "--help" && o != "--version")
        .collect()
}

/// Whether `text` names `option` (not as the start of a longer one).
fn names(text: &str, option: &str) -> bool {
    text.match_indices(option).any(|(i, _)| {
        text[i + option.len()..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric() && c != '-')
    })
}

/// The subcommands a `--help` lists under "Commands:", but help.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(String::from)
        .collect()
}

#[test]
fn every_option_of_every_command_is_in_its_section() {
    let commands = subcommands(&help(&[]));
    assert_eq!(commands, ["server", "client", "load", "merge-logs", "demo"]);
    for command in &commands {
        let text = section(&format!("`sockmodes {command}`"));
        let mut asked: Vec<Vec<String>> = vec![vec![command.clone()]];
        // client's own subcommands are described in its section too.
        for sub in subcommands(&help(&[command])) {
            assert!(
                text.contains(&format!("sockmodes {command} {sub}")),
                "docs/cli.md, `sockmodes {command}`: no `sockmodes {command} {sub}`"
            );
            asked.push(vec![command.clone(), sub]);
        }
        for args in asked {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let listed = options(&help(&args));
            assert!(!listed.is_empty() || args == ["client", "message"] || args == ["merge-logs"]);
            for option in listed {
                assert!(
                    names(text, &option),
                    "docs/cli.md, `sockmodes {command}`: {option} (of `{}`) is not named",
                    args.join(" ")
                );
            }
        }
    }
}

/// The names `load --help` lists under "Figures": the first column, up to
/// two spaces, each name a field of `--json`.
fn help_fields() -> BTreeSet<String> {
    let text = help(&["load"]);
    let figures = text
        .split("Figures (")
        .nth(1)
        .expect("load --help lists its figures");
    figures
        .lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .flat_map(|l| {
            let names = l.trim_start().split("  ").next().unwrap_or_default();
            names
                .split([',', ' '])
                .filter(|n| !n.is_empty())
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The field names of the docs' `load --json` table: the backticked names
/// of each row's first cell.
fn doc_fields() -> BTreeSet<String> {
    section("`load --json`")
        .lines()
        .filter(|l| l.starts_with("| `"))
        .flat_map(|l| {
            let cell = l.split('|').nth(1).unwrap_or_default();
            cell.split('`')
                .skip(1)
                .step_by(2)
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn the_json_fields_of_the_docs_the_help_and_the_schema_are_the_same() {
    let schema: BTreeSet<String> = FIELDS
        .iter()
        .map(|f| f.split(['.', '[', ':']).next().unwrap().to_string())
        .collect();
    assert_eq!(
        help_fields(),
        schema,
        "load --help's figures against the schema"
    );
    assert_eq!(
        doc_fields(),
        schema,
        "docs/cli.md's table against the schema"
    );
    // Every nested field is named in its parent's row.
    let rows = section("`load --json`");
    for path in FIELDS {
        let path = path.split(':').next().unwrap().replace("[]", "");
        let mut parts = path.split('.');
        let parent = parts.next().unwrap();
        for leaf in parts {
            let row = rows
                .lines()
                .filter(|l| l.starts_with("| `"))
                .find(|l| {
                    let cell = l.split('|').nth(1).unwrap_or_default();
                    cell.contains(&format!("`{parent}`"))
                })
                .unwrap_or_else(|| panic!("no row for {parent}"));
            assert!(
                row.contains(&format!("`{leaf}`")) || row.contains(&format!("\"{leaf}\"")),
                "docs/cli.md, `load --json`: {parent}'s row does not name {leaf}"
            );
        }
    }
    assert!(rows.contains(&format!("It is {} now.", sockmodes_loadgen::SCHEMA_VERSION)));
}

/// The statuses a text lists: lines "  N  meaning" (help) or "| N | meaning |" (docs).
fn statuses(text: &str) -> Vec<u8> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim_start_matches('|').trim_start();
            let (n, rest) = l.split_once(' ')?;
            let n: u8 = n.parse().ok()?;
            (n <= 2 && !rest.trim().is_empty()).then_some(n)
        })
        .collect()
}

#[test]
fn the_exit_statuses_are_the_helps_the_docs_and_the_binarys() {
    let text = help(&[]);
    let block = text
        .split("Exit status:")
        .nth(1)
        .expect("--help lists the exit statuses");
    let block = block.split("\n\n").next().unwrap();
    assert_eq!(statuses(block), [0, 1, 2], "{block}");
    assert_eq!(statuses(section("Exit statuses")), [0, 1, 2]);
    let status = |args: &[&str]| sockmodes(args).status.code();
    assert_eq!(status(&["--version"]), Some(0));
    // Port 1: nothing listens there, and it is outside the ephemeral range.
    assert_eq!(
        status(&["client", "--addr", "127.0.0.1:1", "message", "hola"]),
        Some(1),
        "a refused connection is a failure"
    );
    assert_eq!(status(&["load", "--connections", "0"]), Some(2));
    assert_eq!(status(&["server", "--no-such-option"]), Some(2));
}

/// The stable line's format from docs/cli.md's code block: its literal
/// pieces between the placeholders ADDR, MODE and SERVICE.
fn documented_format() -> Vec<&'static str> {
    let text = section("Stable output");
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("sockmodes: listening on ADDR"))
        .expect("docs/cli.md shows the line");
    let mut pieces = Vec::new();
    let mut rest = line;
    for placeholder in ["ADDR", "MODE", "SERVICE"] {
        let (before, after) = rest.split_once(placeholder).expect("a placeholder");
        pieces.push(before);
        rest = after;
    }
    pieces.push(rest);
    pieces
}

/// (ADDR, MODE, SERVICE) of `line`, read by the documented format; what
/// follows it must start a new clause (`;`) or end the line.
fn parse_stable_line<'a>(line: &'a str, format: &[&str]) -> Option<(&'a str, &'a str, &'a str)> {
    let mut rest = line.strip_prefix(format[0])?;
    let mut values = Vec::new();
    for literal in &format[1..] {
        let (value, after) = rest.split_once(literal)?;
        values.push(value);
        rest = after;
    }
    (rest.is_empty() || rest.starts_with(';')).then_some((values[0], values[1], values[2]))
}

#[test]
fn the_listening_line_is_as_documented_for_every_model() {
    let format = documented_format();
    assert_eq!(
        format,
        ["sockmodes: listening on ", " (mode ", ", service ", ")"]
    );
    let server_help = help(&["server"]);
    assert!(
        server_help.contains("sockmodes: listening on ADDR (mode MODE, service SERVICE)"),
        "server --help documents the line"
    );
    for model in Model::servers() {
        let mut child = Command::new(BIN)
            .args(["server", "--addr", "127.0.0.1:0", "--service", "echo"])
            .args(["--mode", model.name()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server starts");
        let mut lines = BufReader::new(child.stderr.take().expect("piped")).lines();
        let line = lines
            .by_ref()
            .map(|l| l.expect("a line"))
            .find(|l| l.starts_with(format[0]))
            .expect("the server says where it listens");
        let (addr, m, service) = parse_stable_line(&line, &format)
            .unwrap_or_else(|| panic!("not the documented format: {line}"));
        assert_eq!((m, service), (model.name(), "echo"), "{line}");
        let addr: SocketAddr = addr.parse().expect("ADDR is an address");
        assert_eq!(addr.ip().to_string(), "127.0.0.1");
        assert_ne!(addr.port(), 0, "the port the system chose");
        // It is the server's: an echo comes back from it.
        let mut s = TcpStream::connect(addr).expect("connect");
        let mut frame = Vec::new();
        sockmodes_common::frame::encode_frame(&mut frame, b"hola").unwrap();
        s.write_all(&frame).unwrap();
        let mut back = vec![0u8; frame.len()];
        s.read_exact(&mut back).unwrap();
        assert_eq!(back, frame);
        let _ = child.kill();
        let _ = child.wait();
    }
    // The parser refuses what the format does not say.
    assert_eq!(
        parse_stable_line(
            "sockmodes: listening on 127.0.0.1:80 (mode blocking, service echo)",
            &format
        ),
        Some(("127.0.0.1:80", "blocking", "echo"))
    );
    assert_eq!(
        parse_stable_line(
            "sockmodes: listening on 127.0.0.1:80 (blocking, echo)",
            &format
        ),
        None
    );
    assert_eq!(
        parse_stable_line(
            "sockmodes: listening on 127.0.0.1:80 (mode blocking, service echo) now",
            &format
        ),
        None
    );
}

/// Every field path of `value` with its JSON type (objects' fields in
/// name order): the set [`FIELDS`] keeps. A null has no type to tell: its
/// path says "null".
fn field_paths(value: &serde_json::Value) -> Vec<String> {
    fn walk(path: &str, v: &serde_json::Value, out: &mut Vec<String>) {
        use serde_json::Value;
        let kind = match v {
            Value::Object(map) => {
                for (k, v) in map {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    walk(&p, v, out);
                }
                return;
            }
            Value::Array(items) => {
                // Every element has the shape of the first.
                let p = format!("{path}[]");
                match items.first() {
                    Some(first) => walk(&p, first, out),
                    None => out.push(format!("{p}: empty")),
                }
                return;
            }
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
        };
        out.push(format!("{path}: {kind}"));
    }
    let mut out = Vec::new();
    walk("", value, &mut out);
    out
}

/// A report with every optional figure present and every list filled,
/// so that each field shows its type.
fn full() -> (LoadReport, Placement) {
    let report = LoadReport {
        rate_requested: Some(1000.0),
        warnings: vec!["a warning".into()],
        oldest_unanswered_ms: Some(5.0),
        send_grid_us: Some(100.0),
        kernel_tcp: Some(TcpPressure {
            entered: 1,
            pressure_ms: 10,
            dropped: 0,
            pressure_from_bytes: 1 << 20,
        }),
        fairness: Fairness {
            starved: 1,
            starved_connections: vec![7],
            ..LoadReport::sample(1000.0).fairness
        },
        ..LoadReport::sample(1000.0)
    };
    let placement = Placement {
        same_machine: true,
        why: Some("loopback address".into()),
        own_network_namespace: Some(false),
        server_pid: Some(42),
        client: Cores::Pinned(vec![0]),
        server: Cores::Unpinned,
    };
    (report, placement)
}

/// What a report serialises to against [`FIELDS`]: a field added, removed,
/// renamed or retyped must come with a new schema version.
#[test]
fn a_field_changes_only_with_a_new_schema_version() {
    let (report, placement) = full();
    let value = serde_json::to_value(LoadJson::new(&report, &placement)).unwrap();
    let paths: BTreeSet<String> = field_paths(&value).into_iter().collect();
    let listed: BTreeSet<String> = FIELDS.iter().map(|f| f.to_string()).collect();
    assert_eq!(listed.len(), FIELDS.len(), "FIELDS lists a path twice");
    let new: Vec<&String> = paths.difference(&listed).collect();
    let gone: Vec<&String> = listed.difference(&paths).collect();
    assert!(
        new.is_empty() && gone.is_empty(),
        "--json's fields changed (new or retyped: {new:?}; gone: {gone:?}): raise \
         SCHEMA_VERSION (now {SCHEMA_VERSION}) and list this version's fields in FIELDS \
         (and in docs/cli.md, \"load --json\")"
    );
    assert_eq!(value["schema_version"], SCHEMA_VERSION);
}

#[test]
fn field_paths_walk_objects_and_arrays_and_tell_each_type() {
    let v = serde_json::json!({"a": {"b": [1, 2], "c": null}, "d": [], "e": [[true]]});
    assert_eq!(
        field_paths(&v),
        ["a.b[]: number", "a.c: null", "d[]: empty", "e[][]: boolean"]
    );
}
