//! Per-file facts of RG401 (sql-concatenation): what the file defines and
//! imports, and findings that wait for the crate phase.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use syn::visit::{self, Visit};

use super::sql_flow::lit_text;
use super::sql_sinks::{self, Lib};
use crate::Diagnostic;
use crate::syntax::{last_segment, macro_args};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SqlFacts {
    /// `const` and `static` items of the file (at any depth, associated ones
    /// too), with their text when the value is a literal.
    pub consts: BTreeMap<String, String>,
    /// Names imported by `use` from a database crate: name -> crate root.
    pub imports: BTreeMap<String, String>,
    /// Crate roots the file imports from (`use rusqlite::..`).
    pub crates: BTreeSet<String>,
    /// Findings whose string is built only from upper-case names this file
    /// does not define: reported by the crate phase unless each name is a
    /// `const` or `static` of another file of the crate.
    pub pending: Vec<PendingSql>,
    /// Functions the file registers as request handlers (`get(list)`,
    /// `.to(create)`), by name: request-input findings of functions without
    /// a route attribute wait for these.
    pub registered: BTreeSet<String>,
    /// The file may call a sink ([`sql_sinks::may_call_a_sink`]): its
    /// functions are analysed. Only read during the walk, never cached.
    #[serde(skip)]
    pub analyse: bool,
    /// For each private function of the file (not `pub` in any form) that
    /// is only ever called, never named otherwise: which of its parameters
    /// (receiver excluded) receive a constant at every call site of the
    /// file. Empty when the file declares an out-of-line module (a child
    /// module in another file could call the function too). Only read
    /// during the walk, never cached.
    #[serde(skip)]
    pub constant_params: BTreeMap<String, Vec<bool>>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PendingSql {
    pub diagnostic: Diagnostic,
    pub names: Vec<String>,
    /// Reported only if a function of this name is registered as a handler
    /// somewhere in the crate.
    pub handler: Option<String>,
}

/// Collects the file's constants and database imports into [`SqlFacts`].
struct Collect<'a> {
    facts: &'a mut SqlFacts,
}

/// Records the constants and database imports of `source` into `facts`. A
/// file that calls no sink needs only what other files can name: the
/// constants outside function bodies (the crate phase looks names up among
/// them), found without walking the rest of the tree.
pub fn collect(file: &syn::File, source: &str, facts: &mut SqlFacts) {
    facts.analyse = sql_sinks::may_call_a_sink(source);
    let mut c = Collect { facts };
    if c.facts.analyse {
        c.visit_file(file);
        facts.constant_params = constant_params(file, &facts.consts);
    } else {
        c.outer_consts(&file.items);
    }
}

/// See [`SqlFacts::constant_params`].
fn constant_params(
    file: &syn::File,
    consts: &BTreeMap<String, String>,
) -> BTreeMap<String, Vec<bool>> {
    let mut fns = PrivateFns::default();
    fns.visit_file(file);
    if fns.out_of_line_mod {
        return BTreeMap::new();
    }
    let mut calls = Calls {
        fns: &fns.fns,
        consts,
        seen: HashMap::new(),
        escaped: BTreeSet::new(),
    };
    calls.visit_file(file);
    let Calls { seen, escaped, .. } = calls;
    seen.into_iter()
        .filter(|(name, _)| {
            !escaped.contains(name) && fns.fns.get(name).is_some_and(|f| f.is_some())
        })
        .collect()
}

/// The private functions of a file by name: `Some(has_receiver)`, or `None`
/// when two share a name.
#[derive(Default)]
struct PrivateFns {
    fns: HashMap<String, Option<bool>>,
    out_of_line_mod: bool,
}

impl PrivateFns {
    fn add(&mut self, vis: &syn::Visibility, sig: &syn::Signature) {
        if !matches!(vis, syn::Visibility::Inherited) {
            return;
        }
        let receiver = sig.receiver().is_some();
        self.fns
            .entry(sig.ident.to_string())
            .and_modify(|e| *e = None)
            .or_insert(Some(receiver));
    }
}

impl<'ast> Visit<'ast> for PrivateFns {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.add(&f.vis, &f.sig);
        visit::visit_item_fn(self, f);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        // Trait impls' methods are called through the trait: not private.
        self.add(&f.vis, &f.sig);
        visit::visit_impl_item_fn(self, f);
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        if i.trait_.is_none() {
            visit::visit_item_impl(self, i);
        }
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        self.out_of_line_mod |= m.content.is_none();
        visit::visit_item_mod(self, m);
    }
}

/// The call sites of the private functions: per parameter, whether every
/// call passed a constant; names used other than as a callee escape.
struct Calls<'a> {
    fns: &'a HashMap<String, Option<bool>>,
    consts: &'a BTreeMap<String, String>,
    seen: HashMap<String, Vec<bool>>,
    escaped: BTreeSet<String>,
}

impl Calls<'_> {
    fn record<'e>(&mut self, name: String, args: impl Iterator<Item = &'e syn::Expr>) {
        let flags: Vec<bool> = args.map(|a| is_constant_arg(a, self.consts)).collect();
        match self.seen.get_mut(&name) {
            Some(old) if old.len() == flags.len() => {
                for (o, f) in old.iter_mut().zip(flags) {
                    *o &= f;
                }
            }
            Some(_) => {
                self.escaped.insert(name);
            }
            None => {
                self.seen.insert(name, flags);
            }
        }
    }
}

impl<'ast> Visit<'ast> for Calls<'_> {
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if let syn::Expr::Path(p) = &*c.func
            && let Some(last) = p.path.segments.last()
        {
            let name = last.ident.to_string();
            if let Some(Some(receiver)) = self.fns.get(&name) {
                // `Self::m(self, a)` passes the receiver first.
                let skip = usize::from(*receiver);
                self.record(name, c.args.iter().skip(skip));
                for arg in &c.args {
                    self.visit_expr(arg);
                }
                return;
            }
        }
        visit::visit_expr_call(self, c);
    }

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let name = m.method.to_string();
        if let Some(Some(true)) = self.fns.get(&name) {
            self.record(name, m.args.iter());
        }
        visit::visit_expr_method_call(self, m);
    }

    fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
        // A function named but not called here (`map(helper)`): unknown callers.
        if let Some(last) = p.path.segments.last() {
            let name = last.ident.to_string();
            if self.fns.contains_key(&name) {
                self.escaped.insert(name);
            }
        }
    }
}

/// A constant argument: a literal, a `const` / `static` of the file or an
/// upper-case name, `concat!`, through `&`, parentheses and field access.
fn is_constant_arg(expr: &syn::Expr, consts: &BTreeMap<String, String>) -> bool {
    match expr {
        syn::Expr::Lit(_) => true,
        syn::Expr::Reference(r) => is_constant_arg(&r.expr, consts),
        syn::Expr::Paren(p) => is_constant_arg(&p.expr, consts),
        syn::Expr::Field(f) => is_constant_arg(&f.base, consts),
        syn::Expr::Path(p) => p.path.segments.last().is_some_and(|s| {
            let name = s.ident.to_string();
            consts.contains_key(&name)
                || (name.len() > 1
                    && name
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
        }),
        syn::Expr::Macro(m) => last_segment(&m.mac.path).as_deref() == Some("concat"),
        _ => false,
    }
}

impl Collect<'_> {
    /// The `const` and `static` items of `items` and of the modules, impls
    /// and traits among them.
    fn outer_consts(&mut self, items: &[syn::Item]) {
        for item in items {
            match item {
                syn::Item::Const(i) => self.constant(&i.ident, Some(&i.expr)),
                syn::Item::Static(i) => self.constant(&i.ident, Some(&i.expr)),
                syn::Item::Mod(m) => {
                    if let Some((_, items)) = &m.content {
                        self.outer_consts(items);
                    }
                }
                syn::Item::Impl(i) => {
                    for item in &i.items {
                        if let syn::ImplItem::Const(c) = item {
                            self.constant(&c.ident, Some(&c.expr));
                        }
                    }
                }
                syn::Item::Trait(t) => {
                    for item in &t.items {
                        if let syn::TraitItem::Const(c) = item {
                            self.constant(&c.ident, c.default.as_ref().map(|(_, e)| e));
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn constant(&mut self, ident: &syn::Ident, expr: Option<&syn::Expr>) {
        let text = match expr {
            Some(syn::Expr::Lit(l)) => lit_text(&l.lit),
            Some(syn::Expr::Macro(m)) if last_segment(&m.mac.path).as_deref() == Some("concat") => {
                macro_args(&m.mac)
                    .map(|args| {
                        args.iter()
                            .filter_map(|a| match a {
                                syn::Expr::Lit(l) => Some(lit_text(&l.lit)),
                                _ => None,
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            }
            _ => String::new(),
        };
        self.facts.consts.insert(ident.to_string(), text);
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        let root = |prefix: &[String], last: &str| {
            prefix.first().cloned().unwrap_or_else(|| last.to_owned())
        };
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let name = n.ident.to_string();
                let root = root(prefix, &name);
                self.imported(&root, name);
            }
            syn::UseTree::Rename(r) => {
                let root = root(prefix, &r.ident.to_string());
                self.imported(&root, r.rename.to_string());
            }
            syn::UseTree::Glob(_) => {
                if let Some(root) = prefix.first() {
                    self.facts.crates.insert(root.clone());
                    if Lib::of_crate(root).is_some() {
                        for sink in sql_sinks::SINKS {
                            self.facts
                                .imports
                                .entry(sink.name.to_owned())
                                .or_insert_with(|| root.clone());
                        }
                    }
                }
            }
            syn::UseTree::Group(g) => {
                for tree in &g.items {
                    self.use_tree(prefix, tree);
                }
            }
        }
    }

    fn imported(&mut self, root: &str, name: String) {
        self.facts.crates.insert(root.to_owned());
        if Lib::of_crate(root).is_some() {
            self.facts.imports.insert(name, root.to_owned());
        }
    }
}

impl<'ast> Visit<'ast> for Collect<'_> {
    fn visit_item_const(&mut self, i: &'ast syn::ItemConst) {
        self.constant(&i.ident, Some(&i.expr));
        visit::visit_item_const(self, i);
    }

    fn visit_item_static(&mut self, i: &'ast syn::ItemStatic) {
        self.constant(&i.ident, Some(&i.expr));
        visit::visit_item_static(self, i);
    }

    fn visit_impl_item_const(&mut self, i: &'ast syn::ImplItemConst) {
        self.constant(&i.ident, Some(&i.expr));
        visit::visit_impl_item_const(self, i);
    }

    fn visit_trait_item_const(&mut self, i: &'ast syn::TraitItemConst) {
        self.constant(&i.ident, i.default.as_ref().map(|(_, e)| e));
        visit::visit_trait_item_const(self, i);
    }

    fn visit_item_use(&mut self, i: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &i.tree);
    }
}
