//! RG604 tls-verification-disabled.

use crate::checker::Ctx;
use crate::diagnostic::Span;
use crate::rule::{Rule, RuleMeta};
use crate::{Out, declare_rule};
use syn::visit::Visit;

declare_rule! {
    /// ## What it does
    /// Reports code that switches off TLS certificate or host name
    /// verification outside tests:
    /// - `.danger_accept_invalid_certs(true)` and
    ///   `.danger_accept_invalid_hostnames(true)` (reqwest, native-tls,
    ///   hyper-tls and others with the same builder methods);
    /// - a rustls `ServerCertVerifier` of your own whose
    ///   `verify_server_cert` accepts every certificate: its body has no
    ///   failure path (no `Err`, no `?`, no call to another `verify*`
    ///   function), so whatever `.dangerous().set_certificate_verifier(..)`
    ///   or `.with_custom_certificate_verifier(..)` installs it trusts anyone.
    ///   The installation itself is not reported: a verifier that pins a
    ///   certificate or checks a fingerprint replaces WebPKI on purpose;
    /// - openssl `SslVerifyMode::NONE` (`set_verify(SslVerifyMode::NONE)`);
    /// - `.set_verify_hostname(false)` (openssl `ConnectConfiguration`).
    ///
    /// A `false` or a value that is not the literal `true` (a configuration
    /// flag) is not reported: `danger_accept_invalid_certs(config.insecure)`
    /// is a decision made elsewhere; so is anything switched off inside an
    /// `if` on an insecure-mode flag (a variable, field or method whose name
    /// contains `insecure`, `disable`, `danger`, `skip`, `no_verify`,
    /// `accept_invalid`, `allow_invalid` or `unverified`:
    /// `if disable_tls_verification { ssl.set_verify(SslVerifyMode::NONE) }`).
    /// Test code (`#[cfg(test)]`, `#[test]`,
    /// `tests/`, `benches/`) and examples are not checked.
    ///
    /// Maturity: preview (runs with `--preview`). Measured on seven
    /// services (`bench/accuracy/`): no finding after the verifier change
    /// (the one finding before, a health check pinning the server's own
    /// certificate, was noise); precision not yet measured on a finding.
    ///
    /// ## Why is this bad?
    /// Without verification, anyone on the network path can present a
    /// certificate for the service's peer and read or change the traffic:
    /// credentials, tokens and personal data included.
    ///
    /// ## Example
    /// ```rust
    /// let client = reqwest::Client::builder()
    ///     .danger_accept_invalid_certs(true)
    ///     .build()?;
    /// ```
    ///
    /// Use instead:
    /// ```rust
    /// // Trust the private CA explicitly instead of trusting everyone.
    /// let ca = reqwest::Certificate::from_pem(&std::fs::read("ca.pem")?)?;
    /// let client = reqwest::Client::builder().add_root_certificate(ca).build()?;
    /// ```
    ///
    /// ## What it does not see
    /// A verifier that accepts everything but comes from another crate is
    /// not seen where it is installed; nor is one whose check is a no-op
    /// written with an `Err` that can never happen.
    pub struct TlsVerificationDisabled {
        code: "RG604",
        name: "tls-verification-disabled",
        severity: Error,
        summary: "TLS certificate or host name verification switched off",
        tags: ["security", "external/cwe/cwe-295"],
        precision: "high",
        security_severity: "7.4",
        preview: true,
    }
}

const HELP: &str = "trust the peer's CA explicitly (`add_root_certificate`, a rustls `RootCertStore`) instead of switching verification off";

impl Rule for TlsVerificationDisabled {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads_test_code(&self) -> bool {
        false
    }

    fn check_item(&self, cx: &Ctx<'_>, item: &syn::Item, out: &mut Out) {
        if cx.in_test_or_example() {
            return;
        }
        let mut walk = Walk { cx, out, gated: 0 };
        match item {
            syn::Item::Fn(f) => walk.visit_block(&f.block),
            syn::Item::Impl(i) => accepting_verifier(cx, i, out),
            syn::Item::Const(c) => walk.visit_expr(&c.expr),
            syn::Item::Static(s) => walk.visit_expr(&s.expr),
            _ => {}
        }
    }

    fn check_impl_item(&self, cx: &Ctx<'_>, item: &syn::ImplItem, out: &mut Out) {
        if cx.in_test_or_example() {
            return;
        }
        let mut walk = Walk { cx, out, gated: 0 };
        match item {
            syn::ImplItem::Fn(f) => walk.visit_block(&f.block),
            syn::ImplItem::Const(c) => walk.visit_expr(&c.expr),
            _ => {}
        }
    }

    fn check_trait_item(&self, cx: &Ctx<'_>, item: &syn::TraitItem, out: &mut Out) {
        if cx.in_test_or_example() {
            return;
        }
        if let syn::TraitItem::Fn(f) = item
            && let Some(block) = &f.default
        {
            Walk { cx, out, gated: 0 }.visit_block(block);
        }
    }
}

/// One body's walk. `gated` counts the enclosing `if`s whose condition is an
/// insecure-mode flag: what they switch off is a decision made elsewhere.
struct Walk<'c, 'a, 'o> {
    cx: &'c Ctx<'a>,
    out: &'o mut Out,
    gated: u32,
}

impl<'ast> Visit<'ast> for Walk<'_, '_, '_> {
    fn visit_item(&mut self, _: &'ast syn::Item) {
        // Nested items are handed over by the checker itself.
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        // Arguments that are expressions (`info!(..)`, `vec![..]`), as the
        // checker's hooks see them.
        if let Some(args) = crate::syntax::macro_args(mac) {
            for arg in &args {
                self.visit_expr(arg);
            }
        }
    }

    fn visit_expr_if(&mut self, e: &'ast syn::ExprIf) {
        self.visit_expr(&e.cond);
        let gate = is_insecure_flag(&e.cond);
        self.gated += u32::from(gate);
        self.visit_block(&e.then_branch);
        self.gated -= u32::from(gate);
        if let Some((_, els)) = &e.else_branch {
            self.visit_expr(els);
        }
    }

    fn visit_expr(&mut self, expr: &'ast syn::Expr) {
        if self.gated == 0
            && let Some((span, what)) = finding(expr)
        {
            self.out.push(
                self.cx
                    .diagnostic(&TlsVerificationDisabled::META, span, what)
                    .with_help(HELP),
            );
        }
        syn::visit::visit_expr(self, expr);
    }
}

/// Whether an `if` condition is an insecure-mode flag: a variable, field or
/// method whose name says so (`disable_tls_verification`,
/// `config.insecure`, `opts.skip_verify()`, `accept_invalid_certs`).
fn is_insecure_flag(cond: &syn::Expr) -> bool {
    let name = match cond {
        syn::Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        syn::Expr::Field(f) => match &f.member {
            syn::Member::Named(n) => Some(n.to_string()),
            syn::Member::Unnamed(_) => None,
        },
        syn::Expr::MethodCall(m) if m.args.is_empty() => Some(m.method.to_string()),
        syn::Expr::Paren(p) => return is_insecure_flag(&p.expr),
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => {
            return is_insecure_flag(&u.expr);
        }
        _ => None,
    };
    name.is_some_and(|n| {
        let n = n.to_ascii_lowercase();
        [
            "insecure",
            "disable",
            "dangerous",
            "danger",
            "skip",
            "no_verify",
            "accept_invalid",
            "allow_invalid",
            "unverified",
        ]
        .iter()
        .any(|w| n.contains(w))
    })
}

/// `impl ServerCertVerifier for T` whose `verify_server_cert` has no way to
/// fail: every certificate is accepted.
fn accepting_verifier(cx: &Ctx<'_>, imp: &syn::ItemImpl, out: &mut Out) {
    let Some((path, _)) = &imp.trait_ else {
        return;
    };
    if path
        .segments
        .last()
        .is_none_or(|s| s.ident != "ServerCertVerifier")
    {
        return;
    }
    for item in &imp.items {
        if let syn::ImplItem::Fn(f) = item
            && f.sig.ident == "verify_server_cert"
            && !can_fail(quote::ToTokens::to_token_stream(&f.block))
        {
            out.push(
                cx.diagnostic(
                    &TlsVerificationDisabled::META,
                    Span::of(&f.sig.ident),
                    "this `verify_server_cert` accepts every certificate: installed as a verifier, it switches off TLS verification".to_owned(),
                )
                .with_help(HELP),
            );
        }
    }
}

/// Whether a body has a failure path: an `Err`, a `?`, or a call to another
/// `verify*` function (a delegation that can fail).
fn can_fail(tokens: proc_macro2::TokenStream) -> bool {
    tokens.into_iter().any(|t| match t {
        proc_macro2::TokenTree::Ident(i) => {
            let s = i.to_string();
            s == "Err" || s.starts_with("verify") || s == "panic" || s == "bail"
        }
        proc_macro2::TokenTree::Punct(p) => p.as_char() == '?',
        proc_macro2::TokenTree::Group(g) => can_fail(g.stream()),
        proc_macro2::TokenTree::Literal(_) => false,
    })
}

/// The finding an expression is on its own, before its context is judged.
fn finding(expr: &syn::Expr) -> Option<(Span, String)> {
    match expr {
        syn::Expr::MethodCall(call) => {
            let name = call.method.to_string();
            let what = match name.as_str() {
                "danger_accept_invalid_certs" | "danger_accept_invalid_hostnames"
                    if is_true(call.args.first()) =>
                {
                    format!("`{name}(true)` switches off TLS verification")
                }
                "set_verify_hostname" if is_false(call.args.first()) => {
                    "`set_verify_hostname(false)` switches off TLS host name verification"
                        .to_owned()
                }
                _ => return None,
            };
            Some((Span::of(&call.method), what))
        }
        syn::Expr::Path(p) => {
            let segs = crate::syntax::path_segments(&p.path);
            let n = segs.len();
            (n >= 2 && segs[n - 2] == "SslVerifyMode" && segs[n - 1] == "NONE").then(|| {
                (
                    Span::of(&p.path),
                    "`SslVerifyMode::NONE` switches off TLS verification".to_owned(),
                )
            })
        }
        _ => None,
    }
}

fn is_true(arg: Option<&syn::Expr>) -> bool {
    arg.and_then(crate::syntax::bool_lit) == Some(true)
}

fn is_false(arg: Option<&syn::Expr>) -> bool {
    arg.and_then(crate::syntax::bool_lit) == Some(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::assert_fixture;
    use crate::{Settings, TargetKind};

    #[test]
    fn reports_each_way_of_switching_verification_off() {
        let src = r#"
fn client() {
    let a = reqwest::Client::builder().danger_accept_invalid_certs(true).build(); //~ RG604
    let b = native_tls::TlsConnector::builder()
        .danger_accept_invalid_hostnames(true) //~ RG604
        .build();
    let mut ssl = SslConnector::builder(SslMethod::tls()).unwrap();
    ssl.set_verify(SslVerifyMode::NONE); //~ RG604
    ssl.set_verify(openssl::ssl::SslVerifyMode::NONE); //~ RG604
    cfg.set_verify_hostname(false); //~ RG604
    if verbose {
        ssl.set_verify(SslVerifyMode::NONE); //~ RG604
    } else if disable_checks {
        ssl.set_verify(SslVerifyMode::NONE);
    }
}
static CLIENT: Lazy<Client> = Lazy::new(|| Client::builder().danger_accept_invalid_certs(true).build()); //~ RG604
fn logged() {
    tracing::info!("client {:?}", Client::builder().danger_accept_invalid_certs(true)); //~ RG604
    let clients = vec![Client::builder().danger_accept_invalid_hostnames(true)]; //~ RG604
}
impl Api {
    fn client(&self) { reqwest::Client::builder().danger_accept_invalid_certs(true); } //~ RG604
}
struct NoVerify;
impl rustls::client::danger::ServerCertVerifier for NoVerify {
    fn verify_server_cert( //~ RG604
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        tracing::warn!("accepting any certificate");
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(&self) -> Result<HandshakeSignatureValid, Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
}
fn build() {
    struct Inner;
    impl ServerCertVerifier for Inner {
        fn verify_server_cert(&self) -> Result<ServerCertVerified, Error> { Ok(ServerCertVerified::assertion()) } //~ RG604
    }
    config.dangerous().set_certificate_verifier(Arc::new(Inner));
}
"#;
        assert_fixture(
            &[("src/lib.rs", TargetKind::Lib, src)],
            &[&TlsVerificationDisabled],
            &Settings::default(),
        );
    }

    #[test]
    fn decisions_made_elsewhere_checking_verifiers_tests_and_safe_calls_are_not_reported() {
        let src = r#"
fn client(insecure: bool) {
    let a = reqwest::Client::builder().danger_accept_invalid_certs(insecure).build();
    let b = reqwest::Client::builder().danger_accept_invalid_certs(false).build();
    ssl.set_verify(SslVerifyMode::PEER);
    cfg.set_verify_hostname(true);
    // .danger_accept_invalid_certs(true) in a comment
    let s = "danger_accept_invalid_certs(true)";
    verifier.set_certificate_verifier(v);
    let c = config.dangerous().with_custom_certificate_verifier(Arc::new(Pinned { cert }));
    if disable_tls_verification {
        ssl.set_verify(SslVerifyMode::NONE);
    }
    if config.insecure_skip_verify {
        b = b.danger_accept_invalid_certs(true);
    }
}
struct Pinned { cert: CertificateDer<'static> }
impl ServerCertVerifier for Pinned {
    fn verify_server_cert(&self, end_entity: &CertificateDer<'_>) -> Result<ServerCertVerified, Error> {
        if end_entity != &self.cert {
            return Err(Error::InvalidCertificate(CertificateError::NotValidForName));
        }
        Ok(ServerCertVerified::assertion())
    }
}
struct Delegating { inner: Arc<WebPkiServerVerifier> }
impl ServerCertVerifier for Delegating {
    fn verify_server_cert(&self, e: &CertificateDer<'_>) -> Result<ServerCertVerified, Error> {
        self.inner.verify_server_cert(e)
    }
}
struct Checked;
impl ServerCertVerifier for Checked {
    fn verify_server_cert(&self, e: &CertificateDer<'_>) -> Result<ServerCertVerified, Error> {
        check_fingerprint(e)?;
        Ok(ServerCertVerified::assertion())
    }
}
impl ClientCertVerifier for Checked {
    fn verify_client_cert(&self) -> Result<ClientCertVerified, Error> { Ok(ClientCertVerified::assertion()) }
}
#[cfg(test)]
mod tests {
    fn t() { reqwest::Client::builder().danger_accept_invalid_certs(true); }
    impl ServerCertVerifier for Any {
        fn verify_server_cert(&self) -> Result<ServerCertVerified, Error> { Ok(ServerCertVerified::assertion()) }
    }
}
"#;
        assert_fixture(
            &[("src/lib.rs", TargetKind::Lib, src)],
            &[&TlsVerificationDisabled],
            &Settings::default(),
        );
        assert_fixture(
            &[(
                "examples/dev.rs",
                TargetKind::Example,
                "fn main() { b.danger_accept_invalid_certs(true); }",
            )],
            &[&TlsVerificationDisabled],
            &Settings::default(),
        );
    }
}
