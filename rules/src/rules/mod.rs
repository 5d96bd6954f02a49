//! One file per rule, plus the facts modules that cross-file rules share.

pub mod error_as_string;
pub mod error_facts;
pub mod error_variant_erased;
pub mod meta;
pub mod panic_facts;
pub mod unsafe_in_business_logic;
pub mod wildcard_error_match;
