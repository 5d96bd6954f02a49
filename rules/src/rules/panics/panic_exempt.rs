//! Panic sites that cannot panic on a request, and code that does not run on
//! the request path (RG201, RG202): decided from syntax while a file is
//! walked, so that the crate phase never sees them.
//!
//! - poisoned locks: `.lock()`, `.read()`, `.write()` (no arguments) then
//!   `.unwrap()`/`.expect(..)` (option `poisoned-locks`);
//! - infallible by construction: `write!`/`writeln!` into a `String` (or a
//!   `fmt::Formatter`, a `Vec<u8>`); `.parse()` of a string literal; pure
//!   parsers and constructors (`Regex::new`, `Url::parse`, `from_str`, ...) of
//!   constants; `serde_json::to_string`/`to_value`/`to_vec`; a template's
//!   `render(..)` and `get_template("literal")` (option `template-render`);
//!   `JoinHandle.await.unwrap()` of a spawned task (it re-raises a panic);
//!   round trips (`StatusCode::from_u16(res.status().as_u16())`); url's
//!   `path_segments_mut()`; jwt's `sign_with_key`; a send on a channel made
//!   in the same function whose receiver is untouched since;
//! - guarded: the receiver was checked with `is_some()`/`is_ok()`/`is_none()`/
//!   `is_err()` (or `is_u64()` before `as_u64()`, ...) by an enclosing `if`,
//!   a `match` arm's guard, an `&&`/`||`, or an earlier `if .. { return .. }`;
//! - spawned: closures and async blocks handed to `tokio::spawn`,
//!   `spawn_blocking`, `thread::spawn`, ... (option `follow-spawned`).

use std::collections::HashMap;

use crate::{Ctx, Span};

/// Transient state of one file's walk (never cached, never serialised, and
/// not part of the facts' `Debug` form).
#[derive(Clone, Default)]
pub struct Scratch {
    /// (receiver text, region, the guard proves `Some`/`Ok`): an unwrap of
    /// that receiver inside the region cannot panic.
    guards: Vec<(String, Span, bool)>,
    /// Arguments of spawn calls: what runs after the response.
    pub spawned: Vec<Span>,
    /// Local variables and parameters by name: (scope, type path as written).
    locals: HashMap<String, Vec<(Span, Vec<String>)>>,
    /// Locals bound to a spawn call (`let h = tokio::spawn(..)`): (scope, name).
    join_handles: Vec<(Span, String)>,
    /// Byte offsets of the file's line starts, built on first use.
    line_starts: Option<Vec<usize>>,
    /// `let (tx, rx) = mpsc::channel(..)`: (scope, the `let`, tx, rx).
    channels: Vec<(Span, Span, String, String)>,
    /// Closures and async blocks: code that may run later than it reads.
    pub deferred: Vec<Span>,
    /// Locals bound to a builder that holds no error
    /// (`let b = Response::builder().status(s)`): (scope, name).
    clean_builders: Vec<(Span, String)>,
}

impl std::fmt::Debug for Scratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scratch")
    }
}

impl Scratch {
    /// Whether `span` lies in the argument of a spawn call.
    pub fn in_spawned(&self, span: Span) -> bool {
        self.spawned.iter().any(|s| contains(*s, span))
    }

    /// Records a variable `name` of type `ty` visible in `scope`.
    pub fn add_local(&mut self, scope: Span, name: String, ty: Vec<String>) {
        self.locals.entry(name).or_default().push((scope, ty));
    }

    /// The type path of the variable `name` as seen at `at`: the latest
    /// binding whose scope contains `at`.
    pub fn local_type(&self, name: &str, at: Span) -> Option<&[String]> {
        self.locals
            .get(name)?
            .iter()
            .rev()
            .find(|(scope, _)| contains(*scope, at))
            .map(|(_, ty)| ty.as_slice())
    }
}

fn contains(outer: Span, inner: Span) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

fn strip(expr: &syn::Expr) -> &syn::Expr {
    match expr {
        syn::Expr::Paren(p) => strip(&p.expr),
        syn::Expr::Reference(r) => strip(&r.expr),
        syn::Expr::Group(g) => strip(&g.expr),
        _ => expr,
    }
}

/// Whether the unwrap `m` (`.unwrap()`, `.expect(..)`, ...) cannot panic on a
/// request, and is not reported.
pub fn exempt(cx: &Ctx<'_>, scratch: &mut Scratch, m: &syn::ExprMethodCall, span: Span) -> bool {
    if fresh_channel_send(cx.source, scratch, &m.receiver, span) {
        return true;
    }
    let scratch = &*scratch;
    let options = &cx.settings.unwrap_in_handler;
    let recv = strip(&m.receiver);
    let infallible = match recv {
        syn::Expr::MethodCall(r) => {
            let name = &r.method;
            (!options.poisoned_locks
                && r.args.is_empty()
                && (name == "lock" || name == "read" || name == "write"))
                // A compiled template (askama's `render()`, minijinja's
                // `template.render(ctx)`), not one looked up by name at run
                // time (handlebars' and tera's `render("name", &data)`).
                || (!options.template_render
                    && ((name == "render" && r.args.len() <= 1)
                        || (name == "get_template" && r.args.iter().all(is_constant))))
                || ((name == "parse" || name == "try_into")
                    && r.args.is_empty()
                    && is_constant(&r.receiver))
                // `Utc::now().checked_add_signed(Duration::hours(24))`.
                || (name.to_string().starts_with("checked_")
                    && r.args.iter().all(is_constant)
                    && is_now(&r.receiver))
                || (name == "body" && r.args.len() == 1 && constant_builder(&r.receiver))
                // `*b.headers_mut().unwrap() = ..` on such a builder bound
                // to a local: `None` only for a builder holding an error.
                || ((name == "headers_mut" || name == "extensions_mut")
                    && r.args.is_empty()
                    && clean_builder_local(scratch, &r.receiver, span))
                // url's `path_segments_mut()` fails only for a
                // cannot-be-a-base URL (`mailto:`, `data:`), never for the
                // http(s) URLs a service builds on.
                || (name == "path_segments_mut" && r.args.is_empty())
                // The `jwt` crate's signing fails only when the claims do not
                // serialise, like `serde_json::to_string`.
                || (name == "sign_with_key" && r.args.len() == 1)
        }
        syn::Expr::Call(c) => infallible_call(c),
        syn::Expr::Macro(mac) => writes_to_memory(scratch, &mac.mac, span),
        syn::Expr::Await(a) => {
            is_join_handle(scratch, &a.base, span)
                || (!options.poisoned_locks && is_semaphore_acquire(&a.base))
        }
        _ => false,
    };
    infallible || guarded(scratch, m, span)
}

/// Records `let (tx, rx) = mpsc::channel(..)` (also `unbounded_channel`,
/// `oneshot::channel`, crossbeam's `bounded`/`unbounded`, `sync_channel`).
pub fn record_channel(scratch: &mut Scratch, scope: Span, local: &syn::Local) {
    let syn::Pat::Tuple(t) = &local.pat else {
        return;
    };
    let name = |p: &syn::Pat| match p {
        syn::Pat::Ident(i) => Some(i.ident.to_string()),
        _ => None,
    };
    let (Some(tx), Some(rx)) = (
        t.elems.first().and_then(name),
        t.elems.iter().nth(1).and_then(name),
    ) else {
        return;
    };
    if t.elems.len() != 2 {
        return;
    }
    let Some(init) = &local.init else {
        return;
    };
    let syn::Expr::Call(c) = strip(&init.expr) else {
        return;
    };
    let syn::Expr::Path(p) = &*c.func else {
        return;
    };
    let is_channel = p.path.segments.last().is_some_and(|s| {
        matches!(
            s.ident.to_string().as_str(),
            "channel" | "unbounded_channel" | "bounded" | "unbounded" | "sync_channel"
        )
    });
    if is_channel {
        scratch
            .channels
            .push((scope, Span::of(&local.let_token), tx, rx));
    }
}

/// `tx.send(v).unwrap()` / `tx.send(v).await.unwrap()` on a channel created
/// in the same function whose receiver has not been touched since: the
/// receiver is alive, so the send cannot fail (a fresh bounded channel has
/// room for the first message). Not when the send sits in a closure or
/// async block written after the `let`: that may run once the receiver is
/// gone.
fn fresh_channel_send(source: &str, scratch: &mut Scratch, recv: &syn::Expr, span: Span) -> bool {
    let send = match strip(recv) {
        syn::Expr::Await(a) => strip(&a.base),
        e => e,
    };
    let syn::Expr::MethodCall(s) = send else {
        return false;
    };
    if s.method != "send" || s.args.len() != 1 {
        return false;
    }
    let syn::Expr::Path(p) = strip(&s.receiver) else {
        return false;
    };
    let Some(tx) = p.path.get_ident().map(|i| i.to_string()) else {
        return false;
    };
    let Some((_, at, _, rx)) = scratch
        .channels
        .iter()
        .rev()
        .find(|(scope, _, t, _)| *t == tx && contains(*scope, span))
        .cloned()
    else {
        return false;
    };
    if scratch
        .deferred
        .iter()
        .any(|d| contains(*d, span) && !contains(*d, at))
    {
        return false;
    }
    let from = at.start.line as usize + 1;
    let to = span.start.line as usize;
    !(from..=to).any(|n| line_of(scratch, source, n).is_some_and(|l| mentions(l, &rx)))
}

/// Whether `text` holds `word` as a whole identifier.
fn mentions(text: &str, word: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(word).any(|(i, _)| {
        !text[..i].chars().next_back().is_some_and(ident)
            && !text[i + word.len()..].chars().next().is_some_and(ident)
    })
}

/// The text of line `n` (1-based), without its line break.
fn line_of<'s>(scratch: &mut Scratch, source: &'s str, n: usize) -> Option<&'s str> {
    let starts = scratch.line_starts.get_or_insert_with(|| {
        let mut v = vec![0];
        v.extend(memchr::memchr_iter(b'\n', source.as_bytes()).map(|i| i + 1));
        v
    });
    let start = *starts.get(n.checked_sub(1)?)?;
    let end = starts.get(n).map_or(source.len(), |e| e.saturating_sub(1));
    source.get(start..end)
}

/// `env::var("NAME")` / `std::env::var("NAME")`: the variable's name.
pub fn env_var(expr: &syn::Expr) -> Option<String> {
    let syn::Expr::Call(c) = strip(expr) else {
        return None;
    };
    let syn::Expr::Path(p) = &*c.func else {
        return None;
    };
    let segs = &p.path.segments;
    let n = segs.len();
    if n < 2 || segs[n - 1].ident != "var" || segs[n - 2].ident != "env" || c.args.len() != 1 {
        return None;
    }
    match strip(&c.args[0]) {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Some(s.value()),
        _ => None,
    }
}

/// `semaphore.acquire()` / `acquire_owned()`: fails only once the semaphore
/// is closed, the same idiom as a lock's `unwrap`.
fn is_semaphore_acquire(expr: &syn::Expr) -> bool {
    matches!(strip(expr), syn::Expr::MethodCall(m)
        if m.args.is_empty() && (m.method == "acquire" || m.method == "acquire_owned"))
}

/// `Response::builder().status(..).header(CONST, CONST)`: a builder whose
/// every step takes a typed value or a constant cannot hold an error.
fn constant_builder(expr: &syn::Expr) -> bool {
    match strip(expr) {
        syn::Expr::MethodCall(m) => {
            let ok = if m.method == "header" {
                m.args.iter().all(is_constant)
            } else if m.method == "status" || m.method == "version" {
                m.args.len() == 1
                    && !matches!(
                        strip(&m.args[0]),
                        syn::Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Int(_),
                            ..
                        })
                    )
            } else {
                false
            };
            ok && constant_builder(&m.receiver)
        }
        syn::Expr::Call(c) => {
            c.args.is_empty()
                && matches!(&*c.func, syn::Expr::Path(p)
                    if p.path.segments.len() >= 2
                        && p.path.segments.last().is_some_and(|s| s.ident == "builder")
                        && p.path.segments[p.path.segments.len() - 2].ident == "Response")
        }
        _ => false,
    }
}

/// Pure parsers and constructors of constants, and JSON serialisation.
fn infallible_call(c: &syn::ExprCall) -> bool {
    let syn::Expr::Path(p) = &*c.func else {
        return false;
    };
    let segs = &p.path.segments;
    let Some(last) = segs.last() else {
        return false;
    };
    let f = last.ident.to_string();
    let owner = segs
        .len()
        .checked_sub(2)
        .map(|i| segs[i].ident.to_string())
        .unwrap_or_default();
    // serde_json::to_string(&value): fails only for maps with non-string keys
    // or a failing hand-written `Serialize`.
    if owner == "serde_json"
        && matches!(
            f.as_str(),
            "to_string" | "to_string_pretty" | "to_value" | "to_vec" | "to_vec_pretty"
        )
    {
        return true;
    }
    const PURE: &[&str] = &[
        "new",
        "parse",
        "parse_str",
        "from_str",
        "from_static",
        "from_bytes",
        "from_u16",
        "from_u32",
        "from_u64",
        "from_utf8",
        "try_from",
        "from_ymd_opt",
        "from_hms_opt",
        "try_days",
        "try_hours",
        "try_minutes",
        "try_seconds",
        "try_milliseconds",
        "try_weeks",
    ];
    let typed_owner = owner.starts_with(char::is_uppercase) || owner == "serde_json";
    typed_owner
        && PURE.contains(&f.as_str())
        && !c.args.is_empty()
        && (c.args.iter().all(is_constant) || round_trip(&owner, &f, c))
}

/// `Method::from_bytes(method.as_str().as_bytes())`,
/// `StatusCode::from_u16(res.status().as_u16())`,
/// `HeaderName::from_bytes(header_name.as_ref())`: a value named like the
/// type, viewed through `as_*()` conversions and parsed back into that type
/// (a proxy converting between two versions of the `http` types). What a
/// `StatusCode`, `Method` or `HeaderName` prints, its twin parses.
fn round_trip(owner: &str, f: &str, c: &syn::ExprCall) -> bool {
    if !f.starts_with("from_") || c.args.len() != 1 {
        return false;
    }
    let mut arg = strip(&c.args[0]);
    let mut views = 0;
    while let syn::Expr::MethodCall(m) = arg
        && m.args.is_empty()
        && m.method.to_string().starts_with("as_")
    {
        views += 1;
        arg = strip(&m.receiver);
    }
    let base = match arg {
        syn::Expr::Path(p) => p.path.get_ident().map(|i| i.to_string()),
        syn::Expr::MethodCall(m) if m.args.is_empty() => Some(m.method.to_string()),
        syn::Expr::Field(syn::ExprField {
            member: syn::Member::Named(n),
            ..
        }) => Some(n.to_string()),
        _ => None,
    };
    let Some(base) = base else {
        return false;
    };
    let mut ty = String::new();
    for ch in owner.chars() {
        if ch.is_uppercase() && !ty.is_empty() {
            ty.push('_');
        }
        ty.push(ch.to_ascii_lowercase());
    }
    let base = base.trim_start_matches('_').to_ascii_lowercase();
    views > 0 && !base.is_empty() && (base == ty || ty.starts_with(&format!("{base}_")))
}

/// `Utc::now()`, `SystemTime::now()`, `Instant::now()`, `Local::now()`.
fn is_now(expr: &syn::Expr) -> bool {
    matches!(strip(expr), syn::Expr::Call(c) if c.args.is_empty()
        && matches!(&*c.func, syn::Expr::Path(p)
            if p.path.segments.last().is_some_and(|s| s.ident == "now")))
}

/// A literal, a `SCREAMING_CASE` constant, a reference to either, a
/// conversion of one without arguments (`"x".as_bytes()`), or a constructor
/// of constants (`Duration::hours(24)`).
fn is_constant(expr: &syn::Expr) -> bool {
    match strip(expr) {
        syn::Expr::Lit(_) => true,
        syn::Expr::MethodCall(m) => m.args.is_empty() && is_constant(&m.receiver),
        syn::Expr::Call(c) => {
            !c.args.is_empty()
                && c.args.iter().all(is_constant)
                && matches!(&*c.func, syn::Expr::Path(p) if p.path.segments.len() >= 2
                    && p.path.segments[p.path.segments.len() - 2]
                        .ident
                        .to_string()
                        .starts_with(char::is_uppercase))
        }
        syn::Expr::Unary(u) => matches!(u.op, syn::UnOp::Neg(_)) && is_constant(&u.expr),
        syn::Expr::Macro(m) => constant_format(&m.mac),
        syn::Expr::Path(p) => p
            .path
            .segments
            .last()
            .is_some_and(|s| is_screaming(&s.ident.to_string())),
        _ => false,
    }
}

/// `format!("max-age={MAX_AGE}")`, `format!("{}s", TIMEOUT)`: a format of
/// constants only (inline names in `SCREAMING_CASE`, arguments constants).
fn constant_format(mac: &syn::Macro) -> bool {
    if mac.path.segments.last().is_none_or(|s| s.ident != "format") {
        return false;
    }
    let Some(args) = crate::syntax::macro_args(mac) else {
        return false;
    };
    let mut args = args.iter();
    let Some(syn::Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Str(fmt),
        ..
    })) = args.next()
    else {
        return false;
    };
    let fmt = fmt.value();
    let mut rest = fmt.as_str();
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        if let Some(stripped) = after.strip_prefix('{') {
            rest = stripped;
            continue;
        }
        let Some(close) = after.find('}') else {
            return false;
        };
        let name = after[..close].split(':').next().unwrap_or("");
        if !(name.is_empty() || name.chars().all(|c| c.is_ascii_digit()) || is_screaming(name)) {
            return false;
        }
        rest = &after[close + 1..];
    }
    args.all(is_constant)
}

/// A `SCREAMING_CASE` name of more than one character: a constant.
fn is_screaming(name: &str) -> bool {
    name.len() > 1
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// `write!(s, ..)`/`writeln!(&mut s, ..)` into a `String`, a `Vec<u8>` or a
/// `fmt::Formatter`, which cannot fail.
fn writes_to_memory(scratch: &Scratch, mac: &syn::Macro, span: Span) -> bool {
    let Some(name) = mac.path.segments.last() else {
        return false;
    };
    if name.ident != "write" && name.ident != "writeln" {
        return false;
    }
    let Some(args) = crate::syntax::macro_args(mac) else {
        return false;
    };
    let Some(target) = args.first() else {
        return false;
    };
    let ty = match strip(target) {
        syn::Expr::Path(p) => p
            .path
            .get_ident()
            .and_then(|id| scratch.local_type(&id.to_string(), span)),
        syn::Expr::Field(f) => {
            // `self.buf`: unknown; `out.0`: unknown.
            let _ = f;
            None
        }
        _ => None,
    };
    ty.and_then(|t| t.last())
        .is_some_and(|t| matches!(t.as_str(), "String" | "Formatter" | "Vec"))
}

/// `tokio::spawn(..).await` or `handle.await` of a `let handle = spawn(..)`.
fn is_join_handle(scratch: &Scratch, base: &syn::Expr, span: Span) -> bool {
    match strip(base) {
        syn::Expr::Call(c) => spawn_call(c).is_some(),
        syn::Expr::MethodCall(m) => is_spawn_method(m),
        syn::Expr::Path(p) => p.path.get_ident().is_some_and(|id| {
            let id = id.to_string();
            scratch
                .join_handles
                .iter()
                .any(|(scope, n)| *n == id && contains(*scope, span))
        }),
        _ => false,
    }
}

/// The argument of `tokio::spawn(f)`, `task::spawn_blocking(f)`,
/// `thread::spawn(f)`, `spawn(f)`, ...
pub fn spawn_call(c: &syn::ExprCall) -> Option<&syn::Expr> {
    let syn::Expr::Path(p) = &*c.func else {
        return None;
    };
    let segs = &p.path.segments;
    let last = &segs.last()?.ident;
    if !(last == "spawn" || last == "spawn_blocking" || last == "spawn_local") {
        return None;
    }
    // Tasks on the worker's own local set (`spawn_local`, actix-web's
    // `rt::spawn`) serve the connection: a websocket session, a streamed body.
    if last == "spawn_local"
        || segs
            .iter()
            .any(|s| s.ident == "rt" || s.ident == "actix_rt")
    {
        return None;
    }
    let known_root = segs.len() == 1
        || segs.first().is_some_and(|s| {
            matches!(
                s.ident.to_string().as_str(),
                "tokio" | "task" | "thread" | "std" | "async_std" | "smol" | "futures"
            )
        });
    if known_root { c.args.first() } else { None }
}

/// `handle.spawn(fut)`, `set.spawn(fut)`, `rt.spawn_blocking(f)`.
fn is_spawn_method(m: &syn::ExprMethodCall) -> bool {
    m.args.len() == 1 && (m.method == "spawn" || m.method == "spawn_blocking")
}

/// The argument of a spawn call or method, if `expr` is one.
pub fn spawned_arg(expr: &syn::Expr) -> Option<&syn::Expr> {
    match expr {
        syn::Expr::Call(c) => spawn_call(c),
        syn::Expr::MethodCall(m) if is_spawn_method(m) => m.args.first(),
        _ => None,
    }
}

/// The extent of a closure, async block or block without printing it to
/// tokens when its end is a brace.
pub fn extent(expr: &syn::Expr) -> Span {
    match expr {
        syn::Expr::Async(a) => Span::join(
            Span::of(&a.async_token),
            Span::from(a.block.brace_token.span.close()),
        ),
        syn::Expr::Block(b) => Span::from(b.block.brace_token.span.join()),
        syn::Expr::Closure(c) => {
            let start = Span::of(&c.inputs_begin);
            let end = match &*c.body {
                syn::Expr::Block(_) | syn::Expr::Async(_) => extent(&c.body),
                body => Span::of(body),
            };
            let start = c
                .asyncness
                .as_ref()
                .map(Span::of)
                .or_else(|| c.capture.as_ref().map(Span::of))
                .unwrap_or(start);
            Span::join(start, end)
        }
        _ => Span::of(expr),
    }
}

/// Whether `expr` names a local bound to an error-free builder.
fn clean_builder_local(scratch: &Scratch, expr: &syn::Expr, span: Span) -> bool {
    let syn::Expr::Path(p) = strip(expr) else {
        return false;
    };
    let Some(id) = p.path.get_ident().map(|i| i.to_string()) else {
        return false;
    };
    scratch
        .clean_builders
        .iter()
        .any(|(scope, n)| *n == id && contains(*scope, span))
}

/// Records `let b = Response::builder().status(s)` (a builder that holds no
/// error); a later `let b = ..` of anything else in the same scope forgets it.
pub fn record_builder(scratch: &mut Scratch, scope: Span, name: &str, init: &syn::Expr) {
    if constant_builder(strip(init)) {
        scratch.clean_builders.push((scope, name.to_owned()));
    } else {
        scratch
            .clean_builders
            .retain(|(s, n)| !(n == name && contains(*s, scope)));
    }
}

/// Records `let h = tokio::spawn(..)`.
pub fn record_join_handle(scratch: &mut Scratch, scope: Span, local: &syn::Local) {
    if let syn::Pat::Ident(id) = &local.pat
        && let Some(init) = &local.init
        && spawned_arg(strip(&init.expr)).is_some()
    {
        scratch.join_handles.push((scope, id.ident.to_string()));
    }
}

// ---------------------------------------------------------------- guards

/// What a condition proves about receivers: (receiver text, proves `Some`/`Ok`).
fn facts_of(cond: &syn::Expr, positive: bool, out: &mut Vec<(String, bool)>) {
    match strip(cond) {
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => {
            facts_of(&u.expr, !positive, out);
        }
        // `a && b` holds: both hold; `a || b` fails: both fail.
        syn::Expr::Binary(b)
            if (positive && matches!(b.op, syn::BinOp::And(_)))
                || (!positive && matches!(b.op, syn::BinOp::Or(_))) =>
        {
            facts_of(&b.left, positive, out);
            facts_of(&b.right, positive, out);
        }
        syn::Expr::MethodCall(m) if m.args.is_empty() => {
            let name = m.method.to_string();
            let proves_ok = match name.as_str() {
                "is_some" | "is_ok" => true,
                "is_none" | "is_err" => false,
                n if n.starts_with("is_") => true,
                _ => return,
            };
            // `!x.is_none()` holds: x is Some; `x.is_none()` fails: Some.
            let (base, flipped) = normalize(&m.receiver);
            out.push((text(base), (proves_ok == positive) != flipped));
        }
        _ => {}
    }
}

/// `if let Some(_) = r.err()` / `if let Err(_) = r` / `if let None = r`
/// entered: what it proves when NOT entered.
fn let_facts(cond: &syn::Expr, out: &mut Vec<(String, bool)>) {
    let syn::Expr::Let(l) = strip(cond) else {
        return;
    };
    let variant = match &*l.pat {
        syn::Pat::TupleStruct(t) => t.path.segments.last().map(|s| s.ident.to_string()),
        syn::Pat::Ident(i) => Some(i.ident.to_string()),
        syn::Pat::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    };
    let scrutinee = strip(&l.expr);
    let (base, flipped) = normalize(scrutinee);
    match variant.as_deref() {
        // Not entered: Ok/Some; `if let Some(e) = r.err()` not entered: Ok.
        Some("Err" | "None") => out.push((text(base), !flipped)),
        Some("Some") if flipped => out.push((text(base), true)),
        _ => {}
    }
}

/// Whether a block always leaves: its last statement returns, breaks,
/// continues or panics.
fn diverges(block: &syn::Block) -> bool {
    let Some(last) = block.stmts.last() else {
        return false;
    };
    let expr = match last {
        syn::Stmt::Expr(e, _) => e,
        syn::Stmt::Macro(m) => {
            return m
                .mac
                .path
                .segments
                .last()
                .is_some_and(|s| s.ident == "panic" || s.ident == "unreachable");
        }
        _ => return false,
    };
    match expr {
        syn::Expr::Return(_) | syn::Expr::Continue(_) | syn::Expr::Break(_) => true,
        syn::Expr::Macro(m) => m
            .mac
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "panic" || s.ident == "unreachable"),
        _ => false,
    }
}

/// Records the guard regions an `if` or `&&`/`||` creates. `rest` is the
/// region after the expression up to the end of its function: an early
/// `return` guards it.
pub fn record_guards(scratch: &mut Scratch, expr: &syn::Expr, rest_end: Option<Span>) {
    match expr {
        syn::Expr::If(i) => {
            let mut then_facts = Vec::new();
            facts_of(&i.cond, true, &mut then_facts);
            let then_region = Span::from(i.then_branch.brace_token.span.join());
            for (t, ok) in then_facts {
                scratch.guards.push((t, then_region, ok));
            }
            let mut else_facts = Vec::new();
            facts_of(&i.cond, false, &mut else_facts);
            let_facts(&i.cond, &mut else_facts);
            if else_facts.is_empty() {
                return;
            }
            if let Some((_, else_branch)) = &i.else_branch {
                let region = extent(else_branch);
                for (t, ok) in else_facts {
                    scratch.guards.push((t, region, ok));
                }
            } else if diverges(&i.then_branch)
                && let Some(end) = rest_end
            {
                let after = Span::from(i.then_branch.brace_token.span.close());
                let region = Span::join(after, end);
                for (t, ok) in else_facts {
                    scratch.guards.push((t, region, ok));
                }
            }
        }
        // `x = Some(..)` / `x = Ok(..)`: Some/Ok until the function ends (a
        // later `x = None` is not looked for).
        syn::Expr::Assign(a) => {
            if let (Some(end), syn::Expr::Call(c)) = (rest_end, strip(&a.right))
                && let syn::Expr::Path(p) = &*c.func
                && (p.path.is_ident("Some") || p.path.is_ident("Ok"))
            {
                let from = Span::of(&a.eq_token);
                scratch
                    .guards
                    .push((text(&a.left), Span::join(from, end), true));
            }
        }
        // `Ok(user) if user.password.is_some() => { .. }`: the arm's guard.
        syn::Expr::Match(mt) => {
            for arm in &mt.arms {
                if let syn::Pat::Guard(g) = &arm.pat {
                    let mut facts = Vec::new();
                    facts_of(&g.guard, true, &mut facts);
                    let region = extent(&arm.body);
                    for (t, ok) in facts {
                        scratch.guards.push((t, region, ok));
                    }
                }
            }
        }
        syn::Expr::Binary(b) => {
            let positive = match b.op {
                syn::BinOp::And(_) => true,
                syn::BinOp::Or(_) => false,
                _ => return,
            };
            let mut facts = Vec::new();
            facts_of(&b.left, positive, &mut facts);
            if facts.is_empty() {
                return;
            }
            let region = Span::of(&b.right);
            for (t, ok) in facts {
                scratch.guards.push((t, region, ok));
            }
        }
        _ => {}
    }
}

/// Whether the unwrap `m` at `span` lies in a region whose guard proves its
/// receiver.
fn guarded(scratch: &Scratch, m: &syn::ExprMethodCall, span: Span) -> bool {
    if !scratch.guards.iter().any(|(_, r, _)| contains(*r, span)) {
        return false;
    }
    let wants_ok = !m.method.to_string().ends_with("_err");
    let (recv, flipped) = normalize(&m.receiver);
    let want = wants_ok != flipped;
    let t = text(recv);
    scratch
        .guards
        .iter()
        .any(|(g, r, ok)| *ok == want && contains(*r, span) && *g == t)
}

/// Strips conversions that keep `Some`/`Ok` (`.as_ref()`, `.as_deref()`,
/// `.clone()`, `.as_u64()` after `is_u64()`); `.err()` flips: (base, flipped).
fn normalize(expr: &syn::Expr) -> (&syn::Expr, bool) {
    let mut recv = strip(expr);
    let mut flipped = false;
    while let syn::Expr::MethodCall(r) = recv
        && r.args.is_empty()
    {
        let name = r.method.to_string();
        if name == "err" {
            flipped = !flipped;
        } else if !(name.starts_with("as_")
            || matches!(name.as_str(), "clone" | "ok" | "take" | "cloned" | "copied"))
        {
            break;
        }
        recv = strip(&r.receiver);
    }
    (recv, flipped)
}

fn text(expr: &syn::Expr) -> String {
    quote_tokens(strip(expr))
}

fn quote_tokens(expr: &syn::Expr) -> String {
    quote::ToTokens::to_token_stream(expr).to_string()
}

/// Whether a comment on the unwrap's line or just above its statement
/// justifies it: it mentions `unwrap`/`expect`, or says the call cannot fail
/// (`cannot fail`, `never fails`, `infallible`, `always`, `SAFETY`).
pub fn documented(scratch: &mut Scratch, source: &str, span: Span) -> bool {
    let starts = scratch.line_starts.get_or_insert_with(|| {
        let mut v = vec![0];
        v.extend(memchr::memchr_iter(b'\n', source.as_bytes()).map(|i| i + 1));
        v
    });
    let line_text = |n: usize| -> Option<&str> {
        let start = *starts.get(n.checked_sub(1)?)?;
        let end = starts.get(n).map_or(source.len(), |e| e.saturating_sub(1));
        source.get(start..end)
    };
    let justifies = |comment: &str| {
        let c = comment.to_ascii_lowercase();
        // `// TODO: remove this unwrap` admits the problem.
        if ["todo", "fixme", "xxx", "hack"]
            .iter()
            .any(|w| c.contains(w))
        {
            return false;
        }
        [
            "unwrap",
            "expect",
            "cannot fail",
            "can't fail",
            "never fail",
            "infallible",
            "safety",
            "always",
        ]
        .iter()
        .any(|w| c.contains(w))
    };
    let line = span.start.line as usize;
    if let Some(text) = line_text(line)
        && let Some(i) = text.find("//")
        && justifies(&text[i..])
    {
        return true;
    }
    // Up the statement: continuation lines, then the comment above it.
    let mut n = line;
    for _ in 0..6 {
        n -= 1;
        let Some(text) = line_text(n) else {
            return false;
        };
        let t = text.trim();
        if t.starts_with("//") {
            return justifies(t);
        }
        if t.is_empty() || t.ends_with(';') || t.ends_with('{') || t.ends_with('}') {
            return false;
        }
    }
    false
}
