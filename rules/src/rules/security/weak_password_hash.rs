//! RG602 weak-password-hash.

use crate::checker::Ctx;
use crate::diagnostic::Span;
use crate::rule::{Rule, RuleMeta};
use crate::{Out, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a password hashed with a fast digest, outside tests and
    /// examples: a value whose name says password (a word of it is
    /// `password`, `passwd`, `passphrase` or `pwd`) given to
    /// - md5 or sha1, salted or not: `md5::compute(..)`, `Md5::digest(..)`,
    ///   `Sha1::digest(..)`, `sha1_smol::Sha1::from(..)`;
    /// - a single sha2 or sha3 digest without a salt: `Sha256::digest(..)`,
    ///   `Sha512::digest(..)`, `Sha3_256::digest(..)`, `sha256::digest(..)`,
    ///   ring's `digest::digest(&SHA256, ..)`; a digest whose input also
    ///   names a salt (`format!("{salt}{password}")`, a second
    ///   `update(salt)`) is not reported for sha2/sha3;
    /// - a hasher of those algorithms built in the same function
    ///   (`let mut h = Sha256::new();` then `h.update(password)`, or
    ///   `Sha256::new().chain_update(password)`).
    ///
    /// A password's hash compared or stored (`password_hash`, `hashed_password`)
    /// is not a password: names whose last word is `hash`, `hashed` or
    /// `digest` are not reported. Test code and examples are not checked.
    ///
    /// Maturity: preview (runs with `--preview`); see `bench/accuracy/` for
    /// its measurement on real services.
    ///
    /// ## Why is this bad?
    /// md5, sha1 and sha2 are built to be fast: a leaked table of such hashes
    /// is cracked at billions of guesses per second on one GPU, and without
    /// a salt one precomputed table cracks every user at once. Password
    /// hashes must be slow and salted.
    ///
    /// ## Example
    /// ```rust
    /// let stored = format!("{:x}", Sha256::digest(password.as_bytes()));
    /// ```
    ///
    /// Use instead:
    /// ```rust
    /// use argon2::{Argon2, PasswordHasher, password_hash::{SaltString, rand_core::OsRng}};
    /// let salt = SaltString::generate(&mut OsRng);
    /// let stored = Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string();
    /// ```
    ///
    /// ## What it does not see
    /// Passwords under other names (`let p = form.pw`), hashers handed
    /// between functions, and a salted sha2 iterated by hand (a slow
    /// construction of your own is not reported, nor checked).
    pub struct WeakPasswordHash {
        code: "RG602",
        name: "weak-password-hash",
        severity: Error,
        summary: "a password hashed with a fast digest (md5, sha1, unsalted sha2)",
        tags: ["security", "external/cwe/cwe-916", "external/cwe/cwe-328"],
        precision: "high",
        security_severity: "7.5",
        preview: true,
    }
}

const HELP: &str =
    "hash passwords with argon2, bcrypt, scrypt or pbkdf2 and a random salt per password";

impl Rule for WeakPasswordHash {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads_test_code(&self) -> bool {
        false
    }

    fn check_item(&self, cx: &Ctx<'_>, item: &syn::Item, out: &mut Out) {
        if let syn::Item::Fn(f) = item
            && !cx.in_test_or_example()
        {
            check_body(cx, &f.block, out);
        }
    }

    fn check_impl_item(&self, cx: &Ctx<'_>, item: &syn::ImplItem, out: &mut Out) {
        if let syn::ImplItem::Fn(f) = item
            && !cx.in_test_or_example()
        {
            check_body(cx, &f.block, out);
        }
    }

    fn check_expr(&self, cx: &Ctx<'_>, expr: &syn::Expr, out: &mut Out) {
        if cx.in_test_or_example() {
            return;
        }
        match expr {
            syn::Expr::Call(c) => {
                let syn::Expr::Path(p) = &*c.func else {
                    return;
                };
                let segs = crate::syntax::path_segments(&p.path);
                let Some(algo) = digest_call(&segs) else {
                    return;
                };
                let input = if segs.last().is_some_and(|s| s == "digest")
                    && segs.len() >= 2
                    && segs[segs.len() - 2] == "digest"
                {
                    // ring: digest::digest(&digest::SHA256, data)
                    c.args.iter().nth(1)
                } else {
                    c.args.first()
                };
                if let Some(input) = input {
                    judge(cx, algo, input, false, out);
                }
            }
            syn::Expr::MethodCall(m)
                if matches!(
                    m.method.to_string().as_str(),
                    "update" | "chain_update" | "chain" | "input"
                ) && m.args.len() == 1 =>
            {
                let Some((algo, salted)) = hasher_of(&m.receiver) else {
                    return;
                };
                judge(cx, algo, &m.args[0], salted, out);
            }
            _ => {}
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Algo {
    /// md5, sha1: broken for passwords whatever the salt.
    Broken,
    /// sha2, sha3: fast; reported without a salt.
    Fast,
}

fn algo_of(name: &str) -> Option<Algo> {
    let n = name.to_ascii_lowercase();
    if n == "md5" || n == "md4" || n == "sha1" || n == "sha1_smol" || n == "md5_compute" {
        Some(Algo::Broken)
    } else if n.starts_with("sha2")
        || n.starts_with("sha3")
        || n.starts_with("sha512")
        || n.starts_with("sha384")
        || n == "sha256"
        || n == "sha224"
        || n.starts_with("keccak")
    {
        Some(Algo::Fast)
    } else {
        None
    }
}

/// The algorithm of a one-shot digest call: `Md5::digest`, `md5::compute`,
/// `Sha256::digest`, `sha256::digest`, `Sha1::from`, ring's
/// `digest::digest(&SHA256, ..)` (judged by its first argument's name, see
/// [`ring_algo`]).
fn digest_call(segs: &[String]) -> Option<Algo> {
    let n = segs.len();
    if n < 2 {
        return None;
    }
    let (ty, func) = (segs[n - 2].as_str(), segs[n - 1].as_str());
    match func {
        "digest" | "compute" | "hash" | "from" | "new_with_prefix" => {
            if ty == "digest" {
                // ring's digest::digest: treated as fast (sha2) unless its
                // algorithm names sha1.
                return Some(Algo::Fast);
            }
            algo_of(ty)
        }
        _ => None,
    }
}

/// The algorithm and salt state of a hasher built inline:
/// `Sha256::new()`, `Sha256::new().chain_update(salt)`; `salted` when an
/// earlier `chain_update` names a salt. Hashers bound to locals: [`check_body`].
fn hasher_of(receiver: &syn::Expr) -> Option<(Algo, bool)> {
    match receiver {
        syn::Expr::Call(c) => {
            let syn::Expr::Path(p) = &*c.func else {
                return None;
            };
            let segs = crate::syntax::path_segments(&p.path);
            let n = segs.len();
            (n >= 2 && segs[n - 1] == "new")
                .then(|| algo_of(&segs[n - 2]))
                .flatten()
                .map(|a| (a, false))
        }
        syn::Expr::MethodCall(m)
            if matches!(m.method.to_string().as_str(), "chain_update" | "chain") =>
        {
            let (algo, salted) = hasher_of(&m.receiver)?;
            Some((algo, salted || m.args.iter().any(mentions_salt)))
        }
        _ => None,
    }
}

/// Hashers bound to a local in one function body (`let mut h = Sha256::new();`),
/// and the `update`s given to them: `h.update(password)` is judged once the
/// whole body is seen, so an `update(salt)` after it still counts.
#[derive(Default)]
struct Hashers<'ast> {
    bound: Vec<(String, Algo)>,
    salted: Vec<String>,
    updates: Vec<(String, &'ast syn::Expr)>,
}

impl<'ast> syn::visit::Visit<'ast> for Hashers<'ast> {
    fn visit_item(&mut self, _: &'ast syn::Item) {
        // A nested fn is a body of its own: the checker hands it over itself.
    }

    fn visit_local(&mut self, local: &'ast syn::Local) {
        let bound = match &local.pat {
            syn::Pat::Ident(i) => Some(&i.ident),
            syn::Pat::Type(t) => match &*t.pat {
                syn::Pat::Ident(i) => Some(&i.ident),
                _ => None,
            },
            _ => None,
        };
        if let Some(ident) = bound
            && let Some(init) = &local.init
            && let syn::Expr::Call(c) = &*init.expr
            && let syn::Expr::Path(p) = &*c.func
        {
            let segs = crate::syntax::path_segments(&p.path);
            let n = segs.len();
            if n >= 2
                && segs[n - 1] == "new"
                && let Some(algo) = algo_of(&segs[n - 2])
            {
                self.bound.push((ident.to_string(), algo));
            }
        }
        syn::visit::visit_local(self, local);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if matches!(m.method.to_string().as_str(), "update" | "input")
            && m.args.len() == 1
            && let syn::Expr::Path(p) = &*m.receiver
            && let Some(ident) = p.path.get_ident()
        {
            let name = ident.to_string();
            if mentions_salt(&m.args[0]) {
                self.salted.push(name.clone());
            }
            self.updates.push((name, &m.args[0]));
        }
        syn::visit::visit_expr_method_call(self, m);
    }
}

fn check_body(cx: &Ctx<'_>, body: &syn::Block, out: &mut Out) {
    let mut h = Hashers::default();
    syn::visit::Visit::visit_block(&mut h, body);
    for (name, input) in &h.updates {
        if let Some((_, algo)) = h.bound.iter().rev().find(|(n, _)| n == name) {
            let salted = h.salted.contains(name);
            judge(cx, *algo, input, salted, out);
        }
    }
}

/// Reports `input` when it is a password given to a broken digest, or to a
/// fast one with no salt in sight.
fn judge(cx: &Ctx<'_>, algo: Algo, input: &syn::Expr, salted: bool, out: &mut Out) {
    let Some(name) = password_in(input) else {
        return;
    };
    let salted = salted || mentions_salt(input);
    let message = match algo {
        Algo::Broken => {
            format!("`{name}` hashed with md5/sha1: a password hash must be slow and salted")
        }
        Algo::Fast if !salted => {
            format!(
                "`{name}` hashed with a single unsalted fast digest: a password hash must be slow and salted"
            )
        }
        Algo::Fast => return,
    };
    out.push(
        cx.diagnostic(&WeakPasswordHash::META, Span::of(input), message)
            .with_help(HELP),
    );
}

/// The first password-named variable or field an expression reads
/// (through references, conversions and `format!` arguments).
fn password_in(e: &syn::Expr) -> Option<String> {
    let mut finder = NameFinder {
        pred: is_password_name,
        found: None,
    };
    syn::visit::Visit::visit_expr(&mut finder, e);
    finder.found
}

fn mentions_salt(e: &syn::Expr) -> bool {
    let mut finder = NameFinder {
        pred: |n| {
            n.to_ascii_lowercase()
                .split('_')
                .any(|w| w == "salt" || w == "pepper")
        },
        found: None,
    };
    syn::visit::Visit::visit_expr(&mut finder, e);
    finder.found.is_some()
}

struct NameFinder {
    pred: fn(&str) -> bool,
    found: Option<String>,
}

impl<'ast> syn::visit::Visit<'ast> for NameFinder {
    fn visit_ident(&mut self, i: &'ast proc_macro2::Ident) {
        if self.found.is_none() {
            let s = i.to_string();
            if (self.pred)(&s) {
                self.found = Some(s);
            }
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        // format!("{salt}{password}") and format!("{}{}", salt, password):
        // the identifiers in the arguments and in the format string.
        for tt in mac.tokens.clone() {
            match tt {
                proc_macro2::TokenTree::Ident(i) => self.visit_ident(&i),
                proc_macro2::TokenTree::Literal(l) => {
                    let text = l.to_string();
                    for part in text.split(['{', '}', ':', '"']) {
                        if self.found.is_none() && (self.pred)(part) {
                            self.found = Some(part.to_owned());
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn visit_expr_lit(&mut self, _: &'ast syn::ExprLit) {}
}

fn is_password_name(name: &str) -> bool {
    let words: Vec<String> = name.split('_').map(str::to_ascii_lowercase).collect();
    if words
        .last()
        .is_some_and(|w| matches!(w.as_str(), "hash" | "hashed" | "digest" | "len" | "length"))
    {
        return false;
    }
    words
        .iter()
        .any(|w| matches!(w.as_str(), "password" | "passwd" | "passphrase" | "pwd"))
        && !words.iter().any(|w| w == "hashed")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::assert_fixture;
    use crate::{Settings, TargetKind};

    #[test]
    fn reports_passwords_given_to_fast_digests() {
        let src = r#"
fn store(password: &str, user: &User, salt: &str) {
    let a = md5::compute(password); //~ RG602
    let b = Sha256::digest(password.as_bytes()); //~ RG602
    let c = Md5::digest(format!("{}{}", salt, user.password)); //~ RG602
    let d = sha256::digest(new_password); //~ RG602
    let mut h = Sha1::new();
    h.update(salt);
    h.update(&user.password); //~ RG602
    let mut s = Sha512::new();
    s.update(password.as_bytes()); //~ RG602
    let e = Sha256::new().chain_update(form.password.as_bytes()).finalize(); //~ RG602
    let f = ring::digest::digest(&ring::digest::SHA256, password.as_bytes()); //~ RG602
}
"#;
        assert_fixture(
            &[("src/lib.rs", TargetKind::Lib, src)],
            &[&WeakPasswordHash],
            &Settings::default(),
        );
    }

    #[test]
    fn salted_sha2_slow_hashes_other_inputs_and_tests_are_not_reported() {
        let src = r#"
fn store(password: &str, salt: &[u8], body: &[u8], password_hash: &str) {
    let a = Sha256::digest(format!("{salt}{password}"));
    let mut h = Sha256::new();
    h.update(salt);
    h.update(password);
    let b = Sha256::digest(body);
    let c = md5::compute(etag_source);
    let d = Sha256::digest(password_hash.as_bytes());
    let e = argon2.hash_password(password.as_bytes(), &salt);
    let f = bcrypt::hash(password, DEFAULT_COST);
    let g = Sha256::new().chain_update(salt).chain_update(password).finalize();
    let len = password.len();
}
#[cfg(test)]
mod tests {
    fn t() { let a = md5::compute(password); }
}
"#;
        assert_fixture(
            &[("src/lib.rs", TargetKind::Lib, src)],
            &[&WeakPasswordHash],
            &Settings::default(),
        );
    }
}
