//! Per-file facts and the crate-level index built from them.
//!
//! Rules that need more than one file (who calls whom, which error enums the
//! crate defines) record what they need as [`FileFacts`] during the single
//! per-file walk; the driver groups the facts by crate and calls
//! [`crate::Rule::check_crate`] with a [`CrateIndex`]. Facts are plain data
//! (serialisable, so a cache can keep them without re-parsing).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::settings::Settings;

/// The kind of Cargo target a file belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    Lib,
    Bin,
    Test,
    Bench,
    Example,
    BuildScript,
    /// Outside Cargo, or a file no target reaches and no path convention names.
    Unknown,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Lib => "lib",
            TargetKind::Bin => "bin",
            TargetKind::Test => "test",
            TargetKind::Bench => "bench",
            TargetKind::Example => "example",
            TargetKind::BuildScript => "build-script",
            TargetKind::Unknown => "unknown",
        }
    }

    /// Tests, benches, examples and build scripts are never business logic.
    pub fn is_production(self) -> bool {
        matches!(
            self,
            TargetKind::Lib | TargetKind::Bin | TargetKind::Unknown
        )
    }
}

/// What the driver knows about a file before parsing it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    /// Relative to the workspace root, `/`-separated.
    pub path: String,
    /// The Cargo package the file belongs to, if any.
    pub package: Option<String>,
    pub kind: TargetKind,
    /// The file-level business-logic decision (target kind, ffi/sys paths,
    /// `-sys` packages, `[business-logic]` globs). Items inside can still be
    /// test code or an ffi module: see [`crate::Ctx::is_business_logic`].
    pub business_logic: bool,
    /// Generated code (an `@generated` or `Code generated ... DO NOT EDIT`
    /// marker, or `*.pb.rs` / `generated/` / `gen/` in a crate that depends on
    /// a code generator): see the workspace model in the driver.
    #[serde(default)]
    pub generated: bool,
}

/// An out-of-line `mod name;` declaration, for building the module tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModDecl {
    /// Inline modules (`mod a { mod b; }`) around the declaration, outermost first.
    pub inline_parents: Vec<String>,
    pub name: String,
    /// The `#[path = ".."]` attribute, if any.
    pub path_attr: Option<String>,
}

/// Everything one file records for the crate-level phase.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FileFacts {
    /// `mod x;` declarations (filled by the checker itself).
    pub mods: Vec<ModDecl>,
    /// Facts of the panic rules (RG201, RG202).
    pub panic: crate::rules::panic_facts::PanicFacts,
    /// Facts of the error-variant rules (RG301 to RG303).
    pub errors: crate::rules::error_facts::ErrorFacts,
    /// Facts of the SQL rule (RG401).
    pub sql: crate::rules::sql_facts::SqlFacts,
}

/// One file of a crate as the crate phase sees it.
#[derive(Clone, Debug)]
pub struct CrateFile<'a> {
    pub info: &'a FileInfo,
    pub facts: &'a FileFacts,
    /// The file's module path inside the crate (`["billing", "pricing"]`),
    /// empty for the crate root.
    pub module_path: Vec<String>,
}

/// A crate (one Cargo target, or a group of files no target reaches) with the
/// facts of all its files.
#[derive(Debug)]
pub struct CrateIndex<'a> {
    /// `package/target` or a directory name outside Cargo.
    pub name: String,
    pub kind: TargetKind,
    pub files: Vec<CrateFile<'a>>,
    pub settings: &'a Settings,
}

/// Resolves the module tree of a crate: starting at `root` (a path relative to
/// the workspace root), follows the `mod` declarations recorded in `facts` and
/// returns every reached file with its module path. `exists` tells whether a
/// candidate file is among the checked files.
pub fn module_tree<'f>(
    root: &str,
    facts_of: &dyn Fn(&str) -> Option<&'f FileFacts>,
) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut seen: HashMap<String, ()> = HashMap::new();
    let mut stack = vec![(root.to_owned(), Vec::<String>::new(), true)];
    while let Some((path, module, owns_dir)) = stack.pop() {
        if seen.insert(path.clone(), ()).is_some() {
            continue;
        }
        let Some(facts) = facts_of(&path) else {
            continue;
        };
        // The directory where child modules of this file live: `src/` for
        // `src/lib.rs` and `src/a/mod.rs`, `src/a/` for `src/a.rs`.
        let dir = parent_dir(&path);
        let child_dir = if owns_dir {
            dir.to_owned()
        } else {
            let stem = path
                .rsplit('/')
                .next()
                .unwrap_or(&path)
                .trim_end_matches(".rs");
            join(dir, stem)
        };
        for decl in &facts.mods {
            let mut child_module = module.clone();
            child_module.extend(decl.inline_parents.iter().cloned());
            child_module.push(decl.name.clone());
            let (candidate, child_owns) = match &decl.path_attr {
                Some(p) if decl.inline_parents.is_empty() => (normalize(&join(dir, p)), true),
                Some(p) => {
                    let base = decl
                        .inline_parents
                        .iter()
                        .fold(child_dir.clone(), |d, m| join(&d, m));
                    (normalize(&join(&base, p)), true)
                }
                None => {
                    let base = decl
                        .inline_parents
                        .iter()
                        .fold(child_dir.clone(), |d, m| join(&d, m));
                    let flat = join(&base, &format!("{}.rs", decl.name));
                    if facts_of(&flat).is_some() {
                        (flat, false)
                    } else {
                        (join(&join(&base, &decl.name), "mod.rs"), true)
                    }
                }
            };
            stack.push((candidate, child_module, child_owns));
        }
        out.push((path, module));
    }
    out.sort();
    out
}

fn parent_dir(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// Removes `.` and `..` components (paths from `#[path]`).
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

impl<'a> CrateIndex<'a> {
    /// Builds the index of one crate from its files. With a `root` (the target's
    /// `src_path`), module paths follow the `mod` tree from it; files the tree
    /// does not reach (and crates without a root) get a module path guessed
    /// from their location under `src/`.
    pub fn build(
        name: String,
        kind: TargetKind,
        root: Option<&str>,
        files: Vec<(&'a FileInfo, &'a FileFacts)>,
        settings: &'a Settings,
    ) -> CrateIndex<'a> {
        let by_path: HashMap<&str, &FileFacts> =
            files.iter().map(|(i, f)| (i.path.as_str(), *f)).collect();
        let tree: HashMap<String, Vec<String>> = match root {
            Some(root) => module_tree(root, &|p| by_path.get(p).copied())
                .into_iter()
                .collect(),
            None => HashMap::new(),
        };
        let files = files
            .into_iter()
            .map(|(info, facts)| CrateFile {
                info,
                facts,
                module_path: tree
                    .get(&info.path)
                    .cloned()
                    .unwrap_or_else(|| guess_module_path(&info.path)),
            })
            .collect();
        CrateIndex {
            name,
            kind,
            files,
            settings,
        }
    }
}

/// `src/a/b.rs` -> `a::b`, `src/a/mod.rs` -> `a`, `src/lib.rs` -> root.
pub fn guess_module_path(path: &str) -> Vec<String> {
    let rel = match path.rfind("src/") {
        Some(i) => &path[i + 4..],
        None => path.rsplit('/').next().unwrap_or(path),
    };
    let rel = rel.trim_end_matches(".rs");
    let mut parts: Vec<String> = rel.split('/').map(str::to_owned).collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    if parts.first().map(String::as_str) == Some("bin") {
        parts.clear();
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_tree_follows_mod_declarations() {
        let decl = |name: &str, parents: &[&str], path: Option<&str>| ModDecl {
            inline_parents: parents.iter().map(|s| s.to_string()).collect(),
            name: name.into(),
            path_attr: path.map(Into::into),
        };
        let mut files: HashMap<&str, FileFacts> = HashMap::new();
        let lib = FileFacts {
            mods: vec![
                decl("a", &[], None),
                decl("b", &[], None),
                decl("c", &["outer"], None),
                decl("gen", &[], Some("../generated/gen.rs")),
            ],
            ..FileFacts::default()
        };
        files.insert("src/lib.rs", lib);
        let a = FileFacts {
            mods: vec![decl("inner", &[], None)],
            ..FileFacts::default()
        };
        files.insert("src/a.rs", a);
        files.insert("src/a/inner.rs", FileFacts::default());
        files.insert("src/b/mod.rs", FileFacts::default());
        files.insert("src/outer/c.rs", FileFacts::default());
        files.insert("generated/gen.rs", FileFacts::default());
        files.insert("src/orphan.rs", FileFacts::default());
        let lookup = |p: &str| files.get(p);
        let tree = module_tree("src/lib.rs", &lookup);
        let got: Vec<(String, String)> = tree.into_iter().map(|(p, m)| (p, m.join("::"))).collect();
        let want: Vec<(String, String)> = [
            ("generated/gen.rs", "gen"),
            ("src/a.rs", "a"),
            ("src/a/inner.rs", "a::inner"),
            ("src/b/mod.rs", "b"),
            ("src/lib.rs", ""),
            ("src/outer/c.rs", "outer::c"),
        ]
        .iter()
        .map(|(p, m)| (p.to_string(), m.to_string()))
        .collect();
        assert_eq!(got, want);
    }
}
