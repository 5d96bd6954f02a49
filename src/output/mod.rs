//! Output formats, one file each. Every format renders the same sorted
//! diagnostics, so output never depends on thread timing.

use std::io::{self, Write};

use rustgate_rules::{Diagnostic, Severity};

use crate::engine::Run;

pub mod cargo;
pub mod concise;
pub mod coverage_table;
pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod junit;
pub mod rdjson;
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
    /// GitLab Code Quality JSON (merge request widget).
    Gitlab,
    /// JUnit XML (Jenkins, Azure DevOps, CircleCI, GitLab test reports).
    Junit,
    /// reviewdog's Diagnostic Format, rdjson (`reviewdog -f=rdjson`).
    Rdjson,
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
        Format::Gitlab => gitlab::render(run, w),
        Format::Junit => junit::render(run, w),
        Format::Rdjson => rdjson::render(run, w),
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

/// When only new findings gate (`--baseline`, `--diff-base`, `--diff-file`):
/// `1 new finding gates the run; 3 on unchanged lines and 12 baselined do not`.
pub fn new_counts_text(run: &Run) -> Option<String> {
    if !run.new_code_only() {
        return None;
    }
    let (e, w, n) = run.new_counts();
    let new = e + w + n;
    let unchanged = run.active().count() - new;
    let baselined = run.baseline.as_ref().map_or(0, |b| b.accepted.len());
    let mut text = format!(
        "{new} new finding{} {} the run",
        if new == 1 { "" } else { "s" },
        if new == 1 { "gates" } else { "gate" }
    );
    let mut others = Vec::new();
    if unchanged > 0 {
        others.push(format!("{unchanged} on unchanged lines"));
    }
    if baselined > 0 {
        others.push(format!("{baselined} baselined"));
    }
    if !others.is_empty() {
        text.push_str(&format!("; {} do not", others.join(" and ")));
    }
    Some(text)
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
    repo_root_from(run, "GITHUB_WORKSPACE")
}

/// [`repo_root`] with the repository in the environment variable `var`
/// (GitLab: `CI_PROJECT_DIR`).
pub fn repo_root_from(run: &Run, var: &str) -> (String, std::path::PathBuf) {
    let outside = || (String::new(), run.root.clone());
    let Some(ws) = std::env::var_os(var).filter(|v| !v.is_empty()) else {
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

/// Text safe to print on a terminal or in a CI log: control characters
/// (ESC and the rest of C0 but tab, DEL, the C1 controls) and the bidi
/// overrides of "Trojan source" become escapes such as `\u{1b}`. Newlines
/// are kept when `keep_newlines` (multi-line notes), escaped otherwise.
pub fn escape_controls(s: &str, keep_newlines: bool) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| match c {
        '\t' => false,
        '\n' => !keep_newlines,
        _ => is_hostile(c),
    };
    if !s.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Characters that change what a terminal or a log viewer shows (C0 and C1
/// controls, DEL, bidirectional overrides and isolates).
pub fn is_hostile(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// One visible character in place of a hostile one, so a snippet keeps its
/// columns: the control pictures (`␛` for ESC) for C0 and DEL, `�` else.
pub fn picture(c: char) -> char {
    match c as u32 {
        n @ 0..=0x1f => char::from_u32(0x2400 + n).unwrap_or('\u{fffd}'),
        0x7f => '\u{2421}',
        _ => '\u{fffd}',
    }
}

/// Writes the file at `path` by replacing it: `render` writes a new file
/// beside it (created exclusively, so never through a link), which is then
/// renamed over `path`. A symlink the repository placed at `path` is
/// replaced, never written through, and a failed write leaves the old file.
pub fn write_replacing(
    path: &std::path::Path,
    render: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    let Some(name) = path.file_name() else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a file name",
        ));
    };
    let mut attempt = 0u32;
    let (tmp, file) = loop {
        let tmp = dir.join(format!(
            ".{}.rustgate-{}-{attempt}.tmp",
            name.to_string_lossy(),
            std::process::id()
        ));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(e),
        }
    };
    let mut w = io::BufWriter::new(file);
    let written = render(&mut w)
        .and_then(|()| w.flush())
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}
