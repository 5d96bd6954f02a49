use std::collections::{HashMap, HashSet};

use crate::rules::errors::error_facts::{self, ModuleVis, OPAQUE_CRATES, OpaqueFn, OpaqueKind};
use crate::rules::panics::call_graph::COMMON_METHODS;
use crate::syntax::last_segment;
use crate::{CrateIndex, Ctx, Diagnostic, Out, Rule, RuleMeta, Span, TargetKind, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a `pub` function or method in the business logic of a library
    /// whose error type cannot be matched: `Result<_, String>`,
    /// `Result<_, &str>`, `Result<_, Box<dyn Error>>` (with any `+ Send + Sync +
    /// 'static`), `anyhow::Result<_>`, `Result<_, anyhow::Error>` and their
    /// `eyre` / `color_eyre` equivalents (also when imported with `use`), and
    /// a crate-local alias of one of these used in the signature
    /// (`pub type Result<T> = std::result::Result<T, Box<dyn Error>>;` then
    /// `-> Result<T>` or `-> crate::Result<T>`; aliases are matched by name
    /// within the crate). The finding is at the error type (at the whole
    /// return type for an alias).
    ///
    /// Only the crate's API counts: a function (or the type or trait of a
    /// method) must be reachable from the crate root, through `pub mod`
    /// chains or a `pub use` re-export (by name, of its module, or a glob of
    /// its module). A `pub fn` in a private or `pub(crate)` module that is not
    /// re-exported is not reported, nor are modules compiled only for tests
    /// (`#[cfg(test)]`, `#[cfg(any(test, feature = "test-utils"))]`).
    /// Methods of `pub` traits count as public; trait implementations do not
    /// (the trait decides their signature), and neither do `pub(crate)`
    /// functions.
    ///
    /// Only library targets are checked, and not every library: binaries
    /// (`src/main.rs`, `src/bin/`), tests, examples and build scripts are
    /// exempt, because an application that only reports errors is where
    /// `anyhow` belongs. So is application code inside libraries, by what
    /// the workspace says:
    /// - application libraries: a library that no other package of the
    ///   workspace depends on, in a package with a binary (a service split
    ///   into `lib.rs` and `main.rs` for its tests); its only caller is its
    ///   own binary;
    /// - functions of a workspace library that only binaries of the
    ///   workspace use (by name: a call by a path of two or more segments,
    ///   a method call or a `use`; a glob import names nothing) and no
    ///   other library of the workspace does: a binary's startup or CLI helper
    ///   (`init_tables`, `export_schema`) whose errors are reported and
    ///   the program exits. A function nobody in the workspace uses stays
    ///   reported (it is the library's API);
    /// - libraries built only as `cdylib` / `staticlib` (a wasm front end, a
    ///   plugin): applications, not Rust APIs.
    ///
    /// Application code is still reported when there is evidence that a
    /// caller needs to tell the errors apart:
    /// - a caller in the crate, or in a workspace crate that depends on it,
    ///   `match`es on the function's result (by the function's or method's
    ///   name) with an `Err(_) =>` arm that does not look at the error and
    ///   falls back to other work (`Err(_) => read_legacy_path(p)`,
    ///   `Err(_) => StatusCode::NOT_FOUND.into_response()`), or the same
    ///   with `.or_else(|_| ..)` / `.unwrap_or_else(|_| ..)` called on the
    ///   function's result: every failure,
    ///   a permission error or a database outage as much as "not found",
    ///   gets the same treatment. Not evidence: an `Err(e)` arm that names
    ///   the error, an arm that returns an error, exits, panics or does
    ///   nothing, a predicate's answer (`Err(_) => false`, `Ok(false)`,
    ///   `None`) and a default value (`0`, `Vec::new()`,
    ///   `Default::default()`). Method calls with a name std types share
    ///   (`read`, `parse`, `get`, ...) are not matched to the crate's
    ///   functions;
    /// - the function returns an error built from a message saying the
    ///   operation was cancelled or interrupted (`Err(anyhow!("sync
    ///   cancelled"))`, `bail!(..)`, `Err("interrupted".into())`): a user's
    ///   stop a caller can only tell from a failure by its text.
    ///
    /// rustgate does not know types: callers are matched by name, so a call
    /// of another function or method of the same name counts as a use (or
    /// as evidence) too.
    ///
    /// Option `include-application-libraries` reports application code as
    /// any library code (the first two exemptions off; `cdylib` /
    /// `staticlib`-only libraries stay exempt).
    ///
    /// ## Options
    /// ```toml
    /// [error-as-string]
    /// include-application-libraries = false  # also check application code
    /// ```
    ///
    /// ## Accuracy
    /// On the labelled services (dev set, 2026-12-04): useful 1.00 (3 of 3
    /// labelled findings), recall 1.00 (3 of 3). The readur findings a team
    /// would act on are in an application library and come from the
    /// evidence above (a storage trait whose caller falls back on any
    /// error, a sync that returns "cancelled" as an error); lldap's startup
    /// and CLI helpers are exempt as binary-only. Before (2026-12-03):
    /// useful 0.20, recall 0.33.
    ///
    /// ## Why is this bad?
    /// A caller can only handle an error that has its own variant. With a string
    /// or a type-erased error, the only ways to tell "not found" from "database
    /// down" are string comparison and downcasting, both of which break silently
    /// when the message or the inner type changes. Every caller ends up mapping
    /// the error to a generic 500.
    ///
    /// ## Example
    /// ```rust
    /// pub fn parse_quantity(s: &str) -> Result<u32, String> {
    ///     s.parse().map_err(|_| format!("bad quantity: {s}"))
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```rust
    /// #[derive(Debug, thiserror::Error)]
    /// pub enum QuantityError {
    ///     #[error("bad quantity {input:?}")]
    ///     Invalid { input: String, #[source] source: std::num::ParseIntError },
    /// }
    ///
    /// pub fn parse_quantity(s: &str) -> Result<u32, QuantityError> {
    ///     s.parse().map_err(|source| QuantityError::Invalid { input: s.into(), source })
    /// }
    /// ```
    pub struct ErrorAsString {
        code: "RG301",
        name: "error-as-string",
        severity: Warning,
        summary: "public library function returns an error callers cannot match",
        tags: ["maintainability", "reliability"],
        precision: "high",
    }
}

const HELP: &str =
    "declare a `thiserror` enum with one variant per failure and return `Result<_, ThatError>`";

impl ErrorAsString {
    fn record_fn(
        cx: &Ctx<'_>,
        out: &mut Out,
        sig: &syn::Signature,
        body: Option<&syn::Block>,
        owner: Option<String>,
    ) {
        if cx.file.kind != TargetKind::Lib || !cx.is_business_logic() || cx.current_fn().is_some() {
            return;
        }
        let syn::ReturnType::Type(_, ty) = &sig.output else {
            return;
        };
        let (span, what, alias) = match opaque_error(ty, &out.facts.errors.opaque_imports) {
            Some((span, what)) => (span, Some(what.to_owned()), None),
            None => match result_alias(ty) {
                Some(alias) => (Span::of(&**ty), None, Some(alias)),
                None => return,
            },
        };
        out.facts.errors.opaque_fns.push(OpaqueFn {
            name: sig.ident.to_string(),
            span,
            what,
            alias,
            inline_modules: cx.inline_modules().to_vec(),
            owner,
            signals_cancellation: body.is_some_and(signals_cancellation),
        });
    }

    fn record_item(cx: &Ctx<'_>, item: &syn::Item, out: &mut Out) {
        let public = |v: &syn::Visibility| matches!(v, syn::Visibility::Public(_));
        let facts = &mut out.facts.errors;
        match item {
            syn::Item::Mod(m) => {
                let mut path = cx.inline_modules().to_vec();
                path.push(m.ident.to_string());
                facts.modules.push(ModuleVis {
                    path,
                    public: public(&m.vis),
                    test_only: cx.in_test() || cfg_mentions_test(&m.attrs),
                });
            }
            syn::Item::Struct(i) if public(&i.vis) => facts
                .pub_types
                .push((cx.inline_modules().to_vec(), i.ident.to_string())),
            syn::Item::Enum(i) if public(&i.vis) => facts
                .pub_types
                .push((cx.inline_modules().to_vec(), i.ident.to_string())),
            syn::Item::Trait(i) if public(&i.vis) => facts
                .pub_types
                .push((cx.inline_modules().to_vec(), i.ident.to_string())),
            syn::Item::Type(t) => {
                if public(&t.vis) {
                    facts
                        .pub_types
                        .push((cx.inline_modules().to_vec(), t.ident.to_string()));
                }
                if let Some((_, what)) = opaque_error(&t.ty, &facts.opaque_imports)
                    .or_else(|| error_type(&t.ty, &facts.opaque_imports))
                {
                    facts
                        .opaque_aliases
                        .push((t.ident.to_string(), what.to_owned()));
                }
            }
            syn::Item::Use(u) if public(&u.vis) => reexported(&u.tree, &mut facts.reexports),
            _ => {}
        }
    }
}

impl Rule for ErrorAsString {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads_test_code(&self) -> bool {
        false
    }

    fn check_file(&self, cx: &Ctx<'_>, file: &syn::File, out: &mut Out) {
        error_facts::record_opaque_imports(file, cx.source, &mut out.facts.errors);
        if cx.file.kind == TargetKind::Lib && !cx.in_test() {
            record_test_modules(&file.items, &mut Vec::new(), out);
        }
    }

    fn check_item(&self, cx: &Ctx<'_>, item: &syn::Item, out: &mut Out) {
        if cx.in_test() {
            return;
        }
        if let syn::Item::Use(u) = item
            && uses_recorded(cx)
        {
            used_in_use(&u.tree, &mut out.facts.errors.used_names);
        }
        if cx.file.kind != TargetKind::Lib {
            return;
        }
        Self::record_item(cx, item, out);
        if let syn::Item::Fn(f) = item
            && matches!(f.vis, syn::Visibility::Public(_))
        {
            Self::record_fn(cx, out, &f.sig, Some(&f.block), None);
        }
    }

    fn check_expr(&self, cx: &Ctx<'_>, expr: &syn::Expr, out: &mut Out) {
        if cx.in_test() || !uses_recorded(cx) {
            return;
        }
        let facts = &mut out.facts.errors;
        match expr {
            // `domain::init()`; a bare `init()` of another crate is named
            // by its `use`, and bare names are mostly locals. Only calls: a
            // path alone in a macro body is not always parsed.
            syn::Expr::Call(c) => {
                if let syn::Expr::Path(p) = &*c.func
                    && p.path.segments.len() > 1
                    && let Some(last) = p.path.segments.last()
                {
                    facts.used_names.insert(last.ident.to_string());
                }
            }
            syn::Expr::MethodCall(m) => {
                facts.used_names.insert(m.method.to_string());
                if recovers_in_closure(m)
                    && let Some(callee) = callee_name(&m.receiver)
                {
                    facts.recovered_calls.insert(callee);
                }
            }
            syn::Expr::Match(m) => {
                if let Some(callee) = callee_name(&m.expr)
                    && m.arms.iter().any(recovers_every_error)
                {
                    facts.recovered_calls.insert(callee);
                }
            }
            _ => {}
        }
    }

    fn check_impl_item(&self, cx: &Ctx<'_>, item: &syn::ImplItem, out: &mut Out) {
        if let syn::ImplItem::Fn(f) = item
            && matches!(f.vis, syn::Visibility::Public(_))
            && let Some(i) = cx.current_impl()
            && i.trait_.is_none()
        {
            let owner = type_name(&i.self_ty).unwrap_or_default();
            Self::record_fn(cx, out, &f.sig, Some(&f.block), Some(owner));
        }
    }

    fn check_trait_item(&self, cx: &Ctx<'_>, item: &syn::TraitItem, out: &mut Out) {
        if let syn::TraitItem::Fn(f) = item
            && let Some(t) = cx.current_trait()
            && matches!(t.vis, syn::Visibility::Public(_))
        {
            Self::record_fn(
                cx,
                out,
                &f.sig,
                f.default.as_ref(),
                Some(t.ident.to_string()),
            );
        }
    }

    fn check_crate(&self, krate: &CrateIndex<'_>, out: &mut Vec<Diagnostic>) {
        if krate.kind != TargetKind::Lib
            || krate
                .files
                .iter()
                .all(|f| f.facts.errors.opaque_fns.is_empty())
        {
            return;
        }
        let context = &krate.context;
        if context.is_native_library_only() {
            return;
        }
        let include = krate.settings.error_as_string.include_application_libraries;
        let application = context.application_library == Some(true) && !include;
        // Who calls what: the crate itself and the workspace crates that
        // depend on it (its package's binaries among them).
        let dependents = krate.dependents.iter().flat_map(|d| d.files.iter());
        let recovered: HashSet<&str> = krate
            .files
            .iter()
            .chain(dependents.clone())
            .flat_map(|f| f.facts.errors.recovered_calls.iter().map(String::as_str))
            .collect();
        let used_by = |kind: TargetKind, name: &str| {
            dependents
                .clone()
                .any(|f| f.info.kind == kind && f.facts.errors.used_names.contains(name))
        };
        // Only binaries of the workspace call it: an application's own
        // helper (startup, a CLI subcommand), whatever else uses the library.
        let binaries_only = |name: &str| {
            !include && used_by(TargetKind::Bin, name) && !used_by(TargetKind::Lib, name)
        };
        let api = Api::of(krate);
        let aliases: HashMap<&str, &str> = krate
            .files
            .iter()
            .flat_map(|f| f.facts.errors.opaque_aliases.iter())
            .map(|(n, w)| (n.as_str(), w.as_str()))
            .collect();
        for file in &krate.files {
            for f in &file.facts.errors.opaque_fns {
                let what = match (&f.what, &f.alias) {
                    (Some(w), _) => w.as_str(),
                    (None, Some(alias)) => match aliases.get(alias.as_str()) {
                        Some(w) => w,
                        None => continue,
                    },
                    (None, None) => continue,
                };
                // A caller that must tell this error apart, or an outcome
                // that is not a failure: reported in application code too.
                let evidence = f.signals_cancellation || recovered.contains(f.name.as_str());
                if !evidence && (application || binaries_only(&f.name)) {
                    continue;
                }
                let module: Vec<String> = file
                    .module_path
                    .iter()
                    .chain(&f.inline_modules)
                    .cloned()
                    .collect();
                let reachable = match &f.owner {
                    None => api.reachable(&module, &f.name),
                    Some(owner) => api.type_reachable(owner),
                };
                if !reachable {
                    continue;
                }
                let msg = format!("`pub fn {}` returns its errors as {what}", f.name);
                out.push(
                    Diagnostic::new(&Self::META, &file.info.path, f.span, msg).with_help(HELP),
                );
            }
        }
    }
}

/// What the crate exposes: module visibility, `pub use` re-exports and
/// `pub` types, by absolute module path.
struct Api<'a> {
    /// Module path -> (declared `pub`, test-only).
    modules: HashMap<Vec<String>, (bool, bool)>,
    reexports: HashSet<&'a str>,
    types: Vec<(Vec<String>, &'a str)>,
}

impl<'a> Api<'a> {
    fn of(krate: &'a CrateIndex<'a>) -> Api<'a> {
        let mut modules = HashMap::new();
        let mut reexports = HashSet::new();
        let mut types = Vec::new();
        for file in &krate.files {
            let facts = &file.facts.errors;
            for m in &facts.modules {
                let path: Vec<String> = file.module_path.iter().chain(&m.path).cloned().collect();
                modules.insert(path, (m.public, m.test_only));
            }
            reexports.extend(facts.reexports.iter().map(String::as_str));
            for (inline, name) in &facts.pub_types {
                let path: Vec<String> = file.module_path.iter().chain(inline).cloned().collect();
                types.push((path, name.as_str()));
            }
        }
        Api {
            modules,
            reexports,
            types,
        }
    }

    /// An item `name` in `module` can be named from outside the crate: every
    /// module on the way is `pub` (or re-exported), or the item itself is
    /// re-exported. Modules the crate does not declare (a guessed module
    /// path) count as public.
    fn reachable(&self, module: &[String], name: &str) -> bool {
        if self.reexports.contains(name) {
            return true;
        }
        // A module re-exported by name (`pub use inner;`), or whose items
        // are (`pub use inner::*`), is reachable whatever its parents.
        let n = module.len();
        let start = (0..n)
            .rev()
            .find(|&k| {
                self.reexports.contains(module[k].as_str())
                    || (k + 1 == n && self.reexports.contains(format!("*{}", module[k]).as_str()))
            })
            .map_or(0, |k| k + 1);
        (start..n).all(|i| match self.modules.get(&module[..=i]) {
            Some((_, true)) => false,
            Some((public, false)) => *public,
            None => true,
        })
    }

    /// A type or trait of that name is `pub` and reachable.
    fn type_reachable(&self, name: &str) -> bool {
        self.types
            .iter()
            .any(|(module, n)| *n == name && self.reachable(module, name))
    }
}

/// Modules compiled for tests only (`#[cfg(test)]`, a test-support
/// feature), recorded as such: the checker does not hand their items to a
/// rule that reads no test code, yet the files under them must not count as
/// part of the API.
fn record_test_modules(items: &[syn::Item], path: &mut Vec<String>, out: &mut Out) {
    for item in items {
        let syn::Item::Mod(m) = item else { continue };
        path.push(m.ident.to_string());
        if crate::checker::attrs_are_test(&m.attrs) {
            out.facts.errors.modules.push(ModuleVis {
                path: path.clone(),
                public: matches!(m.vis, syn::Visibility::Public(_)),
                test_only: true,
            });
        } else if let Some((_, inner)) = &m.content {
            record_test_modules(inner, path, out);
        }
        path.pop();
    }
}

/// Names used are recorded in the production code of libraries and
/// binaries: the callers a library's function can have in the workspace.
fn uses_recorded(cx: &Ctx<'_>) -> bool {
    matches!(cx.file.kind, TargetKind::Lib | TargetKind::Bin)
}

/// The names a `use` brings in (`init_table` for `use a::sql::init_table`,
/// the original name of a rename).
fn used_in_use(tree: &syn::UseTree, out: &mut std::collections::BTreeSet<String>) {
    match tree {
        syn::UseTree::Path(p) => used_in_use(&p.tree, out),
        syn::UseTree::Name(n) => {
            out.insert(n.ident.to_string());
        }
        syn::UseTree::Rename(r) => {
            out.insert(r.ident.to_string());
        }
        syn::UseTree::Group(g) => g.items.iter().for_each(|t| used_in_use(t, out)),
        syn::UseTree::Glob(_) => {}
    }
}

/// The function or method a scrutinee calls: `load` for `load(x)`,
/// `self.storage.load(x).await`, `store::load(x)`.
fn callee_name(expr: &syn::Expr) -> Option<String> {
    match expr {
        syn::Expr::Await(a) => callee_name(&a.base),
        syn::Expr::Paren(p) => callee_name(&p.expr),
        syn::Expr::Group(g) => callee_name(&g.expr),
        syn::Expr::Call(c) => match &*c.func {
            syn::Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        },
        // `x.read()`, `s.parse()`: far more often std's than the crate's.
        syn::Expr::MethodCall(m) => {
            let name = m.method.to_string();
            (!COMMON_METHODS.contains(&name.as_str())).then_some(name)
        }
        _ => None,
    }
}

/// An `Err(_) =>` arm (the error not even named) whose value is a fallback:
/// not an error, an early exit, a panic or nothing. The caller answers every
/// failure the same way because it cannot tell them apart (`Err(_) =>
/// read_legacy_path(p)`).
fn recovers_every_error(arm: &syn::Arm) -> bool {
    let syn::Pat::TupleStruct(t) = &arm.pat else {
        return false;
    };
    if !t.path.is_ident("Err") || t.elems.len() != 1 || !ignores_binding(t.elems.first()) {
        return false;
    }
    falls_back_to_work(&arm.body)
}

/// `.or_else(|_| ..)` / `.unwrap_or_else(|_| ..)` whose closure ignores the
/// error and falls back to other work: the same as an `Err(_) =>` arm.
fn recovers_in_closure(m: &syn::ExprMethodCall) -> bool {
    if !(m.method == "or_else" || m.method == "unwrap_or_else") || m.args.len() != 1 {
        return false;
    }
    let Some(syn::Expr::Closure(c)) = m.args.first() else {
        return false;
    };
    c.inputs.len() == 1 && ignores_binding(c.inputs.first()) && falls_back_to_work(&c.body)
}

/// `_` or `_name`: the error is bound but not looked at.
fn ignores_binding(pat: Option<&syn::Pat>) -> bool {
    match pat {
        Some(syn::Pat::Wild(_)) => true,
        Some(syn::Pat::Ident(i)) => i.ident.to_string().starts_with('_'),
        _ => false,
    }
}

/// The value of a fallback is other work: not an error, an early exit, a
/// panic, nothing, a predicate's answer or a default value.
fn falls_back_to_work(body: &syn::Expr) -> bool {
    let mut value = body;
    loop {
        match value {
            syn::Expr::Block(b) => match b.block.stmts.last() {
                Some(syn::Stmt::Expr(e, None)) => value = e,
                _ => return false,
            },
            syn::Expr::Paren(p) => value = &p.expr,
            _ => break,
        }
    }
    if is_answer(value) {
        return false;
    }
    match value {
        syn::Expr::Call(c) if matches!(&*c.func, syn::Expr::Path(p) if p.path.is_ident("Err")) => {
            false
        }
        syn::Expr::Return(_)
        | syn::Expr::Break(_)
        | syn::Expr::Continue(_)
        | syn::Expr::Macro(_)
        | syn::Expr::Unsafe(_) => false,
        _ => does_other_work(body),
    }
}

/// The fallback calls something other than a constructor or a conversion
/// (`fresh_key()`, `fs::read(legacy)?`); `0`, `Vec::new()`,
/// `Default::default()`, `"unknown".to_string()` are a default value.
fn does_other_work(body: &syn::Expr) -> bool {
    const DEFAULTS: &[&str] = &[
        "new",
        "default",
        "with_capacity",
        "from",
        "Ok",
        "Some",
        "to_string",
        "to_owned",
        "into",
        "clone",
    ];
    struct Work(bool);
    impl<'ast> syn::visit::Visit<'ast> for Work {
        fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
            match &*c.func {
                syn::Expr::Path(p)
                    if last_segment(&p.path).is_some_and(|n| DEFAULTS.contains(&n.as_str())) => {}
                _ => self.0 = true,
            }
            syn::visit::visit_expr_call(self, c);
        }
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            if !DEFAULTS.contains(&m.method.to_string().as_str()) {
                self.0 = true;
            }
            syn::visit::visit_expr_method_call(self, m);
        }
        fn visit_expr_try(&mut self, _: &'ast syn::ExprTry) {
            self.0 = true;
        }
        fn visit_expr_await(&mut self, _: &'ast syn::ExprAwait) {
            self.0 = true;
        }
    }
    let mut work = Work(false);
    syn::visit::Visit::visit_expr(&mut work, body);
    work.0
}

/// A predicate's answer: `false`, `None`, `Ok(false)`, `Some(true)`. A
/// check that answers "no" for any failure decided what the failure means.
fn is_answer(value: &syn::Expr) -> bool {
    match value {
        syn::Expr::Lit(l) => matches!(l.lit, syn::Lit::Bool(_)),
        syn::Expr::Path(p) => p.path.is_ident("None"),
        syn::Expr::Paren(p) => is_answer(&p.expr),
        syn::Expr::Call(c) => {
            matches!(&*c.func, syn::Expr::Path(p) if p.path.is_ident("Ok") || p.path.is_ident("Some"))
                && c.args.len() == 1
                && c.args.first().is_some_and(is_answer)
        }
        _ => false,
    }
}

/// The body returns an error built from a message that says the operation
/// was cancelled or interrupted (`bail!("sync cancelled")`, `Err(anyhow!(
/// "interrupted"))`, `Err("cancelled".into())`): an outcome a caller must
/// tell from a failure.
fn signals_cancellation(body: &syn::Block) -> bool {
    struct Finder(bool);
    fn says_cancelled(tokens: proc_macro2::TokenStream) -> bool {
        tokens.into_iter().any(|t| match t {
            proc_macro2::TokenTree::Literal(l) => {
                let text = l.to_string().to_ascii_lowercase();
                text.starts_with('"') && (text.contains("cancel") || text.contains("interrupt"))
            }
            proc_macro2::TokenTree::Group(g) => says_cancelled(g.stream()),
            _ => false,
        })
    }
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            if matches!(
                last_segment(&m.path).as_deref(),
                Some("anyhow" | "bail" | "eyre" | "format_err" | "ensure")
            ) && says_cancelled(m.tokens.clone())
            {
                self.0 = true;
            }
        }
        fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
            if matches!(&*c.func, syn::Expr::Path(p) if p.path.is_ident("Err"))
                && says_cancelled(quote::ToTokens::to_token_stream(&c.args))
            {
                self.0 = true;
            }
            syn::visit::visit_expr_call(self, c);
        }
    }
    let mut finder = Finder(false);
    syn::visit::Visit::visit_block(&mut finder, body);
    finder.0
}

/// `#[cfg(test)]`, `#[cfg(any(test, feature = "test-utils"))]`: the
/// attribute names `test`.
fn cfg_mentions_test(attrs: &[syn::Attribute]) -> bool {
    fn has_test(tokens: proc_macro2::TokenStream) -> bool {
        tokens.into_iter().any(|t| match t {
            proc_macro2::TokenTree::Ident(i) => i == "test",
            proc_macro2::TokenTree::Group(g) => has_test(g.stream()),
            _ => false,
        })
    }
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && matches!(&a.meta, syn::Meta::List(l) if has_test(l.tokens.clone()))
    })
}

/// The names a `pub use` makes public; `*b` for `pub use a::b::*`.
fn reexported(tree: &syn::UseTree, out: &mut Vec<String>) {
    fn walk(tree: &syn::UseTree, last: &str, out: &mut Vec<String>) {
        match tree {
            syn::UseTree::Path(p) => walk(&p.tree, &p.ident.to_string(), out),
            syn::UseTree::Name(n) => out.push(n.ident.to_string()),
            syn::UseTree::Rename(r) => out.push(r.rename.to_string()),
            syn::UseTree::Glob(_) => out.push(format!("*{last}")),
            syn::UseTree::Group(g) => g.items.iter().for_each(|t| walk(t, last, out)),
        }
    }
    walk(tree, "", out);
}

/// `Result<T>`, `crate::Result<T>`, `AppResult<T>`: a one-parameter type
/// whose name ends in `Result`, named without a path or from the crate
/// (`io::Result` is not), possibly a crate-local opaque alias.
fn result_alias(ty: &syn::Type) -> Option<String> {
    let syn::Type::Path(tp) = peel(ty) else {
        return None;
    };
    let last = tp.path.segments.last()?;
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let types = args
        .args
        .iter()
        .filter(|a| matches!(a, syn::GenericArgument::Type(_)))
        .count();
    let local = tp.path.segments.len() == 1
        || matches!(
            tp.path.segments[0].ident.to_string().as_str(),
            "crate" | "self" | "super"
        );
    let name = last.ident.to_string();
    (local && types == 1 && name.ends_with("Result")).then_some(name)
}

/// The name of a path type: `AppError` for `crate::AppError<T>`.
fn type_name(ty: &syn::Type) -> Option<String> {
    match peel(ty) {
        syn::Type::Path(p) if p.qself.is_none() => last_segment(&p.path),
        _ => None,
    }
}

/// The span and a description of the opaque error type in a return type.
fn opaque_error(ty: &syn::Type, imports: &[(String, OpaqueKind)]) -> Option<(Span, &'static str)> {
    let ty = peel(ty);
    let syn::Type::Path(tp) = ty else {
        return None;
    };
    let last = tp.path.segments.last()?;
    let syn::PathArguments::AngleBracketed(generics) = &last.arguments else {
        return None;
    };
    let args: Vec<&syn::Type> = generics
        .args
        .iter()
        .filter_map(|g| match g {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        })
        .collect();
    let opaque_result = match opaque_crate(&tp.path) {
        Some(krate) if last.ident == "Result" => Some(describe(krate)),
        Some(_) => None,
        None if is_imported(&tp.path, imports, OpaqueKind::Result) => Some(IMPORTED),
        None => None,
    };
    match (args.as_slice(), opaque_result) {
        ([_], Some(what)) => Some((Span::of(ty), what)),
        ([_, err], _) if last.ident == "Result" || opaque_result.is_some() => {
            error_type(err, imports)
        }
        _ => None,
    }
}

const IMPORTED: &str = "an `anyhow` / `eyre` error";

fn describe(krate: &str) -> &'static str {
    if krate == "anyhow" {
        "an `anyhow::Error`"
    } else {
        "an `eyre::Report`"
    }
}

/// A one-segment path naming what a `use anyhow::..` / `use eyre::..` bound.
fn is_imported(path: &syn::Path, imports: &[(String, OpaqueKind)], kind: OpaqueKind) -> bool {
    path.segments.len() == 1
        && imports
            .iter()
            .any(|(n, k)| *k == kind && path.segments[0].ident == n)
}

/// Whether an error type (the second argument of `Result`) is opaque.
fn error_type(err: &syn::Type, imports: &[(String, OpaqueKind)]) -> Option<(Span, &'static str)> {
    let span = Span::of(err);
    match peel(err) {
        syn::Type::Reference(r) => match peel(&r.elem) {
            syn::Type::Path(p) if p.qself.is_none() && p.path.is_ident("str") => {
                Some((span, "a `&str`"))
            }
            _ => None,
        },
        syn::Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?;
            let name = last.ident.to_string();
            match opaque_crate(&p.path) {
                Some(krate) if matches!(name.as_str(), "Error" | "Report") => {
                    return Some((span, describe(krate)));
                }
                Some(_) => return None,
                None if is_imported(&p.path, imports, OpaqueKind::Error) => {
                    return Some((span, IMPORTED));
                }
                None => {}
            }
            match (name.as_str(), &last.arguments) {
                ("String", syn::PathArguments::None) => Some((span, "a `String`")),
                ("Box", syn::PathArguments::AngleBracketed(a)) => match a.args.first() {
                    Some(syn::GenericArgument::Type(inner)) if is_dyn_error(inner) => {
                        Some((span, "a boxed `dyn Error`"))
                    }
                    _ => None,
                },
                _ => None,
            }
        }
        _ => None,
    }
}

/// `dyn Error`, `dyn std::error::Error + Send + Sync + 'static`, ...
fn is_dyn_error(ty: &syn::Type) -> bool {
    let syn::Type::TraitObject(obj) = peel(ty) else {
        return false;
    };
    let mut has_error = false;
    for bound in &obj.bounds {
        match bound {
            syn::TypeParamBound::Trait(t) => match last_segment(&t.path).as_deref() {
                Some("Error") => has_error = true,
                Some("Send" | "Sync" | "Unpin") => {}
                _ => return false,
            },
            syn::TypeParamBound::Lifetime(_) => {}
            _ => return false,
        }
    }
    has_error
}

/// `anyhow`, `eyre` or `color_eyre` when the path starts with one of them.
fn opaque_crate(path: &syn::Path) -> Option<&'static str> {
    if path.segments.len() < 2 {
        return None;
    }
    let first = path.segments.first()?.ident.to_string();
    OPAQUE_CRATES
        .iter()
        .copied()
        .find(|c| *c == first)
        .map(|c| if c == "anyhow" { "anyhow" } else { "eyre" })
}

fn peel(ty: &syn::Type) -> &syn::Type {
    match ty {
        syn::Type::Group(g) => peel(&g.elem),
        syn::Type::Paren(p) => peel(&p.elem),
        _ => ty,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::errors::error_facts::tests::ERROR_RULES;
    use crate::testing::assert_fixture;
    use crate::{CrateContext, Settings, TargetKind};

    macro_rules! fixture {
        ($path:literal, $kind:ident) => {
            (
                $path,
                TargetKind::$kind,
                include_str!(concat!(
                    "../../../../fixtures/rules/errors-as-string/",
                    $path
                )),
            )
        };
    }

    #[test]
    fn fixture_library() {
        assert_fixture(
            &[
                fixture!("src/lib.rs", Lib),
                fixture!("src/imported.rs", Lib),
            ],
            ERROR_RULES,
            &Settings::default(),
        );
    }

    macro_rules! api {
        ($path:literal) => {
            (
                $path,
                TargetKind::Lib,
                include_str!(concat!(
                    "../../../../fixtures/rules/errors-as-string-api/",
                    $path
                )),
            )
        };
    }

    #[test]
    fn fixture_api_visibility() {
        assert_fixture(
            &[
                api!("src/lib.rs"),
                api!("src/api/mod.rs"),
                api!("src/api/orders.rs"),
                api!("src/internal/mod.rs"),
                api!("src/internal/exported.rs"),
                api!("src/internal/globbed.rs"),
                api!("src/shared.rs"),
                api!("src/test_support.rs"),
            ],
            ERROR_RULES,
            &Settings::default(),
        );
    }

    const APP_LIB: &str = "pub fn load() -> anyhow::Result<u32> { Ok(1) }\n";

    fn codes(context: &CrateContext, settings: &Settings) -> usize {
        crate::testing::check_sources_in(
            &[("src/lib.rs", TargetKind::Lib, APP_LIB)],
            &[&ErrorAsString],
            settings,
            context,
        )
        .len()
    }

    #[test]
    fn application_libraries_are_exempt_unless_included() {
        let app = CrateContext {
            application_library: Some(true),
            crate_types: Vec::new(),
        };
        let used = CrateContext {
            application_library: Some(false),
            crate_types: Vec::new(),
        };
        let mut include = Settings::default();
        include.error_as_string.include_application_libraries = true;
        assert_eq!(codes(&CrateContext::default(), &Settings::default()), 1);
        assert_eq!(codes(&used, &Settings::default()), 1);
        assert_eq!(codes(&app, &Settings::default()), 0);
        assert_eq!(codes(&app, &include), 1);
    }

    #[test]
    fn cdylib_and_staticlib_only_libraries_are_applications() {
        let types = |t: &[&str]| CrateContext {
            application_library: Some(false),
            crate_types: t.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(codes(&types(&["cdylib"]), &Settings::default()), 0);
        assert_eq!(
            codes(&types(&["staticlib", "cdylib"]), &Settings::default()),
            0
        );
        assert_eq!(codes(&types(&["cdylib", "rlib"]), &Settings::default()), 1);
        assert_eq!(codes(&types(&["lib"]), &Settings::default()), 1);
    }

    /// `lib.rs` of a library and `main.rs` of a binary that depends on it.
    fn with_binary_caller(lib: &str, main: &str, settings: &Settings) -> Vec<String> {
        let parse = |path: &str, kind: TargetKind, src: &str| {
            let info = crate::FileInfo {
                path: path.to_owned(),
                package: Some("fixture".to_owned()),
                kind,
                business_logic: true,
                generated: false,
            };
            let ast = syn::parse_file(src).expect("fixture parses");
            let out = crate::checker::check_file(&info, settings, src, &ast, &[&ErrorAsString]);
            (info, out.facts)
        };
        let lib = parse("src/lib.rs", TargetKind::Lib, lib);
        let bin = parse("server/src/main.rs", TargetKind::Bin, main);
        let bin_index = CrateIndex::build(
            "server/server".into(),
            TargetKind::Bin,
            Some("server/src/main.rs"),
            vec![(&bin.0, &bin.1)],
            settings,
        );
        let mut index = CrateIndex::build(
            "domain/domain".into(),
            TargetKind::Lib,
            Some("src/lib.rs"),
            vec![(&lib.0, &lib.1)],
            settings,
        );
        index.context.application_library = Some(false);
        index.dependents = vec![crate::CrateDep {
            extern_name: "domain".into(),
            name: bin_index.name.clone(),
            files: bin_index.files.clone(),
        }];
        let mut diags = Vec::new();
        ErrorAsString.check_crate(&index, &mut diags);
        diags.into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn functions_only_binaries_call_are_exempt_unless_included() {
        let lib = "pub fn init() -> anyhow::Result<()> { Ok(()) }\npub fn key() -> anyhow::Result<u8> { Ok(0) }\npub fn other() -> anyhow::Result<u8> { Ok(0) }\n";
        let main = "fn main() -> anyhow::Result<()> {\n    domain::init()?;\n    let k = match domain::key() { Ok(k) => k, Err(_) => fresh() };\n    Ok(())\n}\n";
        assert_eq!(
            with_binary_caller(lib, main, &Settings::default()),
            [
                "`pub fn key` returns its errors as an `anyhow::Error`",
                "`pub fn other` returns its errors as an `anyhow::Error`",
            ]
        );
        let mut include = Settings::default();
        include.error_as_string.include_application_libraries = true;
        assert_eq!(with_binary_caller(lib, main, &include).len(), 3);
    }

    #[test]
    fn fixture_exempt_targets() {
        for file in [
            fixture!("src/main.rs", Bin),
            fixture!("src/bin/tool.rs", Bin),
            fixture!("tests/it.rs", Test),
            fixture!("examples/demo.rs", Example),
            fixture!("build.rs", BuildScript),
        ] {
            assert_fixture(&[file], ERROR_RULES, &Settings::default());
        }
    }

    #[test]
    fn inline_cases() {
        let src = r#"
use anyhow::{Context, Result as AnyResult};
pub fn a() -> AnyResult<()> { Ok(()) } //~ RG301
pub fn b() -> Result<(), Box<dyn Error + 'static>> { Ok(()) } //~ RG301
pub fn c() -> std::result::Result<(), std::string::String> { Ok(()) } //~ RG301
pub fn d() -> Result<(), Box<dyn Display>> { Ok(()) }
pub fn e() -> Result<(), Box<str>> { Ok(()) }
pub fn f() -> io::Result<()> { Ok(()) }
pub fn g() -> Result<(), Box<dyn Error + Debug>> { Ok(()) }
"#;
        assert_fixture(
            &[("src/lib.rs", TargetKind::Lib, src)],
            &[&ErrorAsString],
            &Settings::default(),
        );
    }

    #[test]
    fn reported_at_the_error_type() {
        let src = "pub fn f() -> Result<u8, String> { Ok(0) }\npub fn g() -> anyhow::Result<u8> { Ok(0) }\n";
        let diags = crate::testing::check_sources(
            &[("src/lib.rs", TargetKind::Lib, src)],
            &[&ErrorAsString],
            &Settings::default(),
        );
        let spans: Vec<(u32, u32, u32)> = diags
            .iter()
            .map(|d| {
                (
                    d.primary.span.start.line,
                    d.primary.span.start.column,
                    d.primary.span.end.column,
                )
            })
            .collect();
        assert_eq!(spans, [(1, 26, 32), (2, 15, 33)]);
        assert_eq!(
            diags[0].message,
            "`pub fn f` returns its errors as a `String`"
        );
        assert_eq!(
            diags[1].message,
            "`pub fn g` returns its errors as an `anyhow::Error`"
        );
    }
}
