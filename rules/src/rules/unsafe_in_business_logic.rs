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
    /// ## Options
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
        if cx.is_business_logic() {
            out.push(
                cx.diagnostic(&Self::META, span, format!("{what} in business logic"))
                    .with_help(HELP),
            );
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
            syn::Item::ForeignMod(m) => match &m.unsafety {
                Some(tok) => Self::report(cx, out, Span::of(tok), "unsafe extern block"),
                None => Self::report(cx, out, Span::of(&m.abi.extern_token), "extern block"),
            },
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
        if let syn::Expr::Unsafe(u) = expr {
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
