use super::call_graph;
use super::panic_facts as facts;
use crate::{CrateIndex, Diagnostic, Rule, RuleMeta, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports `.unwrap()`, `.expect(..)`, `.unwrap_err()`, `.expect_err(..)`,
    /// their UFCS forms (`Option::unwrap(x)`, `Result::expect(x, ..)`) and the
    /// `panic!`, `unreachable!`, `todo!` and `unimplemented!` macros written in
    /// the body of a request handler, including closures and async blocks
    /// inside it.
    ///
    /// A function is a handler when, from syntax alone:
    /// - it has a route attribute: `#[get]`, `#[post]`, `#[put]`, `#[delete]`,
    ///   `#[patch]`, `#[head]`, `#[options]`, `#[trace]`, `#[connect]`,
    ///   `#[route]`, `#[routes]`, `#[catch]`, bare or as `actix_web::..` or
    ///   `rocket::..` (actix-web, rocket), or `#[handler]` (poem, salvo);
    /// - it is a method of an `impl Trait for T` under `#[tonic::async_trait]`,
    ///   or one taking `Request<..>` in a file that imports `tonic`;
    /// - it is registered anywhere in the same crate: in the last argument of
    ///   the method routers inside `.route(..)` (axum `get(f).post(g)`,
    ///   `on(filter, f)`, `any(f)`, ...; actix `web::get().to(f)`), in
    ///   `.fallback(f)` and `.default_service(f)`, in actix `.to(f)` (chain
    ///   starting at `web::..` or a file importing `actix_web`), in `.map(f)`,
    ///   `.and_then(f)`, `.then(f)` of a warp filter chain (one that starts at
    ///   `warp::..` or `path!` or contains `.and(..)`/`.or(..)`, in a file
    ///   importing `warp`), or in `service_fn(f)` (hyper, lambda_http). The
    ///   registered name is resolved like a call (see RG202); a closure
    ///   registered this way is itself a handler;
    /// - it is named by `[handlers]` configuration.
    ///
    /// A function that merely takes extractor-like parameters is not a handler.
    /// Test code never counts: `#[cfg(test)]`, `#[test]`, test, bench and
    /// example targets, and registrations made in tests.
    ///
    /// ## Why is this bad?
    /// A panic in a handler kills the worker task or turns into a bare 500
    /// with no context, and the next request with the same input does it again.
    /// Clippy's `unwrap_used` cannot tell a handler from setup code in `main`,
    /// where an `unwrap` is often fine; this rule only looks at handlers.
    ///
    /// ## Example
    /// ```rust
    /// async fn create_order(Json(order): Json<Order>) -> Json<Receipt> {
    ///     let total = order.items.first().expect("at least one item").price;
    ///     Json(Receipt { total })
    /// }
    /// let app = Router::new().route("/orders", post(create_order));
    /// ```
    ///
    /// Use instead:
    /// ```rust
    /// async fn create_order(Json(order): Json<Order>) -> Result<Json<Receipt>, ApiError> {
    ///     let first = order.items.first().ok_or(ApiError::EmptyOrder)?;
    ///     Ok(Json(Receipt { total: first.price }))
    /// }
    /// ```
    ///
    /// ## Options
    /// - `[handlers] attributes = ["my_framework::endpoint"]`: more attributes
    ///   that mark handlers (a bare `#[endpoint]` matches too).
    /// - `[handlers] functions = ["crate::api::*"]`: handlers by path; `*`
    ///   matches within one path segment, `**` across segments; methods are
    ///   `module::Type::method`.
    /// - `[unwrap-in-handler] asserts = true`: also report `assert!`,
    ///   `assert_eq!` and `assert_ne!`.
    /// - `[unwrap-in-handler] indexing = true`: also report `[]` indexing.
    /// - `[unwrap-in-handler] honor-clippy-allows = false`: do not treat
    ///   `#[allow(clippy::unwrap_used)]`, `#[expect(clippy::expect_used)]`,
    ///   `#[allow(clippy::panic)]` (and `unreachable`, `todo`,
    ///   `unimplemented`, `indexing_slicing`) on an enclosing function, impl,
    ///   trait, module or file as suppressions (default: they suppress).
    pub struct UnwrapInHandler {
        code: "RG201",
        name: "unwrap-in-handler",
        severity: Error,
        summary: "panicking call in a request handler",
        tags: ["reliability", "correctness"],
        precision: "high",
    }
}

const HELP: &str = "return an error the framework turns into a response (`?` with an error type implementing `IntoResponse` or `ResponseError`) instead of panicking";

impl Rule for UnwrapInHandler {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads_test_code(&self) -> bool {
        false
    }

    fn requires(&self) -> &'static [&'static dyn Rule] {
        &[&facts::PanicFactsCollector]
    }

    fn check_crate(&self, krate: &CrateIndex, out: &mut Vec<Diagnostic>) {
        let analysis = call_graph::analyse(krate);
        let honor = krate.settings.unwrap_in_handler.honor_clippy_allows;
        for &h in &analysis.handlers {
            let node = &analysis.nodes[h];
            let name = node.short();
            for site in &node.fact.panics {
                if honor && site.clippy_allowed {
                    continue;
                }
                let mut diag = Diagnostic::new(
                    &Self::META,
                    node.path(),
                    site.span,
                    format!("{} in handler {name}", site.what),
                )
                .with_help(HELP);
                diag = match analysis.registered_at[h] {
                    Some((path, span)) => diag.with_label(
                        path,
                        span,
                        format!("{name} is registered as a handler here"),
                    ),
                    None => diag.with_label(
                        node.path(),
                        node.fact.name_span,
                        format!(
                            "{name} is a handler: {}",
                            node.fact.handler.as_deref().unwrap_or("configured")
                        ),
                    ),
                };
                out.push(diag);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::panic_reachable_from_handler::PanicReachableFromHandler;
    use crate::testing::assert_fixture;
    use crate::{Settings, TargetKind};

    /// A fixture file of `fixtures/rules/<group>/` as (path, kind, source).
    macro_rules! fixture {
        ($group:literal, $path:literal, $kind:ident) => {
            (
                $path,
                TargetKind::$kind,
                include_str!(concat!("../../../fixtures/", $group, "/", $path)),
            )
        };
    }

    fn check(files: &[(&str, TargetKind, &str)], settings: &Settings) {
        assert_fixture(
            files,
            &[&UnwrapInHandler, &PanicReachableFromHandler],
            settings,
        );
    }

    #[test]
    fn axum_fixture() {
        check(
            &[
                fixture!("rules/panics-axum", "src/main.rs", Bin),
                fixture!("rules/panics-axum", "src/routes/mod.rs", Bin),
                fixture!("rules/panics-axum", "src/routes/orders.rs", Bin),
                fixture!("rules/panics-axum", "src/billing.rs", Bin),
                fixture!("rules/panics-axum", "src/pricing.rs", Bin),
                fixture!("rules/panics-axum", "src/mailer.rs", Bin),
            ],
            &Settings::default(),
        );
    }

    #[test]
    fn actix_fixture() {
        check(
            &[
                fixture!("rules/panics-actix", "src/main.rs", Bin),
                fixture!("rules/panics-actix", "src/store.rs", Bin),
            ],
            &Settings::default(),
        );
    }

    #[test]
    fn rocket_fixture() {
        check(
            &[
                fixture!("rules/panics-rocket", "src/main.rs", Bin),
                fixture!("rules/panics-rocket", "src/auth.rs", Bin),
            ],
            &Settings::default(),
        );
    }

    #[test]
    fn warp_fixture() {
        check(
            &[
                fixture!("rules/panics-warp", "src/main.rs", Bin),
                fixture!("rules/panics-warp", "src/handlers.rs", Bin),
            ],
            &Settings::default(),
        );
    }

    #[test]
    fn tonic_fixture() {
        check(
            &[
                fixture!("rules/panics-tonic", "src/main.rs", Bin),
                fixture!("rules/panics-tonic", "src/store.rs", Bin),
            ],
            &Settings::default(),
        );
    }

    #[test]
    fn poem_salvo_hyper_fixture() {
        check(
            &[
                fixture!("rules/panics-poem-salvo-hyper", "src/main.rs", Bin),
                fixture!("rules/panics-poem-salvo-hyper", "src/lambda.rs", Bin),
                fixture!("rules/panics-poem-salvo-hyper", "src/poem_api.rs", Bin),
                fixture!("rules/panics-poem-salvo-hyper", "src/salvo_api.rs", Bin),
            ],
            &Settings::default(),
        );
    }

    #[test]
    fn config_fixture() {
        // Mirrors fixtures/rules/panics-config/rustgate.toml.
        let settings = Settings {
            handlers: crate::settings::HandlerSettings {
                attributes: vec!["my_framework::endpoint".into()],
                functions: vec!["crate::api::*".into()],
            },
            unwrap_in_handler: crate::settings::UnwrapInHandlerOptions {
                asserts: true,
                indexing: true,
                honor_clippy_allows: false,
            },
            ..Settings::default()
        };
        check(
            &[
                fixture!("rules/panics-config", "src/lib.rs", Lib),
                fixture!("rules/panics-config", "src/api.rs", Lib),
                fixture!("rules/panics-config", "src/internal.rs", Lib),
            ],
            &settings,
        );
    }

    #[test]
    fn test_targets_and_examples_are_never_checked() {
        let src = "#[get(\"/\")] async fn index() { x.unwrap(); }";
        check(
            &[("tests/it.rs", TargetKind::Test, src)],
            &Settings::default(),
        );
        check(
            &[("examples/demo.rs", TargetKind::Example, src)],
            &Settings::default(),
        );
    }

    #[test]
    fn strings_comments_and_lookalike_methods_are_not_panics() {
        let src = r#"
#[get("/")]
async fn index(p: Parser) -> String {
    // x.unwrap() in a comment
    /// panic!() in a doc comment
    let s = "y.expect(\"z\") and panic!()";
    p.expect_token(",");
    p.unwrap_or_log();
    p.expect();
    let v = maybe().unwrap_or(1) + other().unwrap_or_else(|| 2) + third().unwrap_or_default();
    let _ = my::panic!("not std's panic");
    s.to_owned()
}
"#;
        check(
            &[("src/lib.rs", TargetKind::Lib, src)],
            &Settings::default(),
        );
    }

    #[test]
    fn demo_has_one_finding_of_each_rule() {
        let files = [
            fixture!("demo/crates/api", "src/main.rs", Bin),
            fixture!("demo/crates/api", "src/routes.rs", Bin),
            fixture!("demo/crates/api", "src/routes/billing.rs", Bin),
        ];
        let rules: [&dyn Rule; 2] = [&UnwrapInHandler, &PanicReachableFromHandler];
        let got: Vec<(String, u32, &str, String)> =
            crate::testing::check_sources(&files, &rules, &Settings::default())
                .into_iter()
                .map(|d| {
                    (
                        d.primary.path,
                        d.primary.span.start.line,
                        d.rule.code,
                        d.message,
                    )
                })
                .collect();
        assert_eq!(
            got,
            [
                ("src/routes.rs".to_owned(), 39, "RG201", "`.unwrap()` in handler get_order".to_owned()),
                (
                    "src/routes/billing.rs".to_owned(),
                    19,
                    "RG202",
                    "`.expect()` reachable from handler create_order via billing::charge -> billing::coupon_discount"
                        .to_owned()
                ),
            ]
        );
    }
}
