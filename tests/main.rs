//! rustgate's integration tests: one binary, one module per topic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cache;
mod cli;
mod common;
mod config;
mod fixtures;
mod inputs;
mod meta;
mod outputs;
mod suppressions;
