use syn::visit::{self, Visit};

use crate::syntax::{last_segment, macro_args};
use crate::{Ctx, Out, Rule, RuleMeta, Span, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a `.map_err(..)` in business logic whose closure throws the
    /// source error away or flattens it into a string:
    /// `map_err(|_| ..)`, a closure that never uses its argument,
    /// `map_err(|e| X(e.to_string()))`, `map_err(|e| format!("..{e}"))`,
    /// `map_err(|e| format!("{:?}", e))`, `map_err(|e| e.to_string())` and
    /// `map_err(ToString::to_string)`. The finding is at `map_err`.
    ///
    /// Not reported: a variant constructor or function path
    /// (`map_err(AppError::Db)`, `map_err(Into::into)`), closures that keep the
    /// error itself anywhere (`|e| AppError::Db(e)`,
    /// `|e| AppError::Io { path, source: e }`, `|e| e.into()`), and closures
    /// that stringify other values than the error. Using the error only in a
    /// formatting or logging macro (`tracing::error!(%e)`) counts as flattening
    /// it.
    ///
    /// ## Why is this bad?
    /// The caller gets a catch-all variant or a string instead of a variant it
    /// can match and a `source()` chain it can follow. Retry logic cannot tell
    /// a timeout from a constraint violation any more, and the log line at the
    /// top loses the underlying cause.
    ///
    /// ## Example
    /// ```rust
    /// let order = repo
    ///     .find(id)
    ///     .await
    ///     .map_err(|e| AppError::Internal(e.to_string()))?;
    /// ```
    ///
    /// Use instead:
    /// ```rust
    /// #[derive(Debug, thiserror::Error)]
    /// pub enum AppError {
    ///     #[error("database error")]
    ///     Db(#[from] sqlx::Error),
    /// }
    ///
    /// let order = repo.find(id).await?; // or .map_err(AppError::Db)?
    /// ```
    pub struct ErrorVariantErased {
        code: "RG302",
        name: "error-variant-erased",
        severity: Warning,
        summary: "map_err discards or stringifies the source error",
        tags: ["maintainability", "reliability"],
        precision: "high",
    }
}

const HELP: &str = "add a variant that keeps the source error with `#[from]` or `#[source]` and map to it, e.g. `map_err(AppError::Db)` or `?`";

impl Rule for ErrorVariantErased {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads_test_code(&self) -> bool {
        false
    }

    fn check_expr(&self, cx: &Ctx<'_>, expr: &syn::Expr, out: &mut Out) {
        let syn::Expr::MethodCall(call) = expr else {
            return;
        };
        if call.method != "map_err" || call.args.len() != 1 || !cx.is_business_logic() {
            return;
        }
        let Some(erasure) = call.args.first().and_then(erasure) else {
            return;
        };
        let msg = match erasure {
            Erasure::Discarded => "`map_err` discards the source error",
            Erasure::Stringified => "`map_err` flattens the source error into a string",
        };
        out.push(
            cx.diagnostic(&ErrorVariantErased::META, Span::of(&call.method), msg)
                .with_help(HELP),
        );
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Erasure {
    Discarded,
    Stringified,
}

/// How the argument of `map_err` loses the source error, if it does.
fn erasure(arg: &syn::Expr) -> Option<Erasure> {
    match arg {
        syn::Expr::Closure(c) if c.inputs.len() == 1 => {
            let Some(name) = c.inputs.first().and_then(binding) else {
                return Some(Erasure::Discarded);
            };
            if name.starts_with('_') {
                return Some(Erasure::Discarded);
            }
            let mut uses = Uses {
                name: &name,
                raw: false,
                stringified: false,
            };
            uses.visit_expr(&c.body);
            match (uses.raw, uses.stringified) {
                (true, _) => None,
                (false, true) => Some(Erasure::Stringified),
                (false, false) => Some(Erasure::Discarded),
            }
        }
        syn::Expr::Path(p) if last_segment(&p.path).as_deref() == Some("to_string") => {
            Some(Erasure::Stringified)
        }
        _ => None,
    }
}

/// The name a closure parameter binds: `e`, `e: io::Error`; `None` for `_`.
/// Destructuring patterns bind as `"_pattern"`-like sentinel: treated as kept.
fn binding(pat: &syn::Pat) -> Option<String> {
    match pat {
        syn::Pat::Ident(p) if p.subpat.is_none() => Some(p.ident.to_string()),
        syn::Pat::Type(t) => binding(&t.pat),
        syn::Pat::Wild(_) => None,
        // `|Wrapper(e)|`, `|(a, b)|`: too clever to judge; treat as kept.
        _ => Some(String::new()),
    }
}

/// Finds how a closure body uses the error binding `name`.
struct Uses<'n> {
    name: &'n str,
    /// The error itself flows somewhere (a field, an argument, `e.into()`).
    raw: bool,
    /// The error is turned into text (`e.to_string()`, `format!("{e}")`).
    stringified: bool,
}

impl Uses<'_> {
    fn is_name(&self, expr: &syn::Expr) -> bool {
        match expr {
            syn::Expr::Path(p) => p.qself.is_none() && p.path.is_ident(self.name),
            syn::Expr::Reference(r) => self.is_name(&r.expr),
            syn::Expr::Paren(p) => self.is_name(&p.expr),
            _ => false,
        }
    }

    /// Whether `name` occurs anywhere in `tokens`.
    fn in_tokens(&self, tokens: &proc_macro2::TokenStream) -> bool {
        tokens.clone().into_iter().any(|t| match t {
            proc_macro2::TokenTree::Ident(i) => i == self.name,
            proc_macro2::TokenTree::Group(g) => self.in_tokens(&g.stream()),
            proc_macro2::TokenTree::Literal(l) => self.in_format_string(&l.to_string()),
            proc_macro2::TokenTree::Punct(_) => false,
        })
    }

    /// `{e}`, `{e:?}`, `{e:#}` inside a format string literal.
    fn in_format_string(&self, lit: &str) -> bool {
        lit.split('{').skip(1).any(|rest| {
            let arg = rest.split(['}', ':']).next().unwrap_or("");
            arg.trim() == self.name
        })
    }
}

impl<'ast> Visit<'ast> for Uses<'_> {
    fn visit_expr(&mut self, expr: &'ast syn::Expr) {
        match expr {
            syn::Expr::MethodCall(m) if m.method == "to_string" && self.is_name(&m.receiver) => {
                self.stringified = true;
            }
            syn::Expr::Path(p) if p.qself.is_none() && p.path.is_ident(self.name) => {
                self.raw = true
            }
            _ => visit::visit_expr(self, expr),
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let name = last_segment(&mac.path).unwrap_or_default();
        let formats = FORMAT_MACROS.contains(&name.as_str());
        let Some(args) = macro_args(mac) else {
            // Bodies that are not expressions (`tracing::error!(error = %e,
            // "..")`): any mention of the error turns it into text.
            if self.in_tokens(&mac.tokens) {
                self.stringified = true;
            }
            return;
        };
        // In a formatting or logging macro, the format string and everything
        // after it is text; arguments before it (`write!(f, ..)`,
        // `anyhow!(e)`) are judged like any expression.
        let mut text = false;
        for arg in &args {
            if formats
                && !text
                && let syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) = arg
            {
                text = true;
                if self.in_format_string(&s.value()) {
                    self.stringified = true;
                }
                continue;
            }
            if text {
                let mut inner = Uses {
                    name: self.name,
                    raw: false,
                    stringified: false,
                };
                inner.visit_expr(arg);
                self.stringified |= inner.raw || inner.stringified;
            } else {
                self.visit_expr(arg);
            }
        }
    }

    // A nested closure or item may shadow the name; do not look inside items.
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// Macros whose arguments after the format string are turned into text.
const FORMAT_MACROS: &[&str] = &[
    "format",
    "format_args",
    "print",
    "println",
    "eprint",
    "eprintln",
    "write",
    "writeln",
    "panic",
    "anyhow",
    "bail",
    "eyre",
    "ensure",
    "error",
    "warn",
    "info",
    "debug",
    "trace",
    "event",
    "unreachable",
    "todo",
    "unimplemented",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::error_facts::tests::ERROR_RULES;
    use crate::testing::assert_fixture;
    use crate::{Settings, TargetKind};

    #[test]
    fn fixture_library() {
        assert_fixture(
            &[(
                "src/lib.rs",
                TargetKind::Lib,
                include_str!("../../../fixtures/rules/errors-variant-erased/src/lib.rs"),
            )],
            ERROR_RULES,
            &Settings::default(),
        );
    }

    #[test]
    fn fixture_tests_are_exempt() {
        assert_fixture(
            &[(
                "tests/it.rs",
                TargetKind::Test,
                include_str!("../../../fixtures/rules/errors-variant-erased/tests/it.rs"),
            )],
            ERROR_RULES,
            &Settings::default(),
        );
    }

    #[test]
    fn reported_at_map_err() {
        let diags = crate::testing::check_sources(
            &[(
                "src/lib.rs",
                TargetKind::Lib,
                "fn f() { x.map_err(|_| E::X); }",
            )],
            &[&ErrorVariantErased],
            &Settings::default(),
        );
        assert_eq!(diags.len(), 1);
        assert_eq!(
            (
                diags[0].primary.span.start.column,
                diags[0].primary.span.end.column
            ),
            (12, 19)
        );
    }
}
