//! The [`Rule`] trait, rule metadata and the [`declare_rule!`] macro that turns a
//! rule's doc comment into its documentation.

use crate::Out;
use crate::checker::Ctx;
use crate::diagnostic::Severity;
use crate::facts::CrateIndex;

/// Everything about a rule except its behaviour. The doc comment of the rule's
/// declaration is `doc`: it feeds `rustgate rule`, the README and SARIF help.
#[derive(Debug, PartialEq, Eq)]
pub struct RuleMeta {
    /// Stable code, such as `RG101`.
    pub code: &'static str,
    /// Stable kebab-case name, such as `unsafe-in-business-logic`.
    pub name: &'static str,
    pub default_severity: Severity,
    /// One line, lowercase, no trailing period: SARIF shortDescription.
    pub summary: &'static str,
    /// Markdown: `## What it does`, `## Why is this bad?`, `## Example`, ...
    pub doc: &'static str,
    /// SARIF tags: security, correctness, reliability, maintainability, ...
    pub tags: &'static [&'static str],
    /// SARIF precision: very-high, high, medium, low.
    pub precision: &'static str,
    /// GitHub security-severity (0.0 to 10.0) for security rules.
    pub security_severity: Option<&'static str>,
    /// A preview rule runs only with `--preview` (or `preview = true`): new
    /// rules start there until measured on real services.
    pub preview: bool,
}

impl RuleMeta {
    /// `stable` or `preview`.
    pub fn maturity(&self) -> &'static str {
        if self.preview { "preview" } else { "stable" }
    }
}

impl RuleMeta {
    /// The doc's first paragraph after `## What it does`: SARIF fullDescription.
    pub fn full_description(&self) -> String {
        let body = self
            .doc
            .split("## What it does")
            .nth(1)
            .unwrap_or(self.doc)
            .trim_start();
        let para: Vec<&str> = body
            .lines()
            .take_while(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(str::trim)
            .collect();
        if para.is_empty() {
            self.summary.to_owned()
        } else {
            para.join(" ")
        }
    }
}

/// Declares a rule: a unit struct documented by its doc comment, with its
/// [`RuleMeta`] in `Self::META`.
///
/// ```ignore
/// declare_rule! {
///     /// ## What it does
///     /// ...
///     pub struct UnsafeInBusinessLogic {
///         code: "RG101",
///         name: "unsafe-in-business-logic",
///         severity: Error,
///         summary: "unsafe code in business logic",
///         tags: ["security", "reliability"],
///         precision: "very-high",
///     }
/// }
/// ```
#[macro_export]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        $vis:vis struct $name:ident {
            code: $code:literal,
            name: $rule_name:literal,
            severity: $severity:ident,
            summary: $summary:literal,
            tags: [$($tag:literal),* $(,)?],
            precision: $precision:literal
            $(, security_severity: $sec:literal)?
            $(, preview: $preview:literal)?
            $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Default, Clone, Copy)]
        $vis struct $name;

        impl $name {
            pub const META: $crate::RuleMeta = $crate::RuleMeta {
                code: $code,
                name: $rule_name,
                default_severity: $crate::Severity::$severity,
                summary: $summary,
                doc: concat!($($doc, "\n"),*),
                tags: &[$($tag),*],
                precision: $precision,
                security_severity: $crate::__opt!($($sec)?),
                preview: $crate::__or_false!($($preview)?),
            };
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __or_false {
    () => {
        false
    };
    ($v:literal) => {
        $v
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __opt {
    () => {
        None
    };
    ($v:literal) => {
        Some($v)
    };
}

impl RuleMeta {
    /// The documentation as Markdown, with the doc-comment indentation removed.
    pub fn doc_text(&self) -> String {
        let mut out = String::with_capacity(self.doc.len());
        for line in self.doc.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out.trim().to_owned() + "\n"
    }
}

/// A rule's behaviour. Every hook defaults to doing nothing; the checker walks
/// each file once and calls the hooks of every enabled rule at each node, with
/// the shared context in [`Ctx`]. Rules never do I/O: they see syntax and
/// settings, and write diagnostics and per-file facts to [`Out`].
pub trait Rule: Send + Sync + 'static {
    fn meta(&self) -> &'static RuleMeta;

    /// Once per file, before the walk.
    fn check_file(&self, _cx: &Ctx<'_>, _file: &syn::File, _out: &mut Out) {}
    /// Every item, at any depth (modules, function bodies).
    fn check_item(&self, _cx: &Ctx<'_>, _item: &syn::Item, _out: &mut Out) {}
    /// Every item inside an `impl` block.
    fn check_impl_item(&self, _cx: &Ctx<'_>, _item: &syn::ImplItem, _out: &mut Out) {}
    /// Every item inside a `trait` block.
    fn check_trait_item(&self, _cx: &Ctx<'_>, _item: &syn::TraitItem, _out: &mut Out) {}
    /// Every expression, outermost first.
    fn check_expr(&self, _cx: &Ctx<'_>, _expr: &syn::Expr, _out: &mut Out) {}
    /// Every `let` statement.
    fn check_local(&self, _cx: &Ctx<'_>, _local: &syn::Local, _out: &mut Out) {}
    /// Every macro invocation, in expression, statement or item position.
    fn check_macro(&self, _cx: &Ctx<'_>, _mac: &syn::Macro, _out: &mut Out) {}
    /// Once per crate (a Cargo target, or a directory outside Cargo), after every
    /// file of it was checked, with the facts all files recorded.
    fn check_crate(&self, _krate: &CrateIndex, _out: &mut Vec<crate::Diagnostic>) {}
    /// Whether the rule looks at test code: `#[cfg(test)]` and `#[test]`
    /// items and test and bench targets. When no enabled rule does, the
    /// checker does not walk test code (it still records its `mod`
    /// declarations, for the module tree). Return `false` only if the rule
    /// neither reports nor records anything there.
    fn reads_test_code(&self) -> bool {
        true
    }
    /// Fact collectors this rule's `check_crate` reads: passes that only
    /// record [`crate::FileFacts`] during the walk. The driver runs each
    /// required collector once per file, however many enabled rules need it.
    fn requires(&self) -> &'static [&'static dyn Rule] {
        &[]
    }
}
