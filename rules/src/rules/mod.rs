//! One file per rule, plus the facts modules that cross-file rules share.

pub mod coverage;
pub mod error_facts;
pub mod meta;
pub mod panic_facts;
pub mod unsafe_in_business_logic;
