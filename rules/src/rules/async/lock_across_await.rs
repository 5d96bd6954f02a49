//! RG502 lock-across-await.

use syn::visit::Visit;

use super::{Body, first_await_in_expr, first_await_in_stmt};
use crate::checker::Ctx;
use crate::diagnostic::Span;
use crate::rule::{Rule, RuleMeta};
use crate::{Out, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a synchronous lock guard or `RefCell` borrow that is alive
    /// across an `.await` in an `async fn` body, `async` block or `async`
    /// closure, outside tests:
    /// - a guard bound by `let` (`let g = state.lock().unwrap();`, also
    ///   `.read()`, `.write()`, `.borrow()`, `.borrow_mut()`, with or without
    ///   `unwrap`/`expect`/`?`) followed, in the same block, by an `.await`
    ///   before the guard is dropped (`drop(g)`) or its block ends;
    /// - a guard that is a temporary of a statement that awaits later in the
    ///   same statement (`state.lock().unwrap().send(x).await`), of a
    ///   `match` scrutinee whose arms await, or of an `if let`/`while let`
    ///   scrutinee whose body awaits (temporaries live to the end of the
    ///   statement).
    ///
    /// `tokio::sync`, `futures` and `async-lock` locks are acquired with
    /// `.lock().await` and are designed to be held across an await: a lock
    /// call that is awaited is never reported. `let _ = m.lock()` drops the
    /// guard at once. `select!`, `join!` and `try_join!` count as awaits.
    /// clippy's `await_holding_lock` and `await_holding_refcell_ref` find
    /// the same with type information, but need a full build; this rule
    /// works from syntax, so a `.read()`/`.write()`/`.borrow()` with no
    /// arguments is taken for a lock or a borrow whatever its receiver's
    /// type (tokio's `watch::Receiver::borrow()` is one too: it holds a read
    /// lock).
    ///
    /// Maturity: preview (runs with `--preview`). On the seven real services
    /// of `bench/accuracy/` (2026-12-03) it reports nothing, as it should on
    /// them (mini-redis drops its `std` guards before every await), so its
    /// precision is not measured yet.
    ///
    /// ## Why is this bad?
    /// A `std::sync::MutexGuard` held across an await keeps the lock while
    /// the task is suspended: every other task that wants it blocks its
    /// worker thread, and when that task runs on the same worker the
    /// runtime deadlocks. The future also stops being `Send`, so
    /// `tokio::spawn` refuses it with an error far from the cause. A
    /// `RefCell` borrow held across an await panics when another task
    /// borrows the cell meanwhile.
    ///
    /// ## Example
    /// ```rust
    /// async fn bump(state: &Mutex<State>, db: &Db) {
    ///     let mut s = state.lock().unwrap();
    ///     s.count += 1;
    ///     db.save(s.count).await;
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```rust
    /// async fn bump(state: &Mutex<State>, db: &Db) {
    ///     let count = {
    ///         let mut s = state.lock().unwrap();
    ///         s.count += 1;
    ///         s.count
    ///     }; // guard dropped here
    ///     db.save(count).await;
    /// }
    /// ```
    /// or a `tokio::sync::Mutex` when the lock must be held across the await.
    ///
    /// ## What it does not see
    /// A guard moved into another variable or a struct, returned, or passed
    /// to a function; a guard dropped on one path only (any `drop(g)` in a
    /// statement ends the guard's life for this rule); locks taken through
    /// a method of your own that returns a guard.
    pub struct LockAcrossAwait {
        code: "RG502",
        name: "lock-across-await",
        severity: Warning,
        summary: "synchronous lock guard or RefCell borrow held across an .await",
        tags: ["async", "correctness"],
        precision: "medium",
        preview: true,
    }
}

impl Rule for LockAcrossAwait {
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
        for body in super::bodies(file, cx.source) {
            let mut walk = Walk { found: Vec::new() };
            match &body {
                Body::Fn { block, .. } => walk.visit_block(block),
                Body::Expr(e) => walk.visit_expr(e),
            }
            for (guard, what, held) in walk.found {
                out.push(
                    cx.diagnostic(&Self::META, guard, format!("{what} across an `.await`"))
                    .with_label(&cx.file.path, held, "awaited here while it is held")
                    .with_help(
                        "drop the guard before the `.await` (end its block or `drop(guard)`), or use `tokio::sync::Mutex` when it must be held",
                    ),
                );
            }
        }
    }
}

/// A lock or borrow call that yields a guard: `m.lock()`, `rw.read()`,
/// `rw.write()`, `cell.borrow()`, `cell.borrow_mut()` (no arguments),
/// behind `unwrap`/`expect`/`?`/`unwrap_or_else(..)`. Not awaited.
fn guard_call(e: &syn::Expr) -> Option<(Span, &'static str)> {
    let mut e = e;
    loop {
        match e {
            syn::Expr::Try(t) => e = &t.expr,
            syn::Expr::Paren(p) => e = &p.expr,
            syn::Expr::MethodCall(m) => {
                let name = m.method.to_string();
                match name.as_str() {
                    "unwrap" | "expect" | "unwrap_or_else" => e = &m.receiver,
                    "lock" | "read" | "write" if m.args.is_empty() => {
                        return Some((Span::of(&m.method), "a lock guard"));
                    }
                    "borrow" | "borrow_mut" if m.args.is_empty() => {
                        return Some((Span::of(&m.method), "a `RefCell` borrow"));
                    }
                    _ => return None,
                }
            }
            _ => return None,
        }
    }
}

/// The first guard call made as a temporary of `e` (anywhere in its
/// receiver chains and arguments), outside blocks, closures and `if`
/// conditions, whose temporaries die earlier.
fn temporary_guard(e: &syn::Expr) -> Option<(Span, &'static str)> {
    struct Find(Option<(Span, &'static str)>);
    impl<'a> Visit<'a> for Find {
        fn visit_expr(&mut self, e: &'a syn::Expr) {
            if self.0.is_some() {
                return;
            }
            if let syn::Expr::Await(a) = e {
                // `m.lock().await`: an async lock, made to be held.
                if guard_call(&a.base).is_none() {
                    self.visit_expr(&a.base);
                }
                return;
            }
            if let Some(g) = guard_call(e) {
                self.0 = Some(g);
                return;
            }
            match e {
                syn::Expr::Block(_)
                | syn::Expr::Closure(_)
                | syn::Expr::Async(_)
                | syn::Expr::Loop(_)
                | syn::Expr::ForLoop(_)
                | syn::Expr::While(_)
                | syn::Expr::Unsafe(_) => {}
                syn::Expr::If(i) => {
                    // The condition's temporaries die before the branches.
                    if let syn::Expr::Let(l) = &*i.cond {
                        self.visit_expr(&l.expr);
                    }
                }
                syn::Expr::Match(m) => self.visit_expr(&m.expr),
                _ => syn::visit::visit_expr(self, e),
            }
        }
        fn visit_item(&mut self, _: &'a syn::Item) {}
    }
    let mut f = Find(None);
    f.visit_expr(e);
    f.0
}

/// The await that comes after a temporary guard of `e` in evaluation
/// order: later in the expression (source order), or in the arms of a
/// `match` / the body of an `if let` / `while let` on it.
fn held_temporary(e: &syn::Expr) -> Option<(Span, &'static str, Span)> {
    match e {
        syn::Expr::Match(m) => {
            let g = temporary_guard(&m.expr)?;
            m.arms
                .iter()
                .find_map(|a| first_await_in_expr(&a.body))
                .map(|w| (g.0, g.1, w))
        }
        syn::Expr::If(i) => {
            let syn::Expr::Let(l) = &*i.cond else {
                return None;
            };
            let g = temporary_guard(&l.expr)?;
            let mut f = super::FirstAwait::default();
            f.visit_block(&i.then_branch);
            f.found.map(|w| (g.0, g.1, w))
        }
        syn::Expr::While(w) => {
            let syn::Expr::Let(l) = &*w.cond else {
                return None;
            };
            let g = temporary_guard(&l.expr)?;
            let mut f = super::FirstAwait::default();
            f.visit_block(&w.body);
            f.found.map(|a| (g.0, g.1, a))
        }
        syn::Expr::Block(_)
        | syn::Expr::Loop(_)
        | syn::Expr::ForLoop(_)
        | syn::Expr::Unsafe(_)
        | syn::Expr::Closure(_)
        | syn::Expr::Async(_) => None,
        _ => {
            let g = temporary_guard(e)?;
            let w = first_await_after(e, g.0)?;
            Some((g.0, g.1, w))
        }
    }
}

/// The first `.await` of `e` that starts after `after` (source order),
/// outside closures and async blocks.
fn first_await_after(e: &syn::Expr, after: Span) -> Option<Span> {
    let mut f = super::FirstAwait {
        after: Some(after),
        found: None,
    };
    f.visit_expr(e);
    f.found
}

/// Whether `s` drops `name` (`drop(name)`, `std::mem::drop(name)`, anywhere
/// in the statement).
fn drops(s: &syn::Stmt, name: &syn::Ident) -> bool {
    struct Find<'n> {
        name: &'n syn::Ident,
        found: bool,
    }
    impl<'a> Visit<'a> for Find<'_> {
        fn visit_expr_call(&mut self, c: &'a syn::ExprCall) {
            if let syn::Expr::Path(p) = &*c.func
                && p.path.segments.last().is_some_and(|s| s.ident == "drop")
                && c.args.len() == 1
                && matches!(&c.args[0], syn::Expr::Path(a) if a.path.is_ident(self.name))
            {
                self.found = true;
            }
            syn::visit::visit_expr_call(self, c);
        }
        fn visit_item(&mut self, _: &'a syn::Item) {}
    }
    let mut f = Find { name, found: false };
    f.visit_stmt(s);
    f.found
}

/// Walks an async body block by block.
struct Walk {
    /// Guard, what holds it, the await that finds it alive.
    found: Vec<(Span, String, Span)>,
}

impl Walk {
    fn block(&mut self, b: &syn::Block) {
        for (i, s) in b.stmts.iter().enumerate() {
            match s {
                syn::Stmt::Local(l) => {
                    let Some(init) = &l.init else { continue };
                    if init.diverge.is_none()
                        && let Some(name) = crate::syntax::bound_ident(&l.pat)
                        && let Some((g, what)) = guard_call(&init.expr)
                    {
                        for later in &b.stmts[i + 1..] {
                            if drops(later, name) {
                                break;
                            }
                            if let Some(w) = first_await_in_stmt(later) {
                                self.found.push((g, format!("`{name}` holds {what}"), w));
                                break;
                            }
                        }
                    } else if let Some((g, what, w)) = held_temporary(&init.expr) {
                        self.found
                            .push((g, format!("{what} (a temporary) is held"), w));
                    }
                }
                syn::Stmt::Expr(e, _) => {
                    if let Some((g, what, w)) = held_temporary(e) {
                        self.found
                            .push((g, format!("{what} (a temporary) is held"), w));
                    }
                }
                _ => {}
            }
        }
    }
}

impl<'a> Visit<'a> for Walk {
    fn visit_block(&mut self, b: &'a syn::Block) {
        self.block(b);
        syn::visit::visit_block(self, b);
    }

    // Functions declared inside a body are checked on their own.
    fn visit_item(&mut self, _: &'a syn::Item) {}
}
