//! The unsafe-code rules (RG101, RG102).

pub mod undocumented_unsafe;
pub mod unsafe_in_business_logic;
