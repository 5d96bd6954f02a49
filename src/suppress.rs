//! In-source suppressions: `// rustgate: allow(RG101, unwrap-in-handler) reason`.
//!
//! - Trailing a line of code: covers that line.
//! - On its own line: covers the item or statement that starts on the next
//!   line (its whole extent).
//! - `//! rustgate: allow(..)` anywhere before the first item, or the `//` form
//!   before the first item and separated from it by a blank line: covers the file.

use rustgate_rules::{Diagnostic, LineCol, RuleMeta, Span, Suppressed, registry};

/// One parsed suppression comment.
#[derive(Debug, Clone)]
pub struct Suppression {
    /// Where the comment is.
    pub span: Span,
    /// The codes or names as written, each with the rule it names (if known).
    pub codes: Vec<(String, Option<&'static RuleMeta>)>,
    pub reason: String,
    /// Lines covered (inclusive); `None` covers the whole file.
    pub lines: Option<(u32, u32)>,
}

/// A comment that says `rustgate:` but is not a valid suppression.
#[derive(Debug, Clone)]
pub struct Malformed {
    pub span: Span,
    pub message: String,
}

/// A `//` comment found in source text.
struct Comment<'a> {
    line: u32,
    column: u32,
    /// Text after `//`.
    text: &'a str,
    /// Whether code precedes it on its line.
    trailing: bool,
    end_column: u32,
}

/// Finds the suppressions of a file. `node_lines` are `(start, end)` lines of
/// items and statements, `first_item_line` the line of the first item.
pub fn parse(
    source: &str,
    node_lines: &[(u32, u32)],
    first_item_line: Option<u32>,
) -> (Vec<Suppression>, Vec<Malformed>) {
    let mut found = Vec::new();
    let mut malformed = Vec::new();
    if !rustgate_rules::syntax::mentions_rustgate(source) {
        return (found, malformed);
    }
    let lines: Vec<&str> = source.lines().collect();
    for c in line_comments(source) {
        let (inner_doc, body) = match c.text.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, c.text.strip_prefix('/').unwrap_or(c.text)),
        };
        let body = body.trim_start();
        let Some(rest) = body.strip_prefix("rustgate:") else {
            continue;
        };
        let span = Span {
            start: LineCol {
                line: c.line,
                column: c.column,
            },
            end: LineCol {
                line: c.line,
                column: c.end_column,
            },
        };
        let rest = rest.trim_start();
        let Some(args) = rest.strip_prefix("allow(") else {
            malformed.push(Malformed {
                span,
                message: "malformed suppression: expected `rustgate: allow(CODE, ...) reason`"
                    .into(),
            });
            continue;
        };
        let Some(close) = args.find(')') else {
            malformed.push(Malformed {
                span,
                message: "malformed suppression: missing `)`".into(),
            });
            continue;
        };
        let codes: Vec<(String, Option<&'static RuleMeta>)> = args[..close]
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| (s.to_owned(), registry::find(s)))
            .collect();
        if codes.is_empty() {
            malformed.push(Malformed {
                span,
                message: "malformed suppression: no rule named in `allow()`".into(),
            });
            continue;
        }
        let reason = args[close + 1..]
            .trim()
            .trim_start_matches(['-', ':'])
            .trim()
            .to_owned();
        let before_items = first_item_line.is_none_or(|f| c.line < f);
        let lines = if inner_doc && before_items {
            None
        } else if c.trailing {
            Some((c.line, c.line))
        } else {
            // The next line that is neither blank nor a comment.
            let next = (c.line as usize..lines.len())
                .find(|&i| {
                    let t = lines[i].trim_start();
                    !t.is_empty() && !t.starts_with("//")
                })
                .map(|i| i as u32 + 1);
            let blank_between = next.is_some_and(|n| {
                (c.line as usize..n as usize - 1).any(|i| lines[i].trim().is_empty())
            });
            if before_items && (next.is_none() || blank_between) {
                None
            } else {
                match next {
                    Some(n) => {
                        let end = node_lines
                            .iter()
                            .filter(|(s, _)| *s == n)
                            .map(|(_, e)| *e)
                            .max()
                            .unwrap_or(n);
                        Some((n, end))
                    }
                    None => Some((c.line, c.line)),
                }
            }
        };
        found.push(Suppression {
            span,
            codes,
            reason,
            lines,
        });
    }
    (found, malformed)
}

/// Marks the diagnostics of one file that a suppression covers, and returns
/// RG902 (unused) and RG903 (invalid) findings for its suppressions.
/// `enabled` tells whether a code is enabled in this run: suppressions of
/// disabled rules are not reported as unused.
pub fn apply(
    path: &str,
    suppressions: &[Suppression],
    malformed: &[Malformed],
    diagnostics: &mut [Diagnostic],
    require_reason: bool,
    enabled: &dyn Fn(&str) -> bool,
) -> Vec<Diagnostic> {
    let mut used: Vec<Vec<bool>> = suppressions
        .iter()
        .map(|s| vec![false; s.codes.len()])
        .collect();
    for d in diagnostics.iter_mut() {
        if d.rule.code.starts_with("RG90") {
            continue;
        }
        let line = d.primary.span.start.line;
        for (si, s) in suppressions.iter().enumerate() {
            let covers = s.lines.is_none_or(|(a, b)| (a..=b).contains(&line));
            if !covers {
                continue;
            }
            if let Some(ci) = s
                .codes
                .iter()
                .position(|(_, m)| m.is_some_and(|m| m.code == d.rule.code))
            {
                used[si][ci] = true;
                if d.suppressed.is_none() {
                    d.suppressed = Some(Suppressed {
                        justification: s.reason.clone(),
                    });
                }
            }
        }
    }
    let mut out = Vec::new();
    for m in malformed {
        out.push(Diagnostic::new(
            registry::driver("RG903"),
            path,
            m.span,
            m.message.clone(),
        ));
    }
    for (si, s) in suppressions.iter().enumerate() {
        if require_reason && s.reason.is_empty() {
            out.push(
                Diagnostic::new(registry::driver("RG903"), path, s.span, "suppression has no reason")
                    .with_help("say why the finding is acceptable after the closing parenthesis: `rustgate: allow(RG101) reason`"),
            );
        }
        for (ci, (raw, meta)) in s.codes.iter().enumerate() {
            match meta {
                None => {
                    let all = registry::all();
                    let candidates: Vec<&str> = all.iter().flat_map(|m| [m.code, m.name]).collect();
                    out.push(Diagnostic::new(
                        registry::driver("RG903"),
                        path,
                        s.span,
                        format!(
                            "suppression names unknown rule `{raw}`{}",
                            crate::config::did_you_mean(raw, &candidates)
                        ),
                    ));
                }
                Some(meta) if !used[si][ci] && enabled(meta.code) => {
                    out.push(
                        Diagnostic::new(
                            registry::driver("RG902"),
                            path,
                            s.span,
                            format!(
                                "unused suppression of `{raw}`: no {} finding here",
                                meta.code
                            ),
                        )
                        .with_help("remove the suppression"),
                    );
                }
                Some(_) => {}
            }
        }
    }
    out
}

/// Every `//` comment outside string and char literals and block comments.
fn line_comments(source: &str) -> Vec<Comment<'_>> {
    let bytes = source.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut line, mut line_start) = (0usize, 1u32, 0usize);
    let mut code_on_line = false;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\n' => {
                line += 1;
                line_start = i + 1;
                code_on_line = false;
                i += 1;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = source[i..].find('\n').map_or(bytes.len(), |n| i + n);
                let column = source[line_start..i].chars().count() as u32 + 1;
                let text = &source[i + 2..end];
                out.push(Comment {
                    line,
                    column,
                    text,
                    trailing: code_on_line,
                    end_column: column + source[i..end].chars().count() as u32,
                });
                i = end;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let mut depth = 0usize;
                while i < bytes.len() {
                    if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        if bytes[i] == b'\n' {
                            line += 1;
                            line_start = i + 1;
                        }
                        i += 1;
                    }
                }
                code_on_line = true;
            }
            b'"' => {
                i = skip_string(bytes, i + 1, 0, &mut line, &mut line_start);
                code_on_line = true;
            }
            b'r' if !prev_is_ident(bytes, i) && matches!(bytes.get(i + 1), Some(b'#' | b'"')) => {
                let hashes = bytes[i + 1..].iter().take_while(|&&c| c == b'#').count();
                if bytes.get(i + 1 + hashes) == Some(&b'"') {
                    i = skip_string(
                        bytes,
                        i + 2 + hashes,
                        hashes + 1,
                        &mut line,
                        &mut line_start,
                    );
                } else {
                    i += 1;
                }
                code_on_line = true;
            }
            b'\'' => {
                // A char literal ('a', '\n', '\'') or a lifetime ('a).
                if bytes.get(i + 1) == Some(&b'\\') {
                    let mut j = i + 2;
                    while j < bytes.len() && bytes[j] != b'\'' && bytes[j] != b'\n' {
                        j += 1;
                    }
                    i = j + 1;
                } else {
                    let ch_len = source[i + 1..].chars().next().map_or(1, char::len_utf8);
                    i += if bytes.get(i + 1 + ch_len) == Some(&b'\'') {
                        ch_len + 2
                    } else {
                        1
                    };
                }
                code_on_line = true;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            _ => {
                code_on_line = true;
                i += 1;
            }
        }
    }
    out
}

fn prev_is_ident(bytes: &[u8], i: usize) -> bool {
    i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_')
}

/// Skips a string body starting at `i`. `raw` is 0 for a plain string, and
/// for a raw string one more than its number of `#` (escapes do not apply).
fn skip_string(
    bytes: &[u8],
    mut i: usize,
    raw: usize,
    line: &mut u32,
    line_start: &mut usize,
) -> usize {
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if raw == 0 => i += 2,
            b'\n' => {
                *line += 1;
                *line_start = i + 1;
                i += 1;
            }
            b'"' => {
                if raw == 0 {
                    return i + 1;
                }
                let n = bytes[i + 1..].iter().take_while(|&&c| c == b'#').count();
                let real = raw - 1;
                if n >= real {
                    return i + 1 + real;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_skip_strings_chars_and_block_comments() {
        let src = "let a = \"// not\"; // yes\nlet b = r#\"// \"no\" \"#; /* // nope */ let c = '\\''; // two\nlet l: &'a str = x; // three\n";
        let c: Vec<(u32, &str, bool)> = line_comments(src)
            .iter()
            .map(|c| (c.line, c.text, c.trailing))
            .collect();
        assert_eq!(
            c,
            vec![(1, " yes", true), (2, " two", true), (3, " three", true)]
        );
    }

    #[test]
    fn scopes() {
        let src = "// rustgate: allow(RG101) file wide\n\nfn a() {}\n// rustgate: allow(RG101) item\nfn b() {\n}\nfn c() {} // rustgate: allow(RG101)\n";
        let (s, m) = parse(src, &[(3, 3), (5, 6), (7, 7)], Some(3));
        assert!(m.is_empty());
        let scopes: Vec<Option<(u32, u32)>> = s.iter().map(|s| s.lines).collect();
        assert_eq!(scopes, vec![None, Some((5, 6)), Some((7, 7))]);
        assert_eq!(s[0].reason, "file wide");
    }
}
