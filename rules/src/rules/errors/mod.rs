//! The error-handling rules (RG301-RG303) and the facts they share.

pub mod error_as_string;
pub mod error_facts;
pub mod error_variant_erased;
pub mod wildcard_error_match;
