//! llvm-cov export JSON (cargo-llvm-cov `--json`, `llvm-cov export`).
//!
//! Lines are recomputed from each file's segments exactly as llvm-cov's
//! `LineCoverageIterator` does (so they equal `llvm-cov report` and the LCOV
//! export of the same data); functions are grouped by start location like
//! llvm-cov's instantiation groups; regions come from the file summary.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Deserialize;

use super::{Counts, CoverageError, FileCoverage, Report};

#[derive(Deserialize)]
struct Export {
    #[serde(rename = "type")]
    kind: Option<String>,
    data: Vec<Data>,
}

#[derive(Deserialize)]
struct Data {
    files: Vec<File>,
    #[serde(default)]
    functions: Vec<Function>,
}

/// `[line, col, count, has_count, is_region_entry, is_gap_region]`.
type Segment = (u32, u32, u64, bool, bool, bool);
/// `[line_start, col_start, line_end, col_end, true_count, false_count, file_id, expanded_file_id, kind]`.
type Branch = (u32, u32, u32, u32, u64, u64, u32, u32, u32);
/// `[line_start, col_start, line_end, col_end, count, file_id, expanded_file_id, kind]`.
type Region = (u32, u32, u32, u32, u64, u32, u32, u32);

#[derive(Deserialize)]
struct File {
    filename: String,
    /// Absent in `-summary-only` exports.
    segments: Option<Vec<Segment>>,
    #[serde(default)]
    branches: Vec<Branch>,
    summary: Option<Summary>,
}

#[derive(Deserialize)]
struct Summary {
    lines: Option<CountSummary>,
    regions: Option<CountSummary>,
}

#[derive(Deserialize)]
struct CountSummary {
    count: u64,
    covered: u64,
}

#[derive(Deserialize)]
struct Function {
    count: u64,
    regions: Vec<Region>,
    filenames: Vec<String>,
}

/// Region kind of an expansion (a macro body in another file id).
const EXPANSION_REGION: u32 = 1;

pub fn parse(path: &Path, text: &str) -> Result<Report, CoverageError> {
    let export: Export = serde_json::from_str(text).map_err(|e| CoverageError::Malformed {
        path: path.to_owned(),
        line: e.line(),
        expected: format!("llvm-cov export JSON ({e})"),
    })?;
    if let Some(kind) = &export.kind
        && !kind.starts_with("llvm.coverage.json.export")
    {
        return Err(CoverageError::Malformed {
            path: path.to_owned(),
            line: 1,
            expected: format!("`\"type\": \"llvm.coverage.json.export\"`, found `{kind}`"),
        });
    }
    let mut report = Report::default();
    // Executable lines left for the whole report.
    let mut budget = super::MAX_REPORT_LINES;
    for data in &export.data {
        let mut names = BTreeSet::new();
        for file in &data.files {
            let Some(segments) = &file.segments else {
                return Err(CoverageError::Malformed {
                    path: path.to_owned(),
                    line: line_of(text, &file.filename),
                    expected: "per-file `segments` (export without `-summary-only`)".to_owned(),
                });
            };
            let bad = |expected: String| CoverageError::Malformed {
                path: path.to_owned(),
                line: line_of(text, &file.filename),
                expected,
            };
            let lines = line_coverage(segments, &mut budget).map_err(bad)?;
            if let Some(s) = &file.summary
                && [&s.lines, &s.regions]
                    .into_iter()
                    .flatten()
                    .any(|c| c.count > super::MAX_COUNT || c.covered > c.count)
            {
                return Err(bad(format!(
                    "summary counts of at most {} with `covered` <= `count` for `{}`",
                    super::MAX_COUNT,
                    file.filename
                )));
            }
            let mut cov = FileCoverage {
                lines,
                branches: branch_coverage(&file.branches),
                regions: file
                    .summary
                    .as_ref()
                    .and_then(|s| s.regions.as_ref())
                    .map(|r| Counts::new(r.covered, r.count)),
                ..FileCoverage::default()
            };
            if let Some(l) = file.summary.as_ref().and_then(|s| s.lines.as_ref()) {
                cov.stated_lines = super::checked_summary(
                    path,
                    &file.filename,
                    "`summary.lines`",
                    Counts::new(l.covered, l.count),
                    &cov,
                    &mut report.warnings,
                );
            }
            report.file(&file.filename).merge(&cov);
            names.insert(file.filename.as_str());
        }
        // Functions of the exported files, grouped by start like llvm-cov's
        // instantiation groups: a group ran if any instantiation ran.
        let mut groups: BTreeMap<(&str, u32, u32), u64> = BTreeMap::new();
        for f in &data.functions {
            let Some(&(line, col, _, _, _, file_id, _, _)) = f.regions.first() else {
                continue;
            };
            let Some(main) = main_file(f) else { continue };
            if main != file_id as usize {
                continue;
            }
            let Some(name) = f.filenames.get(main).filter(|n| names.contains(n.as_str())) else {
                continue;
            };
            let e = groups.entry((name.as_str(), line, col)).or_insert(0);
            *e = (*e).saturating_add(f.count);
        }
        for ((name, line, col), count) in groups {
            let e = report.file(name).functions.entry((line, col)).or_insert(0);
            *e = (*e).saturating_add(count);
        }
    }
    Ok(report)
}

/// The file id of a function that no expansion region expands into: its body.
fn main_file(f: &Function) -> Option<usize> {
    let expanded: BTreeSet<u32> = f
        .regions
        .iter()
        .filter(|r| r.7 == EXPANSION_REGION)
        .map(|r| r.6)
        .collect();
    (0..f.filenames.len()).find(|id| !expanded.contains(&(*id as u32)))
}

/// llvm-cov's `LineCoverageIterator` + `LineCoverageStats`: a line is mapped
/// (executable) unless it starts a skipped region, when a region entry with a
/// count starts on it or a counted region wraps onto it; its count is the
/// largest of the wrapping region and the non-gap region entries on it.
///
/// Segments must come in line order with lines of at most
/// [`super::MAX_LINE`], and the report may not map more than `budget` lines
/// in all: a hostile report is an error, never a loop over four billion lines.
fn line_coverage(segments: &[Segment], budget: &mut usize) -> Result<BTreeMap<u32, u64>, String> {
    let mut lines = BTreeMap::new();
    let mut wrapped: Option<&Segment> = None;
    let mut i = 0;
    let Some(first) = segments.first() else {
        return Ok(lines);
    };
    if let Some(w) = segments.windows(2).find(|w| w[1].0 < w[0].0) {
        return Err(format!(
            "`segments` in line order (line {} after line {})",
            w[1].0, w[0].0
        ));
    }
    if let Some(last) = segments.last()
        && last.0 > super::MAX_LINE
    {
        return Err(format!(
            "segment lines of at most {} (found {})",
            super::MAX_LINE,
            last.0
        ));
    }
    let mut line = first.0;
    while i < segments.len() {
        let start = i;
        while i < segments.len() && segments[i].0 == line {
            i += 1;
        }
        let on_line = &segments[start..i];
        let is_start = |s: &&Segment| !s.5 && s.3 && s.4;
        let min_region_count = on_line.iter().filter(is_start).take(2).count();
        let start_of_skipped = on_line.first().is_some_and(|s| !s.3 && s.4);
        let mut mapped =
            !start_of_skipped && (wrapped.is_some_and(|w| w.3) || min_region_count > 0);
        mapped |= on_line.iter().any(|s| s.4 && s.3);
        if mapped {
            let mut count = wrapped.map_or(0, |w| w.2);
            if min_region_count > 0 {
                for s in on_line.iter().filter(is_start) {
                    count = count.max(s.2);
                }
            }
            if *budget == 0 {
                return Err(format!(
                    "a report of at most {} executable lines",
                    super::MAX_REPORT_LINES
                ));
            }
            *budget -= 1;
            lines.insert(line, count);
        }
        if let Some(last) = on_line.last() {
            wrapped = Some(last);
        }
        line += 1;
    }
    Ok(lines)
}

/// Each branch region is two outcomes, as llvm-cov counts them.
fn branch_coverage(branches: &[Branch]) -> BTreeMap<(u32, String), bool> {
    let mut out = BTreeMap::new();
    for b in branches {
        out.insert((b.0, format!("{}:{}:t", b.1, b.6)), b.4 > 0);
        out.insert((b.0, format!("{}:{}:f", b.1, b.6)), b.5 > 0);
    }
    out
}

/// The line of the first mention of `needle` in `text`, for error messages.
fn line_of(text: &str, needle: &str) -> usize {
    text.find(needle)
        .map_or(1, |pos| text[..pos].matches('\n').count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_names_file_and_line() {
        let text = "{\n  \"data\": [{\"files\": [\n    {\"filename\": \"a.rs\", \"segments\": [[1, 2, \"x\", true, true, false]]}\n  ]}]\n}";
        let msg = parse(Path::new("cov.json"), text)
            .expect_err("bad")
            .to_string();
        assert!(
            msg.contains("cov.json")
                && msg.contains("line 3")
                && msg.contains("llvm-cov export JSON"),
            "{msg}"
        );
    }

    #[test]
    fn summary_only_export_is_rejected() {
        let text = "{\"data\": [{\"files\": [\n{\"filename\": \"a.rs\", \"summary\": {}}]}]}";
        let msg = parse(Path::new("s.json"), text)
            .expect_err("no segments")
            .to_string();
        assert!(msg.contains("line 2") && msg.contains("segments"), "{msg}");
    }

    #[test]
    fn lines_from_segments() {
        // fn at line 1 (count 1) spanning to line 3, a skipped region on 5.
        let segs = [
            (1, 1, 1, true, true, false),
            (2, 5, 0, true, true, false),
            (2, 9, 1, true, false, false),
            (3, 2, 0, false, false, false),
            (5, 1, 0, false, true, false),
            (5, 9, 0, false, false, false),
        ];
        let lines = line_coverage(&segs, &mut 100).expect("in order");
        assert_eq!(lines, BTreeMap::from([(1, 1), (2, 1), (3, 1)]));
    }
}
