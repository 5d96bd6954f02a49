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
    /// Declared in test code (`#[cfg(test)] mod x;`, or inside such a module):
    /// the file it names, and everything below it, is test code.
    #[serde(default)]
    pub test: bool,
    /// The line of the declaration, for reporting a missing file.
    #[serde(default)]
    pub line: u32,
    /// Paths from `#[cfg_attr(.., path = "..")]`: the first that exists is
    /// the module's file when `path_attr` is absent.
    #[serde(default)]
    pub cfg_paths: Vec<String>,
    /// The directories of the inline modules around the declaration when one
    /// of them has a `#[path]` (`#[path = "."] mod tests { mod x; }`); empty
    /// when they are the modules' names.
    #[serde(default)]
    pub inline_dirs: Vec<String>,
}

/// Everything one file records for the crate-level phase.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FileFacts {
    /// `mod x;` declarations (filled by the checker itself).
    pub mods: Vec<ModDecl>,
    /// Facts of the panic rules (RG201, RG202).
    pub panic: crate::rules::panics::panic_facts::PanicFacts,
    /// Facts of the error-variant rules (RG301 to RG303).
    pub errors: crate::rules::errors::error_facts::ErrorFacts,
    /// Facts of the SQL rule (RG401).
    pub sql: crate::rules::sql::sql_facts::SqlFacts,
    /// Facts of the unvalidated-input rule (RG603).
    #[serde(default)]
    pub input: crate::rules::security::unvalidated_input::InputFacts,
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
    /// Crates of the workspace this one depends on: its `path` dependencies'
    /// libraries, and for a package's binaries, tests, examples and benches
    /// the package's own library. Empty outside Cargo.
    pub dependencies: Vec<CrateDep<'a>>,
    /// Crates of the workspace that depend on this one (for a library: the
    /// packages naming it as a `path` dependency, and its own package's
    /// binaries, tests, examples and benches), each with the name it uses
    /// for this crate. Empty outside Cargo.
    pub dependents: Vec<CrateDep<'a>>,
    /// The crate's place in the workspace, filled by the driver; unknown by
    /// default.
    pub context: CrateContext,
}

/// What the driver knows about a crate's place in the workspace, for rules
/// that judge a library by who uses it (RG301). The default, "unknown",
/// keeps the rules' behaviour for a plain library.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CrateContext {
    /// For a library target: `Some(true)` when its package has a binary
    /// target and no other package of the workspace depends on it (an
    /// application split into a library and a binary), `Some(false)` when
    /// another package depends on it or the package has no binary, `None`
    /// when unknown (outside Cargo, or not a library).
    pub application_library: Option<bool>,
    /// The library target's `crate-type` list as written in the manifest
    /// (`["cdylib"]`); empty when not given (the default `lib`) or unknown.
    pub crate_types: Vec<String>,
}

impl CrateContext {
    /// Built only as a `cdylib` and/or `staticlib` (a wasm front end, a
    /// plugin): an application, not a Rust library.
    pub fn is_native_library_only(&self) -> bool {
        !self.crate_types.is_empty()
            && self
                .crate_types
                .iter()
                .all(|t| matches!(t.as_str(), "cdylib" | "staticlib"))
    }
}

/// A library crate of the workspace that a crate depends on.
#[derive(Clone, Debug)]
pub struct CrateDep<'a> {
    /// The name code uses for it (`plume_models`): the dependency key with
    /// `-` as `_`, or the library's name.
    pub extern_name: String,
    /// `package/target`, as [`CrateIndex::name`].
    pub name: String,
    pub files: Vec<CrateFile<'a>>,
}

/// One file of a module tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeFile {
    /// Relative to the workspace root.
    pub path: String,
    /// Module path inside the crate (`["billing", "pricing"]`), empty for the root.
    pub module_path: Vec<String>,
    /// Reached only through test code (`#[cfg(test)] mod tests;`).
    pub test: bool,
}

/// A `mod x;` whose file is not among the checked files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingMod {
    /// The file holding the declaration.
    pub declared_in: String,
    pub line: u32,
    pub name: String,
    /// The paths that were tried, in order.
    pub candidates: Vec<String>,
    pub test: bool,
}

/// A crate's module tree: every file reached from the root, and the `mod`
/// declarations whose file was not found.
#[derive(Clone, Debug, Default)]
pub struct ModuleTree {
    /// Sorted by path.
    pub files: Vec<TreeFile>,
    pub missing: Vec<MissingMod>,
}

/// Resolves the module tree of a crate: starting at `root` (a path relative to
/// the workspace root), follows the `mod` declarations recorded in `facts` and
/// returns every reached file with its module path. `facts_of` gives the facts
/// of a checked file, `None` for a file that was not checked.
pub fn module_tree<'f>(
    root: &str,
    facts_of: &dyn Fn(&str) -> Option<&'f FileFacts>,
) -> Vec<(String, Vec<String>)> {
    resolve_module_tree(root, facts_of)
        .files
        .into_iter()
        .map(|f| (f.path, f.module_path))
        .collect()
}

/// [`module_tree`] with test-ness and the declarations whose file is missing.
/// A file reached both from test and non-test code is not test code.
pub fn resolve_module_tree<'f>(
    root: &str,
    facts_of: &dyn Fn(&str) -> Option<&'f FileFacts>,
) -> ModuleTree {
    let mut tree = ModuleTree::default();
    let mut seen: HashMap<String, usize> = HashMap::new();
    // (path, module path, owns its directory, reached through test code)
    let mut stack = vec![(root.to_owned(), Vec::<String>::new(), true, false)];
    while let Some((path, module, owns_dir, test)) = stack.pop() {
        if let Some(&at) = seen.get(&path) {
            // Reached again: production reach wins over test reach. Its
            // children were pushed with the first reach's flag; a second walk
            // from a production parent re-pushes them below.
            if test || !tree.files[at].test {
                continue;
            }
            tree.files[at].test = false;
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
            // An inline module with a `#[path]` names its directory relative
            // to the file's own directory, without the `a/` that a non-mod-rs
            // file `a.rs` otherwise adds (rustc's historical rule).
            let (start, dirs) = if decl.inline_dirs.is_empty() {
                (child_dir.as_str(), &decl.inline_parents)
            } else {
                (dir, &decl.inline_dirs)
            };
            let base = normalize(&dirs.iter().fold(start.to_owned(), |d, m| join(&d, m)));
            let explicit = |p: &String| {
                if decl.inline_parents.is_empty() {
                    (normalize(&join(dir, p)), true)
                } else {
                    (normalize(&join(&base, p)), true)
                }
            };
            let candidates: Vec<(String, bool)> = match &decl.path_attr {
                Some(p) => vec![explicit(p)],
                None => decl
                    .cfg_paths
                    .iter()
                    .map(explicit)
                    .chain([
                        (join(&base, &format!("{}.rs", decl.name)), false),
                        (join(&join(&base, &decl.name), "mod.rs"), true),
                    ])
                    .collect(),
            };
            let found = candidates.iter().find(|(c, _)| facts_of(c).is_some());
            match found {
                Some((candidate, child_owns)) => {
                    stack.push((
                        candidate.clone(),
                        child_module,
                        *child_owns,
                        test || decl.test,
                    ));
                }
                None => tree.missing.push(MissingMod {
                    declared_in: path.clone(),
                    line: decl.line,
                    name: decl.name.clone(),
                    candidates: candidates.into_iter().map(|(c, _)| c).collect(),
                    test: test || decl.test,
                }),
            }
        }
        if !seen.contains_key(&path) {
            seen.insert(path.clone(), tree.files.len());
            tree.files.push(TreeFile {
                path,
                module_path: module,
                test,
            });
        }
    }
    tree.files.sort_by(|a, b| a.path.cmp(&b.path));
    tree.missing
        .sort_by(|a, b| (&a.declared_in, a.line).cmp(&(&b.declared_in, b.line)));
    tree.missing.dedup();
    tree
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
            dependencies: Vec::new(),
            dependents: Vec::new(),
            context: CrateContext::default(),
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
            test: false,
            line: 1,
            cfg_paths: Vec::new(),
            inline_dirs: Vec::new(),
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
