use crate::{Ctx, Out, Rule, RuleMeta, Span, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports every `unsafe` block, `unsafe fn`, `unsafe impl`, `unsafe trait`
    /// and `extern` block (with or without `unsafe`) in business logic, at the
    /// `unsafe` (or `extern`) keyword.
    ///
    /// Business logic is all library and binary source of the workspace except:
    /// build scripts; `tests/`, `benches/` and `examples/`; `#[cfg(test)]`
    /// modules and `#[test]` functions; modules or files named `ffi`, `sys`,
    /// `bindings` or `raw` and everything below them; packages whose name ends
    /// in `-sys`.
    ///
    /// ## Why is this bad?
    /// Business logic changes often and is reviewed for behaviour, not for
    /// memory safety. An `unsafe` block there puts undefined behaviour one
    /// refactoring away, and nobody reviewing a pricing change checks aliasing
    /// rules. Unsafe code belongs behind a small, safe API in a module whose only
    /// job is to uphold its invariants, where it gets the review it needs.
    ///
    /// ## Example
    /// ```rust
    /// pub fn total(prices: &[u64]) -> u64 {
    ///     unsafe { *prices.get_unchecked(0) }
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```rust
    /// pub fn total(prices: &[u64]) -> u64 {
    ///     prices.first().copied().unwrap_or_default()
    /// }
    /// ```
    ///
    /// Not business logic either, so not reported:
    /// - generated files (an `@generated` or `Code generated ... DO NOT EDIT`
    ///   marker, `*.pb.rs` and files under `generated/` or `gen/` in a crate
    ///   that depends on a code generator): nobody edits them by hand;
    /// - `extern` blocks under `#[wasm_bindgen]`: JavaScript imports, for
    ///   which wasm-bindgen generates safe wrappers (no unsafe code is
    ///   written or called);
    /// - in a binary's top-level `fn main`, an `unsafe` block whose every
    ///   statement is a call of `std::env::set_var`, `std::env::remove_var` or
    ///   a function of a `dotenv*` crate (`unsafe { dotenvy::dotenv() }.ok()`):
    ///   Rust 2024 made these unsafe because another thread may read the
    ///   environment at the same time, and at the start of `main` no other
    ///   thread exists yet. Start-up code, not business logic.
    ///
    /// Outside business logic (and outside test code and generated files),
    /// RG102 (undocumented-unsafe) asks each `unsafe` block and `unsafe impl`
    /// for a `// SAFETY:` comment instead: a site is reported by one of the
    /// two rules at most.
    ///
    /// The tokens of `macro_rules!` bodies are read too: every `unsafe` token
    /// there is reported (macros are not expanded, so the rule cannot tell
    /// where the macro is used; it reports where the macro is defined).
    ///
    /// ## Options
    /// - `[unsafe-in-business-logic] include-generated = true`: check
    ///   generated files too (default `false`; RG102 reads this option too).
    /// - `[unsafe-in-business-logic] report-env-in-main = true`: report the
    ///   environment set-up blocks of `fn main` too (default `false`).
    /// - `[business-logic] include = ["src/ffi_glue/**"]`: globs of files that
    ///   are business logic even where the defaults say otherwise.
    /// - `[business-logic] exclude = ["src/simd/**"]`: globs of files that are
    ///   not business logic.
    pub struct UnsafeInBusinessLogic {
        code: "RG101",
        name: "unsafe-in-business-logic",
        severity: Error,
        summary: "unsafe code in business logic",
        tags: ["security", "reliability"],
        precision: "very-high",
    }
}

const HELP: &str = "keep unsafe code behind a safe API in an `ffi` or `sys` module, or exclude the path with `[business-logic] exclude` in rustgate.toml";

impl UnsafeInBusinessLogic {
    fn report(cx: &Ctx<'_>, out: &mut Out, span: Span, what: &str) {
        if reports_here(cx) {
            out.push(
                cx.diagnostic(&Self::META, span, format!("{what} in business logic"))
                    .with_help(HELP),
            );
        }
    }
}

/// Whether RG101 reports at this point: business logic, and not a generated
/// file (unless `include-generated`).
pub fn reports_here(cx: &Ctx<'_>) -> bool {
    cx.is_business_logic() && !skipped_as_generated(cx)
}

/// A generated file, and the options do not include them.
pub fn skipped_as_generated(cx: &Ctx<'_>) -> bool {
    cx.file.generated && !cx.settings.unsafe_in_business_logic.include_generated
}

/// `#[wasm_bindgen]` (or `#[wasm_bindgen(..)]`, any path ending so).
fn is_wasm_bindgen(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path()
            .segments
            .last()
            .is_some_and(|s| s.ident == "wasm_bindgen")
    })
}

/// An `unsafe` block in a binary's top-level `fn main` whose statements all
/// set or remove environment variables: `std::env::set_var`,
/// `std::env::remove_var`, or a call into a `dotenv*` crate
/// (`dotenvy::dotenv()`, `dotenv::from_filename(..)`), each possibly followed
/// by methods on its result (`.ok()`).
pub fn is_env_setup_in_main(cx: &Ctx<'_>, block: &syn::Block) -> bool {
    cx.file.kind == crate::TargetKind::Bin
        && matches!(cx.fns(), [f] if f.kind == crate::checker::FnKind::Free && f.sig.ident == "main")
        && !block.stmts.is_empty()
        && block.stmts.iter().all(|stmt| match stmt {
            syn::Stmt::Expr(e, _) => is_env_call(e),
            _ => false,
        })
}

fn is_env_call(expr: &syn::Expr) -> bool {
    match expr {
        syn::Expr::MethodCall(m) => is_env_call(&m.receiver),
        syn::Expr::Try(t) => is_env_call(&t.expr),
        syn::Expr::Await(a) => is_env_call(&a.base),
        syn::Expr::Call(c) => match &*c.func {
            syn::Expr::Path(p) => {
                let segs = &p.path.segments;
                segs.last()
                    .is_some_and(|s| s.ident == "set_var" || s.ident == "remove_var")
                    || segs
                        .iter()
                        .any(|s| s.ident.to_string().starts_with("dotenv"))
            }
            _ => false,
        },
        _ => false,
    }
}

/// Each `unsafe` token of a `macro_rules!` body, with what follows it
/// (`unsafe block`, `unsafe fn`, ...). Macro bodies are token templates:
/// syn cannot parse them as items or expressions, so the tokens are read.
pub fn unsafe_tokens_in_macro_rules(mac: &syn::Macro) -> Vec<(Span, &'static str)> {
    let mut found = Vec::new();
    if mac.path.is_ident("macro_rules") {
        scan_tokens(mac.tokens.clone(), &mut found);
    }
    found
}

fn scan_tokens(tokens: proc_macro2::TokenStream, found: &mut Vec<(Span, &'static str)>) {
    use proc_macro2::TokenTree;
    let mut iter = tokens.into_iter().peekable();
    while let Some(tt) = iter.next() {
        match tt {
            TokenTree::Group(g) => scan_tokens(g.stream(), found),
            TokenTree::Ident(id) if id == "unsafe" => {
                let what = match iter.peek() {
                    Some(TokenTree::Group(g)) if g.delimiter() == proc_macro2::Delimiter::Brace => {
                        "unsafe block"
                    }
                    Some(TokenTree::Ident(n)) if n == "fn" => "unsafe fn",
                    Some(TokenTree::Ident(n)) if n == "impl" => "unsafe impl",
                    Some(TokenTree::Ident(n)) if n == "trait" => "unsafe trait",
                    Some(TokenTree::Ident(n)) if n == "extern" => "unsafe extern block",
                    _ => "unsafe code",
                };
                found.push((Span::from(id.span()), what));
            }
            _ => {}
        }
    }
}

impl Rule for UnsafeInBusinessLogic {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads_test_code(&self) -> bool {
        false
    }

    fn check_item(&self, cx: &Ctx<'_>, item: &syn::Item, out: &mut Out) {
        match item {
            syn::Item::Fn(f) => {
                if let syn::Safety::Unsafe(tok) = &f.sig.safety {
                    Self::report(cx, out, Span::of(tok), "unsafe fn");
                }
            }
            syn::Item::Impl(i) => {
                if let Some(tok) = &i.unsafety {
                    Self::report(cx, out, Span::of(tok), "unsafe impl");
                }
            }
            syn::Item::Trait(t) => {
                if let Some(tok) = &t.unsafety {
                    Self::report(cx, out, Span::of(tok), "unsafe trait");
                }
            }
            syn::Item::ForeignMod(m) if !is_wasm_bindgen(&m.attrs) => match &m.unsafety {
                Some(tok) => Self::report(cx, out, Span::of(tok), "unsafe extern block"),
                None => Self::report(cx, out, Span::of(&m.abi.extern_token), "extern block"),
            },
            syn::Item::Macro(m) => {
                for (span, what) in unsafe_tokens_in_macro_rules(&m.mac) {
                    Self::report(cx, out, span, what);
                }
            }
            _ => {}
        }
    }

    fn check_impl_item(&self, cx: &Ctx<'_>, item: &syn::ImplItem, out: &mut Out) {
        if let syn::ImplItem::Fn(f) = item
            && let syn::Safety::Unsafe(tok) = &f.sig.safety
        {
            Self::report(cx, out, Span::of(tok), "unsafe fn");
        }
    }

    fn check_trait_item(&self, cx: &Ctx<'_>, item: &syn::TraitItem, out: &mut Out) {
        if let syn::TraitItem::Fn(f) = item
            && let syn::Safety::Unsafe(tok) = &f.sig.safety
        {
            Self::report(cx, out, Span::of(tok), "unsafe fn");
        }
    }

    fn check_expr(&self, cx: &Ctx<'_>, expr: &syn::Expr, out: &mut Out) {
        if let syn::Expr::Unsafe(u) = expr
            && (cx.settings.unsafe_in_business_logic.report_env_in_main
                || !is_env_setup_in_main(cx, &u.block))
        {
            Self::report(cx, out, Span::of(&u.unsafe_token), "unsafe block");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::assert_fixture;
    use crate::{Settings, TargetKind};

    #[test]
    fn reports_each_unsafe_construct_in_business_logic() {
        let src = r#"
pub fn f(p: *const u8) -> u8 {
    unsafe { *p } //~ RG101
}
pub unsafe fn g() {} //~ RG101
unsafe impl Send for S {} //~ RG101
pub unsafe trait T {} //~ RG101
unsafe extern "C" { fn abs(x: i32) -> i32; } //~ RG101
struct S;
impl S {
    unsafe fn m(&self) {} //~ RG101
}
// unsafe in a comment
/// unsafe in a doc comment
const S2: &str = "unsafe { }";
mod ffi {
    pub unsafe fn ok() {}
}
#[cfg(test)]
mod tests {
    fn t() { unsafe {} }
}
#[test]
fn t2() { unsafe {} }
"#;
        assert_fixture(
            &[("src/lib.rs", TargetKind::Lib, src)],
            &[&UnsafeInBusinessLogic],
            &Settings::default(),
        );
    }

    #[test]
    fn build_scripts_and_tests_are_not_business_logic() {
        let src = "fn main() { unsafe {} }";
        assert_fixture(
            &[("build.rs", TargetKind::BuildScript, src)],
            &[&UnsafeInBusinessLogic],
            &Settings::default(),
        );
        assert_fixture(
            &[("tests/t.rs", TargetKind::Test, src)],
            &[&UnsafeInBusinessLogic],
            &Settings::default(),
        );
    }
}
