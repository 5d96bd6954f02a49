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
use crate::coverage::{self, CoverageError, CoverageSummary, driver::CoverageOverrides};
use crate::suppress::{self, Malformed, Suppression};
use crate::workspace::{SourceFile, Workspace};

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
}

/// A run that could not start: exit code 2.
#[derive(Debug)]
pub enum RunError {
    PathNotFound(PathBuf, std::io::Error),
    Config(ConfigError),
    /// The coverage gate could not read or use its input.
    Coverage(CoverageError),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::PathNotFound(p, e) => write!(f, "{}: {e}", p.display()),
            RunError::Config(e) => write!(f, "{e}"),
            RunError::Coverage(e) => write!(f, "{e}"),
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
    /// `--diff-base`: only findings touching these lines (by path) gate the run.
    pub gate_lines: Option<crate::coverage::diff::Changes>,
    /// The coverage figures, when coverage was gated.
    pub coverage: Option<CoverageSummary>,
}

impl Run {
    /// Findings that count: not suppressed.
    pub fn active(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.suppressed.is_none())
    }

    /// Whether any active finding reaches `fail-on`.
    pub fn gate_failed(&self) -> bool {
        self.active()
            .any(|d| d.severity >= self.config.fail_on && self.gates(d))
    }

    /// Whether `d` may fail the gate: always, unless `--diff-base` limits the
    /// gate to changed lines and neither its lines nor its flow touch one.
    pub fn gates(&self, d: &Diagnostic) -> bool {
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
    let coverage_config =
        coverage::driver::resolve(&config, &options.coverage).map_err(RunError::Config)?;
    let mut files = workspace.files(&paths, &config);
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
    let cache = cache_dir(&options.cache, &workspace)
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
    let check = |f: &&SourceFile| check_one(f, &config, &rules, cache.as_ref());
    let (mut results, rest): (Vec<FileResult>, Vec<FileResult>) = rayon::join(
        || huge.iter().map(check).collect(),
        || rest.par_iter().with_max_len(1).map(check).collect(),
    );
    results.extend(rest);
    results.sort_by(|a, b| a.info.path.cmp(&b.info.path));
    timings.files_wall = files_start.elapsed();
    timings.threads = rayon::current_num_threads();
    for r in &results {
        timings.read += r.read;
        timings.parse += r.parse;
        timings.rules += r.rules;
        timings.other += r.total.saturating_sub(r.read + r.parse + r.rules);
        timings.cache_hits += usize::from(r.cache_hit);
    }

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
            let diagnostics = crate_phase(&workspace, &results, &config, &rules);
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
    diagnostics.dedup_by(|a, b| a.sort_key() == b.sort_key() && a.primary.span == b.primary.span);

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
        gate_lines: None,
        coverage: coverage_summary,
    })
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
        total: Duration::ZERO,
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

/// Groups files into crates (Cargo targets, following their module trees;
/// files no target reaches form one group per package) and runs the
/// crate-level hooks.
fn crate_phase(
    workspace: &Workspace,
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
    let by_path: HashMap<&str, &FileFacts> =
        parsed.iter().map(|(i, f)| (i.path.as_str(), *f)).collect();
    let position: HashMap<&str, usize> = parsed
        .iter()
        .enumerate()
        .map(|(n, (i, _))| (i.path.as_str(), n))
        .collect();
    let mut groups: Vec<CrateGroup> = Vec::new();
    let mut reached: HashMap<&str, ()> = HashMap::new();
    for package in &workspace.packages {
        for target in &package.targets {
            if !by_path.contains_key(target.root.as_str()) {
                continue;
            }
            let tree =
                rustgate_rules::facts::module_tree(&target.root, &|p| by_path.get(p).copied());
            let members: Vec<(&FileInfo, &FileFacts)> = tree
                .iter()
                .filter_map(|(p, _)| position.get(p.as_str()).map(|&i| parsed[i]))
                .collect();
            for (p, _) in &tree {
                if let Some((k, _)) = by_path.get_key_value(p.as_str()) {
                    reached.insert(k, ());
                }
            }
            groups.push(CrateGroup {
                name: format!("{}/{}", package.name, target.name),
                kind: target.kind,
                root: Some(target.root.clone()),
                members,
            });
        }
    }
    // Files no target reaches: one crate per nearest directory with a
    // Cargo.toml (a vendored or excluded package), else per package.
    let mut orphans: BTreeMap<String, Vec<(&FileInfo, &FileFacts)>> = BTreeMap::new();
    let mut manifests: HashMap<String, bool> = HashMap::new();
    for &(info, facts) in &parsed {
        if !reached.contains_key(info.path.as_str()) {
            let dir = nearest_manifest_dir(&workspace.root, &info.path, &mut manifests);
            // By Cargo's conventions each file under tests/, benches/ and
            // examples/ is a crate of its own; the rest is the library.
            let inner = if dir.is_empty() {
                info.path.as_str()
            } else {
                &info.path[dir.len() + 1..]
            };
            let key = match inner.split_once('/') {
                Some(("tests" | "benches" | "examples", _)) => format!("{dir}\u{0}{}", info.path),
                _ => dir,
            };
            orphans.entry(key).or_default().push((info, facts));
        }
    }
    for (key, members) in orphans {
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
        });
    }
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
                members.clone(),
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
struct CrateGroup<'a> {
    name: String,
    kind: TargetKind,
    /// The target's root file, when the crate is a Cargo target.
    root: Option<String>,
    members: Vec<(&'a FileInfo, &'a FileFacts)>,
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
}
