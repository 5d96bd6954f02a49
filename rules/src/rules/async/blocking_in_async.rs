//! RG501 blocking-in-async.

use std::collections::HashMap;

use syn::visit::Visit;

use super::Imports;
use crate::checker::{Ctx, attrs_are_test};
use crate::diagnostic::Span;
use crate::rule::{Rule, RuleMeta};
use crate::{Out, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports blocking calls made inside `async fn` bodies, `async` blocks
    /// and `async` closures, outside tests:
    /// - `std::thread::sleep`;
    /// - `std::fs` functions and `std::fs::File::open`/`create`;
    /// - `std::net` blocking sockets (`TcpStream::connect`,
    ///   `TcpListener::bind`, `UdpSocket::bind`) and `to_socket_addrs()`
    ///   (a DNS lookup);
    /// - `reqwest::blocking`;
    /// - `std::process::Command`'s `output()`, `status()`, `wait()` and
    ///   `wait_with_output()`;
    /// - reading stdin a line at a time (`stdin().read_line(..)`);
    /// - password hashing (`bcrypt::hash`/`verify`, `argon2::hash_encoded`/
    ///   `verify_encoded`, the `password_hash` API's `hash_password`/
    ///   `verify_password`, `scrypt::scrypt`, `pbkdf2::pbkdf2*`): tens of
    ///   milliseconds of CPU each, by design;
    /// - synchronous database clients, in files that `use` them: diesel
    ///   (`load`, `get_result(s)`, `first`, `execute` on a connection),
    ///   `postgres` and `rusqlite` (`query*`, `execute`, `prepare`).
    ///
    /// Paths are resolved through the file's `use` items: with `use
    /// tokio::fs;`, `fs::read(p)` is tokio's. A call whose result is
    /// `.await`ed is never reported (it is the async API of the same name).
    ///
    /// One hop is followed: a call from async code to a synchronous function
    /// of the same file (a free function, or `self.f()`/`Self::f()`) whose
    /// body makes a blocking call directly is reported at the call, with the
    /// blocking call as a related location.
    ///
    /// Not reported: closures handed to `spawn_blocking`, `block_in_place`,
    /// `std::thread::spawn` (or a thread builder's or scope's `spawn`),
    /// actix's `web::block`, deadpool's `interact` and rocket_sync_db_pools'
    /// `run`, which run on threads meant for blocking; and the body of
    /// `#[tokio::main] async fn main` (any runtime's `main` attribute), the
    /// program's start-up before it serves anything.
    ///
    /// Maturity: preview (runs with `--preview`). Measured on 2026-12-03 on
    /// seven real services (`bench/accuracy/`): 16 findings, 15 a team would
    /// act on (useful 0.94), one in a CLI's polling loop. It stays preview
    /// until a second set of services confirms it.
    ///
    /// ## Why is this bad?
    /// An async runtime runs many tasks on a few worker threads. A task that
    /// blocks holds its worker for the whole call: every other task queued
    /// there, and every request they serve, waits. Under load a few blocking
    /// calls stall the whole service.
    ///
    /// ## Example
    /// ```rust
    /// async fn avatar(id: u64) -> std::io::Result<Vec<u8>> {
    ///     std::fs::read(format!("avatars/{id}.png"))
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```rust
    /// async fn avatar(id: u64) -> std::io::Result<Vec<u8>> {
    ///     tokio::fs::read(format!("avatars/{id}.png")).await
    /// }
    /// // or, for CPU work such as password hashing:
    /// // tokio::task::spawn_blocking(move || bcrypt::hash(pw, 12)).await?
    /// ```
    ///
    /// ## What it does not see
    /// Calls more than one hop away or in another file; blocking calls
    /// behind a trait or a function pointer; macros other than the ones
    /// whose arguments are expressions; and any blocking API not listed
    /// above (a synchronous client of another crate).
    pub struct BlockingInAsync {
        code: "RG501",
        name: "blocking-in-async",
        severity: Warning,
        summary: "blocking call inside async code",
        tags: ["async", "performance"],
        precision: "medium",
        preview: true,
    }
}

impl Rule for BlockingInAsync {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads_test_code(&self) -> bool {
        false
    }

    fn check_file(&self, cx: &Ctx<'_>, file: &syn::File, out: &mut Out) {
        if cx.in_test_or_example() {
            return;
        }
        let bodies = super::bodies(file, cx.source);
        if bodies.is_empty() {
            return;
        }
        let imports = Imports::of(file);
        let helpers = sync_helpers(file, &imports);
        for body in &bodies {
            if body.is_async_main() {
                continue;
            }
            let mut walk = Walk {
                imports: &imports,
                helpers: &helpers,
                found: Vec::new(),
            };
            body.visit(&mut walk);
            for f in walk.found {
                let mut d = cx
                    .diagnostic(&Self::META, f.span, f.message)
                    .with_help(f.help);
                if let Some((span, what)) = f.via {
                    d = d.with_label(&cx.file.path, span, what);
                }
                out.push(d);
            }
        }
    }
}

struct Found {
    span: Span,
    message: String,
    help: &'static str,
    via: Option<(Span, String)>,
}

const HELP_IO: &str = "use the async API (`tokio::fs`, `tokio::time::sleep`, `tokio::process`, `tokio::net`) and `.await` it, or move the call into `tokio::task::spawn_blocking`";
const HELP_CPU: &str = "run the hash in `tokio::task::spawn_blocking(move || ..).await` so it does not hold a worker thread";
const HELP_DB: &str = "use the client's async API (sqlx, diesel-async, tokio-postgres) or run the query in `spawn_blocking` / `web::block` / the pool's `interact`";

/// What a blocking call is, from its resolved path or method.
fn blocking(e: &syn::Expr, imports: &Imports) -> Option<(Span, String, &'static str)> {
    match e {
        syn::Expr::Call(c) => {
            let syn::Expr::Path(p) = &*c.func else {
                return None;
            };
            let full = imports.resolve(&p.path);
            let segs: Vec<&str> = full.split("::").collect();
            let what = match segs.as_slice() {
                ["std", "thread", "sleep"] => ("`std::thread::sleep`", HELP_IO),
                ["std", "fs", "File" | "OpenOptions", _] => {
                    ("blocking file I/O (`std::fs`)", HELP_IO)
                }
                ["std", "fs", f] if f.starts_with(|c: char| c.is_lowercase()) => {
                    ("blocking file I/O (`std::fs`)", HELP_IO)
                }
                [
                    "std",
                    "net",
                    "TcpStream" | "TcpListener" | "UdpSocket",
                    "connect" | "bind",
                ] => ("a blocking `std::net` socket", HELP_IO),
                ["reqwest", "blocking", ..] => ("`reqwest::blocking`", HELP_IO),
                [
                    "bcrypt",
                    "hash" | "verify" | "hash_with_result" | "hash_with_salt",
                ]
                | ["argon2", "hash_encoded" | "verify_encoded" | "hash_raw"]
                | ["scrypt", "scrypt"]
                | ["pbkdf2", "pbkdf2" | "pbkdf2_hmac" | "pbkdf2_hmac_array"] => {
                    ("password hashing (CPU-bound by design)", HELP_CPU)
                }
                _ => return None,
            };
            Some((
                Span::of(&c.func),
                format!("{} blocks the async runtime", what.0),
                what.1,
            ))
        }
        syn::Expr::MethodCall(m) => {
            let name = m.method.to_string();
            let (what, help) = match name.as_str() {
                "output" | "status" | "wait" | "wait_with_output"
                    if chain_starts_with(
                        &m.receiver,
                        imports,
                        &["std", "process", "Command", "new"],
                    ) =>
                {
                    ("`std::process::Command`", HELP_IO)
                }
                "read_line" if chain_mentions(&m.receiver, "stdin") => ("reading stdin", HELP_IO),
                "to_socket_addrs" if m.args.is_empty() => {
                    ("`to_socket_addrs()` (a blocking DNS lookup)", HELP_IO)
                }
                "hash_password" | "verify_password" | "hash_password_into" => {
                    ("password hashing (CPU-bound by design)", HELP_CPU)
                }
                "load" | "get_result" | "get_results" | "first" | "execute" | "load_iter"
                    if imports.uses_crate("diesel")
                        && !imports.uses_crate("diesel_async")
                        && m.args.len() == 1
                        && is_connection(&m.args[0]) =>
                {
                    ("a synchronous diesel query", HELP_DB)
                }
                "query" | "query_one" | "query_opt" | "execute" | "batch_execute" | "query_row"
                | "query_map" | "prepare"
                    if (imports.uses_crate("postgres") || imports.uses_crate("rusqlite"))
                        && !imports.uses_crate("tokio_postgres")
                        && !m.args.is_empty() =>
                {
                    ("a synchronous database query", HELP_DB)
                }
                _ => return None,
            };
            Some((
                Span::of(&m.method),
                format!("{what} blocks the async runtime"),
                help,
            ))
        }
        _ => None,
    }
}

impl Imports {
    fn has(&self, name: &str) -> bool {
        self.names.contains_key(name)
    }
}

/// Whether a method chain's first call is the function at `path`
/// (`Command::new("git").arg(..)` with `use std::process::Command`).
fn chain_starts_with(e: &syn::Expr, imports: &Imports, path: &[&str]) -> bool {
    let mut e = e;
    loop {
        match e {
            syn::Expr::MethodCall(m) => e = &m.receiver,
            syn::Expr::Reference(r) => e = &r.expr,
            syn::Expr::Paren(p) => e = &p.expr,
            syn::Expr::Try(t) => e = &t.expr,
            syn::Expr::Call(c) => {
                let syn::Expr::Path(p) = &*c.func else {
                    return false;
                };
                let full = imports.resolve(&p.path);
                let segs: Vec<&str> = full.split("::").collect();
                // `Command::new` with no import: std's only when the file
                // imports no other `Command`.
                return segs == path
                    || (segs.len() + 2 == path.len()
                        && segs == path[2..]
                        && !imports.has(path[2]));
            }
            // A variable holding the command is not followed.
            _ => return false,
        }
    }
}

/// Whether a receiver chain calls a function or method named `name`.
fn chain_mentions(e: &syn::Expr, name: &str) -> bool {
    let mut e = e;
    loop {
        match e {
            syn::Expr::MethodCall(m) => {
                if m.method == name {
                    return true;
                }
                e = &m.receiver;
            }
            syn::Expr::Call(c) => {
                return matches!(&*c.func, syn::Expr::Path(p)
                    if p.path.segments.last().is_some_and(|s| s.ident == name));
            }
            syn::Expr::Reference(r) => e = &r.expr,
            syn::Expr::Paren(p) => e = &p.expr,
            _ => return false,
        }
    }
}

/// `conn`, `&mut conn`, `&mut *conn`, `self.conn`, `&mut db`: what diesel
/// queries take.
fn is_connection(e: &syn::Expr) -> bool {
    let mut e = e;
    loop {
        match e {
            syn::Expr::Reference(r) => e = &r.expr,
            syn::Expr::Unary(u) => e = &u.expr,
            syn::Expr::Paren(p) => e = &p.expr,
            syn::Expr::Path(p) => {
                return p
                    .path
                    .segments
                    .last()
                    .is_some_and(|s| named_like_connection(&s.ident));
            }
            syn::Expr::Field(f) => {
                return matches!(&f.member, syn::Member::Named(n) if named_like_connection(n));
            }
            _ => return false,
        }
    }
}

fn named_like_connection(id: &syn::Ident) -> bool {
    let s = id.to_string().to_ascii_lowercase();
    s.contains("conn") || s == "db" || s == "c"
}

/// Synchronous functions of the file whose own body makes a blocking call:
/// (is a method, name) to that call; `None` when two share the name.
type Helpers = HashMap<(bool, String), Option<(Span, String)>>;

/// Synchronous functions of the file whose own body makes a blocking call.
fn sync_helpers(file: &syn::File, imports: &Imports) -> Helpers {
    let mut out: Helpers = HashMap::new();
    let mut add =
        |method: bool, sig: &syn::Signature, attrs: &[syn::Attribute], block: &syn::Block| {
            if sig.asyncness.is_some() || attrs_are_test(attrs) {
                return;
            }
            let mut walk = Walk {
                imports,
                helpers: &Helpers::new(),
                found: Vec::new(),
            };
            walk.visit_block(block);
            let first = walk.found.into_iter().find(|f| f.via.is_none());
            let entry = first.map(|f| (f.span, f.message));
            // Two functions of the same name: neither is followed.
            out.entry((method, sig.ident.to_string()))
                .and_modify(|e| *e = None)
                .or_insert(entry);
        };
    type Add<'f> = dyn FnMut(bool, &syn::Signature, &[syn::Attribute], &syn::Block) + 'f;
    fn each(items: &[syn::Item], add: &mut Add<'_>) {
        for item in items {
            match item {
                syn::Item::Fn(f) => add(false, &f.sig, &f.attrs, &f.block),
                // Trait impls (`Drop::drop`, ...) are called through the trait.
                syn::Item::Impl(i) if i.trait_.is_none() => {
                    for it in &i.items {
                        if let syn::ImplItem::Fn(f) = it {
                            add(true, &f.sig, &f.attrs, &f.block);
                        }
                    }
                }
                syn::Item::Mod(m) if !attrs_are_test(&m.attrs) => {
                    if let Some((_, inner)) = &m.content {
                        each(inner, add);
                    }
                }
                _ => {}
            }
        }
    }
    each(&file.items, &mut add);
    out.retain(|_, v| v.is_some());
    out
}

/// A synchronous closure, or a block that ends in one
/// (`{ let p = p.clone(); move || .. }`).
fn is_sync_closure(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Closure(c) => c.asyncness.is_none(),
        syn::Expr::Block(b) => {
            matches!(b.block.stmts.last(), Some(syn::Stmt::Expr(t, None)) if is_sync_closure(t))
        }
        syn::Expr::Paren(p) => is_sync_closure(&p.expr),
        _ => false,
    }
}

/// Walks an async body: blocking calls not awaited, and calls to the file's
/// blocking helpers.
struct Walk<'i> {
    imports: &'i Imports,
    helpers: &'i Helpers,
    found: Vec<Found>,
}

impl Walk<'_> {
    fn judge(&mut self, e: &syn::Expr) {
        if let Some((span, message, help)) = blocking(e, self.imports) {
            self.found.push(Found {
                span,
                message,
                help,
                via: None,
            });
            return;
        }
        let helper = match e {
            syn::Expr::Call(c) => match &*c.func {
                syn::Expr::Path(p) if p.path.segments.len() == 1 => Some((
                    false,
                    p.path.segments[0].ident.to_string(),
                    Span::of(&c.func),
                )),
                syn::Expr::Path(p)
                    if p.path.segments.len() == 2 && p.path.segments[0].ident == "Self" =>
                {
                    Some((
                        true,
                        p.path.segments[1].ident.to_string(),
                        Span::of(&c.func),
                    ))
                }
                _ => None,
            },
            syn::Expr::MethodCall(m) if matches!(&*m.receiver, syn::Expr::Path(p) if p.path.is_ident("self")) => {
                Some((true, m.method.to_string(), Span::of(&m.method)))
            }
            _ => None,
        };
        if let Some((method, name, span)) = helper
            && let Some(Some((at, what))) = self.helpers.get(&(method, name.clone()))
        {
            self.found.push(Found {
                span,
                message: format!(
                    "`{name}` makes a blocking call ({}) inside async code",
                    what.trim_end_matches(" blocks the async runtime")
                ),
                help: HELP_IO,
                via: Some((*at, "the blocking call".to_owned())),
            });
        }
    }

    /// Visits a call's callee or receiver and its arguments, except the
    /// synchronous closures handed to a function that runs them off the
    /// async workers.
    fn children(&mut self, e: &syn::Expr) {
        let offload = super::callee_name(e).is_some_and(|n| super::runs_closure_elsewhere(&n));
        let args = match e {
            syn::Expr::Call(c) => {
                self.visit_expr(&c.func);
                &c.args
            }
            syn::Expr::MethodCall(m) => {
                self.visit_expr(&m.receiver);
                &m.args
            }
            _ => return,
        };
        for a in args {
            if !(offload && is_sync_closure(a)) {
                self.visit_expr(a);
            }
        }
    }
}

impl<'a> Visit<'a> for Walk<'_> {
    fn visit_expr(&mut self, e: &'a syn::Expr) {
        match e {
            syn::Expr::Await(a) => {
                // An awaited call is the async API: only its parts are judged.
                let mut base = &*a.base;
                while let syn::Expr::Paren(p) = base {
                    base = &p.expr;
                }
                match base {
                    syn::Expr::Call(_) | syn::Expr::MethodCall(_) => self.children(base),
                    _ => self.visit_expr(base),
                }
            }
            syn::Expr::Call(_) | syn::Expr::MethodCall(_) => {
                self.judge(e);
                self.children(e);
            }
            syn::Expr::Macro(m) => self.visit_macro(&m.mac),
            _ => syn::visit::visit_expr(self, e),
        }
    }

    fn visit_macro(&mut self, mac: &'a syn::Macro) {
        if let Some(args) = crate::syntax::macro_exprs(mac) {
            for a in &args {
                self.visit_expr(a);
            }
        }
    }

    fn visit_stmt_macro(&mut self, m: &'a syn::StmtMacro) {
        self.visit_macro(&m.mac);
    }

    // Functions declared inside a body are checked on their own.
    fn visit_item(&mut self, _: &'a syn::Item) {}
}
