//! The report's files import one another without a loop: no two files
//! that use each other, directly or round a circle. Read from the source:
//! every path through `super::` or `crate::report::` outside comments and
//! outside a file's `#[cfg(test)] mod tests` (test code may reach
//! anywhere; `fixture.rs` is test data), resolved to the file that holds
//! it, and a module's `mod` lines counted as its uses of its children, so
//! that anything reaching back into a `mod.rs` closes a circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A file of the report as a node: its path under `study/src/report`
/// without `.rs` (`cross`, `charts/bars`, `mod`, `charts/mod`).
type Graph = BTreeMap<String, BTreeSet<String>>;

/// The code of `text` that counts: no comments, no test module.
fn code(text: &str) -> String {
    let text = [
        "#[cfg(test)]\nmod tests",
        "#[cfg(test)]\npub(crate) mod tests",
    ]
    .iter()
    .filter_map(|m| text.find(m))
    .min()
    .map_or(text, |i| &text[..i]);
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first path segment of every item a path at `rest` names: `x` of
/// `x::y`, or each top-level item's of `{x::y, z, w::{a, b}}`.
fn heads(rest: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    if !rest.starts_with('{') {
        return vec![ident(rest)]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect();
    }
    let (mut depth, mut item, mut out) = (0, String::new(), Vec::new());
    for c in rest.chars() {
        match c {
            '{' => {
                depth += 1;
                if depth == 1 {
                    continue;
                }
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    out.push(ident(&item));
                    break;
                }
            }
            ',' if depth == 1 => {
                out.push(ident(&std::mem::take(&mut item)));
                continue;
            }
            _ => {}
        }
        item.push(c);
    }
    out.into_iter().filter(|s| !s.is_empty()).collect()
}

/// The node `name` names from a module whose children are `dir` (`""` for
/// the report, `"charts/"` for the charts): its file, or the `mod.rs` that
/// holds an item of that name.
fn resolve(files: &BTreeSet<String>, dir: &str, name: &str) -> String {
    for candidate in [format!("{dir}{name}"), format!("{dir}{name}/mod")] {
        if files.contains(&candidate) {
            return candidate;
        }
    }
    format!("{dir}mod")
}

/// The import graph of `files` (node, source).
fn graph(sources: &BTreeMap<String, String>) -> Graph {
    let files: BTreeSet<String> = sources.keys().cloned().collect();
    let mut g = Graph::new();
    for (node, text) in sources {
        let code = code(text);
        let (dir, parent) = match node.rsplit_once('/') {
            Some((d, _)) => (format!("{d}/"), "".to_string()),
            None => (String::new(), String::new()),
        };
        // `super::` from `charts/bars` is `charts/`; from `charts/mod`, the report.
        let super_dir = if node.ends_with("/mod") {
            parent.clone()
        } else {
            dir.clone()
        };
        let mut uses = BTreeSet::new();
        let mut find = |prefix: &str, base: &str| {
            for (i, _) in code.match_indices(prefix) {
                let before = code[..i].chars().last();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                    continue;
                }
                for name in heads(&code[i + prefix.len()..]) {
                    if name != "super" && name != "self" {
                        uses.insert(resolve(&files, base, &name));
                    }
                }
            }
        };
        find("super::super::", &parent);
        find("super::", &super_dir);
        find("crate::report::", "");
        // A module's `mod` lines: it uses its children.
        if node == "mod" || node.ends_with("/mod") {
            let own = node.trim_end_matches("mod");
            for line in code.lines() {
                let l = line
                    .trim()
                    .trim_start_matches("pub ")
                    .trim_start_matches("pub(crate) ");
                if let Some(child) = l.strip_prefix("mod ").and_then(|r| r.strip_suffix(';')) {
                    let child = resolve(&files, own, child);
                    if sources.contains_key(&child) {
                        uses.insert(child);
                    }
                }
            }
        }
        uses.remove(node);
        uses.retain(|u| files.contains(u));
        g.insert(node.clone(), uses);
    }
    g
}

/// A circle of `g` if it has one, as the files round it.
fn circle(g: &Graph) -> Option<Vec<String>> {
    fn visit(
        g: &Graph,
        n: &str,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == n) {
            let mut c = path[i..].to_vec();
            c.push(n.to_string());
            return Some(c);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_string());
        for m in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(g, m, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    g.keys()
        .find_map(|n| visit(g, n, &mut Vec::new(), &mut done))
}

/// Every `.rs` file under `dir`, by node name, but the test fixture.
fn sources(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("the report's sources") {
            let p = e.expect("an entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(dir).unwrap().with_extension("");
                let node = rel.to_string_lossy().replace('\\', "/");
                if node != "fixture" {
                    out.insert(node, std::fs::read_to_string(&p).unwrap());
                }
            }
        }
    }
    out
}

#[test]
fn no_file_of_the_report_imports_another_that_imports_it_back() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/report");
    let g = graph(&sources(&dir));
    for (n, uses) in &g {
        println!(
            "{n} -> {}",
            uses.iter().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    assert!(g.len() > 15, "every file read: {:?}", g.keys());
    assert!(g["findings"].contains("verdicts") && g["tables"].contains("run"));
    assert_eq!(circle(&g), None);
}

#[test]
fn the_reader_finds_a_circle_direct_or_round_a_loop_and_ignores_tests_and_comments() {
    let of = |files: &[(&str, &str)]| {
        graph(
            &files
                .iter()
                .map(|(n, t)| (n.to_string(), t.to_string()))
                .collect(),
        )
    };
    let two = of(&[
        ("a", "use super::b::X;\n"),
        ("b", "fn f() { super::a::g() }\n"),
    ]);
    assert_eq!(circle(&two).map(|c| c.len()), Some(3));
    let three = of(&[
        ("a", "use super::{b::X, lang};\n"),
        ("b", "use crate::report::c::Y;\n"),
        ("c", "use super::{\n    a::{self, Z},\n};\n"),
        ("lang", ""),
    ]);
    assert!(circle(&three).is_some());
    // Reaching an item of `mod.rs` from a file it declares is a circle.
    let back = of(&[("mod", "mod a;\n"), ("a", "use super::Report;\n")]);
    assert!(circle(&back).is_some());
    let charts = of(&[
        ("mod", "mod charts;\nmod run;\n"),
        ("run", ""),
        ("charts/mod", "mod bars;\n"),
        ("charts/bars", "use super::colour;\n"),
    ]);
    assert!(circle(&charts).is_some(), "{charts:?}");
    let tests_and_comments = of(&[
        ("a", "//! see super::b::X\nuse super::b::X;\n"),
        (
            "b",
            "/// super::a\nfn f() {}\n#[cfg(test)]\nmod tests {\n    use super::super::a::Y;\n}\n",
        ),
    ]);
    assert_eq!(circle(&tests_and_comments), None, "{tests_and_comments:?}");
}
