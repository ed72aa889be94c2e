//! Unit tests of `tables.rs`, on fixed synthetic data (kept apart so
//! that `tables.rs` stays under 400 lines).

use super::super::fixture;
use super::*;

#[test]
fn a_sweep_row_shows_spreads_and_a_client_bound_point_is_marked() {
    let mut r = fixture::report();
    for w in &mut r.study.sweep[0].windows {
        w.load.client_cpu_utilization = Some(0.95);
    }
    let t = sweep(&r);
    let row = &t.rows[0];
    assert_eq!(row[0], "1");
    assert_eq!(row[1], "blocking");
    assert_eq!(row[2], "21000 (20000-22000)");
    assert!(row.last().unwrap().ends_with("**client**"), "{row:?}");
    assert_eq!(t.headers.len(), row.len());
    let calls = t.headers.iter().position(|h| *h == "syscalls/msg").unwrap();
    assert_eq!(row[calls], "2.000 (2.000-2.000)");
    let ratios = sweep_ratios(&r);
    let at_100 = ratios.rows.iter().find(|r| r[0] == "100").unwrap();
    assert_eq!(
        at_100[2], "nonblocking ahead with every client",
        "cross-checked"
    );
    let at_1 = &ratios.rows[0];
    assert_eq!(at_1[2], "no difference beyond noise");
}
