use super::call_graph;
use super::panic_facts as facts;
use crate::{CrateIndex, Diagnostic, Rule, RuleMeta, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports `.unwrap()`, `.expect(..)`, `.unwrap_err()`, `.expect_err(..)`,
    /// their UFCS forms (`Option::unwrap(x)`, `Result::expect(x, ..)`) and the
    /// `panic!`, `todo!` and `unimplemented!` macros written in the body of a
    /// request entry point, including closures, async blocks and the arms of
    /// `select!` inside it. The message names the entry point with its module
    /// path and its kind: `` `.unwrap()` in handler `routes::users::create` ``.
    ///
    /// Request entry points, from syntax alone:
    /// - a route attribute: `#[get]`, `#[post]`, `#[put]`, `#[delete]`,
    ///   `#[patch]`, `#[head]`, `#[options]`, `#[trace]`, `#[connect]`,
    ///   `#[route]`, `#[routes]`, `#[catch]`, bare or as `actix_web::..` or
    ///   `rocket::..`; a project's own route macro whose last segment is
    ///   `get`, `post`, `put`, `delete`, `patch` or `route`
    ///   (`#[my_codegen::post(path = "..")]`; not `#[fastrace::trace]`); poem's and
    ///   salvo's `#[handler]`;
    /// - a method of an `impl Trait for T` under `#[tonic::async_trait]`, or
    ///   one taking `Request<..>` in a file that imports `tonic`;
    /// - a registration anywhere in the same crate: the handler argument of
    ///   the method routers inside `.route(..)` and aide's `.api_route(..)` /
    ///   `.api_route_with(..)` (axum `get(f).post(g)`, `on(filter, f)`,
    ///   `any(f)`, `get_service(svc)`, `post_service(f.with_state(s))`, aide
    ///   `get_with(f, docs)`; actix `web::get().to(f)`), `.route_service(p, f)`,
    ///   `.nest_service(p, f)`, `.fallback(f)`, `.fallback_service(f)`,
    ///   `.default_service(f)`, actix `.to(f)` (chain starting at `web::..` or
    ///   a file importing `actix_web`), `.map(f)`, `.and_then(f)`, `.then(f)`
    ///   of a warp filter chain (one that starts at `warp::..` or `path!` or
    ///   contains `.and(..)`/`.or(..)`, in a file importing `warp`),
    ///   `service_fn(f)` (hyper, lambda_http), and utoipa_axum's
    ///   `routes!(a, b)`. A handler wrapped as `f.layer(..)`,
    ///   `f.route_layer(..)`, `f.with_state(..)` or `f.into_service()` counts.
    ///   Routers built in one function and `nest`ed or `merge`d in another
    ///   need nothing more: registrations count wherever they are. The
    ///   registered name is resolved like a call (see RG202), through `use`
    ///   imports, globs (`use crate::routes::*`) and `pub use` re-exports
    ///   (`pub use login::*`); a closure registered this way is itself a
    ///   handler. The registered function may live in a library of the
    ///   workspace the crate depends on (`get(api::users::create)` with `api`
    ///   a `path` dependency, or the package's own library): it is reported in
    ///   that library's file;
    /// - middleware: the function or closure in `axum::middleware::from_fn(f)`,
    ///   `from_fn_with_state(s, f)`, `map_request(f)`, `map_response(f)` (and
    ///   their `_with_state` forms), actix-web `middleware::from_fn(f)` and
    ///   `.wrap_fn(|req, srv| ..)`, and `call` of an
    ///   `impl Service<ServiceRequest>` (an actix-web middleware registered
    ///   with `.wrap(..)`);
    /// - extractors: `from_request_parts` / `from_request` of an
    ///   `impl FromRequestParts<S>`, `impl FromRequest` (axum, actix-web,
    ///   rocket), `impl OptionalFromRequestParts<S>`;
    /// - GraphQL resolvers: every method of an `impl` under async-graphql's
    ///   `#[Object]`, `#[ComplexObject]`, `#[Subscription]` or juniper's
    ///   `#[graphql_object]`, `#[graphql_subscription]`;
    /// - services: `call` of an `impl Service<Request<..>>` (hyper, tower);
    /// - functions named by `[handlers]` configuration.
    ///
    /// A function that merely takes extractor-like parameters is not an entry
    /// point. Test code never counts: `#[cfg(test)]`, `#[test]`, test, bench
    /// and example targets, and registrations made in tests.
    ///
    /// Not reported, because the call cannot panic on a request (each with the
    /// option that reports it anyway):
    /// - poisoned locks: `.lock()`, `.read()`, `.write()` without arguments
    ///   then `.unwrap()`/`.expect(..)`, and a semaphore's
    ///   `.acquire().await` / `.acquire_owned().await` (closed only on
    ///   purpose) (`poisoned-locks`);
    /// - infallible by construction: `write!`/`writeln!` into a local or
    ///   parameter of type `String`, `Vec<u8>` or `fmt::Formatter`; `.parse()`
    ///   and `.try_into()` of a constant (a literal, a `SCREAMING_CASE`
    ///   constant, `"abc".as_bytes()`, `Duration::hours(24)`, a `format!` of
    ///   constants such as `format!("max-age={MAX_AGE}")`);
    ///   `now().checked_*(constant)` (`Utc::now().checked_add_signed(
    ///   Duration::hours(24))`); `Type::new`,
    ///   `parse`, `parse_str`, `from_str`, `from_static`, `from_bytes`,
    ///   `from_u16`/`u32`/`u64`, `from_utf8`, `try_from`, `from_ymd_opt`,
    ///   `from_hms_opt`, `try_days`/`hours`/`minutes`/`seconds`/
    ///   `milliseconds`/`weeks` whose arguments are all literals or constants
    ///   (`Regex::new(r"..")`, `Url::parse("..")`, `HeaderValue::from_str("..")`,
    ///   `serde_json::from_str("{}")`); `serde_json::to_string`,
    ///   `to_string_pretty`, `to_value`, `to_vec`, `to_vec_pretty` (they fail
    ///   only for maps with non-string keys or a failing hand-written
    ///   `Serialize`); `.body(..)` of `Response::builder()` whose `.header(..)`
    ///   steps take constants only, and `.headers_mut()`/`.extensions_mut()`
    ///   of a local bound to such a builder (`let mut b =
    ///   Response::builder().status(s); *b.headers_mut().unwrap() = h;`; a
    ///   later `let b = ..` of anything else forgets it, an assignment is not
    ///   looked for); a round trip, where one of those
    ///   constructors parses a value named like its type viewed through
    ///   `as_*()` (`Method::from_bytes(method.as_str().as_bytes())`,
    ///   `StatusCode::from_u16(res.status().as_u16())`,
    ///   `HeaderName::from_bytes(header_name.as_ref())`: a proxy converting
    ///   between two versions of the `http` types); url's
    ///   `.path_segments_mut()` (fails only for a cannot-be-a-base URL such as
    ///   `mailto:`, never for the http(s) URLs a service builds on); the `jwt`
    ///   crate's `.sign_with_key(key)` (fails only when the claims do not
    ///   serialise, like `serde_json::to_string`) (not configurable);
    /// - a send on a channel created in the same function
    ///   (`let (tx, rx) = mpsc::channel(..)`, `unbounded_channel`,
    ///   `oneshot::channel`, `bounded`, `unbounded`, `sync_channel`) then
    ///   `tx.send(v).unwrap()` or `tx.send(v).await.unwrap()` before `rx` is
    ///   named again: the receiver is alive. Still reported once `rx` was
    ///   named in between (handed on, dropped) or when the send sits in a
    ///   closure or async block written after the `let` (not configurable);
    /// - configuration required at startup: `env::var("NAME").unwrap()` (or
    ///   `.expect(..)`) when code of the same crate off the request path
    ///   (`main`, a constructor only `main` calls) unwraps the same variable
    ///   with a literal name: the server would not
    ///   be running without it. A variable read nowhere else, or elsewhere
    ///   only with `.ok()`/`?`, is still reported (not configurable);
    /// - compiled templates: `.render()` / `.render(ctx)` (askama, sailfish,
    ///   a minijinja template) and `get_template("literal")`; a template
    ///   rendered by name at run time (`hb.render("index", &data)`, tera) is
    ///   still reported (`template-render`);
    /// - a task's `JoinHandle.await.unwrap()` (`tokio::spawn(..).await`, a
    ///   local bound to a spawn call): it re-raises a panic, it is not a new
    ///   one (not configurable);
    /// - guarded: the receiver (after `.as_ref()`, `.as_deref()`, `.clone()`,
    ///   `.as_u64()` and the like) was checked by `is_some()`, `is_ok()`,
    ///   `is_none()`, `is_err()` or another `is_*()` (`is_u64()` before
    ///   `as_u64()`) in an enclosing `if`/`else` or `match` arm guard
    ///   (`Ok(u) if u.password.is_some() => ..`), on the left of `&&`/`||`, or
    ///   by an earlier `if .. { return/continue/break/panic }` in the same
    ///   function (`if x.is_none() || bad { return .. }`, `if let Err(_) = r
    ///   { return .. }`, `if let Some(e) = r.err() { return .. }`), or
    ///   assigned `Some(..)`/`Ok(..)` earlier in the function (a later
    ///   `x = None` is not looked for) (not configurable);
    /// - documented: a `//` comment on the same line, or just above the
    ///   statement, that mentions `unwrap` or `expect` or says `cannot fail`,
    ///   `can't fail`, `never fail(s)`, `infallible`, `always` or `SAFETY`,
    ///   unless it is a `TODO`/`FIXME`/`XXX`/`HACK` (`documented`);
    /// - `unreachable!`: the author's statement that the code is dead, like an
    ///   `assert!` (`unreachable`);
    /// - closures and async blocks handed to `tokio::spawn`,
    ///   `tokio::task::spawn`, `spawn_blocking`, `std::thread::spawn` (and
    ///   `handle.spawn(..)`, `set.spawn(..)`): they run after the response, so
    ///   a panic kills a task, not the request; calls inside them are not
    ///   followed either (`follow-spawned`). Tasks on the worker's own local
    ///   set (`spawn_local`, actix-web's `rt::spawn`) serve the connection (a
    ///   websocket session, a streamed body) and are followed.
    ///
    /// ## Accuracy
    /// On the labelled services (dev set, 2026-12-04): useful 0.88 (82 of 93
    /// labelled findings; the rest are invariants set up elsewhere, such as
    /// a cache filled at startup), recall 0.73 as scored, 1.00 counting once
    /// each of plume's 30 lines labelled twice (TP and FN).
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
    /// - `[unwrap-in-handler] poisoned-locks = true`: also report the unwrap
    ///   of a lock or a semaphore permit.
    /// - `[unwrap-in-handler] template-render = true`: also report the unwrap
    ///   of a compiled template's `render` and of `get_template("literal")`.
    /// - `[unwrap-in-handler] follow-spawned = true`: also look into spawned
    ///   closures and async blocks, and follow their calls (RG202).
    /// - `[unwrap-in-handler] follow-libraries = true`: RG202 also follows
    ///   calls from the crate into the workspace libraries it depends on
    ///   (see RG202).
    /// - `[unwrap-in-handler] unreachable = true`: also report `unreachable!`.
    /// - `[unwrap-in-handler] documented = true`: also report unwraps a
    ///   comment justifies.
    /// - `[unwrap-in-handler] honor-clippy-allows = false`: do not treat
    ///   `#[allow(clippy::unwrap_used)]`, `#[expect(clippy::expect_used)]`,
    ///   `#[allow(clippy::panic)]` (and `unreachable`, `todo`,
    ///   `unimplemented`, `indexing_slicing`) on an enclosing function, impl,
    ///   trait, module or file as suppressions (default: they suppress).
    ///
    /// ## Not seen
    /// Handlers registered by a crate the checked paths do not include, macro bodies
    /// other than comma-separated arguments, `select!` arms and the arguments
    /// of rocket's `uri!(route: ..)` (macros are never expanded), handlers
    /// passed around as values (`let h = create; get(h)`), GraphQL resolvers
    /// of `#[derive(SimpleObject)]`-style derives, and invariants a guard
    /// does not spell out (a value checked in another function).
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
            let name = node.display();
            for site in &node.fact.panics {
                if (honor && site.clippy_allowed) || analysis.required_at_startup(site) {
                    continue;
                }
                let mut diag = Diagnostic::new(
                    &Self::META,
                    node.path(),
                    site.span,
                    format!("{} in {} {name}", site.what, analysis.entry[h].noun()),
                )
                .with_help(HELP);
                diag = match analysis.registered_at[h] {
                    Some((path, span)) => diag.with_label(
                        path,
                        span,
                        format!(
                            "{name} is registered as a {} here",
                            analysis.entry[h].noun()
                        ),
                    ),
                    None => diag.with_label(
                        node.path(),
                        node.fact.name_span,
                        format!(
                            "{name} is a {}: {}",
                            analysis.entry[h].noun(),
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
    use crate::rules::panics::panic_reachable_from_handler::PanicReachableFromHandler;
    use crate::testing::assert_fixture;
    use crate::{Settings, TargetKind};

    /// A fixture file of `fixtures/rules/<group>/` as (path, kind, source).
    macro_rules! fixture {
        ($group:literal, $path:literal, $kind:ident) => {
            (
                $path,
                TargetKind::$kind,
                include_str!(concat!("../../../../fixtures/", $group, "/", $path)),
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
                ..Default::default()
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
                ("src/routes.rs".to_owned(), 39, "RG201", "`.unwrap()` in handler `routes::get_order`".to_owned()),
                (
                    "src/routes/billing.rs".to_owned(),
                    19,
                    "RG202",
                    "`.expect()` reachable from handler `routes::create_order` via `routes::billing::charge` -> `routes::billing::coupon_discount`"
                        .to_owned()
                ),
            ]
        );
    }
}
