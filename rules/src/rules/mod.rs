//! One file per rule, plus the facts modules that cross-file rules share.

pub mod r#async;
pub mod coverage;
pub mod errors;
pub mod meta;
pub mod panics;
pub mod security;
pub mod sql;
pub mod r#unsafe;
