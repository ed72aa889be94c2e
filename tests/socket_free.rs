//! The socket-free crates make no system call: the protocol (`common/`,
//! `sockmodes-common`), the Python vocabulary (`python/`), the server
//! policy (`serving/`) and the client core (`client/`) depend on no crate
//! that makes system calls, and their code names no socket, file, thread,
//! sleep, clock, process, environment, console or foreign function. Those
//! belong to the OS layer, `os/` (`sockmodes-os`), or to the driver that
//! owns them (the offload pool's threads and `--work block`'s sleep are
//! `sockmodes_os::offload` and `sockmodes_os::work`). And the protocol, the
//! crate a reader opens first, depends on nothing of the workspace.
//!
//! The compiler does most of the work: without socket2, libc or windows-sys
//! in their `Cargo.toml` these crates cannot set a socket option or call the
//! system directly. What std itself offers is checked here, in the code:
//! anything under `std::net` (plain addresses are `core::net`'s), std's
//! sockets and name resolution, files (`std::fs`), raw handles
//! (`std::os`), threads and their sleeps (`std::thread`), the clock
//! (`Instant::now`, `SystemTime`: time comes in as data), the environment,
//! child processes and the console (`std::env`, `std::process`, `stdin`,
//! `println!`), and any `extern` block or inline assembly. Plain data such
//! as `io::Error`, `Instant` and `Duration` is fine.
//!
//! Comments and string literals are skipped, so a doc comment may still say
//! what the core does not do; so are `#[cfg(test)]` items, whose tests may
//! read the clock to make their instants.

use std::path::{Path, PathBuf};

/// The crates that make no system call, by directory.
const SOCKET_FREE: [&str; 4] = ["common", "python", "serving", "client"];

/// The crates that depend on nothing of the workspace: the protocol, and
/// the Python vocabulary it shares no code with.
const STANDALONE: [&str; 2] = ["common", "python"];

#[path = "socket_free/scan.rs"]
mod scan;
use scan::identifiers;

/// Crates that make system calls, in any dependency section of the core.
const SYSTEM_CRATES: [&str; 8] = [
    "socket2",
    "libc",
    "windows-sys",
    "windows",
    "mio",
    "io-uring",
    "nix",
    "rustix",
];

/// Names the core's code may not use: std's sockets, name resolution,
/// files, threads and sleeps, the wall clock, the console, child
/// processes, and the system crates should one come in some other way (a
/// path dependency, a re-export).
const SYSTEM_NAMES: [&str; 24] = [
    "TcpStream",
    "TcpListener",
    "UdpSocket",
    "ToSocketAddrs",
    "fs",
    "File",
    "OpenOptions",
    "Command",
    "libc",
    "socket2",
    "windows_sys",
    "mio",
    "io_uring",
    "extern",
    "thread",
    "SystemTime",
    "UNIX_EPOCH",
    "stdin",
    "stdout",
    "stderr",
    "println",
    "eprintln",
    "eprint",
    "dbg",
];

/// Modules of std that are the system itself, after `std::`: its sockets,
/// raw handles, environment and processes (`std::fs` and `std::thread`,
/// and so `thread::spawn` and `thread::sleep`, are caught by their names
/// alone).
const STD_MODULES: [&str; 4] = ["net", "os", "env", "process"];

/// Inline assembly, a system call without any crate.
const ASSEMBLY: [&str; 3] = ["asm", "global_asm", "naked_asm"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// Each dependency of a `Cargo.toml` that is a system crate, as "what: why".
fn system_dependencies(manifest: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut section = String::new();
    for (n, line) in manifest.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = header.trim().to_string();
            // `[dependencies.socket2]`: the crate is in the header.
            if let Some((deps, name)) = section.rsplit_once('.') {
                if deps.ends_with("dependencies") && SYSTEM_CRATES.contains(&unquote(name)) {
                    found.push(format!("line {}: [{section}]", n + 1));
                }
            }
            continue;
        }
        if !section.ends_with("dependencies") {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        // `socket2.workspace = true`, `libc = "0.2"`, or a rename:
        // `net = { package = "socket2", ... }`.
        let name = unquote(key.split('.').next().unwrap_or("").trim());
        let renamed = value
            .split_once("package")
            .and_then(|(_, rest)| rest.split('"').nth(1));
        for crate_name in [Some(name), renamed].into_iter().flatten() {
            if SYSTEM_CRATES.contains(&crate_name) {
                found.push(format!("line {}: {crate_name} in [{section}]", n + 1));
            }
        }
    }
    found
}

fn unquote(s: &str) -> &str {
    s.trim().trim_matches(|c| c == '"' || c == '\'')
}

/// Each use of a system name in one source file, as "line: name".
fn system_uses(source: &str) -> Vec<String> {
    let ids = identifiers(source);
    let mut found = Vec::new();
    for (k, (line, id)) in ids.iter().enumerate() {
        // The names around `id` in a path: `before::id::next`.
        let at = |k: Option<usize>| k.and_then(|k| ids.get(k)).map_or("", |(_, n)| n.as_str());
        let next = if at(Some(k + 1)) == ":" && at(Some(k + 2)) == ":" {
            at(Some(k + 3))
        } else {
            ""
        };
        let before = if at(k.checked_sub(1)) == ":" && at(k.checked_sub(2)) == ":" {
            at(k.checked_sub(3))
        } else {
            ""
        };
        // `std::net`, and `net::` in `use std::{io, net::TcpStream}`; but
        // `core::net` is plain data.
        let std_module = STD_MODULES.contains(&id.as_str())
            && (before == "std" || (!next.is_empty() && before != "core"));
        let hit = if std_module {
            Some(format!("std::{id}"))
        } else if id == "Instant" && next == "now" {
            Some("Instant::now".to_string())
        } else if SYSTEM_NAMES.contains(&id.as_str()) || ASSEMBLY.contains(&id.as_str()) {
            Some(id.clone())
        } else {
            None
        };
        if let Some(hit) = hit {
            found.push(format!("line {line}: {hit}"));
        }
    }
    found
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

/// Each dependency of a `Cargo.toml` on a crate of this workspace.
fn workspace_dependencies(manifest: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut section = "";
    for line in manifest.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.starts_with('[') {
            section = line;
            continue;
        }
        let name = unquote(line.split(['=', '.']).next().unwrap_or(""));
        if section.ends_with("dependencies]") && name.starts_with("sockmodes") {
            found.push(name.to_string());
        }
    }
    found
}

#[test]
fn the_socket_free_crates_depend_on_no_system_crate() {
    for dir in SOCKET_FREE {
        let manifest = std::fs::read_to_string(root().join(dir).join("Cargo.toml")).unwrap();
        let found = system_dependencies(&manifest);
        assert!(
            found.is_empty(),
            "{dir}/Cargo.toml depends on a crate that makes system calls (move that code to os/): {found:?}"
        );
    }
}

#[test]
fn the_protocol_depends_on_nothing_of_the_workspace() {
    for dir in STANDALONE {
        let manifest = std::fs::read_to_string(root().join(dir).join("Cargo.toml")).unwrap();
        let found = workspace_dependencies(&manifest);
        assert!(
            found.is_empty(),
            "{dir}/Cargo.toml depends on crates of the workspace: {found:?}"
        );
    }
    let serving = std::fs::read_to_string(root().join("serving/Cargo.toml")).unwrap();
    assert_eq!(
        workspace_dependencies(&serving),
        ["sockmodes-common"],
        "the check finds a workspace dependency"
    );
}

#[test]
fn the_socket_free_crates_name_no_socket_file_or_foreign_call() {
    for dir in SOCKET_FREE {
        let mut files = Vec::new();
        rust_files(&root().join(dir).join("src"), &mut files);
        assert!(files.len() >= 4, "{dir}'s sources were found: {files:?}");
        let mut found = Vec::new();
        for file in &files {
            let source = std::fs::read_to_string(file).unwrap();
            for hit in system_uses(&source) {
                found.push(format!("{}: {hit}", file.display()));
            }
        }
        assert!(
            found.is_empty(),
            "{dir}/ makes system calls (they belong in os/):\n{}",
            found.join("\n")
        );
    }
}

#[test]
fn the_manifest_check_finds_system_crates_however_written() {
    let manifest = r#"
[dependencies]
crc32fast.workspace = true
net = { package = "socket2", version = "0.6" } # renamed
# libc = "0.2" (a comment, not a dependency)

[target.'cfg(unix)'.dependencies]
libc.workspace = true

[dev-dependencies.windows-sys]
version = "0.61"

[features]
mio = []
"#;
    let found = system_dependencies(manifest);
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(found[0].contains("socket2") && found[1].contains("libc"));
    assert!(found[2].contains("windows-sys"), "{found:?}");
}

#[test]
fn the_code_check_finds_system_calls_and_skips_comments_and_strings() {
    let source = r##"
//! Never `std::fs` here (a comment).
use std::net::SocketAddr;
use std::{fs, io};
/* a block comment: TcpStream /* nested: libc */ */
fn f(a: SocketAddr) -> io::Result<()> {
    let text = "std::net::TcpListener in a string";
    let raw = r#"UdpSocket "quoted" in a raw string"#;
    let c = '"';
    let q = '\'';
    let b = b"File";
    let r#type = br#"Command "#;
    let s = std::net::TcpStream::connect(a)?; use std::{io, net::UdpSocket as U};
    let fd = std::os::fd::AsRawFd::as_raw_fd(&s);
    unsafe { libc::close(fd) };
    Ok(())
}
extern "C" { fn getpid() -> i32; }
fn g(at: core::net::SocketAddr, now: Instant) -> Instant {
    std::thread::spawn(|| thread::sleep(Duration::ZERO));
    println!("{}", std::env::var("HOME").is_ok());
    let _ = (at, Instant::now(), SystemTime::now());
    now
}
#[cfg(test)]
mod tests {
    fn t() { let _ = (std::time::Instant::now(), std::fs::read("x")); }
}
#[cfg(test)]
use std::net::TcpStream;
fn after_the_tests() { std::process::exit(0) }
"##;
    let found = system_uses(source);
    let want = [
        "line 3: std::net",
        "line 4: fs",
        "line 13: std::net",
        "line 13: TcpStream",
        "line 13: std::net",
        "line 13: UdpSocket",
        "line 14: std::os",
        "line 15: libc",
        "line 18: extern",
        "line 20: thread",
        "line 20: thread",
        "line 21: println",
        "line 21: std::env",
        "line 22: Instant::now",
        "line 22: SystemTime",
        "line 31: std::process",
    ];
    assert_eq!(found, want);
}
