//! `sockmodes load --json`'s object, and the version of its schema a
//! script can rely on: the report's fields ([`LoadReport`]), where the two
//! sides ran ([`Placement`]), and `schema_version` first.
//!
//! [`SCHEMA_VERSION`] goes up whenever a field is added, removed, renamed
//! or changes its JSON type: the tests list every field path of this
//! version with its type (`tests/util/json_schema.rs`) and compare the list
//! with what a report serialises to, so a change cannot ship without the
//! bump.

use serde::Serialize;

use super::LoadReport;
use crate::placement::Placement;

/// The version of `--json`'s schema.
pub const SCHEMA_VERSION: u32 = 1;

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
