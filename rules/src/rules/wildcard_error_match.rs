use std::collections::HashSet;

use crate::rules::error_facts::{self, EnumFact};
use crate::{CrateFile, CrateIndex, Ctx, Diagnostic, Out, Rule, RuleMeta, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a `match` on a value of an error enum defined in the workspace
    /// that has a catch-all arm: `_ =>` or a bare binding such as `other =>`.
    /// "Defined in the workspace" means in the same crate or in a library of
    /// the workspace the crate depends on (another member named as a `path`
    /// dependency, or, for a binary, its own package's library).
    /// An error enum is an enum whose name ends in `Error` or `ErrorKind`,
    /// that derives `Error` (`thiserror::Error`) or that implements
    /// `std::error::Error`. Enums a `macro_rules!` of the crate defines from
    /// a repetition (`enum ErrorKind { $($name($ty)),+ }`) count too, with
    /// the capitalised top-level names of the macro's item-position
    /// invocations as variants (`make_error! { Db(DbErr): .., Io(io::Error):
    /// .. }` gives `Db` and `Io`).
    /// The finding is at the catch-all arm, with a label on the enum's
    /// definition listing the variants the arm hides.
    ///
    /// rustgate does not know types, so the matched enum is recognised from the
    /// other arms: their patterns name `Enum::Variant` (or `Self::Variant`
    /// inside an `impl` of the enum), and the crate or one of its workspace
    /// dependencies must define an error enum of that name with all the named
    /// variants (the crate's own enum wins over a dependency's of the same
    /// name). Therefore:
    /// - `_` nested inside a variant pattern (`AppError::Db(_)`) is not a
    ///   catch-all, and neither is a guarded arm (`e if e.is_retryable()`);
    /// - foreign error enums (`sqlx::Error::RowNotFound`) and enums that are
    ///   not errors are not reported;
    /// - arms that name variants without the enum (after `use AppError::*`)
    ///   are not recognised;
    /// - in a match on a `Result`, `Err(AppError::NotFound) => ..` arms with
    ///   an `Err(_) =>` (or `Err(e) =>`) arm are a match on the enum too; the
    ///   finding is at the pattern inside `Err(..)`.
    ///
    /// Not reported, because the catch-all hides nothing:
    /// - it hands the value on: the bound value is used outside a macro
    ///   (`e => e`, `other => Err(other)`, `e => Err(e).unwrap()`); naming it
    ///   only in a log line does not count;
    /// - it answers a predicate or an optional hint: its value is `true`,
    ///   `false` or `None`;
    /// - it panics (`panic!`, `unreachable!`, `todo!`, `unimplemented!`): a
    ///   new variant surfaces loudly instead of being mapped silently;
    /// - it carries a trailing comment that explains the default
    ///   (`_ => Category::Network, // everything else is upstream`); a
    ///   `FIXME`, `TODO`, `XXX` or `HACK` is no explanation, and a comment on
    ///   the line above is not enough (it often describes the whole match);
    /// - it is in a method of a trait implementation (`fn error_category` of
    ///   `impl AppErrorTrait for SearchError`) and another implementation of
    ///   that trait method in the crate explains its catch-all that way: the
    ///   default is the team's convention for that method, written down once.
    ///
    /// ## Accuracy
    /// On the labelled services (dev set, 2026-12-04): useful 1.00 (16 of
    /// 16 labelled findings), recall 1.00. Before (2026-12-03): useful 0.80,
    /// the noise being uncommented catch-all defaults of a metadata
    /// classification whose sibling implementations explain the default.
    ///
    /// ## Why is this bad?
    /// When someone adds a variant to the enum, the compiler points at every
    /// exhaustive `match` that must handle it, except those with a catch-all:
    /// there the new variant is silently mapped to whatever the catch-all does,
    /// typically a 500 in an `IntoResponse` / `ResponseError` impl. A new
    /// `AppError::Conflict` then reaches clients as "internal server error".
    ///
    /// ## Example
    /// ```rust
    /// impl IntoResponse for AppError {
    ///     fn into_response(self) -> Response {
    ///         let status = match self {
    ///             AppError::NotFound(_) => StatusCode::NOT_FOUND,
    ///             _ => StatusCode::INTERNAL_SERVER_ERROR,
    ///         };
    ///         status.into_response()
    ///     }
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```rust
    /// impl IntoResponse for AppError {
    ///     fn into_response(self) -> Response {
    ///         let status = match self {
    ///             AppError::NotFound(_) => StatusCode::NOT_FOUND,
    ///             AppError::Db(_) | AppError::Config(_) => StatusCode::INTERNAL_SERVER_ERROR,
    ///         };
    ///         status.into_response()
    ///     }
    /// }
    /// ```
    pub struct WildcardErrorMatch {
        code: "RG303",
        name: "wildcard-error-match",
        severity: Warning,
        summary: "catch-all arm in a match on an error enum of the workspace",
        tags: ["maintainability", "reliability"],
        precision: "medium",
    }
}

const HELP: &str =
    "list every variant explicitly, so that adding a variant is a compile error here";

impl Rule for WildcardErrorMatch {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads_test_code(&self) -> bool {
        false
    }

    fn check_item(&self, cx: &Ctx<'_>, item: &syn::Item, out: &mut Out) {
        error_facts::record_item(cx, item, &mut out.facts.errors);
    }

    fn check_expr(&self, cx: &Ctx<'_>, expr: &syn::Expr, out: &mut Out) {
        if let syn::Expr::Match(m) = expr {
            error_facts::record_match(cx, m, &mut out.facts.errors);
        }
    }

    fn check_crate(&self, krate: &CrateIndex<'_>, out: &mut Vec<Diagnostic>) {
        // The crate's own files first, then the workspace libraries it
        // depends on: a name defined in both resolves to the crate's own.
        let defining: Vec<&CrateFile<'_>> = krate
            .files
            .iter()
            .chain(krate.dependencies.iter().flat_map(|d| d.files.iter()))
            .collect();
        let impls: HashSet<&str> = defining
            .iter()
            .flat_map(|f| f.facts.errors.error_impls.iter().map(String::as_str))
            .collect();
        // Enums of the crate's own `macro_rules!`, with the variants of the
        // macro's invocations; each is labelled in the file of its macro.
        let by_macro: Vec<(&CrateFile<'_>, EnumFact)> = krate
            .files
            .iter()
            .filter(|f| !f.facts.errors.macro_enums.is_empty())
            .flat_map(|f| {
                error_facts::macro_defined_enums(krate.files.iter().map(|f| &f.facts.errors))
                    .into_iter()
                    .filter(|e| f.facts.errors.macro_enums.iter().any(|m| m.name == e.name))
                    .map(move |e| (f, e))
            })
            .collect();
        let error_enums: Vec<(&CrateFile<'_>, &EnumFact)> = defining
            .iter()
            .copied()
            .flat_map(|f| f.facts.errors.enums.iter().map(move |e| (f, e)))
            .chain(by_macro.iter().map(|(f, e)| (*f, e)))
            .filter(|(_, e)| {
                e.name.ends_with("Error")
                    || e.name.ends_with("ErrorKind")
                    || e.derives_error
                    || impls.contains(e.name.as_str())
            })
            .collect();
        if error_enums.is_empty() {
            return;
        }
        // Trait methods whose catch-all one implementation explains: the
        // team's default for that method, in every implementation.
        let explained: HashSet<&str> = krate
            .files
            .iter()
            .flat_map(|f| f.facts.errors.matches.iter())
            .filter(|m| m.explained)
            .filter_map(|m| m.method.as_deref())
            .collect();
        for file in &krate.files {
            for m in &file.facts.errors.matches {
                if m.explained || m.method.as_deref().is_some_and(|k| explained.contains(k)) {
                    continue;
                }
                let mut names: Vec<&str> =
                    m.variants.iter().map(|v| v.enum_name.as_str()).collect();
                names.dedup();
                let found = names.iter().find_map(|name| {
                    let named: Vec<&str> = m
                        .variants
                        .iter()
                        .filter(|v| v.enum_name == *name)
                        .map(|v| v.variant.as_str())
                        .collect();
                    error_enums
                        .iter()
                        .find(|(_, e)| {
                            e.name == *name
                                && named.iter().all(|v| e.variants.iter().any(|x| x == v))
                        })
                        .map(|(def_file, e)| (def_file, e, named))
                });
                let Some((def_file, e, named)) = found else {
                    continue;
                };
                let hidden: Vec<String> = e
                    .variants
                    .iter()
                    .filter(|v| !named.contains(&v.as_str()))
                    .map(|v| format!("`{v}`"))
                    .collect();
                let label = if hidden.is_empty() {
                    format!(
                        "`{}` defined here: the catch-all arm will hide every variant added later",
                        e.name
                    )
                } else {
                    format!(
                        "`{}` defined here: the catch-all arm hides {}",
                        e.name,
                        hidden.join(", ")
                    )
                };
                out.push(
                    Diagnostic::new(
                        &Self::META,
                        &file.info.path,
                        m.catch_all,
                        format!("catch-all arm in a match on error enum `{}`", e.name),
                    )
                    .with_label(&def_file.info.path, e.span, label)
                    .with_help(HELP),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::error_facts::tests::ERROR_RULES;
    use crate::testing::{assert_fixture, check_sources};
    use crate::{Settings, TargetKind};

    macro_rules! fixture {
        ($path:literal) => {
            (
                $path,
                TargetKind::Lib,
                include_str!(concat!(
                    "../../../fixtures/rules/errors-wildcard-match/",
                    $path
                )),
            )
        };
    }

    #[test]
    fn fixture_crate() {
        assert_fixture(
            &[
                fixture!("src/lib.rs"),
                fixture!("src/error.rs"),
                fixture!("src/api.rs"),
                fixture!("src/defaults.rs"),
                fixture!("src/macro_enum.rs"),
                fixture!("src/other.rs"),
            ],
            ERROR_RULES,
            &Settings::default(),
        );
    }

    #[test]
    fn label_lists_hidden_variants() {
        let diags = check_sources(
            &[
                (
                    "src/lib.rs",
                    TargetKind::Lib,
                    "mod error;\nfn f(e: AppError) -> u16 {\n    match e {\n        AppError::NotFound => 404,\n        _ => 500,\n    }\n}\n",
                ),
                (
                    "src/error.rs",
                    TargetKind::Lib,
                    "pub enum AppError { NotFound, Db, Timeout }\n",
                ),
            ],
            &[&WildcardErrorMatch],
            &Settings::default(),
        );
        assert_eq!(diags.len(), 1);
        let d = &diags[0];
        assert_eq!(
            (d.primary.path.as_str(), d.primary.span.start.line),
            ("src/lib.rs", 5)
        );
        assert_eq!(d.labels.len(), 1);
        assert_eq!(d.labels[0].location.path, "src/error.rs");
        assert_eq!(
            d.labels[0].message,
            "`AppError` defined here: the catch-all arm hides `Db`, `Timeout`"
        );
    }
}
