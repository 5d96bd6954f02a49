//! One file per rule, plus the facts modules that cross-file rules share.

pub mod r#async;
pub mod call_graph;
pub mod coverage;
pub mod errors;
pub mod handlers;
pub mod meta;
pub mod panic_exempt;
pub mod panic_facts;
pub mod panic_reachable_from_handler;
pub mod security;
pub mod sql;
pub mod r#unsafe;
pub mod unwrap_in_handler;
