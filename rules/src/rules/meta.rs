//! Diagnostics the driver itself produces. They have no syntax hooks; they are
//! declared here so that they have codes, names and documentation like any rule.

use crate::declare_rule;

declare_rule! {
    /// ## What it does
    /// Reports a file that could not be read or parsed: an I/O error, text that
    /// is not valid UTF-8, or a syntax error (with the parser's message and
    /// position).
    ///
    /// ## Why is this bad?
    /// A gate that skips what it cannot read can be walked around: one broken
    /// file would hide every finding in it. rustgate fails closed instead.
    ///
    /// ## Example
    /// ```rust
    /// fn broken( {
    /// ```
    ///
    /// Use instead:
    /// ```rust
    /// fn fixed() {}
    /// ```
    pub struct ParseError {
        code: "RG901",
        name: "parse-error",
        severity: Error,
        summary: "file could not be read or parsed",
        tags: ["correctness"],
        precision: "very-high",
    }
}

declare_rule! {
    /// ## What it does
    /// Reports a `rustgate: allow(..)` comment, or one of its codes, that
    /// suppressed nothing, like ruff's RUF100.
    ///
    /// ## Why is this bad?
    /// A stale suppression silently covers the next real finding on that line
    /// or item. Remove it once the code it excused is gone.
    ///
    /// ## Example
    /// ```rust
    /// // rustgate: allow(RG101) reviewed
    /// pub fn add(a: u32, b: u32) -> u32 { a + b }
    /// ```
    ///
    /// Use instead:
    /// ```rust
    /// pub fn add(a: u32, b: u32) -> u32 { a + b }
    /// ```
    pub struct UnusedSuppression {
        code: "RG902",
        name: "unused-suppression",
        severity: Warning,
        summary: "suppression comment suppresses nothing",
        tags: ["maintainability"],
        precision: "very-high",
    }
}

declare_rule! {
    /// ## What it does
    /// Reports a `rustgate: allow(..)` comment that names an unknown rule, is
    /// malformed, or (with `require-suppression-reason = true`) gives no reason.
    ///
    /// ## Why is this bad?
    /// A suppression with a typo suppresses nothing while looking as if it did.
    ///
    /// ## Example
    /// ```rust
    /// let v = x.unwrap(); // rustgate: allow(RG2001)
    /// ```
    ///
    /// Use instead:
    /// ```rust
    /// let v = x.unwrap(); // rustgate: allow(RG201) startup config, checked above
    /// ```
    pub struct InvalidSuppression {
        code: "RG903",
        name: "invalid-suppression",
        severity: Error,
        summary: "suppression comment is invalid",
        tags: ["correctness"],
        precision: "very-high",
    }
}

declare_rule! {
    /// ## What it does
    /// Reports that a rule panicked while checking a file. The rule's other
    /// findings in that file may be missing; the run exits with code 2.
    ///
    /// ## Why is this bad?
    /// It is a bug in rustgate: please report it with the file that caused it.
    ///
    /// ## Example
    /// ```text
    /// src/lib.rs:1:1: RG904 [error] rule RG201 panicked on this file: ...
    /// ```
    ///
    /// Use instead:
    /// ```text
    /// (a fixed rustgate)
    /// ```
    pub struct InternalError {
        code: "RG904",
        name: "internal-error",
        severity: Error,
        summary: "a rule failed on this file",
        tags: ["correctness"],
        precision: "very-high",
    }
}

declare_rule! {
    /// ## What it does
    /// Reports what rustgate could not learn about the workspace: a
    /// `Cargo.toml` that cannot be read or parsed (with the line and the
    /// reason), a workspace `members` entry that matches no package, a member
    /// without a manifest, a manifest whose `workspace = true` values cannot be
    /// inherited, and a `mod name;` declaration whose file exists nowhere
    /// (neither `name.rs` nor `name/mod.rs`, nor its `#[path]`).
    ///
    /// The rest of the tree is still checked with everything that could be
    /// learned. Like RG901 it keeps error severity, cannot be disabled,
    /// suppressed or baselined, and always gates.
    ///
    /// ## Why is this bad?
    /// rustgate decides from the manifests which files are business logic,
    /// tests or build scripts, and from the module trees which crate a file
    /// belongs to. A manifest it cannot read would otherwise change the
    /// results in silence: rules would switch off or report test code.
    ///
    /// ## Example
    /// ```toml
    /// [workspace]
    /// members = ["crates/*", "servcies/api"]   # a typo: matches nothing
    /// ```
    ///
    /// Use instead:
    /// ```toml
    /// [workspace]
    /// members = ["crates/*", "services/api"]
    /// ```
    pub struct WorkspaceError {
        code: "RG905",
        name: "workspace-error",
        severity: Error,
        summary: "the workspace could not be fully learned",
        tags: ["correctness"],
        precision: "very-high",
    }
}
