//! Per-file facts of the panic rules (RG201, RG202) and their recording.
//!
//! During the single walk of a file, the first enabled panic rule records what
//! the crate phase needs: the functions (with their panic sites and call
//! sites), `use` imports, handler registrations and clippy allows. Which
//! function is a handler and what it reaches is decided once per crate, in
//! [`super::call_graph`], because a handler is usually registered in another
//! function (often another file) than the one that defines it.

use serde::{Deserialize, Serialize};
use syn::punctuated::Punctuated;

use super::call_graph::COMMON_METHODS;
use super::handlers;
use super::panic_exempt::{self as exempt, Scratch};
use crate::syntax::{last_segment, path_segments};
use crate::{Ctx, Out, Rule, RuleMeta, Span, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports nothing: records, for RG201 and RG202, the functions, `use`
    /// declarations, handler registrations, calls and panic sites of each
    /// file. It runs once per file when either rule is enabled.
    ///
    /// ## Why is this bad?
    /// Not applicable: this is a fact collector, not a rule.
    ///
    /// ## Example
    /// ```rust
    /// // nothing to report
    /// ```
    ///
    /// Use instead:
    /// ```rust
    /// // nothing to change
    /// ```
    pub struct PanicFactsCollector {
        code: "facts-panic",
        name: "panic-facts",
        severity: Note,
        summary: "records the facts of the panic rules",
        tags: [],
        precision: "very-high",
    }
}

impl Rule for PanicFactsCollector {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads_test_code(&self) -> bool {
        false
    }

    fn check_file(&self, _cx: &Ctx<'_>, file: &syn::File, out: &mut Out) {
        record_file(file, out);
    }

    // Test code is never a handler nor reached from one, and its `use`s and
    // functions must not change how production code resolves: nothing of it
    // is recorded (so skipping its walk changes nothing).

    fn check_item(&self, cx: &Ctx<'_>, item: &syn::Item, out: &mut Out) {
        if !cx.in_test() {
            record_item(cx, item, out);
        }
    }

    fn check_impl_item(&self, cx: &Ctx<'_>, item: &syn::ImplItem, out: &mut Out) {
        if !cx.in_test() {
            record_impl_item(cx, item, out);
        }
    }

    fn check_trait_item(&self, cx: &Ctx<'_>, item: &syn::TraitItem, out: &mut Out) {
        if !cx.in_test() {
            record_trait_item(cx, item, out);
        }
    }

    fn check_expr(&self, cx: &Ctx<'_>, expr: &syn::Expr, out: &mut Out) {
        if !cx.in_test() {
            record_expr(cx, expr, out);
        }
    }

    fn check_local(&self, cx: &Ctx<'_>, local: &syn::Local, out: &mut Out) {
        if !cx.in_test() {
            record_local(local, out);
        }
    }

    fn check_macro(&self, cx: &Ctx<'_>, mac: &syn::Macro, out: &mut Out) {
        if !cx.in_test() {
            record_macro(cx, mac, out);
        }
    }
}

/// What one file records for the panic rules. Plain data.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PanicFacts {
    /// Functions, methods and registered handler closures, in source order.
    pub fns: Vec<FnFact>,
    /// `use` declarations, flattened: one entry per imported name or glob.
    pub uses: Vec<UseFact>,
    /// Functions named as handlers by a registration (`get(create)`, `.to(f)`).
    pub registrations: Vec<Registration>,
    /// Inline modules (`mod a { .. }`) with their clippy allows.
    pub module_allows: Vec<(Vec<String>, Vec<String>)>,
    /// Clippy lints allowed for the whole file (`#![allow(clippy::..)]`).
    pub file_allows: Vec<String>,
    /// Named fields of structs: (struct, field, type path as written).
    pub fields: Vec<(String, String, Vec<String>)>,
    /// The walk's own state: guards, spawned regions, local types.
    #[serde(skip)]
    pub scratch: Scratch,
}

/// A function, method or registered closure.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FnFact {
    /// `create_order`; `closure` for registered closures.
    pub name: String,
    /// Inline modules of this file around the function, outermost first.
    pub inline_modules: Vec<String>,
    /// The `impl` (or `trait`) self type's last segment, for methods.
    pub self_ty: Option<String>,
    /// The implemented trait's last segment, for methods of `impl Trait for T`.
    pub trait_name: Option<String>,
    /// Takes `self` (a method rather than an associated function).
    pub has_self: bool,
    /// A closure registered as a handler, not a named function.
    pub closure: bool,
    /// Why this is a handler by itself (an attribute, a tonic impl, a
    /// registered closure); registrations by name are resolved later.
    pub handler: Option<String>,
    /// A method of `impl Trait for T` taking `Request<..>`: a tonic handler if
    /// the file imports tonic.
    pub tonic_request: bool,
    /// What kind of entry point `handler` makes it.
    pub entry: handlers::EntryKind,
    /// Parameters besides `self`.
    pub params: usize,
    /// Defined inside a function body (an `impl` or `fn` nested in a `fn`):
    /// never the target of a call resolved by name.
    pub nested: bool,
    /// A provided method of a trait.
    pub in_trait: bool,
    pub name_span: Span,
    /// The whole item (or closure): sites inside it belong to it unless a
    /// later, inner function contains them.
    pub body: Span,
    pub panics: Vec<PanicSite>,
    pub calls: Vec<CallSite>,
}

/// Something that panics: `.unwrap()`, `panic!`, ...
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PanicSite {
    pub span: Span,
    /// As shown in messages: `` `.unwrap()` ``, `` `panic!` ``.
    pub what: String,
    /// An enclosing item allows the matching clippy lint.
    pub clippy_allowed: bool,
    /// `env::var("NAME").unwrap()`: the variable's name.
    pub env: Option<String>,
}

/// A call inside a function.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallSite {
    pub span: Span,
    pub callee: Callee,
}

/// What a call names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Callee {
    /// `f()`, `billing::charge()`, `Service::compute()`, `Self::new()`.
    Path(Vec<String>),
    /// `x.compute(a, b)`: the method, what syntax says of the receiver, and
    /// the number of arguments.
    Method {
        name: String,
        recv: Recv,
        args: usize,
    },
}

/// What syntax says about a method call's receiver.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Recv {
    /// Anything else.
    Unknown,
    /// `self`.
    SelfValue,
    /// A parameter or local with a declared or evident type (the type's path
    /// as written: `Svc`, `crate::a::Svc`, `jwt_simple::HS256Key`).
    Typed(Vec<String>),
    /// `self.field`.
    SelfField(String),
    /// A constant or static imported from this path (`URL_SAFE_NO_PAD`).
    Constant(String),
}

/// One imported name (`use a::b as c` -> alias `c`, path `a::b`) or glob
/// (`use a::*` -> no alias, path `a`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UseFact {
    pub inline_modules: Vec<String>,
    pub alias: Option<String>,
    pub path: Vec<String>,
}

/// A function named as a handler by a registration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Registration {
    pub inline_modules: Vec<String>,
    /// The impl self type around the registration, for `Self::f`.
    pub self_ty: Option<String>,
    pub path: Vec<String>,
    pub span: Span,
    /// Only a registration if the file imports this crate (`warp`, `actix_web`).
    pub needs_crate: Option<String>,
    /// A handler or middleware.
    pub entry: handlers::EntryKind,
}

impl PanicFacts {
    /// The innermost recorded function containing `span`.
    fn fn_at(&mut self, span: Span) -> Option<&mut FnFact> {
        self.fns.iter_mut().rev().find(|f| contains(f.body, span))
    }

    /// The extent of the innermost recorded function containing `span`.
    fn body_at(&self, span: Span) -> Option<Span> {
        self.fns
            .iter()
            .rev()
            .find(|f| contains(f.body, span))
            .map(|f| f.body)
    }

    /// Whether the file imports the crate `name` anywhere.
    pub fn imports_crate(&self, name: &str) -> bool {
        self.uses
            .iter()
            .any(|u| u.path.first().is_some_and(|s| s == name))
    }
}

/// `inner` lies within `outer`.
pub fn contains(outer: Span, inner: Span) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

fn record_file(file: &syn::File, out: &mut Out) {
    {
        out.facts.panic.file_allows = clippy_allows(&file.attrs);
    }
}

fn record_item(cx: &Ctx<'_>, item: &syn::Item, out: &mut Out) {
    let facts = &mut out.facts.panic;
    match item {
        syn::Item::Fn(f) => {
            let body = fn_extent(&f.sig, &f.block);
            record_params(&mut facts.scratch, body, &f.sig);
            facts.fns.push(FnFact {
                name: f.sig.ident.to_string(),
                inline_modules: cx.inline_modules().to_vec(),
                handler: handlers::handler_attribute(&f.attrs, cx.settings),
                name_span: Span::of(&f.sig.ident),
                body,
                params: f.sig.inputs.len(),
                nested: !cx.fns().is_empty(),
                ..FnFact::default()
            });
        }
        syn::Item::Struct(st) => {
            if let syn::Fields::Named(named) = &st.fields {
                for field in &named.named {
                    if let (Some(id), Some(ty)) = (&field.ident, type_path(&field.ty))
                        // `repo: R` with `R: Repo`: resolved by name.
                        && !matches!(ty.as_slice(), [one]
                            if st.generics.type_params().any(|p| p.ident == one))
                    {
                        facts
                            .fields
                            .push((st.ident.to_string(), id.to_string(), ty));
                    }
                }
            }
        }
        syn::Item::Use(u) => {
            let mut prefix = Vec::new();
            crate::syntax::flatten_use(&u.tree, &mut prefix, &mut |alias, path| {
                facts.uses.push(UseFact {
                    inline_modules: cx.inline_modules().to_vec(),
                    alias,
                    path,
                });
            });
        }
        syn::Item::Mod(m) if m.content.is_some() => {
            let allows = clippy_allows(&m.attrs);
            if !allows.is_empty() {
                let mut path = cx.inline_modules().to_vec();
                path.push(m.ident.to_string());
                facts.module_allows.push((path, allows));
            }
        }
        _ => {}
    }
}

/// From `fn` to the closing brace: what a panic site or call must lie in to
/// belong to the function. (`Span::of(item)` would print the whole item to
/// tokens to find its end.)
fn fn_extent(sig: &syn::Signature, block: &syn::Block) -> Span {
    Span::join(
        Span::of(&sig.fn_token),
        Span::from(block.brace_token.span.close()),
    )
}

fn record_impl_item(cx: &Ctx<'_>, item: &syn::ImplItem, out: &mut Out) {
    let (syn::ImplItem::Fn(f), Some(imp)) = (item, cx.current_impl()) else {
        return;
    };
    let mut entry = handlers::EntryKind::Handler;
    let handler = handlers::handler_attribute(&f.attrs, cx.settings)
        .or_else(|| {
            handlers::tonic_impl(imp)
                .then(|| "a method of a `#[tonic::async_trait]` impl".to_owned())
        })
        .or_else(|| {
            let (kind, why) = handlers::impl_entry(imp, &f.sig.ident)?;
            entry = kind;
            Some(why)
        });
    let tonic_request = imp.trait_.is_some() && handlers::takes_request(&f.sig);
    let body = fn_extent(&f.sig, &f.block);
    record_params(&mut out.facts.panic.scratch, body, &f.sig);
    out.facts.panic.fns.push(FnFact {
        name: f.sig.ident.to_string(),
        inline_modules: cx.inline_modules().to_vec(),
        self_ty: type_name(&imp.self_ty),
        trait_name: imp.trait_.as_ref().and_then(|(p, _)| last_segment(p)),
        has_self: f.sig.receiver().is_some(),
        handler,
        tonic_request,
        entry,
        name_span: Span::of(&f.sig.ident),
        body,
        params: f.sig.inputs.len() - usize::from(f.sig.receiver().is_some()),
        nested: !cx.fns().is_empty(),
        ..FnFact::default()
    });
}

fn record_trait_item(cx: &Ctx<'_>, item: &syn::TraitItem, out: &mut Out) {
    let (syn::TraitItem::Fn(f), Some(tr)) = (item, cx.current_trait()) else {
        return;
    };
    if f.default.is_none() {
        return;
    }
    out.facts.panic.fns.push(FnFact {
        name: f.sig.ident.to_string(),
        inline_modules: cx.inline_modules().to_vec(),
        self_ty: Some(tr.ident.to_string()),
        has_self: f.sig.receiver().is_some(),
        params: f.sig.inputs.len() - usize::from(f.sig.receiver().is_some()),
        nested: !cx.fns().is_empty(),
        in_trait: true,
        name_span: Span::of(&f.sig.ident),
        body: f
            .default
            .as_ref()
            .map_or_else(|| Span::of(&f.sig), |b| fn_extent(&f.sig, b)),
        ..FnFact::default()
    });
}

const UNWRAPS: &[(&str, usize, &str)] = &[
    ("unwrap", 0, "unwrap_used"),
    ("unwrap_err", 0, "unwrap_used"),
    ("expect", 1, "expect_used"),
    ("expect_err", 1, "expect_used"),
];

fn record_expr(cx: &Ctx<'_>, expr: &syn::Expr, out: &mut Out) {
    let method = match expr {
        syn::Expr::MethodCall(m) => Some(m.method.to_string()),
        _ => None,
    };
    for found in handlers::registrations(expr, method.as_deref()) {
        record_registration(cx, found, out);
    }
    match expr {
        syn::Expr::If(i) => {
            let at = Span::from(i.if_token.span);
            let end = out.facts.panic.body_at(at);
            exempt::record_guards(&mut out.facts.panic.scratch, expr, end);
        }
        syn::Expr::Binary(_) | syn::Expr::Match(_) => {
            exempt::record_guards(&mut out.facts.panic.scratch, expr, None)
        }
        syn::Expr::Assign(a) => {
            let at = Span::of(&a.eq_token);
            let end = out.facts.panic.body_at(at);
            exempt::record_guards(&mut out.facts.panic.scratch, expr, end);
        }
        _ => {}
    }
    if matches!(expr, syn::Expr::Closure(_) | syn::Expr::Async(_)) {
        let region = exempt::extent(expr);
        out.facts.panic.scratch.deferred.push(region);
    }
    if !cx.settings.unwrap_in_handler.follow_spawned
        && let Some(arg) = exempt::spawned_arg(expr)
    {
        let region = exempt::extent(arg);
        out.facts.panic.scratch.spawned.push(region);
    }
    match expr {
        syn::Expr::MethodCall(m) => {
            let name = method.unwrap_or_default();
            let span = Span::of(&m.method);
            if let Some((_, _, lint)) = UNWRAPS
                .iter()
                .find(|(n, arity, _)| *n == name && *arity == m.args.len())
            {
                if exempt::exempt(cx, &mut out.facts.panic.scratch, m, span)
                    || (!cx.settings.unwrap_in_handler.documented
                        && exempt::documented(&mut out.facts.panic.scratch, cx.source, span))
                {
                    return;
                }
                let what = format!("`.{name}()`");
                let env = exempt::env_var(&m.receiver);
                record_panic(cx, out, span, what, &[lint], env);
            } else {
                let recv = receiver(&out.facts.panic.scratch, &m.receiver, span);
                // Never resolved on unknown receivers: not worth keeping.
                if recv != Recv::Unknown || !COMMON_METHODS.contains(&name.as_str()) {
                    let args = m.args.len();
                    record_call(out, span, Callee::Method { name, recv, args });
                }
            }
        }
        syn::Expr::Call(c) => {
            let syn::Expr::Path(p) = &*c.func else {
                return;
            };
            if p.qself.is_some() || p.path.leading_colon.is_some() {
                return;
            }
            let segs = path_segments(&p.path);
            let span = Span::of(&p.path);
            if let [.., ty, f] = segs.as_slice()
                && matches!(ty.as_str(), "Option" | "Result")
                && let Some((_, _, lint)) = UNWRAPS.iter().find(|(n, _, _)| n == f)
            {
                record_panic(cx, out, span, format!("`{ty}::{f}`"), &[lint], None);
            } else {
                record_call(out, span, Callee::Path(segs));
            }
        }
        syn::Expr::Index(i) if cx.settings.unwrap_in_handler.indexing => {
            let span = Span::join(Span::of(&i.expr), Span::of(&i.bracket_token.span.join()));
            record_panic(
                cx,
                out,
                span,
                "indexing".to_owned(),
                &["indexing_slicing"],
                None,
            );
        }
        _ => {}
    }
}

fn record_macro(cx: &Ctx<'_>, mac: &syn::Macro, out: &mut Out) {
    // utoipa_axum's `routes!(a, b)` (and rocket's `routes![..]`): each name
    // is a handler.
    if mac
        .path
        .segments
        .last()
        .is_some_and(|s| s.ident == "routes")
        && let Some(args) = crate::syntax::macro_args(mac)
    {
        for arg in &args {
            if let syn::Expr::Path(p) = arg {
                out.facts.panic.registrations.push(Registration {
                    inline_modules: cx.inline_modules().to_vec(),
                    self_ty: cx.current_impl().and_then(|i| type_name(&i.self_ty)),
                    path: path_segments(&p.path),
                    span: Span::of(&p.path),
                    needs_crate: None,
                    entry: handlers::EntryKind::Handler,
                });
            }
        }
        return;
    }
    let segs = path_segments(&mac.path);
    let (name, std_path) = match segs.as_slice() {
        [name] => (name.as_str(), true),
        [krate, name] => (name.as_str(), matches!(krate.as_str(), "std" | "core")),
        _ => return,
    };
    if !std_path {
        return;
    }
    let lints: &[&str] = match name {
        "panic" => &["panic"],
        "unreachable" if cx.settings.unwrap_in_handler.unreachable => &["unreachable", "panic"],
        "unreachable" => return,
        "todo" => &["todo", "panic"],
        "unimplemented" => &["unimplemented", "panic"],
        "assert" | "assert_eq" | "assert_ne" if cx.settings.unwrap_in_handler.asserts => &[],
        _ => return,
    };
    let span = Span::join(Span::of(&mac.path), Span::of(&mac.bang_token));
    record_panic(cx, out, span, format!("`{name}!`"), lints, None);
}

/// `env`: the environment variable the panic site unwraps, if any
/// (`env::var("X").unwrap()`).
fn record_panic(
    cx: &Ctx<'_>,
    out: &mut Out,
    span: Span,
    what: String,
    lints: &[&str],
    env: Option<String>,
) {
    if out.facts.panic.scratch.in_spawned(span) {
        return;
    }
    let clippy_allowed = is_clippy_allowed(cx, &out.facts.panic, lints);
    if let Some(f) = out.facts.panic.fn_at(span) {
        f.panics.push(PanicSite {
            span,
            what,
            clippy_allowed,
            env,
        });
    }
}

fn record_call(out: &mut Out, span: Span, callee: Callee) {
    if out.facts.panic.scratch.in_spawned(span) {
        return;
    }
    if let Some(f) = out.facts.panic.fn_at(span) {
        f.calls.push(CallSite { span, callee });
    }
}

fn record_registration(cx: &Ctx<'_>, found: handlers::Found<'_>, out: &mut Out) {
    let facts = &mut out.facts.panic;
    match found.handler {
        handlers::HandlerExpr::Path(path) => facts.registrations.push(Registration {
            inline_modules: cx.inline_modules().to_vec(),
            self_ty: cx.current_impl().and_then(|i| type_name(&i.self_ty)),
            path: path_segments(path),
            span: Span::of(path),
            needs_crate: found.needs_crate.map(str::to_owned),
            entry: found.entry,
        }),
        handlers::HandlerExpr::Closure(closure) => {
            let body = Span::of(closure);
            if facts.fns.iter().any(|f| f.closure && f.body == body) {
                return;
            }
            if found.needs_crate.is_some_and(|c| !facts.imports_crate(c)) {
                return;
            }
            facts.fns.push(FnFact {
                name: "closure".to_owned(),
                inline_modules: cx.inline_modules().to_vec(),
                closure: true,
                handler: Some("a registered closure".to_owned()),
                entry: found.entry,
                name_span: Span::of(&closure.inputs_begin),
                body,
                ..FnFact::default()
            });
        }
    }
}

/// Whether an enclosing item (function, impl, trait, inline module, file)
/// allows one of the clippy `lints`.
fn is_clippy_allowed(cx: &Ctx<'_>, facts: &PanicFacts, lints: &[&str]) -> bool {
    let hit = |allows: &[String]| allows.iter().any(|a| lints.contains(&a.as_str()));
    cx.fns().iter().any(|f| hit(&clippy_allows(f.attrs)))
        || cx
            .current_impl()
            .is_some_and(|i| hit(&clippy_allows(&i.attrs)))
        || cx
            .current_trait()
            .is_some_and(|t| hit(&clippy_allows(&t.attrs)))
        || facts
            .module_allows
            .iter()
            .any(|(path, allows)| cx.inline_modules().starts_with(path) && hit(allows))
        || hit(&facts.file_allows)
}

/// The clippy lints named in `#[allow(..)]` and `#[expect(..)]` attributes.
pub fn clippy_allows(attrs: &[syn::Attribute]) -> Vec<String> {
    let mut out = Vec::new();
    for attr in attrs {
        if !(attr.path().is_ident("allow") || attr.path().is_ident("expect")) {
            continue;
        }
        let Ok(metas) =
            attr.parse_args_with(Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated)
        else {
            continue;
        };
        for meta in metas {
            if let syn::Meta::Path(p) = meta
                && p.segments.len() == 2
                && p.segments[0].ident == "clippy"
            {
                out.push(p.segments[1].ident.to_string());
            }
        }
    }
    out
}

/// The last path segment of a type (`&mut crate::Svc<T>` -> `Svc`).
fn type_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => last_segment(&p.path),
        syn::Type::Reference(r) => type_name(&r.elem),
        syn::Type::Paren(p) => type_name(&p.elem),
        _ => None,
    }
}

/// Records the types of a function's parameters for the walk of its body:
/// `x: T`, `x: &T`, `State(x): State<T>`, `Json(x): Json<T>`.
///
/// A parameter typed by a generic parameter (`r: R` with `R: Repo`) gets no
/// type: its calls resolve by name, like a trait object's.
fn record_params(scratch: &mut Scratch, body: Span, sig: &syn::Signature) {
    let generic = |ty: &[String]| match ty {
        [one] => sig.generics.type_params().any(|p| p.ident == one),
        _ => false,
    };
    for arg in &sig.inputs {
        let syn::FnArg::Typed(t) = arg else {
            continue;
        };
        match &*t.pat {
            syn::Pat::Ident(id) => {
                if let Some(ty) = type_path(&t.ty)
                    && !generic(&ty)
                {
                    scratch.add_local(body, id.ident.to_string(), ty);
                }
            }
            syn::Pat::TupleStruct(ts) if ts.elems.len() == 1 => {
                if let Some(syn::Pat::Ident(id)) = ts.elems.first()
                    && let Some(inner) = generic_arg(&t.ty)
                    && let Some(ty) = type_path(inner)
                    && !generic(&ty)
                {
                    scratch.add_local(body, id.ident.to_string(), ty);
                }
            }
            _ => {}
        }
    }
}

/// The single generic type argument of a path type: `State<T>` -> `T`.
fn generic_arg(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(p) = strip_ty(ty) else {
        return None;
    };
    let syn::PathArguments::AngleBracketed(a) = &p.path.segments.last()?.arguments else {
        return None;
    };
    let mut types = a.args.iter().filter_map(|g| match g {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    });
    let first = types.next()?;
    types.next().is_none().then_some(first)
}

fn strip_ty(ty: &syn::Type) -> &syn::Type {
    match ty {
        syn::Type::Reference(r) => strip_ty(&r.elem),
        syn::Type::Paren(p) => strip_ty(&p.elem),
        syn::Type::Group(g) => strip_ty(&g.elem),
        _ => ty,
    }
}

/// A type's path as written, through references and the smart pointers a
/// method call sees through (`&Arc<crate::Svc>` -> `crate::Svc`).
pub fn type_path(ty: &syn::Type) -> Option<Vec<String>> {
    let syn::Type::Path(p) = strip_ty(ty) else {
        return None;
    };
    if p.qself.is_some() {
        return None;
    }
    let last = p.path.segments.last()?;
    if matches!(
        last.ident.to_string().as_str(),
        "Arc" | "Rc" | "Box" | "Data" | "State" | "Extension"
    ) && let Some(inner) = generic_arg(ty)
    {
        return type_path(inner);
    }
    Some(path_segments(&p.path))
}

/// Records the type of `let x: T = ..`, `let x = T::new(..)`,
/// `let x = T { .. }`, `let s = String::new()`/`format!(..)`, and
/// `let h = tokio::spawn(..)`.
fn record_local(local: &syn::Local, out: &mut Out) {
    let facts = &mut out.facts.panic;
    let (pat, declared) = match &local.pat {
        syn::Pat::Type(t) => (&*t.pat, type_path(&t.ty)),
        p => (p, None),
    };
    if let syn::Pat::Tuple(_) = pat {
        let at = Span::of(&local.let_token);
        if let Some(scope) = facts.body_at(at) {
            exempt::record_channel(&mut facts.scratch, Span::join(at, scope), local);
        }
        return;
    }
    let syn::Pat::Ident(id) = pat else {
        return;
    };
    let at = Span::of(&local.let_token);
    let Some(scope) = facts.body_at(at) else {
        return;
    };
    let scope = Span::join(at, scope);
    if let Some(init) = &local.init {
        exempt::record_join_handle(&mut facts.scratch, scope, local);
        exempt::record_builder(&mut facts.scratch, scope, &id.ident.to_string(), &init.expr);
        let ty = declared.or_else(|| init_type(&init.expr));
        if let Some(ty) = ty {
            facts.scratch.add_local(scope, id.ident.to_string(), ty);
        }
    } else if let Some(ty) = declared {
        facts.scratch.add_local(scope, id.ident.to_string(), ty);
    }
}

/// The type an initializer evidently has.
fn init_type(expr: &syn::Expr) -> Option<Vec<String>> {
    match expr {
        syn::Expr::Try(t) => init_type(&t.expr),
        syn::Expr::Await(a) => init_type(&a.base),
        syn::Expr::Paren(p) => init_type(&p.expr),
        syn::Expr::Call(c) => {
            let syn::Expr::Path(p) = &*c.func else {
                return None;
            };
            let segs = path_segments(&p.path);
            match segs.as_slice() {
                [.., ty, _] if ty.starts_with(char::is_uppercase) && ty != "Self" => {
                    Some(segs[..segs.len() - 1].to_vec())
                }
                _ => None,
            }
        }
        syn::Expr::Struct(s) => {
            let segs = path_segments(&s.path);
            (segs.last().is_some_and(|l| l != "Self")).then_some(segs)
        }
        syn::Expr::Macro(m) if m.mac.path.is_ident("format") => Some(vec!["String".to_owned()]),
        syn::Expr::MethodCall(m)
            if (m.method == "to_string" || m.method == "to_owned")
                && matches!(&*m.receiver, syn::Expr::Lit(_)) =>
        {
            Some(vec!["String".to_owned()])
        }
        _ => None,
    }
}

/// What syntax says of a receiver at `at`.
fn receiver(scratch: &Scratch, expr: &syn::Expr, at: Span) -> Recv {
    match expr {
        syn::Expr::Paren(p) => receiver(scratch, &p.expr, at),
        syn::Expr::Reference(r) => receiver(scratch, &r.expr, at),
        syn::Expr::Path(p) if p.qself.is_none() => {
            if p.path.is_ident("self") {
                return Recv::SelfValue;
            }
            let Some(id) = p.path.get_ident() else {
                return Recv::Unknown;
            };
            let name = id.to_string();
            if let Some(ty) = scratch.local_type(&name, at) {
                return Recv::Typed(ty.to_vec());
            }
            if name.len() > 1
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            {
                return Recv::Constant(name);
            }
            Recv::Unknown
        }
        syn::Expr::Field(f) => match (&*f.base, &f.member) {
            (syn::Expr::Path(p), syn::Member::Named(field)) if p.path.is_ident("self") => {
                Recv::SelfField(field.to_string())
            }
            _ => Recv::Unknown,
        },
        _ => Recv::Unknown,
    }
}
