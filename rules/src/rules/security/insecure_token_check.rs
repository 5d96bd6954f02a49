//! RG605 insecure-token-check.

use crate::checker::Ctx;
use crate::diagnostic::Span;
use crate::rule::{Rule, RuleMeta};
use crate::{Out, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports the basics of token and secret checking done wrong, outside
    /// tests and examples:
    /// - JWT validation with the signature check switched off
    ///   (`insecure_disable_signature_validation()`, jsonwebtoken);
    /// - expiry not checked: `validate_exp = false` (jsonwebtoken's
    ///   `Validation`);
    /// - the `none` algorithm: `Algorithm::None`, `AlgorithmType::None`;
    /// - a secret compared with `==` or `!=`: one side named like a secret
    ///   (a word of its snake-case name is `token`, `secret`, `signature`
    ///   or `hmac`, as in `expected_signature` or `self.api_token`; not
    ///   `hash` or `digest`, which name content checksums as often; nor an
    ///   earlier copy, `orig_`, `old_`, `prev_`, `last_`, `cached_`, which is
    ///   change detection), the
    ///   other side neither a literal, `None`, an enum variant or constant
    ///   (an upper-case path) nor a `.len()`/`.is_*()` call. `==` stops at
    ///   the first differing byte, so the time it takes tells an attacker
    ///   how much of a guess was right.
    ///
    /// Maturity: preview (runs with `--preview`). No finding on the seven
    /// services of `bench/accuracy/` (2026-12-03): precision not measured.
    ///
    /// ## Why is this bad?
    /// A token whose signature or expiry is not checked is a token anyone
    /// can forge or replay; a secret compared byte by byte leaks itself
    /// through response times.
    ///
    /// ## Example
    /// ```rust
    /// if provided_signature == expected_signature { grant() }
    /// ```
    ///
    /// Use instead:
    /// ```rust
    /// use subtle::ConstantTimeEq;
    /// if provided_signature.as_bytes().ct_eq(expected_signature.as_bytes()).into() { grant() }
    /// // or `hmac::Mac::verify_slice`, which compares in constant time
    /// ```
    ///
    /// ## What it does not see
    /// Secrets in variables named otherwise (`let a = ...`), comparisons
    /// made by a function of your own, and validation switched off through
    /// a configuration value.
    pub struct InsecureTokenCheck {
        code: "RG605",
        name: "insecure-token-check",
        severity: Error,
        summary: "token check switched off, or a secret compared in variable time",
        tags: ["security", "external/cwe/cwe-347", "external/cwe/cwe-208"],
        precision: "medium",
        security_severity: "7.5",
        preview: true,
    }
}

impl Rule for InsecureTokenCheck {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads_test_code(&self) -> bool {
        false
    }

    fn check_expr(&self, cx: &Ctx<'_>, expr: &syn::Expr, out: &mut Out) {
        if cx.in_test_or_example() {
            return;
        }
        let (span, message, help) = match expr {
            syn::Expr::MethodCall(m) if m.method == "insecure_disable_signature_validation" => (
                Span::of(&m.method),
                "JWT signature validation switched off".to_owned(),
                "validate the signature with the issuer's key (`DecodingKey`) instead",
            ),
            syn::Expr::Assign(a)
                if matches!(&*a.left, syn::Expr::Field(f)
                    if matches!(&f.member, syn::Member::Named(n) if n == "validate_exp"))
                    && is_false(&a.right) =>
            {
                (
                    Span::of(&*a.left),
                    "JWT expiry (`exp`) not validated".to_owned(),
                    "keep `validate_exp = true` (the default) and give tokens an expiry",
                )
            }
            syn::Expr::Path(p)
                if p.path.segments.len() >= 2
                    && p.path.segments.last().is_some_and(|s| s.ident == "None")
                    && p.path.segments[p.path.segments.len() - 2]
                        .ident
                        .to_string()
                        .starts_with("Algorithm") =>
            {
                (
                    Span::of(&p.path),
                    "the `none` JWT algorithm accepts unsigned tokens".to_owned(),
                    "use a signing algorithm (HS256 with a strong secret, RS256, EdDSA)",
                )
            }
            syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::Eq(_) | syn::BinOp::Ne(_)) => {
                let named = secret_name(&b.left).or_else(|| secret_name(&b.right));
                match named {
                    Some(name)
                        if comparable(&b.left)
                            && comparable(&b.right)
                            && !earlier_copy(&b.left)
                            && !earlier_copy(&b.right) =>
                    {
                        (
                            Span::of(b),
                            format!(
                                "`{name}` compared with `{}`: the comparison's time leaks the secret",
                                if matches!(b.op, syn::BinOp::Eq(_)) {
                                    "=="
                                } else {
                                    "!="
                                }
                            ),
                            "compare secrets in constant time (`subtle::ConstantTimeEq`, `hmac::Mac::verify_slice`, `constant_time_eq`)",
                        )
                    }
                    _ => return,
                }
            }
            _ => return,
        };
        out.push(cx.diagnostic(&Self::META, span, message).with_help(help));
    }
}

fn is_false(e: &syn::Expr) -> bool {
    crate::syntax::bool_lit(e) == Some(false)
}

/// The secret-like name an operand is read through: a variable, a field or
/// a method's receiver chain (`sig.as_bytes()`, `self.token.as_str()`).
fn secret_name(e: &syn::Expr) -> Option<String> {
    let mut e = e;
    loop {
        match e {
            syn::Expr::Reference(r) => e = &r.expr,
            syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => e = &u.expr,
            syn::Expr::Paren(p) => e = &p.expr,
            syn::Expr::MethodCall(m)
                if m.args.is_empty()
                    && matches!(
                        m.method.to_string().as_str(),
                        "as_bytes"
                            | "as_str"
                            | "as_ref"
                            | "to_string"
                            | "to_vec"
                            | "as_slice"
                            | "clone"
                            | "trim"
                            | "into_bytes"
                    ) =>
            {
                e = &m.receiver;
            }
            syn::Expr::Path(p) if p.path.segments.len() == 1 => {
                let name = p.path.segments[0].ident.to_string();
                return is_secret_word(&name).then_some(name);
            }
            syn::Expr::Field(f) => {
                let syn::Member::Named(n) = &f.member else {
                    return None;
                };
                let name = n.to_string();
                return is_secret_word(&name).then_some(name);
            }
            _ => return None,
        }
    }
}

fn is_secret_word(name: &str) -> bool {
    name.split('_').any(|w| {
        matches!(
            w.to_ascii_lowercase().as_str(),
            "token" | "secret" | "signature" | "hmac"
        )
    })
}

/// Whether an operand is named as an earlier copy of a value: compared with
/// the current one, that is change detection, not a guess checked against a
/// secret (`orig_token != client.token`).
fn earlier_copy(e: &syn::Expr) -> bool {
    let mut names = Vec::new();
    let mut e = e;
    loop {
        match e {
            syn::Expr::Reference(r) => e = &r.expr,
            syn::Expr::Paren(p) => e = &p.expr,
            syn::Expr::MethodCall(m) => e = &m.receiver,
            syn::Expr::Field(f) => {
                if let syn::Member::Named(n) = &f.member {
                    names.push(n.to_string());
                }
                e = &f.base;
            }
            syn::Expr::Path(p) => {
                names.extend(p.path.segments.iter().map(|s| s.ident.to_string()));
                break;
            }
            _ => break,
        }
    }
    names.iter().flat_map(|n| n.split('_')).any(|w| {
        matches!(
            w.to_ascii_lowercase().as_str(),
            "orig" | "original" | "old" | "prev" | "previous" | "last" | "cached"
        )
    })
}

/// Whether an operand could hold a secret's value: not a literal, `None`,
/// an upper-case path (an enum variant, a constant), a length or a
/// predicate.
fn comparable(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Lit(_) => false,
        syn::Expr::Reference(r) => comparable(&r.expr),
        syn::Expr::Paren(p) => comparable(&p.expr),
        syn::Expr::Path(p) => !p.path.segments.last().is_some_and(|s| {
            s.ident == "None" || s.ident.to_string().starts_with(char::is_uppercase)
        }),
        syn::Expr::Call(c) => !matches!(&*c.func, syn::Expr::Path(p)
            if p.path.segments.last().is_some_and(|s| s.ident.to_string().starts_with(char::is_uppercase))),
        syn::Expr::MethodCall(m) => {
            let n = m.method.to_string();
            !(n == "len" || n == "count" || n.starts_with("is_") || n == "kind" || n == "typ")
        }
        syn::Expr::Macro(_) => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::assert_fixture;
    use crate::{Settings, TargetKind};

    #[test]
    fn reports_switched_off_checks_and_variable_time_comparisons() {
        let src = r#"
fn verify(token: &str, key: &DecodingKey, provided_signature: &str, expected_signature: String) -> bool {
    let mut v = Validation::new(Algorithm::HS256);
    v.insecure_disable_signature_validation(); //~ RG605
    v.validate_exp = false; //~ RG605
    let alg = jwt::AlgorithmType::None; //~ RG605
    if provided_signature == expected_signature { //~ RG605
        return true;
    }
    self.api_token.as_bytes() != header.as_bytes() //~ RG605
}
"#;
        assert_fixture(
            &[("src/lib.rs", TargetKind::Lib, src)],
            &[&InsecureTokenCheck],
            &Settings::default(),
        );
    }

    #[test]
    fn literals_variants_lengths_and_tests_are_not_reported() {
        let src = r#"
fn parse(token: Token, token_type: &str, hash: Option<String>, sig: &[u8]) -> bool {
    let a = token == Token::Comma;
    let b = token_type == "Bearer";
    let c = hash == None;
    let d = hash.len() == 64;
    let e = token.kind() == Kind::Ident;
    let f = sig == expected;
    let g = orig_token != client.token;
    let h = self.token != previous_token;
    v.validate_exp = true;
    let g = Algorithm::HS256;
    a && b && c && d && e && f && g && h
}
#[cfg(test)]
mod tests {
    fn t(token: &str, expected_token: &str) { assert!(token == expected_token); }
}
"#;
        assert_fixture(
            &[("src/lib.rs", TargetKind::Lib, src)],
            &[&InsecureTokenCheck],
            &Settings::default(),
        );
    }
}
