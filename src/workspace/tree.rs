//! Module trees: from each target's root file, the `mod` declarations the
//! checker recorded lead to every file of the crate, with its module path and
//! whether only test code reaches it.

use std::collections::HashMap;

use rustgate_rules::facts::{MissingMod, ModuleTree, resolve_module_tree};
use rustgate_rules::{FileFacts, TargetKind};

use super::Workspace;

/// Where module trees put one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub package: usize,
    /// Indexes into the package's targets whose tree holds the file.
    pub targets: Vec<usize>,
    /// The module path in the first of those targets.
    pub module_path: Vec<String>,
    /// Reached only through test code (`#[cfg(test)] mod tests;`).
    pub test: bool,
}

impl Placement {
    /// The kind the file takes: test when only test code reaches it, else the
    /// most production-like kind of its targets (a library before a binary).
    pub fn kind(&self, ws: &Workspace) -> TargetKind {
        let kind = self
            .targets
            .iter()
            .map(|&t| ws.packages[self.package].targets[t].kind)
            .min()
            .unwrap_or(TargetKind::Unknown);
        if self.test && kind.is_production() {
            TargetKind::Test
        } else {
            kind
        }
    }
}

/// The module trees of every target whose root was checked.
#[derive(Debug, Default)]
pub struct Trees {
    /// (package, target, tree) for each target whose root file was checked.
    pub targets: Vec<(usize, usize, ModuleTree)>,
    /// Every file some tree reaches.
    pub placement: HashMap<String, Placement>,
    /// Packages whose every target root was checked: a file of theirs that no
    /// tree reaches is an orphan. In other packages (a run on a sub-folder)
    /// the trees are partial and nothing is called an orphan.
    pub complete: Vec<bool>,
}

impl Trees {
    /// Resolves the trees from the facts of the checked files.
    pub fn resolve<'f>(ws: &Workspace, facts_of: &dyn Fn(&str) -> Option<&'f FileFacts>) -> Trees {
        let mut trees = Trees {
            complete: vec![true; ws.packages.len()],
            ..Trees::default()
        };
        for (pi, package) in ws.packages.iter().enumerate() {
            for (ti, target) in package.targets.iter().enumerate() {
                if facts_of(&target.root).is_none() {
                    trees.complete[pi] = false;
                    continue;
                }
                let tree = resolve_module_tree(&target.root, facts_of);
                for f in &tree.files {
                    let entry =
                        trees
                            .placement
                            .entry(f.path.clone())
                            .or_insert_with(|| Placement {
                                package: pi,
                                targets: Vec::new(),
                                module_path: f.module_path.clone(),
                                test: true,
                            });
                    if entry.package == pi {
                        entry.targets.push(ti);
                        entry.test &= f.test;
                    }
                }
                trees.targets.push((pi, ti, tree));
            }
        }
        trees
    }

    /// Whether the file at `path` of package `package` is an orphan.
    pub fn is_orphan(&self, path: &str, package: Option<usize>) -> bool {
        package.is_some_and(|p| self.complete[p]) && !self.placement.contains_key(path)
    }

    /// `mod` declarations whose file exists nowhere on disk (one that exists
    /// but was excluded from the walk is not missing).
    pub fn missing(&self, ws: &Workspace) -> Vec<&MissingMod> {
        let mut out: Vec<&MissingMod> = self
            .targets
            .iter()
            .flat_map(|(_, _, t)| &t.missing)
            .filter(|m| !m.candidates.iter().any(|c| ws.root.join(c).exists()))
            .collect();
        out.sort_by(|a, b| (&a.declared_in, a.line).cmp(&(&b.declared_in, b.line)));
        out.dedup_by(|a, b| a.declared_in == b.declared_in && a.line == b.line);
        out
    }
}
