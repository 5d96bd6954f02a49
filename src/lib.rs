//! rustgate, the driver: command line, configuration, workspace discovery and
//! walk, the run, and the output formats. The rules live in `rustgate-rules`.

pub mod baseline;
pub mod cache;
pub mod cli;
pub mod config;
pub mod coverage;
pub mod engine;
pub mod fingerprint;
pub mod fuzzing;
pub mod nesting;
pub mod output;
pub mod server;
pub mod suppress;
pub mod workspace;
