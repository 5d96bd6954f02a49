//! The workspace model: which package, target, module and zone each file
//! belongs to, learned by reading Cargo manifests ([`manifest`]) and module
//! trees, never by running Cargo. Also walks the requested paths in parallel,
//! respecting `.gitignore`, `.ignore` and configured excludes.

pub mod manifest;
pub mod tree;

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rustgate_rules::{FileInfo, TargetKind};

use crate::config::Config;

pub use manifest::Problem;

/// A Cargo target with a root file.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub kind: TargetKind,
    /// Relative to the run's root.
    pub root: String,
    /// `crate-type` of a library target (`lib`, `cdylib`, `proc-macro`, ...).
    pub crate_types: Vec<String>,
}

/// A Cargo package.
#[derive(Debug, Clone)]
pub struct Package {
    pub name: String,
    /// Relative to the run's root ("" for a package at the root).
    pub dir: String,
    /// The root of its workspace, relative to the run's root.
    pub workspace_root: String,
    pub targets: Vec<Target>,
    /// Packages of the model it depends on by `path`: (name in code, index).
    pub deps: Vec<(String, usize)>,
    /// Depends on a code generator (prost, tonic-build, ...).
    pub uses_codegen: bool,
}

/// Where a file sits, for `rustgate files` and the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Zone {
    BusinessLogic,
    /// Production code outside business logic: ffi and low-level modules,
    /// `-sys` packages, `[business-logic] exclude`.
    Ffi,
    Test,
    Bench,
    Example,
    BuildScript,
    Generated,
    /// In no module tree of any target.
    Orphan,
}

impl Zone {
    pub fn as_str(self) -> &'static str {
        match self {
            Zone::BusinessLogic => "business-logic",
            Zone::Ffi => "ffi",
            Zone::Test => "test",
            Zone::Bench => "bench",
            Zone::Example => "example",
            Zone::BuildScript => "build-script",
            Zone::Generated => "generated",
            Zone::Orphan => "orphan",
        }
    }
}

/// The workspace (or workspaces) of a run.
#[derive(Debug)]
pub struct Workspace {
    /// Every path of a run is relative to this folder: the workspace root of
    /// the checked paths (their common ancestor when they lie in several).
    pub root: PathBuf,
    /// The workspace root of the first checked path: its configuration applies.
    pub config_root: PathBuf,
    pub packages: Vec<Package>,
    /// What could not be learned: RG905 findings.
    pub problems: Vec<Problem>,
    /// Package directories (absolute) to package indexes.
    by_dir: HashMap<PathBuf, usize>,
    manifests: manifest::Manifests,
}

/// A file to check.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub abs: PathBuf,
    pub info: FileInfo,
    pub size: u64,
    /// Why the file cannot be read, found during the walk (an unreadable
    /// folder, a symlink out of the tree): an RG901 finding, never a skip.
    pub problem: Option<String>,
    /// The text to check in place of the file on disk (`--stdin-filename`).
    pub text: Option<Vec<u8>>,
}

/// What the walk found besides the files to check.
#[derive(Debug, Default)]
pub struct WalkNotes {
    /// Notes for stderr: FIFOs, sockets and devices named `.rs`, symlinks
    /// to files inside the root (checked where they lie).
    pub notes: Vec<String>,
}

/// What to do with one entry of the walk.
enum Entry {
    Check(PathBuf, u64),
    Unreadable(PathBuf, String),
    Manifest(PathBuf),
    Note(String),
    Skip,
}

impl Workspace {
    /// Learns the workspace of each of `paths` (absolute) by reading manifests.
    pub fn discover(paths: &[PathBuf]) -> Workspace {
        let mut manifests = manifest::Manifests::default();
        let mut roots = Vec::new();
        for p in paths {
            let start = if p.is_file() {
                p.parent().map(Path::to_path_buf).unwrap_or_default()
            } else {
                p.clone()
            };
            let found = start
                .ancestors()
                .map(|d| d.join("Cargo.toml"))
                .find(|m| m.is_file());
            let root = found
                .and_then(|m| manifests.load_workspace_of(&m))
                .unwrap_or(start);
            roots.push(root);
        }
        let config_root = roots.first().cloned().unwrap_or_else(|| PathBuf::from("."));
        let root = common_ancestor(&roots).unwrap_or_else(|| config_root.clone());
        let mut ws = Workspace {
            root,
            config_root,
            packages: Vec::new(),
            problems: Vec::new(),
            by_dir: HashMap::new(),
            manifests,
        };
        ws.rebuild();
        ws
    }

    /// Learns the workspaces of manifests found during the walk that no known
    /// workspace holds (nested or excluded workspaces, vendored packages).
    fn add_manifests(&mut self, found: &[PathBuf]) {
        let before = self.manifests.packages.len();
        for m in found {
            let Some(dir) = m.parent() else { continue };
            if !self.manifests.packages.contains_key(dir) {
                self.manifests.load_workspace_of(m);
            }
        }
        if self.manifests.packages.len() != before || !self.manifests.problems.is_empty() {
            self.rebuild();
        }
    }

    /// Rebuilds the run-relative view from the manifests read so far.
    fn rebuild(&mut self) {
        let root = self.root.clone();
        let r = |p: &Path| rel(&root, p);
        self.by_dir = self
            .manifests
            .packages
            .keys()
            .enumerate()
            .map(|(i, d)| (d.clone(), i))
            .collect();
        let by_dir = &self.by_dir;
        self.packages = self
            .manifests
            .packages
            .values()
            .map(|p| Package {
                name: p.name.clone(),
                dir: r(&p.dir),
                workspace_root: r(&p.workspace_root),
                targets: p
                    .targets
                    .iter()
                    .map(|t| Target {
                        name: t.name.clone(),
                        kind: t.kind,
                        root: r(&t.root),
                        crate_types: t.crate_types.clone(),
                    })
                    .collect(),
                deps: p
                    .path_deps
                    .iter()
                    .filter_map(|d| by_dir.get(&d.dir).map(|&i| (d.extern_name.clone(), i)))
                    .collect(),
                uses_codegen: p.uses_codegen,
            })
            .collect();
        let mut problems = self.manifests.problems.clone();
        for p in &mut problems {
            p.path = PathBuf::from(r(&p.path));
        }
        problems.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        problems.dedup();
        self.problems = problems;
    }

    /// Whether any Cargo manifest was found.
    pub fn has_cargo(&self) -> bool {
        !self.packages.is_empty()
    }

    /// The package holding the file at `abs` (the nearest package directory).
    pub fn package_index(&self, abs: &Path) -> Option<usize> {
        abs.ancestors()
            .skip(1)
            .find_map(|d| self.by_dir.get(d).copied())
    }

    /// What rustgate knows about a file before parsing it: its package, the
    /// kind of the target whose root it is or that Cargo's conventions give
    /// it, and whether it is business logic. The module trees refine this
    /// after parsing (see the engine).
    pub fn classify(&self, abs: &Path, path: &str, config: &Config) -> FileInfo {
        let package = self.package_index(abs).map(|i| &self.packages[i]);
        let in_package = match package {
            Some(p) if !p.dir.is_empty() => path.get(p.dir.len() + 1..).unwrap_or(path),
            _ => path,
        };
        let kind = package
            .and_then(|p| {
                p.targets
                    .iter()
                    .filter(|t| t.root == path)
                    .map(|t| t.kind)
                    .min()
            })
            .unwrap_or_else(|| {
                let has_lib =
                    package.is_none_or(|p| p.targets.iter().any(|t| t.kind == TargetKind::Lib));
                kind_by_convention(in_package, has_lib, package.is_some())
            });
        let generated = package.is_some_and(|p| {
            p.uses_codegen
                && (path.ends_with(".pb.rs")
                    || in_package
                        .split('/')
                        .rev()
                        .skip(1)
                        .any(|c| c == "generated" || c == "gen"))
        });
        self.info(
            path,
            package.map(|p| p.name.clone()),
            kind,
            generated,
            config,
        )
    }

    /// A file's [`FileInfo`] for a package, kind and generated flag.
    pub fn info(
        &self,
        path: &str,
        package: Option<String>,
        kind: TargetKind,
        generated: bool,
        config: &Config,
    ) -> FileInfo {
        let is_sys_package = package.as_deref().is_some_and(|p| p.ends_with("-sys"));
        let low_level_path = path
            .split('/')
            .any(|c| rustgate_rules::checker::is_low_level_module(c.trim_end_matches(".rs")));
        let default_business = kind.is_production() && !is_sys_package && !low_level_path;
        let business_logic = (default_business && !config.business_exclude.is_match(path))
            || (config.business_include.is_match(path) && kind.is_production());
        FileInfo {
            path: path.to_owned(),
            package,
            kind,
            business_logic,
            generated,
        }
    }

    /// Walks `paths` in parallel and returns the `.rs` files to check, sorted by
    /// path. Files named explicitly are always checked. Manifests met on the
    /// way that belong to no known workspace are read too. Only regular files
    /// are read: symlinks are not followed (unless `follow-symlinks`, and
    /// never out of the root), FIFOs, sockets and devices are skipped with a
    /// note, and what cannot be read is an RG901 finding on its path.
    pub fn files(&mut self, paths: &[PathBuf], config: &Config) -> (Vec<SourceFile>, WalkNotes) {
        let found: Mutex<Vec<Entry>> = Mutex::new(Vec::new());
        let mut dirs = Vec::new();
        let root = self.root.clone();
        let follow = config.follow_symlinks;
        for p in paths {
            match std::fs::symlink_metadata(p) {
                Ok(m) if m.is_dir() => dirs.push(p.clone()),
                Ok(m) => lock(&found).push(classify_entry(&root, p, &m, follow, true)),
                Err(e) => lock(&found).push(Entry::Unreadable(p.clone(), e.to_string())),
            }
        }
        let mut refused_by_walk = None;
        if let Some((first, rest)) = dirs.split_first() {
            let mut builder = ignore::WalkBuilder::new(first);
            for d in rest {
                builder.add(d);
            }
            let walk_root = self.root.clone();
            let exclude = config.exclude.clone();
            // The walker reads each folder's ignore files whole, and would
            // block on a FIFO or read `/dev/zero` without end: those of the
            // roots and their parents are checked first (if one is refused,
            // no ignore file is read at all), those of a folder before it is
            // entered (if one is refused, the folder is not). Either is RG901
            // on the ignore file: nothing is skipped in silence.
            let limit = config.max_file_size;
            let mut at_roots: Vec<(PathBuf, String)> = dirs
                .iter()
                .flat_map(|d| d.ancestors())
                .flat_map(|a| refused_ignore_files(a, limit))
                .collect();
            at_roots.sort();
            at_roots.dedup();
            let read_ignore_files = at_roots.is_empty();
            lock(&found).extend(
                at_roots
                    .into_iter()
                    .map(|(p, why)| Entry::Unreadable(p, why)),
            );
            let refused = std::sync::Arc::new(Mutex::new(Vec::new()));
            let refused_in_walk = std::sync::Arc::clone(&refused);
            builder
                .require_git(false)
                .git_ignore(read_ignore_files)
                .git_exclude(read_ignore_files)
                .ignore(read_ignore_files)
                .parents(read_ignore_files)
                .follow_links(false)
                .threads(rayon::current_num_threads())
                .filter_entry(move |entry| {
                    let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                    if is_dir && entry.depth() > 0 && entry.file_name() == "target" {
                        return false;
                    }
                    if entry.depth() > 0 && exclude.is_match(rel(&walk_root, entry.path())) {
                        return false;
                    }
                    if is_dir && read_ignore_files {
                        let problems = refused_ignore_files(entry.path(), limit);
                        if !problems.is_empty() {
                            lock(&refused_in_walk).extend(problems.into_iter().map(|(p, why)| {
                                Entry::Unreadable(p, format!("{why}; the folder is not checked"))
                            }));
                            return false;
                        }
                    }
                    true
                });
            refused_by_walk = Some(refused);
            builder.build_parallel().run(|| {
                Box::new(|entry| {
                    let e = match entry {
                        Ok(entry) => {
                            if entry.file_type().is_some_and(|t| t.is_dir()) {
                                return ignore::WalkState::Continue;
                            }
                            match entry.path().symlink_metadata() {
                                Ok(m) => classify_entry(&root, entry.path(), &m, follow, false),
                                Err(e) => Entry::Unreadable(entry.into_path(), e.to_string()),
                            }
                        }
                        Err(err) => walk_error(err),
                    };
                    if !matches!(e, Entry::Skip) {
                        lock(&found).push(e);
                    }
                    ignore::WalkState::Continue
                })
            });
        }
        let mut found = found.into_inner().unwrap_or_else(|p| p.into_inner());
        if let Some(refused) = refused_by_walk {
            found.extend(lock(&refused).drain(..));
        }
        let mut manifests = Vec::new();
        let mut notes = WalkNotes::default();
        let mut files = Vec::new();
        for e in found {
            match e {
                Entry::Manifest(m) => manifests.push(m),
                // Printed on stderr: a file name's escape sequences never
                // reach the terminal.
                Entry::Note(n) => notes
                    .notes
                    .push(crate::output::escape_controls(&n, false).into_owned()),
                Entry::Check(abs, size) => files.push((abs, size, None)),
                Entry::Unreadable(abs, why) => files.push((abs, 0, Some(why))),
                Entry::Skip => {}
            }
        }
        manifests.sort();
        self.add_manifests(&manifests);
        notes.notes.sort();
        let mut files: Vec<SourceFile> = files
            .into_iter()
            .map(|(abs, size, problem)| {
                let relp = rel(&self.root, &abs);
                let info = self.classify(&abs, &relp, config);
                SourceFile {
                    abs,
                    info,
                    size,
                    problem,
                    text: None,
                }
            })
            .collect();
        files.sort_by(|a, b| a.info.path.cmp(&b.info.path));
        files.dedup_by(|a, b| a.abs == b.abs);
        (files, notes)
    }
}

/// What one walked (or named) path is to the run. `named`: given on the
/// command line, so checked whatever its extension.
fn classify_entry(
    root: &Path,
    path: &Path,
    meta: &std::fs::Metadata,
    follow: bool,
    named: bool,
) -> Entry {
    let is_rs = named || path.extension().is_some_and(|e| e == "rs");
    let shown = || rel(root, path);
    let ft = meta.file_type();
    if ft.is_file() {
        if is_rs {
            return Entry::Check(path.to_path_buf(), meta.len());
        }
        if path.file_name().is_some_and(|n| n == "Cargo.toml") {
            return Entry::Manifest(path.to_path_buf());
        }
        return Entry::Skip;
    }
    if !is_rs {
        return Entry::Skip;
    }
    if ft.is_symlink() {
        // Resolved without reading: only a regular file inside the root is
        // ever read, and by default not even that (it is checked where it lies).
        return match std::fs::canonicalize(path) {
            Ok(target) if !target.starts_with(root) => Entry::Unreadable(
                path.to_path_buf(),
                "symlink to a file outside the workspace: not read".to_owned(),
            ),
            Ok(target) => match std::fs::metadata(&target) {
                Ok(m) if m.is_file() && follow => Entry::Check(path.to_path_buf(), m.len()),
                Ok(m) if m.is_file() => Entry::Note(format!(
                    "{}: a symlink to {}, checked there, not here (`follow-symlinks = true` checks it under both names)",
                    shown(),
                    rel(root, &target)
                )),
                Ok(_) => Entry::Unreadable(
                    path.to_path_buf(),
                    "symlink to something that is not a regular file: not read".to_owned(),
                ),
                Err(e) => Entry::Unreadable(path.to_path_buf(), e.to_string()),
            },
            Err(e) => Entry::Unreadable(path.to_path_buf(), format!("broken symlink: {e}")),
        };
    }
    Entry::Note(format!(
        "{}: not a regular file (a FIFO, socket or device): skipped",
        shown()
    ))
}

/// The ignore files of `dir` the walker would read (`.gitignore`, `.ignore`,
/// `.git/info/exclude`, a `.git` file) that it must not: not a regular file
/// (a FIFO would block the walk, `/dev/zero` never ends) or larger than
/// `limit`. Four `stat` calls for a folder without them.
fn refused_ignore_files(dir: &Path, limit: u64) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let git = dir.join(".git");
    let git_is_dir = std::fs::metadata(&git).is_ok_and(|m| m.is_dir());
    let mut names = vec![".gitignore", ".ignore"];
    if git_is_dir {
        names.push(".git/info/exclude");
    } else {
        names.push(".git");
    }
    for name in names {
        let path = dir.join(name);
        if std::fs::symlink_metadata(&path).is_err() {
            continue;
        }
        match std::fs::metadata(&path) {
            Ok(m) if m.is_file() && m.len() > limit => out.push((
                path,
                format!(
                    "ignore file too large ({} bytes; `max-file-size` is {limit}): not read",
                    m.len()
                ),
            )),
            Ok(m) if m.is_file() => {}
            Ok(_) => out.push((
                path,
                "ignore file that is not a regular file (a folder, FIFO, socket or device): not read"
                    .to_owned(),
            )),
            // A dangling link: the walker's open fails at once (a note).
            Err(_) => {}
        }
    }
    out
}

/// A walk error: RG901 on the path it names.
fn walk_error(err: ignore::Error) -> Entry {
    let mut err = err;
    loop {
        match err {
            ignore::Error::WithPath { path, err: inner } => {
                let message = match *inner {
                    ignore::Error::Io(io) => format!("cannot read: {io}"),
                    other => format!("cannot read: {other}"),
                };
                return Entry::Unreadable(path, message);
            }
            ignore::Error::WithDepth { err: inner, .. }
            | ignore::Error::WithLineNumber { err: inner, .. } => {
                err = *inner;
            }
            // Loops only arise when following links, which the walk does not.
            ignore::Error::Loop { child, .. } => {
                return Entry::Unreadable(child, "a symlink loop".to_owned());
            }
            // Errors of .gitignore files and the like: noted, not fatal.
            other => return Entry::Note(format!("walk: {other}")),
        }
    }
}

/// Whether a file says it was generated: an `@generated` marker or a
/// `Code generated ... DO NOT EDIT` comment in its first lines.
pub fn has_generated_marker(source: &str) -> bool {
    // The first ten lines, as one slice of the source: no copy per file.
    let end = memchr::memchr_iter(b'\n', source.as_bytes())
        .nth(9)
        .unwrap_or(source.len());
    let head = &source[..end];
    head.contains("@generated") || (head.contains("Code generated") && head.contains("DO NOT EDIT"))
}

/// Reads at most `limit` bytes of a regular file; more is an error.
pub fn read_bounded(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    // Checked before opening: opening a FIFO would block until a writer came.
    if !std::fs::metadata(path)?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    if meta.len() > limit {
        return Err(std::io::Error::other(format!(
            "larger than {} bytes",
            limit
        )));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::other(format!("larger than {limit} bytes")));
    }
    Ok(bytes)
}

/// A checked file's text read again for output (snippets, fingerprints),
/// under the walk's rules: only a regular file inside `root` (a symlink only
/// when it resolves to one there), at most `limit` bytes, never a FIFO or a
/// device. `shown` is the path as printed ([`rel`]). `None` otherwise: the
/// output then goes without the text, and a link out of the tree is never
/// read (its content would reach the CI log).
pub fn reread(root: &Path, shown: &str, limit: u64) -> Option<String> {
    #[cfg(unix)]
    let path = {
        use std::os::unix::ffi::OsStrExt;
        root.join(std::ffi::OsStr::from_bytes(&shown_path_bytes(shown)))
    };
    #[cfg(not(unix))]
    let path = root.join(shown);
    let target = std::fs::canonicalize(path).ok()?;
    let root = std::fs::canonicalize(root).ok()?;
    if !target.starts_with(&root) {
        return None;
    }
    String::from_utf8(read_bounded(&target, limit).ok()?).ok()
}

/// The deepest folder holding every one of `paths`.
fn common_ancestor(paths: &[PathBuf]) -> Option<PathBuf> {
    let mut iter = paths.iter();
    let mut acc = iter.next()?.clone();
    for p in iter {
        while !p.starts_with(&acc) {
            if !acc.pop() {
                return None;
            }
        }
    }
    Some(acc)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The target kind Cargo's conventions give a path inside a package.
fn kind_by_convention(path: &str, has_lib: bool, in_cargo: bool) -> TargetKind {
    let first = path.split('/').next().unwrap_or("");
    match first {
        "tests" => TargetKind::Test,
        "benches" => TargetKind::Bench,
        "examples" => TargetKind::Example,
        "build.rs" => TargetKind::BuildScript,
        "src" if path.starts_with("src/bin/") || path == "src/main.rs" => TargetKind::Bin,
        "src" if in_cargo => {
            if has_lib {
                TargetKind::Lib
            } else {
                TargetKind::Bin
            }
        }
        _ => TargetKind::Unknown,
    }
}

/// `path` relative to `root`, `/`-separated, with `..` when outside `root`
/// (never an absolute path of the machine when both are absolute).
pub fn rel(root: &Path, path: &Path) -> String {
    let relative = match path.strip_prefix(root) {
        Ok(stripped) => stripped.to_path_buf(),
        Err(_) if path.is_absolute() && root.is_absolute() => {
            let common = root
                .components()
                .zip(path.components())
                .take_while(|(a, b)| a == b)
                .count();
            let ups = root.components().count() - common;
            let mut out: PathBuf = std::iter::repeat_n("..", ups).collect();
            out.extend(path.components().skip(common));
            out
        }
        Err(_) => path.to_path_buf(),
    };
    let s = display_path(&relative);
    s.strip_prefix("./").map(str::to_owned).unwrap_or(s)
}

/// A path as text, faithfully: `/`-separated, and on Unix, where a name is
/// any bytes, a backslash is written `\\` and a byte that is not UTF-8
/// `\xNN`, so two different names never print (or cache) as one.
pub fn display_path(path: &Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let bytes = path.as_os_str().as_bytes();
        let mut out = String::with_capacity(bytes.len());
        for chunk in bytes.utf8_chunks() {
            for c in chunk.valid().chars() {
                if c == '\\' {
                    out.push_str("\\\\");
                } else {
                    out.push(c);
                }
            }
            for b in chunk.invalid() {
                out.push_str(&format!("\\x{b:02X}"));
            }
        }
        out
    }
    #[cfg(not(unix))]
    {
        path.to_string_lossy().replace('\\', "/")
    }
}

/// The bytes of the name [`display_path`] printed as `shown`: `\\` is a
/// backslash and `\xNN` the byte `NN`; everything else is itself. What a
/// URI must encode (SARIF), rather than the escapes.
pub fn shown_path_bytes(shown: &str) -> Vec<u8> {
    let b = shown.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            if b.get(i + 1) == Some(&b'\\') {
                out.push(b'\\');
                i += 2;
                continue;
            }
            let hex = b
                .get(i + 2..i + 4)
                .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                .and_then(|h| std::str::from_utf8(h).ok());
            if b.get(i + 1) == Some(&b'x')
                && let Some(byte) = hex.and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(byte);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn shown_paths_give_back_the_bytes_of_the_name() {
        use std::os::unix::ffi::OsStrExt;
        for name in [
            &b"src/caf\xe9.rs"[..],
            b"src/a\\b.rs",
            b"src/a\\xE9.rs",
            b"src/\\\\x\\",
            b"src/\xff\xfe\\x4",
            "src/漢字 %#?.rs".as_bytes(),
        ] {
            let shown = display_path(Path::new(std::ffi::OsStr::from_bytes(name)));
            assert_eq!(shown_path_bytes(&shown), name, "{shown}");
        }
    }

    /// What the walker reports for a folder it cannot open (as ignore nests
    /// it: depth, path, I/O error) is RG901 on the folder's path, never a
    /// skip. The integration test `limits::a_folder_that_cannot_be_read_is_rg901_on_its_path`
    /// makes a real one, where the machine allows it.
    #[test]
    fn a_walk_error_is_rg901_on_its_path() {
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let err = ignore::Error::WithDepth {
            depth: 2,
            err: Box::new(ignore::Error::WithPath {
                path: PathBuf::from("/r/src/secret"),
                err: Box::new(ignore::Error::Io(denied)),
            }),
        };
        let Entry::Unreadable(path, why) = walk_error(err) else {
            panic!("a folder that cannot be read must be RG901");
        };
        assert_eq!(path, Path::new("/r/src/secret"));
        assert!(why.starts_with("cannot read: "), "{why}");
        // A symlink loop (only when links are followed) is RG901 too.
        let looped = ignore::Error::Loop {
            ancestor: PathBuf::from("/r/src"),
            child: PathBuf::from("/r/src/again"),
        };
        assert!(
            matches!(walk_error(looped), Entry::Unreadable(p, _) if p == Path::new("/r/src/again"))
        );
    }
}
