//! The per-file result cache: what checking one file produced (findings before
//! configuration is applied, the facts the crate phase needs, suppression
//! comments, line count), so an unchanged file is neither parsed nor walked
//! again.
//!
//! - One file per configuration, `<cache dir>/<key>.bin`, where the key hashes
//!   the workspace root, the enabled rules and the rule settings. Its header
//!   also holds the rustgate version and the executable's size and mtime, so a
//!   rebuilt rustgate never trusts results of another build.
//! - An entry is used only when the file's content hash (xxh3-128) and its
//!   `FileInfo` (package, target kind, business-logic decision) are equal.
//! - The whole file is checked (magic, format, key, length, xxh3 checksum of
//!   the body) before anything in it is used; anything wrong and it is
//!   ignored, then rewritten by the run.
//! - Entries are decoded lazily on the worker threads, only for hits; an entry
//!   that does not decode is a miss.
//! - Written atomically (temporary file + rename), and only when something
//!   changed.

use std::collections::HashMap;
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};

use rustgate_rules::{
    Diagnostic, FileFacts, FileInfo, Label, Location, Severity, Span, Suppressed,
};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::{Xxh3, xxh3_64, xxh3_128};

use crate::suppress::{Malformed, Suppression};

const MAGIC: &[u8; 8] = b"RGCACHE\0";
/// Bump when the layout of [`Entry`] or the header changes.
const FORMAT: u32 = 3;
/// magic, format, build stamp, body length, body checksum.
const HEADER_LEN: usize = 8 + 4 + 8 + 8 + 8;

/// Hash of a file's content.
pub fn content_hash(bytes: &[u8]) -> u128 {
    xxh3_128(bytes)
}

/// Whether and where a run caches.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub enum CacheMode {
    /// No cache (library callers, `--no-cache`).
    #[default]
    Off,
    /// `<Cargo target dir>/rustgate/`; no cache outside Cargo.
    Default,
    /// `--cache-dir`.
    Dir(PathBuf),
}

/// What a cached file restores.
pub struct Cached {
    pub diagnostics: Vec<Diagnostic>,
    pub facts: Option<FileFacts>,
    pub suppressions: Vec<Suppression>,
    pub malformed: Vec<Malformed>,
    pub lines: usize,
}

/// The bytes to store for one file after a run.
#[derive(Debug, Clone)]
pub enum Slot {
    /// Unchanged: copy this range of the loaded cache file.
    Old(Range<usize>),
    /// Freshly checked.
    New(Vec<u8>),
}

/// One file's record, as stored for each run.
#[derive(Debug, Clone)]
pub struct Stored {
    pub path: String,
    pub hash: u128,
    pub info_hash: u64,
    pub slot: Slot,
}

#[derive(Serialize, Deserialize)]
struct IndexEntry {
    path: String,
    hash: u128,
    info_hash: u64,
    start: u64,
    len: u64,
}

/// `Diagnostic` without its `skip_serializing_if` fields, which a
/// non-self-describing format cannot read back.
#[derive(Serialize, Deserialize)]
struct Diag {
    code: String,
    severity: Severity,
    message: String,
    primary: Location,
    labels: Vec<Label>,
    flow: Vec<Label>,
    help: Option<String>,
    suppressed: Option<Suppressed>,
}

#[derive(Serialize, Deserialize)]
struct Supp {
    span: Span,
    codes: Vec<String>,
    reason: String,
    lines: Option<(u32, u32)>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    lines: u64,
    diagnostics: Vec<Diag>,
    facts: Option<FileFacts>,
    suppressions: Vec<Supp>,
    malformed: Vec<(Span, String)>,
}

/// Hash of what the file-level decision about a file is.
pub fn info_hash(info: &FileInfo) -> u64 {
    postcard::to_stdvec(info).map_or(0, |b| xxh3_64(&b))
}

/// Encodes one file's results; `None` when they cannot be (never cached).
pub fn encode(
    diagnostics: &[Diagnostic],
    facts: Option<&FileFacts>,
    suppressions: &[Suppression],
    malformed: &[Malformed],
    lines: usize,
) -> Option<Vec<u8>> {
    #[derive(Serialize)]
    struct EntryRef<'a> {
        lines: u64,
        diagnostics: Vec<Diag>,
        facts: Option<&'a FileFacts>,
        suppressions: Vec<Supp>,
        malformed: Vec<(Span, String)>,
    }
    let entry = EntryRef {
        lines: lines as u64,
        diagnostics: diagnostics
            .iter()
            .map(|d| {
                // Destructured so that a new field of `Diagnostic` cannot be
                // forgotten here.
                let Diagnostic {
                    rule,
                    severity,
                    message,
                    primary,
                    labels,
                    flow,
                    help,
                    suppressed,
                } = d;
                Diag {
                    code: rule.code.to_owned(),
                    severity: *severity,
                    message: message.clone(),
                    primary: primary.clone(),
                    labels: labels.clone(),
                    flow: flow.clone(),
                    help: help.clone(),
                    suppressed: suppressed.clone(),
                }
            })
            .collect(),
        facts,
        suppressions: suppressions
            .iter()
            .map(|s| Supp {
                span: s.span,
                codes: s.codes.iter().map(|(c, _)| c.clone()).collect(),
                reason: s.reason.clone(),
                lines: s.lines,
            })
            .collect(),
        malformed: malformed
            .iter()
            .map(|m| (m.span, m.message.clone()))
            .collect(),
    };
    postcard::to_stdvec(&entry).ok()
}

/// A rule by its exact code (what `encode` wrote), without rebuilding the
/// registry list for every finding.
fn rule_by_code(code: &str) -> Option<&'static rustgate_rules::RuleMeta> {
    static BY_CODE: std::sync::OnceLock<HashMap<&'static str, &'static rustgate_rules::RuleMeta>> =
        std::sync::OnceLock::new();
    BY_CODE
        .get_or_init(|| {
            rustgate_rules::registry::all()
                .into_iter()
                .map(|m| (m.code, m))
                .collect()
        })
        .get(code)
        .copied()
}

fn decode(bytes: &[u8]) -> Option<Cached> {
    let entry: Entry = postcard::from_bytes(bytes).ok()?;
    let mut diagnostics = Vec::with_capacity(entry.diagnostics.len());
    for d in entry.diagnostics {
        diagnostics.push(Diagnostic {
            rule: rule_by_code(&d.code)?,
            severity: d.severity,
            message: d.message,
            primary: d.primary,
            labels: d.labels,
            flow: d.flow,
            help: d.help,
            suppressed: d.suppressed,
        });
    }
    Some(Cached {
        diagnostics,
        facts: entry.facts,
        suppressions: entry
            .suppressions
            .into_iter()
            .map(|s| Suppression {
                span: s.span,
                codes: s
                    .codes
                    .into_iter()
                    .map(|c| {
                        let meta = rustgate_rules::registry::find(&c);
                        (c, meta)
                    })
                    .collect(),
                reason: s.reason,
                lines: s.lines,
            })
            .collect(),
        malformed: entry
            .malformed
            .into_iter()
            .map(|(span, message)| Malformed { span, message })
            .collect(),
        lines: entry.lines as usize,
    })
}

/// The cache of one workspace and configuration.
pub struct Cache {
    file: PathBuf,
    stamp: u64,
    data: Vec<u8>,
    index: HashMap<String, (u128, u64, Range<usize>)>,
}

/// A stamp of this build: version and executable, so results of another
/// rustgate build are never used.
fn build_stamp() -> u64 {
    let mut h = Xxh3::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.update(&FORMAT.to_le_bytes());
    if let Ok(meta) = std::env::current_exe().and_then(std::fs::metadata) {
        h.update(&meta.len().to_le_bytes());
        if let Ok(t) = meta.modified()
            && let Ok(d) = t.duration_since(std::time::UNIX_EPOCH)
        {
            h.update(&d.as_nanos().to_le_bytes());
        }
    }
    h.digest()
}

impl Cache {
    /// Opens (loads and validates) the cache for `key` in `dir`. A missing,
    /// stale or damaged file gives an empty cache.
    pub fn open(dir: &Path, key: &[u8]) -> Cache {
        let file = dir.join(format!("{:016x}.bin", xxh3_64(key)));
        let stamp = build_stamp();
        let mut cache = Cache {
            file,
            stamp,
            data: Vec::new(),
            index: HashMap::new(),
        };
        if let Ok(data) = std::fs::read(&cache.file)
            && let Some(index) = validate(&data, stamp)
        {
            cache.data = data;
            cache.index = index;
        }
        cache
    }

    /// Number of entries loaded.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The cached results of `path`, if its content and classification are
    /// unchanged and the entry decodes.
    pub fn get(&self, path: &str, hash: u128, info_hash: u64) -> Option<(Cached, Range<usize>)> {
        let (h, ih, range) = self.index.get(path)?;
        if *h != hash || *ih != info_hash {
            return None;
        }
        let cached = decode(self.data.get(range.clone())?)?;
        Some((cached, range.clone()))
    }

    /// Writes the entries of this run, plus loaded entries of files this run
    /// did not check that still exist under `root`. Does nothing when nothing
    /// changed.
    pub fn store(self, root: &Path, mut entries: Vec<Stored>) -> std::io::Result<()> {
        let mut changed = entries.iter().any(|e| matches!(e.slot, Slot::New(_)));
        let seen: std::collections::HashSet<&str> =
            entries.iter().map(|e| e.path.as_str()).collect();
        let mut carried = Vec::new();
        for (path, (hash, info_hash, range)) in &self.index {
            if seen.contains(path.as_str()) {
                continue;
            }
            if root.join(path).is_file() {
                carried.push(Stored {
                    path: path.clone(),
                    hash: *hash,
                    info_hash: *info_hash,
                    slot: Slot::Old(range.clone()),
                });
            } else {
                changed = true;
            }
        }
        drop(seen);
        if !changed && entries.len() + carried.len() == self.index.len() {
            return Ok(());
        }
        entries.extend(carried);
        entries.sort_by(|a, b| a.path.cmp(&b.path));

        let mut blobs_len = 0u64;
        let mut index = Vec::with_capacity(entries.len());
        for e in &entries {
            let len = match &e.slot {
                Slot::Old(r) => r.len(),
                Slot::New(b) => b.len(),
            } as u64;
            index.push(IndexEntry {
                path: e.path.clone(),
                hash: e.hash,
                info_hash: e.info_hash,
                start: blobs_len,
                len,
            });
            blobs_len += len;
        }
        let index_bytes = postcard::to_stdvec(&index).map_err(std::io::Error::other)?;
        let mut body = Vec::with_capacity(8 + index_bytes.len() + blobs_len as usize);
        body.extend_from_slice(&(index_bytes.len() as u64).to_le_bytes());
        body.extend_from_slice(&index_bytes);
        for e in &entries {
            match &e.slot {
                Slot::Old(r) => body.extend_from_slice(&self.data[r.clone()]),
                Slot::New(b) => body.extend_from_slice(b),
            }
        }
        let mut out = Vec::with_capacity(HEADER_LEN);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT.to_le_bytes());
        out.extend_from_slice(&self.stamp.to_le_bytes());
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        out.extend_from_slice(&xxh3_64(&body).to_le_bytes());

        let dir = self.file.parent().unwrap_or(Path::new("."));
        if !dir.exists() {
            // A folder rustgate creates is marked as its own (and as a cache
            // that backups skip): `rustgate clean` removes only such folders.
            std::fs::create_dir_all(dir)?;
            std::fs::write(dir.join(TAG_NAME), TAG)?;
        }
        let tmp = dir.join(format!(
            ".{}.{}.tmp",
            self.file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            std::process::id()
        ));
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .and_then(|mut f| {
                f.write_all(&out)?;
                f.write_all(&body)?;
                f.flush()
            });
        if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, &self.file)) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        Ok(())
    }
}

type Index = HashMap<String, (u128, u64, Range<usize>)>;

/// The index of a cache file, if the whole file is intact and of this build.
fn validate(data: &[u8], stamp: u64) -> Option<Index> {
    let u64_at = |at: usize| -> Option<u64> {
        Some(u64::from_le_bytes(data.get(at..at + 8)?.try_into().ok()?))
    };
    if data.get(..8)? != MAGIC {
        return None;
    }
    let format = u32::from_le_bytes(data.get(8..12)?.try_into().ok()?);
    if format != FORMAT || u64_at(12)? != stamp {
        return None;
    }
    let body_len = usize::try_from(u64_at(20)?).ok()?;
    let checksum = u64_at(28)?;
    let body = data.get(HEADER_LEN..)?;
    if body.len() != body_len || xxh3_64(body) != checksum {
        return None;
    }
    let index_len = usize::try_from(u64::from_le_bytes(body.get(..8)?.try_into().ok()?)).ok()?;
    let index: Vec<IndexEntry> = postcard::from_bytes(body.get(8..8 + index_len)?).ok()?;
    let blobs_start = HEADER_LEN + 8 + index_len;
    let mut map = HashMap::with_capacity(index.len());
    for e in index {
        let start = blobs_start.checked_add(usize::try_from(e.start).ok()?)?;
        let end = start.checked_add(usize::try_from(e.len).ok()?)?;
        if end > data.len() {
            return None;
        }
        map.insert(e.path, (e.hash, e.info_hash, start..end));
    }
    Some(map)
}

/// The default cache directory: `<target dir>/rustgate`.
pub fn default_dir(target_dir: &Path) -> PathBuf {
    target_dir.join("rustgate")
}

/// Whether a cache folder under `root` stays in the tree: none of its
/// folders that exist is a symlink out of it. The checked repository owns
/// `<root>/target` and could commit a link there to make rustgate write
/// anywhere (`target -> ~/.ssh`); then the run does not cache. A folder
/// outside `root` (`CARGO_TARGET_DIR`, `--cache-dir`) is the user's choice.
pub fn stays_in_tree(root: &Path, dir: &Path) -> bool {
    let Ok(below) = dir.strip_prefix(root) else {
        return true;
    };
    let Ok(canonical_root) = std::fs::canonicalize(root) else {
        return false;
    };
    let mut at = root.to_path_buf();
    for part in below.components() {
        at.push(part);
        match std::fs::symlink_metadata(&at) {
            Err(_) => return true,
            Ok(m) if m.file_type().is_symlink() => match std::fs::canonicalize(&at) {
                Ok(target) if target.starts_with(&canonical_root) => {}
                _ => return false,
            },
            Ok(_) => {}
        }
    }
    true
}

/// The marker of a cache folder rustgate created (the Cache Directory
/// Tagging Specification: backup tools skip such folders).
pub const TAG_NAME: &str = "CACHEDIR.TAG";
const TAG: &str = "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by rustgate.\n# For information about cache directory tags see https://bford.info/cachedir/\n";

/// Why `clean` refused.
#[derive(Debug)]
pub enum CleanError {
    Io(std::io::Error),
    /// The folder holds something rustgate did not write: nothing removed.
    NotOurs {
        entry: String,
    },
}

/// Whether `name` is a file rustgate writes in its cache folder: a cache
/// (`<16 hex digits>.bin`), a cache being written (`.<that>.<pid>.tmp`), or
/// the marker.
fn is_ours(name: &str) -> bool {
    let cache = |n: &str| {
        n.strip_suffix(".bin")
            .is_some_and(|h| h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    if name == TAG_NAME || cache(name) {
        return true;
    }
    name.strip_prefix('.')
        .and_then(|n| n.strip_suffix(".tmp"))
        .and_then(|n| n.rsplit_once('.'))
        .is_some_and(|(file, pid)| cache(file) && pid.bytes().all(|b| b.is_ascii_digit()))
}

/// Removes rustgate's cache in `dir`; returns whether there was one. Only
/// what rustgate wrote is removed: its cache files, and the folder itself
/// when rustgate created it (it holds rustgate's `CACHEDIR.TAG`). A folder
/// that holds anything else is refused whole, before anything is removed
/// (`--cache-dir .` never deletes a source file).
pub fn clean(dir: &Path) -> Result<bool, CleanError> {
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(CleanError::Io(e)),
    };
    if !meta.is_dir() {
        return Err(CleanError::NotOurs {
            entry: dir.display().to_string(),
        });
    }
    let mut ours = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(CleanError::Io)? {
        let entry = entry.map_err(CleanError::Io)?;
        let name = entry.file_name();
        let is_file = entry.file_type().map_err(CleanError::Io)?.is_file();
        match name.to_str() {
            Some(n) if is_file && is_ours(n) => ours.push(entry.path()),
            _ => {
                return Err(CleanError::NotOurs {
                    entry: name.to_string_lossy().into_owned(),
                });
            }
        }
    }
    let tagged = std::fs::read_to_string(dir.join(TAG_NAME)).is_ok_and(|t| t == TAG);
    if ours.is_empty() && !tagged {
        return Ok(false);
    }
    for file in &ours {
        std::fs::remove_file(file).map_err(CleanError::Io)?;
    }
    if tagged {
        std::fs::remove_dir(dir).map_err(CleanError::Io)?;
    }
    Ok(true)
}
