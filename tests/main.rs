//! rustgate's integration tests: one binary, one module per topic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod action;
mod adversarial;
mod baseline;
mod cache;
mod cli;
mod common;
mod config;
mod coverage;
mod editor;
mod fixtures;
mod github;
mod hardening;
mod inputs;
mod limits;
mod meta;
mod outputs;
mod preview;
mod server;
mod suppressions;
mod workspace;
