//! Content fingerprints of findings, shared by SARIF `partialFingerprints` and
//! the baseline.
//!
//! A fingerprint comes from what the code says, never from where it is: the
//! rule, the flagged line with all whitespace removed, and the flagged text
//! itself. Identical findings in one file are told apart by their occurrence
//! index (first, second, ... in source order). So inserting unrelated lines
//! above a finding, re-indenting it, or moving the file keeps the
//! fingerprint; editing the flagged line changes it.

use std::borrow::Borrow;
use std::collections::HashMap;

use rustgate_rules::Diagnostic;

/// The two fingerprints of one finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fingerprint {
    /// Rule + content + occurrence index: survives line shifts and file moves.
    pub content: String,
    /// `content` + path: unique within a run (SARIF `partialFingerprints`).
    pub located: String,
}

/// The flagged text is cut at this many characters, so a long span (a whole
/// function) keeps its fingerprint when its body changes.
const MAX_SPAN_CHARS: usize = 200;

/// Fingerprints of `diagnostics` (in order; one per finding), reading their
/// files with `read` (a path as shown to its text: [`crate::engine::Run::source_text`],
/// which never reads through a link out of the tree and stops at
/// `max-file-size`). A file that cannot be read falls back to the message.
pub fn compute<D: Borrow<Diagnostic>>(
    diagnostics: &[D],
    read: &dyn Fn(&str) -> Option<String>,
) -> Vec<Fingerprint> {
    let mut files: HashMap<&str, Option<Vec<String>>> = HashMap::new();
    let mut seen: HashMap<(&str, u64), u32> = HashMap::new();
    diagnostics
        .iter()
        .map(|d| {
            let d: &Diagnostic = d.borrow();
            let path = d.primary.path.as_str();
            let lines = files
                .entry(path)
                .or_insert_with(|| read(path).map(|t| t.lines().map(str::to_owned).collect()));
            let base = content_hash(d, lines.as_deref());
            let occurrence = seen.entry((path, base)).or_insert(0);
            let content = Fnv::new().u64(base).u64(u64::from(*occurrence)).finish();
            *occurrence += 1;
            let located = Fnv::new().str(path).u64(content).finish();
            Fingerprint {
                content: format!("{content:016x}"),
                located: format!("{located:016x}"),
            }
        })
        .collect()
}

/// The `located` fingerprint of a content fingerprint at `path` (for a
/// baseline entry, which stores `content`): `None` if `content` is not one.
pub fn located(path: &str, content: &str) -> Option<String> {
    let content = u64::from_str_radix(content, 16).ok()?;
    Some(format!(
        "{:016x}",
        Fnv::new().str(path).u64(content).finish()
    ))
}

fn content_hash(d: &Diagnostic, lines: Option<&[String]>) -> u64 {
    let span = d.primary.span;
    let line = lines.and_then(|l| l.get(span.start.line.checked_sub(1)? as usize));
    let mut h = Fnv::new().str(d.rule.code);
    match line {
        Some(line) => {
            let start = span.start.column.saturating_sub(1) as usize;
            let end = if span.end.line == span.start.line {
                span.end.column.saturating_sub(1) as usize
            } else {
                usize::MAX
            };
            let flagged: String = line
                .chars()
                .skip(start)
                .take(end.saturating_sub(start).min(MAX_SPAN_CHARS))
                .collect();
            h = h.str(&squeeze(line)).str(&squeeze(&flagged));
        }
        None => h = h.str(&d.message),
    }
    h.finish()
}

/// The text without whitespace, so re-indenting or reformatting keeps it.
fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// 64-bit FNV-1a: stable across platforms and releases (unlike `DefaultHasher`).
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn bytes(mut self, bytes: &[u8]) -> Fnv {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        self
    }

    /// A field: its bytes and a separator, so `("ab", "c") != ("a", "bc")`.
    fn str(self, s: &str) -> Fnv {
        self.bytes(s.as_bytes()).bytes(&[0xff])
    }

    fn u64(self, v: u64) -> Fnv {
        self.bytes(&v.to_le_bytes())
    }

    fn finish(self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustgate_rules::{LineCol, Span, registry};

    const LIMIT: u64 = 1 << 20;

    fn diag(path: &str, line: u32, col: u32, end: u32) -> Diagnostic {
        let span = Span {
            start: LineCol { line, column: col },
            end: LineCol { line, column: end },
        };
        Diagnostic::new(registry::driver("RG901"), path, span, "m")
    }

    fn write(dir: &std::path::Path, path: &str, text: &str) {
        std::fs::create_dir_all(dir.join(path).parent().expect("parent")).expect("mkdir");
        std::fs::write(dir.join(path), text).expect("write");
    }

    #[test]
    fn stable_under_insertions_above_reindent_and_moves() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "a.rs", "fn f() {\n    x.unwrap();\n}\n");
        write(
            dir.path(),
            "b.rs",
            "// new\n\nfn f() {\n        x.unwrap();\n}\n",
        );
        let fa = compute(&[diag("a.rs", 2, 5, 15)], &|p| {
            crate::workspace::reread(dir.path(), p, LIMIT)
        });
        let fb = compute(&[diag("b.rs", 4, 9, 19)], &|p| {
            crate::workspace::reread(dir.path(), p, LIMIT)
        });
        assert_eq!(fa[0].content, fb[0].content);
        assert_ne!(
            fa[0].located, fb[0].located,
            "the path is part of `located`"
        );
    }

    #[test]
    fn same_rule_twice_on_one_line_differs() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "a.rs", "a.unwrap(); a.unwrap();\n");
        let f = compute(&[diag("a.rs", 1, 1, 11), diag("a.rs", 1, 13, 23)], &|p| {
            crate::workspace::reread(dir.path(), p, LIMIT)
        });
        assert_ne!(f[0].content, f[1].content);
        assert_ne!(f[0].located, f[1].located);
    }

    #[test]
    fn editing_the_line_changes_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "a.rs", "x.unwrap();\n");
        write(dir.path(), "b.rs", "y.unwrap();\n");
        let a = compute(&[diag("a.rs", 1, 1, 11)], &|p| {
            crate::workspace::reread(dir.path(), p, LIMIT)
        });
        let b = compute(&[diag("b.rs", 1, 1, 11)], &|p| {
            crate::workspace::reread(dir.path(), p, LIMIT)
        });
        assert_ne!(a[0].content, b[0].content);
    }
}
