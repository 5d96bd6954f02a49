//! rustgate's integration tests: one binary, one module per topic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod action;
mod baseline;
mod cache;
mod cli;
mod common;
mod config;
mod coverage;
mod fixtures;
mod github;
mod hardening;
mod inputs;
mod meta;
mod outputs;
mod suppressions;
mod workspace;
