//! Per-file facts of RG401 (sql-concatenation): what the file defines and
//! imports, and findings that wait for the crate phase.

use std::collections::{BTreeMap, BTreeSet};

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
    /// The file may call a sink ([`sql_sinks::may_call_a_sink`]): its
    /// functions are analysed. Only read during the walk, never cached.
    #[serde(skip)]
    pub analyse: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PendingSql {
    pub diagnostic: Diagnostic,
    pub names: Vec<String>,
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
    } else {
        c.outer_consts(&file.items);
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
