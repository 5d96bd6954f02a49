//! Per-file facts of RG401 (sql-concatenation): what the file defines and
//! imports, and findings that wait for the crate phase.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::Diagnostic;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SqlFacts {
    /// `const` and `static` items of the file (at any depth, associated ones
    /// too), with their text when the value is a literal.
    pub consts: BTreeMap<String, String>,
    /// Names imported by `use` from a database crate: name -> crate root.
    pub imports: BTreeMap<String, String>,
    /// Crate roots the file imports from (`use rusqlite::..`).
    pub crates: BTreeSet<String>,
    /// Findings whose string is built only from upper-case names this file
    /// does not define: reported by the crate phase unless each name is a
    /// `const` or `static` of another file of the crate.
    pub pending: Vec<PendingSql>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PendingSql {
    pub diagnostic: Diagnostic,
    pub names: Vec<String>,
}
