use super::call_graph;
use super::panic_facts as facts;
use crate::{CrateIndex, Diagnostic, Label, Location, Rule, RuleMeta, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports the panic sites RG201 looks for (`.unwrap()`, `.expect(..)`,
    /// `.unwrap_err()`, `.expect_err(..)`, their UFCS forms, `panic!`,
    /// `todo!`, `unimplemented!`, with RG201's exemptions and options) inside
    /// a function of the crate (or of a workspace library it depends on) that is not itself an entry point but is
    /// called, directly or through a chain of calls, from a request entry
    /// point of the crate (handlers, extractors, middleware, GraphQL
    /// resolvers and services as defined by RG201).
    ///
    /// The finding sits on the panic site, once, however many entry points
    /// reach it; the message names one entry point (the one with the shortest
    /// chain, ties broken by file and position) and every function on the
    /// way, each with its module path (`` reachable from handler
    /// `routes::users::create` via `billing::charge` ``), and each call on
    /// the chain is a related location and a step of the finding's code flow
    /// (SARIF `codeFlows`).
    ///
    /// Calls are resolved inside the crate by path, name and what syntax says
    /// of the receiver, never with inferred types:
    /// - `f()`, `billing::charge()`, `crate::a::f()`, `self::f()`,
    ///   `super::f()` through the module tree (`mod`, `#[path]`), `use`
    ///   imports, renames, globs and `pub use` re-exports (also glob
    ///   re-exports: `pub use login::*`);
    /// - `Type::f()` and `Self::f()` to the associated functions of every
    ///   `impl` of a type named `Type` (types are known by name only);
    /// - `Type::f(..)` with `Type` imported from another crate to the
    ///   crate's own `impl`s for that type name (`GraphQLRequest::from(x)`
    ///   and `impl From<X> for GraphQLRequest` here);
    /// - `self.f()` to the caller's own `impl` type first;
    /// - `x.f()` where `x` is a parameter with a declared type (`x: Svc`,
    ///   `x: &Arc<Svc>`, `State(x): State<Svc>`, `web::Data<Svc>`), a `let`
    ///   with a declared type, or a `let` initialised by a constructor call
    ///   or struct literal (`let r = Repo::new()`, `Repo { .. }`): to that
    ///   type's methods (or the provided methods of the crate's traits of
    ///   that name; a parameter or field typed by a generic parameter
    ///   `R: Repo` resolves by name, see below); nothing when the type is not
    ///   one the crate implements
    ///   methods for, or is a path into another crate
    ///   (`jwt_simple::HS256Key`, or imported from one);
    /// - `self.field.f()` likewise, with the field's declared type;
    /// - `CONSTANT.f()` on a constant imported from another crate
    ///   (`URL_SAFE_NO_PAD.encode(..)`): nothing;
    /// - any other `x.f(..)` to every crate-local method named `f` that takes
    ///   as many arguments, but only when there are at most 3 of them (more is
    ///   too likely a guess), and never for names std types use everywhere
    ///   (`get`, `insert`, `new`, `len`, `iter`, `clone`, `send`, ...).
    ///
    /// Functions and `impl`s defined inside a function body are never the
    /// target of a call resolved by path or name. Calls inside closures and
    /// async blocks handed to `tokio::spawn`, `spawn_blocking` or
    /// `thread::spawn` are not followed (option `follow-spawned`, see RG201);
    /// calls inside the arms of `select!` are.
    ///
    /// A handler that a library of the workspace defines and the crate
    /// registers (`get(models::list)`) is a handler, and the calls inside the
    /// library from it are followed. Calls from the crate's own code into a
    /// workspace library are not followed by default: on the labelled
    /// services, 3 of the 52 sites reached that way were worth acting on
    /// (library code is full of invariants its callers uphold: fixed schema
    /// lookups, key generation, startup-filled cells). With
    /// `[unwrap-in-handler] follow-libraries = true` they are: the libraries
    /// the crate depends on (its `path` dependencies, and a binary's own
    /// package library) are then followed as if each were a module of the
    /// crate named like it
    /// (`plume_models::posts::Post::get(..)`, `use models::posts::Post`, then
    /// inside the library its own `crate::` paths, imports and methods); a
    /// method resolved by name alone prefers the caller's own crate, and goes
    /// into a library only when the caller's file imports from it; a
    /// library's functions are never entry points by themselves there (its
    /// own check reports those). Only direct dependencies are mounted: a
    /// library's own dependencies are followed when the crate depends on
    /// them too. A site reached from the handlers of several crates is
    /// reported once.
    ///
    /// Not followed: calls into crates outside the workspace (a path through
    /// a module the crate does not have, such as `payments::charge` from a
    /// registry dependency), macro bodies other than
    /// comma-separated arguments and `select!` arms (macros are never
    /// expanded), trait objects and generic calls beyond the by-name rule
    /// above, closures and function pointers passed around as values, and
    /// `From`/`Into` conversions (`x.into()`). Functions only called from
    /// tests are never reached: test code is neither an entry point nor a
    /// callee.
    ///
    /// ## Accuracy
    /// On the labelled services (dev set, 2026-12-04): useful 0.85 (34 of 40
    /// labelled findings), recall 0.89 as scored, 0.97 counting once each of
    /// plume's 3 lines labelled twice; the one miss is a panic in an
    /// extractor, which RG201 reports.
    ///
    /// ## Why is this bad?
    /// Moving an `unwrap` out of the handler into a helper does not make it
    /// safe: the request still panics. Clippy's `unwrap_used` stops at the
    /// function boundary and cannot tell which helpers serve requests.
    ///
    /// ## Example
    /// ```rust
    /// // routes.rs
    /// async fn create_order(Json(o): Json<Order>) -> Json<u64> {
    ///     Json(billing::charge(&o))
    /// }
    /// // billing.rs
    /// pub fn charge(o: &Order) -> u64 {
    ///     o.coupon.as_deref().map(parse_coupon).transpose().unwrap().unwrap_or(0)
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```rust
    /// pub fn charge(o: &Order) -> Result<u64, BillingError> {
    ///     Ok(o.coupon.as_deref().map(parse_coupon).transpose()?.unwrap_or(0))
    /// }
    /// ```
    ///
    /// ## Options
    /// The options of RG201 apply: `[handlers]` decides what a handler is,
    /// `[unwrap-in-handler] asserts`, `indexing`, `poisoned-locks`,
    /// `template-render`, `unreachable`, `documented` and
    /// `honor-clippy-allows` what a panic site is, `follow-spawned`
    /// whether calls in spawned tasks are followed, and `follow-libraries`
    /// (default `false`) whether calls into the workspace's libraries are.
    pub struct PanicReachableFromHandler {
        code: "RG202",
        name: "panic-reachable-from-handler",
        severity: Warning,
        summary: "panicking call reachable from a request handler",
        tags: ["reliability", "correctness"],
        precision: "medium",
    }
}

const HELP: &str = "return a `Result` and let the handler turn the error into a response";

impl Rule for PanicReachableFromHandler {
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
        for (i, reach) in analysis.reached.iter().enumerate() {
            if reach.is_none() {
                continue;
            }
            let node = &analysis.nodes[i];
            let chain = analysis.chain(i);
            let handler = &analysis.nodes[chain[0].0];
            let via: Vec<String> = chain[1..]
                .iter()
                .map(|(n, _)| analysis.nodes[*n].display())
                .collect();
            let mut labels = Vec::new();
            for pair in chain.windows(2) {
                let (caller, call) = (&analysis.nodes[pair[0].0], pair[0].1);
                let callee = &analysis.nodes[pair[1].0];
                if let Some(span) = call {
                    labels.push(label(
                        caller.path(),
                        span,
                        format!("{} calls {}", caller.display(), callee.display()),
                    ));
                }
            }
            for site in &node.fact.panics {
                if (honor && site.clippy_allowed) || analysis.required_at_startup(site) {
                    continue;
                }
                let message = format!(
                    "{} reachable from {} {} via {}",
                    site.what,
                    analysis.entry[chain[0].0].noun(),
                    handler.display(),
                    via.join(" -> ")
                );
                let mut diag =
                    Diagnostic::new(&Self::META, node.path(), site.span, message).with_help(HELP);
                diag.labels = labels.clone();
                diag.flow.push(label(
                    handler.path(),
                    handler.fact.name_span,
                    format!(
                        "{} {}",
                        analysis.entry[chain[0].0].noun(),
                        handler.display()
                    ),
                ));
                diag.flow.extend(labels.iter().cloned());
                diag.flow.push(label(
                    node.path(),
                    site.span,
                    format!("{} panics", site.what),
                ));
                out.push(diag);
            }
        }
    }
}

fn label(path: &str, span: crate::Span, message: String) -> Label {
    Label {
        location: Location {
            path: path.to_owned(),
            span,
        },
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::panics::unwrap_in_handler::UnwrapInHandler;
    use crate::testing::{assert_fixture, check_sources};
    use crate::{Settings, TargetKind};

    const LIB: TargetKind = TargetKind::Lib;

    fn check(files: &[(&str, TargetKind, &str)]) {
        assert_fixture(
            files,
            &[&UnwrapInHandler, &PanicReachableFromHandler],
            &Settings::default(),
        );
    }

    const ROUTES: &str = r#"
use crate::billing;
pub fn router() -> Router {
    Router::new().route("/orders", post(create_order)).route("/refunds", post(refund))
}
async fn create_order() -> u64 {
    billing::charge(1)
}
async fn refund() -> u64 {
    billing::charge(2)
}
"#;
    const BILLING: &str = r#"
pub fn charge(x: u64) -> u64 {
    super::pricing::total(x)
}
"#;
    const PRICING: &str = r#"
pub fn total(x: u64) -> u64 {
    x.checked_mul(3).unwrap() //~ RG202
}
"#;
    const LIB_RS: &str = "mod billing;\nmod pricing;\nmod routes;\n";

    #[test]
    fn one_finding_names_a_handler_and_the_chain_with_labels_and_flow() {
        let files = [
            ("src/lib.rs", LIB, LIB_RS),
            ("src/routes.rs", LIB, ROUTES),
            ("src/billing.rs", LIB, BILLING),
            ("src/pricing.rs", LIB, PRICING),
        ];
        check(&files);
        let diags = check_sources(&files, &[&PanicReachableFromHandler], &Settings::default());
        assert_eq!(diags.len(), 1, "reached from two handlers, reported once");
        let d = &diags[0];
        assert_eq!(
            d.message,
            "`.unwrap()` reachable from handler `routes::create_order` via `billing::charge` -> `pricing::total`"
        );
        let labels: Vec<(&str, u32)> = d
            .labels
            .iter()
            .map(|l| (l.location.path.as_str(), l.location.span.start.line))
            .collect();
        assert_eq!(labels, [("src/routes.rs", 7), ("src/billing.rs", 3)]);
        let flow: Vec<(&str, u32)> = d
            .flow
            .iter()
            .map(|l| (l.location.path.as_str(), l.location.span.start.line))
            .collect();
        assert_eq!(
            flow,
            [
                ("src/routes.rs", 6),
                ("src/routes.rs", 7),
                ("src/billing.rs", 3),
                ("src/pricing.rs", 3)
            ]
        );
        assert_eq!(d.severity, crate::Severity::Warning);
    }

    #[test]
    fn resolves_reexports_globs_self_and_associated_functions() {
        let lib = r#"
mod api;
mod svc;
pub use svc::inner::deep as reexported;
"#;
        let api = r#"
use crate::svc::*;
use crate::svc::Service as Svc;
#[get("/a")]
async fn a() { crate::reexported(); }
#[get("/b")]
async fn b() { helper(); }
#[get("/c")]
async fn c(s: Svc) { Svc::build_report(); s.compute(); }
"#;
        let svc = r#"
pub mod inner {
    pub fn deep() { panic!("deep") } //~ RG202
}
pub fn helper() { todo!() } //~ RG202
pub struct Service;
impl Service {
    pub fn build_report() -> u8 { Self::step() }
    fn step() -> u8 { unimplemented!() } //~ RG202
    pub fn compute(&self) -> u8 { self.finish() }
    fn finish(&self) -> u8 { Option::<u8>::None.expect("x") } //~ RG202
}
"#;
        check(&[
            ("src/lib.rs", LIB, lib),
            ("src/api.rs", LIB, api),
            ("src/svc.rs", LIB, svc),
        ]);
    }

    #[test]
    fn ambiguous_and_common_method_names_are_not_followed() {
        let src = r#"
#[get("/")]
async fn index(y: Foreign) {
    let x = make();
    x.render();
    x.get(1);
    x.unique();
    x.unique_with(1);
    y.unique();
}
struct A; struct B; struct C; struct D; struct U;
impl A { fn render(&self) { panic!() } }
impl B { fn render(&self) { panic!() } }
impl C { fn render(&self) { panic!() } }
impl D { fn render(&self) { panic!() } }
impl U {
    fn get(&self, i: u8) { panic!() }
    fn unique(&self) { panic!() } //~ RG202
    fn unique_with(&self) { panic!() }
}
"#;
        check(&[("src/lib.rs", LIB, src)]);
    }

    #[test]
    fn test_code_is_neither_handler_nor_callee() {
        let src = r#"
#[get("/")]
async fn index() { helpers::fixture(); only_in_tests(); }
fn only_in_tests() {}
fn used_by_tests() { panic!() }
#[cfg(test)]
mod helpers {
    pub fn fixture() { panic!() }
    #[test]
    fn t() { super::used_by_tests(); }
}
"#;
        check(&[("src/lib.rs", LIB, src)]);
    }

    #[test]
    fn a_crate_that_mixes_a_build_script_with_sources_still_has_handlers() {
        // Without Cargo information, a directory's files form one crate whose
        // first file may be `build.rs`: each file's own kind decides.
        let build = "fn main() { std::env::var(\"OUT_DIR\").unwrap(); }\n";
        let main = r#"
mod routes;
fn main() {}
"#;
        let routes = r#"
#[get("/")]
pub fn index() -> String {
    helper()
}
fn helper() -> String {
    std::env::var("HOME").unwrap() //~ RG202
}
"#;
        check(&[
            ("build.rs", TargetKind::BuildScript, build),
            ("src/main.rs", TargetKind::Unknown, main),
            ("src/routes.rs", TargetKind::Unknown, routes),
        ]);
    }

    #[test]
    fn clippy_allows_on_enclosing_items_suppress() {
        let src = r#"
#[get("/")]
async fn index() { a(); m::b(); S::c(); }
#[allow(clippy::panic)]
fn a() { panic!() }
#[allow(clippy::expect_used)]
mod m {
    pub fn b() { None::<u8>.expect("x"); }
}
struct S;
#[expect(clippy::unwrap_used, reason = "reviewed")]
impl S {
    fn c() { None::<u8>.unwrap(); }
}
"#;
        check(&[("src/lib.rs", LIB, src)]);
    }
}
