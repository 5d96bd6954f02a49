//! Gating new code only: the baseline file (`rustgate baseline`,
//! `check --baseline`) and `--diff-base`.
//!
//! A baseline records findings by rule and content fingerprint
//! ([`crate::fingerprint`]). A finding matches an entry with the same rule and
//! fingerprint, preferring one at the same path, so line shifts and file moves
//! of unchanged code do not bring baselined findings back.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::Run;
use crate::fingerprint;

/// A baseline that cannot be used, or a diff base git cannot resolve: exit 2.
#[derive(Debug)]
pub enum BaselineError {
    Read(PathBuf, std::io::Error),
    Invalid(PathBuf, serde_json::Error),
    Version(PathBuf, u32),
    /// An entry of a rule that always gates (RG901, RG905): (path, entry
    /// index from 1, rule).
    AlwaysGates(PathBuf, usize, String),
    Write(PathBuf, std::io::Error),
    DiffBase(crate::coverage::CoverageError),
}

impl fmt::Display for BaselineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BaselineError::Read(p, e) => write!(f, "cannot read baseline {}: {e}", p.display()),
            BaselineError::Invalid(p, e) => write!(f, "invalid baseline {}: {e}", p.display()),
            BaselineError::Version(p, v) => write!(
                f,
                "baseline {} has version {v}, this rustgate reads version {VERSION}: record it again with `rustgate baseline`",
                p.display()
            ),
            BaselineError::AlwaysGates(p, i, rule) => write!(
                f,
                "baseline {} holds a {rule} finding (entry {i}): {rule} always gates and cannot be baselined; fix the file, or record the baseline again with `rustgate baseline`",
                p.display()
            ),
            BaselineError::Write(p, e) => write!(f, "cannot write {}: {e}", p.display()),
            BaselineError::DiffBase(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for BaselineError {}

/// Findings a baseline never holds: what rustgate could not read or check
/// always gates, so a broken file never hides new code.
pub const ALWAYS_GATE: [&str; 2] = ["RG901", "RG905"];

/// The largest baseline read: about 300,000 findings.
pub const MAX_BYTES: u64 = 64 << 20;

/// Bumped on any incompatible change of the file.
pub const VERSION: u32 = 1;

/// `rustgate-baseline.json`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
}

/// One recorded finding. `line` and `message` are for readers only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub rule: String,
    pub path: String,
    pub fingerprint: String,
    #[serde(default)]
    pub line: u32,
    #[serde(default)]
    pub message: String,
}

/// A baseline applied to a run ([`crate::engine::Run::baseline`]).
#[derive(Debug, Default)]
pub struct Outcome {
    /// The findings the baseline accepted: not reported and never gating,
    /// kept for SARIF (`baselineState: unchanged`) and the counts.
    pub accepted: Vec<rustgate_rules::Diagnostic>,
    /// Entries no finding matched any more (SARIF `baselineState: absent`).
    pub fixed: Vec<Entry>,
}

/// What applying a baseline did to a run.
#[derive(Debug, Default)]
pub struct Applied {
    /// Findings hidden because the baseline has them.
    pub matched: usize,
    /// Baseline entries no finding matched any more: fixed (or edited).
    pub fixed: Vec<Entry>,
    /// The baseline as `--update-baseline` writes it: the matched entries at
    /// their current place, fixed ones dropped, new findings not added.
    pub updated: Baseline,
}

impl Baseline {
    /// The active findings of `run`.
    pub fn record(run: &Run) -> Baseline {
        let prints = fingerprint::compute(&run.diagnostics, &|p| run.source_text(p));
        let findings = run
            .diagnostics
            .iter()
            .zip(prints)
            .filter(|(d, _)| d.suppressed.is_none() && !ALWAYS_GATE.contains(&d.rule.code))
            .map(|(d, f)| Entry {
                rule: d.rule.code.to_owned(),
                path: d.primary.path.clone(),
                fingerprint: f.content,
                line: d.primary.span.start.line,
                message: d.message.clone(),
            })
            .collect();
        Baseline {
            version: VERSION,
            findings,
        }
    }

    /// Reads a baseline file: a regular file (never a FIFO, which would
    /// block, or a device such as `/dev/zero`), of at most [`MAX_BYTES`].
    pub fn read(path: &Path) -> Result<Baseline, BaselineError> {
        let read = |e| BaselineError::Read(path.to_owned(), e);
        let bytes = crate::workspace::read_bounded(path, MAX_BYTES).map_err(read)?;
        let text = String::from_utf8(bytes)
            .map_err(|e| read(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
        Baseline::parse(path, &text)
    }

    /// Parses and checks the text of a baseline; `path` names it in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Baseline, BaselineError> {
        // A byte order mark (PowerShell 5 and some editors write one) is not
        // part of the JSON.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        // serde reads a struct from an array too (its fields in order): the
        // message would be about a `u32` where an array was the mistake.
        if text.trim_start().starts_with('[') {
            return Err(BaselineError::Invalid(
                path.to_owned(),
                serde::de::Error::invalid_type(
                    serde::de::Unexpected::Seq,
                    &"an object with `version` and `findings`",
                ),
            ));
        }
        let b: Baseline =
            serde_json::from_str(text).map_err(|e| BaselineError::Invalid(path.to_owned(), e))?;
        if b.version != VERSION {
            return Err(BaselineError::Version(path.to_owned(), b.version));
        }
        if let Some((i, e)) = b
            .findings
            .iter()
            .enumerate()
            .find(|(_, e)| ALWAYS_GATE.contains(&e.rule.as_str()))
        {
            return Err(BaselineError::AlwaysGates(
                path.to_owned(),
                i + 1,
                e.rule.clone(),
            ));
        }
        Ok(b)
    }

    pub fn write(&self, path: &Path) -> Result<(), BaselineError> {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        crate::output::write_replacing(path, |w| w.write_all(text.as_bytes()))
            .map_err(|e| BaselineError::Write(path.to_owned(), e))
    }

    /// Moves the findings of `run` that the baseline has to
    /// [`Run::baseline`], with the entries that are fixed.
    pub fn apply(&self, run: &mut Run) -> Applied {
        let prints = fingerprint::compute(&run.diagnostics, &|p| run.source_text(p));
        // (rule, fingerprint) -> indices of unused entries.
        let mut pool: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
        for (i, e) in self.findings.iter().enumerate() {
            pool.entry((&e.rule, &e.fingerprint)).or_default().push(i);
        }
        let mut matched_entry: Vec<Option<usize>> = vec![None; run.diagnostics.len()];
        // Same path first, then anywhere (a moved file).
        for same_path in [true, false] {
            for (i, d) in run.diagnostics.iter().enumerate() {
                if d.suppressed.is_some()
                    || matched_entry[i].is_some()
                    || ALWAYS_GATE.contains(&d.rule.code)
                {
                    continue;
                }
                let Some(free) = pool.get_mut(&(d.rule.code, prints[i].content.as_str())) else {
                    continue;
                };
                let pick = free
                    .iter()
                    .position(|&e| !same_path || self.findings[e].path == d.primary.path);
                if let Some(p) = pick {
                    matched_entry[i] = Some(free.remove(p));
                }
            }
        }
        let mut used = vec![false; self.findings.len()];
        let mut updated = Vec::new();
        for (i, e) in matched_entry.iter().enumerate() {
            if let Some(e) = *e {
                used[e] = true;
                let d = &run.diagnostics[i];
                updated.push(Entry {
                    rule: d.rule.code.to_owned(),
                    path: d.primary.path.clone(),
                    fingerprint: prints[i].content.clone(),
                    line: d.primary.span.start.line,
                    message: d.message.clone(),
                });
            }
        }
        let fixed: Vec<Entry> = self
            .findings
            .iter()
            .zip(&used)
            .filter(|(_, u)| !**u)
            .map(|(e, _)| e.clone())
            .collect();
        let diagnostics = std::mem::take(&mut run.diagnostics);
        let mut accepted = Vec::new();
        for (d, e) in diagnostics.into_iter().zip(&matched_entry) {
            if e.is_some() {
                accepted.push(d);
            } else {
                run.diagnostics.push(d);
            }
        }
        run.baseline = Some(Outcome {
            accepted,
            fixed: fixed.clone(),
        });
        Applied {
            matched: updated.len(),
            fixed,
            updated: Baseline {
                version: VERSION,
                findings: updated,
            },
        }
    }
}

/// `--diff-base REF` or `--diff-file PATH`: the lines changed since `git
/// merge-base REF HEAD` (working tree and untracked files included), or
/// those the diff adds, become the run's gate lines. `only_new` drops the
/// findings that do not gate.
pub fn diff_base(run: &mut Run, base: &Diff, only_new: bool) -> Result<(), BaselineError> {
    let changes = match base {
        Diff::Base(base) => crate::coverage::diff::git_changes(&run.root, base),
        Diff::File(path) => std::fs::read(path)
            .map_err(|source| crate::coverage::CoverageError::Io {
                path: path.to_path_buf(),
                source,
            })
            .and_then(|bytes| {
                crate::coverage::diff::parse_unified(path, &String::from_utf8_lossy(&bytes))
            }),
    }
    .map_err(BaselineError::DiffBase)?;
    run.gate_lines = Some(changes);
    if only_new {
        let keep: Vec<bool> = run.diagnostics.iter().map(|d| run.gates(d)).collect();
        let mut keep = keep.into_iter();
        run.diagnostics.retain(|_| keep.next().unwrap_or(true));
    }
    Ok(())
}

/// Where the change comes from.
pub enum Diff<'a> {
    Base(&'a str),
    File(&'a Path),
}
