use std::collections::HashSet;

use syn::visit::{self, Visit};

use crate::syntax::{last_segment, macro_args};
use crate::{CrateIndex, Ctx, Diagnostic, Out, Rule, RuleMeta, Span, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a `.map_err(..)` in business logic that throws the source error
    /// away, or flattens it into a string inside a variant, where the caller
    /// would have needed it:
    /// - discarded: `map_err(|_| ..)`, a closure that never uses its
    ///   parameter (or only inspects it with `if let .. = e`, prints it with
    ///   `dbg!` / `println!`, `drop`s it, or names it in a `debug!` / `trace!`
    ///   line), and a crate-local function that never uses its argument
    ///   (`map_err(to_validation)` with `fn to_validation(_: Error) -> ..`);
    /// - stringified into a variant or error struct:
    ///   `map_err(|e| AppError::Internal(e.to_string()))`,
    ///   `|e| Failed(format!("{e}"))`, `|e| Failed(e.cause.to_string())`.
    ///
    /// The finding is at `map_err`. `map_err` inside `macro_rules!` bodies is
    /// checked too (the body is read as statements with `$x` as `x`).
    ///
    /// Not reported, because the error is kept or its loss is deliberate:
    /// - the error flows anywhere (`map_err(AppError::Db)`, `Into::into`,
    ///   `|e| AppError::Io { path, source: e }`, `|e| e.into()`, a method
    ///   called on it); any binding of a tuple or struct parameter counts
    ///   (`|(_, e)| e`, `|(json, e)| (json, e.into())`);
    /// - log, then replace: the closure names the error in an `error!`,
    ///   `warn!` or `info!` line (`log` or `tracing`) and returns a status,
    ///   a response or another error: a deliberate boundary;
    /// - the text of the error is kept in a plain string, an `anyhow!` /
    ///   `eyre!` error, a response tuple (`(StatusCode, e.to_string())`), a
    ///   protocol struct (`LdapError { code, message: format!(..) }`) or a
    ///   function result (`tonic::Status::internal(e.to_string())`): there is
    ///   no variant to lose, and a `String` / `anyhow` signature is RG301's
    ///   finding, reported once there;
    /// - a lookup or parse of client input (`find*`, `get_*`, `parse`,
    ///   `from_str`, `from_value`, `try_from`, `decode`, `verify*`,
    ///   `extract`, `from_request`, ...) mapped to a client error (`None`,
    ///   `NotFound`, `BAD_REQUEST`, `Unauthorized`, a validation error, or an
    ///   `Invalid*` variant as the closure's whole body): classifying is the
    ///   point, unless the closure first prints the error with `dbg!` /
    ///   `println!` / `eprintln!` (`|e| { dbg!(e); Unauthorized }`): an
    ///   error worth printing was not expected from client input;
    /// - errors that carry nothing: `env::var`, `timeout(..)`, a closed
    ///   channel or semaphore (`recv`, `acquire`), `set` on a static
    ///   (`CONFIG.set(..)`, a `OnceLock` handing the value back) and
    ///   `dyn_into` (which hands the value back);
    /// - swallowed on purpose: `.map_err(..).ok()`, `.unwrap_or*`,
    ///   `.is_ok()`, `let _ = ..map_err(..)`, also through closures of the
    ///   chain (`.and_then(|x| ..map_err(..)).unwrap_or_else(..)`);
    /// - inside a trait implementation whose method returns a foreign error
    ///   type (`-> Result<_, other_crate::Error>`, `fmt::Result`): the trait
    ///   fixes the type, which often has no slot for a source; with a foreign
    ///   result alias (`io::Result<T>`, `HelperResult`) only stringifying is
    ///   exempt (the message is what the alias's error takes), discarding is
    ///   still reported;
    /// - `map_err(|_| ())`: the error type is `()` by design (a signature
    ///   RG301 judges);
    /// - browser code: a file naming `wasm_bindgen`, `web_sys`, `js_sys` or
    ///   `gloo`, where calls fail with a `JsValue`, which is no error.
    ///
    /// rustgate does not know types: a method's or a function's result other
    /// than those above is not followed, and `let m = e.to_string();
    /// AppError::X(m)` is not seen as stringified.
    ///
    /// ## Accuracy
    /// On the labelled services (dev set, 2026-12-04): useful 0.88 (36 of
    /// 41 labelled findings), recall 1.00 (0.97 on 2026-12-03, before the
    /// `dbg!` look-alike of a classification was reported).
    ///
    /// ## Why is this bad?
    /// The caller gets a catch-all variant or a string instead of a variant it
    /// can match and a `source()` chain it can follow. Retry logic cannot tell
    /// a timeout from a constraint violation any more, and the log line at the
    /// top loses the underlying cause.
    ///
    /// ## Example
    /// ```rust
    /// let order = repo
    ///     .find(id)
    ///     .await
    ///     .map_err(|e| AppError::Internal(e.to_string()))?;
    /// ```
    ///
    /// Use instead:
    /// ```rust
    /// #[derive(Debug, thiserror::Error)]
    /// pub enum AppError {
    ///     #[error("database error")]
    ///     Db(#[from] sqlx::Error),
    /// }
    ///
    /// let order = repo.find(id).await?; // or .map_err(AppError::Db)?
    /// ```
    pub struct ErrorVariantErased {
        code: "RG302",
        name: "error-variant-erased",
        severity: Warning,
        summary: "map_err discards or stringifies the source error",
        tags: ["maintainability", "reliability"],
        precision: "high",
    }
}

const HELP: &str = "add a variant that keeps the source error with `#[from]` or `#[source]` and map to it, e.g. `map_err(AppError::Db)` or `?`";

impl ErrorVariantErased {
    fn report(cx: &Ctx<'_>, out: &mut Out, method: &syn::Ident, erasure: Erasure) {
        let msg = match erasure {
            Erasure::Discarded => "`map_err` discards the source error",
            Erasure::Stringified => "`map_err` flattens the source error into a string",
        };
        out.push(
            cx.diagnostic(&ErrorVariantErased::META, Span::of(method), msg)
                .with_help(HELP),
        );
    }

    /// Judges one `map_err(arg)` call on `receiver`.
    fn check_map_err(
        cx: &Ctx<'_>,
        out: &mut Out,
        receiver: &syn::Expr,
        method: &syn::Ident,
        arg: &syn::Expr,
        fixed: Fixed,
    ) {
        let span = Span::of(method);
        if out.facts.errors.browser || out.facts.errors.swallowed.contains(&span) {
            return;
        }
        if let syn::Expr::Path(p) = arg
            && p.qself.is_none()
            && p.path.segments.len() == 1
            && p.path.segments[0].arguments.is_none()
        {
            let name = p.path.segments[0].ident.to_string();
            if name.starts_with(|c: char| c.is_lowercase()) {
                out.facts.errors.map_err_fns.push((name, span));
            }
            return;
        }
        let Some(erasure) = erasure(arg) else {
            return;
        };
        let exempt = match erasure {
            Erasure::Discarded => {
                client_error_from_lookup(receiver, arg) || information_free_source(receiver)
            }
            // A 400 / 404 carrying the message: the client has no use for
            // the source.
            Erasure::Stringified => client_error_from_lookup(receiver, arg),
        };
        let imposed = match fixed {
            Fixed::No => false,
            Fixed::Error => true,
            Fixed::Alias => erasure == Erasure::Stringified,
        };
        if imposed || exempt {
            return;
        }
        Self::report(cx, out, method, erasure);
    }
}

impl Rule for ErrorVariantErased {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads_test_code(&self) -> bool {
        false
    }

    fn check_file(&self, cx: &Ctx<'_>, _file: &syn::File, out: &mut Out) {
        let named = |s: &str| memchr::memmem::find(cx.source.as_bytes(), s.as_bytes()).is_some();
        out.facts.errors.browser = BROWSER_CRATES.iter().any(|c| named(c));
    }

    fn check_item(&self, cx: &Ctx<'_>, item: &syn::Item, out: &mut Out) {
        if !cx.is_business_logic() {
            return;
        }
        match item {
            syn::Item::Fn(f) => {
                if f.sig.inputs.len() == 1
                    && let Some(syn::FnArg::Typed(arg)) = f.sig.inputs.first()
                    && may_take_an_error(arg)
                    && judge(&arg.pat, |u| u.visit_block(&f.block)) == Some(Erasure::Discarded)
                {
                    out.facts
                        .errors
                        .discarding_fns
                        .push(f.sig.ident.to_string());
                }
            }
            syn::Item::Macro(m) if m.mac.path.is_ident("macro_rules") => {
                for block in macro_rules_bodies(&m.mac.tokens) {
                    let mut calls = MapErrCalls(Vec::new());
                    calls.visit_block(&block);
                    for call in calls.0 {
                        if let Some(arg) = call.args.first() {
                            Self::check_map_err(
                                cx,
                                out,
                                &call.receiver,
                                &call.method,
                                arg,
                                Fixed::No,
                            );
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn check_local(&self, cx: &Ctx<'_>, local: &syn::Local, out: &mut Out) {
        if cx.is_business_logic()
            && let syn::Pat::Wild(_) = &local.pat
            && let Some(init) = &local.init
        {
            swallow(&init.expr, &mut out.facts.errors.swallowed);
        }
    }

    fn check_expr(&self, cx: &Ctx<'_>, expr: &syn::Expr, out: &mut Out) {
        let syn::Expr::MethodCall(call) = expr else {
            return;
        };
        if !cx.is_business_logic() {
            return;
        }
        if SWALLOWING.contains(&call.method.to_string().as_str()) {
            swallow(&call.receiver, &mut out.facts.errors.swallowed);
            return;
        }
        if call.method != "map_err" || call.args.len() != 1 {
            return;
        }
        let Some(arg) = call.args.first() else {
            return;
        };
        let fixed = trait_impl_fixes_error(cx);
        Self::check_map_err(cx, out, &call.receiver, &call.method, arg, fixed);
    }

    fn check_crate(&self, krate: &CrateIndex<'_>, out: &mut Vec<Diagnostic>) {
        let discarding: HashSet<&str> = krate
            .files
            .iter()
            .flat_map(|f| f.facts.errors.discarding_fns.iter().map(String::as_str))
            .collect();
        if discarding.is_empty() {
            return;
        }
        for file in &krate.files {
            for (name, span) in &file.facts.errors.map_err_fns {
                if discarding.contains(name.as_str()) {
                    out.push(
                        Diagnostic::new(
                            &Self::META,
                            &file.info.path,
                            *span,
                            format!("`map_err({name})` discards the source error: `{name}` never uses its argument"),
                        )
                        .with_help(HELP),
                    );
                }
            }
        }
    }
}

/// A parameter that may receive an error: its type names an `Error`,
/// `Report` or a one-letter generic (`E`), or its pattern is `_` / `_x`.
/// Keeps the body walk off the many one-parameter functions that are no
/// `map_err` candidates.
fn may_take_an_error(arg: &syn::PatType) -> bool {
    let wild = match &*arg.pat {
        syn::Pat::Wild(_) => true,
        syn::Pat::Ident(p) => p.ident.to_string().starts_with('_'),
        _ => false,
    };
    wild || match &*arg.ty {
        syn::Type::Path(p) => p.path.segments.last().is_some_and(|s| {
            let name = s.ident.to_string();
            name.contains("Error") || name == "Report" || name.len() == 1
        }),
        _ => false,
    }
}

/// Crates whose presence marks browser code: fallible calls there return a
/// `JsValue`, which is not an error and has no place as a source.
const BROWSER_CRATES: &[&str] = &["wasm_bindgen", "web_sys", "js_sys", "gloo"];

/// Methods after which the error of the receiver is thrown away on purpose.
const SWALLOWING: &[&str] = &[
    "ok",
    "unwrap_or",
    "unwrap_or_else",
    "unwrap_or_default",
    "is_ok",
    "is_err",
];

/// Records every `map_err` whose error ends in `expr`'s swallowing caller:
/// the method chain of `expr` and the closures passed along it.
fn swallow(expr: &syn::Expr, out: &mut Vec<Span>) {
    let mut cur = expr;
    loop {
        match cur {
            syn::Expr::MethodCall(m) => {
                if m.method == "map_err" {
                    out.push(Span::of(&m.method));
                }
                for arg in &m.args {
                    if let syn::Expr::Closure(c) = arg {
                        let mut calls = MapErrCalls(Vec::new());
                        calls.visit_expr(&c.body);
                        out.extend(calls.0.iter().map(|c| Span::of(&c.method)));
                    }
                }
                cur = &m.receiver;
            }
            syn::Expr::Paren(p) => cur = &p.expr,
            syn::Expr::Await(a) => cur = &a.base,
            _ => return,
        }
    }
}

/// Every `map_err(..)` call with one argument, not inside nested items.
struct MapErrCalls(Vec<syn::ExprMethodCall>);

impl<'ast> Visit<'ast> for MapErrCalls {
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if m.method == "map_err" && m.args.len() == 1 {
            self.0.push(m.clone());
        }
        visit::visit_expr_method_call(self, m);
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// How a trait implementation fixes the error type of its method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fixed {
    No,
    /// A foreign error type (`-> Result<_, other::Error>`, `fmt::Result`):
    /// neither a source nor a message has a slot.
    Error,
    /// A foreign result alias (`HelperResult`, `io::Result<T>`): the
    /// message is what the trait's error type takes.
    Alias,
}

/// Inside a trait implementation whose method signature names a foreign
/// error type (`-> Result<_, other_crate::Error>`, `fmt::Result`): the
/// trait decides the error and it often has no slot for a source.
fn trait_impl_fixes_error(cx: &Ctx<'_>) -> Fixed {
    let Some(frame) = cx.current_fn() else {
        return Fixed::No;
    };
    if frame.kind != crate::checker::FnKind::Impl
        || cx.current_impl().is_none_or(|i| i.trait_.is_none())
    {
        return Fixed::No;
    }
    let syn::ReturnType::Type(_, ty) = &frame.sig.output else {
        return Fixed::No;
    };
    let syn::Type::Path(tp) = &**ty else {
        return Fixed::No;
    };
    let segments: Vec<String> = tp
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    let foreign = |p: &syn::Path| {
        p.segments.len() >= 2
            && !matches!(
                p.segments[0].ident.to_string().as_str(),
                "crate" | "self" | "super" | "Self"
            )
    };
    if segments.ends_with(&["fmt".to_owned(), "Result".to_owned()]) {
        return Fixed::Error;
    }
    let Some(last) = tp.path.segments.last() else {
        return Fixed::No;
    };
    // A foreign result alias without an error argument: `HelperResult`,
    // `serde_json::Result<T>`, `io::Result<T>`.
    let name = last.ident.to_string();
    if name.ends_with("Result")
        && (name != "Result" || foreign(&tp.path))
        && !matches!(&last.arguments, syn::PathArguments::AngleBracketed(a) if a.args.len() > 1)
    {
        return Fixed::Alias;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return Fixed::No;
    };
    let foreign_error = last.ident == "Result"
        && args.args.iter().nth(1).is_some_and(|a| {
            matches!(a, syn::GenericArgument::Type(syn::Type::Path(e)) if e.qself.is_none() && foreign(&e.path))
        });
    if foreign_error {
        Fixed::Error
    } else {
        Fixed::No
    }
}

/// A lookup or a parse of client input (`find_by_token(..)`,
/// `serde_json::from_value(..)`, `decode(..)`) whose failure `arg` maps to a
/// client error (`NotFound`, `BAD_REQUEST`, `Invalid*`, `None`, a validation
/// error): the classification is the point, the source has nothing to add.
fn client_error_from_lookup(receiver: &syn::Expr, arg: &syn::Expr) -> bool {
    let Some(name) = call_name(receiver) else {
        return false;
    };
    LOOKUP_PREFIXES.iter().any(|p| name.starts_with(p)) && names_client_error(arg)
}

/// A call whose error carries no information: `env::var` (not present),
/// `timeout` (elapsed), a closed channel or semaphore, `OnceLock::set`
/// (hands the value back), `dyn_into` (hands the value back).
fn information_free_source(receiver: &syn::Expr) -> bool {
    // `CONFIG.set(..)`: a `OnceLock` / `OnceCell` static hands the value
    // back; `cache.set(..)` on anything else may fail for real.
    if let syn::Expr::MethodCall(m) = receiver
        && m.method == "set"
    {
        return matches!(&*m.receiver, syn::Expr::Path(p)
        if p.path.segments.last().is_some_and(|s| {
            let name = s.ident.to_string();
            name.len() > 1 && !name.chars().any(|c| c.is_ascii_lowercase())
        }));
    }
    call_name(receiver).is_some_and(|n| INFORMATION_FREE.contains(&n.as_str()))
}

const INFORMATION_FREE: &[&str] = &[
    "var",
    "var_os",
    "timeout",
    "recv",
    "try_recv",
    "recv_timeout",
    "acquire",
    "acquire_owned",
    "try_acquire",
    "dyn_into",
];

/// The closure maps to a client error: `None` as its whole body, or a path
/// naming `NotFound`, `BAD_REQUEST`, `Unauthorized`, `Invalid*`, a
/// validation error.
fn names_client_error(arg: &syn::Expr) -> bool {
    let syn::Expr::Closure(c) = arg else {
        return false;
    };
    // `|e| { dbg!(e); Unauthorized }`: an error worth printing was not
    // expected from client input.
    if let syn::Expr::Block(b) = &*c.body
        && b.block.stmts.iter().any(|s| {
            let mac = match s {
                syn::Stmt::Macro(m) => Some(&m.mac),
                syn::Stmt::Expr(syn::Expr::Macro(m), _) => Some(&m.mac),
                _ => None,
            };
            mac.and_then(|m| crate::syntax::last_segment(&m.path))
                .is_some_and(|n| IGNORED_MACROS.contains(&n.as_str()))
        })
    {
        return false;
    }
    if matches!(&*c.body, syn::Expr::Path(p) if p.path.is_ident("None")) {
        return true;
    }
    // `AuthError::InvalidToken` as the whole body.
    let whole = match &*c.body {
        syn::Expr::Path(p) => Some(&p.path),
        syn::Expr::Call(call) => match &*call.func {
            syn::Expr::Path(p) => Some(&p.path),
            _ => None,
        },
        _ => None,
    };
    if whole.is_some_and(|p| {
        p.segments.iter().any(|s| {
            let name = s.ident.to_string();
            name.starts_with("Invalid") && name.len() > "Invalid".len()
        })
    }) {
        return true;
    }
    let mut finder = ClientError(false);
    finder.visit_expr(&c.body);
    finder.0
}

const LOOKUP_PREFIXES: &[&str] = &[
    "find",
    "get_",
    "lookup",
    "by_",
    "parse",
    "from_str",
    "from_value",
    "from_slice",
    "from_utf8",
    "try_from",
    "try_into",
    "decode",
    "verify",
    "validate",
    "extract",
    "deserialize",
    "from_request",
];

const CLIENT_ERRORS: &[&str] = &[
    "BAD_REQUEST",
    "NOT_FOUND",
    "UNAUTHORIZED",
    "FORBIDDEN",
    "UNPROCESSABLE_ENTITY",
    "BadRequest",
    "NotFound",
    "Unauthorized",
    "Forbidden",
    "UnprocessableEntity",
    "ErrorBadRequest",
    "ErrorNotFound",
    "ErrorUnauthorized",
    "ErrorForbidden",
];

struct ClientError(bool);

impl<'ast> Visit<'ast> for ClientError {
    fn visit_path(&mut self, p: &'ast syn::Path) {
        for seg in &p.segments {
            let name = seg.ident.to_string();
            if CLIENT_ERRORS.contains(&name.as_str()) || name.contains("Validation") {
                self.0 = true;
            }
        }
        visit::visit_path(self, p);
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// The name of the call that produced `expr`: `find` for `x.find(..).await`,
/// `from_value` for `serde_json::from_value(..)`.
fn call_name(expr: &syn::Expr) -> Option<String> {
    match expr {
        syn::Expr::MethodCall(m) => Some(m.method.to_string()),
        syn::Expr::Call(c) => match &*c.func {
            syn::Expr::Path(p) => last_segment(&p.path),
            _ => None,
        },
        syn::Expr::Await(a) => call_name(&a.base),
        syn::Expr::Paren(p) => call_name(&p.expr),
        syn::Expr::Try(t) => call_name(&t.expr),
        _ => None,
    }
}

/// The bodies (`=> { .. }`) of a `macro_rules!` definition, parsed as blocks
/// after turning `$name` into `name` and `$( .. ),*` into its contents.
/// Bodies that are not statements (items, patterns) fail to parse and are
/// skipped.
fn macro_rules_bodies(tokens: &proc_macro2::TokenStream) -> Vec<syn::Block> {
    use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let mut out = Vec::new();
    for pair in trees.windows(3) {
        if let (TokenTree::Punct(eq), TokenTree::Punct(gt), TokenTree::Group(body)) =
            (&pair[0], &pair[1], &pair[2])
            && eq.as_char() == '='
            && gt.as_char() == '>'
        {
            let stream = unmeta(body.stream());
            let block = TokenStream::from(TokenTree::Group(Group::new(Delimiter::Brace, stream)));
            if let Ok(b) = syn::parse2::<syn::Block>(block) {
                out.push(b);
            }
        }
    }
    out
}

/// Removes `macro_rules!` metavariable syntax from a body: `$x` -> `x`,
/// `$( .. ) sep *` -> `..`.
fn unmeta(tokens: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    use proc_macro2::{Group, TokenTree};
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out: Vec<TokenTree> = Vec::with_capacity(trees.len());
    let mut i = 0;
    while i < trees.len() {
        match (&trees[i], trees.get(i + 1)) {
            (TokenTree::Punct(p), Some(TokenTree::Ident(id))) if p.as_char() == '$' => {
                out.push(TokenTree::Ident(id.clone()));
                i += 2;
            }
            (TokenTree::Punct(p), Some(TokenTree::Group(g))) if p.as_char() == '$' => {
                out.extend(unmeta(g.stream()));
                i += 2;
                // An optional separator, then the repetition operator.
                for _ in 0..2 {
                    if let Some(TokenTree::Punct(q)) = trees.get(i)
                        && matches!(q.as_char(), '*' | '+' | '?' | ',' | ';')
                    {
                        let op = matches!(q.as_char(), '*' | '+' | '?');
                        i += 1;
                        if op {
                            break;
                        }
                    }
                }
            }
            (TokenTree::Group(g), _) => {
                let mut ng = Group::new(g.delimiter(), unmeta(g.stream()));
                ng.set_span(g.span());
                out.push(TokenTree::Group(ng));
                i += 1;
            }
            (t, _) => {
                out.push(t.clone());
                i += 1;
            }
        }
    }
    out.into_iter().collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Erasure {
    Discarded,
    Stringified,
}

/// How the argument of `map_err` loses the source error, if it does.
fn erasure(arg: &syn::Expr) -> Option<Erasure> {
    match arg {
        // `|_| ()`: the error type is `()` by design, nothing to lose.
        syn::Expr::Closure(c) if matches!(&*c.body, syn::Expr::Tuple(t) if t.elems.is_empty()) => {
            None
        }
        syn::Expr::Closure(c) if c.inputs.len() == 1 => {
            judge(c.inputs.first()?, |u| u.visit_expr(&c.body))
        }
        _ => None,
    }
}

/// How a closure (or a one-parameter function) with parameter `pat` and
/// `body` loses the error it receives.
fn judge(pat: &syn::Pat, walk: impl FnOnce(&mut Uses<'_>)) -> Option<Erasure> {
    let mut names = Vec::new();
    bindings(pat, &mut names);
    names.retain(|n| !n.starts_with('_'));
    if names.is_empty() {
        return Some(Erasure::Discarded);
    }
    let mut uses = Uses {
        names: &names,
        raw: false,
        stringified: false,
        into_variant: false,
        logged: false,
        variant_depth: 0,
    };
    walk(&mut uses);
    if uses.raw || uses.logged {
        None
    } else if uses.stringified {
        uses.into_variant.then_some(Erasure::Stringified)
    } else {
        Some(Erasure::Discarded)
    }
}

/// The names a parameter pattern binds: `e`, `(json, e)`, `Wrapper(e)`.
fn bindings(pat: &syn::Pat, out: &mut Vec<String>) {
    match pat {
        syn::Pat::Ident(p) => {
            out.push(p.ident.to_string());
            if let Some((_, sub)) = &p.subpat {
                bindings(sub, out);
            }
        }
        syn::Pat::Type(t) => bindings(&t.pat, out),
        syn::Pat::Reference(r) => bindings(&r.pat, out),
        syn::Pat::Paren(p) => bindings(&p.pat, out),
        syn::Pat::Tuple(t) => t.elems.iter().for_each(|p| bindings(p, out)),
        syn::Pat::TupleStruct(t) => t.elems.iter().for_each(|p| bindings(p, out)),
        syn::Pat::Struct(s) => s.fields.iter().for_each(|f| bindings(&f.pat, out)),
        syn::Pat::Slice(s) => s.elems.iter().for_each(|p| bindings(p, out)),
        syn::Pat::Or(o) => o.cases.iter().for_each(|p| bindings(p, out)),
        _ => {}
    }
}

/// Finds how a closure body uses the error bindings `names`.
struct Uses<'n> {
    names: &'n [String],
    /// The error itself flows somewhere (a field, an argument, `e.into()`).
    raw: bool,
    /// The error is turned into text (`e.to_string()`, `format!("{e}")`).
    stringified: bool,
    /// ... and that text is the payload of a variant or an error type
    /// (`AppError::Internal(e.to_string())`, `Failed(format!("{e}"))`).
    into_variant: bool,
    /// The error is named in an `error!` / `warn!` / `info!` log line.
    logged: bool,
    variant_depth: u32,
}

impl Uses<'_> {
    fn is_name_ident(&self, ident: &impl PartialEq<str>) -> bool {
        self.names.iter().any(|n| ident == n.as_str())
    }

    /// `e`, `&e`, `(e)`, `e.field`, `e.0`.
    fn is_name(&self, expr: &syn::Expr) -> bool {
        match expr {
            syn::Expr::Path(p) => {
                p.qself.is_none()
                    && p.path.segments.len() == 1
                    && self.is_name_ident(&p.path.segments[0].ident)
            }
            syn::Expr::Reference(r) => self.is_name(&r.expr),
            syn::Expr::Paren(p) => self.is_name(&p.expr),
            syn::Expr::Field(f) => self.is_name(&f.base),
            _ => false,
        }
    }

    /// Whether a name occurs anywhere in `tokens`.
    fn in_tokens(&self, tokens: &proc_macro2::TokenStream) -> bool {
        tokens.clone().into_iter().any(|t| match t {
            proc_macro2::TokenTree::Ident(i) => self.names.iter().any(|n| i == n),
            proc_macro2::TokenTree::Group(g) => self.in_tokens(&g.stream()),
            proc_macro2::TokenTree::Literal(l) => self.in_format_string(&l.to_string()),
            proc_macro2::TokenTree::Punct(_) => false,
        })
    }

    /// `{e}`, `{e:?}`, `{e:#}` inside a format string literal.
    fn in_format_string(&self, lit: &str) -> bool {
        lit.split('{').skip(1).any(|rest| {
            let arg = rest.split(['}', ':']).next().unwrap_or("");
            let arg = arg.trim();
            self.names.iter().any(|n| n == arg)
        })
    }

    fn text(&mut self) {
        self.stringified = true;
        if self.variant_depth > 0 {
            self.into_variant = true;
        }
    }
}

/// `AppError::Internal`, `Self::Db`, `Failed` (not `Some`, `Ok`, `Err`,
/// `Box::new`): the path of a variant or tuple-struct constructor.
fn is_constructor(path: &syn::Path) -> bool {
    let upper = |s: &syn::PathSegment| s.ident.to_string().starts_with(|c: char| c.is_uppercase());
    let Some(last) = path.segments.last() else {
        return false;
    };
    if !upper(last) {
        return false;
    }
    match path.segments.len() {
        1 => !matches!(last.ident.to_string().as_str(), "Some" | "Ok" | "Err"),
        n => upper(&path.segments[n - 2]) || path.segments[n - 2].ident == "Self",
    }
}

impl<'ast> Visit<'ast> for Uses<'_> {
    fn visit_expr(&mut self, expr: &'ast syn::Expr) {
        match expr {
            syn::Expr::MethodCall(m) if m.method == "to_string" && self.is_name(&m.receiver) => {
                self.text();
            }
            syn::Expr::Path(p)
                if p.qself.is_none()
                    && p.path.segments.len() == 1
                    && self.is_name_ident(&p.path.segments[0].ident) =>
            {
                self.raw = true
            }
            // `drop(e)` does not keep it.
            syn::Expr::Call(c) if matches!(&*c.func, syn::Expr::Path(p) if p.path.is_ident("drop")) =>
                {}
            syn::Expr::Call(c) if matches!(&*c.func, syn::Expr::Path(p) if is_constructor(&p.path)) =>
            {
                self.variant_depth += 1;
                for arg in &c.args {
                    self.visit_expr(arg);
                }
                self.variant_depth -= 1;
            }
            syn::Expr::Struct(s) if is_constructor(&s.path) && s.path.segments.len() >= 2 => {
                self.variant_depth += 1;
                visit::visit_expr_struct(self, s);
                self.variant_depth -= 1;
            }
            // `if let Variant(..) = e`: inspecting the error is not keeping it.
            syn::Expr::Let(l) if self.is_name(&l.expr) => {}
            _ => visit::visit_expr(self, expr),
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let name = last_segment(&mac.path).unwrap_or_default();
        let name = name.as_str();
        if IGNORED_MACROS.contains(&name) {
            return;
        }
        if LOG_MACROS.contains(&name) {
            // `debug!` / `trace!` lines are off in production: naming the
            // error there does not keep it.
            if self.in_tokens(&mac.tokens) && !matches!(name, "debug" | "trace") {
                self.logged = true;
            }
            return;
        }
        let Some(args) = macro_args(mac) else {
            if self.in_tokens(&mac.tokens) {
                self.text();
            }
            return;
        };
        let formats = FORMAT_MACROS.contains(&name);
        // In a formatting macro, the format string and everything after it
        // is text; arguments before it (`write!(f, ..)`, `anyhow!(e)`) are
        // judged like any expression.
        let mut text = false;
        for arg in &args {
            if formats
                && !text
                && let syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) = arg
            {
                text = true;
                if self.in_format_string(&s.value()) {
                    self.text();
                }
                continue;
            }
            if text {
                let mut inner = Uses {
                    names: self.names,
                    raw: false,
                    stringified: false,
                    into_variant: false,
                    logged: false,
                    variant_depth: 0,
                };
                inner.visit_expr(arg);
                if inner.raw || inner.stringified {
                    self.text();
                }
            } else {
                self.visit_expr(arg);
            }
        }
    }

    // A nested closure or item may shadow the name; do not look inside items.
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// Macros that neither keep nor log the error: debugging output.
const IGNORED_MACROS: &[&str] = &["dbg", "print", "println", "eprint", "eprintln"];

/// Logging macros (`log`, `tracing`): naming the error in one at `info`
/// level or above, then replacing it, is handling it at a boundary.
const LOG_MACROS: &[&str] = &["error", "warn", "info", "debug", "trace", "event"];

/// Macros whose arguments after the format string are turned into text.
const FORMAT_MACROS: &[&str] = &[
    "format",
    "format_args",
    "write",
    "writeln",
    "panic",
    "anyhow",
    "bail",
    "eyre",
    "ensure",
    "unreachable",
    "todo",
    "unimplemented",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::error_facts::tests::ERROR_RULES;
    use crate::testing::assert_fixture;
    use crate::{Settings, TargetKind};

    macro_rules! fixture {
        ($path:literal) => {
            (
                $path,
                TargetKind::Lib,
                include_str!(concat!(
                    "../../../fixtures/rules/errors-variant-erased/",
                    $path
                )),
            )
        };
    }

    #[test]
    fn fixture_library() {
        assert_fixture(
            &[
                fixture!("src/lib.rs"),
                fixture!("src/boundaries.rs"),
                fixture!("src/browser.rs"),
                fixture!("src/macros.rs"),
            ],
            ERROR_RULES,
            &Settings::default(),
        );
    }

    #[test]
    fn named_function_message() {
        let diags = crate::testing::check_sources(
            &[(
                "src/lib.rs",
                TargetKind::Lib,
                "fn f() { x.map_err(drop_it); }\nfn drop_it(_e: E) -> A { A }\nfn keep(e: E) -> A { A(e) }\nfn g() { x.map_err(keep); }\n",
            )],
            &[&ErrorVariantErased],
            &Settings::default(),
        );
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].primary.span.start.line, 1);
        assert_eq!(
            diags[0].message,
            "`map_err(drop_it)` discards the source error: `drop_it` never uses its argument"
        );
    }

    #[test]
    fn fixture_tests_are_exempt() {
        assert_fixture(
            &[(
                "tests/it.rs",
                TargetKind::Test,
                include_str!("../../../fixtures/rules/errors-variant-erased/tests/it.rs"),
            )],
            ERROR_RULES,
            &Settings::default(),
        );
    }

    #[test]
    fn reported_at_map_err() {
        let diags = crate::testing::check_sources(
            &[(
                "src/lib.rs",
                TargetKind::Lib,
                "fn f() { x.map_err(|_| E::X); }",
            )],
            &[&ErrorVariantErased],
            &Settings::default(),
        );
        assert_eq!(diags.len(), 1);
        assert_eq!(
            (
                diags[0].primary.span.start.column,
                diags[0].primary.span.end.column
            ),
            (12, 19)
        );
    }
}
