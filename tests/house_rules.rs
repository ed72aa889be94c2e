//! The house rules every crate keeps, read from the sources:
//!
//! - No two files import each other, directly or round a loop
//!   (`no_two_files_import_each_other`).
//! - The crates depend downwards only (`the_crates_depend_downwards`).
//! - No comment carries history: a date, an issue number, a commit id, or
//!   a phrase about what the code was (`no_comment_carries_history`).
//!
//! **The import rule.** A file uses another when its code names an item
//! the other defines (`use crate::a::X`, `super::b::f()`, a `use` of a
//! child module by name), resolved through `pub use` re-exports. A loop is
//! a fault unless every step of it is between a module and its own
//! ancestor: a parent declares its children (`mod x;`) and may use their
//! items, and a child may use its parent's (`use super::Shared`), which is
//! Rust's normal shape (mini-redis, rustls). A loop through a sibling or a
//! cousin is two concepts that should be one, or a shared item that
//! belongs elsewhere. Test code (`#[cfg(test)]` items) may reach anywhere.

mod house_rules {
    pub mod imports;
}

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use house_rules::imports::{code, comment_start, loops, paths, Tree};
use regex::Regex;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The workspace's crates: (package name, folder), from `cargo metadata`.
fn metadata() -> serde_json::Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata's JSON")
}

fn packages() -> Vec<(String, PathBuf, Vec<String>)> {
    let meta = metadata();
    meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let manifest = PathBuf::from(p["manifest_path"].as_str().unwrap());
            let deps = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["name"].as_str().unwrap().to_string())
                .collect();
            (
                p["name"].as_str().unwrap().to_string(),
                manifest.parent().unwrap().to_path_buf(),
                deps,
            )
        })
        .collect()
}

#[test]
#[cfg_attr(
    windows,
    ignore = "no cargo under Wine to ask for the metadata; the sources are the same on every system"
)]
fn no_two_files_import_each_other() {
    let mut faults = Vec::new();
    let mut files = 0;
    for (name, dir, _) in packages() {
        let tree = Tree::read(&dir.join("src"));
        files += tree.modules.len();
        for round in loops(&tree.graph()) {
            let base = format!("{}/", root().display());
            let files: Vec<String> = round
                .iter()
                .map(|m| tree.file(m).trim_start_matches(&base).to_string())
                .collect();
            faults.push(format!("{name}: {}", files.join(" -> ")));
        }
    }
    assert!(files > 150, "every crate's files were read: {files}");
    assert!(
        faults.is_empty(),
        "files that import each other:\n{}",
        faults.join("\n")
    );
}

#[test]
fn the_import_reader_finds_loops_and_allows_a_child_its_parent() {
    let dir = std::env::temp_dir().join(format!("house-rules-{}", std::process::id()));
    let write = |files: &[(&str, &str)]| {
        let _ = std::fs::remove_dir_all(&dir);
        for (f, text) in files {
            let p = dir.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        loops(&Tree::read(&dir).graph()).len()
    };
    // Two siblings through a re-export and a child's name: a loop.
    assert!(
        write(&[
            ("lib.rs", "mod a;\nmod b;\npub use b::B;\n"),
            ("a.rs", "use crate::B;\npub struct A;\n"),
            ("b.rs", "pub struct B(super::a::A);\n"),
        ]) > 0
    );
    // Round three files, one of them nested.
    assert!(
        write(&[
            ("lib.rs", "mod a;\nmod b;\nmod d;\n"),
            ("a.rs", "use crate::b::B;\npub struct A;\n"),
            ("b.rs", "use crate::d::c::{self, C};\n"),
            ("d.rs", "pub mod c;\n"),
            ("d/c.rs", "pub struct C(crate::a::A);\n"),
        ]) > 0
    );
    // A parent using its child and the child its parent's item: allowed;
    // comments and test code are not read.
    assert_eq!(
        write(&[
            ("lib.rs", "mod a;\nmod b;\npub struct Shared;\nuse a::A;\n"),
            (
                "a.rs",
                "use super::Shared;\npub struct A(Shared);\n// crate::b::B\n"
            ),
            (
                "b.rs",
                "use crate::a::A;\n#[cfg(test)]\nmod tests {\n    use crate::b;\n}\n"
            ),
        ]),
        0
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        paths("crate::a::{b::C, d as e, f::*};"),
        [
            vec!["crate", "a", "b", "C"],
            vec!["crate", "a", "d"],
            vec!["crate", "a", "f", "*"]
        ]
    );
    let (c, _) =
        code("let s = \"http://x\"; // crate::y\n#[cfg(test)]\nmod t { crate::z }\nfn f() {}");
    assert!(
        c.contains("http://x")
            && !c.contains("crate::y")
            && !c.contains("crate::z")
            && c.contains("fn f")
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "no cargo under Wine to ask for the metadata; the sources are the same on every system"
)]
fn the_crates_depend_downwards() {
    let packages = packages();
    let workspace: BTreeSet<&str> = packages.iter().map(|(n, _, _)| n.as_str()).collect();
    let deps_of = |name: &str| -> BTreeSet<&str> {
        packages
            .iter()
            .find(|(n, _, _)| n == name)
            .unwrap_or_else(|| panic!("{name} in the workspace"))
            .2
            .iter()
            .map(String::as_str)
            .filter(|d| workspace.contains(d))
            .collect()
    };
    assert_eq!(
        deps_of("sockmodes-common"),
        BTreeSet::new(),
        "common imports nothing of the workspace"
    );
    let models = deps_of("sockmodes-models");
    for above in [
        "sockmodes-demo",
        "sockmodes-loadgen",
        "sockmodes-study",
        "sockmodes",
    ] {
        assert!(!models.contains(above), "models depends on {above}");
    }
    assert!(
        !deps_of("sockmodes-study").contains("sockmodes"),
        "the study depends on the command"
    );
}

/// What marks history in a comment. Kept tight so that code's own words
/// pass: a connection that "no longer waits" or a pool that "was dropped"
/// is what runs now, so only the phrases that speak of the code itself
/// count ("no longer needed", "was removed from", "used to be", "an earlier
/// version"); "is used to hold" (passive) passes. A hex run must mix digits
/// and letters (plain numbers and words pass) and not follow `0x`; `#`
/// before a number is an issue only after a space or `(` (so `#[...]` and
/// `x#1` pass).
fn history_patterns() -> Vec<(&'static str, Regex)> {
    [
        ("a date", r"\b(19|20)\d\d-(0[1-9]|1[0-2])-([0-2]\d|3[01])\b"),
        ("an issue number", r"(?i)\b(issue|pr|pull request|bug)\s*#?\d+\b|(^|[\s(])#\d+\b"),
        ("a commit id", r"\b[0-9a-f]{7,40}\b"),
        (
            "what the code was",
            r"(?i)\b(earlier|older|previous|past|former) (version|release|revision)s?\b|\bpreviously\b|\bformerly\b|\bno longer (needed|used|necessary|required|supported|exists?)\b|\b(was|were) (dropped|removed) (from|in favou?r)\b|\buntil (19|20)\d\d\b|\bused to be\b|\bwe used to\b|\bit used to\b",
        ),
    ]
    .into_iter()
    .map(|(what, re)| (what, Regex::new(re).unwrap()))
    .collect()
}

/// Why a comment is history, if it is.
fn history(comment: &str, patterns: &[(&'static str, Regex)]) -> Option<&'static str> {
    for (what, re) in patterns {
        for m in re.find_iter(comment) {
            if *what == "a commit id" {
                let hex = m.as_str();
                let mixed = hex.chars().any(|c| c.is_ascii_digit())
                    && hex.chars().any(|c| c.is_ascii_alphabetic());
                let after_0x = comment[..m.start()].ends_with("0x");
                if !mixed || after_0x {
                    continue;
                }
            }
            return Some(what);
        }
    }
    None
}

/// The comment of a line, if it has one.
fn comment(line: &str) -> Option<&str> {
    comment_start(line).map(|i| &line[i..])
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy();
        if p.is_dir() {
            if !name.starts_with('.') && name != "target" {
                rust_files(&p, out);
            }
        } else if name.ends_with(".rs") {
            out.push(p);
        }
    }
}

#[test]
fn no_comment_carries_history() {
    let patterns = history_patterns();
    let mut files = Vec::new();
    rust_files(&root(), &mut files);
    let me = Path::new(file!()).file_name().unwrap();
    let mut faults = Vec::new();
    for f in &files {
        // This file names the patterns it looks for.
        if f.file_name() == Some(me) {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            if let Some(why) = comment(line).and_then(|c| history(c, &patterns)) {
                let rel = f.strip_prefix(root()).unwrap().display();
                faults.push(format!("{rel}:{}: {why}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(files.len() > 200, "every file read: {}", files.len());
    assert!(
        faults.is_empty(),
        "comments with history (it goes in commit messages and docs/benchmarks.md):\n{}",
        faults.join("\n")
    );
}

#[test]
fn the_history_patterns_catch_history_and_pass_code_words() {
    let p = history_patterns();
    for bad in [
        "Fixed on 2026-12-01.",
        "See issue 25.",
        "as #25 said",
        "(#31)",
        "since 1c9775c",
        "An earlier version read twice.",
        "The loop used to be here.",
        "This previously panicked.",
        "This check is no longer needed.",
        "The flag was dropped from the CLI.",
        "Wait until 2027 for this.",
    ] {
        assert!(history(bad, &p).is_some(), "{bad}");
    }
    for good in [
        "// The buffer is used to hold a frame.",
        "/// `#[cfg(test)]` items",
        "// mask 0x7fffffff",
        "// 1234567 bytes",
        "// port 9000, frame 16 MiB",
        "// see docs/benchmarks.md",
        "// The session decides; a driver never does.",
        "// Until the connection no longer waits, the pool was dropped.",
    ] {
        assert_eq!(history(good, &p), None, "{good}");
    }
    assert_eq!(comment("let s = \"//x\"; // y"), Some("// y"));
    assert_eq!(comment("let c = '\"'; let d = 1;"), None);
}
