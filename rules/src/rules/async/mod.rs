//! Async hazards: code that stalls the runtime's worker threads. The rules
//! share what this module finds in a file: its async bodies (the code a
//! future runs when polled), the closures that run elsewhere (a blocking
//! pool, a thread), and what its `use` items name.

pub mod blocking_in_async;
pub mod lock_across_await;

use std::collections::HashMap;

use syn::visit::Visit;

use crate::checker::attrs_are_test;

/// A body run by a future: an `async fn`'s block, or an `async` block or
/// closure that sits in synchronous code. `async` blocks nested in a body
/// are part of it.
pub enum Body<'a> {
    Fn {
        sig: &'a syn::Signature,
        attrs: &'a [syn::Attribute],
        block: &'a syn::Block,
    },
    Expr(&'a syn::Expr),
}

impl Body<'_> {
    /// Visits the body's statements or expression.
    pub fn visit<'v>(&'v self, v: &mut impl Visit<'v>) {
        match self {
            Body::Fn { block, .. } => v.visit_block(block),
            Body::Expr(e) => v.visit_expr(e),
        }
    }

    /// `#[tokio::main] async fn main` (any runtime's `main` attribute): the
    /// start-up of a program, run before it serves anything.
    pub fn is_async_main(&self) -> bool {
        match self {
            Body::Fn { sig, attrs, .. } => {
                sig.ident == "main"
                    && attrs.iter().any(|a| {
                        let p = a.path();
                        p.segments.len() >= 2
                            && p.segments.last().is_some_and(|s| s.ident == "main")
                    })
            }
            Body::Expr(_) => false,
        }
    }
}

/// Every async body of `file`, in source order (callers skip test code: a
/// file whose own attributes make it test code is `in_test` already). Files
/// that never say `async` have none (checked without walking).
pub fn bodies<'a>(file: &'a syn::File, source: &str) -> Vec<Body<'a>> {
    let mut out = Vec::new();
    if !source.contains("async") {
        return out;
    }
    items(&file.items, &mut out);
    out
}

fn items<'a>(items: &'a [syn::Item], out: &mut Vec<Body<'a>>) {
    for item in items {
        match item {
            syn::Item::Fn(f) if !attrs_are_test(&f.attrs) => {
                function(&f.sig, &f.attrs, &f.block, out);
            }
            syn::Item::Mod(m) if !attrs_are_test(&m.attrs) => {
                if let Some((_, inner)) = &m.content {
                    self::items(inner, out);
                }
            }
            syn::Item::Impl(i) if !attrs_are_test(&i.attrs) => {
                for it in &i.items {
                    if let syn::ImplItem::Fn(f) = it
                        && !attrs_are_test(&f.attrs)
                    {
                        function(&f.sig, &f.attrs, &f.block, out);
                    }
                }
            }
            syn::Item::Trait(t) if !attrs_are_test(&t.attrs) => {
                for it in &t.items {
                    if let syn::TraitItem::Fn(f) = it
                        && let Some(block) = &f.default
                        && !attrs_are_test(&f.attrs)
                    {
                        function(&f.sig, &f.attrs, block, out);
                    }
                }
            }
            _ => {}
        }
    }
}

fn function<'a>(
    sig: &'a syn::Signature,
    attrs: &'a [syn::Attribute],
    block: &'a syn::Block,
    out: &mut Vec<Body<'a>>,
) {
    if sig.asyncness.is_some() {
        out.push(Body::Fn { sig, attrs, block });
    } else {
        // Async blocks and closures inside synchronous code; nested items
        // (functions declared in a body) are bodies of their own.
        let mut finder = AsyncFinder { out };
        finder.visit_block(block);
    }
}

struct AsyncFinder<'o, 'a> {
    out: &'o mut Vec<Body<'a>>,
}

impl<'a> Visit<'a> for AsyncFinder<'_, 'a> {
    fn visit_expr(&mut self, e: &'a syn::Expr) {
        match e {
            syn::Expr::Async(_) => self.out.push(Body::Expr(e)),
            syn::Expr::Closure(c) if c.asyncness.is_some() => self.out.push(Body::Expr(e)),
            _ => syn::visit::visit_expr(self, e),
        }
    }

    fn visit_item(&mut self, item: &'a syn::Item) {
        items(std::slice::from_ref(item), self.out);
    }
}

/// Whether a closure passed to this call runs off the async worker threads:
/// `spawn_blocking`, `block_in_place`, `std::thread::spawn`, a thread
/// `Builder`'s or scope's `spawn`, actix's `web::block`, deadpool's
/// `interact` and rocket_sync_db_pools' `run`.
pub fn runs_closure_elsewhere(callee: &str) -> bool {
    matches!(
        callee,
        "spawn_blocking"
            | "block_in_place"
            | "spawn"
            | "spawn_scoped"
            | "block"
            | "interact"
            | "run"
    )
}

/// The name a call is made through: the last segment of a path call, the
/// method of a method call.
pub fn callee_name(e: &syn::Expr) -> Option<String> {
    match e {
        syn::Expr::Call(c) => match &*c.func {
            syn::Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        },
        syn::Expr::MethodCall(m) => Some(m.method.to_string()),
        _ => None,
    }
}

/// What the file's `use` items bring into scope: local name to full path
/// (`fs` -> `tokio::fs`, `sleep` -> `std::thread::sleep`). Imports of inline
/// modules count for the whole file; renames are followed; globs are not.
#[derive(Default)]
pub struct Imports {
    names: HashMap<String, String>,
    /// Crate roots mentioned by any `use` (`diesel`, `rusqlite`, ...).
    roots: Vec<String>,
}

impl Imports {
    pub fn of(file: &syn::File) -> Imports {
        let mut imports = Imports::default();
        imports.items(&file.items);
        imports
    }

    fn items(&mut self, items: &[syn::Item]) {
        for item in items {
            match item {
                syn::Item::Use(u) => self.tree(&u.tree),
                syn::Item::Mod(m) => {
                    if let Some((_, inner)) = &m.content {
                        self.items(inner);
                    }
                }
                _ => {}
            }
        }
    }

    fn tree(&mut self, tree: &syn::UseTree) {
        self.roots_of(tree);
        crate::syntax::flatten_use(tree, &mut Vec::new(), &mut |alias, path| {
            if let Some(alias) = alias {
                self.names.insert(alias, path.join("::"));
            }
        });
    }

    /// The crates a `use` tree starts from (`use diesel::prelude::*`,
    /// `use {rusqlite, std::fs}`); a crate only renamed (`use x as y`) is not one.
    fn roots_of(&mut self, tree: &syn::UseTree) {
        let name = match tree {
            syn::UseTree::Path(p) => p.ident.to_string(),
            syn::UseTree::Name(n) if n.ident != "self" => n.ident.to_string(),
            syn::UseTree::Group(g) => {
                g.items.iter().for_each(|t| self.roots_of(t));
                return;
            }
            _ => return,
        };
        if !self.roots.contains(&name) {
            self.roots.push(name);
        }
    }

    /// `path` with its first segment replaced by what the imports say it
    /// names (`fs::read` -> `tokio::fs::read`); `::`-joined, no generics.
    pub fn resolve(&self, path: &syn::Path) -> String {
        let mut segs = path.segments.iter().map(|s| s.ident.to_string());
        let Some(first) = segs.next() else {
            return String::new();
        };
        let mut out = match self.names.get(&first) {
            Some(full) if path.leading_colon.is_none() => full.clone(),
            _ => first,
        };
        for s in segs {
            out.push_str("::");
            out.push_str(&s);
        }
        out
    }

    /// Whether any `use` starts at crate `root` (`diesel`, `postgres`).
    pub fn uses_crate(&self, root: &str) -> bool {
        self.roots.iter().any(|r| r == root)
    }
}

/// Finds the first `.await` in an expression or block, without entering
/// closures, `async` blocks (another future's awaits) or nested items.
/// `select!`, `join!` and `try_join!` await their futures.
/// With `after`, only awaits that start after that span count.
#[derive(Default)]
pub struct FirstAwait {
    pub after: Option<crate::diagnostic::Span>,
    pub found: Option<crate::diagnostic::Span>,
}

impl FirstAwait {
    fn counts(&self, at: crate::diagnostic::Span) -> bool {
        self.after.is_none_or(|after| at.start > after.end)
    }
}

impl<'a> Visit<'a> for FirstAwait {
    fn visit_expr(&mut self, e: &'a syn::Expr) {
        if self.found.is_some() {
            return;
        }
        match e {
            syn::Expr::Await(a) => {
                // The operand runs first: an await inside it comes first.
                self.visit_expr(&a.base);
                let at = crate::diagnostic::Span::of(&a.await_token);
                if self.found.is_none() && self.counts(at) {
                    self.found = Some(at);
                }
            }
            syn::Expr::Closure(_) | syn::Expr::Async(_) => {}
            syn::Expr::Macro(m) => self.visit_macro(&m.mac),
            _ => syn::visit::visit_expr(self, e),
        }
    }

    fn visit_macro(&mut self, mac: &'a syn::Macro) {
        if self.found.is_some() {
            return;
        }
        let awaits = mac.path.segments.last().is_some_and(|s| {
            matches!(s.ident.to_string().as_str(), "select" | "join" | "try_join")
        });
        let at = crate::diagnostic::Span::of(&mac.path);
        if awaits && self.counts(at) {
            self.found = Some(at);
        }
    }

    fn visit_stmt_macro(&mut self, m: &'a syn::StmtMacro) {
        self.visit_macro(&m.mac);
    }

    fn visit_item(&mut self, _: &'a syn::Item) {}
}

/// The first `.await` in `e`, if any.
pub fn first_await_in_expr(e: &syn::Expr) -> Option<crate::diagnostic::Span> {
    let mut f = FirstAwait::default();
    f.visit_expr(e);
    f.found
}

/// The first `.await` in `s`, if any.
pub fn first_await_in_stmt(s: &syn::Stmt) -> Option<crate::diagnostic::Span> {
    let mut f = FirstAwait::default();
    f.visit_stmt(s);
    f.found
}
