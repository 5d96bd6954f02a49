//! Per-file facts for the error-variant rules (RG301 to RG303).
//!
//! RG303 needs to know which error enums the crate defines (possibly in
//! another file than the `match`), so the per-file walk records the enums,
//! the `impl Error for ..` blocks and every `match` with a catch-all arm here;
//! [`super::wildcard_error_match`] decides in `check_crate`. RG301 records the
//! names a file imports from `anyhow` / `eyre` before its walk.

use serde::{Deserialize, Serialize};

use crate::{Ctx, Span};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ErrorFacts {
    /// Every enum the file defines (outside test code).
    pub enums: Vec<EnumFact>,
    /// Self types of `impl Error for X` / `impl std::error::Error for X`.
    pub error_impls: Vec<String>,
    /// Every `match` with an unguarded catch-all arm (`_` or a bare binding).
    pub matches: Vec<MatchFact>,
    /// Local names bound by `use anyhow::..` / `use eyre::..` to an opaque
    /// error type or its `Result` alias: (local name, what it is).
    pub opaque_imports: Vec<(String, OpaqueKind)>,
    /// `map_err(name)` calls with a crate-local function name (RG302 judges
    /// them in the crate phase, once it knows what `name` does with its
    /// argument).
    #[serde(default)]
    pub map_err_fns: Vec<(String, Span)>,
    /// Functions of one parameter that throw their argument away (`fn
    /// to_validation(_: Error) -> ..`): candidates for `map_err_fns`.
    #[serde(default)]
    pub discarding_fns: Vec<String>,
    /// RG303: enums defined by a `macro_rules!` of the file from a
    /// repetition of the macro's input.
    #[serde(default)]
    pub macro_enums: Vec<MacroEnum>,
    /// RG303: item-position macro invocations with their capitalised
    /// top-level identifiers (candidate variants): (macro name, names).
    #[serde(default)]
    pub macro_tables: Vec<(String, Vec<String>)>,
    /// RG301: `pub` functions of a library whose error type is opaque, or
    /// whose return type may be a crate-local opaque alias.
    #[serde(default)]
    pub opaque_fns: Vec<OpaqueFn>,
    /// RG301: `type X<..> = ..;` aliases of an opaque result or error:
    /// (alias name, what the error is).
    #[serde(default)]
    pub opaque_aliases: Vec<(String, String)>,
    /// RG301: modules declared in the file (inline or `mod x;`), by their
    /// path inside the file.
    #[serde(default)]
    pub modules: Vec<ModuleVis>,
    /// RG301: `pub` types and traits, by their inline module path and name.
    #[serde(default)]
    pub pub_types: Vec<(Vec<String>, String)>,
    /// RG301: names made public by `pub use` (the local name); a glob
    /// `pub use a::b::*` records `*b`.
    #[serde(default)]
    pub reexports: Vec<String>,
    /// RG301: names the file's production code uses, as the last segment of
    /// a path (`sql_tables::init_table`, `use a::init_table`) or a method
    /// call: who, in the workspace, calls a library's function.
    #[serde(default)]
    pub used_names: std::collections::BTreeSet<String>,
    /// RG301: names of functions and methods whose result a `match` turns
    /// into a fallback value with an `Err(_)` arm: the caller treats every
    /// failure of the callee as one condition it cannot tell apart.
    #[serde(default)]
    pub recovered_calls: std::collections::BTreeSet<String>,
    /// Walk-local state of RG302: the file imports browser bindings
    /// (`wasm_bindgen`, `web_sys`, ..), whose errors are `JsValue`s.
    #[serde(skip)]
    pub browser: bool,
    /// Walk-local state of RG302: `map_err` calls whose result is swallowed
    /// (`.ok()`, `.unwrap_or*`, `let _ =`), by the span of `map_err`.
    #[serde(skip)]
    pub swallowed: Vec<Span>,
}

/// A `pub` function (or method of a `pub` trait, or inherent method) with
/// an opaque error type.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OpaqueFn {
    pub name: String,
    /// The error type (or the whole return type for a one-parameter alias).
    pub span: Span,
    /// What the error is (`a \`String\``), or `None` when the return type
    /// is `alias<..>`, decided in the crate phase.
    pub what: Option<String>,
    /// The alias the return type names when `what` is `None`.
    pub alias: Option<String>,
    /// Inline modules around the function in its file.
    pub inline_modules: Vec<String>,
    /// The `impl` self type or the trait the function belongs to.
    pub owner: Option<String>,
    /// The body returns an error it builds from a message saying the
    /// operation was cancelled, aborted or interrupted.
    #[serde(default)]
    pub signals_cancellation: bool,
}

/// An enum a `macro_rules!` defines: `macro_rules! make_error { (..) => {
/// enum ErrorKind { $($name($ty)),+ } } }`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MacroEnum {
    pub macro_name: String,
    pub name: String,
    /// The enum's name inside the macro body.
    pub span: Span,
}

/// A module declaration and its visibility.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ModuleVis {
    /// Inline modules around it, then its name.
    pub path: Vec<String>,
    /// `pub mod` (not `pub(crate)`).
    pub public: bool,
    /// Compiled only for tests (`#[cfg(test)]`, `#[cfg(any(test, ..))]`).
    pub test_only: bool,
}

/// An enum definition.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EnumFact {
    pub name: String,
    pub variants: Vec<String>,
    /// The enum's name.
    pub span: Span,
    /// `#[derive(Error)]` / `#[derive(thiserror::Error)]`.
    pub derives_error: bool,
}

/// A `match` with a catch-all arm.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MatchFact {
    /// The catch-all arm's pattern.
    pub catch_all: Span,
    /// `Enum::Variant` paths named at the top level of the other arms'
    /// patterns (`Self` resolved to the impl's type).
    pub variants: Vec<VariantPath>,
    /// `Trait::method` when the match is in a method of a trait impl: the
    /// crate's implementations of one trait method share a default.
    #[serde(default)]
    pub method: Option<String>,
    /// The catch-all carries a trailing comment explaining the default:
    /// not reported, and it explains the catch-alls of the same trait
    /// method in the crate's other implementations.
    #[serde(default)]
    pub explained: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantPath {
    pub enum_name: String,
    pub variant: String,
}

/// What an `anyhow` / `eyre` import names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OpaqueKind {
    /// `anyhow::Result`, `eyre::Result`: a one-parameter `Result` alias.
    Result,
    /// `anyhow::Error`, `eyre::Report`.
    Error,
}

/// Crates whose error type erases the concrete error.
pub const OPAQUE_CRATES: &[&str] = &["anyhow", "eyre", "color_eyre"];

/// Records what `item` tells RG303: an enum, or an `impl Error for X`.
pub fn record_item(cx: &Ctx<'_>, item: &syn::Item, facts: &mut ErrorFacts) {
    if cx.in_test() {
        return;
    }
    match item {
        syn::Item::Enum(e) => facts.enums.push(EnumFact {
            name: e.ident.to_string(),
            variants: e.variants.iter().map(|v| v.ident.to_string()).collect(),
            span: Span::of(&e.ident),
            derives_error: crate::syntax::derives(&e.attrs, "Error"),
        }),
        syn::Item::Impl(i) => {
            if let Some((trait_path, _)) = &i.trait_
                && crate::syntax::last_segment(trait_path).as_deref() == Some("Error")
                && let Some(name) = type_name(&i.self_ty)
            {
                facts.error_impls.push(name);
            }
        }
        syn::Item::Macro(m) => {
            let Some(name) = crate::syntax::last_segment(&m.mac.path) else {
                return;
            };
            if name == "macro_rules" {
                if let Some(ident) = &m.ident {
                    macro_enums(&ident.to_string(), &m.mac.tokens, &mut facts.macro_enums);
                }
            } else {
                let variants = table_variants(&m.mac.tokens);
                if !variants.is_empty() {
                    facts.macro_tables.push((name, variants));
                }
            }
        }
        _ => {}
    }
}

/// Enums a `macro_rules!` defines with variants from a repetition:
/// `enum ErrorKind { $($name($ty)),+ }`.
fn macro_enums(macro_name: &str, tokens: &proc_macro2::TokenStream, out: &mut Vec<MacroEnum>) {
    use proc_macro2::TokenTree;
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    for (i, t) in trees.iter().enumerate() {
        match t {
            TokenTree::Ident(kw) if kw == "enum" => {
                if let (Some(TokenTree::Ident(name)), Some(TokenTree::Group(body))) =
                    (trees.get(i + 1), trees.get(i + 2))
                    && body.delimiter() == proc_macro2::Delimiter::Brace
                    && matches!(body.stream().into_iter().next(), Some(TokenTree::Punct(p)) if p.as_char() == '$')
                {
                    out.push(MacroEnum {
                        macro_name: macro_name.to_owned(),
                        name: name.to_string(),
                        span: Span::from(name.span()),
                    });
                }
            }
            TokenTree::Group(g) => macro_enums(macro_name, &g.stream(), out),
            _ => {}
        }
    }
}

/// The variant names of a table-like macro invocation: the capitalised
/// identifiers at its top level (`Db(DieselErr): _has_source, _api_error,`
/// gives `Db`). Empty for invocations without any.
fn table_variants(tokens: &proc_macro2::TokenStream) -> Vec<String> {
    tokens
        .clone()
        .into_iter()
        .filter_map(|t| match t {
            proc_macro2::TokenTree::Ident(i) => {
                let s = i.to_string();
                s.starts_with(|c: char| c.is_ascii_uppercase()).then_some(s)
            }
            _ => None,
        })
        .collect()
}

/// The error enums a crate defines through its `macro_rules!`: each
/// [`MacroEnum`] with the variants of the invocations of its macro.
pub fn macro_defined_enums<'f>(
    files: impl Iterator<Item = &'f ErrorFacts> + Clone,
) -> Vec<EnumFact> {
    let mut out = Vec::new();
    for facts in files.clone() {
        for e in &facts.macro_enums {
            let variants: Vec<String> = files
                .clone()
                .flat_map(|f| f.macro_tables.iter())
                .filter(|(name, _)| *name == e.macro_name)
                .flat_map(|(_, v)| v.iter().cloned())
                .collect();
            if !variants.is_empty() {
                out.push(EnumFact {
                    name: e.name.clone(),
                    variants,
                    span: e.span,
                    derives_error: false,
                });
            }
        }
    }
    out
}

/// Records a `match` expression that has a catch-all arm.
pub fn record_match(cx: &Ctx<'_>, m: &syn::ExprMatch, facts: &mut ErrorFacts) {
    if !cx.is_business_logic() {
        return;
    }
    // `_ =>`, or `Err(_) =>` in a match on a `Result` whose other arms name
    // `Err(AppError::Variant)`.
    let Some((catch_all, pat)) = m.arms.iter().find_map(|arm| {
        if is_catch_all(&arm.pat) {
            Some((arm, &arm.pat))
        } else {
            err_inner(&arm.pat)
                .filter(|p| is_catch_all(p))
                .map(|p| (arm, p))
        }
    }) else {
        return;
    };
    if hides_nothing(catch_all, pat) {
        return;
    }
    let explained = explained(cx.source, catch_all);
    let method = cx.current_impl().zip(cx.current_fn()).and_then(|(i, f)| {
        let (trait_path, _) = i.trait_.as_ref()?;
        let name = crate::syntax::last_segment(trait_path)?;
        Some(format!("{name}::{}", f.sig.ident))
    });
    if explained && method.is_none() {
        return;
    }
    let self_name = cx.current_impl().and_then(|i| type_name(&i.self_ty));
    let mut variants = Vec::new();
    for arm in &m.arms {
        let pat = err_inner(&arm.pat).unwrap_or(&arm.pat);
        collect_variant_paths(pat, self_name.as_deref(), &mut variants);
    }
    if variants.is_empty() {
        return;
    }
    facts.matches.push(MatchFact {
        catch_all: Span::of(pat),
        variants,
        method,
        explained,
    });
}

/// A catch-all arm that hides no variant: it hands the value on (`e => e`,
/// `other => Err(other.into())`, `e => return Err(e)`), answers a predicate
/// or an optional hint (`_ => false`, `_ => None`), or panics (a new variant
/// surfaces loudly instead of being mapped silently).
fn hides_nothing(arm: &syn::Arm, pat: &syn::Pat) -> bool {
    if let syn::Pat::Ident(p) = pat {
        let mut finder = Mentions {
            name: &p.ident,
            found: false,
        };
        syn::visit::Visit::visit_expr(&mut finder, &arm.body);
        if finder.found {
            return true;
        }
    }
    let mut body = &*arm.body;
    while let syn::Expr::Block(b) = body {
        match b.block.stmts.as_slice() {
            [syn::Stmt::Expr(e, None)] => body = e,
            [syn::Stmt::Macro(m)] => return is_panic(&m.mac),
            _ => return false,
        }
    }
    match body {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Bool(_),
            ..
        }) => true,
        syn::Expr::Path(p) => p.path.is_ident("None"),
        syn::Expr::Macro(m) => is_panic(&m.mac),
        _ => false,
    }
}

fn is_panic(mac: &syn::Macro) -> bool {
    matches!(
        crate::syntax::last_segment(&mac.path).as_deref(),
        Some("panic" | "unreachable" | "todo" | "unimplemented")
    )
}

/// The arm carries a trailing comment explaining the default (`_ =>
/// Category::Network, // everything else talks to the upstream API`), other
/// than a `FIXME` / `TODO` / `XXX` / `HACK`. A comment on the line above is
/// not enough: it often describes the whole match.
fn explained(source: &str, arm: &syn::Arm) -> bool {
    let first = Span::of(&arm.pat).start.line as usize;
    let last = Span::of(&arm.body).end.line as usize;
    let lines = source
        .lines()
        .skip(first.saturating_sub(1))
        .take(last + 1 - first.min(last));
    for line in lines {
        let Some(pos) = line.find("//") else {
            continue;
        };
        let comment = &line[pos..];
        // `//~` marks a fixture's expectation.
        if comment.starts_with("//~") {
            continue;
        }
        if !["FIXME", "TODO", "XXX", "HACK"]
            .iter()
            .any(|w| comment.contains(w))
        {
            return true;
        }
    }
    false
}

/// Whether an expression uses `name` outside macros (a log line naming the
/// value does not hand it on).
struct Mentions<'n> {
    name: &'n syn::Ident,
    found: bool,
}

impl<'ast> syn::visit::Visit<'ast> for Mentions<'_> {
    fn visit_ident(&mut self, i: &'ast syn::Ident) {
        if i == self.name {
            self.found = true;
        }
    }
}

/// The pattern inside `Err(..)`.
fn err_inner(pat: &syn::Pat) -> Option<&syn::Pat> {
    match pat {
        syn::Pat::TupleStruct(t) if t.path.is_ident("Err") && t.elems.len() == 1 => t.elems.first(),
        _ => None,
    }
}

/// `_`, or a binding that is not a variant (lowercase): `other`, `e`, `ref e`.
pub fn is_catch_all(pat: &syn::Pat) -> bool {
    match pat {
        syn::Pat::Wild(_) => true,
        syn::Pat::Ident(p) => {
            p.subpat.is_none()
                && p.ident
                    .to_string()
                    .starts_with(|c: char| c.is_lowercase() || c == '_')
        }
        syn::Pat::Paren(p) => is_catch_all(&p.pat),
        _ => false,
    }
}

/// `Enum::Variant` paths at the top level of a pattern (through `|`, `&`,
/// parentheses and `x @`), never inside a variant's fields.
fn collect_variant_paths(pat: &syn::Pat, self_name: Option<&str>, out: &mut Vec<VariantPath>) {
    let path = match pat {
        syn::Pat::Path(p) => &p.path,
        syn::Pat::TupleStruct(p) => &p.path,
        syn::Pat::Struct(p) => &p.path,
        syn::Pat::Or(p) => {
            for case in &p.cases {
                collect_variant_paths(case, self_name, out);
            }
            return;
        }
        syn::Pat::Reference(p) => return collect_variant_paths(&p.pat, self_name, out),
        syn::Pat::Paren(p) => return collect_variant_paths(&p.pat, self_name, out),
        syn::Pat::Guard(p) => return collect_variant_paths(&p.pat, self_name, out),
        syn::Pat::Ident(p) => {
            if let Some((_, sub)) = &p.subpat {
                collect_variant_paths(sub, self_name, out);
            }
            return;
        }
        _ => return,
    };
    let n = path.segments.len();
    if n < 2 {
        return;
    }
    let enum_name = path.segments[n - 2].ident.to_string();
    let enum_name = match (enum_name.as_str(), self_name) {
        ("Self", Some(s)) => s.to_owned(),
        ("Self", None) => return,
        _ => enum_name,
    };
    out.push(VariantPath {
        enum_name,
        variant: path.segments[n - 1].ident.to_string(),
    });
}

/// The name of a path type: `AppError` for `crate::AppError<T>`.
fn type_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => crate::syntax::last_segment(&p.path),
        syn::Type::Group(g) => type_name(&g.elem),
        syn::Type::Paren(p) => type_name(&p.elem),
        _ => None,
    }
}

/// Records the names `use` items of the file bind to `anyhow` / `eyre`
/// error types (any depth: inline modules and function bodies too). Such a
/// `use` names the crate: a file whose text does not is not walked.
pub fn record_opaque_imports(file: &syn::File, source: &str, facts: &mut ErrorFacts) {
    let named = |krate: &str| memchr::memmem::find(source.as_bytes(), krate.as_bytes()).is_some();
    // `color_eyre` contains `eyre`.
    if !OPAQUE_CRATES.iter().any(|c| named(c)) {
        return;
    }
    struct Uses<'f>(&'f mut ErrorFacts);
    impl<'ast> syn::visit::Visit<'ast> for Uses<'_> {
        fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
            walk_use(&u.tree, &mut Vec::new(), self.0);
        }
    }
    syn::visit::Visit::visit_file(&mut Uses(facts), file);
}

fn walk_use(tree: &syn::UseTree, prefix: &mut Vec<String>, facts: &mut ErrorFacts) {
    let mut bind = |name: &syn::Ident, local: &syn::Ident, prefix: &[String]| {
        let from_opaque = prefix
            .iter()
            .find(|s| !matches!(s.as_str(), "crate" | "self" | "super"))
            .is_some_and(|first| OPAQUE_CRATES.contains(&first.as_str()));
        let kind = match name.to_string().as_str() {
            "Result" => OpaqueKind::Result,
            "Error" | "Report" => OpaqueKind::Error,
            _ => return,
        };
        if from_opaque {
            facts.opaque_imports.push((local.to_string(), kind));
        }
    };
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            walk_use(&p.tree, prefix, facts);
            prefix.pop();
        }
        syn::UseTree::Name(n) => bind(&n.ident, &n.ident, prefix),
        syn::UseTree::Rename(r) => bind(&r.ident, &r.rename, prefix),
        syn::UseTree::Group(g) => {
            for t in &g.items {
                walk_use(t, prefix, facts);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::Rule;
    use crate::rules::errors::error_as_string::ErrorAsString;
    use crate::rules::errors::error_variant_erased::ErrorVariantErased;
    use crate::rules::errors::wildcard_error_match::WildcardErrorMatch;

    /// The error rules together: fixtures must hold for all of them at once.
    pub(crate) const ERROR_RULES: &[&dyn Rule] =
        &[&ErrorAsString, &ErrorVariantErased, &WildcardErrorMatch];

    /// The demo workspace shows each error rule exactly once.
    #[test]
    fn demo_shows_each_error_rule_once() {
        macro_rules! demo {
            ($path:literal) => {
                (
                    concat!("crates/core/", $path),
                    crate::TargetKind::Lib,
                    include_str!(concat!("../../../../fixtures/demo/crates/core/", $path)),
                )
            };
        }
        let diags = crate::testing::check_sources(
            &[
                demo!("src/lib.rs"),
                demo!("src/error.rs"),
                demo!("src/orders.rs"),
                demo!("src/pricing.rs"),
            ],
            ERROR_RULES,
            &crate::Settings::default(),
        );
        let got: Vec<(&str, u32, &str)> = diags
            .iter()
            .map(|d| {
                (
                    d.rule.code,
                    d.primary.span.start.line,
                    d.primary.path.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("RG303", 24, "crates/core/src/error.rs"),
                ("RG301", 17, "crates/core/src/orders.rs"),
                ("RG302", 43, "crates/core/src/orders.rs"),
            ]
        );
    }
}
