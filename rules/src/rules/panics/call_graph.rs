//! The crate phase of the panic rules: which functions are handlers, and which
//! crate-local functions the handlers reach (RG201, RG202).
//!
//! Calls are resolved by path and name, without type information:
//! - paths (`f()`, `billing::charge()`, `crate::a::f()`, `super::f()`) through
//!   the module tree, `use` imports, renames, globs and `pub use` re-exports;
//! - `Type::f()` and `Self::f()` to the associated functions of every `impl`
//!   of a type with that name (types are known by name only);
//! - `self.f()` to the methods of the caller's own `impl` type first;
//! - `x.f()` on a parameter or local whose type syntax gives (a declared
//!   type, a constructor call), and `self.field.f()` with the field's declared
//!   type: that type's methods, nothing for a type of another crate or std;
//! - any other `x.f(..)` to every crate-local method named `f` with as many
//!   parameters, but only when at most [`MAX_METHOD_CANDIDATES`] methods
//!   match, and never for [`COMMON_METHODS`] (`get`, `insert`, ...), which std
//!   types have too.
//!
//! Functions nested in function bodies are never targets. Entry points are
//! handlers, extractors, middleware, GraphQL resolvers and services (see
//! [`super::handlers`]).
//!
//! The workspace libraries a crate depends on are mounted as root modules
//! named like them (see [`Resolver::absolutize`]); their functions are
//! targets of registrations and calls, never entry points by themselves.
//!
//! Not followed: calls into crates outside the workspace, macro bodies (never expanded),
//! trait objects and generics (`dyn Trait`, `T: Trait` calls resolve by name
//! like any method, or not at all), closures and function pointers passed
//! around as values.

use std::collections::{HashMap, HashSet, VecDeque};

use super::handlers::EntryKind;
use super::panic_facts::{Callee, FnFact, Recv};
use crate::{CrateFile, CrateIndex, Span};

/// A method call `x.f()` on a receiver other than `self` resolves to every
/// crate-local method named `f` only if there are at most this many.
pub const MAX_METHOD_CANDIDATES: usize = 3;

/// Method names std types share: `x.get()` on an unknown receiver is far more
/// often a `HashMap` than a crate-local type, so these resolve only on `self`.
pub const COMMON_METHODS: &[&str] = &[
    "get",
    "get_mut",
    "insert",
    "remove",
    "push",
    "pop",
    "len",
    "is_empty",
    "iter",
    "iter_mut",
    "into_iter",
    "clone",
    "to_string",
    "to_owned",
    "into",
    "from",
    "as_ref",
    "as_mut",
    "map",
    "and_then",
    "ok",
    "err",
    "send",
    "recv",
    "lock",
    "read",
    "write",
    "fmt",
    "eq",
    "cmp",
    "hash",
    "next",
    "call",
    "run",
    "new",
    "build",
    "parse",
    "contains",
    "extend",
    "join",
    "spawn",
    "await",
];

/// A function of the crate with where it lives.
pub struct Node<'a> {
    pub file: &'a CrateFile<'a>,
    pub fact: &'a FnFact,
    /// Module path: the file's module path plus inline modules.
    pub module: Vec<String>,
}

impl Node<'_> {
    /// How messages name the function, with its module path and in
    /// backticks: `` `charge` `` (crate root), `` `routes::billing::charge` ``,
    /// `` `billing::OrderService::charge` ``, `closure at src/main.rs:12`.
    pub fn display(&self) -> String {
        if self.fact.closure {
            return format!(
                "closure at {}:{}",
                self.file.info.path, self.fact.name_span.start.line
            );
        }
        let mut out = String::from("`");
        for m in &self.module {
            out.push_str(m);
            out.push_str("::");
        }
        if let Some(ty) = &self.fact.self_ty {
            out.push_str(ty);
            out.push_str("::");
        }
        out.push_str(&self.fact.name);
        out.push('`');
        out
    }

    pub fn path(&self) -> &str {
        &self.file.info.path
    }
}

/// How a function was reached: from `from`, by the call at `call`.
#[derive(Clone, Copy)]
pub struct Reach {
    pub from: usize,
    pub call: Span,
}

/// The result of the crate phase.
pub struct Analysis<'a> {
    pub nodes: Vec<Node<'a>>,
    /// Handler node indices, in a stable order (path, position).
    pub handlers: Vec<usize>,
    /// For every node reached from a handler and not itself one: how.
    pub reached: Vec<Option<Reach>>,
    /// For handlers made by a registration: the first one (path, span).
    pub registered_at: Vec<Option<(&'a str, Span)>>,
    /// For entry points: what kind (handler, extractor, middleware, ...).
    pub entry: Vec<EntryKind>,
    /// Environment variables that code off the request path (`main`, a
    /// constructor called at startup) already unwraps.
    pub startup_env: HashSet<String>,
}

impl Analysis<'_> {
    /// Whether the panic site unwraps an environment variable that code off
    /// the request path already unwrapped: the process would not be serving
    /// requests if it were missing.
    pub fn required_at_startup(&self, site: &super::panic_facts::PanicSite) -> bool {
        site.env
            .as_ref()
            .is_some_and(|v| self.startup_env.contains(v))
    }

    /// The nodes from a handler to `node`, handler first.
    pub fn chain(&self, node: usize) -> Vec<(usize, Option<Span>)> {
        let mut out = vec![(node, None)];
        let mut cur = node;
        while let Some(r) = self.reached[cur] {
            if let Some(last) = out.last_mut() {
                last.1 = Some(r.call);
            }
            out.push((r.from, None));
            cur = r.from;
            if out.len() > self.nodes.len() {
                break;
            }
        }
        out.reverse();
        // Each entry now carries the call that leads to the next node.
        let mut shifted = Vec::with_capacity(out.len());
        for i in 0..out.len() {
            let call = if i + 1 < out.len() {
                out[i + 1].1
            } else {
                None
            };
            shifted.push((out[i].0, call));
        }
        shifted
    }
}

/// Finds the handlers of a crate and everything they reach.
pub fn analyse<'a>(krate: &'a CrateIndex<'a>) -> Analysis<'a> {
    let mut nodes = Vec::new();
    // Decided per file, not per crate: a group of files without Cargo
    // information may mix a build script with the sources it builds.
    if !krate.files.iter().any(|f| f.info.kind.is_production()) || !may_have_handlers(krate) {
        return Analysis {
            nodes,
            handlers: Vec::new(),
            reached: Vec::new(),
            registered_at: Vec::new(),
            entry: Vec::new(),
            startup_env: HashSet::new(),
        };
    }
    for file in &krate.files {
        if !file.info.kind.is_production() {
            continue;
        }
        for fact in &file.facts.panic.fns {
            let mut module = file.module_path.clone();
            module.extend(fact.inline_modules.iter().cloned());
            nodes.push(Node { file, fact, module });
        }
    }
    // The libraries of the workspace this crate depends on, mounted as a
    // module named like the crate (`plume_models::posts::Post::get`): their
    // functions can be registered here and called from here, but they are
    // never entry points by themselves (their own crate reports those).
    let own = nodes.len();
    let deps = dependency_files(krate);
    for &(dep, file) in &deps {
        for fact in &file.facts.panic.fns {
            let mut module = vec![dep.to_owned()];
            module.extend(file.module_path.iter().cloned());
            module.extend(fact.inline_modules.iter().cloned());
            nodes.push(Node { file, fact, module });
        }
    }
    let resolver = Resolver::new(krate, &nodes, own, deps);
    let mut registered_at = vec![None; nodes.len()];
    let mut entry: Vec<EntryKind> = nodes.iter().map(|n| n.fact.entry).collect();
    let mut is_handler: Vec<bool> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            i < own
                && (n.fact.handler.is_some()
                    || (n.fact.tonic_request && n.file.facts.panic.imports_crate("tonic"))
                    || resolver.configured(i, n))
        })
        .collect();
    for file in &krate.files {
        if !file.info.kind.is_production() {
            continue;
        }
        for reg in &file.facts.panic.registrations {
            if reg
                .needs_crate
                .as_deref()
                .is_some_and(|c| !file.facts.panic.imports_crate(c))
            {
                continue;
            }
            let mut scope = file.module_path.clone();
            scope.extend(reg.inline_modules.iter().cloned());
            for target in resolver.resolve_path(&scope, reg.self_ty.as_deref(), &reg.path) {
                if !is_handler[target] {
                    is_handler[target] = true;
                    registered_at[target] = Some((file.info.path.as_str(), reg.span));
                    entry[target] = reg.entry;
                }
            }
        }
    }
    let mut handlers: Vec<usize> = (0..nodes.len()).filter(|&i| is_handler[i]).collect();
    handlers.sort_by_key(|&i| (nodes[i].path(), nodes[i].fact.name_span));
    let mut reached: Vec<Option<Reach>> = vec![None; nodes.len()];
    let mut seen = is_handler.clone();
    let mut queue: VecDeque<usize> = handlers.iter().copied().collect();
    // A call from the crate's own code into a workspace library is followed
    // only on request (`follow-libraries`): measured on the labelled services,
    // 3 of the 52 sites it reached were worth acting on. Inside a library
    // reached through a registered handler, its own calls are followed.
    let into_libraries = krate.settings.unwrap_in_handler.follow_libraries;
    while let Some(from) = queue.pop_front() {
        let node = &nodes[from];
        for call in &node.fact.calls {
            let targets = match &call.callee {
                Callee::Path(segs) => {
                    resolver.resolve_path(&node.module, node.fact.self_ty.as_deref(), segs)
                }
                Callee::Method { name, recv, args } => {
                    resolver.resolve_method(node, name, recv, *args)
                }
            };
            for to in targets {
                if to >= own && from < own && !into_libraries {
                    continue;
                }
                if !seen[to] {
                    seen[to] = true;
                    reached[to] = Some(Reach {
                        from,
                        call: call.span,
                    });
                    queue.push_back(to);
                }
            }
        }
    }
    let startup_env = nodes
        .iter()
        .enumerate()
        .filter(|&(i, _)| i < own && !seen[i])
        .flat_map(|(_, n)| n.fact.panics.iter().filter_map(|p| p.env.clone()))
        .collect();
    Analysis {
        nodes,
        handlers,
        reached,
        registered_at,
        entry,
        startup_env,
    }
}

/// The production files of the workspace libraries `krate` depends on, with
/// the name code uses for each (`plume_models`). A library is taken once.
fn dependency_files<'a>(krate: &'a CrateIndex<'a>) -> Vec<(&'a str, &'a CrateFile<'a>)> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for dep in &krate.dependencies {
        if dep.name == krate.name || !seen.insert(dep.extern_name.as_str()) {
            continue;
        }
        for file in &dep.files {
            if file.info.kind.is_production() {
                out.push((dep.extern_name.as_str(), file));
            }
        }
    }
    out
}

/// Whether any function of the crate may be a handler: one is configured, or
/// a function says so itself, or a registration names one. Most crates (all
/// libraries) have none, and need no resolver.
fn may_have_handlers(krate: &CrateIndex<'_>) -> bool {
    !krate.settings.handlers.functions.is_empty()
        || krate.files.iter().any(|file| {
            let facts = &file.facts.panic;
            !facts.registrations.is_empty()
                || facts.fns.iter().any(|f| {
                    f.handler.is_some() || (f.tonic_request && facts.imports_crate("tonic"))
                })
        })
}

/// A `use` as the resolver sees it: (alias, or `None` for a glob; path).
type Import<'n> = (Option<&'n str>, &'n [String]);

/// A struct field's type path as written, and the module that wrote it.
type FieldType<'n> = (&'n [String], Vec<String>);

/// Resolves paths and method names to nodes.
struct Resolver<'n> {
    /// Free functions by full path.
    free: HashMap<Vec<String>, Vec<usize>>,
    /// Associated functions and methods by (type name, name).
    assoc: HashMap<(String, String), Vec<usize>>,
    /// Methods (taking `self`) by name.
    methods: HashMap<String, Vec<usize>>,
    /// `use` imports by the module they are visible in: (alias or glob, path).
    uses: HashMap<Vec<String>, Vec<Import<'n>>>,
    /// Every module path the crate is known to have, with all prefixes.
    modules: HashSet<Vec<String>>,
    /// Struct fields: (struct, field) -> type path as written, module.
    fields: HashMap<(String, String), FieldType<'n>>,
    /// Names of the types the crate implements methods for.
    types: HashSet<String>,
    /// `[handlers] functions` patterns.
    configured: Option<globset::GlobSet>,
    /// Each node's parameter count (besides `self`).
    params: Vec<usize>,
    /// Each node is a provided method of a trait.
    in_trait: Vec<bool>,
    /// Each node's path in the form the patterns match: `api/orders/create`.
    glob_paths: Vec<String>,
    /// The names of the workspace dependencies mounted as root modules.
    externs: HashSet<String>,
    /// Each node's crate: empty for this one, the dependency's name else.
    origin: Vec<String>,
}

impl<'n> Resolver<'n> {
    /// `deps`: the workspace libraries' files mounted after the crate's own
    /// `own` nodes ([`dependency_files`]).
    fn new(
        krate: &'n CrateIndex<'n>,
        nodes: &[Node<'n>],
        own: usize,
        deps: Vec<(&'n str, &'n CrateFile<'n>)>,
    ) -> Self {
        let mut r = Resolver {
            free: HashMap::new(),
            assoc: HashMap::new(),
            methods: HashMap::new(),
            uses: HashMap::new(),
            modules: HashSet::new(),
            fields: HashMap::new(),
            types: HashSet::new(),
            configured: configured_patterns(&krate.settings.handlers.functions),
            glob_paths: Vec::new(),
            params: nodes.iter().map(|n| n.fact.params).collect(),
            in_trait: nodes.iter().map(|n| n.fact.in_trait).collect(),
            externs: HashSet::new(),
            origin: nodes
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    if i < own {
                        String::new()
                    } else {
                        n.module.first().cloned().unwrap_or_default()
                    }
                })
                .collect(),
        };
        r.externs = deps.iter().map(|(d, _)| (*d).to_owned()).collect();
        let files = krate
            .files
            .iter()
            .map(|f| (None, f))
            .chain(deps.into_iter().map(|(d, f)| (Some(d), f)));
        for (i, n) in nodes.iter().enumerate() {
            let mut path = n.module.clone();
            add_prefixes(&mut r.modules, &n.module);
            match &n.fact.self_ty {
                // Closures and functions nested in function bodies are never
                // the target of a call resolved by path or name.
                _ if n.fact.closure || n.fact.nested => {}
                Some(ty) => {
                    r.types.insert(ty.clone());
                    path.push(ty.clone());
                    let key = (ty.clone(), n.fact.name.clone());
                    r.assoc.entry(key).or_default().push(i);
                    if n.fact.has_self {
                        r.methods.entry(n.fact.name.clone()).or_default().push(i);
                    }
                }
                None => {
                    let mut full = n.module.clone();
                    full.push(n.fact.name.clone());
                    r.free.entry(full).or_default().push(i);
                }
            }
            path.push(n.fact.name.clone());
            r.glob_paths.push(path.join("/"));
        }
        for (dep, file) in files {
            let mut module_path: Vec<String> = dep.map(str::to_owned).into_iter().collect();
            module_path.extend(file.module_path.iter().cloned());
            add_prefixes(&mut r.modules, &module_path);
            for (st, field, ty) in &file.facts.panic.fields {
                r.fields
                    .entry((st.clone(), field.clone()))
                    .or_insert_with(|| (ty.as_slice(), module_path.clone()));
            }
            for u in &file.facts.panic.uses {
                let mut scope = module_path.clone();
                scope.extend(u.inline_modules.iter().cloned());
                add_prefixes(&mut r.modules, &scope);
                r.uses
                    .entry(scope)
                    .or_default()
                    .push((u.alias.as_deref(), &u.path));
            }
        }
        r
    }

    /// Whether node `i` matches a `[handlers] functions` pattern.
    fn configured(&self, i: usize, node: &Node<'_>) -> bool {
        !node.fact.closure
            && self
                .configured
                .as_ref()
                .is_some_and(|set| set.is_match(&self.glob_paths[i]))
    }

    /// The target of the alias `name` imported into `module`.
    fn alias(&self, module: &[String], name: &str) -> Option<Vec<String>> {
        let (_, path) = self
            .uses
            .get(module)?
            .iter()
            .find(|(a, _)| *a == Some(name))?;
        self.absolutize(module, path)
    }

    /// The nodes a call path names, seen from `scope` (inside `impl self_ty`).
    fn resolve_path(&self, scope: &[String], self_ty: Option<&str>, segs: &[String]) -> Vec<usize> {
        let Some(first) = segs.first() else {
            return Vec::new();
        };
        match first.as_str() {
            "Self" => match (self_ty, segs) {
                (Some(ty), [_, name]) => self.assoc_fns(ty, name),
                _ => Vec::new(),
            },
            "crate" | "self" | "super" => self
                .absolutize(scope, segs)
                .map(|a| self.lookup(&a, 0))
                .unwrap_or_default(),
            "std" | "core" | "alloc" => Vec::new(),
            _ => {
                if let Some(mut target) = self.alias(scope, first) {
                    target.extend(segs[1..].iter().cloned());
                    let found = self.lookup(&target, 0);
                    // `GraphQLRequest::from(x)` with the type imported from
                    // another crate and `impl From<X> for GraphQLRequest`
                    // here: the crate's own impl of that type name.
                    if found.is_empty()
                        && let [ty, name] = segs
                        && ty.starts_with(char::is_uppercase)
                    {
                        return self.assoc_fns(ty, name);
                    }
                    return found;
                }
                let Some(relative) = self.absolutize(scope, segs) else {
                    return Vec::new();
                };
                let found = self.lookup(&relative, 0);
                if !found.is_empty() || segs.len() > 1 {
                    return found;
                }
                for (alias, path) in self.uses.get(scope).into_iter().flatten() {
                    if alias.is_none()
                        && let Some(mut target) = self.absolutize(scope, path)
                    {
                        target.push(first.clone());
                        let found = self.lookup(&target, 0);
                        if !found.is_empty() {
                            return found;
                        }
                    }
                }
                Vec::new()
            }
        }
    }

    /// The nodes an absolute path (from the crate root) names: a free
    /// function, a re-export of one, or `Type::f` of a type in a known module.
    fn lookup(&self, abs: &[String], depth: u32) -> Vec<usize> {
        if let Some(found) = self.free.get(abs) {
            return found.clone();
        }
        if depth < 4 {
            for i in (0..abs.len()).rev() {
                if let Some(mut target) = self.alias(&abs[..i], &abs[i]) {
                    target.extend(abs[i + 1..].iter().cloned());
                    let found = self.lookup(&target, depth + 1);
                    if !found.is_empty() {
                        return found;
                    }
                }
            }
            // `pub use login::*;` in `routes` makes `routes::login_form`.
            if let [module @ .., _] = abs {
                for (alias, path) in self.uses.get(module).into_iter().flatten() {
                    if alias.is_none()
                        && let Some(mut target) = self.absolutize(module, path)
                        && self.modules.contains(&target)
                    {
                        target.push(abs[abs.len() - 1].clone());
                        let found = self.lookup(&target, depth + 1);
                        if !found.is_empty() {
                            return found;
                        }
                    }
                }
            }
        }
        match abs {
            [module @ .., ty, name] if self.modules.contains(module) || module.is_empty() => {
                self.assoc_fns(ty, name)
            }
            _ => Vec::new(),
        }
    }

    fn assoc_fns(&self, ty: &str, name: &str) -> Vec<usize> {
        self.assoc
            .get(&(ty.to_owned(), name.to_owned()))
            .cloned()
            .unwrap_or_default()
    }

    /// The nodes a method call `x.name(..)` with `args` arguments in `caller`
    /// may call.
    fn resolve_method(
        &self,
        caller: &Node<'_>,
        name: &str,
        recv: &Recv,
        args: usize,
    ) -> Vec<usize> {
        let self_ty = caller.fact.self_ty.as_deref();
        match recv {
            Recv::SelfValue => {
                if let Some(ty) = self_ty {
                    let own = self.assoc_fns(ty, name);
                    if !own.is_empty() {
                        return own;
                    }
                }
            }
            Recv::Typed(ty) => return self.resolve_typed(&caller.module, ty, name),
            Recv::SelfField(field) => {
                if let Some(ty) = self_ty
                    && let Some((field_ty, module)) =
                        self.fields.get(&(ty.to_owned(), field.clone()))
                {
                    return self.resolve_typed(module, field_ty, name);
                }
            }
            // A constant of another crate (`URL_SAFE_NO_PAD.encode(..)`).
            Recv::Constant(c) => {
                if self.foreign(&caller.module, std::slice::from_ref(c)) {
                    return Vec::new();
                }
            }
            Recv::Unknown => {}
        }
        if *recv != Recv::SelfValue && COMMON_METHODS.contains(&name) {
            return Vec::new();
        }
        let Some(found) = self.methods.get(name) else {
            return Vec::new();
        };
        let found: Vec<usize> = found
            .iter()
            .copied()
            .filter(|&i| self.params[i] == args)
            .collect();
        // By name, the caller's own crate first: a workspace dependency's
        // methods only when the caller's crate has none of that name, and
        // only from a dependency the caller's file imports from.
        let home = self.origin_of_module(&caller.module);
        let (near, far): (Vec<usize>, Vec<usize>) =
            found.into_iter().partition(|&i| self.origin[i] == home);
        let found = if near.is_empty() {
            far.into_iter()
                .filter(|&i| caller.file.facts.panic.imports_crate(&self.origin[i]))
                .collect()
        } else {
            near
        };
        if found.len() <= MAX_METHOD_CANDIDATES {
            found
        } else {
            Vec::new()
        }
    }

    /// `x.name()` on a receiver of type `ty` (a path as written in `module`):
    /// the type's own methods, the provided methods of the crate's traits if
    /// it has none of that name, nothing for a type of another crate or std.
    fn resolve_typed(&self, module: &[String], ty: &[String], name: &str) -> Vec<usize> {
        if let [single] = ty
            && let Some(target) = self.alias(module, single)
        {
            // `use crate::svc::Service as Svc;` then `s: Svc`.
            if self.foreign(module, ty) {
                return Vec::new();
            }
            return match target.last() {
                Some(last) if self.types.contains(last) => self.typed_methods(last, name),
                _ => Vec::new(),
            };
        }
        let Some(last) = ty.last() else {
            return Vec::new();
        };
        if !self.types.contains(last) || self.foreign(module, ty) {
            return Vec::new();
        }
        self.typed_methods(last, name)
    }

    /// The methods `name` of the crate type `last`, or the provided methods
    /// of the crate's traits with that name.
    fn typed_methods(&self, last: &str, name: &str) -> Vec<usize> {
        let own = self.assoc_fns(last, name);
        if !own.is_empty() {
            return own;
        }
        match self.methods.get(name) {
            Some(found) => {
                let provided: Vec<usize> = found
                    .iter()
                    .copied()
                    .filter(|&i| self.in_trait[i])
                    .collect();
                if provided.len() <= MAX_METHOD_CANDIDATES {
                    provided
                } else {
                    Vec::new()
                }
            }
            None => Vec::new(),
        }
    }

    /// Whether a path written in `module` names something of another crate:
    /// its first segment is neither `crate`/`self`/`super`, nor a module of
    /// the crate, nor imported from one.
    fn foreign(&self, module: &[String], path: &[String]) -> bool {
        let Some(first) = path.first() else {
            return false;
        };
        if matches!(first.as_str(), "crate" | "self" | "super" | "Self") {
            return false;
        }
        let local_root = |seg: &str| {
            matches!(seg, "crate" | "self" | "super")
                || self.modules.contains(std::slice::from_ref(&seg.to_owned()))
                || {
                    let mut rel = module.to_vec();
                    rel.push(seg.to_owned());
                    self.modules.contains(&rel)
                }
        };
        if path.len() > 1 {
            return !local_root(first);
        }
        // One segment: imported from where?
        match self
            .uses
            .get(module)
            .into_iter()
            .flatten()
            .find(|(a, _)| *a == Some(first.as_str()))
        {
            Some((_, from)) => from.first().is_some_and(|root| !local_root(root)),
            None => false,
        }
    }
}

impl Resolver<'_> {
    /// The crate a module path lies in: empty for this one.
    fn origin_of_module(&self, module: &[String]) -> String {
        match module.first() {
            Some(m) if self.externs.contains(m) => m.clone(),
            _ => String::new(),
        }
    }

    /// An absolute path (from the crate root, without `crate`) for a path
    /// written in `module`; `None` for `super` above the root. A path that
    /// starts with a workspace dependency's name is absolute already, and
    /// `crate` inside a dependency is that dependency's root. Other paths are
    /// taken as relative to `module` (edition 2018 and later); a path into
    /// another crate thus names a module the crate does not have and resolves
    /// to nothing.
    fn absolutize(&self, module: &[String], path: &[String]) -> Option<Vec<String>> {
        let first = path.first()?;
        let root = match module.first() {
            Some(m) if self.externs.contains(m) => 1,
            _ => 0,
        };
        if first == "crate" {
            return Some(module[..root].iter().chain(&path[1..]).cloned().collect());
        }
        if self.externs.contains(first) {
            let mut local = module.to_vec();
            local.push(first.clone());
            if !self.modules.contains(&local) || module.is_empty() {
                return Some(path.to_vec());
            }
        }
        if first == "super" {
            let ups = path.iter().take_while(|s| *s == "super").count();
            if module.len() < root + ups {
                return None;
            }
        }
        absolutize(module, path)
    }
}

/// [`Resolver::absolutize`] without workspace dependencies.
fn absolutize(module: &[String], path: &[String]) -> Option<Vec<String>> {
    let first = path.first()?;
    match first.as_str() {
        "crate" => Some(path[1..].to_vec()),
        "self" => Some(module.iter().chain(&path[1..]).cloned().collect()),
        "super" => {
            let ups = path.iter().take_while(|s| *s == "super").count();
            let base = module.len().checked_sub(ups)?;
            Some(module[..base].iter().chain(&path[ups..]).cloned().collect())
        }
        _ => Some(module.iter().chain(path).cloned().collect()),
    }
}

fn add_prefixes(set: &mut HashSet<Vec<String>>, module: &[String]) {
    for i in 0..=module.len() {
        set.insert(module[..i].to_vec());
    }
}

/// `crate::api::*` -> a glob over `api/*` (`*` stays inside one path segment, `**` crosses them).
fn configured_patterns(patterns: &[String]) -> Option<globset::GlobSet> {
    if patterns.is_empty() {
        return None;
    }
    let mut builder = globset::GlobSetBuilder::new();
    for p in patterns {
        let p = p.trim_start_matches("::");
        let p = p.strip_prefix("crate::").unwrap_or(p).replace("::", "/");
        if let Ok(glob) = globset::GlobBuilder::new(&p)
            .literal_separator(true)
            .build()
        {
            builder.add(glob);
        }
    }
    builder.build().ok()
}
