//! Reads a crate's module tree from its sources and builds the graph of
//! which file uses which: the reader behind `no_two_files_import_each_other`.
//!
//! A file is a node, named by its path. Its module path comes from the
//! `mod x;` lines (and `#[path]`) followed from `src/lib.rs` or
//! `src/main.rs`. Its uses are every `crate::`, `super::` and `self::`
//! path in its code, and every `use` of a child module by name, resolved
//! to the file that defines the item (through `pub use` re-exports), with
//! comments and `#[cfg(test)]` items left out: test code may reach anywhere.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

/// One crate's files: module path -> (file, its code).
pub struct Tree {
    pub modules: BTreeMap<Vec<String>, (PathBuf, String)>,
}

/// `text` without comments and without `#[cfg(test)]` items; the names of
/// the `#[cfg(test)] mod x;` children are returned too (left out of the tree).
pub fn code(text: &str) -> (String, BTreeSet<String>) {
    let bare: String = text
        .lines()
        .map(|l| comment_start(l).map_or(l, |i| &l[..i]))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = String::new();
    let mut test_children = BTreeSet::new();
    let mut rest = bare.as_str();
    while let Some(i) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..i]);
        let after = &rest[i + "#[cfg(test)]".len()..];
        let semi = after.find(';').unwrap_or(after.len());
        let brace = after.find('{').unwrap_or(after.len());
        if semi < brace {
            let item = after[..semi].trim();
            if let Some(name) = item.rsplit(' ').next().filter(|_| item.contains("mod ")) {
                test_children.insert(name.to_string());
            }
            rest = &after[(semi + 1).min(after.len())..];
            continue;
        }
        let mut depth = 0usize;
        let mut end = after.len();
        for (j, c) in after.char_indices().skip(brace) {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = j + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    (out, test_children)
}

/// Where a line's comment (`//`, `//!`, `///`) starts, if it has one
/// outside a string literal.
pub fn comment_start(line: &str) -> Option<usize> {
    let mut in_str = false;
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match c {
            '"' if prev != '\\' && prev != '\'' => in_str = !in_str,
            '/' if !in_str && line[i..].starts_with("//") => return Some(i),
            _ => {}
        }
        prev = c;
    }
    None
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The paths a path expression at the start of `s` names, as segments:
/// `a::b::C` is one, `a::{b::C, d as e, f::*}` three (`*` kept as a segment).
pub fn paths(s: &str) -> Vec<Vec<String>> {
    fn parse(s: &[char], i: &mut usize) -> Vec<Vec<String>> {
        let skip_ws = |i: &mut usize| {
            while *i < s.len() && s[*i].is_whitespace() {
                *i += 1;
            }
        };
        let mut prefix = Vec::new();
        loop {
            skip_ws(i);
            if *i < s.len() && s[*i] == '{' {
                *i += 1;
                let mut out = Vec::new();
                loop {
                    skip_ws(i);
                    if *i >= s.len() {
                        return out;
                    }
                    if s[*i] == '}' {
                        *i += 1;
                        break;
                    }
                    if s[*i] == ',' {
                        *i += 1;
                        continue;
                    }
                    let before = *i;
                    for p in parse(s, i) {
                        let mut full = prefix.clone();
                        full.extend(p);
                        out.push(full);
                    }
                    if *i == before {
                        *i += 1;
                    }
                }
                return out;
            }
            let start = *i;
            while *i < s.len() && (is_ident(s[*i]) || s[*i] == '*') {
                *i += 1;
            }
            if start == *i {
                return if prefix.is_empty() {
                    vec![]
                } else {
                    vec![prefix]
                };
            }
            prefix.push(s[start..*i].iter().collect());
            skip_ws(i);
            if s[*i..].starts_with(&[':', ':']) {
                *i += 2;
                continue;
            }
            // `x as y`: the alias is not a path.
            let save = *i;
            if s[*i..].starts_with(&['a', 's', ' ']) {
                *i += 3;
                skip_ws(i);
                while *i < s.len() && is_ident(s[*i]) {
                    *i += 1;
                }
            } else {
                *i = save;
            }
            return vec![prefix];
        }
    }
    let chars: Vec<char> = s.chars().collect();
    parse(&chars, &mut 0)
}

/// The `mod x;` children a file declares, with its `#[path]` if any.
fn children(code: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut path_attr = None;
    for line in code.lines() {
        let l = line.trim();
        if let Some(p) = l.strip_prefix("#[path = \"") {
            path_attr = p.split('"').next().map(str::to_string);
            continue;
        }
        let decl = l
            .trim_start_matches("pub ")
            .trim_start_matches("pub(crate) ")
            .trim_start_matches("pub(super) ");
        if let Some(name) = decl.strip_prefix("mod ").and_then(|r| r.strip_suffix(';')) {
            out.push((name.trim().to_string(), path_attr.take()));
        } else if !l.starts_with("#[") {
            path_attr = None;
        }
    }
    out
}

impl Tree {
    /// Follows `mod` lines from the crate root under `src`.
    pub fn read(src: &Path) -> Tree {
        let root = ["lib.rs", "main.rs"]
            .iter()
            .map(|f| src.join(f))
            .find(|p| p.is_file())
            .unwrap_or_else(|| panic!("a crate root in {}", src.display()));
        let mut modules = BTreeMap::new();
        let mut todo = vec![(Vec::<String>::new(), root)];
        while let Some((module, file)) = todo.pop() {
            let text = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let (code, tests) = code(&text);
            let dir = file.parent().unwrap().to_path_buf();
            let stem = file.file_stem().unwrap().to_string_lossy().to_string();
            let child_dir = if module.is_empty() || stem == "mod" {
                dir.clone()
            } else {
                dir.join(&stem)
            };
            for (name, attr) in children(&code) {
                if tests.contains(&name) {
                    continue;
                }
                let found = match attr {
                    Some(p) => Some(dir.join(p)),
                    None => [
                        child_dir.join(format!("{name}.rs")),
                        child_dir.join(&name).join("mod.rs"),
                    ]
                    .into_iter()
                    .find(|p| p.is_file()),
                };
                let mut m = module.clone();
                m.push(name);
                let found = found.unwrap_or_else(|| panic!("module {m:?} of {}", file.display()));
                todo.push((m, found));
            }
            modules.insert(module, (file, code));
        }
        Tree { modules }
    }

    /// The module `path` names from `module`, made absolute: `crate::`,
    /// `super::`, `self::` or a child's name; `None` for another crate.
    fn absolute(&self, module: &[String], path: &[String]) -> Option<Vec<String>> {
        let mut base = module.to_vec();
        let mut rest = path;
        match rest.first().map(String::as_str) {
            Some("crate") => {
                base.clear();
                rest = &rest[1..];
            }
            Some("self") => rest = &rest[1..],
            Some("super") => {
                while rest.first().map(String::as_str) == Some("super") {
                    base.pop()?;
                    rest = &rest[1..];
                }
            }
            Some(first) => {
                let mut child = module.to_vec();
                child.push(first.to_string());
                if !self.modules.contains_key(&child) {
                    return None;
                }
            }
            None => return None,
        }
        base.extend(rest.iter().cloned());
        Some(base)
    }

    /// The module whose file defines what the absolute `path` names,
    /// following `pub use` re-exports.
    fn defining(&self, path: &[String], depth: usize) -> Vec<String> {
        let mut m: Vec<String> = Vec::new();
        for seg in path {
            let mut next = m.clone();
            next.push(seg.clone());
            if self.modules.contains_key(&next) {
                m = next;
            } else {
                break;
            }
        }
        let Some(item) = path.get(m.len()) else {
            return m;
        };
        if depth > 8 {
            return m;
        }
        for (target, name) in self.reexports(&m) {
            if &name == item {
                if let Some(abs) = self.absolute(&m, &target) {
                    let mut abs = abs;
                    abs.extend(path[m.len() + 1..].iter().cloned());
                    return self.defining(&abs, depth + 1);
                }
            }
        }
        m
    }

    /// A module's re-exports: (the path it re-exports, the name it gives).
    fn reexports(&self, module: &[String]) -> Vec<(Vec<String>, String)> {
        let code = &self.modules[module].1;
        let mut out = Vec::new();
        for stmt in statements(code, true) {
            for p in paths(&stmt) {
                if let Some(last) = p.last().filter(|l| *l != "*" && *l != "self") {
                    out.push((p.clone(), last.clone()));
                }
            }
        }
        out
    }

    /// Which modules each module uses (itself left out).
    pub fn graph(&self) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
        let mut g = BTreeMap::new();
        for (module, (_, code)) in &self.modules {
            let mut found = Vec::new();
            for prefix in ["crate::", "super::", "self::"] {
                for (i, _) in code.match_indices(prefix) {
                    let before = code[..i].chars().last();
                    if before.is_some_and(|c| is_ident(c) || c == ':') {
                        continue;
                    }
                    found.extend(paths(&code[i..]));
                }
            }
            for stmt in statements(code, false) {
                found.extend(paths(&stmt));
            }
            let mut uses = BTreeSet::new();
            for p in found {
                if let Some(abs) = self.absolute(module, &p) {
                    let target = self.defining(&abs, 0);
                    if &target != module {
                        uses.insert(target);
                    }
                }
            }
            g.insert(module.clone(), uses);
        }
        g
    }

    /// The file of a module, for messages.
    pub fn file(&self, module: &[String]) -> String {
        self.modules[module].0.display().to_string()
    }
}

/// The path part of every `use` statement of `code` (`pub` ones only when
/// `public`).
fn statements(code: &str, public: bool) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in code.match_indices("use ") {
        let before = code[..i].trim_end();
        let at_start = before.is_empty() || before.ends_with([';', '{', '}', ']']);
        let is_pub = before.ends_with("pub") || before.ends_with(')');
        let start_ok = at_start || is_pub;
        if !start_ok || (public && !is_pub) {
            continue;
        }
        let rest = &code[i + 4..];
        let end = rest.find(';').unwrap_or(rest.len());
        out.push(rest[..end].to_string());
    }
    out
}

/// Whether `to` is `from`'s ancestor: a child using its parent's items,
/// the use the rule allows.
pub fn to_ancestor(from: &[String], to: &[String]) -> bool {
    from.starts_with(to)
}

/// A way from `from` to `to` in `g`, if any.
pub fn way(
    g: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
    from: &[String],
    to: &[String],
) -> Option<Vec<Vec<String>>> {
    let mut back: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
    let mut queue = VecDeque::from([from.to_vec()]);
    while let Some(n) = queue.pop_front() {
        if n == to {
            let mut way = vec![n.clone()];
            let mut at = n;
            while let Some(p) = back.get(&at) {
                way.push(p.clone());
                at = p.clone();
            }
            way.reverse();
            return Some(way);
        }
        for m in g.get(&n).into_iter().flatten() {
            if m != from && !back.contains_key(m) {
                back.insert(m.clone(), n.clone());
                queue.push_back(m.clone());
            }
        }
    }
    None
}

/// The loops of `g` once a child's uses of its ancestors are set aside,
/// each as the modules round it (first and last the same), one per set
/// of modules.
pub fn loops(g: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<Vec<String>>> {
    let g: BTreeMap<_, BTreeSet<_>> = g
        .iter()
        .map(|(from, uses)| {
            let kept = uses
                .iter()
                .filter(|to| !to_ancestor(from, to))
                .cloned()
                .collect();
            (from.clone(), kept)
        })
        .collect();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (from, uses) in &g {
        for to in uses {
            if let Some(back) = way(&g, to, from) {
                let mut round = vec![from.clone()];
                round.extend(back);
                let key: BTreeSet<_> = round.iter().cloned().collect();
                if seen.insert(key) {
                    out.push(round);
                }
            }
        }
    }
    out
}
