//! The lines a change adds or modifies, per new path: from a unified diff
//! (`--diff-file`) or from `git diff` against the merge base with a ref
//! (`--diff-base`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use super::CoverageError;

/// Added or modified line numbers (new side) by new path.
pub type Changes = BTreeMap<String, BTreeSet<u32>>;

/// Parses a unified diff (git or plain `diff -u`, any context size). Deleted
/// files and pure deletions add nothing.
pub fn parse_unified(path: &Path, text: &str) -> Result<Changes, CoverageError> {
    let mut changes = Changes::new();
    let mut file: Option<String> = None;
    // Lines left in the current hunk: (old side, new side).
    let mut left = (0u32, 0u32);
    let mut new_line = 0u32;
    let mut seen_file = false;
    for (idx, raw) in text.lines().enumerate() {
        let lineno = idx + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let bad = |expected: &str| CoverageError::Malformed {
            path: path.to_owned(),
            line: lineno,
            expected: expected.to_owned(),
        };
        if left.0 > 0 || left.1 > 0 {
            match line.as_bytes().first() {
                Some(b'+') => {
                    if left.1 == 0 {
                        return Err(bad(
                            "no more added lines in this hunk (its header counts fewer)",
                        ));
                    }
                    if let Some(f) = &file {
                        changes.entry(f.clone()).or_default().insert(new_line);
                    }
                    new_line = new_line.saturating_add(1);
                    left.1 -= 1;
                }
                Some(b'-') => {
                    if left.0 == 0 {
                        return Err(bad(
                            "no more removed lines in this hunk (its header counts fewer)",
                        ));
                    }
                    left.0 -= 1;
                }
                Some(b' ') | None => {
                    if left.0 == 0 || left.1 == 0 {
                        return Err(bad("a hunk line matching the counts of its `@@` header"));
                    }
                    new_line = new_line.saturating_add(1);
                    left.0 -= 1;
                    left.1 -= 1;
                }
                Some(b'\\') => {}
                _ => return Err(bad("a hunk line starting with ` `, `+`, `-` or `\\`")),
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("+++ ") {
            file = new_path(rest);
            seen_file = true;
        } else if line.starts_with("@@") {
            let (new_start, old_count, new_count) =
                parse_hunk_header(line).ok_or_else(|| bad("a hunk header `@@ -a,b +c,d @@`"))?;
            if !seen_file {
                return Err(bad("a `+++ <path>` line before the first hunk"));
            }
            // The hunk's last new line must be a line number: no wrap to 0.
            if new_start.checked_add(new_count.saturating_sub(1)).is_none() {
                return Err(bad(&format!(
                    "a hunk that ends by line {} (`+{new_start},{new_count}` does not)",
                    u32::MAX
                )));
            }
            left = (old_count, new_count);
            new_line = new_start;
        }
        // Anything else between hunks (diff --git, index, ---, mode lines,
        // commit messages) carries no line numbers.
    }
    if left.0 > 0 || left.1 > 0 {
        return Err(CoverageError::Malformed {
            path: path.to_owned(),
            line: text.lines().count(),
            expected: "the rest of the last hunk (the diff looks truncated)".to_owned(),
        });
    }
    changes.retain(|_, l| !l.is_empty());
    Ok(changes)
}

/// The new path of a `+++` line: `None` for a deleted file.
fn new_path(rest: &str) -> Option<String> {
    let rest = rest.split('\t').next().unwrap_or(rest).trim_end();
    if rest == "/dev/null" {
        return None;
    }
    let rest = if rest.len() >= 2 && rest.starts_with('"') && rest.ends_with('"') {
        unquote(&rest[1..rest.len() - 1])
    } else {
        rest.to_owned()
    };
    Some(rest.strip_prefix("b/").map(str::to_owned).unwrap_or(rest))
}

/// Undoes git's C-style quoting of unusual path characters.
fn unquote(s: &str) -> String {
    let mut bytes = Vec::with_capacity(s.len());
    let mut it = s.bytes().peekable();
    while let Some(b) = it.next() {
        if b != b'\\' {
            bytes.push(b);
            continue;
        }
        match it.next() {
            Some(b'n') => bytes.push(b'\n'),
            Some(b't') => bytes.push(b'\t'),
            Some(d @ b'0'..=b'7') => {
                let mut v = u32::from(d - b'0');
                for _ in 0..2 {
                    if let Some(&n @ b'0'..=b'7') = it.peek() {
                        v = v * 8 + u32::from(n - b'0');
                        it.next();
                    }
                }
                bytes.push(v as u8);
            }
            Some(other) => bytes.push(other),
            None => bytes.push(b'\\'),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// `@@ -a[,b] +c[,d] @@ ...` -> `(c, b, d)`; counts default to 1.
fn parse_hunk_header(line: &str) -> Option<(u32, u32, u32)> {
    let body = line.strip_prefix("@@ ")?;
    let (ranges, _) = body.split_once(" @@")?;
    let (old, new) = ranges.split_once(' ')?;
    let range = |r: &str| -> Option<(u32, u32)> {
        match r.split_once(',') {
            Some((start, count)) => Some((start.parse().ok()?, count.parse().ok()?)),
            None => Some((r.parse().ok()?, 1)),
        }
    };
    let (_, old_count) = range(old.strip_prefix('-')?)?;
    let (new_start, new_count) = range(new.strip_prefix('+')?)?;
    Some((new_start, old_count, new_count))
}

/// The changes of the working tree against the merge base of `HEAD` and
/// `base`, for the files under `workspace_root` (paths relative to it).
pub fn git_changes(workspace_root: &Path, base: &str) -> Result<Changes, CoverageError> {
    // A shallow clone (CI checkouts default to one commit) often lacks the
    // base or the merge base: say how to fetch the history.
    let shallow = || {
        let hint = git(workspace_root, &["rev-parse", "--is-shallow-repository"])
            .is_ok_and(|o| o.trim() == "true");
        if hint {
            "; this is a shallow clone: fetch the history (actions/checkout with `fetch-depth: 0`, or `git fetch --unshallow`)"
        } else {
            ""
        }
    };
    let merge_base = git(workspace_root, &["merge-base", base, "HEAD"])
        .map_err(|e| CoverageError::Git(format!("unknown git base `{base}`: {e}{}", shallow())))?;
    let merge_base = merge_base.trim();
    if merge_base.is_empty() {
        return Err(CoverageError::Git(format!(
            "unknown git base `{base}`: no merge base with HEAD{}",
            shallow()
        )));
    }
    let diff = git(
        workspace_root,
        &[
            "diff",
            "-U0",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "--relative",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            merge_base,
        ],
    )
    .map_err(|e| CoverageError::Git(format!("cannot diff against `{base}` ({merge_base}): {e}")))?;
    let mut changes = parse_unified(Path::new(&format!("git diff {merge_base}")), &diff)?;
    // Files git does not track yet are new in the working tree: every line
    // of each changed (Rust sources and manifests: nothing else has findings
    // or coverage).
    let untracked = git(
        workspace_root,
        &[
            "ls-files",
            "-z",
            "--others",
            "--exclude-standard",
            "--",
            ".",
        ],
    )
    .map_err(|e| CoverageError::Git(format!("cannot list untracked files: {e}")))?;
    let checked = |p: &&str| p.ends_with(".rs") || p.ends_with("Cargo.toml");
    for path in untracked.split('\0').filter(checked) {
        let Ok(text) = std::fs::read(workspace_root.join(path)) else {
            continue;
        };
        let lines = memchr::memchr_iter(b'\n', &text).count()
            + usize::from(!text.is_empty() && !text.ends_with(b"\n"));
        let lines = u32::try_from(lines).unwrap_or(u32::MAX);
        if lines > 0 {
            changes.insert(path.to_owned(), (1..=lines).collect());
        }
    }
    Ok(changes)
}

/// Runs git, the one program rustgate starts, so that nothing the checked
/// repository configures can run: no fsmonitor, hooks, pager, external diff
/// or textconv driver, and no terminal prompt.
fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .args([
            "--no-pager",
            "-c",
            "core.quotePath=false",
            "-c",
            "core.fsmonitor=false",
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "diff.external=",
            "-c",
            "core.pager=cat",
        ])
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_EXTERNAL_DIFF")
        .env_remove("GIT_PAGER")
        .env_remove("PAGER")
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let msg = stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("git failed");
        return Err(msg.trim().to_owned());
    }
    String::from_utf8(out.stdout).map_err(|_| "git printed a diff that is not UTF-8".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIFF: &str = "\
diff --git a/src/lib.rs b/src/lib.rs
index 1111111..2222222 100644
--- a/src/lib.rs
+++ b/src/lib.rs
@@ -3,2 +3,3 @@ fn a() {
     let x = 1;
-    old();
+    new();
+    more();
@@ -10 +11,0 @@
-gone
diff --git a/src/old.rs b/src/old.rs
deleted file mode 100644
--- a/src/old.rs
+++ /dev/null
@@ -1,2 +0,0 @@
-a
--- b
diff --git a/src/new.rs b/src/new.rs
new file mode 100644
--- /dev/null
+++ b/src/new.rs
@@ -0,0 +1,2 @@
+fn n() {}
++++ plus
";

    #[test]
    fn parses_added_and_modified_lines() {
        let changes = parse_unified(Path::new("p.diff"), DIFF).expect("parses");
        assert_eq!(
            changes,
            Changes::from([
                ("src/lib.rs".to_owned(), BTreeSet::from([4, 5])),
                ("src/new.rs".to_owned(), BTreeSet::from([1, 2])),
            ])
        );
    }

    #[test]
    fn malformed_diff_names_file_and_line() {
        let text = DIFF.replace("@@ -10 +11,0 @@", "@@ -10 +eleven @@");
        let msg = parse_unified(Path::new("p.diff"), &text)
            .expect_err("bad")
            .to_string();
        assert!(
            msg.contains("p.diff") && msg.contains("line 10") && msg.contains("hunk header"),
            "{msg}"
        );
        let truncated: String = DIFF.lines().take(7).map(|l| format!("{l}\n")).collect();
        let msg = parse_unified(Path::new("p.diff"), &truncated)
            .expect_err("truncated")
            .to_string();
        assert!(msg.contains("line 7") && msg.contains("truncated"), "{msg}");
    }

    #[test]
    fn empty_diff_changes_nothing() {
        assert!(
            parse_unified(Path::new("e.diff"), "")
                .expect("parses")
                .is_empty()
        );
    }

    #[test]
    fn quoted_paths() {
        assert_eq!(
            new_path("\"b/sp\\303\\251c.rs\"").as_deref(),
            Some("spéc.rs")
        );
        assert_eq!(new_path("b/x.rs\t2024-01-01").as_deref(), Some("x.rs"));
    }
}
