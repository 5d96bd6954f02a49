use crate::rules::error_facts::{self, OPAQUE_CRATES, OpaqueKind};
use crate::syntax::last_segment;
use crate::{Ctx, Out, Rule, RuleMeta, Span, TargetKind, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a `pub` function or method in the business logic of a library
    /// whose error type cannot be matched: `Result<_, String>`,
    /// `Result<_, &str>`, `Result<_, Box<dyn Error>>` (with any `+ Send + Sync +
    /// 'static`), `anyhow::Result<_>`, `Result<_, anyhow::Error>` and their
    /// `eyre` / `color_eyre` equivalents (also when imported with `use`). The
    /// finding is at the error type.
    ///
    /// Only library targets are checked: binaries (`src/main.rs`, `src/bin/`),
    /// tests, examples and build scripts are exempt, because an application that
    /// only reports errors is where `anyhow` belongs. Methods of `pub` traits
    /// count as public; trait implementations do not (the trait decides their
    /// signature), and neither do `pub(crate)` functions. The visibility of
    /// enclosing modules is not considered: a `pub fn` in a private module is
    /// still reported (re-exports cannot be seen from one file).
    ///
    /// ## Why is this bad?
    /// A caller can only handle an error that has its own variant. With a string
    /// or a type-erased error, the only ways to tell "not found" from "database
    /// down" are string comparison and downcasting, both of which break silently
    /// when the message or the inner type changes. Every caller ends up mapping
    /// the error to a generic 500.
    ///
    /// ## Example
    /// ```rust
    /// pub fn parse_quantity(s: &str) -> Result<u32, String> {
    ///     s.parse().map_err(|_| format!("bad quantity: {s}"))
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```rust
    /// #[derive(Debug, thiserror::Error)]
    /// pub enum QuantityError {
    ///     #[error("bad quantity {input:?}")]
    ///     Invalid { input: String, #[source] source: std::num::ParseIntError },
    /// }
    ///
    /// pub fn parse_quantity(s: &str) -> Result<u32, QuantityError> {
    ///     s.parse().map_err(|source| QuantityError::Invalid { input: s.into(), source })
    /// }
    /// ```
    pub struct ErrorAsString {
        code: "RG301",
        name: "error-as-string",
        severity: Warning,
        summary: "public library function returns an error callers cannot match",
        tags: ["maintainability", "reliability"],
        precision: "high",
    }
}

const HELP: &str =
    "declare a `thiserror` enum with one variant per failure and return `Result<_, ThatError>`";

impl ErrorAsString {
    fn check_fn(cx: &Ctx<'_>, out: &mut Out, sig: &syn::Signature) {
        if cx.file.kind != TargetKind::Lib || !cx.is_business_logic() || cx.current_fn().is_some() {
            return;
        }
        let syn::ReturnType::Type(_, ty) = &sig.output else {
            return;
        };
        if let Some((span, what)) = opaque_error(ty, &out.facts.errors.opaque_imports) {
            let msg = format!("`pub fn {}` returns its errors as {what}", sig.ident);
            out.push(cx.diagnostic(&Self::META, span, msg).with_help(HELP));
        }
    }
}

impl Rule for ErrorAsString {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads_test_code(&self) -> bool {
        false
    }

    fn check_file(&self, cx: &Ctx<'_>, file: &syn::File, out: &mut Out) {
        error_facts::record_opaque_imports(file, cx.source, &mut out.facts.errors);
    }

    fn check_item(&self, cx: &Ctx<'_>, item: &syn::Item, out: &mut Out) {
        if let syn::Item::Fn(f) = item
            && matches!(f.vis, syn::Visibility::Public(_))
        {
            Self::check_fn(cx, out, &f.sig);
        }
    }

    fn check_impl_item(&self, cx: &Ctx<'_>, item: &syn::ImplItem, out: &mut Out) {
        if let syn::ImplItem::Fn(f) = item
            && matches!(f.vis, syn::Visibility::Public(_))
            && cx.current_impl().is_some_and(|i| i.trait_.is_none())
        {
            Self::check_fn(cx, out, &f.sig);
        }
    }

    fn check_trait_item(&self, cx: &Ctx<'_>, item: &syn::TraitItem, out: &mut Out) {
        if let syn::TraitItem::Fn(f) = item
            && cx
                .current_trait()
                .is_some_and(|t| matches!(t.vis, syn::Visibility::Public(_)))
        {
            Self::check_fn(cx, out, &f.sig);
        }
    }
}

/// The span and a description of the opaque error type in a return type.
fn opaque_error(ty: &syn::Type, imports: &[(String, OpaqueKind)]) -> Option<(Span, &'static str)> {
    let ty = peel(ty);
    let syn::Type::Path(tp) = ty else {
        return None;
    };
    let last = tp.path.segments.last()?;
    let syn::PathArguments::AngleBracketed(generics) = &last.arguments else {
        return None;
    };
    let args: Vec<&syn::Type> = generics
        .args
        .iter()
        .filter_map(|g| match g {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        })
        .collect();
    let opaque_result = match opaque_crate(&tp.path) {
        Some(krate) if last.ident == "Result" => Some(describe(krate)),
        Some(_) => None,
        None if is_imported(&tp.path, imports, OpaqueKind::Result) => Some(IMPORTED),
        None => None,
    };
    match (args.as_slice(), opaque_result) {
        ([_], Some(what)) => Some((Span::of(ty), what)),
        ([_, err], _) if last.ident == "Result" || opaque_result.is_some() => {
            error_type(err, imports)
        }
        _ => None,
    }
}

const IMPORTED: &str = "an `anyhow` / `eyre` error";

fn describe(krate: &str) -> &'static str {
    if krate == "anyhow" {
        "an `anyhow::Error`"
    } else {
        "an `eyre::Report`"
    }
}

/// A one-segment path naming what a `use anyhow::..` / `use eyre::..` bound.
fn is_imported(path: &syn::Path, imports: &[(String, OpaqueKind)], kind: OpaqueKind) -> bool {
    path.segments.len() == 1
        && imports
            .iter()
            .any(|(n, k)| *k == kind && path.segments[0].ident == n)
}

/// Whether an error type (the second argument of `Result`) is opaque.
fn error_type(err: &syn::Type, imports: &[(String, OpaqueKind)]) -> Option<(Span, &'static str)> {
    let span = Span::of(err);
    match peel(err) {
        syn::Type::Reference(r) => match peel(&r.elem) {
            syn::Type::Path(p) if p.qself.is_none() && p.path.is_ident("str") => {
                Some((span, "a `&str`"))
            }
            _ => None,
        },
        syn::Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?;
            let name = last.ident.to_string();
            match opaque_crate(&p.path) {
                Some(krate) if matches!(name.as_str(), "Error" | "Report") => {
                    return Some((span, describe(krate)));
                }
                Some(_) => return None,
                None if is_imported(&p.path, imports, OpaqueKind::Error) => {
                    return Some((span, IMPORTED));
                }
                None => {}
            }
            match (name.as_str(), &last.arguments) {
                ("String", syn::PathArguments::None) => Some((span, "a `String`")),
                ("Box", syn::PathArguments::AngleBracketed(a)) => match a.args.first() {
                    Some(syn::GenericArgument::Type(inner)) if is_dyn_error(inner) => {
                        Some((span, "a boxed `dyn Error`"))
                    }
                    _ => None,
                },
                _ => None,
            }
        }
        _ => None,
    }
}

/// `dyn Error`, `dyn std::error::Error + Send + Sync + 'static`, ...
fn is_dyn_error(ty: &syn::Type) -> bool {
    let syn::Type::TraitObject(obj) = peel(ty) else {
        return false;
    };
    let mut has_error = false;
    for bound in &obj.bounds {
        match bound {
            syn::TypeParamBound::Trait(t) => match last_segment(&t.path).as_deref() {
                Some("Error") => has_error = true,
                Some("Send" | "Sync" | "Unpin") => {}
                _ => return false,
            },
            syn::TypeParamBound::Lifetime(_) => {}
            _ => return false,
        }
    }
    has_error
}

/// `anyhow`, `eyre` or `color_eyre` when the path starts with one of them.
fn opaque_crate(path: &syn::Path) -> Option<&'static str> {
    if path.segments.len() < 2 {
        return None;
    }
    let first = path.segments.first()?.ident.to_string();
    OPAQUE_CRATES
        .iter()
        .copied()
        .find(|c| *c == first)
        .map(|c| if c == "anyhow" { "anyhow" } else { "eyre" })
}

fn peel(ty: &syn::Type) -> &syn::Type {
    match ty {
        syn::Type::Group(g) => peel(&g.elem),
        syn::Type::Paren(p) => peel(&p.elem),
        _ => ty,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::error_facts::tests::ERROR_RULES;
    use crate::testing::assert_fixture;
    use crate::{Settings, TargetKind};

    macro_rules! fixture {
        ($path:literal, $kind:ident) => {
            (
                $path,
                TargetKind::$kind,
                include_str!(concat!("../../../fixtures/rules/errors-as-string/", $path)),
            )
        };
    }

    #[test]
    fn fixture_library() {
        assert_fixture(
            &[
                fixture!("src/lib.rs", Lib),
                fixture!("src/imported.rs", Lib),
            ],
            ERROR_RULES,
            &Settings::default(),
        );
    }

    #[test]
    fn fixture_exempt_targets() {
        for file in [
            fixture!("src/main.rs", Bin),
            fixture!("src/bin/tool.rs", Bin),
            fixture!("tests/it.rs", Test),
            fixture!("examples/demo.rs", Example),
            fixture!("build.rs", BuildScript),
        ] {
            assert_fixture(&[file], ERROR_RULES, &Settings::default());
        }
    }

    #[test]
    fn inline_cases() {
        let src = r#"
use anyhow::{Context, Result as AnyResult};
pub fn a() -> AnyResult<()> { Ok(()) } //~ RG301
pub fn b() -> Result<(), Box<dyn Error + 'static>> { Ok(()) } //~ RG301
pub fn c() -> std::result::Result<(), std::string::String> { Ok(()) } //~ RG301
pub fn d() -> Result<(), Box<dyn Display>> { Ok(()) }
pub fn e() -> Result<(), Box<str>> { Ok(()) }
pub fn f() -> io::Result<()> { Ok(()) }
pub fn g() -> Result<(), Box<dyn Error + Debug>> { Ok(()) }
"#;
        assert_fixture(
            &[("src/lib.rs", TargetKind::Lib, src)],
            &[&ErrorAsString],
            &Settings::default(),
        );
    }

    #[test]
    fn reported_at_the_error_type() {
        let src = "pub fn f() -> Result<u8, String> { Ok(0) }\npub fn g() -> anyhow::Result<u8> { Ok(0) }\n";
        let diags = crate::testing::check_sources(
            &[("src/lib.rs", TargetKind::Lib, src)],
            &[&ErrorAsString],
            &Settings::default(),
        );
        let spans: Vec<(u32, u32, u32)> = diags
            .iter()
            .map(|d| {
                (
                    d.primary.span.start.line,
                    d.primary.span.start.column,
                    d.primary.span.end.column,
                )
            })
            .collect();
        assert_eq!(spans, [(1, 26, 32), (2, 15, 33)]);
        assert_eq!(
            diags[0].message,
            "`pub fn f` returns its errors as a `String`"
        );
        assert_eq!(
            diags[1].message,
            "`pub fn g` returns its errors as an `anyhow::Error`"
        );
    }
}
