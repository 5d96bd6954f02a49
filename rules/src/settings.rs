//! Rule options read from the `[handlers]`, `[unwrap-in-handler]`, ... tables of
//! `rustgate.toml`. Each table belongs to the rules that read it; unknown keys
//! are errors.

use serde::{Deserialize, Serialize};

/// The options every rule can read, resolved from the configuration.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    /// `[handlers]`: more ways to recognise request handlers (RG201, RG202).
    pub handlers: HandlerSettings,
    /// `[unwrap-in-handler]`: options of RG201 and RG202.
    pub unwrap_in_handler: UnwrapInHandlerOptions,
    /// `[error-as-string]`: options of RG301.
    pub error_as_string: ErrorAsStringOptions,
    /// `[unsafe-in-business-logic]`: options of RG101 and RG102.
    pub unsafe_in_business_logic: UnsafeOptions,
    /// `[sql-concatenation]`: options of RG401.
    pub sql_concatenation: SqlOptions,
}

/// `[error-as-string]`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ErrorAsStringOptions {
    /// Also check application code: application libraries (library
    /// targets that no other package of the workspace depends on, in a
    /// package with a binary) and functions of workspace libraries that
    /// only binaries use.
    pub include_application_libraries: bool,
}

impl Settings {
    /// The top-level configuration tables that belong to rule settings.
    pub const SECTIONS: &'static [&'static str] = &[
        "handlers",
        "unwrap-in-handler",
        "error-as-string",
        "unsafe-in-business-logic",
        "sql-concatenation",
    ];
}

/// `[handlers]`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct HandlerSettings {
    /// Attribute paths that mark a function as a handler, e.g. `my_framework::endpoint`.
    pub attributes: Vec<String>,
    /// Function path patterns that are handlers, e.g. `crate::api::*`.
    pub functions: Vec<String>,
}

/// `[unwrap-in-handler]`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct UnwrapInHandlerOptions {
    /// Also report `assert!`, `assert_eq!`, `assert_ne!`.
    pub asserts: bool,
    /// Also report `[]` indexing.
    pub indexing: bool,
    /// Treat `#[allow(clippy::unwrap_used)]` and friends as suppressions.
    pub honor_clippy_allows: bool,
    /// Also report `.lock()`, `.read()`, `.write()` (no arguments) followed by
    /// `.unwrap()`/`.expect(..)`: a poisoned lock.
    pub poisoned_locks: bool,
    /// Also report `.unwrap()`/`.expect(..)` of a template's `render(..)` and
    /// of `get_template("literal")`.
    pub template_render: bool,
    /// Follow into closures and async blocks handed to `tokio::spawn`,
    /// `spawn_blocking`, `thread::spawn` and the like.
    pub follow_spawned: bool,
    /// Also report `unreachable!`.
    pub unreachable: bool,
    /// Also report unwraps a comment on the lines just above justifies
    /// (`// unwrap: the server outlives every request`).
    pub documented: bool,
    /// RG202: also follow calls from a crate's handlers into the workspace
    /// libraries it depends on (handlers a library defines and the crate
    /// registers are followed whatever this says).
    pub follow_libraries: bool,
}

impl Default for UnwrapInHandlerOptions {
    fn default() -> Self {
        UnwrapInHandlerOptions {
            asserts: false,
            indexing: false,
            honor_clippy_allows: true,
            poisoned_locks: false,
            template_render: false,
            follow_spawned: false,
            unreachable: false,
            documented: false,
            follow_libraries: false,
        }
    }
}

/// `[unsafe-in-business-logic]`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct UnsafeOptions {
    /// Also check generated files (RG101 and RG102).
    pub include_generated: bool,
    /// Report an `unsafe` block in a binary's `fn main` that only sets or
    /// removes environment variables (RG101).
    pub report_env_in_main: bool,
}

/// `[sql-concatenation]`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct SqlOptions {
    /// Report values whose type proves them numeric (or `bool`) as well.
    pub report_numbers: bool,
}
