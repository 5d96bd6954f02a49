//! RG604 tls-verification-disabled.

use crate::checker::Ctx;
use crate::diagnostic::Span;
use crate::rule::{Rule, RuleMeta};
use crate::{Out, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports code that switches off TLS certificate or host name
    /// verification outside tests:
    /// - `.danger_accept_invalid_certs(true)` and
    ///   `.danger_accept_invalid_hostnames(true)` (reqwest, native-tls,
    ///   hyper-tls and others with the same builder methods);
    /// - rustls `.dangerous().set_certificate_verifier(..)` and
    ///   `.dangerous().with_custom_certificate_verifier(..)`: a verifier of
    ///   your own in place of the WebPKI one;
    /// - openssl `SslVerifyMode::NONE` (`set_verify(SslVerifyMode::NONE)`);
    /// - `.set_verify_hostname(false)` (openssl `ConnectConfiguration`).
    ///
    /// A `false` or a value that is not the literal `true` (a configuration
    /// flag) is not reported: `danger_accept_invalid_certs(config.insecure)`
    /// is a decision made elsewhere. Test code (`#[cfg(test)]`, `#[test]`,
    /// `tests/`, `benches/`) and examples are not checked.
    ///
    /// Maturity: preview (runs with `--preview`). Not yet measured on the
    /// labelled services: none of them disables verification.
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
    /// Verifiers that accept everything written by hand are reported where
    /// they are installed (`set_certificate_verifier`), whatever they check:
    /// one that pins a certificate is a finding to suppress with a reason.
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

    fn check_expr(&self, cx: &Ctx<'_>, expr: &syn::Expr, out: &mut Out) {
        if cx.in_test() || cx.file.kind == crate::TargetKind::Example {
            return;
        }
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
                    "set_certificate_verifier" | "with_custom_certificate_verifier"
                        if is_dangerous(&call.receiver) =>
                    {
                        format!("`dangerous().{name}(..)` replaces TLS certificate verification")
                    }
                    _ => return,
                };
                out.push(
                    cx.diagnostic(&Self::META, Span::of(&call.method), what)
                        .with_help(HELP),
                );
            }
            syn::Expr::Path(p) => {
                let segs = crate::syntax::path_segments(&p.path);
                let n = segs.len();
                if n >= 2 && segs[n - 2] == "SslVerifyMode" && segs[n - 1] == "NONE" {
                    out.push(
                        cx.diagnostic(
                            &Self::META,
                            Span::of(&p.path),
                            "`SslVerifyMode::NONE` switches off TLS verification",
                        )
                        .with_help(HELP),
                    );
                }
            }
            _ => {}
        }
    }
}

fn is_true(arg: Option<&syn::Expr>) -> bool {
    matches!(arg, Some(syn::Expr::Lit(l)) if matches!(&l.lit, syn::Lit::Bool(b) if b.value))
}

fn is_false(arg: Option<&syn::Expr>) -> bool {
    matches!(arg, Some(syn::Expr::Lit(l)) if matches!(&l.lit, syn::Lit::Bool(b) if !b.value))
}

/// `x.dangerous()` (possibly through more calls in between).
fn is_dangerous(receiver: &syn::Expr) -> bool {
    let mut e = receiver;
    loop {
        match e {
            syn::Expr::MethodCall(c) if c.method == "dangerous" => return true,
            syn::Expr::MethodCall(c) => e = &c.receiver,
            syn::Expr::Paren(p) => e = &p.expr,
            _ => return false,
        }
    }
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
    let mut c = rustls::ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
    c.dangerous().set_certificate_verifier(Arc::new(NoVerify)); //~ RG604
    let mut ssl = SslConnector::builder(SslMethod::tls()).unwrap();
    ssl.set_verify(SslVerifyMode::NONE); //~ RG604
    ssl.set_verify(openssl::ssl::SslVerifyMode::NONE); //~ RG604
    cfg.set_verify_hostname(false); //~ RG604
}
"#;
        assert_fixture(
            &[("src/lib.rs", TargetKind::Lib, src)],
            &[&TlsVerificationDisabled],
            &Settings::default(),
        );
    }

    #[test]
    fn decisions_made_elsewhere_tests_and_safe_calls_are_not_reported() {
        let src = r#"
fn client(insecure: bool) {
    let a = reqwest::Client::builder().danger_accept_invalid_certs(insecure).build();
    let b = reqwest::Client::builder().danger_accept_invalid_certs(false).build();
    ssl.set_verify(SslVerifyMode::PEER);
    cfg.set_verify_hostname(true);
    // .danger_accept_invalid_certs(true) in a comment
    let s = "danger_accept_invalid_certs(true)";
    verifier.set_certificate_verifier(v);
}
#[cfg(test)]
mod tests {
    fn t() { reqwest::Client::builder().danger_accept_invalid_certs(true); }
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
