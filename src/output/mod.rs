//! Output formats, one file each. Every format renders the same sorted
//! diagnostics, so output never depends on thread timing.

use std::io::{self, Write};

use rustgate_rules::{Diagnostic, Severity};

use crate::engine::Run;

pub mod cargo;
pub mod concise;
pub mod coverage_table;
pub mod github;
pub mod human;
pub mod json;
pub mod sarif;
pub mod summary;

/// An output format for `--format` and `--output FORMAT=PATH`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Code snippets and a summary (default).
    Human,
    /// One line per finding: `path:line:col: CODE [severity] message`.
    Concise,
    /// A stable JSON document (see README).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// A Markdown report for GitHub's job summary ($GITHUB_STEP_SUMMARY).
    Summary,
    /// Cargo's JSON messages (`compiler-message`), for rust-analyzer's check command.
    Cargo,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        <Format as clap::ValueEnum>::from_str(s, true).ok()
    }
}

/// Renders `run` in `format` to `w`. `color` applies to `human` only.
pub fn render(format: Format, run: &Run, w: &mut dyn Write, color: bool) -> io::Result<()> {
    match format {
        Format::Human => human::render(run, w, color),
        Format::Concise => concise::render(run, w),
        Format::Json => json::render(run, w),
        Format::Sarif => sarif::render(run, w),
        Format::Github => github::render(run, w),
        Format::Summary => summary::render(run, w),
        Format::Cargo => cargo::render(run, w),
    }
}

/// Counts of active findings by severity: (errors, warnings, notes).
pub fn counts(run: &Run) -> (usize, usize, usize) {
    let count = |s: Severity| run.active().filter(|d| d.severity == s).count();
    (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Note),
    )
}

/// `3 errors, 1 warning` (or `no findings`).
pub fn counts_text(run: &Run) -> String {
    let (e, w, n) = counts(run);
    let mut parts = Vec::new();
    for (count, word) in [(e, "error"), (w, "warning"), (n, "note")] {
        if count > 0 {
            parts.push(format!(
                "{count} {word}{}",
                if count == 1 { "" } else { "s" }
            ));
        }
    }
    if parts.is_empty() {
        "no findings".to_owned()
    } else {
        parts.join(", ")
    }
}

/// Active findings, in output order.
pub fn active(run: &Run) -> Vec<&Diagnostic> {
    run.active().collect()
}

/// In GitHub Actions, paths are relative to the repository
/// (`$GITHUB_WORKSPACE`), which may be above the checked workspace: the
/// prefix from the repository to the workspace root (`""` or `"dir/"`) and the
/// repository root. Outside Actions: `("", run.root)`.
pub fn repo_root(run: &Run) -> (String, std::path::PathBuf) {
    let outside = || (String::new(), run.root.clone());
    let Some(ws) = std::env::var_os("GITHUB_WORKSPACE").filter(|v| !v.is_empty()) else {
        return outside();
    };
    let Ok(ws) = std::fs::canonicalize(ws) else {
        return outside();
    };
    match run.root.strip_prefix(&ws) {
        Ok(rel) => {
            let rel = rel.to_string_lossy().replace('\\', "/");
            let prefix = if rel.is_empty() {
                rel
            } else {
                format!("{}/", rel.trim_end_matches('/'))
            };
            (prefix, ws)
        }
        Err(_) => outside(),
    }
}
