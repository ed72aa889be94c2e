//! `sockmodes load --json`'s object, and the version of its schema a
//! script can rely on: the report's fields ([`LoadReport`]), where the two
//! sides ran ([`Placement`]), and `schema_version` first.
//!
//! [`SCHEMA_VERSION`] goes up whenever a field is added, removed, renamed
//! or changes its JSON type; [`FIELDS`] beside it lists every field path of
//! this version with its type, and a test compares it with what a report
//! serialises to, so a change cannot ship without the bump.

use serde::Serialize;

use super::LoadReport;
use crate::placement::Placement;

/// The version of `--json`'s schema.
pub const SCHEMA_VERSION: u32 = 1;

/// Every field path of [`SCHEMA_VERSION`] and its JSON type, in the order
/// `--json` prints them (`a.b`: field b of object a; `a[]`: the elements
/// of array a). `placement.client` and `placement.server` are each either
/// the string `"unpinned"` or `"unknown"`, or an object `{"pinned": [cores]}`.
pub const FIELDS: &[&str] = &[
    "schema_version: number",
    "mode: string",
    "service: string",
    "connections: number",
    "duration_s: number",
    "messages: number",
    "messages_per_s: number",
    "bytes_per_s: number",
    "p50_us: number",
    "p90_us: number",
    "p99_us: number",
    "p999_us: number",
    "max_us: number",
    "errors: number",
    "mean_us: number",
    "percentiles[][]: number",
    "latency_out_of_range: number",
    "rate_requested: number",
    "unsent: number",
    "client_threads: number",
    "client_cpu.user_s: number",
    "client_cpu.system_s: number",
    "client_cpu.wall_s: number",
    "client_cpu_utilization: number",
    "client_bound: boolean",
    "warnings[]: string",
    "answered_per_s: number",
    "ramp.warmup_s: number",
    "ramp.cap_reached: boolean",
    "ramp.last_first_answer_ms: number",
    "ramp.first_answer_p50_ms: number",
    "ramp.first_answer_p99_ms: number",
    "ramp.first_answer_max_ms: number",
    "ramp.never_answered: number",
    "fairness.answers_min: number",
    "fairness.answers_p1: number",
    "fairness.answers_median: number",
    "fairness.answers_max: number",
    "fairness.starved: number",
    "fairness.starved_connections[]: number",
    "fairness.jain_index: number",
    "carried_in: number",
    "carried_in_max_ms: number",
    "unanswered: number",
    "oldest_unanswered_ms: number",
    "send_grid_us: number",
    "answered_after_window: number",
    "ended.asked: number",
    "ended.served: number",
    "ended.rejected: number",
    "ended.closed_unanswered: number",
    "ended.closed: number",
    "ended.failed: number",
    "ended.never_answered: number",
    "ended.never_connected: number",
    "kernel_tcp.entered: number",
    "kernel_tcp.pressure_ms: number",
    "kernel_tcp.dropped: number",
    "kernel_tcp.pressure_from_bytes: number",
    "placement.same_machine: boolean",
    "placement.why: string",
    "placement.own_network_namespace: boolean",
    "placement.server_pid: number",
    "placement.client.pinned[]: number",
    "placement.server: string",
];

/// `--json`'s object.
#[derive(Debug, Serialize)]
pub struct LoadJson<'a> {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    #[serde(flatten)]
    pub report: &'a LoadReport,
    pub placement: &'a Placement,
}

impl<'a> LoadJson<'a> {
    /// `report` and `placement`, at this version of the schema.
    pub fn new(report: &'a LoadReport, placement: &'a Placement) -> LoadJson<'a> {
        LoadJson {
            schema_version: SCHEMA_VERSION,
            report,
            placement,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::placement::Cores;
    use crate::Fairness;
    use sockmodes_os::kernel_tcp::TcpPressure;

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
}
