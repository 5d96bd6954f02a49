//! Recognising request handlers from syntax alone (RG201, RG202).
//!
//! Two kinds of evidence make a handler:
//! - on the function itself: a route attribute (actix-web, rocket), poem's and
//!   salvo's `#[handler]`, a method of a tonic service impl, or an attribute
//!   named in `[handlers] attributes`;
//! - a registration elsewhere that names the function (or passes a closure):
//!   axum method routers, actix `.to(f)`, warp filter chains, `service_fn(f)`.
//!   These are found here and resolved to functions in the crate phase.

use serde::{Deserialize, Serialize};

use crate::Settings;
use crate::syntax::{path_segments, path_to_string};

/// actix-web and rocket route attributes.
const ROUTE_ATTRIBUTES: &[&str] = &[
    "get", "post", "put", "delete", "patch", "head", "options", "trace", "connect", "route",
    "routes", "catch",
];

/// axum method routers (`get(f)`, `get(f).post(g)`, `on(filter, f)`) and
/// actix's `to(f)`: the handler is the last argument.
const METHOD_ROUTERS: &[&str] = &[
    "get", "post", "put", "delete", "patch", "head", "options", "trace", "connect", "any", "on",
    "to",
];

/// Why `attrs` mark a handler, if they do.
pub fn handler_attribute(attrs: &[syn::Attribute], settings: &Settings) -> Option<String> {
    let configured_any = !settings.handlers.attributes.is_empty();
    attrs.iter().find_map(|attr| {
        let path = attr.path();
        // Most attributes are doc comments: decide on the last segment
        // before building any string.
        let last_ident = &path.segments.last()?.ident;
        if !configured_any
            && last_ident != "handler"
            && !ROUTE_ATTRIBUTES.iter().any(|r| last_ident == r)
        {
            return None;
        }
        let text = path_to_string(path);
        let segs = path_segments(path);
        let last = segs.last()?.as_str();
        let first = segs.first()?.as_str();
        let configured = settings.handlers.attributes.iter().any(|a| {
            let a = a.trim_start_matches("::");
            a == text || (segs.len() == 1 && a.rsplit("::").next() == Some(last))
        });
        if configured {
            return Some(format!("`#[{text}]` is in `[handlers] attributes`"));
        }
        // Bare, actix-web's and rocket's, or a project's own route macro
        // (`#[my_codegen::post(path = "..")]`) whose last segment is a verb.
        // (Not `trace`: `#[fastrace::trace]` and the like instrument functions.)
        let route = ROUTE_ATTRIBUTES.contains(&last)
            && (segs.len() == 1
                || matches!(first, "actix_web" | "rocket")
                || matches!(last, "get" | "post" | "put" | "delete" | "patch" | "route"));
        let handler = last == "handler"
            && (segs.len() == 1 || (segs.len() == 2 && matches!(first, "poem" | "salvo")));
        (route || handler).then(|| format!("`#[{text}]` route attribute"))
    })
}

/// An `impl Trait for T` under `#[tonic::async_trait]`.
pub fn tonic_impl(imp: &syn::ItemImpl) -> bool {
    imp.trait_.is_some()
        && imp
            .attrs
            .iter()
            .any(|a| path_to_string(a.path()) == "tonic::async_trait")
}

/// A parameter typed `tonic::Request<..>` or `Request<..>`.
pub fn takes_request(sig: &syn::Signature) -> bool {
    sig.inputs.iter().any(|arg| {
        let syn::FnArg::Typed(t) = arg else {
            return false;
        };
        let syn::Type::Path(p) = &*t.ty else {
            return false;
        };
        let segs = path_segments(&p.path);
        let generic = p
            .path
            .segments
            .last()
            .is_some_and(|s| matches!(s.arguments, syn::PathArguments::AngleBracketed(_)));
        generic
            && matches!(
                segs.iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .as_slice(),
                ["Request"] | ["tonic", "Request"]
            )
    })
}

/// What a registration names as the handler.
pub enum HandlerExpr<'a> {
    /// `create`, `routes::orders::create`, `Self::create`.
    Path(&'a syn::Path),
    /// `|| async { .. }`: the closure is the handler.
    Closure(&'a syn::ExprClosure),
}

/// One handler named by a registration.
pub struct Found<'a> {
    pub handler: HandlerExpr<'a>,
    /// Only counts if the file imports this crate.
    pub needs_crate: Option<&'static str>,
    /// A handler, or middleware (`from_fn(f)`, `wrap_fn(..)`).
    pub entry: EntryKind,
}

/// What kind of request entry point a function is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntryKind {
    /// A route handler.
    #[default]
    Handler,
    /// An extractor impl (`FromRequestParts`, `FromRequest`).
    Extractor,
    /// A middleware function or `Service::call` of a middleware.
    Middleware,
    /// A GraphQL resolver (`#[Object]`, `#[graphql_object]`).
    Resolver,
    /// A hyper/tower `Service<Request<..>>` impl.
    Service,
}

impl EntryKind {
    /// How messages name it.
    pub fn noun(self) -> &'static str {
        match self {
            EntryKind::Handler => "handler",
            EntryKind::Extractor => "extractor",
            EntryKind::Middleware => "middleware",
            EntryKind::Resolver => "GraphQL resolver",
            EntryKind::Service => "service",
        }
    }
}

/// Whether an `impl` makes its method `method` a request entry point:
/// `impl FromRequestParts<S> for T` (axum), `impl FromRequest for T` (axum,
/// actix-web, rocket), `impl Service<ServiceRequest> for M` (actix-web
/// middleware), `impl Service<Request<B>> for S` (hyper, tower), and the
/// methods of GraphQL object impls (`#[Object]`, `#[ComplexObject]`,
/// `#[Subscription]` of async-graphql, `#[graphql_object]` of juniper).
pub fn impl_entry(imp: &syn::ItemImpl, method: &syn::Ident) -> Option<(EntryKind, String)> {
    if let Some((path, _)) = &imp.trait_ {
        let last = path.segments.last()?;
        let name = last.ident.to_string();
        match name.as_str() {
            "FromRequestParts"
            | "FromRequest"
            | "OptionalFromRequestParts"
            | "OptionalFromRequest"
                if method == "from_request_parts" || method == "from_request" =>
            {
                return Some((EntryKind::Extractor, format!("`impl {name}`")));
            }
            "Service" if method == "call" => {
                let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
                    return None;
                };
                let arg = args.args.first()?;
                let syn::GenericArgument::Type(syn::Type::Path(p)) = arg else {
                    return None;
                };
                let ty = p.path.segments.last()?.ident.to_string();
                return match ty.as_str() {
                    "ServiceRequest" => Some((
                        EntryKind::Middleware,
                        "`impl Service<ServiceRequest>`".to_owned(),
                    )),
                    "Request" => Some((EntryKind::Service, "`impl Service<Request>`".to_owned())),
                    _ => None,
                };
            }
            _ => return None,
        }
    }
    imp.attrs.iter().find_map(|a| {
        let segs = path_segments(a.path());
        let last = segs.last()?.as_str();
        matches!(
            last,
            "Object" | "ComplexObject" | "Subscription" | "graphql_object" | "graphql_subscription"
        )
        .then(|| {
            (
                EntryKind::Resolver,
                format!("`#[{}]` impl", segs.join("::")),
            )
        })
    })
}

/// The handlers an expression registers directly (not those of its
/// sub-expressions, which the walk visits on their own):
/// - `.route(path, get(f).post(g))` (axum), `.route(path, web::get().to(f))`
///   and `.route(web::post().to(f))` (actix): every method router in the
///   argument's call chain;
/// - `.fallback(f)` (axum), `.default_service(f)` (actix);
/// - `.to(f)` (actix) when the chain starts at a `web::` call or the file
///   imports `actix_web`;
/// - `.map(f)`, `.and_then(f)`, `.then(f)` on a warp filter chain (one that
///   starts at `warp::..` or `path!`, or contains `.and(..)`/`.or(..)`) in a
///   file that imports warp;
/// - `service_fn(f)` (hyper, lambda_http, tower).
///
/// `method` is the method's name when `expr` is a method call: the caller
/// has it already (`Ident::to_string` allocates).
pub fn registrations<'e>(expr: &'e syn::Expr, method: Option<&str>) -> Vec<Found<'e>> {
    let mut out = Vec::new();
    match expr {
        syn::Expr::MethodCall(m) => match method.unwrap_or_default() {
            "route" | "api_route" if matches!(m.args.len(), 1 | 2) => {
                if let Some(arg) = m.args.last() {
                    method_routers(arg, &mut out);
                }
            }
            "api_route_with" if m.args.len() == 3 => method_routers(&m.args[1], &mut out),
            "route_service" | "nest_service" if m.args.len() == 2 => {
                direct(&m.args[1], None, &mut out);
            }
            "fallback" | "default_service" | "fallback_service" if m.args.len() == 1 => {
                direct(&m.args[0], None, &mut out);
                method_routers(&m.args[0], &mut out);
            }
            "wrap_fn" if m.args.len() == 1 => {
                direct_kind(&m.args[0], None, EntryKind::Middleware, &mut out);
            }
            "to" if m.args.len() == 1 => {
                let needs = if chain_mentions(&m.receiver, "web") {
                    None
                } else {
                    Some("actix_web")
                };
                direct(&m.args[0], needs, &mut out);
            }
            "map" | "and_then" | "then" if m.args.len() == 1 && is_warp_chain(&m.receiver) => {
                direct(&m.args[0], Some("warp"), &mut out);
            }
            _ => {}
        },
        syn::Expr::Call(c) if !c.args.is_empty() => {
            let syn::Expr::Path(p) = &*c.func else {
                return out;
            };
            let Some(last) = p.path.segments.last() else {
                return out;
            };
            let f = &last.ident;
            if f == "service_fn" && c.args.len() == 1 {
                direct(&c.args[0], None, &mut out);
            } else if (f == "from_fn"
                || f == "from_fn_with_state"
                || f == "map_request"
                || f == "map_request_with_state"
                || f == "map_response"
                || f == "map_response_with_state")
                && let Some(arg) = c.args.last()
            {
                direct_kind(arg, None, EntryKind::Middleware, &mut out);
            }
        }
        _ => {}
    }
    out
}

/// A handler passed as is: a path or a closure, or one wrapped in
/// `h.layer(..)`, `h.with_state(..)`, `h.into_service()`.
fn direct<'a>(expr: &'a syn::Expr, needs_crate: Option<&'static str>, out: &mut Vec<Found<'a>>) {
    direct_kind(expr, needs_crate, EntryKind::Handler, out);
}

fn direct_kind<'a>(
    expr: &'a syn::Expr,
    needs_crate: Option<&'static str>,
    entry: EntryKind,
    out: &mut Vec<Found<'a>>,
) {
    let handler = match expr {
        syn::Expr::Path(p) if p.qself.is_none() && p.path.leading_colon.is_none() => {
            HandlerExpr::Path(&p.path)
        }
        syn::Expr::Closure(c) => HandlerExpr::Closure(c),
        syn::Expr::Paren(p) => return direct_kind(&p.expr, needs_crate, entry, out),
        syn::Expr::MethodCall(m)
            if m.method == "layer"
                || m.method == "with_state"
                || m.method == "into_service"
                || m.method == "route_layer" =>
        {
            return direct_kind(&m.receiver, needs_crate, entry, out);
        }
        _ => return,
    };
    out.push(Found {
        handler,
        needs_crate,
        entry,
    });
}

/// The handler argument of a method router named `name`: the last argument
/// of `get(f)`, `on(filter, f)`, `get_service(svc)`; the first of aide's
/// `get_with(f, docs)`.
fn router_arg<'a>(
    name: &syn::Ident,
    args: &'a syn::punctuated::Punctuated<syn::Expr, syn::Token![,]>,
) -> Option<&'a syn::Expr> {
    let name = name.to_string();
    if METHOD_ROUTERS.contains(&name.as_str()) {
        return args.last();
    }
    let base = name
        .strip_suffix("_service")
        .or_else(|| name.strip_suffix("_with"))?;
    if !METHOD_ROUTERS.contains(&base) || base == "to" {
        return None;
    }
    if name.ends_with("_with") {
        args.first()
    } else {
        args.last()
    }
}

/// The handlers of a method-router chain: `get(f).post(g)`,
/// `axum::routing::on(filter, f)`, `web::get().to(f)`, `get_service(svc)`,
/// aide's `get_with(f, docs)`.
fn method_routers<'a>(expr: &'a syn::Expr, out: &mut Vec<Found<'a>>) {
    match expr {
        syn::Expr::Call(c) => {
            if let syn::Expr::Path(p) = &*c.func
                && let Some(last) = p.path.segments.last()
                && let Some(arg) = router_arg(&last.ident, &c.args)
            {
                direct(arg, None, out);
            }
        }
        syn::Expr::MethodCall(m) => {
            if let Some(arg) = router_arg(&m.method, &m.args) {
                direct(arg, None, out);
            }
            method_routers(&m.receiver, out);
        }
        syn::Expr::Paren(p) => method_routers(&p.expr, out),
        _ => {}
    }
}

/// The receivers of a method-call chain, outermost first, ending at its root.
fn chain(expr: &syn::Expr) -> Vec<&syn::Expr> {
    let mut out = vec![expr];
    let mut cur = expr;
    while let syn::Expr::MethodCall(m) = cur {
        cur = &m.receiver;
        out.push(cur);
    }
    out
}

/// Whether a call or macro in the chain has a path that starts with `name`.
fn chain_mentions(expr: &syn::Expr, name: &str) -> bool {
    chain(expr).iter().any(|e| match e {
        syn::Expr::Call(c) => matches!(&*c.func, syn::Expr::Path(p) if p.path.segments.first().is_some_and(|s| s.ident == name)),
        syn::Expr::Macro(m) => m.mac.path.segments.first().is_some_and(|s| s.ident == name),
        _ => false,
    })
}

fn is_warp_chain(expr: &syn::Expr) -> bool {
    chain_mentions(expr, "warp")
        || chain(expr).iter().any(|e| match e {
            syn::Expr::MethodCall(m) => matches!(m.method.to_string().as_str(), "and" | "or"),
            syn::Expr::Macro(m) => m.mac.path.is_ident("path"),
            _ => false,
        })
}
