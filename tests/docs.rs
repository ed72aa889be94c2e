//! The front doors stay true: the README is short and links every page
//! once, every relative link of every page leads somewhere, and what the
//! pages quote of the code (counts, option limits, the files the command
//! writes) is what the code says. Figures of the published run are
//! `study/tests/quoted.rs`'s.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Every Markdown page of the project: the top level and docs/ (with the
/// práctica's pages).
fn pages() -> Vec<String> {
    let mut out = Vec::new();
    for dir in [".", "docs", "docs/practica"] {
        let Ok(entries) = std::fs::read_dir(root().join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".md") {
                let rel = if dir == "." {
                    name
                } else {
                    format!("{dir}/{name}")
                };
                out.push(rel);
            }
        }
    }
    out.sort();
    out
}

/// The targets of a page's Markdown links and images, `[text](target)`,
/// outside code.
fn links(md: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_code = false;
    for line in md.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let line = strip_inline_code(line);
        let mut rest = line.as_str();
        while let Some(i) = rest.find("](") {
            rest = &rest[i + 2..];
            if let Some(end) = rest.find(')') {
                out.push(rest[..end].to_string());
                rest = &rest[end..];
            }
        }
    }
    out
}

fn strip_inline_code(line: &str) -> String {
    line.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(_, s)| s)
        .collect()
}

/// GitHub's anchor for a heading: lower case, spaces to hyphens, and
/// only letters, digits, hyphens and underscores kept.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn anchors(md: &str) -> BTreeSet<String> {
    let mut in_code = false;
    md.lines()
        .filter(|l| {
            if l.trim_start().starts_with("```") {
                in_code = !in_code;
            }
            !in_code && l.starts_with('#')
        })
        .map(|l| slug(l.trim_start_matches('#')))
        .collect()
}

#[test]
fn every_relative_link_of_every_page_leads_somewhere() {
    let mut broken = Vec::new();
    for page in pages() {
        let md = read(&page);
        let dir = Path::new(&page).parent().unwrap_or(Path::new(""));
        for link in links(&md) {
            if link.starts_with("http://")
                || link.starts_with("https://")
                || link.starts_with("mailto:")
            {
                continue;
            }
            let (file, anchor) = link.split_once('#').unwrap_or((&link, ""));
            let target: PathBuf = if file.is_empty() {
                PathBuf::from(&page)
            } else {
                dir.join(file)
            };
            let full = root().join(&target);
            if !full.exists() {
                broken.push(format!("{page}: {link} (no {})", target.display()));
                continue;
            }
            if !anchor.is_empty() && full.extension().is_some_and(|e| e == "md") {
                let text = std::fs::read_to_string(&full).unwrap_or_default();
                if !anchors(&text).contains(anchor) {
                    broken.push(format!("{page}: {link} (no heading #{anchor})"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_readme_is_short_and_links_every_page_a_reader_needs() {
    let readme = read("README.md");
    let lines = readme.lines().count();
    assert!(
        lines <= 200,
        "README.md has {lines} lines; at most about 200"
    );
    let linked: BTreeSet<String> = links(&readme)
        .into_iter()
        .map(|l| l.split('#').next().unwrap_or_default().to_string())
        .collect();
    for page in [
        "docs/cli.md",
        "docs/load.md",
        "docs/guarantees.md",
        "docs/bench.md",
        "docs/benchmarks.md",
        "docs/guia.md",
        "docs/guide.md",
        "docs/practica/hoja.md",
        "docs/practica/notas-profesor.md",
        "CONTRIBUTING.md",
        "ARCHITECTURE.md",
        "LICENSE-MIT",
        "LICENSE-APACHE",
    ] {
        assert!(linked.contains(page), "README.md does not link {page}");
    }
}

/// Numbers as the pages write them in words.
const WORDS: [&str; 13] = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve",
];

/// Every "N <noun>" of the pages, N in words, for a noun.
fn counted(noun: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for page in pages() {
        let text = read(&page).to_lowercase();
        let words: Vec<&str> = text.split_whitespace().collect();
        for pair in words.windows(2) {
            let noun_here = pair[1].trim_matches(|c: char| !c.is_alphanumeric());
            if noun_here == noun {
                if let Some(n) = WORDS.iter().position(|w| *w == pair[0]) {
                    out.push((page.clone(), n));
                }
            }
        }
    }
    out
}

#[test]
fn the_counts_the_pages_give_are_the_codes_and_the_guides() {
    // The exercises: numbered items of the guide's section 7.
    let guide = read("docs/guide.md");
    let section = guide
        .split("\n## ")
        .find(|s| s.starts_with("7."))
        .expect("the guide's section 7, the exercises");
    let exercises = section
        .lines()
        .filter(|l| {
            let digits = l.chars().take_while(char::is_ascii_digit).count();
            digits > 0 && l[digits..].starts_with(". **")
        })
        .count();
    for (page, n) in counted("exercises") {
        assert_eq!(
            n, exercises,
            "{page} says {n} exercises; the guide has {exercises}"
        );
    }
    // The demo's steps: its list of step functions.
    let steps_rs = read("demo/src/steps/mod.rs");
    let steps = steps_rs
        .split_once("pub const ALL: [StepFn; ")
        .and_then(|(_, rest)| rest.split_once(']'))
        .and_then(|(n, _)| n.parse::<usize>().ok())
        .expect("the demo's list of steps");
    for (page, n) in counted("steps") {
        assert_eq!(n, steps, "{page} says {n} steps; the demo has {steps}");
    }
}

#[test]
fn no_page_offers_a_rate_the_command_refuses() {
    let bounds = read("src/cli/bounds.rs");
    let max: f64 = bounds
        .split_once("pub const MAX_RATE: f64 = ")
        .and_then(|(_, rest)| rest.split_once(';'))
        .and_then(|(v, _)| v.parse().ok())
        .expect("MAX_RATE in src/cli/bounds.rs");
    let mut over = Vec::new();
    for page in pages() {
        let text = read(&page);
        for piece in text.split("--rate ").skip(1) {
            let value: String = piece
                .chars()
                .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '_'))
                .collect();
            if let Ok(rate) = value.replace('_', "").parse::<f64>() {
                if rate > max {
                    over.push(format!(
                        "{page}: --rate {value} (the command refuses over {max})"
                    ));
                }
            }
        }
    }
    assert!(over.is_empty(), "{}", over.join("\n"));
}

#[test]
fn the_pages_name_only_reports_that_are_written() {
    // Criterion writes its HTML report only with plots on and its
    // html_reports feature: a page may point at it only then.
    let html = read("Cargo.toml").contains("html_reports")
        && !read("benches/sockmodes.rs").contains(".without_plots()");
    for page in pages() {
        let text = read(&page);
        assert!(
            html || !text.contains("target/criterion/report/index.html"),
            "{page} points at criterion's HTML report, which this build never writes"
        );
    }
}

#[test]
fn the_readme_runs_the_built_command_by_a_path_that_exists() {
    // After `cargo build --release` the binary is target/release/sockmodes,
    // not on PATH: a code block that builds must not then call `sockmodes`.
    let readme = read("README.md");
    for block in readme.split("```").skip(1).step_by(2) {
        if block.contains("cargo build") {
            for line in block
                .lines()
                .skip_while(|l| !l.contains("cargo build"))
                .skip(1)
            {
                assert!(
                    !line.trim_start().starts_with("sockmodes "),
                    "README: {line:?} right after cargo build: the binary is target/release/sockmodes"
                );
            }
        }
    }
}

#[test]
fn the_link_checker_finds_what_it_must() {
    assert_eq!(
        slug(" 9. Don't block the loop: work per message"),
        "9-dont-block-the-loop-work-per-message"
    );
    assert_eq!(
        links("see [a](b.md#c) and `[x](y)` and ![p](q.svg)"),
        ["b.md#c", "q.svg"]
    );
    assert!(anchors("# Title\n```\n# not a heading\n```\n## Sub part\n").contains("sub-part"));
}
