//! Finds the Cargo workspace (`cargo metadata --no-deps --offline`: nothing is
//! built, fetched or run), classifies each file by package and target kind, and
//! walks the requested paths in parallel, respecting `.gitignore`, `.ignore`
//! and configured excludes.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rustgate_rules::{FileInfo, TargetKind};

use crate::config::Config;

/// A Cargo target with a root file.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub kind: TargetKind,
    /// Relative to the workspace root.
    pub root: String,
}

/// A Cargo package of the workspace.
#[derive(Debug, Clone)]
pub struct Package {
    pub name: String,
    /// Relative to the workspace root ("" for the root package).
    pub dir: String,
    pub targets: Vec<Target>,
}

/// The workspace as far as rustgate needs it.
#[derive(Debug)]
pub struct Workspace {
    pub root: PathBuf,
    pub packages: Vec<Package>,
    /// Cargo's target directory, when Cargo was asked (the cache lives there).
    pub target_dir: Option<PathBuf>,
    /// Why Cargo information is missing, when it is.
    pub fallback_reason: Option<String>,
}

/// A file to check.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub abs: PathBuf,
    pub info: FileInfo,
    pub size: u64,
}

impl Workspace {
    /// Discovers the workspace around the first of `paths`.
    pub fn discover(paths: &[PathBuf]) -> Workspace {
        let first = paths.first().cloned().unwrap_or_else(|| PathBuf::from("."));
        let start = if first.is_file() {
            first.parent().map(Path::to_path_buf).unwrap_or_default()
        } else {
            first.clone()
        };
        let manifest = start
            .ancestors()
            .map(|d| d.join("Cargo.toml"))
            .find(|m| m.is_file());
        let fallback_root = start.clone();
        let Some(manifest) = manifest else {
            return Workspace {
                root: fallback_root,
                packages: Vec::new(),
                target_dir: None,
                fallback_reason: Some("no Cargo.toml found".into()),
            };
        };
        let metadata = cargo_metadata::MetadataCommand::new()
            .manifest_path(&manifest)
            .no_deps()
            .other_options(vec!["--offline".to_owned()])
            .exec();
        match metadata {
            Ok(md) => {
                let root = md.workspace_root.clone().into_std_path_buf();
                let packages = md
                    .workspace_packages()
                    .iter()
                    .map(|p| {
                        let dir = p
                            .manifest_path
                            .parent()
                            .map(|d| rel(&root, d.as_std_path()))
                            .unwrap_or_default();
                        let targets = p
                            .targets
                            .iter()
                            .filter_map(|t| {
                                let kind = target_kind(&t.kind)?;
                                Some(Target {
                                    name: t.name.clone(),
                                    kind,
                                    root: rel(&root, t.src_path.as_std_path()),
                                })
                            })
                            .collect();
                        Package {
                            name: p.name.to_string(),
                            dir,
                            targets,
                        }
                    })
                    .collect();
                Workspace {
                    root,
                    packages,
                    target_dir: Some(md.target_directory.clone().into_std_path_buf()),
                    fallback_reason: None,
                }
            }
            Err(e) => {
                let reason = match e {
                    cargo_metadata::Error::CargoMetadata { stderr } => stderr
                        .lines()
                        .find(|l| l.starts_with("error"))
                        .unwrap_or(stderr.trim())
                        .to_owned(),
                    other => other.to_string(),
                };
                Workspace {
                    root: manifest
                        .parent()
                        .map(Path::to_path_buf)
                        .unwrap_or(fallback_root),
                    packages: Vec::new(),
                    target_dir: None,
                    fallback_reason: Some(format!("`cargo metadata` failed: {reason}")),
                }
            }
        }
    }

    /// The package whose directory is the longest prefix of `path`.
    pub fn package_of(&self, path: &str) -> Option<&Package> {
        self.packages
            .iter()
            .filter(|p| {
                p.dir.is_empty() || path == p.dir || path.starts_with(&format!("{}/", p.dir))
            })
            .max_by_key(|p| p.dir.len())
    }

    /// What rustgate knows about a file before parsing it.
    pub fn classify(&self, path: &str, config: &Config) -> FileInfo {
        let package = self.package_of(path);
        let in_package = match package {
            Some(p) if !p.dir.is_empty() => &path[p.dir.len() + 1..],
            _ => path,
        };
        let kind = package
            .and_then(|p| p.targets.iter().find(|t| t.root == path).map(|t| t.kind))
            .unwrap_or_else(|| {
                let has_lib =
                    package.is_none_or(|p| p.targets.iter().any(|t| t.kind == TargetKind::Lib));
                kind_by_convention(in_package, has_lib, package.is_some())
            });
        let is_sys_package = package.is_some_and(|p| p.name.ends_with("-sys"));
        let low_level_path = path
            .split('/')
            .any(|c| rustgate_rules::checker::is_low_level_module(c.trim_end_matches(".rs")));
        let default_business = kind.is_production() && !is_sys_package && !low_level_path;
        let business_logic = (default_business && !config.business_exclude.is_match(path))
            || (config.business_include.is_match(path) && kind.is_production());
        FileInfo {
            path: path.to_owned(),
            package: package.map(|p| p.name.clone()),
            kind,
            business_logic,
            generated: false,
        }
    }

    /// Walks `paths` in parallel and returns the `.rs` files to check, sorted by
    /// path. Files named explicitly are always checked.
    pub fn files(&self, paths: &[PathBuf], config: &Config) -> Vec<SourceFile> {
        let found: Mutex<Vec<SourceFile>> = Mutex::new(Vec::new());
        let mut dirs = Vec::new();
        for p in paths {
            if p.is_file() {
                let size = p.metadata().map(|m| m.len()).unwrap_or(0);
                let relp = rel(&self.root, p);
                let info = self.classify(&relp, config);
                lock(&found).push(SourceFile {
                    abs: p.clone(),
                    info,
                    size,
                });
            } else {
                dirs.push(p.clone());
            }
        }
        if let Some((first, rest)) = dirs.split_first() {
            let mut builder = ignore::WalkBuilder::new(first);
            for d in rest {
                builder.add(d);
            }
            let root = self.root.clone();
            let exclude = config.exclude.clone();
            builder
                .require_git(false)
                .threads(rayon::current_num_threads())
                .filter_entry(move |entry| {
                    let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                    if is_dir && entry.depth() > 0 && entry.file_name() == "target" {
                        return false;
                    }
                    entry.depth() == 0 || !exclude.is_match(rel(&root, entry.path()))
                });
            builder.build_parallel().run(|| {
                Box::new(|entry| {
                    // Symlinks are not followed into directories, but a `.rs`
                    // symlink is checked (and a dangling one reported): a gate
                    // must not skip a file it was pointed at.
                    if let Ok(entry) = entry
                        && entry
                            .file_type()
                            .is_some_and(|t| t.is_file() || t.is_symlink())
                        && entry.path().extension().is_some_and(|e| e == "rs")
                    {
                        let relp = rel(&self.root, entry.path());
                        let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
                        let info = self.classify(&relp, config);
                        lock(&found).push(SourceFile {
                            abs: entry.into_path(),
                            info,
                            size,
                        });
                    }
                    ignore::WalkState::Continue
                })
            });
        }
        let mut files = found.into_inner().unwrap_or_else(|p| p.into_inner());
        files.sort_by(|a, b| a.info.path.cmp(&b.info.path));
        files.dedup_by(|a, b| a.info.path == b.info.path);
        files
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn target_kind(kinds: &[cargo_metadata::TargetKind]) -> Option<TargetKind> {
    use cargo_metadata::TargetKind as K;
    kinds.iter().find_map(|k| match k {
        K::Lib | K::RLib | K::DyLib | K::CDyLib | K::StaticLib | K::ProcMacro => {
            Some(TargetKind::Lib)
        }
        K::Bin => Some(TargetKind::Bin),
        K::Test => Some(TargetKind::Test),
        K::Bench => Some(TargetKind::Bench),
        K::Example => Some(TargetKind::Example),
        K::CustomBuild => Some(TargetKind::BuildScript),
        _ => None,
    })
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

/// `path` relative to `root`, `/`-separated; unchanged when outside `root`.
pub fn rel(root: &Path, path: &Path) -> String {
    let stripped = path.strip_prefix(root).unwrap_or(path);
    let s = stripped.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_owned).unwrap_or(s)
}
