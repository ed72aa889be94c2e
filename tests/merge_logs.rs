//! `sockmodes merge-logs`: several hosts' `load --hdr-log` logs, merged,
//! against the known histograms they were written from, against
//! HdrHistogram's own Python port, and refused in one line when bad.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

mod util;

use hdrhistogram::Histogram;
use sockmodes_loadgen::{hdrlog, Recorder};
use util::cli::sockmodes;

/// A directory of its own for one test's logs, removed at the end.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir =
            std::env::temp_dir().join(format!("sockmodes-merge-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    /// Writes a log whose intervals hold `values` ((µs, count) pairs), one
    /// interval per slice, as `load --hdr-log` writes it for a run of
    /// whole seconds.
    fn log(&self, name: &str, intervals: &[Vec<(u64, u64)>]) -> PathBuf {
        let window = Duration::from_secs(intervals.len() as u64);
        self.log_of(name, intervals, window)
    }

    /// [`log`](Self::log) of a run whose measured window was `window`.
    fn log_of(&self, name: &str, intervals: &[Vec<(u64, u64)>], window: Duration) -> PathBuf {
        let mut recorder = Recorder::default();
        for values in intervals {
            let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).unwrap();
            for &(v, n) in values {
                h.record_n(v, n).unwrap();
            }
            recorder.intervals.push(h);
        }
        let path = self.0.join(name);
        let mut file = std::fs::File::create(&path).unwrap();
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_140_000);
        hdrlog::write(&mut file, &recorder, start, window, "nonblocking-echo").unwrap();
        path
    }

    fn bytes(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn merge(paths: &[&Path]) -> Output {
    let mut args = vec!["merge-logs"];
    args.extend(paths.iter().map(|p| p.to_str().unwrap()));
    sockmodes(&args)
}

/// The value of a `NAME  VALUE` line of merge-logs' table.
fn figure(stdout: &str, name: &str) -> f64 {
    stdout
        .lines()
        .find_map(|l| {
            let mut f = l.split_whitespace();
            (f.next() == Some(name)).then(|| f.next()?.parse().ok())?
        })
        .unwrap_or_else(|| panic!("no {name} in {stdout}"))
}

/// Latencies spread over five decades, as a loaded server's are.
fn spread(seed: u64, n: u64) -> Vec<(u64, u64)> {
    (0..n)
        .map(|i| {
            let x = (i * 7919 + seed * 104_729) % 100_000;
            (1 + x * x / 1000, 1 + (i % 3))
        })
        .collect()
}

#[test]
fn the_merged_table_adds_the_hosts_and_tells_each_ones_share() {
    let dir = Dir::new("table");
    // Host a: 2 s of 300 answers at 100 µs; host b: 2 s of 100 at 1,000 µs.
    let a = dir.log("a.hlog", &[vec![(100, 300)], vec![(100, 300)]]);
    let b = dir.log("b.hlog", &[vec![(1_000, 100)], vec![(1_000, 100)]]);
    let out = merge(&[&a, &b]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(figure(&stdout, "hosts"), 2.0);
    assert_eq!(figure(&stdout, "messages"), 800.0);
    assert_eq!(figure(&stdout, "messages_per_s"), 400.0);
    assert_eq!(figure(&stdout, "p50"), 100.0);
    // The slow quarter: p90 is b's 1,000 µs (within the 0.1% bucket).
    assert!(
        (1_000.0..1_001.0).contains(&figure(&stdout, "p90")),
        "{stdout}"
    );
    let host_line = |p: &Path| {
        stdout
            .lines()
            .find(|l| l.trim_start().starts_with(p.to_str().unwrap()))
            .unwrap_or_else(|| panic!("no line for {}: {stdout}", p.display()))
            .to_string()
    };
    assert!(
        host_line(&a).contains("600 messages  300 msg/s  75.0%"),
        "{stdout}"
    );
    assert!(
        host_line(&b).contains("200 messages  100 msg/s  25.0%"),
        "{stdout}"
    );
    // 25% is half the fair share (50%) exactly: not under it.
    assert!(!stderr.contains("warning"), "{stderr}");
}

/// A log covers the run's whole window: a run of half a second that
/// answered 100 messages ran at 200 msg/s, not 100; one of 3 s whose
/// answers stopped after the first second, at 100 msg/s, not 300.
#[test]
fn a_run_is_rated_over_its_whole_window() {
    let dir = Dir::new("short");
    let short = dir.log_of(
        "short.hlog",
        &[vec![(100, 100)]],
        Duration::from_millis(500),
    );
    let long = dir.log_of(
        "long.hlog",
        &[vec![(100, 100)], vec![(100, 50)]],
        Duration::from_millis(1_500),
    );
    let stalled = dir.log_of("stalled.hlog", &[vec![(100, 300)]], Duration::from_secs(3));
    for (log, rate) in [(&short, 200.0), (&long, 100.0), (&stalled, 100.0)] {
        let out = merge(&[log]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(figure(&stdout, "messages_per_s"), rate, "{stdout}");
    }
}

#[test]
fn a_host_served_under_half_its_fair_share_is_warned_of() {
    let dir = Dir::new("unequal");
    let a = dir.log("a.hlog", &[vec![(100, 300)]]);
    let b = dir.log("b.hlog", &[vec![(100, 90)]]);
    let out = merge(&[&a, &b]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(warnings[0].contains(b.to_str().unwrap()), "{stderr}");
    assert!(warnings[0].contains("23.1% of the messages"), "{stderr}");
}

#[test]
fn bad_logs_are_refused_in_one_line_naming_the_file() {
    let dir = Dir::new("bad");
    let good = dir.log("good.hlog", &[spread(1, 500), spread(2, 500)]);
    let text = std::fs::read_to_string(&good).unwrap();
    let last = text.trim_end().rsplit_once(',').unwrap();
    // Every interval's length set to `length`.
    // An interval line is `[Tag=T,]start,duration,max,histogram`.
    let lasting = |length: &str| -> String {
        text.lines()
            .map(|l| {
                let mut fields: Vec<&str> = l.split(',').collect();
                let at = usize::from(l.starts_with("Tag=")) + 1;
                if !l.starts_with('#') && fields.len() > at + 2 {
                    fields[at] = length;
                }
                format!("{}\n", fields.join(","))
            })
            .collect()
    };
    // Every interval as long as a duration can be: their sum overflows.
    let endless = lasting("18446744073709551615.000");
    let cases: Vec<(&str, PathBuf, &str)> = vec![
        (
            "garbage",
            dir.bytes("garbage.hlog", b"hello\nworld\n"),
            "not an HdrHistogram interval log",
        ),
        (
            "truncated mid-line",
            dir.bytes("cut.hlog", &text.as_bytes()[..text.len() - 40]),
            "does not parse",
        ),
        (
            "truncated histogram",
            dir.bytes(
                "cut-histogram.hlog",
                format!("{}\n", &text[..text.len() - 41]).as_bytes(),
            ),
            "interval 2",
        ),
        (
            "bad base64",
            dir.bytes(
                "base64.hlog",
                format!("{},{}!!{}\n", last.0, &last.1[..8], &last.1[10..]).as_bytes(),
            ),
            "base64",
        ),
        (
            "binary",
            dir.bytes("binary.hlog", &[0xff, 0xfe, 0x00, 0x01, b'\n']),
            "not an HdrHistogram interval log",
        ),
        (
            "endless intervals",
            dir.bytes("endless.hlog", endless.as_bytes()),
            "add past any duration",
        ),
        (
            "intervals of no length",
            dir.bytes("instant.hlog", lasting("0.000").as_bytes()),
            "last no time",
        ),
    ];
    for (what, path, needle) in &cases {
        let out = merge(&[&good, path]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
        assert!(out.stdout.is_empty(), "{what}: nothing printed");
        assert_eq!(
            stderr.trim().lines().count(),
            1,
            "{what}: one line: {stderr}"
        );
        assert!(stderr.contains(path.to_str().unwrap()), "{what}: {stderr}");
        assert!(
            stderr.contains(needle),
            "{what}: expected {needle:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    }
    let missing = dir.0.join("missing.hlog");
    let out = merge(&[&missing]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim().lines().count(),
        1
    );
}

/// A log without an answer: that of a run that answered nothing in its
/// window (its intervals are empty), one holding only its header, or an
/// empty file. Such a host adds no latencies and counts as one that got no
/// messages, said in one line, and is not said to be under its fair share;
/// the other hosts merge as before. Such logs alone are nothing to merge:
/// exit 2.
#[test]
fn a_log_without_an_answer_is_a_host_that_got_nothing_said_in_one_line() {
    let dir = Dir::new("no-interval");
    let a = dir.log("a.hlog", &[vec![(100, 300)], vec![(100, 300)]]);
    let idle: &Path = &dir.log("answered-nothing.hlog", &[vec![], vec![]]);
    let header_only: &Path = &dir.log("header-only.hlog", &[]);
    let empty: &Path = &dir.bytes("failed.hlog", b"");
    let out = merge(&[&a, idle, header_only, empty]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(figure(&stdout, "hosts"), 4.0);
    assert_eq!(figure(&stdout, "messages"), 600.0);
    assert_eq!(figure(&stdout, "messages_per_s"), 300.0);
    assert_eq!(figure(&stdout, "p100"), 100.0);
    let warnings: Vec<&str> = stderr.lines().collect();
    assert_eq!(warnings.len(), 3, "one line each, nothing else: {stderr}");
    for (log, warning) in [idle, header_only, empty].iter().zip(&warnings) {
        let name = log.to_str().unwrap();
        assert!(
            stdout.contains(&format!("  {name}  0 messages  0 msg/s  0.0%\n")),
            "{stdout}"
        );
        assert!(
            warning.starts_with(&format!("sockmodes: warning: {name} holds no answer")),
            "{stderr}"
        );
    }
    for alone in [&[empty][..], &[idle], &[idle, header_only, empty]] {
        let out = merge(alone);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(out.stdout.is_empty(), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains("nothing to merge"), "{stderr}");
    }
    let out = merge(&[empty]);
    assert!(String::from_utf8_lossy(&out.stderr).contains(empty.to_str().unwrap()));
}

/// Counts no run could make, that would add past a u64 (hdrhistogram adds
/// counts saturating, and every figure would be wrong): refused in one
/// line naming the log, exit 2, whether one log's intervals or several
/// logs together add past it.
#[test]
fn counts_that_add_past_a_u64_are_refused_naming_the_log() {
    let dir = Dir::new("saturated");
    // The largest count a log's histogram encodes: an i64's.
    let most = i64::MAX as u64;
    let one_log: &Path = &dir.log("three.hlog", &vec![vec![(100, most)]; 3]);
    let a: &Path = &dir.log("a.hlog", &[vec![(100, most)]]);
    let b: &Path = &dir.log("b.hlog", &[vec![(100, most), (200, 2)]]);
    for (logs, named) in [(&[one_log][..], one_log), (&[a, b], b)] {
        let out = merge(logs);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{logs:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{logs:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert!(
            stderr.starts_with(&format!("sockmodes: error: {}: ", named.display())),
            "{stderr}"
        );
        assert!(
            stderr.contains("add past 18446744073709551615 messages"),
            "{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    // Each log alone is within a u64.
    for alone in [a, b] {
        assert_eq!(merge(&[alone]).status.code(), Some(0));
    }
}

/// The merged table to a full disk is one line and exit 1; to a pipe
/// whose reader is gone, the quiet end: never a panic.
#[cfg(target_os = "linux")]
#[test]
fn a_full_or_closed_stdout_is_one_line_or_the_quiet_end() {
    let dir = Dir::new("stdout");
    let log = dir.log("a.hlog", &[spread(1, 500)]);
    let args = ["merge-logs", log.to_str().unwrap()];
    util::cli::fails_in_one_line_on_a_full_stdout(&args, "the merged table");
    let stderr =
        util::cli::ends_quietly_on_a_closed_stdout(Command::new(util::cli::BIN).args(args));
    assert!(!stderr.contains("error"), "{stderr}");
}

/// HdrHistogram's own Python port (`pip install hdrhistogram`) reading the
/// same logs: messages, mean and percentiles, one `NAME VALUE` per line.
const PYTHON: &str = r#"
import sys
from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader
total = HdrHistogram(1, 3600000000, 3)
for path in sys.argv[1:]:
    reader = HistogramLogReader(path, HdrHistogram(1, 3600000000, 3))
    while True:
        h = reader.get_next_interval_histogram()
        if h is None:
            break
        total.add(h)
print("messages", total.get_total_count())
print("mean_us", total.get_mean_value())
for p in [50, 90, 99, 99.9, 99.99, 99.999, 100]:
    print(f"p{p}", total.get_value_at_percentile(p))
"#;

#[test]
fn merge_logs_agrees_with_hdrhistograms_python_port() {
    let has_hdrh = Command::new("python3")
        .args(["-c", "import hdrh.log"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_hdrh {
        eprintln!(
            "skipped: HdrHistogram's Python port is not installed (pip install hdrhistogram)"
        );
        return;
    }
    let dir = Dir::new("python");
    let a = dir.log(
        "a.hlog",
        &[spread(1, 2_000), spread(2, 1_500), spread(3, 1_000)],
    );
    let b = dir.log("b.hlog", &[spread(4, 3_000), spread(5, 100)]);
    let ours = merge(&[&a, &b]);
    assert!(
        ours.status.success(),
        "{}",
        String::from_utf8_lossy(&ours.stderr)
    );
    let ours = String::from_utf8(ours.stdout).unwrap();
    let python = Command::new("python3")
        .args(["-c", PYTHON, a.to_str().unwrap(), b.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        python.status.success(),
        "{}",
        String::from_utf8_lossy(&python.stderr)
    );
    let python = String::from_utf8(python.stdout).unwrap();
    assert_eq!(figure(&ours, "messages"), figure(&python, "messages"));
    // Both report bucket values: equal to the histogram's precision (3
    // significant digits: 0.1%).
    for name in [
        "mean_us", "p50", "p90", "p99", "p99.9", "p99.99", "p99.999", "p100",
    ] {
        let (x, y) = (figure(&ours, name), figure(&python, name));
        assert!(
            (x - y).abs() <= 1.0 + y.abs() * 0.001,
            "{name}: ours {x}, Python {y}\n{ours}\n{python}"
        );
    }
}

/// docs/cli.md, "merge-logs".
fn docs() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/cli.md")).unwrap()
}

#[test]
fn the_docs_table_is_what_merge_logs_prints_for_the_hosts_they_describe() {
    let dir = Dir::new("docs");
    dir.log("a.hlog", &[vec![(100, 300)], vec![(100, 300)]]);
    dir.log("b.hlog", &[vec![(1_000, 100)], vec![(1_000, 100)]]);
    let out = Command::new(util::cli::BIN)
        .args(["merge-logs", "a.hlog", "b.hlog"])
        .current_dir(&dir.0)
        .output()
        .unwrap();
    assert!(out.status.success());
    let printed = String::from_utf8(out.stdout).unwrap();
    let docs = docs();
    let block = docs
        .split("```\n")
        .find(|b| b.starts_with("hosts "))
        .expect("the table in docs/cli.md");
    assert_eq!(block, printed);
}

#[test]
fn the_docs_bounds_are_the_codes() {
    use sockmodes_loadgen::merge::{MAX_LOG_BYTES, UNEQUAL_BELOW};
    let docs = docs();
    let section = docs.split("## `merge-logs`").nth(1).unwrap();
    let section = section.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(UNEQUAL_BELOW, 0.5, "the docs say half");
    assert!(section
        .contains("under half its fair share (1 / hosts: under 25% of two, under 16.7% of three)"));
    assert!(section.contains(&format!("a file over {} MiB", MAX_LOG_BYTES >> 20)));
}
