//! rustgate's rules.
//!
//! - [`Rule`]: the hooks a rule implements; [`declare_rule!`] gives it a code,
//!   a name and its documentation (the doc comment).
//! - [`check_file`]: the single traversal that runs every enabled rule over
//!   one parsed file, with the shared context in [`Ctx`].
//! - [`facts`]: per-file facts and the [`CrateIndex`] for crate-level rules.
//! - [`registry`]: every code rustgate can report.
//!
//! This crate does no I/O and knows nothing of the command line: the driver
//! (`rustgate`) reads files, resolves configuration and renders output.

pub mod checker;
pub mod diagnostic;
pub mod facts;
pub mod registry;
pub mod rule;
pub mod rules;
pub mod settings;
pub mod syntax;
#[doc(hidden)]
pub mod testing;

pub use checker::{Ctx, FnFrame, FnKind, Out, check_file};
pub use diagnostic::{Diagnostic, Label, LineCol, Location, Severity, Span, Suppressed};
pub use facts::{CrateContext, CrateDep, CrateFile, CrateIndex, FileFacts, FileInfo, TargetKind};
pub use rule::{Rule, RuleMeta};
pub use settings::Settings;
