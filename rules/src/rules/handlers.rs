//! Recognising request handlers from syntax alone (RG201, RG202).
//!
//! Two kinds of evidence make a handler:
//! - on the function itself: a route attribute (actix-web, rocket), poem's and
//!   salvo's `#[handler]`, a method of a tonic service impl, or an attribute
//!   named in `[handlers] attributes`;
//! - a registration elsewhere that names the function (or passes a closure):
//!   axum method routers, actix `.to(f)`, warp filter chains, `service_fn(f)`.
//!   These are found here and resolved to functions in the crate phase.

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
        let route = ROUTE_ATTRIBUTES.contains(&last)
            && (segs.len() == 1 || (segs.len() == 2 && matches!(first, "actix_web" | "rocket")));
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
            "route" if matches!(m.args.len(), 1 | 2) => {
                if let Some(arg) = m.args.last() {
                    method_routers(arg, &mut out);
                }
            }
            "fallback" | "default_service" if m.args.len() == 1 => {
                direct(&m.args[0], None, &mut out);
                method_routers(&m.args[0], &mut out);
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
        syn::Expr::Call(c) if c.args.len() == 1 => {
            if let syn::Expr::Path(p) = &*c.func
                && p.path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "service_fn")
            {
                direct(&c.args[0], None, &mut out);
            }
        }
        _ => {}
    }
    out
}

/// A handler passed as is: a path or a closure.
fn direct<'a>(expr: &'a syn::Expr, needs_crate: Option<&'static str>, out: &mut Vec<Found<'a>>) {
    let handler = match expr {
        syn::Expr::Path(p) if p.qself.is_none() && p.path.leading_colon.is_none() => {
            HandlerExpr::Path(&p.path)
        }
        syn::Expr::Closure(c) => HandlerExpr::Closure(c),
        syn::Expr::Paren(p) => return direct(&p.expr, needs_crate, out),
        _ => return,
    };
    out.push(Found {
        handler,
        needs_crate,
    });
}

/// The handlers of a method-router chain: `get(f).post(g)`,
/// `axum::routing::on(filter, f)`, `web::get().to(f)`.
fn method_routers<'a>(expr: &'a syn::Expr, out: &mut Vec<Found<'a>>) {
    match expr {
        syn::Expr::Call(c) => {
            if let syn::Expr::Path(p) = &*c.func
                && p.path
                    .segments
                    .last()
                    .is_some_and(|s| METHOD_ROUTERS.contains(&s.ident.to_string().as_str()))
                && let Some(arg) = c.args.last()
            {
                direct(arg, None, out);
            }
        }
        syn::Expr::MethodCall(m) => {
            if METHOD_ROUTERS.contains(&m.method.to_string().as_str())
                && let Some(arg) = m.args.last()
            {
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
