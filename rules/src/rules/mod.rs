//! One file per rule, plus the facts modules that cross-file rules share.

pub mod r#async;
pub mod call_graph;
pub mod coverage;
pub mod error_as_string;
pub mod error_facts;
pub mod error_variant_erased;
pub mod handlers;
pub mod meta;
pub mod panic_exempt;
pub mod panic_facts;
pub mod panic_reachable_from_handler;
pub mod security;
pub mod sql_concatenation;
pub mod sql_facts;
mod sql_flow;
pub mod sql_sinks;
pub mod undocumented_unsafe;
pub mod unsafe_in_business_logic;
pub mod unwrap_in_handler;
pub mod wildcard_error_match;
