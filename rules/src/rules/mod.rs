//! One file per rule, plus the facts modules that cross-file rules share.

pub mod error_facts;
pub mod meta;
pub mod panic_facts;
pub mod sql_concatenation;
pub mod sql_facts;
mod sql_flow;
pub mod sql_sinks;
pub mod unsafe_in_business_logic;
