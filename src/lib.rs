//! rustgate's driver library.

pub mod coverage;
