//! One `rustgate check` run: discover, walk, read + parse + check every file on
//! the rayon pool, run the crate-level phase, then apply configuration
//! (per-file ignores, severities) and suppressions, and sort.

use std::collections::{BTreeMap, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use rustgate_rules::{
    CrateDep, CrateIndex, Diagnostic, FileFacts, FileInfo, LineCol, Rule, Span, TargetKind,
    registry,
};

use crate::cache::{self, Cache, CacheMode};
use crate::config::{self, Config, ConfigError, Overrides};
use crate::coverage::{self, CoverageError, CoverageSummary, driver::CoverageOverrides};
use crate::suppress::{self, Malformed, Suppression};
use crate::workspace::tree::Trees;
use crate::workspace::{SourceFile, Workspace, Zone};

/// What the command line asks of a run.
#[derive(Debug, Default, Clone)]
pub struct RunOptions {
    pub paths: Vec<PathBuf>,
    pub config: Option<PathBuf>,
    pub overrides: Overrides,
    /// `--coverage` and the other coverage flags.
    pub coverage: CoverageOverrides,
    /// The per-file result cache (off by default for library callers).
    pub cache: CacheMode,
    /// `--stdin-filename`: check this text as that file, with the rest of
    /// its package from disk, and report only that file's findings.
    pub stdin: Option<Stdin>,
    /// Counts checked files as they finish (for a progress line).
    pub progress: Option<std::sync::Arc<Progress>>,
}

/// How far a run is: files to check and files checked.
#[derive(Debug, Default)]
pub struct Progress {
    pub total: std::sync::atomic::AtomicUsize,
    pub done: std::sync::atomic::AtomicUsize,
}

/// A file's text given on stdin in place of its content on disk.
#[derive(Debug, Default, Clone)]
pub struct Stdin {
    /// The file it stands for (relative to the current directory or absolute).
    pub path: PathBuf,
    pub text: Vec<u8>,
}

impl Stdin {
    /// The absolute path it stands for (the file need not exist).
    fn absolute(&self) -> Result<PathBuf, RunError> {
        let name = self.path.file_name().ok_or_else(|| {
            RunError::PathNotFound(self.path.clone(), std::io::Error::other("not a file name"))
        })?;
        let parent = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let parent =
            std::fs::canonicalize(&parent).map_err(|e| RunError::PathNotFound(parent, e))?;
        Ok(parent.join(name))
    }
}

/// A run that could not start: exit code 2.
#[derive(Debug)]
pub enum RunError {
    PathNotFound(PathBuf, std::io::Error),
    Config(ConfigError),
    /// The coverage gate could not read or use its input.
    Coverage(CoverageError),
    /// The worker threads could not be started.
    Threads(rayon::ThreadPoolBuildError),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::PathNotFound(p, e) => write!(f, "{}: {e}", p.display()),
            RunError::Config(e) => write!(f, "{e}"),
            RunError::Coverage(e) => write!(f, "{e}"),
            RunError::Threads(e) => write!(f, "cannot start the worker threads: {e}"),
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
    /// The rest of the per-file work: UTF-8 check, line count, suppression
    /// comments, cache entries, freeing the syntax tree.
    pub other: Duration,
    pub files_wall: Duration,
    /// Threads of the per-file phase.
    pub threads: usize,
    pub crate_phase: Duration,
    /// Loading and validating the cache file (wall).
    pub cache_load: Duration,
    /// Writing the cache file (wall).
    pub cache_store: Duration,
    /// Files whose results came from the cache.
    pub cache_hits: usize,
    /// Files in no module tree of any target.
    pub orphans: usize,
    /// Files checked again after the module trees changed their classification.
    pub reclassified: usize,
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
    /// Every checked file with its place in the workspace (`rustgate files`).
    pub files: Vec<FileEntry>,
    /// `--diff-base`: only findings touching these lines (by path) gate the run.
    pub gate_lines: Option<crate::coverage::diff::Changes>,
    /// The coverage figures, when coverage was gated.
    pub coverage: Option<CoverageSummary>,
    /// `--baseline`: what the baseline accepted and what of it is fixed.
    pub baseline: Option<crate::baseline::Outcome>,
    /// `--stdin-filename`: the file's path as shown and the text checked in
    /// its place, which snippets and fingerprints read instead of the disk.
    pub stdin_text: Option<(String, String)>,
}

impl Run {
    /// The text of a checked file (`path` as shown) for output: the stdin
    /// text for the file it stands for, else the file read again under the
    /// walk's rules ([`crate::workspace::reread`]).
    pub fn source_text(&self, path: &str) -> Option<String> {
        match &self.stdin_text {
            Some((p, text)) if p == path => Some(text.clone()),
            _ => crate::workspace::reread(&self.root, path, self.config.max_file_size),
        }
    }

    /// Findings that count: not suppressed.
    pub fn active(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.suppressed.is_none())
    }

    /// Whether any active finding reaches `fail-on`.
    pub fn gate_failed(&self) -> bool {
        self.active()
            .any(|d| d.severity >= self.config.fail_on && self.gates(d))
    }

    /// Whether only some findings gate the run (`--baseline`, `--diff-base`):
    /// then outputs mark the new ones and count them apart.
    pub fn new_code_only(&self) -> bool {
        self.baseline.is_some() || self.gate_lines.is_some()
    }

    /// Active findings that gate the run (new ones): by severity, (errors,
    /// warnings, notes).
    pub fn new_counts(&self) -> (usize, usize, usize) {
        let count = |s: rustgate_rules::Severity| {
            self.active()
                .filter(|d| d.severity == s && self.gates(d))
                .count()
        };
        (
            count(rustgate_rules::Severity::Error),
            count(rustgate_rules::Severity::Warning),
            count(rustgate_rules::Severity::Note),
        )
    }

    /// Whether `d` may fail the gate (is new): a finding of the run is not in
    /// the baseline (those were moved to [`Run::baseline`]); always, unless `--diff-base` limits the
    /// gate to changed lines and neither its lines nor its flow touch one.
    pub fn gates(&self, d: &Diagnostic) -> bool {
        // A file rustgate could not read or place hides whatever it holds,
        // changed lines included: that always gates.
        if matches!(d.rule.code, "RG901" | "RG905") {
            return true;
        }
        let Some(changes) = &self.gate_lines else {
            return true;
        };
        let touches = |l: &rustgate_rules::Location| {
            changes.get(&l.path).is_some_and(|lines| {
                let end = l.span.end.line.max(l.span.start.line);
                lines.range(l.span.start.line..=end).next().is_some()
            })
        };
        touches(&d.primary) || d.flow.iter().any(|f| touches(&f.location))
    }
}

/// One checked file's place in the workspace, for `rustgate files`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileEntry {
    pub path: String,
    pub package: Option<String>,
    /// The targets whose module tree holds the file (`lib`, `bin:server`, ...).
    pub targets: Vec<String>,
    /// `crate::a::b`, when a module tree reaches the file.
    pub module_path: Option<String>,
    pub kind: TargetKind,
    pub zone: &'static str,
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
    /// All of this file's work, `read`, `parse` and `rules` included.
    total: Duration,
    /// What to write to the cache for this file.
    stored: Option<cache::Stored>,
    cache_hit: bool,
}

/// The stack of the threads that parse, walk and drop syntax trees: deep
/// enough for `max-nesting` at its largest allowed value (see `nesting.rs`),
/// in debug builds too. Only the pages a deep file touches are ever used.
const PARSE_STACK: usize = 512 << 20;

impl FileResult {
    /// A file's result before anything was done to it.
    fn new(info: FileInfo, bytes: u64) -> FileResult {
        FileResult {
            info,
            diagnostics: Vec::new(),
            facts: None,
            suppressions: Vec::new(),
            malformed: Vec::new(),
            lines: 0,
            bytes,
            internal_error: false,
            read: Duration::ZERO,
            parse: Duration::ZERO,
            rules: Duration::ZERO,
            total: Duration::ZERO,
            stored: None,
            cache_hit: false,
        }
    }
}

/// Runs `rustgate check`. Everything runs on a thread pool with large stacks
/// (syntax trees are parsed, walked and dropped by recursion).
pub fn run(options: &RunOptions) -> Result<Run, RunError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(rayon::current_num_threads())
        .stack_size(PARSE_STACK)
        .thread_name(|i| format!("rustgate-{i}"))
        .build()
        .map_err(RunError::Threads)?;
    pool.install(|| run_in_pool(options))
}

/// `check --show-settings`: the effective configuration of the run these
/// options describe, with where each value comes from, and the notices about
/// configuration files it does not use.
pub fn show_settings(options: &RunOptions) -> Result<(String, Vec<String>), RunError> {
    let setup = setup(options)?;
    let text = config::show_settings(
        &setup.found,
        &setup.config,
        &options.overrides,
        &setup.workspace.root,
    );
    Ok((text, setup.notices))
}

/// What a run learns before it reads a file: the checked paths (absolute),
/// the workspace, the configuration found and resolved, and the notices
/// about them. Shared by [`run`] and [`show_settings`].
struct Setup {
    paths: Vec<PathBuf>,
    stdin_abs: Option<PathBuf>,
    workspace: Workspace,
    found: config::Discovered,
    config: Config,
    notices: Vec<String>,
}

fn setup(options: &RunOptions) -> Result<Setup, RunError> {
    let mut paths = Vec::new();
    let stdin_abs = options.stdin.as_ref().map(Stdin::absolute).transpose()?;
    let inputs = match &stdin_abs {
        Some(abs) => vec![abs.parent().map(Path::to_path_buf).unwrap_or_default()],
        None if options.paths.is_empty() => vec![PathBuf::from(".")],
        None => options.paths.clone(),
    };
    for p in &inputs {
        paths.push(std::fs::canonicalize(p).map_err(|e| RunError::PathNotFound(p.clone(), e))?);
    }
    let workspace = Workspace::discover(&paths);
    // With stdin, the whole package of the file is checked (crate-level rules
    // need it); only the file's findings are reported.
    if let Some(abs) = &stdin_abs {
        let dir = workspace
            .package_index(abs)
            .map(|i| workspace.root.join(&workspace.packages[i].dir))
            .unwrap_or_else(|| paths[0].clone());
        paths = vec![dir];
    }
    let mut found = config::discover(
        &workspace.config_root,
        paths.first().map(PathBuf::as_path),
        options.config.as_deref(),
    )
    .map_err(RunError::Config)?;
    let mut notices = std::mem::take(&mut found.notices);
    let config = config::resolve(
        found.source.clone(),
        found.table.clone(),
        &options.overrides,
    )
    .map_err(RunError::Config)?;
    // A member's own configuration applies when that member is checked on
    // its own; in a wider run it is shadowed: say so.
    for package in &workspace.packages {
        let dir = workspace.root.join(&package.dir);
        let below = paths
            .first()
            .is_some_and(|p| dir != *p && dir.starts_with(p));
        for name in config::CONFIG_NAMES {
            let file = dir.join(name);
            if below && config.source.as_ref() != Some(&file) && file.is_file() {
                notices.push(format!(
                    "{} is not used: it applies when `{}` is checked on its own",
                    crate::workspace::rel(&workspace.root, &file),
                    crate::workspace::rel(&workspace.root, &dir)
                ));
            }
        }
    }
    if config
        .enabled
        .iter()
        .all(|m| config::ALWAYS_ON.contains(&m.code))
    {
        notices.push(
            "no rule is enabled (check `select`, `ignore` and `severity` in the configuration and on the command line)"
                .to_owned(),
        );
    }
    Ok(Setup {
        paths,
        stdin_abs,
        workspace,
        found,
        config,
        notices,
    })
}

fn run_in_pool(options: &RunOptions) -> Result<Run, RunError> {
    let start = Instant::now();
    let Setup {
        paths,
        stdin_abs,
        mut workspace,
        config,
        mut notices,
        ..
    } = setup(options)?;
    let coverage_config =
        coverage::driver::resolve(&config, &options.coverage).map_err(RunError::Config)?;
    let (mut files, walk_notes) = workspace.files(&paths, &config);
    notices.extend(walk_notes.notes);
    if files.is_empty() && options.stdin.is_none() {
        notices.push(format!(
            "no Rust files to check under {}",
            paths
                .iter()
                .map(|p| match crate::workspace::rel(&workspace.root, p) {
                    r if r.is_empty() => ".".to_owned(),
                    r => r,
                })
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let stdin_path = match (&options.stdin, &stdin_abs) {
        (Some(stdin), Some(abs)) => Some(overlay(&workspace, &mut files, abs, stdin, &config)),
        _ => None,
    };
    if !workspace.has_cargo() && workspace.problems.is_empty() {
        notices.push(
            "no Cargo.toml found: the files are checked as one crate, without package and target kinds"
                .to_owned(),
        );
    }
    let mut timings = Timings {
        discovery: start.elapsed(),
        ..Timings::default()
    };

    let enabled: Vec<&dyn Rule> = registry::rules()
        .iter()
        .copied()
        .filter(|r| config.is_enabled(r.meta().code))
        .collect();
    // Plus the fact collectors the enabled rules read, each run once.
    let rules = registry::with_requirements(&enabled);

    // Largest files first: shortens the tail on few threads.
    files.sort_by(|a, b| {
        b.size
            .cmp(&a.size)
            .then_with(|| a.info.path.cmp(&b.info.path))
    });
    let load_start = Instant::now();
    let cache = cache_dir(&options.cache, &workspace, &mut notices)
        .map(|dir| Cache::open(&dir, &cache_key(&workspace.root, &config, &rules)));
    timings.cache_load = load_start.elapsed();

    let files_start = Instant::now();
    // Huge files go one after another in a lane of their own, so that two of
    // their syntax trees never coexist; the other threads take the rest. One
    // stealable job per file: rayon otherwise hands each thread long runs of
    // consecutive files, and the run of the largest ones, processed by one
    // thread while the other waits, became the tail (0.25 s on the corpus).
    let (huge, rest): (Vec<&SourceFile>, Vec<&SourceFile>) =
        files.iter().partition(|f| f.size >= HUGE_FILE);
    if let Some(p) = &options.progress {
        p.total
            .store(files.len(), std::sync::atomic::Ordering::Relaxed);
    }
    let check = |f: &&SourceFile| {
        let result = check_one(f, &config, &rules, cache.as_ref());
        if let Some(p) = &options.progress {
            p.done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        result
    };
    let (mut results, rest): (Vec<FileResult>, Vec<FileResult>) = rayon::join(
        || huge.iter().map(check).collect(),
        || rest.par_iter().with_max_len(1).map(check).collect(),
    );
    results.extend(rest);
    results.sort_by(|a, b| a.info.path.cmp(&b.info.path));
    // The module trees decide what the walk could only guess: test modules in
    // files of their own, the target of each file, orphans. Files whose
    // classification changes are checked again with the right one.
    let (trees, reclassified) = refine(&workspace, &files, &mut results, &config, &rules);
    timings.files_wall = files_start.elapsed();
    timings.threads = rayon::current_num_threads();
    for r in &results {
        timings.read += r.read;
        timings.parse += r.parse;
        timings.rules += r.rules;
        timings.other += r.total.saturating_sub(r.read + r.parse + r.rules);
        timings.cache_hits += usize::from(r.cache_hit);
    }
    let file_entries = file_entries(&workspace, &trees, &results);
    timings.orphans = file_entries.iter().filter(|f| f.zone == "orphan").count();
    timings.reclassified = reclassified;

    // The cache is written while the crate phase runs: both only read the
    // per-file results.
    let stored: Vec<cache::Stored> = results.iter_mut().filter_map(|r| r.stored.take()).collect();
    let (store_outcome, crate_diagnostics) = rayon::join(
        || {
            let store_start = Instant::now();
            let outcome = cache.map(|c| c.store(&workspace.root, stored));
            (outcome, store_start.elapsed())
        },
        || {
            let crate_start = Instant::now();
            let diagnostics = crate_phase(&workspace, &trees, &results, &config, &rules);
            (diagnostics, crate_start.elapsed())
        },
    );
    let (crate_diagnostics, crate_time) = crate_diagnostics;
    timings.crate_phase = crate_time;
    if let (Some(outcome), store_time) = store_outcome {
        timings.cache_store = store_time;
        if let Err(e) = outcome {
            notices.push(format!("cannot write the cache: {e}"));
        }
    }

    let mut internal_error = results.iter().any(|r| r.internal_error);
    let mut by_file: BTreeMap<String, Vec<Diagnostic>> = BTreeMap::new();
    for d in crate_diagnostics {
        if d.rule.code == "RG904" {
            internal_error = true;
        }
        by_file.entry(d.primary.path.clone()).or_default().push(d);
    }
    for d in workspace_problems(&workspace, &trees) {
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
    // The coverage gate: its findings are treated as any file's (per-file
    // ignores, severities), its notes go to stderr.
    let mut coverage_summary = None;
    if let Some(cov) = &coverage_config {
        let checked = results
            .iter()
            .map(|r| (r.info.path.as_str(), r.info.package.as_deref()));
        let gated = coverage::driver::gate(cov, &workspace.root, checked, &config)
            .map_err(RunError::Coverage)?;
        for d in gated.diagnostics {
            let path = d.primary.path.clone();
            let mut one = vec![d];
            finish_file(&path, &mut one, &config);
            diagnostics.append(&mut one);
        }
        notices.extend(gated.notes);
        coverage_summary = Some(gated.summary);
    }
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diagnostics.dedup_by(|a, b| {
        (a.sort_key() == b.sort_key() && a.primary.span == b.primary.span)
            // A site reached along several code flows (a library's panic
            // reached from two crates' handlers) is one finding: the first
            // flow is kept.
            || (!a.flow.is_empty()
                && !b.flow.is_empty()
                && a.rule.code == b.rule.code
                && a.primary.path == b.primary.path
                && a.primary.span == b.primary.span)
    });
    if let Some(path) = &stdin_path {
        diagnostics.retain(|d| &d.primary.path == path);
    }

    let files_checked = results.len();
    let lines = results.iter().map(|r| r.lines).sum();
    let bytes = results.iter().map(|r| r.bytes).sum();
    // Freeing every file's facts takes a while and nobody waits for it.
    drop_in_background(results);

    Ok(Run {
        root: workspace.root,
        config,
        diagnostics,
        files_checked,
        lines,
        bytes,
        elapsed: start.elapsed(),
        timings,
        notices,
        internal_error,
        files: file_entries,
        gate_lines: None,
        coverage: coverage_summary,
        baseline: None,
        stdin_text: match (stdin_path, &options.stdin) {
            (Some(path), Some(stdin)) => String::from_utf8(stdin.text.clone())
                .ok()
                .map(|text| (path, text)),
            _ => None,
        },
    })
}

/// Checks one file's bytes as `src/lib.rs` of a library with every rule (the
/// per-file pipeline: UTF-8, nesting bound, parse, rules, suppressions), on
/// a thread with the parse stack. For the fuzz target and its regressions.
pub fn check_source(bytes: Vec<u8>) -> Vec<Diagnostic> {
    let config = match config::resolve(None, toml::Table::new(), &Overrides::default()) {
        Ok(c) => c,
        Err(_) => return Vec::new(),
    };
    let run = move || {
        let info = FileInfo {
            path: "src/lib.rs".into(),
            package: Some("fuzz".into()),
            kind: TargetKind::Lib,
            business_logic: true,
            generated: false,
        };
        let file = SourceFile {
            abs: PathBuf::from("src/lib.rs"),
            info: info.clone(),
            size: bytes.len() as u64,
            problem: None,
            text: None,
        };
        let all: Vec<&dyn Rule> = registry::rules().to_vec();
        let rules = registry::with_requirements(&all);
        let mut result = FileResult::new(info, file.size);
        check_bytes(&file, &config, &rules, bytes, &mut result);
        let mut diagnostics = result.diagnostics;
        let extra = suppress::apply(
            "src/lib.rs",
            &result.suppressions,
            &result.malformed,
            &mut diagnostics,
            false,
            &|_| true,
        );
        diagnostics.extend(extra);
        diagnostics
    };
    std::thread::Builder::new()
        .stack_size(PARSE_STACK)
        .spawn(run)
        .ok()
        .and_then(|h| h.join().ok())
        .unwrap_or_default()
}

/// Puts the stdin text in place of its file (adding the file when it is not
/// on disk yet); returns the file's path as findings name it.
fn overlay(
    workspace: &Workspace,
    files: &mut Vec<SourceFile>,
    abs: &Path,
    stdin: &Stdin,
    config: &Config,
) -> String {
    let path = crate::workspace::rel(&workspace.root, abs);
    let size = stdin.text.len() as u64;
    match files.iter_mut().find(|f| f.abs == abs) {
        Some(f) => {
            f.size = size;
            f.problem = None;
            f.text = Some(stdin.text.clone());
        }
        None => {
            let info = workspace.classify(abs, &path, config);
            files.push(SourceFile {
                abs: abs.to_path_buf(),
                info,
                size,
                problem: None,
                text: Some(stdin.text.clone()),
            });
        }
    }
    path
}

/// Drops `value` on a thread of its own; if none can be started, the closure
/// and `value` with it are dropped here.
fn drop_in_background<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new().spawn(move || drop(value));
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
fn cache_dir(
    mode: &CacheMode,
    workspace: &Workspace,
    notices: &mut Vec<String>,
) -> Option<PathBuf> {
    match mode {
        CacheMode::Off => None,
        CacheMode::Dir(dir) => Some(dir.clone()),
        CacheMode::Default => {
            let dir = cache::default_dir(&target_dir(&workspace.root));
            if cache::stays_in_tree(&workspace.root, &dir) {
                return Some(dir);
            }
            notices.push(format!(
                "{}: a symlink out of the workspace on the way: not cached there (`--cache-dir` or `CARGO_TARGET_DIR` choose a folder)",
                crate::workspace::rel(&workspace.root, &dir)
            ));
            None
        }
    }
}

/// Cargo's target directory as the user set it: `CARGO_TARGET_DIR` from the
/// environment, else `<workspace root>/target`. Never what a file in the
/// checked tree (`.cargo/config.toml`) says: the tree must not choose where
/// rustgate writes or what `rustgate clean` removes.
pub fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => std::env::current_dir()
            .map(|cwd| cwd.join(&dir))
            .unwrap_or_else(|_| PathBuf::from(dir)),
        None => root.join("target"),
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

/// Files at least this large are checked one at a time, in a lane of their
/// own: a syntax tree takes up to 100 bytes of memory per byte of source (the
/// corpus's 2.5 MB `encoding_rs/src/data.rs` alone takes 290 MB), and two at
/// once would set the peak. The other threads go on with smaller files
/// meanwhile, never waiting; on the corpus, 118 of 9,758 files (24% of the
/// bytes) are this large.
const HUGE_FILE: u64 = 128 << 10;

fn check_one(
    file: &SourceFile,
    config: &Config,
    rules: &[&dyn Rule],
    cache: Option<&Cache>,
) -> FileResult {
    let start = Instant::now();
    let mut result = check_one_timed(file, config, rules, cache);
    result.total = start.elapsed();
    result
}

fn check_one_timed(
    file: &SourceFile,
    config: &Config,
    rules: &[&dyn Rule],
    cache: Option<&Cache>,
) -> FileResult {
    let mut result = FileResult::new(file.info.clone(), file.size);
    let path = &file.info.path;
    let parse_error = registry::driver("RG901");
    let t = Instant::now();
    let unreadable = |result: &mut FileResult, message: String| {
        result
            .diagnostics
            .push(Diagnostic::new(parse_error, path, at_start(1, 1), message));
    };
    if let Some(problem) = &file.problem {
        unreadable(&mut result, problem.clone());
        return result;
    }
    if file.size > config.max_file_size {
        unreadable(
            &mut result,
            format!(
                "file too large ({} bytes; `max-file-size` is {}): not read",
                file.size, config.max_file_size
            ),
        );
        return result;
    }
    let read = match &file.text {
        Some(text) => Ok(text.clone()),
        None => crate::workspace::read_bounded(&file.abs, config.max_file_size),
    };
    let bytes = match read {
        Ok(b) => b,
        Err(e) => {
            unreadable(&mut result, format!("cannot read file: {e}"));
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

/// What `source.lines().count()` gives, with a SIMD newline search.
fn line_count(source: &str) -> usize {
    let newlines = memchr::memchr_iter(b'\n', source.as_bytes()).count();
    newlines + usize::from(!source.is_empty() && !source.ends_with('\n'))
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
    result.lines = line_count(&source);
    if !result.info.generated && crate::workspace::has_generated_marker(&source) {
        result.info.generated = true;
    }
    if let Some(deepest) = crate::nesting::exceeds(&source, config.max_nesting) {
        result.diagnostics.push(Diagnostic::new(
            parse_error,
            path,
            at_start(deepest.line, 1),
            format!(
                "nesting deeper than {} (`max-nesting`): not parsed",
                config.max_nesting
            ),
        ));
        return;
    }
    let t = Instant::now();
    let parsed = syn::parse_file(&source);
    result.parse = t.elapsed();
    match parsed {
        Err(e) => {
            let mut start = rustgate_rules::Span::from(e.span()).start;
            if start.line == 0 {
                // An error at the end of the input has no token to point at
                // (line 0): it is placed after the last character.
                let last = source.rsplit('\n').next().unwrap_or("");
                start = LineCol {
                    line: u32::try_from(source.split('\n').count()).unwrap_or(u32::MAX),
                    column: u32::try_from(last.chars().count() + 1).unwrap_or(u32::MAX),
                };
            }
            result.diagnostics.push(Diagnostic::new(
                parse_error,
                path,
                Span { start, end: start },
                format!("syntax error: {e}"),
            ));
        }
        Ok(ast) => {
            let t = Instant::now();
            let checked = catch_unwind(AssertUnwindSafe(|| {
                rustgate_rules::check_file(&result.info, &config.settings, &source, &ast, rules)
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
                    // worth it when the file has suppression comments (the
                    // checker records node lines only then).
                    let first_item = if !out.node_lines.is_empty() {
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

/// Resolves the module trees and checks again, with the classification the
/// trees give, every file whose first classification was wrong (a test module
/// in a file of its own, a file of a binary named like a library file, ...).
fn refine(
    workspace: &Workspace,
    files: &[SourceFile],
    results: &mut [FileResult],
    config: &Config,
    rules: &[&dyn Rule],
) -> (Trees, usize) {
    let trees = {
        let by_path: HashMap<&str, &FileFacts> = results
            .iter()
            .filter_map(|r| r.facts.as_ref().map(|f| (r.info.path.as_str(), f)))
            .collect();
        Trees::resolve(workspace, &|p| by_path.get(p).copied())
    };
    let by_path: HashMap<&str, &SourceFile> =
        files.iter().map(|f| (f.info.path.as_str(), f)).collect();
    let redo: Vec<(usize, SourceFile)> = results
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let placement = trees.placement.get(&r.info.path)?;
            let kind = placement.kind(workspace);
            let package = Some(workspace.packages[placement.package].name.clone());
            let info = workspace.info(&r.info.path, package, kind, r.info.generated, config);
            if info == r.info {
                return None;
            }
            let file = by_path.get(r.info.path.as_str())?;
            Some((
                i,
                SourceFile {
                    abs: file.abs.clone(),
                    info,
                    size: file.size,
                    problem: None,
                    text: file.text.clone(),
                },
            ))
        })
        .collect();
    let reclassified = redo.len();
    let redone: Vec<(usize, FileResult)> = redo
        .par_iter()
        .with_max_len(1)
        .map(|(i, f)| (*i, check_one(f, config, rules, None)))
        .collect();
    for (i, mut r) in redone {
        // The cache keeps the first classification's result: the trees are
        // resolved again on every run.
        r.stored = results[i].stored.take();
        r.cache_hit = results[i].cache_hit;
        results[i] = r;
    }
    (trees, reclassified)
}

/// Each checked file's place in the workspace.
fn file_entries(workspace: &Workspace, trees: &Trees, results: &[FileResult]) -> Vec<FileEntry> {
    results
        .iter()
        .map(|r| {
            let placement = trees.placement.get(&r.info.path);
            let package = placement
                .map(|p| p.package)
                .or_else(|| workspace.package_index(&workspace.root.join(&r.info.path)));
            let orphan = trees.is_orphan(&r.info.path, package);
            let zone = if orphan {
                Zone::Orphan
            } else if r.info.generated {
                Zone::Generated
            } else {
                match r.info.kind {
                    TargetKind::Test => Zone::Test,
                    TargetKind::Bench => Zone::Bench,
                    TargetKind::Example => Zone::Example,
                    TargetKind::BuildScript => Zone::BuildScript,
                    _ if r.info.business_logic => Zone::BusinessLogic,
                    _ => Zone::Ffi,
                }
            };
            let targets = placement.map_or_else(Vec::new, |p| {
                p.targets
                    .iter()
                    .map(|&t| {
                        let t = &workspace.packages[p.package].targets[t];
                        match t.kind {
                            TargetKind::Lib => "lib".to_owned(),
                            TargetKind::BuildScript => "build-script".to_owned(),
                            k => format!("{}:{}", k.as_str(), t.name),
                        }
                    })
                    .collect()
            });
            FileEntry {
                path: r.info.path.clone(),
                package: r.info.package.clone(),
                targets,
                module_path: placement.map(|p| {
                    std::iter::once("crate")
                        .chain(p.module_path.iter().map(String::as_str))
                        .collect::<Vec<_>>()
                        .join("::")
                }),
                kind: r.info.kind,
                zone: zone.as_str(),
            }
        })
        .collect()
}

/// RG905 findings: what the manifests and module trees could not tell.
fn workspace_problems(workspace: &Workspace, trees: &Trees) -> Vec<Diagnostic> {
    let meta = registry::driver("RG905");
    let mut out: Vec<Diagnostic> = workspace
        .problems
        .iter()
        .map(|p| {
            Diagnostic::new(
                meta,
                &p.path.to_string_lossy().replace('\\', "/"),
                at_start(p.line.max(1), p.column.max(1)),
                p.message.clone(),
            )
        })
        .collect();
    for m in trees.missing(workspace) {
        out.push(Diagnostic::new(
            meta,
            &m.declared_in,
            at_start(m.line.max(1), 1),
            format!(
                "`mod {}` names a file that does not exist (looked for {})",
                m.name,
                m.candidates.join(" and ")
            ),
        ));
    }
    out
}

/// Groups files into crates (one per Cargo target, following its module
/// tree; outside Cargo, one per folder) and runs the crate-level hooks. Each
/// crate sees the libraries it depends on inside the workspace. Orphans (files
/// in no module tree of a package whose trees are complete) belong to no crate.
fn crate_phase(
    workspace: &Workspace,
    trees: &Trees,
    results: &[FileResult],
    config: &Config,
    rules: &[&dyn Rule],
) -> Vec<Diagnostic> {
    let parsed: Vec<(&FileInfo, &FileFacts)> = results
        .iter()
        .filter_map(|r| r.facts.as_ref().map(|f| (&r.info, f)))
        .collect();
    if parsed.is_empty() || rules.is_empty() {
        return Vec::new();
    }
    let position: HashMap<&str, usize> = parsed
        .iter()
        .enumerate()
        .map(|(n, (i, _))| (i.path.as_str(), n))
        .collect();
    let mut groups: Vec<CrateGroup> = Vec::new();
    // (package, target) -> group index, for dependencies.
    let mut group_of: HashMap<(usize, usize), usize> = HashMap::new();
    for (pi, ti, tree) in &trees.targets {
        let package = &workspace.packages[*pi];
        let target = &package.targets[*ti];
        let members: Vec<(&FileInfo, &FileFacts)> = tree
            .files
            .iter()
            .filter_map(|f| position.get(f.path.as_str()).map(|&i| parsed[i]))
            .collect();
        group_of.insert((*pi, *ti), groups.len());
        groups.push(CrateGroup {
            name: format!("{}/{}", package.name, target.name),
            kind: target.kind,
            root: Some(target.root.clone()),
            members,
            package: Some(*pi),
        });
    }
    // Files no tree reaches in a package whose trees are partial (a run on a
    // sub-folder), and files outside Cargo: one crate per nearest directory
    // with a Cargo.toml (else the root), files of tests/, benches/ and
    // examples/ one crate each.
    let mut loose: BTreeMap<String, Vec<(&FileInfo, &FileFacts)>> = BTreeMap::new();
    let mut manifests: HashMap<String, bool> = HashMap::new();
    for &(info, facts) in &parsed {
        if trees.placement.contains_key(&info.path) {
            continue;
        }
        let package = workspace.package_index(&workspace.root.join(&info.path));
        if trees.is_orphan(&info.path, package) {
            continue;
        }
        let dir = nearest_manifest_dir(&workspace.root, &info.path, &mut manifests);
        let inner = if dir.is_empty() {
            info.path.as_str()
        } else {
            info.path.get(dir.len() + 1..).unwrap_or(&info.path)
        };
        let key = match inner.split_once('/') {
            Some(("tests" | "benches" | "examples", _)) => format!("{dir}\u{0}{}", info.path),
            _ => dir,
        };
        loose.entry(key).or_default().push((info, facts));
    }
    for (key, members) in loose {
        let (dir, single) = match key.split_once('\u{0}') {
            Some((dir, file)) => (dir.to_owned(), Some(file.to_owned())),
            None => (key, None),
        };
        let kind = members.first().map_or(TargetKind::Unknown, |m| m.0.kind);
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let root = single.clone().or_else(|| {
            ["src/lib.rs", "src/main.rs", "lib.rs", "main.rs"]
                .iter()
                .map(|r| format!("{prefix}{r}"))
                .find(|r| members.iter().any(|m| &m.0.path == r))
        });
        let name = members
            .first()
            .and_then(|m| m.0.package.clone())
            .filter(|_| workspace.packages.iter().any(|p| p.dir == dir))
            .unwrap_or_else(|| {
                if dir.is_empty() {
                    root_name(&workspace.root)
                } else {
                    dir.clone()
                }
            });
        let name = match single {
            Some(file) => format!("{name} ({file})"),
            None => name,
        };
        groups.push(CrateGroup {
            name,
            kind,
            root,
            members,
            package: None,
        });
    }
    let indexes: Vec<CrateIndex> = groups
        .par_iter()
        .map(|group| {
            CrateIndex::build(
                group.name.clone(),
                group.kind,
                group.root.as_deref(),
                group.members.clone(),
                &config.settings,
            )
        })
        .collect();
    // The workspace level: each crate's dependencies inside the workspace.
    let lib_of = |pi: usize| -> Option<usize> {
        let package = &workspace.packages[pi];
        let ti = package
            .targets
            .iter()
            .position(|t| t.kind == TargetKind::Lib)?;
        group_of.get(&(pi, ti)).copied()
    };
    let deps: Vec<Vec<CrateDep>> = groups
        .iter()
        .enumerate()
        .map(|(gi, group)| {
            let Some(pi) = group.package else {
                return Vec::new();
            };
            let package = &workspace.packages[pi];
            let mut out = Vec::new();
            let mut add = |extern_name: String, di: usize| {
                if di != gi && !out.iter().any(|d: &CrateDep| d.name == indexes[di].name) {
                    out.push(CrateDep {
                        extern_name,
                        name: indexes[di].name.clone(),
                        files: indexes[di].files.clone(),
                    });
                }
            };
            if group.kind != TargetKind::Lib
                && let Some(li) = lib_of(pi)
            {
                let lib = &package.targets[package
                    .targets
                    .iter()
                    .position(|t| t.kind == TargetKind::Lib)
                    .unwrap_or(0)];
                add(lib.name.replace('-', "_"), li);
            }
            for (extern_name, dep) in &package.deps {
                if let Some(di) = lib_of(*dep) {
                    add(extern_name.clone(), di);
                }
            }
            out
        })
        .collect();
    // The reverse: who depends on each crate.
    let by_name: HashMap<&str, usize> = indexes
        .iter()
        .enumerate()
        .map(|(i, x)| (x.name.as_str(), i))
        .collect();
    let mut dependents: Vec<Vec<CrateDep>> = vec![Vec::new(); indexes.len()];
    for (gi, ds) in deps.iter().enumerate() {
        for d in ds {
            if let Some(&di) = by_name.get(d.name.as_str()) {
                dependents[di].push(CrateDep {
                    extern_name: d.extern_name.clone(),
                    name: indexes[gi].name.clone(),
                    files: indexes[gi].files.clone(),
                });
            }
        }
    }
    let mut indexes = indexes;
    for ((index, deps), dependents) in indexes.iter_mut().zip(deps).zip(dependents) {
        index.dependencies = deps;
        index.dependents = dependents;
    }
    // What the error rules judge a library by: who uses it, how it is built.
    for (index, group) in indexes.iter_mut().zip(&groups) {
        if let Some(pi) = group.package
            && group.kind == TargetKind::Lib
        {
            let package = &workspace.packages[pi];
            if let Some(lib) = package.targets.iter().find(|t| t.kind == TargetKind::Lib) {
                index.context.crate_types = lib.crate_types.clone();
            }
            let has_bin = package.targets.iter().any(|t| t.kind == TargetKind::Bin);
            let depended_on = workspace
                .packages
                .iter()
                .enumerate()
                .any(|(qi, q)| qi != pi && q.deps.iter().any(|(_, d)| *d == pi));
            index.context.application_library = Some(has_bin && !depended_on);
        }
    }
    indexes
        .par_iter()
        .zip(groups.par_iter())
        .flat_map_iter(|(index, group)| {
            let CrateGroup {
                name,
                root,
                members,
                ..
            } = group;
            let mut out = Vec::new();
            for rule in rules {
                let before = out.len();
                let ok = catch_unwind(AssertUnwindSafe(|| rule.check_crate(index, &mut out)));
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
struct CrateGroup<'a> {
    name: String,
    kind: TargetKind,
    /// The target's root file, when the crate is a Cargo target.
    root: Option<String>,
    members: Vec<(&'a FileInfo, &'a FileFacts)>,
    /// The package, when the crate is a Cargo target.
    package: Option<usize>,
}

/// The nearest directory above `path` (relative to `root`) that holds a
/// `Cargo.toml`, or "" for the root. `seen` caches the file-system checks.
fn nearest_manifest_dir(root: &Path, path: &str, seen: &mut HashMap<String, bool>) -> String {
    let mut dir = path;
    while let Some((parent, _)) = dir.rsplit_once('/') {
        let has = *seen
            .entry(parent.to_owned())
            .or_insert_with(|| root.join(parent).join("Cargo.toml").is_file());
        if has {
            return parent.to_owned();
        }
        dir = parent;
    }
    String::new()
}

fn root_name(root: &Path) -> String {
    root.file_name().map_or_else(
        || "workspace".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustgate_rules::{Ctx, Out, RuleMeta};

    #[test]
    fn line_count_is_str_lines_count() {
        for s in [
            "",
            "a",
            "a\n",
            "a\nb",
            "a\n\nb\n",
            "\n",
            "a\r\nb\r\n",
            "é\nü",
        ] {
            assert_eq!(line_count(s), s.lines().count(), "{s:?}");
        }
    }

    struct Panics;

    impl Rule for Panics {
        fn meta(&self) -> &'static RuleMeta {
            registry::driver("RG904")
        }
        fn check_expr(&self, _: &Ctx<'_>, _: &syn::Expr, _: &mut Out) {
            panic!("boom");
        }
    }

    #[test]
    fn a_panicking_rule_is_reported_and_marks_the_run_failed() {
        let dir = tempfile::tempdir().unwrap();
        let abs = dir.path().join("lib.rs");
        std::fs::write(&abs, "fn f() { 1 + 1; }\n").unwrap();
        let file = SourceFile {
            abs,
            info: FileInfo {
                path: "lib.rs".into(),
                package: None,
                kind: TargetKind::Lib,
                business_logic: true,
                generated: false,
            },
            size: 0,
            problem: None,
            text: None,
        };
        let config = config::resolve(None, toml::Table::new(), &Overrides::default()).unwrap();
        let result = check_one(&file, &config, &[&Panics], None);
        assert!(result.internal_error);
        let messages: Vec<&str> = result
            .diagnostics
            .iter()
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(messages, ["rule RG904 panicked on this file: boom"]);
        assert_eq!(result.diagnostics[0].rule.code, "RG904");
    }

    /// A file the walk found and that is gone when its turn comes (deleted
    /// during the walk, or replaced by a folder) is RG901, never a skip.
    #[test]
    fn a_file_deleted_during_the_walk_is_rg901() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("gone.rs"), "fn f() {}\n").unwrap();
        std::fs::write(dir.path().join("now_a_folder.rs"), "fn f() {}\n").unwrap();
        let config = config::resolve(None, toml::Table::new(), &Overrides::default()).unwrap();
        let files: Vec<SourceFile> = ["gone.rs", "now_a_folder.rs"]
            .into_iter()
            .map(|name| SourceFile {
                abs: dir.path().join(name),
                info: FileInfo {
                    path: name.into(),
                    package: None,
                    kind: TargetKind::Lib,
                    business_logic: true,
                    generated: false,
                },
                // What the walk saw: the file as it was.
                size: 10,
                problem: None,
                text: None,
            })
            .collect();
        std::fs::remove_file(dir.path().join("gone.rs")).unwrap();
        std::fs::remove_file(dir.path().join("now_a_folder.rs")).unwrap();
        std::fs::create_dir(dir.path().join("now_a_folder.rs")).unwrap();
        let rules = registry::rules();
        for file in &files {
            let result = check_one(file, &config, rules, None);
            let found: Vec<(&str, &str)> = result
                .diagnostics
                .iter()
                .map(|d| (d.rule.code, d.message.as_str()))
                .collect();
            assert_eq!(found.len(), 1, "{}: {found:?}", file.info.path);
            assert_eq!(found[0].0, "RG901", "{}: {found:?}", file.info.path);
            assert!(
                found[0].1.starts_with("cannot read file: "),
                "{}: {found:?}",
                file.info.path
            );
            assert!(!result.internal_error);
        }
    }
}
