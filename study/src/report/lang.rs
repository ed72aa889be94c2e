//! The language of a page or a chart, and numbers as it writes them:
//! English "47,528" and "0.81"; Spanish, following docs/glosario.md,
//! "47 528" (a no-break space, U+00A0, from five digits; "1000" stands
//! alone) and "0,81". Both are the demo's (`sockmodes_demo::Lang`), so
//! the demo, the report and the guides write a number one way.
//!
//! The report's own tables and findings write a figure over its windows
//! as "median (min-max)" ([`spread`]) or its median alone ([`median`]),
//! with "-" where it was not measured.

pub use sockmodes_demo::Lang;

use crate::stats::Spread;

/// "12.3 (11.9-13.0)" with `digits` decimals, or "-".
pub fn spread(s: Option<Spread>, digits: usize) -> String {
    s.map_or("-".into(), |s| s.show(digits))
}

/// The median alone with `digits` decimals, or "-".
pub fn median(s: Option<Spread>, digits: usize) -> String {
    s.map_or("-".into(), |s| format!("{:.digits$}", s.median))
}
