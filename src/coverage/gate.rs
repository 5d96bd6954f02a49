//! Thresholds -> diagnostics (RGC01..RGC04) and the [`CoverageSummary`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use globset::{GlobBuilder, GlobMatcher};
use rustgate_rules::rules::coverage::{
    CoverageBelowThreshold, FileCoverageBelowThreshold, PatchCoverageBelowThreshold,
    UncoveredChangedLines,
};
use rustgate_rules::{Diagnostic, Span};
use serde::Serialize;

use super::diff::Changes;
use super::{Counts, CoverageConfig, CoverageError, CoverageOutcome, FileCoverage, WorkspaceFile};

/// How many of the worst files the summary keeps.
pub const WORST_FILES: usize = 10;

/// The figures for the human table, the JSON output and SARIF run properties.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CoverageSummary {
    /// The report files, as given.
    pub reports: Vec<String>,
    pub lines: Counts,
    pub functions: Counts,
    /// Present when the reports have branch data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branches: Option<Counts>,
    /// Present when the reports have region data (llvm-cov JSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regions: Option<Counts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<PatchSummary>,
    /// Workspace files the reports cover.
    pub files_covered: usize,
    /// The least covered files (most missed lines first among equal
    /// percentages), at most [`WORST_FILES`], only files with missed lines.
    pub worst_files: Vec<FileSummary>,
    /// Report entries that match no workspace file.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmatched: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FileSummary {
    pub path: String,
    pub package: String,
    pub lines: Counts,
}

/// Coverage of the changed lines the reports count as executable.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PatchSummary {
    pub lines: Counts,
    /// Changed lines in workspace files, executable or not.
    pub changed_lines: u64,
    pub files_changed: usize,
}

/// Checks `[coverage]` before any report is read.
pub fn validate(cfg: &CoverageConfig, files: &[WorkspaceFile]) -> Result<(), CoverageError> {
    let named = [
        ("min-line-coverage", cfg.min_line_coverage),
        ("min-function-coverage", cfg.min_function_coverage),
        ("min-branch-coverage", cfg.min_branch_coverage),
        ("min-region-coverage", cfg.min_region_coverage),
        ("min-file-coverage", cfg.min_file_coverage),
        ("min-patch-coverage", cfg.min_patch_coverage),
    ];
    let packages = cfg
        .packages
        .iter()
        .map(|(k, v)| (format!("packages.\"{k}\""), *v));
    let paths = cfg
        .paths
        .iter()
        .map(|(k, v)| (format!("paths.\"{k}\""), *v));
    for (key, value) in named
        .iter()
        .filter_map(|(k, v)| v.map(|v| ((*k).to_owned(), v)))
        .chain(packages)
        .chain(paths)
    {
        if !(0.0..=100.0).contains(&value) {
            return Err(CoverageError::Config(format!(
                "`{key}` is {value}: expected a percentage from 0 to 100"
            )));
        }
    }
    let known: BTreeSet<&str> = files.iter().map(|f| f.package.as_str()).collect();
    if let Some(unknown) = cfg.packages.keys().find(|p| !known.contains(p.as_str())) {
        return Err(CoverageError::Config(format!(
            "`packages.\"{unknown}\"` names no package of the workspace (known: {})",
            known.iter().copied().collect::<Vec<_>>().join(", ")
        )));
    }
    if cfg.diff_base.is_some() && cfg.diff_file.is_some() {
        return Err(CoverageError::Config(
            "`diff-base` and `diff-file` exclude each other".to_owned(),
        ));
    }
    globs(cfg).map(|_| ())
}

fn globs(cfg: &CoverageConfig) -> Result<Vec<(&str, GlobMatcher, f64)>, CoverageError> {
    cfg.paths
        .iter()
        .map(|(pattern, min)| {
            GlobBuilder::new(pattern)
                .literal_separator(true)
                .build()
                .map(|g| (pattern.as_str(), g.compile_matcher(), *min))
                .map_err(|e| CoverageError::Config(format!("`paths.\"{pattern}\"`: {e}")))
        })
        .collect()
}

/// Gates merged coverage (by workspace path) and the changed lines.
pub fn gate(
    cfg: &CoverageConfig,
    workspace_root: &Path,
    files: &[WorkspaceFile],
    coverage: &BTreeMap<String, FileCoverage>,
    changes: Option<&Changes>,
) -> Result<CoverageOutcome, CoverageError> {
    let package_of: BTreeMap<&str, &str> = files
        .iter()
        .map(|f| (f.rel_path.as_str(), f.package.as_str()))
        .collect();
    let mut diagnostics = Vec::new();
    let mut notes = Vec::new();
    let mut summary = CoverageSummary {
        files_covered: coverage.len(),
        ..CoverageSummary::default()
    };

    let (mut branches, mut regions) = (Counts::default(), None::<Counts>);
    for cov in coverage.values() {
        summary.lines.add(cov.line_counts());
        summary.functions.add(cov.function_counts());
        branches.add(cov.branch_counts());
        if let Some(r) = cov.regions {
            regions.get_or_insert_default().add(r);
        }
    }
    summary.branches = (branches.total > 0).then_some(branches);
    summary.regions = regions;

    // Totals: RGC01 at the workspace manifest.
    let totals = [
        ("line", Some(summary.lines), cfg.min_line_coverage),
        (
            "function",
            Some(summary.functions),
            cfg.min_function_coverage,
        ),
        ("branch", summary.branches, cfg.min_branch_coverage),
        ("region", summary.regions, cfg.min_region_coverage),
    ];
    for (metric, counts, min) in totals {
        if let (Some(counts), Some(min)) = (counts, min)
            && let Some(pct) = counts.percent()
            && pct < min
        {
            diagnostics.push(
                Diagnostic::new(
                    &CoverageBelowThreshold::META,
                    "Cargo.toml",
                    Span::lines(1, 1),
                    format!(
                        "total {metric} coverage is {} ({} of {} {metric}s), below the minimum of {}",
                        fmt_pct(pct, min),
                        counts.covered,
                        counts.total,
                        fmt_min(min)
                    ),
                )
                .with_help(format!("add tests for the least covered files, or lower `min-{metric}-coverage`")),
            );
        }
    }

    // Per package: RGC01 at the package's manifest.
    for (package, &min) in &cfg.packages {
        let mut counts = Counts::default();
        let mut package_files = Vec::new();
        for (path, cov) in coverage {
            if package_of.get(path.as_str()) == Some(&package.as_str()) {
                counts.add(cov.line_counts());
                package_files.push(path.as_str());
            }
        }
        if let Some(pct) = counts.percent()
            && pct < min
        {
            let manifest = package_manifest(workspace_root, files, package);
            diagnostics.push(
                Diagnostic::new(
                    &CoverageBelowThreshold::META,
                    &manifest,
                    Span::lines(1, 1),
                    format!(
                        "line coverage of package `{package}` is {} ({} of {} lines), below the minimum of {}",
                        fmt_pct(pct, min),
                        counts.covered,
                        counts.total,
                        fmt_min(min)
                    ),
                )
                .with_help(format!("add tests to `{package}`, or lower `[coverage.packages]` for it")),
            );
        }
    }

    // Per path glob: RGC01 at the least covered file under the glob.
    for (pattern, matcher, min) in globs(cfg)? {
        let mut counts = Counts::default();
        let mut worst: Option<(&str, f64)> = None;
        for (path, cov) in coverage
            .iter()
            .filter(|(p, _)| matcher.is_match(p.as_str()))
        {
            let c = cov.line_counts();
            counts.add(c);
            if let Some(p) = c.percent()
                && worst.is_none_or(|(_, w)| p < w)
            {
                worst = Some((path, p));
            }
        }
        if let (Some(pct), Some((worst_path, _))) = (counts.percent(), worst)
            && pct < min
        {
            diagnostics.push(
                Diagnostic::new(
                    &CoverageBelowThreshold::META,
                    worst_path,
                    Span::lines(1, 1),
                    format!(
                        "line coverage of `{pattern}` is {} ({} of {} lines), below the minimum of {}",
                        fmt_pct(pct, min),
                        counts.covered,
                        counts.total,
                        fmt_min(min)
                    ),
                )
                .with_help("add tests for the files under this path; this is its least covered file"),
            );
        }
    }

    // Per file: RGC02 at the file.
    let mut file_rows = Vec::new();
    for (path, cov) in coverage {
        let c = cov.line_counts();
        let Some(pct) = c.percent() else { continue };
        if let Some(min) = cfg.min_file_coverage
            && pct < min
        {
            diagnostics.push(
                Diagnostic::new(
                    &FileCoverageBelowThreshold::META,
                    path,
                    Span::lines(1, 1),
                    format!(
                        "line coverage of this file is {} ({} of {} lines), below the minimum of {}",
                        fmt_pct(pct, min),
                        c.covered,
                        c.total,
                        fmt_min(min)
                    ),
                )
                .with_help("add tests that run the uncovered lines of this file"),
            );
        }
        if c.missed() > 0 {
            file_rows.push((pct, c.missed(), path));
        }
    }
    file_rows.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(b.2)));
    summary.worst_files = file_rows
        .into_iter()
        .take(WORST_FILES)
        .map(|(_, _, path)| FileSummary {
            path: path.clone(),
            package: package_of
                .get(path.as_str())
                .copied()
                .unwrap_or_default()
                .to_owned(),
            lines: coverage
                .get(path)
                .map(FileCoverage::line_counts)
                .unwrap_or_default(),
        })
        .collect();

    if let Some(changes) = changes {
        patch(
            cfg,
            coverage,
            changes,
            &mut diagnostics,
            &mut notes,
            &mut summary,
        );
    }
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok(CoverageOutcome {
        diagnostics,
        summary,
        notes,
    })
}

/// Patch coverage (RGC03) and one RGC04 per range of uncovered changed lines.
fn patch(
    cfg: &CoverageConfig,
    coverage: &BTreeMap<String, FileCoverage>,
    changes: &Changes,
    diagnostics: &mut Vec<Diagnostic>,
    notes: &mut Vec<String>,
    summary: &mut CoverageSummary,
) {
    let mut patch = PatchSummary {
        files_changed: changes.len(),
        ..PatchSummary::default()
    };
    let mut first_uncovered: Option<(&str, u32)> = None;
    for (path, changed) in changes {
        patch.changed_lines += changed.len() as u64;
        // Changed files the reports do not know: no executable lines to count.
        let Some(cov) = coverage.get(path) else {
            continue;
        };
        let mut range: Option<(u32, u32)> = None;
        let mut flush = |range: &mut Option<(u32, u32)>| {
            if let Some((first, last)) = range.take() {
                let n = cov
                    .lines
                    .range(first..=last)
                    .filter(|(l, h)| **h == 0 && changed.contains(l))
                    .count();
                let what = if n == 1 {
                    "changed line is".to_owned()
                } else {
                    format!("{n} changed lines are")
                };
                diagnostics.push(
                    Diagnostic::new(
                        &UncoveredChangedLines::META,
                        path,
                        Span::lines(first, last),
                        format!("{what} not covered by any test"),
                    )
                    .with_help("add a test that runs these lines"),
                );
            }
        };
        // Walk the executable lines: a covered or unchanged executable line
        // ends a range; non-executable lines (blank, comments) do not.
        for (&line, &hits) in &cov.lines {
            let is_changed = changed.contains(&line);
            if is_changed {
                patch.lines.total += 1;
                if hits > 0 {
                    patch.lines.covered += 1;
                }
            }
            if is_changed && hits == 0 {
                first_uncovered.get_or_insert((path, line));
                range = Some(range.map_or((line, line), |(f, _)| (f, line)));
            } else {
                flush(&mut range);
            }
        }
        flush(&mut range);
    }
    if patch.changed_lines == 0 {
        notes
            .push("the diff changes no line of a workspace file: patch coverage passes".to_owned());
    } else if patch.lines.total == 0 {
        notes.push("the diff changes no line the coverage reports count as executable: patch coverage passes".to_owned());
    }
    if let (Some(min), Some(pct)) = (cfg.min_patch_coverage, patch.lines.percent())
        && pct < min
    {
        let (path, line) = first_uncovered.unwrap_or(("Cargo.toml", 1));
        diagnostics.push(
            Diagnostic::new(
                &PatchCoverageBelowThreshold::META,
                path,
                Span::lines(line, line),
                format!(
                    "patch coverage is {} ({} of {} changed executable lines), below the minimum of {}",
                    fmt_pct(pct, min),
                    patch.lines.covered,
                    patch.lines.total,
                    fmt_min(min)
                ),
            )
            .with_help("add tests for the changed lines reported as uncovered (RGC04)"),
        );
    }
    summary.patch = Some(patch);
}

/// The manifest of a package: the directory its files share, minus `src/`.
fn package_manifest(workspace_root: &Path, files: &[WorkspaceFile], package: &str) -> String {
    let dirs: Vec<Vec<&str>> = files
        .iter()
        .filter(|f| f.package == package)
        .map(|f| {
            let mut parts: Vec<&str> = f.rel_path.split('/').collect();
            parts.pop();
            parts
        })
        .collect();
    let Some(first) = dirs.first() else {
        return "Cargo.toml".to_owned();
    };
    let mut common = first.len();
    for d in &dirs[1..] {
        common = common.min(first.iter().zip(d).take_while(|(a, b)| a == b).count());
    }
    // Walk up from the common directory to the nearest Cargo.toml.
    for len in (0..=common).rev() {
        let dir = first[..len].join("/");
        let manifest = if dir.is_empty() {
            "Cargo.toml".to_owned()
        } else {
            format!("{dir}/Cargo.toml")
        };
        if workspace_root.join(&manifest).is_file() {
            return manifest;
        }
    }
    "Cargo.toml".to_owned()
}

/// A percentage with two decimals, as the tools print it; with more when two
/// would round a failing figure up to the minimum.
pub fn fmt_pct(pct: f64, min: f64) -> String {
    let two = format!("{pct:.2}%");
    if pct < min && format!("{pct:.2}") == format!("{min:.2}") {
        format!("{pct:.4}%")
    } else {
        two
    }
}

fn fmt_min(min: f64) -> String {
    if min.fract() == 0.0 {
        format!("{min:.0}%")
    } else {
        format!("{min}%")
    }
}
