//! SQL built from runtime values (RG401): the rule, its intra-procedural
//! flow, the sinks it knows and the crate-wide facts it shares.

pub mod sql_concatenation;
pub mod sql_facts;
mod sql_flow;
pub mod sql_sinks;
