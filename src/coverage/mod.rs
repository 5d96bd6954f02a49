//! The coverage gate: reads coverage reports (LCOV, Cobertura XML, llvm-cov
//! JSON), maps their paths onto workspace files, optionally reads a diff, and
//! turns thresholds into diagnostics (RGC01..RGC04) and a [`CoverageSummary`].
//!
//! - [`lcov`], [`cobertura`], [`llvm_json`]: one parser per format, each giving
//!   a [`Report`]; the format is detected from the content ([`parse_report`]).
//! - [`map`]: report paths (absolute, relative, from another machine) onto
//!   workspace files by longest path-suffix match.
//! - [`diff`]: changed lines from a unified diff or from `git diff`.
//! - [`gate`]: thresholds, diagnostics and the summary.
//!
//! Nothing here prints: the driver renders diagnostics, notes and the summary.

pub mod cobertura;
pub mod diff;
pub mod driver;
pub mod gate;
pub mod lcov;
pub mod llvm_json;
pub mod map;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use rustgate_rules::Diagnostic;
use serde::{Deserialize, Serialize};

pub use gate::{CoverageSummary, FileSummary, PatchSummary};

/// The `[coverage]` table of rustgate.toml; the CLI flags override its keys.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CoverageConfig {
    /// Report files; relative paths are resolved against the workspace root.
    #[serde(default)]
    pub reports: Vec<PathBuf>,
    /// Total line coverage, in percent.
    pub min_line_coverage: Option<f64>,
    /// Total function coverage, in percent.
    pub min_function_coverage: Option<f64>,
    /// Total branch coverage, in percent, when the reports have branches.
    pub min_branch_coverage: Option<f64>,
    /// Total region coverage, in percent, when the reports have regions
    /// (llvm-cov JSON).
    pub min_region_coverage: Option<f64>,
    /// Line coverage of every single file.
    pub min_file_coverage: Option<f64>,
    /// Coverage of the executable lines a change adds or modifies.
    pub min_patch_coverage: Option<f64>,
    /// Line coverage per package name.
    #[serde(default)]
    pub packages: BTreeMap<String, f64>,
    /// Line coverage per path glob (relative to the workspace root).
    #[serde(default)]
    pub paths: BTreeMap<String, f64>,
    /// Patch coverage against the merge base with this git ref.
    pub diff_base: Option<String>,
    /// Patch coverage from this unified diff.
    pub diff_file: Option<PathBuf>,
}

impl CoverageConfig {
    /// Whether coverage is gated at all in this run.
    pub fn is_enabled(&self) -> bool {
        !self.reports.is_empty()
    }
}

/// The largest line number a report may name: a source file of more lines
/// would be far beyond the size limit of the files rustgate reads. A larger
/// number is a malformed report (exit 2), never a loop or an allocation.
pub const MAX_LINE: u32 = 10_000_000;
/// The largest line or region count a summary may state (LCOV `LF`/`LH`,
/// llvm-cov JSON `summary`).
pub const MAX_COUNT: u64 = u32::MAX as u64;
/// The most conditions one Cobertura `<line>` may state
/// (`condition-coverage="50% (1/2)"`): each becomes a branch outcome.
pub const MAX_CONDITIONS: u64 = 1024;
/// The most executable lines a single report may describe, all files
/// together (llvm-cov JSON segments can span ranges of lines).
pub const MAX_REPORT_LINES: usize = 50_000_000;

/// A workspace source file: `rel_path` relative to the workspace root with `/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkspaceFile {
    pub rel_path: String,
    pub package: String,
}

/// What one coverage run produced.
#[derive(Clone, Debug)]
pub struct CoverageOutcome {
    pub diagnostics: Vec<Diagnostic>,
    pub summary: CoverageSummary,
    /// Informational notes for the human output (unmatched report entries,
    /// empty diff, ...). Lowercase, no trailing period.
    pub notes: Vec<String>,
}

/// Why coverage could not be gated: unusable input, exit code 2.
#[derive(Debug)]
pub enum CoverageError {
    /// A file could not be read.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A report or diff is malformed at `line` (1-based).
    Malformed {
        path: PathBuf,
        line: usize,
        expected: String,
    },
    /// The content matches none of the supported formats.
    UnknownFormat { path: PathBuf },
    /// None of the reports' files is a file of the workspace.
    NoWorkspaceFile {
        reports: Vec<PathBuf>,
        sample: Vec<String>,
    },
    /// `[coverage]` is inconsistent (percent out of range, bad glob, ...).
    Config(String),
    /// git failed: not a repository, unknown ref, git missing.
    Git(String),
}

impl fmt::Display for CoverageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CoverageError::Io { path, source } => {
                write!(f, "cannot read `{}`: {source}", path.display())
            }
            CoverageError::Malformed {
                path,
                line,
                expected,
            } => {
                write!(
                    f,
                    "malformed coverage input `{}` at line {line}: expected {expected}",
                    path.display()
                )
            }
            CoverageError::UnknownFormat { path } => write!(
                f,
                "`{}` is not a coverage report: expected an LCOV tracefile, Cobertura XML or llvm-cov export JSON",
                path.display()
            ),
            CoverageError::NoWorkspaceFile { reports, sample } => {
                let names: Vec<String> = reports
                    .iter()
                    .map(|p| format!("`{}`", p.display()))
                    .collect();
                write!(
                    f,
                    "coverage report {} covers no file of the workspace",
                    names.join(", ")
                )?;
                if !sample.is_empty() {
                    write!(f, " (it names files such as {})", sample.join(", "))?;
                }
                Ok(())
            }
            CoverageError::Config(msg) => write!(f, "invalid [coverage] configuration: {msg}"),
            CoverageError::Git(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for CoverageError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CoverageError::Io { source, .. } => Some(source),
            CoverageError::Malformed { .. }
            | CoverageError::UnknownFormat { .. }
            | CoverageError::NoWorkspaceFile { .. }
            | CoverageError::Config(_)
            | CoverageError::Git(_) => None,
        }
    }
}

/// Covered and total counts of one metric.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(into = "CountsOut")]
pub struct Counts {
    pub covered: u64,
    pub total: u64,
}

impl Counts {
    pub fn new(covered: u64, total: u64) -> Counts {
        Counts { covered, total }
    }

    /// `100 * covered / total`, as llvm-cov, lcov and Cobertura compute it;
    /// `None` when there is nothing to measure.
    pub fn percent(self) -> Option<f64> {
        (self.total > 0).then(|| self.covered as f64 * 100.0 / self.total as f64)
    }

    pub fn missed(self) -> u64 {
        self.total.saturating_sub(self.covered)
    }

    pub fn add(&mut self, other: Counts) {
        self.covered = self.covered.saturating_add(other.covered);
        self.total = self.total.saturating_add(other.total);
    }

    /// Whether a tool's stated summary can describe the same file as the
    /// records counted here. llvm-cov's summaries count a line once per
    /// function that holds it (a closure and its enclosing function), so a
    /// truthful summary may count more lines, more hit lines and more missed
    /// lines than the records, never fewer.
    pub fn can_summarize(self, records: Counts) -> bool {
        self.covered <= self.total
            && self.total >= records.total
            && self.covered >= records.covered
            && self.missed() >= records.missed()
    }
}

#[derive(Serialize)]
struct CountsOut {
    covered: u64,
    total: u64,
    percent: Option<f64>,
}

impl From<Counts> for CountsOut {
    fn from(c: Counts) -> CountsOut {
        CountsOut {
            covered: c.covered,
            total: c.total,
            percent: c.percent(),
        }
    }
}

/// Coverage of one source file as a report states it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FileCoverage {
    /// Executable lines and their hit counts.
    pub lines: BTreeMap<u32, u64>,
    /// Functions by start `(line, column)` (column 0 when the format has none);
    /// instantiations of one generic function share a start, so they count
    /// once, covered if any ran, as llvm-cov's report counts them.
    pub functions: BTreeMap<(u32, u32), u64>,
    /// Branch outcomes by `(line, id)`: taken or not.
    pub branches: BTreeMap<(u32, String), bool>,
    /// Region counts (llvm-cov JSON only).
    pub regions: Option<Counts>,
    /// The line counts the tool itself stated for this file (LCOV `LF`/`LH`,
    /// llvm-cov JSON `summary.lines`), kept while one report alone describes
    /// the file. llvm-cov sums line counts over functions, so a line shared
    /// by a function and a closure in it counts twice in its summary, but
    /// once in the per-line data; the stated figures match the tool's own.
    pub stated_lines: Option<Counts>,
}

impl FileCoverage {
    /// Line counts as the tool states them, else counted from the lines.
    pub fn line_counts(&self) -> Counts {
        if let Some(stated) = self.stated_lines {
            return stated;
        }
        Counts::new(
            self.lines.values().filter(|&&h| h > 0).count() as u64,
            self.lines.len() as u64,
        )
    }

    pub fn function_counts(&self) -> Counts {
        Counts::new(
            self.functions.values().filter(|&&h| h > 0).count() as u64,
            self.functions.len() as u64,
        )
    }

    pub fn branch_counts(&self) -> Counts {
        Counts::new(
            self.branches.values().filter(|&&t| t).count() as u64,
            self.branches.len() as u64,
        )
    }

    /// Merges another report's view of the same file: a line, function or
    /// branch is covered if any report covers it.
    pub fn merge(&mut self, other: &FileCoverage) {
        let fresh =
            self.lines.is_empty() && self.functions.is_empty() && self.stated_lines.is_none();
        self.stated_lines = if fresh { other.stated_lines } else { None };
        for (&line, &hits) in &other.lines {
            let e = self.lines.entry(line).or_insert(0);
            *e = (*e).saturating_add(hits);
        }
        // LCOV and Cobertura know a function's start line only, llvm-cov JSON
        // its column too: across such reports, functions match by line.
        let has_columns = |f: &BTreeMap<(u32, u32), u64>| f.keys().any(|k| k.1 != 0);
        let by_line = !self.functions.is_empty()
            && !other.functions.is_empty()
            && has_columns(&self.functions) != has_columns(&other.functions);
        if by_line {
            for ((line, _), hits) in std::mem::take(&mut self.functions) {
                let e = self.functions.entry((line, 0)).or_insert(0);
                *e = (*e).saturating_add(hits);
            }
        }
        for (&(line, column), &hits) in &other.functions {
            let key = (line, if by_line { 0 } else { column });
            let e = self.functions.entry(key).or_insert(0);
            *e = (*e).saturating_add(hits);
        }
        for (key, &taken) in &other.branches {
            let e = self.branches.entry(key.clone()).or_insert(false);
            *e |= taken;
        }
        // Regions cannot be matched one by one across reports: keep the best.
        self.regions = match (self.regions, other.regions) {
            (Some(a), Some(b)) => {
                let wide = |n: u64| u128::from(n);
                Some(
                    if wide(b.covered) * wide(a.total.max(1))
                        > wide(a.covered) * wide(b.total.max(1))
                    {
                        b
                    } else {
                        a
                    },
                )
            }
            (a, b) => a.or(b),
        };
    }
}

/// One parsed report: files by the path the report names them with.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    pub files: BTreeMap<String, FileCoverage>,
    /// Inconsistencies that do not stop the gate (a summary that disagrees
    /// with its records), each naming the report and the file.
    pub warnings: Vec<String>,
}

impl Report {
    fn file(&mut self, path: &str) -> &mut FileCoverage {
        self.files.entry(path.to_owned()).or_default()
    }
}

/// The summary a tool stated for a file, if it can describe the file's
/// records (see [`Counts::can_summarize`]); otherwise a warning naming the
/// report and the file, and the records are used.
pub(crate) fn checked_summary(
    report: &Path,
    file: &str,
    what: &str,
    stated: Counts,
    cov: &FileCoverage,
    warnings: &mut Vec<String>,
) -> Option<Counts> {
    let records = Counts::new(
        cov.lines.values().filter(|&&h| h > 0).count() as u64,
        cov.lines.len() as u64,
    );
    if stated.can_summarize(records) {
        return Some(stated);
    }
    warnings.push(format!(
        "warning: the {what} of `{file}` in `{}` ({} of {} lines covered) disagrees with its line records ({} of {}): the records are used",
        report.display(),
        stated.covered,
        stated.total,
        records.covered,
        records.total
    ));
    None
}

/// The formats rustgate reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Lcov,
    Cobertura,
    LlvmJson,
}

/// The format of a report, from its content.
pub fn detect_format(text: &str) -> Option<Format> {
    let head = text.trim_start_matches('\u{feff}').trim_start();
    if head.starts_with('{') {
        Some(Format::LlvmJson)
    } else if head.starts_with('<') {
        Some(Format::Cobertura)
    } else if head
        .lines()
        .take(50)
        .any(|l| l.starts_with("SF:") || l.starts_with("TN:"))
    {
        Some(Format::Lcov)
    } else {
        None
    }
}

/// Parses one report of any supported format; `path` names it in errors.
pub fn parse_report(path: &Path, text: &str) -> Result<Report, CoverageError> {
    match detect_format(text) {
        Some(Format::Lcov) => lcov::parse(path, text),
        Some(Format::Cobertura) => cobertura::parse(path, text),
        Some(Format::LlvmJson) => llvm_json::parse(path, text),
        None => Err(CoverageError::UnknownFormat {
            path: path.to_owned(),
        }),
    }
}

/// The largest report or diff read: 1 GiB (llvm-cov JSON of a large
/// workspace runs to hundreds of MB). A link to `/dev/zero` or a stream
/// without end stops there with an error, instead of taking all memory.
pub const MAX_REPORT_BYTES: u64 = 1 << 30;

pub(crate) fn read_text(path: &Path) -> Result<String, CoverageError> {
    read_text_bounded(path, MAX_REPORT_BYTES)
}

/// [`read_text`] with the limit as a parameter (tests use a small one). Not
/// only regular files: `--coverage <(cargo llvm-cov report --lcov)` is a pipe.
pub(crate) fn read_text_bounded(path: &Path, limit: u64) -> Result<String, CoverageError> {
    use std::io::Read;
    let io = |source| CoverageError::Io {
        path: path.to_owned(),
        source,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(io(std::io::Error::other(format!(
            "larger than {limit} bytes"
        ))));
    }
    String::from_utf8(bytes)
        .map_err(|e| io(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
}

/// Reads the reports and the diff of `cfg`, and gates them.
pub fn run(
    cfg: &CoverageConfig,
    workspace_root: &Path,
    files: &[WorkspaceFile],
) -> Result<CoverageOutcome, CoverageError> {
    gate::validate(cfg, files)?;
    if cfg.reports.is_empty() {
        return Err(CoverageError::Config("no coverage report given".to_owned()));
    }
    let rel_paths: Vec<&str> = files.iter().map(|f| f.rel_path.as_str()).collect();
    let mapper = map::PathMapper::new(workspace_root, &rel_paths);
    let mut merged: BTreeMap<String, FileCoverage> = BTreeMap::new();
    let mut notes = Vec::new();
    let mut unmatched = Vec::new();
    let mut report_names = Vec::new();
    for report_path in &cfg.reports {
        let path = if report_path.is_absolute() {
            report_path.clone()
        } else {
            workspace_root.join(report_path)
        };
        let report = parse_report(&path, &read_text(&path)?)?;
        notes.extend(report.warnings.iter().cloned());
        let mapped = mapper.map_report(&report);
        for (rel, cov) in &mapped.files {
            merged.entry(rel.clone()).or_default().merge(cov);
        }
        unmatched.extend(mapped.unmatched);
        report_names.push(report_path.display().to_string());
    }
    if merged.is_empty() {
        unmatched.truncate(3);
        return Err(CoverageError::NoWorkspaceFile {
            reports: cfg.reports.clone(),
            sample: unmatched.iter().map(|p| format!("`{p}`")).collect(),
        });
    }
    unmatched.sort();
    unmatched.dedup();
    if !unmatched.is_empty() {
        notes.push(format!(
            "{} coverage report entr{} match no workspace file: {}",
            unmatched.len(),
            if unmatched.len() == 1 {
                "y does"
            } else {
                "ies do"
            },
            unmatched.join(", ")
        ));
    }

    let changes = if let Some(diff_file) = &cfg.diff_file {
        let path = if diff_file.is_absolute() {
            diff_file.clone()
        } else {
            workspace_root.join(diff_file)
        };
        Some(diff::parse_unified(&path, &read_text(&path)?)?)
    } else if let Some(base) = &cfg.diff_base {
        Some(diff::git_changes(workspace_root, base)?)
    } else {
        None
    };
    let changes = changes.map(|c| mapper.map_changes(&c));

    let mut outcome = gate::gate(cfg, workspace_root, files, &merged, changes.as_ref())?;
    outcome.summary.reports = report_names;
    outcome.summary.unmatched = unmatched;
    notes.append(&mut outcome.notes);
    outcome.notes = notes;
    Ok(outcome)
}
