//! Reads Cargo manifests the way Cargo does, without running Cargo: finds the
//! workspace root of a manifest, expands `members`/`exclude`, follows path
//! dependencies, inherits `workspace = true` values and discovers targets
//! (`cargo_toml` parses and completes each manifest; this module applies
//! Cargo's workspace rules around it). Nothing from the checked tree is ever
//! executed: manifests are only read.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use cargo_toml::{Manifest, OptionalFile, Product};
use rustgate_rules::TargetKind;

/// Manifests larger than this are not read (a hostile repository could ship a
/// gigabyte one); Cargo.toml files of real projects are a few KiB.
const MAX_MANIFEST_BYTES: u64 = 4 << 20;

/// A Cargo target with a root file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub name: String,
    pub kind: TargetKind,
    /// Absolute path of the root file.
    pub root: PathBuf,
    /// `crate-type` of a library (`lib`, `cdylib`, `staticlib`, `proc-macro`, ...).
    pub crate_types: Vec<String>,
}

/// A dependency on a package by `path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathDep {
    /// The directory it points to.
    pub dir: PathBuf,
    /// The name it is used under in code (`-` as `_`).
    pub extern_name: String,
}

/// One package as its manifest describes it.
#[derive(Debug, Clone)]
pub struct Package {
    pub name: String,
    /// The directory holding the manifest.
    pub dir: PathBuf,
    /// The root of the workspace it belongs to (its own directory when alone).
    pub workspace_root: PathBuf,
    pub targets: Vec<Target>,
    pub path_deps: Vec<PathDep>,
    /// Depends (normally or to build) on a code generator: prost, tonic-build, ...
    pub uses_codegen: bool,
}

/// Something about the workspace that could not be learned: an RG905 finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The manifest (or file) concerned.
    pub path: PathBuf,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// Dependencies whose presence marks `*.pb.rs` and `generated/` files as
/// generated code.
const CODEGEN_CRATES: &[&str] = &[
    "prost",
    "prost-build",
    "tonic-build",
    "tonic-prost-build",
    "protobuf",
    "protobuf-codegen",
    "protoc-rust",
    "pbjson-build",
    "capnpc",
    "flatc-rust",
    "planus",
    "bindgen",
    "cynic-codegen",
    "graphql_client_codegen",
    "typify",
    "progenitor",
    "sea-orm-codegen",
    "lalrpop",
];

/// Every package learned so far, by manifest directory, and the problems met.
#[derive(Debug, Default)]
pub struct Manifests {
    pub packages: BTreeMap<PathBuf, Package>,
    pub problems: Vec<Problem>,
    /// Workspace roots already expanded.
    roots: BTreeSet<PathBuf>,
    /// Parsed manifests by path (`None`: unreadable, already reported).
    parsed: HashMap<PathBuf, Option<Manifest>>,
}

impl Manifests {
    /// Learns the workspace that `manifest` (an absolute `Cargo.toml` path)
    /// belongs to, with all of its members. Returns the workspace root.
    pub fn load_workspace_of(&mut self, manifest: &Path) -> Option<PathBuf> {
        let dir = manifest.parent()?.to_path_buf();
        if let Some(p) = self.packages.get(&dir) {
            return Some(p.workspace_root.clone());
        }
        let root = self.find_root(manifest)?;
        if self.roots.insert(root.clone()) {
            self.expand(&root);
        }
        if !self.packages.contains_key(&dir) {
            // Not a member of the workspace found above it (Cargo would refuse
            // to build it): take it as a package of its own.
            self.load_package(manifest, &dir, None);
        }
        Some(root)
    }

    fn manifest(&mut self, path: &Path) -> Option<&Manifest> {
        if !self.parsed.contains_key(path) {
            let parsed = match read_manifest(path) {
                Ok(m) => Some(m),
                Err(problem) => {
                    self.problems.push(problem);
                    None
                }
            };
            self.parsed.insert(path.to_path_buf(), parsed);
        }
        self.parsed.get(path).and_then(Option::as_ref)
    }

    /// The directory of the workspace root manifest for `manifest`.
    fn find_root(&mut self, manifest: &Path) -> Option<PathBuf> {
        let dir = manifest.parent()?.to_path_buf();
        let m = self.manifest(manifest)?;
        if m.workspace.is_some() {
            return Some(dir);
        }
        if let Some(ws) = m.package.as_ref().and_then(|p| p.workspace.clone()) {
            return Some(normalize(&dir.join(ws)));
        }
        // The nearest ancestor whose manifest has `[workspace]` and counts this
        // package among its members.
        for ancestor in dir.ancestors().skip(1) {
            let candidate = ancestor.join("Cargo.toml");
            if !candidate.is_file() {
                continue;
            }
            let Some(ws) = self.manifest(&candidate).and_then(|m| m.workspace.clone()) else {
                continue;
            };
            let root = ancestor.to_path_buf();
            let excluded = ws
                .exclude
                .iter()
                .any(|e| dir.starts_with(normalize(&root.join(e))));
            if excluded {
                break;
            }
            let (members, _) = expand_members(&root, &ws.members);
            if members.contains(&dir) || self.is_path_dep_member(&root, &members, &dir) {
                return Some(root);
            }
            break;
        }
        Some(dir)
    }

    /// Whether `dir` is reached by path dependencies from `members`.
    fn is_path_dep_member(&mut self, root: &Path, members: &[PathBuf], dir: &Path) -> bool {
        let mut seen: BTreeSet<PathBuf> = members.iter().cloned().collect();
        let mut stack: Vec<PathBuf> = members.to_vec();
        while let Some(m) = stack.pop() {
            let Some(manifest) = self.manifest(&m.join("Cargo.toml")) else {
                continue;
            };
            for dep in path_dep_dirs(manifest, &m) {
                if dep == dir {
                    return true;
                }
                if dep.starts_with(root) && seen.insert(dep.clone()) {
                    stack.push(dep);
                }
            }
        }
        false
    }

    /// Loads every member of the workspace rooted at `root`.
    fn expand(&mut self, root: &Path) {
        let root_manifest = root.join("Cargo.toml");
        let Some(m) = self.manifest(&root_manifest).cloned() else {
            return;
        };
        let mut queue: Vec<PathBuf> = Vec::new();
        let mut excluded: Vec<PathBuf> = Vec::new();
        if let Some(ws) = &m.workspace {
            let (members, empty) = expand_members(root, &ws.members);
            for pattern in empty {
                let (line, column) = locate_in_file(&root_manifest, &pattern);
                self.problems.push(Problem {
                    path: root_manifest.clone(),
                    line,
                    column,
                    message: format!(
                        "workspace member `{pattern}` matches no directory with a Cargo.toml"
                    ),
                });
            }
            queue.extend(members);
            excluded = ws
                .exclude
                .iter()
                .map(|e| normalize(&root.join(e)))
                .collect();
        }
        if m.package.is_some() {
            queue.push(root.to_path_buf());
        }
        let mut seen: BTreeSet<PathBuf> = BTreeSet::new();
        while let Some(dir) = queue.pop() {
            if !seen.insert(dir.clone()) || excluded.iter().any(|e| dir.starts_with(e)) {
                continue;
            }
            let manifest = dir.join("Cargo.toml");
            let ws = if dir == root { None } else { Some((&m, root)) };
            let deps = self.load_package(&manifest, &dir, ws);
            // Path dependencies inside the workspace are members too.
            queue.extend(deps.into_iter().filter(|d| d.starts_with(root)));
        }
    }

    /// Loads one package; returns the directories of its path dependencies.
    fn load_package(
        &mut self,
        manifest_path: &Path,
        dir: &Path,
        workspace: Option<(&Manifest, &Path)>,
    ) -> Vec<PathBuf> {
        if self.packages.contains_key(dir) {
            return Vec::new();
        }
        if !manifest_path.is_file() {
            self.problems.push(Problem {
                path: manifest_path.to_path_buf(),
                line: 1,
                column: 1,
                message: "workspace member has no Cargo.toml".to_owned(),
            });
            return Vec::new();
        }
        let Some(mut m) = self.manifest(manifest_path).cloned() else {
            return Vec::new();
        };
        if m.package.is_none() {
            return Vec::new();
        }
        let completed = match workspace {
            Some((ws, ws_root)) => {
                m.complete_from_path_and_workspace(manifest_path, Some((ws, ws_root)))
            }
            None => m.complete_from_path(manifest_path),
        };
        if let Err(e) = completed {
            self.problems.push(Problem {
                path: manifest_path.to_path_buf(),
                line: 1,
                column: 1,
                message: format!("cannot complete the manifest: {e}"),
            });
            // Targets by convention still apply below: what could be learned.
        }
        // After completion, inherited path dependencies carry their path too.
        let deps_dirs = path_dep_dirs(&m, dir);
        let Some(package) = m.package.as_ref() else {
            return deps_dirs;
        };
        let mut targets = Vec::new();
        let product = |p: &Product, kind: TargetKind, fallback: &str| -> Option<Target> {
            let path = p.path.as_deref()?;
            Some(Target {
                name: p.name.clone().unwrap_or_else(|| fallback.to_owned()),
                kind,
                root: normalize(&dir.join(path)),
                crate_types: p.crate_type.clone(),
            })
        };
        if let Some(lib) = &m.lib {
            let mut t = product(lib, TargetKind::Lib, &package.name.replace('-', "_"));
            if let Some(t) = &mut t {
                if lib.proc_macro {
                    t.crate_types = vec!["proc-macro".to_owned()];
                } else if t.crate_types.is_empty() {
                    t.crate_types = vec!["lib".to_owned()];
                }
            }
            targets.extend(t);
        }
        for (list, kind) in [
            (&m.bin, TargetKind::Bin),
            (&m.example, TargetKind::Example),
            (&m.test, TargetKind::Test),
            (&m.bench, TargetKind::Bench),
        ] {
            for p in list {
                targets.extend(product(p, kind, &package.name));
            }
        }
        let build = match &package.build {
            Some(OptionalFile::Path(p)) => Some(p.clone()),
            Some(OptionalFile::Flag(true)) | None if dir.join("build.rs").is_file() => {
                Some(PathBuf::from("build.rs"))
            }
            _ => None,
        };
        if let Some(build) = build {
            targets.push(Target {
                name: "build-script-build".to_owned(),
                kind: TargetKind::BuildScript,
                root: normalize(&dir.join(build)),
                crate_types: Vec::new(),
            });
        }
        let path_deps = m
            .dependencies
            .iter()
            .chain(&m.dev_dependencies)
            .chain(&m.build_dependencies)
            .filter_map(|(key, dep)| {
                let detail = dep.detail()?;
                let path = detail.path.as_deref()?;
                Some(PathDep {
                    dir: normalize(&dir.join(path)),
                    extern_name: key.replace('-', "_"),
                })
            })
            .collect();
        let uses_codegen = m
            .dependencies
            .iter()
            .chain(&m.build_dependencies)
            .any(|(key, dep)| {
                let name = dep.package().unwrap_or(key);
                CODEGEN_CRATES.contains(&name)
            });
        let workspace_root = workspace.map_or_else(|| dir.to_path_buf(), |(_, r)| r.to_path_buf());
        self.packages.insert(
            dir.to_path_buf(),
            Package {
                name: package.name.clone(),
                dir: dir.to_path_buf(),
                workspace_root,
                targets,
                path_deps,
                uses_codegen,
            },
        );
        deps_dirs
    }
}

/// The directories of a manifest's path dependencies (all dependency tables).
fn path_dep_dirs(m: &Manifest, dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let tables = [&m.dependencies, &m.dev_dependencies, &m.build_dependencies];
    let target_tables = m
        .target
        .values()
        .flat_map(|t| [&t.dependencies, &t.dev_dependencies, &t.build_dependencies]);
    for table in tables.into_iter().chain(target_tables) {
        for dep in table.values() {
            if let Some(path) = dep.detail().and_then(|d| d.path.as_deref()) {
                out.push(normalize(&dir.join(path)));
            }
        }
    }
    out
}

/// Reads and parses a manifest; a problem names the file, line and reason.
fn read_manifest(path: &Path) -> Result<Manifest, Problem> {
    let problem = |line: u32, column: u32, message: String| Problem {
        path: path.to_path_buf(),
        line,
        column,
        message,
    };
    let bytes = super::read_bounded(path, MAX_MANIFEST_BYTES)
        .map_err(|e| problem(1, 1, format!("cannot read the manifest: {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|e| problem(1, 1, format!("the manifest is not valid UTF-8: {e}")))?;
    // Parsed as TOML first, for a located message on a syntax error.
    if let Err(e) = text.parse::<toml::Table>() {
        let (line, column) = e.span().map_or((1, 1), |s| line_col(&text, s.start));
        return Err(problem(
            line,
            column,
            format!("invalid manifest: {}", e.message().trim()),
        ));
    }
    Manifest::from_str(&text).map_err(|e| problem(1, 1, format!("invalid manifest: {e}")))
}

fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() as u32 + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
    (line, column)
}

/// Where `needle` (a member pattern) first appears in a file, for the report.
fn locate_in_file(path: &Path, needle: &str) -> (u32, u32) {
    let Ok(text) = std::fs::read_to_string(path) else {
        return (1, 1);
    };
    let quoted = format!("\"{needle}\"");
    text.find(&quoted)
        .or_else(|| text.find(needle))
        .map_or((1, 1), |at| line_col(&text, at))
}

/// Expands `members` patterns (Cargo's glob syntax, relative to `root`) into
/// package directories; also returns the patterns that matched none.
pub fn expand_members(root: &Path, patterns: &[String]) -> (Vec<PathBuf>, Vec<String>) {
    let mut out = Vec::new();
    let mut empty = Vec::new();
    for pattern in patterns {
        let mut current = vec![root.to_path_buf()];
        for component in Path::new(pattern).components() {
            let part = component.as_os_str().to_string_lossy();
            let mut next = Vec::new();
            if part == "." {
                continue;
            }
            if part == ".." {
                current = current
                    .into_iter()
                    .map(|d| d.parent().map(Path::to_path_buf).unwrap_or(d))
                    .collect();
                continue;
            }
            if !part.contains(['*', '?', '[']) {
                for d in current {
                    next.push(d.join(&*part));
                }
                current = next;
                continue;
            }
            let Ok(glob) = globset::Glob::new(&part) else {
                current = Vec::new();
                break;
            };
            let matcher = glob.compile_matcher();
            for d in current {
                let Ok(entries) = std::fs::read_dir(&d) else {
                    continue;
                };
                let mut found: Vec<PathBuf> = entries
                    .filter_map(Result::ok)
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                    .filter(|e| matcher.is_match(e.file_name()))
                    .map(|e| e.path())
                    .collect();
                found.sort();
                next.extend(found);
            }
            current = next;
        }
        let is_glob = pattern.contains(['*', '?', '[']);
        let before = out.len();
        for d in current {
            let d = normalize(&d);
            // A glob skips directories without a manifest; a plain path names one.
            if d.join("Cargo.toml").is_file() || !is_glob {
                out.push(d);
            }
        }
        if out.len() == before {
            empty.push(pattern.clone());
        }
    }
    out.sort();
    out.dedup();
    (out, empty)
}

/// Removes `.` and `..` components without touching the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}
