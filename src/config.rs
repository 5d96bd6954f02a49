//! Configuration: `rustgate.toml`, `.rustgate.toml`, or `[workspace.metadata.rustgate]`
//! / `[package.metadata.rustgate]` in Cargo.toml, resolved into [`Config`].
//!
//! Every key is validated: an unknown key or rule code is an error that names
//! the file, the key and, when one is close, what was probably meant.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use rustgate_rules::{RuleMeta, Settings, Severity, registry};
use serde::Deserialize;

/// A configuration that cannot be used. Exit code 2.
#[derive(Debug)]
pub struct ConfigError {
    pub path: PathBuf,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Named from the working directory when under it: the machine's
        // absolute path of the checkout stays out of the log.
        let cwd = std::env::current_dir().and_then(std::fs::canonicalize);
        let shown = cwd
            .ok()
            .and_then(|cwd| self.path.strip_prefix(cwd).ok())
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(&self.path);
        write!(f, "{}: {}", shown.display(), self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Keys of the top-level table handled by the driver.
const DRIVER_KEYS: &[&str] = &[
    "select",
    "ignore",
    "fail-on",
    "exclude",
    "per-file-ignores",
    "severity",
    "require-suppression-reason",
    "business-logic",
    "coverage",
    "sarif-category",
    "max-file-size",
    "max-nesting",
    "follow-symlinks",
    "preview",
];

/// `max-file-size` by default: larger files are RG901, never read whole.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 4 << 20;
/// `max-nesting` by default: the deepest syntax a file may have (see
/// `nesting.rs`); deeper files are RG901, never parsed.
pub const DEFAULT_MAX_NESTING: u32 = 1000;
/// The largest `max-nesting` a configuration may ask for: the parse threads'
/// stacks are sized for it.
pub const MAX_MAX_NESTING: u32 = 5000;

/// `[business-logic]`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct BusinessLogicOptions {
    include: Vec<String>,
    exclude: Vec<String>,
}

/// The effective configuration of a run.
#[derive(Debug)]
pub struct Config {
    /// The file it came from, if any.
    pub source: Option<PathBuf>,
    /// Codes of enabled rules.
    pub enabled: Vec<&'static RuleMeta>,
    pub fail_on: Severity,
    pub exclude: GlobSet,
    pub per_file_ignores: Vec<(GlobSet, Vec<&'static str>)>,
    pub severity: BTreeMap<&'static str, Severity>,
    pub require_suppression_reason: bool,
    pub business_include: GlobSet,
    pub business_exclude: GlobSet,
    pub settings: Settings,
    /// The raw `[coverage]` table, resolved by the coverage gate.
    pub coverage: Option<toml::Table>,
    /// SARIF `automationDetails.id` (GitHub code scanning category).
    pub sarif_category: Option<String>,
    /// Files larger than this many bytes are RG901 and never read whole.
    pub max_file_size: u64,
    /// Files whose syntax nests deeper than this are RG901 and never parsed.
    pub max_nesting: u32,
    /// Follow `.rs` symlinks whose target lies inside the workspace root.
    pub follow_symlinks: bool,
}

/// What the command line adds to or overrides in the file.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--preview`: also run preview rules.
    pub preview: bool,
    pub select: Option<Vec<String>>,
    pub ignore: Vec<String>,
    pub fail_on: Option<Severity>,
}

/// Codes that are always on: a gate that could silence them could be walked around.
pub const ALWAYS_ON: &[&str] = &["RG901", "RG904", "RG905"];

impl Config {
    /// Whether `code` is enabled.
    pub fn is_enabled(&self, code: &str) -> bool {
        self.enabled.iter().any(|m| m.code == code)
    }

    /// The severity `rule` reports with.
    pub fn severity_of(&self, rule: &RuleMeta) -> Severity {
        if ALWAYS_ON.contains(&rule.code) {
            // What rustgate could not read or learn is an error whatever the
            // configuration says: the gate fails closed.
            return Severity::Error;
        }
        self.severity
            .get(rule.code)
            .copied()
            .unwrap_or(rule.default_severity)
    }

    /// Whether `per-file-ignores` turns off `code` for `path`.
    pub fn ignored_for_file(&self, path: &str, code: &str) -> bool {
        self.per_file_ignores
            .iter()
            .any(|(glob, codes)| codes.contains(&code) && glob.is_match(path))
    }
}

/// Finds the configuration for a workspace rooted at `root`: `--config` if
/// given, else `rustgate.toml`, `.rustgate.toml`, else the Cargo.toml metadata.
pub fn discover(
    root: &Path,
    explicit: Option<&Path>,
) -> Result<(Option<PathBuf>, toml::Table), ConfigError> {
    if let Some(path) = explicit {
        return read_table(path, None).map(|t| (Some(path.to_owned()), t));
    }
    for name in ["rustgate.toml", ".rustgate.toml"] {
        let path = root.join(name);
        // There, but not a regular file of the tree (a FIFO, a device, a
        // link out of the tree, a dangling link): an error, never a silent
        // fallback to the defaults, and never read.
        if std::fs::symlink_metadata(&path).is_ok() {
            in_tree(root, &path, " (name it with `--config` to use it)")?;
            return read_table(&path, None).map(|t| (Some(path), t));
        }
    }
    let manifest = root.join("Cargo.toml");
    if std::fs::symlink_metadata(&manifest).is_ok() {
        in_tree(root, &manifest, "")?;
        // An error in the metadata tables is the same error as in
        // rustgate.toml, never a silent fallback to the defaults.
        for key in ["workspace", "package"] {
            let table = read_table(&manifest, Some(key))?;
            if !table.is_empty() {
                return Ok((Some(manifest), table));
            }
        }
    }
    Ok((None, toml::Table::new()))
}

/// The most a configuration file may hold: never read past it.
const MAX_CONFIG_BYTES: u64 = 4 << 20;

/// Checks that a configuration file found in the tree is a regular file
/// inside `root` (a symlink only when it resolves to one there): what a file
/// outside holds (`~/.git-credentials`) would reach the log in a TOML error.
fn in_tree(root: &Path, path: &Path, hint: &str) -> Result<(), ConfigError> {
    let err = |message: String| ConfigError {
        path: path.to_owned(),
        message,
    };
    let target =
        std::fs::canonicalize(path).map_err(|e| err(format!("cannot read configuration: {e}")))?;
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_owned());
    if !target.starts_with(&root) {
        return Err(err(format!(
            "a symlink to a file outside the workspace: not read{hint}"
        )));
    }
    if !std::fs::metadata(&target).is_ok_and(|m| m.is_file()) {
        return Err(err(
            "not a regular file (a folder, FIFO, socket or device): not read".to_owned(),
        ));
    }
    Ok(())
}

/// Reads a TOML file (at most [`MAX_CONFIG_BYTES`]); with `metadata_of`,
/// returns `[<metadata_of>.metadata.rustgate]`.
fn read_table(path: &Path, metadata_of: Option<&str>) -> Result<toml::Table, ConfigError> {
    use std::io::Read;
    let err = |message: String| ConfigError {
        path: path.to_owned(),
        message,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_CONFIG_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| err(format!("cannot read configuration: {e}")))?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(err(format!(
            "cannot read configuration: larger than {MAX_CONFIG_BYTES} bytes"
        )));
    }
    let text = String::from_utf8(bytes)
        .map_err(|e| err(format!("cannot read configuration: not valid UTF-8: {e}")))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| err(format!("invalid TOML: {}", e.to_string().trim())))?;
    let Some(section) = metadata_of else {
        return Ok(table);
    };
    let not_table = |what: String| Err(err(format!("`{what}` must be a table")));
    let metadata = match table.get(section) {
        None => return Ok(toml::Table::new()),
        Some(toml::Value::Table(t)) => t.get("metadata"),
        Some(_) => return not_table(section.to_owned()),
    };
    let sub = match metadata {
        None => return Ok(toml::Table::new()),
        Some(toml::Value::Table(t)) => t.get("rustgate"),
        Some(_) => return not_table(format!("{section}.metadata")),
    };
    match sub {
        None => Ok(toml::Table::new()),
        Some(toml::Value::Table(t)) => Ok(t.clone()),
        Some(_) => Err(err(format!(
            "`{section}.metadata.rustgate` must be a table"
        ))),
    }
}

/// Resolves a raw table (from [`discover`]) and command-line overrides.
pub fn resolve(
    source: Option<PathBuf>,
    table: toml::Table,
    overrides: &Overrides,
) -> Result<Config, ConfigError> {
    let path = source
        .clone()
        .unwrap_or_else(|| PathBuf::from("<command line>"));
    let err = |message: String| ConfigError {
        path: path.clone(),
        message,
    };
    let mut settings_table = toml::Table::new();
    let mut select: Option<Vec<String>> = None;
    let mut ignore: Vec<String> = Vec::new();
    let mut fail_on = Severity::Error;
    let mut exclude = Vec::new();
    let mut per_file: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut severity_raw: BTreeMap<String, String> = BTreeMap::new();
    let mut require_reason = false;
    let mut business = BusinessLogicOptions::default();
    let mut coverage = None;
    let mut sarif_category = None;
    let mut max_file_size = DEFAULT_MAX_FILE_SIZE;
    let mut max_nesting = DEFAULT_MAX_NESTING;
    let mut follow_symlinks = false;
    let mut preview = false;

    for (key, value) in table {
        let value_err = |e: toml::de::Error| {
            err(format!(
                "invalid value for `{key}`: {}",
                with_suggestion(e.message())
            ))
        };
        match key.as_str() {
            "select" => select = Some(Vec::deserialize(value).map_err(value_err)?),
            "ignore" => ignore = Vec::deserialize(value).map_err(value_err)?,
            "fail-on" => {
                let s = String::deserialize(value).map_err(value_err)?;
                fail_on = Severity::parse(&s).ok_or_else(|| {
                    err(format!(
                        "invalid value for `fail-on`: `{s}` (expected error, warning or note)"
                    ))
                })?;
            }
            "exclude" => exclude = Vec::deserialize(value).map_err(value_err)?,
            "per-file-ignores" => per_file = BTreeMap::deserialize(value).map_err(value_err)?,
            "severity" => severity_raw = BTreeMap::deserialize(value).map_err(value_err)?,
            "require-suppression-reason" => {
                require_reason = bool::deserialize(value).map_err(value_err)?
            }
            "business-logic" => {
                business = BusinessLogicOptions::deserialize(value).map_err(value_err)?
            }
            "coverage" => match value {
                toml::Value::Table(t) => coverage = Some(t),
                _ => return Err(err("`coverage` must be a table".into())),
            },
            "sarif-category" => {
                sarif_category = Some(String::deserialize(value).map_err(value_err)?)
            }
            "max-file-size" => {
                let n = i64::deserialize(value).map_err(value_err)?;
                max_file_size = u64::try_from(n).ok().filter(|&n| n > 0).ok_or_else(|| {
                    err(format!("invalid value for `max-file-size`: {n} (expected a number of bytes above 0)"))
                })?;
            }
            "max-nesting" => {
                let n = i64::deserialize(value).map_err(value_err)?;
                max_nesting = u32::try_from(n)
                    .ok()
                    .filter(|n| (1..=MAX_MAX_NESTING).contains(n))
                    .ok_or_else(|| {
                        err(format!(
                            "invalid value for `max-nesting`: {n} (expected 1 to {MAX_MAX_NESTING})"
                        ))
                    })?;
            }
            "follow-symlinks" => follow_symlinks = bool::deserialize(value).map_err(value_err)?,
            "preview" => preview = bool::deserialize(value).map_err(value_err)?,
            k if Settings::SECTIONS.contains(&k) => {
                settings_table.insert(key, value);
            }
            other => {
                let known: Vec<&str> = DRIVER_KEYS
                    .iter()
                    .chain(Settings::SECTIONS)
                    .copied()
                    .collect();
                return Err(err(format!(
                    "unknown key `{other}`{}",
                    did_you_mean(other, &known)
                )));
            }
        }
    }
    let settings = Settings::deserialize(settings_table).map_err(|e| {
        err(format!(
            "invalid rule options: {}",
            with_suggestion(e.message())
        ))
    })?;

    if let Some(cli) = &overrides.select {
        select = Some(cli.clone());
    }
    ignore.extend(overrides.ignore.iter().cloned());
    if let Some(f) = overrides.fail_on {
        fail_on = f;
    }
    preview |= overrides.preview;

    let all = registry::all();
    let selected: Vec<&'static RuleMeta> = match &select {
        None => all.clone(),
        Some(sel) => {
            let mut v = Vec::new();
            for s in sel {
                v.extend(resolve_selector(s, "select").map_err(&err)?);
            }
            v
        }
    };
    let mut ignored = Vec::new();
    for s in &ignore {
        ignored.extend(resolve_selector(s, "ignore").map_err(&err)?);
    }
    let mut enabled: Vec<&'static RuleMeta> = all
        .iter()
        .copied()
        .filter(|m| {
            ALWAYS_ON.contains(&m.code)
                // Preview rules run only when preview is on, even when selected.
                || (selected.contains(m) && !ignored.contains(m) && (preview || !m.preview))
        })
        .collect();
    enabled.dedup_by_key(|m| m.code);

    let mut severity = BTreeMap::new();
    for (rule, level) in severity_raw {
        let meta = find_rule(&rule, "severity").map_err(&err)?;
        let level = Severity::parse(&level).ok_or_else(|| {
            err(format!("invalid severity `{level}` for `{rule}` in `severity` (expected error, warning or note)"))
        })?;
        severity.insert(meta.code, level);
    }

    let mut per_file_ignores = Vec::new();
    for (glob, codes) in per_file {
        let set = globs(std::slice::from_ref(&glob), "per-file-ignores").map_err(&err)?;
        let mut resolved = Vec::new();
        for c in &codes {
            resolved.extend(
                resolve_selector(c, "per-file-ignores")
                    .map_err(&err)?
                    .into_iter()
                    .map(|m| m.code),
            );
        }
        per_file_ignores.push((set, resolved));
    }

    Ok(Config {
        source,
        enabled,
        fail_on,
        exclude: globs(&exclude, "exclude").map_err(&err)?,
        per_file_ignores,
        severity,
        require_suppression_reason: require_reason,
        business_include: globs(&business.include, "business-logic.include").map_err(&err)?,
        business_exclude: globs(&business.exclude, "business-logic.exclude").map_err(&err)?,
        settings,
        coverage,
        sarif_category,
        max_file_size,
        max_nesting,
        follow_symlinks,
    })
}

/// `RG101`, `unsafe-in-business-logic`, a code prefix such as `RG2`, or `ALL`.
fn resolve_selector(selector: &str, key: &str) -> Result<Vec<&'static RuleMeta>, String> {
    let all = registry::all();
    if selector.eq_ignore_ascii_case("ALL") {
        return Ok(all);
    }
    let upper = selector.to_ascii_uppercase();
    let matched: Vec<&'static RuleMeta> = all
        .iter()
        .copied()
        .filter(|m| m.code.starts_with(&upper) || m.name.eq_ignore_ascii_case(selector))
        .collect();
    if matched.is_empty() || upper.len() < 2 {
        Err(unknown_rule(selector, key))
    } else {
        Ok(matched)
    }
}

fn find_rule(code_or_name: &str, key: &str) -> Result<&'static RuleMeta, String> {
    registry::find(code_or_name).ok_or_else(|| unknown_rule(code_or_name, key))
}

fn unknown_rule(selector: &str, key: &str) -> String {
    let all = registry::all();
    let candidates: Vec<&str> = all.iter().flat_map(|m| [m.code, m.name]).collect();
    format!(
        "unknown rule `{selector}` in `{key}`{}",
        did_you_mean(selector, &candidates)
    )
}

/// serde's "unknown field `x`, expected one of `a`, `b`" with the closest
/// expected field appended as a suggestion.
pub(crate) fn with_suggestion(message: &str) -> String {
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return message.to_owned();
    };
    let Some((field, expected)) = rest.split_once('`') else {
        return message.to_owned();
    };
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    format!("{message}{}", did_you_mean(field, &candidates))
}

/// `" (did you mean `x`?)"` for the closest candidate, or nothing.
pub fn did_you_mean(input: &str, candidates: &[&str]) -> String {
    candidates
        .iter()
        .map(|c| {
            (
                strsim::jaro_winkler(&input.to_ascii_lowercase(), &c.to_ascii_lowercase()),
                *c,
            )
        })
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default()
}

fn globs(patterns: &[String], key: &str) -> Result<GlobSet, String> {
    let mut builder = GlobSetBuilder::new();
    for p in patterns {
        let glob =
            Glob::new(p).map_err(|e| format!("invalid glob `{p}` in `{key}`: {}", e.kind()))?;
        builder.add(glob);
        // `dir` and `dir/**` both exclude everything below `dir`.
        if !p.contains('*') {
            let below = format!("{}/**", p.trim_end_matches('/'));
            if let Ok(g) = Glob::new(&below) {
                builder.add(g);
            }
        }
    }
    builder
        .build()
        .map_err(|e| format!("invalid globs in `{key}`: {e}"))
}
