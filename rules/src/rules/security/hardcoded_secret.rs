//! RG601 hardcoded-secret.

use crate::checker::Ctx;
use crate::diagnostic::Span;
use crate::rule::{Rule, RuleMeta};
use crate::{Out, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports string and byte literals used as a secret, outside tests and
    /// examples:
    /// - bound to a name that says secret: a `let`, a `const` or `static`, a
    ///   struct field in a struct expression, an assignment to a field, or
    ///   the argument of a builder method of that name
    ///   (`.password("hunter2")`). A name says secret when one of its words
    ///   (snake or camel case) is `secret`, `password`, `passwd`,
    ///   `passphrase`, `apikey`, `token` or `credentials`, or it ends in a
    ///   key that protects something (`api_key`, `private_key`,
    ///   `signing_key`, `encryption_key`, `access_key`, `master_key`,
    ///   `hmac_key`, `jwt_key`, `session_key`, `cookie_key`, `auth_key`);
    /// - passed as the key of a MAC, signing or cipher constructor:
    ///   `Hmac::<Sha256>::new_from_slice(b"..")` and any `new_from_slice` /
    ///   `new_varkey`, `EncodingKey::from_secret(..)`,
    ///   `DecodingKey::from_secret(..)`, `Key::from(..)` / `from_slice` /
    ///   `derive_from` (cookie, aes-gcm), `HS256Key::from_bytes(..)`
    ///   (jwt-simple), ring's `hmac::Key::new(alg, ..)`. A byte array written
    ///   out (`&[0; 64]`, `[1, 2, 3]`) is a literal too;
    /// - the fallback of an environment lookup bound to a secret name:
    ///   `let jwt_secret = env::var("JWT_SECRET").unwrap_or("dev".into())`
    ///   runs in production with the development secret when the variable
    ///   is missing; a `static` initialised by `Lazy::new(|| ..)` /
    ///   `LazyLock::new(|| ..)` is judged by its closure's value, and
    ///   `"ab".repeat(n)` is a literal.
    ///
    /// Not reported: empty literals; literals that name something rather
    /// than hold it: an environment variable's name (`"JWT_SECRET"`), a text
    /// with spaces or `{}` placeholders, a path or route (`/reset-password`),
    /// a literal equal to the name itself (`const PASSWORD: &str =
    /// "password"`, a form field's name); names whose last word says they
    /// hold a name, not a secret (`password_field`, `token_header`,
    /// `secret_env`, `api_key_name`, `token_url`, `password_min_len`,
    /// `token_type`, `password_hash`, ...; a version suffix such as `_V1` is
    /// skipped first). Test code (`#[cfg(test)]`,
    /// `#[test]`, `tests/`, `benches/`) and examples are not checked.
    ///
    /// Maturity: preview (runs with `--preview`); see `bench/accuracy/` for
    /// its measurement on real services.
    ///
    /// ## Why is this bad?
    /// A secret in the source is in every clone, fork, CI log and container
    /// image of the repository, and cannot be rotated without a release.
    /// Anyone who can read the code can sign tokens, decrypt cookies or log
    /// in as the service.
    ///
    /// ## Example
    /// ```rust
    /// let key = EncodingKey::from_secret(b"my-jwt-secret");
    /// ```
    ///
    /// Use instead:
    /// ```rust
    /// let secret = std::env::var("JWT_SECRET")?; // or a secret manager
    /// let key = EncodingKey::from_secret(secret.as_bytes());
    /// ```
    ///
    /// ## What it does not see
    /// Secrets under names that do not say so (`let k = "..."`), secrets in
    /// configuration files, and literals that reach a key constructor
    /// through a variable or a function of your own.
    pub struct HardcodedSecret {
        code: "RG601",
        name: "hardcoded-secret",
        severity: Error,
        summary: "a secret written in the source",
        tags: ["security", "external/cwe/cwe-798"],
        precision: "medium",
        security_severity: "7.5",
        preview: true,
    }
}

const HELP: &str = "read the secret at run time (an environment variable, a secret manager) and rotate the one in the source";

impl Rule for HardcodedSecret {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads_test_code(&self) -> bool {
        false
    }

    fn check_local(&self, cx: &Ctx<'_>, local: &syn::Local, out: &mut Out) {
        if cx.in_test_or_example() {
            return;
        }
        let (Some(init), Some(name)) = (&local.init, pat_name(&local.pat)) else {
            return;
        };
        named_value(cx, &name, &init.expr, out);
    }

    fn check_item(&self, cx: &Ctx<'_>, item: &syn::Item, out: &mut Out) {
        if cx.in_test_or_example() {
            return;
        }
        match item {
            syn::Item::Const(c) => named_value(cx, &c.ident.to_string(), &c.expr, out),
            syn::Item::Static(s) => named_value(cx, &s.ident.to_string(), &s.expr, out),
            _ => {}
        }
    }

    fn check_impl_item(&self, cx: &Ctx<'_>, item: &syn::ImplItem, out: &mut Out) {
        if cx.in_test_or_example() {
            return;
        }
        if let syn::ImplItem::Const(c) = item {
            named_value(cx, &c.ident.to_string(), &c.expr, out);
        }
    }

    fn check_expr(&self, cx: &Ctx<'_>, expr: &syn::Expr, out: &mut Out) {
        if cx.in_test_or_example() {
            return;
        }
        match expr {
            syn::Expr::Struct(s) => {
                for field in &s.fields {
                    if let syn::Member::Named(n) = &field.member {
                        named_value(cx, &n.to_string(), &field.expr, out);
                    }
                }
            }
            syn::Expr::Assign(a) => {
                if let syn::Expr::Field(f) = &*a.left
                    && let syn::Member::Named(n) = &f.member
                {
                    named_value(cx, &n.to_string(), &a.right, out);
                }
            }
            syn::Expr::MethodCall(m) if m.args.len() == 1 => {
                let name = m.method.to_string();
                if let Some(arg) = m.args.first()
                    && let Some(lit) = literal(arg)
                    && says_secret(&name)
                    && holds_value(&name, &lit)
                {
                    report(
                        cx,
                        arg,
                        format!("`.{name}(..)` is given a secret written in the source"),
                        out,
                    );
                }
            }
            syn::Expr::Call(c) => key_constructor(cx, c, out),
            _ => {}
        }
    }
}

fn report(cx: &Ctx<'_>, at: &syn::Expr, message: String, out: &mut Out) {
    out.push(
        cx.diagnostic(&HardcodedSecret::META, Span::of(at), message)
            .with_help(HELP),
    );
}

/// A value bound to `name`: reported when the name says secret and the value
/// is a literal holding one, or an environment lookup falling back to one.
fn named_value(cx: &Ctx<'_>, name: &str, value: &syn::Expr, out: &mut Out) {
    if !says_secret(name) {
        return;
    }
    let value = lazy_body(value).unwrap_or(value);
    if let Some(lit) = literal(value) {
        if holds_value(name, &lit) {
            report(
                cx,
                value,
                format!("`{name}` is a secret written in the source"),
                out,
            );
        }
    } else if let Some((fallback, lit)) = env_fallback(value)
        && holds_value(name, &lit)
    {
        report(
            cx,
            fallback,
            format!(
                "`{name}` falls back to a secret written in the source when the environment lacks it"
            ),
            out,
        );
    }
}

/// The closure body of a lazily initialised value: `Lazy::new(|| ..)`,
/// `LazyLock::new(|| ..)`, `lazy_static`-free statics.
fn lazy_body(e: &syn::Expr) -> Option<&syn::Expr> {
    let syn::Expr::Call(c) = e else {
        return None;
    };
    let syn::Expr::Path(p) = &*c.func else {
        return None;
    };
    let segs = crate::syntax::path_segments(&p.path);
    let n = segs.len();
    if n < 2
        || segs[n - 1] != "new"
        || !matches!(segs[n - 2].as_str(), "Lazy" | "LazyLock" | "LazyCell")
    {
        return None;
    }
    let syn::Expr::Closure(cl) = c.args.first()? else {
        return None;
    };
    // `|| expr` or `|| { expr }`: the value is the block's only expression.
    match &*cl.body {
        syn::Expr::Block(b) => match b.block.stmts.as_slice() {
            [syn::Stmt::Expr(e, None)] => Some(e),
            _ => None,
        },
        body => Some(body),
    }
}

/// What a literal value looks like, for [`holds_value`].
enum Lit {
    Text(String),
    /// A byte array written out, or a byte string that is not UTF-8.
    Bytes,
}

/// The literal an expression is, through the conversions that keep it one:
/// `"x".to_string()`, `"x".into()`, `String::from("x")`, `b"x".to_vec()`,
/// `&"x"`, `Some("x")`, `Secret::new("x")`-style one-argument wrappers are
/// not followed.
fn literal(e: &syn::Expr) -> Option<Lit> {
    match e {
        syn::Expr::Lit(l) => match &l.lit {
            syn::Lit::Str(s) => Some(Lit::Text(s.value())),
            syn::Lit::ByteStr(b) => Some(match String::from_utf8(b.value()) {
                Ok(s) => Lit::Text(s),
                Err(_) => Lit::Bytes,
            }),
            _ => None,
        },
        syn::Expr::Reference(r) => literal(&r.expr),
        syn::Expr::Paren(p) => literal(&p.expr),
        syn::Expr::Group(g) => literal(&g.expr),
        syn::Expr::Array(a) => (!a.elems.is_empty()
            && a.elems
                .iter()
                .all(|e| matches!(e, syn::Expr::Lit(l) if matches!(l.lit, syn::Lit::Int(_)))))
        .then_some(Lit::Bytes),
        syn::Expr::Repeat(r) => {
            matches!(&*r.expr, syn::Expr::Lit(l) if matches!(l.lit, syn::Lit::Int(_)))
                .then_some(Lit::Bytes)
        }
        syn::Expr::MethodCall(m) if m.method == "repeat" && m.args.len() == 1 => {
            literal(&m.receiver)
        }
        syn::Expr::MethodCall(m)
            if m.args.is_empty()
                && matches!(
                    m.method.to_string().as_str(),
                    "to_string"
                        | "to_owned"
                        | "into"
                        | "as_bytes"
                        | "to_vec"
                        | "as_ref"
                        | "into_bytes"
                ) =>
        {
            literal(&m.receiver)
        }
        syn::Expr::Call(c) if c.args.len() == 1 => {
            let syn::Expr::Path(p) = &*c.func else {
                return None;
            };
            let segs = crate::syntax::path_segments(&p.path);
            let n = segs.len();
            let conversion = (n >= 2 && segs[n - 2] == "String" && segs[n - 1] == "from")
                || segs[n - 1] == "Some";
            if conversion {
                literal(&c.args[0])
            } else {
                None
            }
        }
        _ => None,
    }
}

/// `env::var("X").unwrap_or("lit".into())`, `.unwrap_or_else(|_| "lit".into())`,
/// `std::env::var("X").unwrap_or_default()` is not a fallback to a secret.
fn env_fallback(e: &syn::Expr) -> Option<(&syn::Expr, Lit)> {
    let syn::Expr::MethodCall(m) = e else {
        return None;
    };
    let fallback = match m.method.to_string().as_str() {
        "unwrap_or" => m.args.first()?,
        "unwrap_or_else" => match m.args.first()? {
            syn::Expr::Closure(c) => &c.body,
            _ => return None,
        },
        _ => return None,
    };
    let lit = literal(fallback)?;
    reads_env(&m.receiver).then_some((fallback, lit))
}

/// Whether a receiver chain starts at an environment lookup (`env::var`,
/// `std::env::var`, `var_os`, `dotenv::var`, `dotenvy::var`).
fn reads_env(e: &syn::Expr) -> bool {
    let mut e = e;
    loop {
        match e {
            syn::Expr::MethodCall(m) => e = &m.receiver,
            syn::Expr::Try(t) => e = &t.expr,
            syn::Expr::Call(c) => {
                let syn::Expr::Path(p) = &*c.func else {
                    return false;
                };
                let segs = crate::syntax::path_segments(&p.path);
                let n = segs.len();
                return matches!(segs[n - 1].as_str(), "var" | "var_os")
                    && (n == 1 || matches!(segs[n - 2].as_str(), "env" | "dotenv" | "dotenvy"));
            }
            _ => return false,
        }
    }
}

/// The key argument of a MAC, signing or cipher key constructor.
fn key_constructor(cx: &Ctx<'_>, c: &syn::ExprCall, out: &mut Out) {
    let syn::Expr::Path(p) = &*c.func else {
        return;
    };
    let segs = crate::syntax::path_segments(&p.path);
    let n = segs.len();
    let func = segs[n - 1].as_str();
    let ty = if n >= 2 { segs[n - 2].as_str() } else { "" };
    let key_arg = match (ty, func) {
        (_, "new_from_slice" | "new_varkey") => c.args.first(),
        ("EncodingKey" | "DecodingKey", "from_secret" | "from_base64_secret") => c.args.first(),
        ("Key", "from" | "from_slice" | "derive_from" | "try_from") => c.args.first(),
        (t, "from_bytes" | "from_slice")
            if t.ends_with("Key")
                && t.starts_with(|c: char| c.is_ascii_uppercase())
                && (t.starts_with("HS")
                    || t.starts_with("Hmac")
                    || t.starts_with("Aes")
                    || t.starts_with("Signing")) =>
        {
            c.args.first()
        }
        ("Key", "new") if segs.iter().any(|s| s == "hmac") => c.args.iter().nth(1),
        _ => None,
    };
    let Some(arg) = key_arg else {
        return;
    };
    match literal(arg) {
        Some(Lit::Text(s)) if s.is_empty() => {}
        Some(_) => report(
            cx,
            arg,
            format!("`{ty}::{func}` is given a key written in the source"),
            out,
        ),
        None => {}
    }
}

/// The words of an identifier, lower case: `jwtSecret` and `JWT_SECRET` both
/// give `jwt`, `secret`.
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in name.split(['_', '-']) {
        let mut word = String::new();
        let mut prev_lower = false;
        for ch in part.chars() {
            if ch.is_uppercase() && prev_lower && !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            prev_lower = ch.is_lowercase() || ch.is_ascii_digit();
            word.extend(ch.to_lowercase());
        }
        if !word.is_empty() {
            out.push(word);
        }
    }
    out
}

/// Whether a name says it holds a secret (see the rule's doc).
fn says_secret(name: &str) -> bool {
    let mut w = words(name);
    // A version suffix (`TOKEN_PREFIX_V1`) is not the last word that counts.
    while w.len() > 1
        && w.last().is_some_and(|l| {
            let digits = l.strip_prefix('v').unwrap_or(l);
            !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
        })
    {
        w.pop();
    }
    let Some(last) = w.last() else {
        return false;
    };
    if matches!(
        last.as_str(),
        "name"
            | "names"
            | "field"
            | "fields"
            | "header"
            | "param"
            | "env"
            | "var"
            | "variable"
            | "prefix"
            | "suffix"
            | "len"
            | "length"
            | "type"
            | "kind"
            | "path"
            | "file"
            | "dir"
            | "url"
            | "uri"
            | "endpoint"
            | "route"
            | "label"
            | "placeholder"
            | "hint"
            | "regex"
            | "pattern"
            | "column"
            | "col"
            | "id"
            | "ids"
            | "hash"
            | "hashed"
            | "digest"
            | "cookie"
            | "query"
            | "message"
            | "msg"
            | "error"
            | "err"
            | "text"
            | "title"
            | "policy"
            | "min"
            | "max"
            | "count"
            | "size"
            | "expiry"
            | "expires"
            | "ttl"
            | "duration"
            | "lifetime"
            | "timeout"
            | "secs"
            | "seconds"
            | "minutes"
            | "hours"
            | "days"
            | "format"
            | "template"
            | "key_name"
            | "required"
            | "enabled"
            | "mode"
            | "location"
            | "store"
            | "provider"
            | "source"
            | "version"
            | "scope"
            | "scopes"
            | "audience"
            | "issuer"
            | "algorithm"
            | "alg"
            | "reset"
            | "form"
            | "input"
            | "prompt"
            | "description"
            | "description_text"
            | "help"
            | "schema"
            | "table"
            | "sql"
            | "attribute"
            | "attr"
            | "claim"
            | "claims"
    ) {
        return false;
    }
    let protective = |prev: &str| {
        matches!(
            prev,
            "api"
                | "private"
                | "secret"
                | "signing"
                | "encryption"
                | "access"
                | "master"
                | "hmac"
                | "jwt"
                | "session"
                | "cookie"
                | "auth"
        )
    };
    w.iter().enumerate().any(|(i, word)| match word.as_str() {
        "secret" | "secrets" | "password" | "passwd" | "passphrase" | "apikey" | "token"
        | "credentials" => true,
        "key" => i > 0 && protective(&w[i - 1]),
        _ => false,
    })
}

/// Whether a literal bound to `name` holds a secret's value rather than
/// naming something (see the rule's doc).
fn holds_value(name: &str, lit: &Lit) -> bool {
    let Lit::Text(s) = lit else {
        return true;
    };
    if s.is_empty() || s.chars().any(char::is_whitespace) || s.contains('{') || s.starts_with('/') {
        return false;
    }
    // An environment variable's name.
    if s.len() > 1
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && s.chars().any(|c| c == '_' || c.is_ascii_uppercase())
        && s.contains('_')
    {
        return false;
    }
    // The name itself: a form field, a column, a map key.
    let squash = |t: &str| {
        t.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    let lit = squash(s);
    let name_words = words(name);
    !(lit == squash(name) || name_words.contains(&lit) || lit == name_words.concat())
}

/// The name a `let` binds: `x`, `mut x`, `x: T`.
fn pat_name(p: &syn::Pat) -> Option<String> {
    match p {
        syn::Pat::Ident(i) => Some(i.ident.to_string()),
        syn::Pat::Type(t) => pat_name(&t.pat),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::assert_fixture;
    use crate::{Settings, TargetKind};

    #[test]
    fn words_split_snake_and_camel_case() {
        assert_eq!(words("jwtSecret"), ["jwt", "secret"]);
        assert_eq!(words("JWT_SECRET"), ["jwt", "secret"]);
        assert_eq!(words("apiKey"), ["api", "key"]);
        assert!(says_secret("client_secret"));
        assert!(says_secret("API_KEY"));
        assert!(says_secret("apiKey"));
        assert!(!says_secret("key"));
        assert!(!says_secret("cache_key"));
        assert!(!says_secret("password_field"));
        assert!(!says_secret("token_type"));
        assert!(!says_secret("JWT_SECRET_ENV"));
        assert!(!says_secret("AUTH_TOKEN_PREFIX_V1"));
        assert!(says_secret("SECRET_V2"));
    }

    #[test]
    fn reports_secrets_bound_to_secret_names_and_literal_keys() {
        let src = r#"
const JWT_SECRET: &str = "s3cr3t-jwt-signing"; //~ RG601
static API_KEY: &[u8] = b"sk_live_abc123"; //~ RG601
struct Config { db_password: String, port: u16 }
impl Settings {
    const SIGNING_KEY: &'static str = "abcdef0123456789"; //~ RG601
}
fn config() -> Config {
    let admin_password = "hunter2"; //~ RG601
    let mut c = Config {
        db_password: "postgres123".to_string(), //~ RG601
        port: 5432,
    };
    c.db_password = String::from("changeme"); //~ RG601
    let opts = PgConnectOptions::new().username("app").password("pa55word"); //~ RG601
    let jwtSecret: String = "dev-secret".into(); //~ RG601
    let mac = Hmac::<Sha256>::new_from_slice(b"webhook key"); //~ RG601
    let enc = EncodingKey::from_secret("topsecret".as_bytes()); //~ RG601
    let key = Key::from(&[0; 64]); //~ RG601
    let jwt_secret = std::env::var("JWT_SECRET").unwrap_or("insecure-dev".to_string()); //~ RG601
    let session_key = env::var("SESSION_KEY").unwrap_or_else(|_| "fallback-key".into()); //~ RG601
    let k = HS256Key::from_bytes(b"jwt-simple-key"); //~ RG601
    let r = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"ring-key"); //~ RG601
    c
}
static SECRET_KEY: Lazy<String> =
    Lazy::new(|| std::env::var("SECRET_KEY").unwrap_or_else(|_| "0123".repeat(16))); //~ RG601
static API_TOKEN: LazyLock<String> = LazyLock::new(|| {
    std::env::var("API_TOKEN").unwrap_or_else(|_| "dev-token".into()) //~ RG601
});
"#;
        assert_fixture(
            &[("src/lib.rs", TargetKind::Lib, src)],
            &[&HardcodedSecret],
            &Settings::default(),
        );
    }

    #[test]
    fn names_environment_lookups_and_tests_are_not_reported() {
        let src = r#"
const PASSWORD_FIELD: &str = "password";
const PASSWORD: &str = "password";
const JWT_SECRET_ENV: &str = "JWT_SECRET";
const TOKEN_HEADER: &str = "x-auth-token";
const PASSWORD_MIN_LEN: usize = 8;
fn config() {
    let secret = std::env::var("JWT_SECRET").expect("JWT_SECRET must be set");
    let secret_name = "JWT_SECRET";
    let token = "";
    let password = "Invalid password";
    let token = format!("Bearer {}", raw);
    let reset_password = "/reset-password";
    let key = "user:42";
    let cache_key = b"cache";
    let token_type = "Bearer";
    let api_key = env::var("API_KEY").unwrap_or_default();
    let password_hash = "$argon2id$v=19$m=19456";
    let mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes());
    let enc = EncodingKey::from_secret(secret.as_ref());
    let key = Key::generate();
    let c = Config { password: secret.clone(), token: None };
    let var = env!("CARGO_PKG_NAME");
}
#[cfg(test)]
mod tests {
    const JWT_SECRET: &str = "test-secret";
    fn t() { let k = EncodingKey::from_secret(b"test"); }
}
"#;
        assert_fixture(
            &[("src/lib.rs", TargetKind::Lib, src)],
            &[&HardcodedSecret],
            &Settings::default(),
        );
        assert_fixture(
            &[(
                "examples/demo.rs",
                TargetKind::Example,
                r#"fn main() { let api_key = "sk_demo_123"; }"#,
            )],
            &[&HardcodedSecret],
            &Settings::default(),
        );
    }
}
