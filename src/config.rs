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
    /// Line and column (1-based) of the key at fault, when known.
    pub location: Option<(usize, usize)>,
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
        match self.location {
            Some((line, column)) => {
                write!(f, "{}:{line}:{column}: {}", shown.display(), self.message)
            }
            None => write!(f, "{}: {}", shown.display(), self.message),
        }
    }
}

impl ConfigError {
    fn new(path: &Path, message: String) -> ConfigError {
        ConfigError {
            path: path.to_owned(),
            location: None,
            message,
        }
    }
}

/// Where `key` of the rustgate table is written in the file at `path`: the
/// top-level table of `rustgate.toml`, or `[workspace|package.metadata.rustgate]`
/// of a Cargo.toml. Looked up only to report an error.
fn locate(path: &Path, key: &str) -> Option<(usize, usize)> {
    use toml::de::{DeTable, DeValue};
    // Read as the first read was (the file may have changed since).
    let text = read_config_text(path).ok()?;
    let doc = DeTable::parse(&text).ok()?;
    let find = |table: &DeTable<'_>, keys: &[&str]| -> Option<std::ops::Range<usize>> {
        let mut table = table;
        for (i, k) in keys.iter().enumerate() {
            let (name, value) = table
                .iter()
                .find(|(name, _)| name.get_ref().as_ref() == *k)?;
            if i + 1 == keys.len() {
                return Some(name.span());
            }
            match value.get_ref() {
                DeValue::Table(t) => table = t,
                _ => return None,
            }
        }
        None
    };
    let span = find(doc.get_ref(), &[key])
        .or_else(|| find(doc.get_ref(), &["workspace", "metadata", "rustgate", key]))
        .or_else(|| find(doc.get_ref(), &["package", "metadata", "rustgate", key]))?;
    Some(line_col(&text, span.start))
}

/// The 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
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
    "extend",
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

/// The configuration files a run looks for, nearest first in each folder.
pub const CONFIG_NAMES: [&str; 2] = ["rustgate.toml", ".rustgate.toml"];

/// What [`discover`] found: the file, its table (with `extend` applied), and
/// warnings about configuration files it did not use.
#[derive(Debug, Default)]
pub struct Discovered {
    pub source: Option<PathBuf>,
    pub table: toml::Table,
    pub notices: Vec<String>,
    /// The file each top-level key of `table` came from (`extend` merges).
    pub origins: BTreeMap<String, PathBuf>,
}

/// Finds the configuration of a run: `--config` if given; else the nearest
/// `rustgate.toml` / `.rustgate.toml` from `start` (the first checked path)
/// up to the workspace root `root`; else the root's Cargo.toml metadata
/// (`[workspace.metadata.rustgate]`, then `[package.metadata.rustgate]`).
/// A file that another one shadows is named in a notice, never silently
/// ignored. `extend = "PATH"` builds on another file (relative to the
/// extending file): its keys first, the extending file's on top.
pub fn discover(
    root: &Path,
    start: Option<&Path>,
    explicit: Option<&Path>,
) -> Result<Discovered, ConfigError> {
    use crate::workspace::rel;
    // Named relative to the workspace root: no machine path in any output.
    let shown = |p: &Path| rel(root, p);
    let mut found = Discovered::default();
    if let Some(path) = explicit {
        // The user's own choice: read, and its `extend` may leave the tree.
        (found.table, found.origins) = read_extended(path, None, &mut Vec::new())?;
        found.source = Some(path.to_owned());
        return Ok(found);
    }
    // Folders from the checked path up to the workspace root, nearest first.
    let start = start
        .map(|p| {
            if p.is_file() {
                p.parent().unwrap_or(p)
            } else {
                p
            }
        })
        .filter(|p| p.starts_with(root))
        .unwrap_or(root);
    let mut candidates: Vec<PathBuf> = Vec::new();
    for dir in start.ancestors() {
        candidates.extend(
            CONFIG_NAMES
                .iter()
                .map(|n| dir.join(n))
                // There, whatever it is: a FIFO, a device or a link out of
                // the tree is an error below, never a silent fallback.
                .filter(|p| std::fs::symlink_metadata(p).is_ok()),
        );
        if dir == root {
            break;
        }
    }
    let manifest = root.join("Cargo.toml");
    let mut metadata = None;
    if std::fs::symlink_metadata(&manifest).is_ok() {
        in_tree(root, &manifest, "")?;
        // An error in the metadata tables is the same error as in
        // rustgate.toml, never a silent fallback to the defaults.
        for key in ["workspace", "package"] {
            let table = read_table(&manifest, Some(key))?;
            if !table.is_empty() {
                metadata = Some((key, table));
                break;
            }
        }
    }
    if let Some(chosen) = candidates.first() {
        for other in &candidates[1..] {
            found.notices.push(format!(
                "{} is not used: {} takes precedence (add `extend = \"{}\"` to build on it)",
                shown(other),
                shown(chosen),
                rel(chosen.parent().unwrap_or(root), other)
            ));
        }
        if let Some((key, _)) = &metadata {
            found.notices.push(format!(
                "[{key}.metadata.rustgate] in {} is not used: {} takes precedence",
                shown(&manifest),
                shown(chosen)
            ));
        }
        in_tree(root, chosen, " (name it with `--config` to use it)")?;
        (found.table, found.origins) = read_extended(chosen, Some(root), &mut Vec::new())?;
        found.source = Some(chosen.clone());
    } else if let Some((_, table)) = metadata {
        (found.table, found.origins) = extend_table(&manifest, table, Some(root), &mut Vec::new())?;
        found.source = Some(manifest);
    }
    Ok(found)
}

/// A table and the file each of its top-level keys came from.
type Layered = (toml::Table, BTreeMap<String, PathBuf>);

/// Reads a configuration file and the files it extends. With `root` (a file
/// found in the tree), an extended file must be a regular file inside it.
fn read_extended(
    path: &Path,
    root: Option<&Path>,
    chain: &mut Vec<PathBuf>,
) -> Result<Layered, ConfigError> {
    let table = read_table(path, None)?;
    extend_table(path, table, root, chain)
}

/// Applies `extend` of a table read from `path`: the extended file is
/// validated on its own (its errors name it), then merged under the table.
fn extend_table(
    path: &Path,
    mut table: toml::Table,
    root: Option<&Path>,
    chain: &mut Vec<PathBuf>,
) -> Result<Layered, ConfigError> {
    let Some(value) = table.remove("extend") else {
        let origins = table.keys().map(|k| (k.clone(), path.to_owned())).collect();
        return Ok((table, origins));
    };
    let err = |message: String| ConfigError {
        path: path.to_owned(),
        location: locate(path, "extend"),
        message,
    };
    let toml::Value::String(target) = value else {
        return Err(err(
            "invalid value for `extend`: expected a path to a configuration file".into(),
        ));
    };
    let base = path.parent().unwrap_or(Path::new(".")).join(&target);
    let canonical = std::fs::canonicalize(&base).map_err(|e| {
        err(format!(
            "cannot read `extend` target {}: {e}",
            base.display()
        ))
    })?;
    // A file of the checked tree extends only files of the tree: a FIFO
    // would block the run, and a file outside is not the tree's to read.
    if let Some(root) = root {
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_owned());
        if !canonical.starts_with(&root) {
            return Err(err(format!(
                "`extend` target `{target}` is outside the workspace: not read"
            )));
        }
        if !std::fs::metadata(&canonical).is_ok_and(|m| m.is_file()) {
            return Err(err(format!(
                "`extend` target `{target}` is not a regular file: not read"
            )));
        }
    }
    chain.push(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned()));
    if chain.contains(&canonical) {
        return Err(err(format!(
            "`extend` forms a cycle through {}",
            base.display()
        )));
    }
    if chain.len() > 16 {
        return Err(err("`extend` chains more than 16 files".into()));
    }
    let base = canonical;
    let (base_table, mut origins) = read_extended(&base, root, chain)?;
    // Validated alone, so that a mistake in it names it, not the extender.
    resolve(
        Some(base.clone()),
        base_table.clone(),
        &Overrides::default(),
    )?;
    origins.extend(table.keys().map(|k| (k.clone(), path.to_owned())));
    let mut merged = base_table;
    merge(&mut merged, table);
    Ok((merged, origins))
}

/// `top` over `base`: tables merge key by key, any other value replaces.
fn merge(base: &mut toml::Table, top: toml::Table) {
    for (key, value) in top {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(t)) => merge(b, t),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// The most a configuration file may hold: never read past it.
const MAX_CONFIG_BYTES: u64 = 4 << 20;

/// Checks that a configuration file found in the tree is a regular file
/// inside `root` (a symlink only when it resolves to one there): a FIFO
/// would block the run, `/dev/zero` never ends, and a file outside
/// (`~/.git-credentials`) is none of the checked repository's business.
fn in_tree(root: &Path, path: &Path, hint: &str) -> Result<(), ConfigError> {
    let err = |message: String| ConfigError::new(path, message);
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
/// A configuration file's text, at most [`MAX_CONFIG_BYTES`], UTF-8; the
/// error says why not.
fn read_config_text(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_CONFIG_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read configuration: {e}"))?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(format!(
            "cannot read configuration: larger than {MAX_CONFIG_BYTES} bytes"
        ));
    }
    String::from_utf8(bytes).map_err(|e| format!("cannot read configuration: not valid UTF-8: {e}"))
}

fn read_table(path: &Path, metadata_of: Option<&str>) -> Result<toml::Table, ConfigError> {
    let err = |message: String| ConfigError::new(path, message);
    let text = read_config_text(path).map_err(err)?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| ConfigError {
        location: e.span().map(|span| line_col(&text, span.start)),
        ..err(format!("invalid TOML: {}", e.message().trim()))
    })?;
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
        location: None,
        message,
    };
    // The same error, placed at `key` in the file.
    let err_at = |key: &str, message: String| ConfigError {
        location: source.as_deref().and_then(|p| locate(p, key)),
        ..err(message)
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
        let err = |message: String| err_at(&key, message);
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
                fail_on = parse_severity(&s).ok_or_else(|| {
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
            // Applied by `discover`; a table handed over directly has none.
            "extend" => {}
            k if Settings::SECTIONS.contains(&k) => {
                settings_table.insert(key, value);
            }
            other => {
                let known: Vec<&str> = DRIVER_KEYS
                    .iter()
                    .chain(Settings::SECTIONS)
                    .copied()
                    .collect();
                let hint = match did_you_mean(other, &known) {
                    h if h.is_empty() => format!(" (valid keys: {})", known.join(", ")),
                    h => h,
                };
                return Err(err(format!("unknown key `{other}`{hint}")));
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
    let severity_err = |message: String| err_at("severity", message);
    for (rule, level) in severity_raw {
        let meta = find_rule(&rule, "severity").map_err(severity_err)?;
        if matches!(level.trim(), "off" | "allow") {
            if ALWAYS_ON.contains(&meta.code) {
                return Err(severity_err(format!(
                    "`{}` cannot be switched off: what rustgate could not read always fails the gate",
                    meta.code
                )));
            }
            enabled.retain(|m| m.code != meta.code);
            continue;
        }
        let level = parse_severity(&level).ok_or_else(|| {
            severity_err(format!("invalid severity `{level}` for `{rule}` in `severity` (expected error, warning, note or off)"))
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
    // `--select "RG101, RG201"` and `["RG101 "]` mean what they say.
    let selector = selector.trim();
    if selector.is_empty() {
        return Ok(Vec::new());
    }
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
    let code_or_name = code_or_name.trim();
    registry::find(code_or_name).ok_or_else(|| unknown_rule(code_or_name, key))
}

/// A severity as users type it: `error`, `warning` (or `warn`, as clippy and
/// eslint spell it), `note` (or `info`).
pub fn parse_severity(s: &str) -> Option<Severity> {
    match s.trim().to_ascii_lowercase().as_str() {
        "warn" => Some(Severity::Warning),
        "info" => Some(Severity::Note),
        other => Severity::parse(other),
    }
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

/// The driver's keys with their defaults and what they do, in the order
/// `rustgate init` writes them. Every key of [`DRIVER_KEYS`] is here (a test
/// holds it).
const DRIVER_DEFAULTS: &[(&str, &str, &str)] = &[
    (
        "select",
        "[\"ALL\"]",
        "Rules to run: codes, prefixes (\"RG2\") or names.",
    ),
    ("ignore", "[]", "Rules to switch off, after `select`."),
    (
        "preview",
        "false",
        "Also run preview rules (not yet measured on real services).",
    ),
    (
        "fail-on",
        "\"error\"",
        "The lowest severity that fails the gate: error, warning (warn) or note.",
    ),
    (
        "exclude",
        "[]",
        "Globs of files not to check (relative to the workspace root).",
    ),
    (
        "require-suppression-reason",
        "false",
        "A `rustgate: allow(..)` comment must give a reason.",
    ),
    (
        "sarif-category",
        "\"rustgate/\"",
        "SARIF automationDetails.id (GitHub code scanning category).",
    ),
    (
        "max-file-size",
        "4194304",
        "Files larger than this many bytes are RG901, never read whole.",
    ),
    (
        "max-nesting",
        "1000",
        "Files nesting deeper than this are RG901, never parsed (at most 5000).",
    ),
    (
        "follow-symlinks",
        "false",
        "Check .rs symlinks whose target lies inside the workspace.",
    ),
    (
        "extend",
        "\"../rustgate.toml\"",
        "Build on another configuration file (its keys first, these on top).",
    ),
];

/// Tables of the driver, with their defaults.
const DRIVER_TABLES: &[(&str, &str, &str)] = &[
    (
        "severity",
        "# RG201 = \"warn\"  # error, warning (warn), note, or off",
        "Severity per rule.",
    ),
    (
        "per-file-ignores",
        "# \"src/legacy/**\" = [\"RG3\"]",
        "Rules switched off for files matching a glob.",
    ),
    (
        "business-logic",
        "include = []\nexclude = []",
        "Globs that widen or narrow what RG101 calls business logic.",
    ),
    (
        "coverage",
        "# reports = [\"lcov.info\"]\n# min-total = 80.0",
        "The coverage gate (see README, \"Coverage gate\").",
    ),
];

/// `rustgate init`: a `rustgate.toml` with every key at its default,
/// commented out, each with what it does.
pub fn template() -> String {
    let mut out = String::from(
        "# rustgate configuration. Every key is shown at its default, commented out:\n\
         # uncomment a line to change it. `rustgate check --show-settings` prints the\n\
         # effective configuration and where each value comes from.\n\n",
    );
    for (key, default, what) in DRIVER_DEFAULTS {
        out.push_str(&format!("# {what}\n# {key} = {default}\n\n"));
    }
    for (key, body, what) in DRIVER_TABLES {
        out.push_str(&format!("# {what}\n# [{key}]\n"));
        for line in body.lines() {
            match line.strip_prefix("# ") {
                Some(example) => out.push_str(&format!("# {example}\n")),
                None => out.push_str(&format!("# {line}\n")),
            }
        }
        out.push('\n');
    }
    out.push_str("# Rule options (`rustgate rule CODE` documents each).\n");
    if let Ok(toml::Value::Table(sections)) = toml::Value::try_from(Settings::default()) {
        for (section, value) in sections {
            let mut one = toml::Table::new();
            one.insert(section, value);
            if let Ok(text) = toml::to_string(&one) {
                for line in text.lines() {
                    out.push_str(&format!("# {line}\n").replace("# \n", "#\n"));
                }
            }
            out.push('\n');
        }
    }
    out
}

/// `check --show-settings`: the effective configuration, each top-level key
/// with where its value comes from (a file, the command line, or the
/// default), then the rules that run.
pub fn show_settings(
    found: &Discovered,
    config: &Config,
    overrides: &Overrides,
    root: &Path,
) -> String {
    use crate::workspace::rel;
    let mut out = String::new();
    match &found.source {
        Some(p) => out.push_str(&format!("# configuration: {}\n", rel(root, p))),
        None => out.push_str("# configuration: none found, defaults apply\n"),
    }
    let mut cli = toml::Table::new();
    if let Some(sel) = &overrides.select {
        cli.insert(
            "select".into(),
            toml::Value::try_from(sel).unwrap_or(toml::Value::Array(Vec::new())),
        );
    }
    if !overrides.ignore.is_empty() {
        let mut all: Vec<String> = match found.table.get("ignore") {
            Some(toml::Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        all.extend(overrides.ignore.iter().cloned());
        cli.insert(
            "ignore".into(),
            toml::Value::try_from(all).unwrap_or(toml::Value::Array(Vec::new())),
        );
    }
    if let Some(f) = overrides.fail_on {
        cli.insert("fail-on".into(), toml::Value::String(f.as_str().to_owned()));
    }
    if overrides.preview {
        cli.insert("preview".into(), toml::Value::Boolean(true));
    }
    let origin = |key: &str| -> String {
        if cli.contains_key(key) {
            "command line".to_owned()
        } else {
            match found.origins.get(key) {
                Some(p) => rel(root, p),
                None => "default".to_owned(),
            }
        }
    };
    let value_of = |key: &str| -> Option<toml::Value> {
        cli.get(key).or_else(|| found.table.get(key)).cloned()
    };
    for (key, default, _) in DRIVER_DEFAULTS {
        if *key == "extend" {
            continue;
        }
        let value = match value_of(key) {
            Some(v) => v.to_string(),
            None => (*default).to_owned(),
        };
        out.push_str(&format!("{key} = {value}  # {}\n", origin(key)));
    }
    let mut tables = toml::Table::new();
    for (key, _, _) in DRIVER_TABLES {
        if let Some(v) = value_of(key) {
            tables.insert((*key).to_owned(), v);
        }
    }
    if let Ok(toml::Value::Table(sections)) = toml::Value::try_from(&config.settings) {
        tables.extend(sections);
    }
    for (key, value) in tables {
        let mut one = toml::Table::new();
        let from = origin(&key);
        one.insert(key, value);
        if let Ok(text) = toml::to_string(&one) {
            out.push_str(&format!("\n# from: {from}\n{}", text.trim_start()));
        }
    }
    out.push_str(&format!("\n# rules that run ({}):\n", config.enabled.len()));
    for m in &config.enabled {
        out.push_str(&format!(
            "#   {} {} ({}{})\n",
            m.code,
            m.name,
            config.severity_of(m),
            if m.preview { ", preview" } else { "" }
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `rustgate init`'s template names every key, and its values are the
    /// defaults: uncommented, they resolve to what no configuration gives.
    #[test]
    fn the_init_template_holds_every_key_at_its_default() {
        let text = template();
        for key in DRIVER_KEYS {
            assert!(
                text.contains(&format!("\n# {key} = ")) || text.contains(&format!("\n# [{key}]")),
                "`{key}` is missing from the template"
            );
        }
        for section in Settings::SECTIONS {
            assert!(
                text.contains(&format!("\n# [{section}]")),
                "[{section}] is missing"
            );
        }
        // The driver's keys, uncommented (all but `extend`, whose value is an
        // example), and the rule options.
        let mut uncommented = String::new();
        let mut in_rule_options = false;
        let mut in_driver_tables = false;
        for line in text.lines() {
            in_rule_options |= line.starts_with("# Rule options");
            in_driver_tables |= line.starts_with("# [") && !in_rule_options;
            if in_driver_tables && !in_rule_options {
                continue;
            }
            let Some(body) = line.strip_prefix("# ") else {
                continue;
            };
            let is_key = body.split_once(" = ").is_some_and(|(k, _)| {
                k.chars().all(|c| c.is_ascii_lowercase() || c == '-') && k != "extend"
            });
            if (is_key && !line.contains("  #") && (in_rule_options || !body.contains('/')))
                || (in_rule_options && body.starts_with('['))
            {
                uncommented.push_str(body);
                uncommented.push('\n');
            }
        }
        let table: toml::Table = uncommented.parse().expect("the template's values parse");
        let from_template = resolve(None, table, &Overrides::default()).expect("they are valid");
        let default = resolve(None, toml::Table::new(), &Overrides::default()).expect("defaults");
        assert_eq!(from_template.settings, default.settings);
        assert_eq!(from_template.fail_on, default.fail_on);
        assert_eq!(from_template.max_file_size, default.max_file_size);
        assert_eq!(from_template.max_nesting, default.max_nesting);
        assert_eq!(from_template.follow_symlinks, default.follow_symlinks);
        assert_eq!(
            from_template.require_suppression_reason,
            default.require_suppression_reason
        );
        let codes = |c: &Config| c.enabled.iter().map(|m| m.code).collect::<Vec<_>>();
        assert_eq!(codes(&from_template), codes(&default));
    }
}
