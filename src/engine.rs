//! One `rustgate check` run: discover, walk, read + parse + check every file on
//! the rayon pool, run the crate-level phase, then apply configuration
//! (per-file ignores, severities) and suppressions, and sort.

use std::collections::{BTreeMap, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use rustgate_rules::{
    CrateIndex, Diagnostic, FileFacts, FileInfo, LineCol, Rule, Span, TargetKind, registry,
};

use crate::cache::{self, Cache, CacheMode};
use crate::config::{self, Config, ConfigError, Overrides};
use crate::suppress::{self, Malformed, Suppression};
use crate::workspace::{SourceFile, Workspace};

/// What the command line asks of a run.
#[derive(Debug, Default, Clone)]
pub struct RunOptions {
    pub paths: Vec<PathBuf>,
    pub config: Option<PathBuf>,
    pub overrides: Overrides,
    /// The per-file result cache (off by default for library callers).
    pub cache: CacheMode,
}

/// A run that could not start: exit code 2.
#[derive(Debug)]
pub enum RunError {
    PathNotFound(PathBuf, std::io::Error),
    Config(ConfigError),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::PathNotFound(p, e) => write!(f, "{}: {e}", p.display()),
            RunError::Config(e) => write!(f, "{e}"),
        }
    }
}

/// Where the time went, for `--timings`. Per-file phases are summed over
/// threads (CPU time); the others are wall time.
#[derive(Debug, Default, Clone)]
pub struct Timings {
    pub discovery: Duration,
    pub read: Duration,
    pub parse: Duration,
    pub rules: Duration,
    pub files_wall: Duration,
    pub crate_phase: Duration,
    /// Loading and validating the cache file (wall).
    pub cache_load: Duration,
    /// Writing the cache file (wall).
    pub cache_store: Duration,
    /// Files whose results came from the cache.
    pub cache_hits: usize,
}

/// The outcome of a run, before rendering.
#[derive(Debug)]
pub struct Run {
    pub root: PathBuf,
    pub config: Config,
    /// Sorted; suppressed findings included (with `suppressed` set).
    pub diagnostics: Vec<Diagnostic>,
    pub files_checked: usize,
    pub lines: usize,
    pub bytes: u64,
    pub elapsed: Duration,
    pub timings: Timings,
    /// Messages for stderr (e.g. the Cargo fallback).
    pub notices: Vec<String>,
    /// A rule or the checker panicked: exit code 2.
    pub internal_error: bool,
}

impl Run {
    /// Findings that count: not suppressed.
    pub fn active(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.suppressed.is_none())
    }

    /// Whether any active finding reaches `fail-on`.
    pub fn gate_failed(&self) -> bool {
        self.active().any(|d| d.severity >= self.config.fail_on)
    }
}

struct FileResult {
    info: FileInfo,
    diagnostics: Vec<Diagnostic>,
    facts: Option<FileFacts>,
    suppressions: Vec<Suppression>,
    malformed: Vec<Malformed>,
    lines: usize,
    bytes: u64,
    internal_error: bool,
    read: Duration,
    parse: Duration,
    rules: Duration,
    /// What to write to the cache for this file.
    stored: Option<cache::Stored>,
    cache_hit: bool,
}

/// Runs `rustgate check`.
pub fn run(options: &RunOptions) -> Result<Run, RunError> {
    let start = Instant::now();
    let mut paths = Vec::new();
    let inputs = if options.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        options.paths.clone()
    };
    for p in &inputs {
        paths.push(std::fs::canonicalize(p).map_err(|e| RunError::PathNotFound(p.clone(), e))?);
    }
    let workspace = Workspace::discover(&paths);
    let mut notices = Vec::new();
    if let Some(reason) = &workspace.fallback_reason {
        notices.push(format!(
            "no Cargo workspace information ({reason}); checking the directory without package and target kinds"
        ));
    }
    let (source, table) =
        config::discover(&workspace.root, options.config.as_deref()).map_err(RunError::Config)?;
    let config = config::resolve(source, table, &options.overrides).map_err(RunError::Config)?;
    let mut files = workspace.files(&paths, &config);
    let mut timings = Timings {
        discovery: start.elapsed(),
        ..Timings::default()
    };

    let rules: Vec<&dyn Rule> = registry::rules()
        .iter()
        .copied()
        .filter(|r| config.is_enabled(r.meta().code))
        .collect();

    // Largest files first: shortens the tail on few threads.
    files.sort_by(|a, b| {
        b.size
            .cmp(&a.size)
            .then_with(|| a.info.path.cmp(&b.info.path))
    });
    let load_start = Instant::now();
    let cache = cache_dir(&options.cache, &workspace)
        .map(|dir| Cache::open(&dir, &cache_key(&workspace.root, &config, &rules)));
    timings.cache_load = load_start.elapsed();

    let files_start = Instant::now();
    let mut results: Vec<FileResult> = files
        .par_iter()
        .map(|f| check_one(f, &config, &rules, cache.as_ref()))
        .collect();
    results.sort_by(|a, b| a.info.path.cmp(&b.info.path));
    timings.files_wall = files_start.elapsed();
    for r in &results {
        timings.read += r.read;
        timings.parse += r.parse;
        timings.rules += r.rules;
        timings.cache_hits += usize::from(r.cache_hit);
    }

    if let Some(cache) = cache {
        let store_start = Instant::now();
        let stored = results.iter_mut().filter_map(|r| r.stored.take()).collect();
        if let Err(e) = cache.store(&workspace.root, stored) {
            notices.push(format!("cannot write the cache: {e}"));
        }
        timings.cache_store = store_start.elapsed();
    }

    let crate_start = Instant::now();
    let crate_diagnostics = crate_phase(&workspace, &mut results, &config, &rules);
    timings.crate_phase = crate_start.elapsed();

    let mut internal_error = results.iter().any(|r| r.internal_error);
    let mut by_file: BTreeMap<String, Vec<Diagnostic>> = BTreeMap::new();
    for d in crate_diagnostics {
        if d.rule.code == "RG904" {
            internal_error = true;
        }
        by_file.entry(d.primary.path.clone()).or_default().push(d);
    }
    let mut diagnostics = Vec::new();
    let enabled = |code: &str| config.is_enabled(code);
    for r in &mut results {
        let mut file_diags = std::mem::take(&mut r.diagnostics);
        file_diags.extend(by_file.remove(&r.info.path).unwrap_or_default());
        finish_file(&r.info.path, &mut file_diags, &config);
        let extra = suppress::apply(
            &r.info.path,
            &r.suppressions,
            &r.malformed,
            &mut file_diags,
            config.require_suppression_reason,
            &enabled,
        );
        let mut extra: Vec<Diagnostic> = extra
            .into_iter()
            .filter(|d| config.is_enabled(d.rule.code))
            .collect();
        finish_file(&r.info.path, &mut extra, &config);
        diagnostics.extend(file_diags);
        diagnostics.extend(extra);
    }
    // Crate-phase findings in files that were not checked themselves.
    for (path, mut rest) in by_file {
        finish_file(&path, &mut rest, &config);
        diagnostics.extend(rest);
    }
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diagnostics.dedup_by(|a, b| a.sort_key() == b.sort_key() && a.primary.span == b.primary.span);

    Ok(Run {
        root: workspace.root,
        config,
        diagnostics,
        files_checked: results.len(),
        lines: results.iter().map(|r| r.lines).sum(),
        bytes: results.iter().map(|r| r.bytes).sum(),
        elapsed: start.elapsed(),
        timings,
        notices,
        internal_error,
    })
}

/// Per-file ignores and severity overrides.
fn finish_file(path: &str, diagnostics: &mut Vec<Diagnostic>, config: &Config) {
    diagnostics.retain(|d| {
        config::ALWAYS_ON.contains(&d.rule.code) || !config.ignored_for_file(path, d.rule.code)
    });
    for d in diagnostics.iter_mut() {
        d.severity = config.severity_of(d.rule);
    }
}

fn at_start(line: u32, column: u32) -> Span {
    let lc = LineCol { line, column };
    Span { start: lc, end: lc }
}

/// The cache directory of a run, if it caches.
fn cache_dir(mode: &CacheMode, workspace: &Workspace) -> Option<PathBuf> {
    match mode {
        CacheMode::Off => None,
        CacheMode::Dir(dir) => Some(dir.clone()),
        CacheMode::Default => workspace.target_dir.as_deref().map(cache::default_dir),
    }
}

/// Everything besides a file's content and classification that changes what
/// checking it produces: the workspace, the enabled rules, their settings.
fn cache_key(root: &Path, config: &Config, rules: &[&dyn Rule]) -> Vec<u8> {
    let mut key = root.to_string_lossy().into_owned().into_bytes();
    for rule in rules {
        key.push(0);
        key.extend_from_slice(rule.meta().code.as_bytes());
    }
    key.push(0);
    key.extend(serde_json::to_vec(&config.settings).unwrap_or_default());
    key
}

fn check_one(
    file: &SourceFile,
    config: &Config,
    rules: &[&dyn Rule],
    cache: Option<&Cache>,
) -> FileResult {
    let mut result = FileResult {
        info: file.info.clone(),
        diagnostics: Vec::new(),
        facts: None,
        suppressions: Vec::new(),
        malformed: Vec::new(),
        lines: 0,
        bytes: file.size,
        internal_error: false,
        read: Duration::ZERO,
        parse: Duration::ZERO,
        rules: Duration::ZERO,
        stored: None,
        cache_hit: false,
    };
    let path = &file.info.path;
    let parse_error = registry::driver("RG901");
    let t = Instant::now();
    let bytes = match std::fs::read(&file.abs) {
        Ok(b) => b,
        Err(e) => {
            result.diagnostics.push(Diagnostic::new(
                parse_error,
                path,
                at_start(1, 1),
                format!("cannot read file: {e}"),
            ));
            return result;
        }
    };
    result.bytes = bytes.len() as u64;
    let key = cache.map(|c| {
        let hash = cache::content_hash(&bytes);
        let info_hash = cache::info_hash(&file.info);
        (c, hash, info_hash)
    });
    if let Some((c, hash, info_hash)) = key
        && let Some((hit, range)) = c.get(path, hash, info_hash)
    {
        result.diagnostics = hit.diagnostics;
        result.facts = hit.facts;
        result.suppressions = hit.suppressions;
        result.malformed = hit.malformed;
        result.lines = hit.lines;
        result.cache_hit = true;
        result.stored = Some(cache::Stored {
            path: path.clone(),
            hash,
            info_hash,
            slot: cache::Slot::Old(range),
        });
        result.read = t.elapsed();
        return result;
    }
    result.read = t.elapsed();
    check_bytes(file, config, rules, bytes, &mut result);
    if let Some((_, hash, info_hash)) = key
        && !result.internal_error
        && let Some(blob) = cache::encode(
            &result.diagnostics,
            result.facts.as_ref(),
            &result.suppressions,
            &result.malformed,
            result.lines,
        )
    {
        result.stored = Some(cache::Stored {
            path: path.clone(),
            hash,
            info_hash,
            slot: cache::Slot::New(blob),
        });
    }
    result
}

/// Checks a file's content: UTF-8, parse, rules, suppression comments.
fn check_bytes(
    file: &SourceFile,
    config: &Config,
    rules: &[&dyn Rule],
    bytes: Vec<u8>,
    result: &mut FileResult,
) {
    let path = &file.info.path;
    let parse_error = registry::driver("RG901");
    let source = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = valid.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
            let col_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
            let column = String::from_utf8_lossy(&valid[col_start..]).chars().count() as u32 + 1;
            result.diagnostics.push(Diagnostic::new(
                parse_error,
                path,
                at_start(line, column),
                format!("file is not valid UTF-8 (invalid byte at line {line}, column {column})"),
            ));
            return;
        }
    };
    result.lines = source.lines().count();
    let t = Instant::now();
    let parsed = syn::parse_file(&source);
    result.parse = t.elapsed();
    match parsed {
        Err(e) => {
            let span = rustgate_rules::Span::from(e.span());
            result.diagnostics.push(Diagnostic::new(
                parse_error,
                path,
                Span {
                    start: span.start,
                    end: span.start,
                },
                format!("syntax error: {e}"),
            ));
        }
        Ok(ast) => {
            let t = Instant::now();
            let checked = catch_unwind(AssertUnwindSafe(|| {
                rustgate_rules::check_file(&file.info, &config.settings, &source, &ast, rules)
            }));
            result.rules = t.elapsed();
            match checked {
                Ok(out) => {
                    for (code, message) in &out.rule_panics {
                        result.internal_error = true;
                        result.diagnostics.push(Diagnostic::new(
                            registry::driver("RG904"),
                            path,
                            at_start(1, 1),
                            format!("rule {code} panicked on this file: {message}"),
                        ));
                    }
                    // `Spanned::span` re-prints the item into tokens: only
                    // worth it when the file has suppression comments.
                    let first_item = if source.contains("rustgate:") {
                        ast.items
                            .first()
                            .map(|i| syn::spanned::Spanned::span(i).start().line as u32)
                    } else {
                        None
                    };
                    let (s, m) = suppress::parse(&source, &out.node_lines, first_item);
                    result.suppressions = s;
                    result.malformed = m;
                    result.diagnostics.extend(out.diagnostics);
                    result.facts = Some(out.facts);
                }
                Err(_) => {
                    result.internal_error = true;
                    result.diagnostics.push(Diagnostic::new(
                        registry::driver("RG904"),
                        path,
                        at_start(1, 1),
                        "rustgate panicked while checking this file",
                    ));
                }
            }
            drop(ast);
        }
    }
    // proc-macro2 keeps every parsed file's text per thread until told otherwise.
    proc_macro2::extra::invalidate_current_thread_spans();
}

/// Groups files into crates (Cargo targets, following their module trees;
/// files no target reaches form one group per package) and runs the
/// crate-level hooks.
fn crate_phase(
    workspace: &Workspace,
    results: &mut [FileResult],
    config: &Config,
    rules: &[&dyn Rule],
) -> Vec<Diagnostic> {
    if rules.is_empty() || results.iter().all(|r| r.facts.is_none()) {
        return Vec::new();
    }
    // Plan the groups as indices into `results` first, then move each file's
    // facts into its last group (cloning only for files in several groups):
    // one copy of the facts in memory, not three.
    let by_path: HashMap<&str, usize> = results
        .iter()
        .enumerate()
        .filter(|(_, r)| r.facts.is_some())
        .map(|(i, r)| (r.info.path.as_str(), i))
        .collect();
    let mut plans: Vec<(String, TargetKind, Option<String>, Vec<usize>)> = Vec::new();
    let mut reached = vec![false; results.len()];
    for package in &workspace.packages {
        for target in &package.targets {
            if !by_path.contains_key(target.root.as_str()) {
                continue;
            }
            let tree = rustgate_rules::facts::module_tree(&target.root, &|p| {
                by_path.get(p).and_then(|&i| results[i].facts.as_ref())
            });
            let members: Vec<usize> = tree
                .iter()
                .filter_map(|(p, _)| by_path.get(p.as_str()).copied())
                .collect();
            for &i in &members {
                reached[i] = true;
            }
            plans.push((
                format!("{}/{}", package.name, target.name),
                target.kind,
                Some(target.root.clone()),
                members,
            ));
        }
    }
    let mut orphans: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, r) in results.iter().enumerate() {
        if r.facts.is_some() && !reached[i] {
            let key = r
                .info
                .package
                .clone()
                .unwrap_or_else(|| root_name(&workspace.root));
            orphans.entry(key).or_default().push(i);
        }
    }
    for (name, members) in orphans {
        let kind = members
            .first()
            .map_or(TargetKind::Unknown, |&i| results[i].info.kind);
        plans.push((name, kind, None, members));
    }
    let mut uses = vec![0usize; results.len()];
    for (_, _, _, members) in &plans {
        for &i in members {
            uses[i] += 1;
        }
    }
    let groups: Vec<CrateGroup> = plans
        .into_iter()
        .map(|(name, kind, root, indices)| {
            let members = indices
                .into_iter()
                .map(|i| {
                    uses[i] -= 1;
                    let r = &mut results[i];
                    let facts = if uses[i] == 0 {
                        r.facts.take()
                    } else {
                        r.facts.clone()
                    };
                    (r.info.clone(), facts.unwrap_or_default())
                })
                .collect();
            CrateGroup {
                name,
                kind,
                root,
                members,
            }
        })
        .collect();
    groups
        .par_iter()
        .flat_map_iter(|group| {
            let CrateGroup {
                name,
                kind,
                root,
                members,
            } = group;
            let index = CrateIndex::build(
                name.clone(),
                *kind,
                root.as_deref(),
                members,
                &config.settings,
            );
            let mut out = Vec::new();
            for rule in rules {
                let before = out.len();
                let ok = catch_unwind(AssertUnwindSafe(|| rule.check_crate(&index, &mut out)));
                if let Err(payload) = ok {
                    out.truncate(before);
                    let message = payload
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| payload.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    let path = root
                        .clone()
                        .or_else(|| members.first().map(|m| m.0.path.clone()))
                        .unwrap_or_default();
                    out.push(Diagnostic::new(
                        registry::driver("RG904"),
                        &path,
                        at_start(1, 1),
                        format!(
                            "rule {} panicked on crate {name}: {message}",
                            rule.meta().code
                        ),
                    ));
                }
            }
            out
        })
        .collect()
}

/// The files of one crate for the crate-level phase.
struct CrateGroup {
    name: String,
    kind: TargetKind,
    /// The target's root file, when the crate is a Cargo target.
    root: Option<String>,
    members: Vec<(FileInfo, FileFacts)>,
}

fn root_name(root: &Path) -> String {
    root.file_name().map_or_else(
        || "workspace".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    )
}
