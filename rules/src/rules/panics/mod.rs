//! Panics in request handlers (RG201, RG202) and the analyses they share:
//! handler recognition, per-function panic facts, the exemptions, and the
//! call graph that follows calls from a handler.

pub mod call_graph;
pub mod handlers;
pub mod panic_exempt;
pub mod panic_facts;
pub mod panic_reachable_from_handler;
pub mod unwrap_in_handler;
