//! The coverage gate inside `rustgate check`: the command-line flags, the
//! `[coverage]` table of the configuration, and the step of the run that
//! gates the reports and hands its diagnostics to the engine.

use std::path::{Path, PathBuf};

use rustgate_rules::Diagnostic;
use serde::Deserialize;

use super::{CoverageConfig, CoverageError, CoverageSummary, WorkspaceFile};
use crate::config::{Config, ConfigError};

/// The coverage flags of `rustgate check` (flattened into `CheckArgs`).
#[derive(Debug, Default, Clone, clap::Args)]
#[command(next_help_heading = "Coverage gate")]
pub struct CoverageArgs {
    /// Gate this coverage report: LCOV, Cobertura XML or llvm-cov JSON
    /// (repeatable; reports are merged). Replaces `[coverage] reports`.
    #[arg(long = "coverage", value_name = "PATH")]
    pub reports: Vec<PathBuf>,
    /// Minimum total line coverage, in percent (`95`, `87.5`).
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    pub min_line_coverage: Option<f64>,
    /// Minimum line coverage of every file, in percent.
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    pub min_file_coverage: Option<f64>,
    /// Minimum coverage of the changed executable lines, in percent.
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    pub min_patch_coverage: Option<f64>,
    /// Only findings on lines changed since `git merge-base REF HEAD` (working
    /// tree included) gate the run (all are reported unless `--only-new`);
    /// with a report, also patch coverage of those changes.
    #[arg(long, value_name = "REF", conflicts_with = "diff_file")]
    pub diff_base: Option<String>,
    /// Patch coverage of the changes in this unified diff.
    #[arg(long, value_name = "PATH")]
    pub diff_file: Option<PathBuf>,
}

fn parse_percent(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if (0.0..=100.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "`{s}` is not a percentage (expected a number from 0 to 100, such as 95 or 87.5)"
        )),
    }
}

impl CoverageArgs {
    /// The flags as overrides, with relative paths made absolute against the
    /// current directory (where the user typed them).
    pub fn overrides(&self) -> CoverageOverrides {
        let cwd = std::env::current_dir().unwrap_or_default();
        let abs = |p: &PathBuf| {
            if p.is_absolute() {
                p.clone()
            } else {
                cwd.join(p)
            }
        };
        CoverageOverrides {
            reports: self.reports.iter().map(abs).collect(),
            min_line_coverage: self.min_line_coverage,
            min_file_coverage: self.min_file_coverage,
            min_patch_coverage: self.min_patch_coverage,
            diff_base: self.diff_base.clone(),
            diff_file: self.diff_file.as_ref().map(abs),
        }
    }
}

/// What the command line sets of `[coverage]`; every field overrides the key
/// of the same name.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct CoverageOverrides {
    pub reports: Vec<PathBuf>,
    pub min_line_coverage: Option<f64>,
    pub min_file_coverage: Option<f64>,
    pub min_patch_coverage: Option<f64>,
    pub diff_base: Option<String>,
    pub diff_file: Option<PathBuf>,
}

impl CoverageOverrides {
    /// The flags that need a report to mean anything.
    fn needs_report(&self) -> Option<&'static str> {
        [
            (self.min_line_coverage.is_some(), "--min-line-coverage"),
            (self.min_file_coverage.is_some(), "--min-file-coverage"),
            (self.min_patch_coverage.is_some(), "--min-patch-coverage"),
            // `--diff-base` alone limits the gate to changed lines.
            (self.diff_file.is_some(), "--diff-file"),
        ]
        .into_iter()
        .find_map(|(set, flag)| set.then_some(flag))
    }
}

/// The coverage configuration of a run: `[coverage]` (strict: an unknown key
/// names the configuration file) with the flags on top. `None` when no report
/// is given: a `[coverage]` table with thresholds but no reports gates
/// nothing, so a local `rustgate check` works where CI passes `--coverage`.
pub fn resolve(
    config: &Config,
    overrides: &CoverageOverrides,
) -> Result<Option<CoverageConfig>, ConfigError> {
    let path = config
        .source
        .clone()
        .unwrap_or_else(|| PathBuf::from("<command line>"));
    let mut cfg = match &config.coverage {
        Some(table) => {
            CoverageConfig::deserialize(toml::Value::Table(table.clone())).map_err(|e| {
                ConfigError {
                    path: path.clone(),
                    location: None,
                    message: format!(
                        "invalid `[coverage]`: {}",
                        crate::config::with_suggestion(e.message())
                    ),
                }
            })?
        }
        None => CoverageConfig::default(),
    };
    if !overrides.reports.is_empty() {
        cfg.reports = overrides.reports.clone();
    }
    if let Some(v) = overrides.min_line_coverage {
        cfg.min_line_coverage = Some(v);
    }
    if let Some(v) = overrides.min_file_coverage {
        cfg.min_file_coverage = Some(v);
    }
    if let Some(v) = overrides.min_patch_coverage {
        cfg.min_patch_coverage = Some(v);
    }
    // A diff on the command line replaces the configured one, of either kind.
    if overrides.diff_base.is_some() || overrides.diff_file.is_some() {
        cfg.diff_base = overrides.diff_base.clone();
        cfg.diff_file = overrides.diff_file.clone();
    }
    if cfg.is_enabled() {
        return Ok(Some(cfg));
    }
    match overrides.needs_report() {
        Some(flag) => Err(ConfigError {
            path: PathBuf::from("<command line>"),
            location: None,
            message: format!(
                "`{flag}` needs a coverage report: pass `--coverage PATH` or set `[coverage] reports`"
            ),
        }),
        None => Ok(None),
    }
}

/// The coverage step's contribution to a run.
pub struct Gated {
    /// Enabled, with per-file ignores and severities applied by the engine.
    pub diagnostics: Vec<Diagnostic>,
    pub summary: CoverageSummary,
    pub notes: Vec<String>,
}

/// Gates `cfg` over the checked files (`(relative path, package)`): only
/// enabled codes are kept.
pub fn gate<'a>(
    cfg: &CoverageConfig,
    root: &Path,
    files: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
    config: &Config,
) -> Result<Gated, CoverageError> {
    let fallback = root.file_name().map_or_else(
        || "workspace".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    let files: Vec<WorkspaceFile> = files
        .into_iter()
        .map(|(rel, package)| WorkspaceFile {
            rel_path: rel.to_owned(),
            package: package.map_or_else(|| fallback.clone(), str::to_owned),
        })
        .collect();
    let mut outcome = super::run(cfg, root, &files)?;
    outcome
        .diagnostics
        .retain(|d| config.is_enabled(d.rule.code));
    // Name the reports as the workspace sees them, not as typed.
    for (shown, path) in outcome.summary.reports.iter_mut().zip(&cfg.reports) {
        let full = normalize(&root.join(path));
        if let Ok(rel) = full.strip_prefix(root) {
            *shown = rel.to_string_lossy().replace('\\', "/");
        }
    }
    Ok(Gated {
        diagnostics: outcome.diagnostics,
        summary: outcome.summary,
        notes: outcome.notes,
    })
}

/// `a/./b/../c` -> `a/c`, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push(c);
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(table: &str) -> Config {
        let table: toml::Table = table.parse().expect("toml");
        crate::config::resolve(
            Some(PathBuf::from("rustgate.toml")),
            table,
            &Default::default(),
        )
        .expect("config")
    }

    #[test]
    fn flags_override_the_table() {
        let cfg = config(
            "[coverage]\nreports = [\"a.lcov\"]\nmin-line-coverage = 80\ndiff-base = \"main\"\n[coverage.paths]\n\"src/**\" = 90\n",
        );
        let got = resolve(&cfg, &CoverageOverrides::default())
            .expect("ok")
            .expect("enabled");
        assert_eq!(got.reports, [PathBuf::from("a.lcov")]);
        assert_eq!(got.min_line_coverage, Some(80.0));
        assert_eq!(got.paths["src/**"], 90.0);
        let flags = CoverageOverrides {
            reports: vec![PathBuf::from("/b.lcov")],
            min_line_coverage: Some(95.5),
            diff_file: Some(PathBuf::from("/x.diff")),
            ..CoverageOverrides::default()
        };
        let got = resolve(&cfg, &flags).expect("ok").expect("enabled");
        assert_eq!(got.reports, [PathBuf::from("/b.lcov")]);
        assert_eq!(got.min_line_coverage, Some(95.5));
        assert_eq!(got.diff_base, None);
        assert_eq!(got.diff_file, Some(PathBuf::from("/x.diff")));
    }

    #[test]
    fn no_report_no_gate_unless_a_flag_asks() {
        let cfg = config("[coverage]\nmin-line-coverage = 80\n");
        assert_eq!(
            resolve(&cfg, &CoverageOverrides::default()).ok(),
            Some(None)
        );
        let flags = CoverageOverrides {
            min_patch_coverage: Some(90.0),
            ..CoverageOverrides::default()
        };
        let err = resolve(&cfg, &flags)
            .expect_err("needs a report")
            .to_string();
        assert!(
            err.contains("`--min-patch-coverage` needs a coverage report"),
            "{err}"
        );
    }

    #[test]
    fn unknown_key_names_the_file() {
        let cfg = config("[coverage]\nmin-lines = 3\n");
        let err = resolve(&cfg, &CoverageOverrides::default())
            .expect_err("unknown key")
            .to_string();
        assert!(
            err.starts_with("rustgate.toml: invalid `[coverage]`: unknown field `min-lines`"),
            "{err}"
        );
    }

    #[test]
    fn percentages_are_plain_numbers() {
        assert_eq!(parse_percent("87.5"), Ok(87.5));
        assert_eq!(parse_percent("95"), Ok(95.0));
        assert!(parse_percent("95%").is_err());
        assert!(parse_percent("101").is_err());
    }
}
