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
    let lexed = lex(source);
    // Lines with nothing but whitespace, ascending.
    let blank_lines: Vec<u32> = source
        .split('\n')
        .enumerate()
        .filter(|(_, l)| l.trim().is_empty())
        .map(|(i, _)| u32::try_from(i + 1).unwrap_or(u32::MAX))
        .collect();
    let mut nodes = node_lines.to_vec();
    nodes.sort_unstable();
    for c in lexed.comments {
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
            // The next line on which a token starts.
            let at = lexed.code_lines.partition_point(|&l| l <= c.line);
            let next = lexed.code_lines.get(at).copied();
            let blank_between = next.is_some_and(|n| {
                let b = blank_lines.partition_point(|&l| l <= c.line);
                blank_lines.get(b).is_some_and(|&l| l < n)
            });
            if before_items && (next.is_none() || blank_between) {
                None
            } else {
                match next {
                    Some(n) => {
                        // The widest node starting on that line: the last
                        // of those in (start, end) order.
                        let after = nodes.partition_point(|&(s, _)| s <= n);
                        let end = match after.checked_sub(1).map(|k| nodes[k]) {
                            Some((s, e)) if s == n => e.max(n),
                            _ => n,
                        };
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
    // A sweep over the diagnostics in line order with the suppressions in
    // start order: each diagnostic looks only at the suppressions that cover
    // its line, never at all of them.
    let span_of = |s: &Suppression| s.lines.unwrap_or((0, u32::MAX));
    let mut by_line: Vec<usize> = (0..diagnostics.len()).collect();
    by_line.sort_by_key(|&i| diagnostics[i].primary.span.start.line);
    let mut by_start: Vec<usize> = (0..suppressions.len()).collect();
    by_start.sort_by_key(|&i| span_of(&suppressions[i]).0);
    let (mut next, mut active) = (0usize, Vec::<usize>::new());
    for di in by_line {
        let d = &mut diagnostics[di];
        if d.rule.code.starts_with("RG90") {
            continue;
        }
        let line = d.primary.span.start.line;
        while let Some(&si) = by_start.get(next) {
            if span_of(&suppressions[si]).0 > line {
                break;
            }
            active.push(si);
            next += 1;
        }
        active.retain(|&si| span_of(&suppressions[si]).1 >= line);
        // The justification is that of the first suppression in the file.
        let mut first: Option<usize> = None;
        for &si in &active {
            if let Some(ci) = suppressions[si]
                .codes
                .iter()
                .position(|(_, m)| m.is_some_and(|m| m.code == d.rule.code))
            {
                used[si][ci] = true;
                first = Some(first.map_or(si, |f| f.min(si)));
            }
        }
        if let Some(si) = first
            && d.suppressed.is_none()
        {
            d.suppressed = Some(Suppressed {
                justification: suppressions[si].reason.clone(),
            });
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

/// What the lexer found in a file: its `//` comments and where code starts.
struct Lexed<'a> {
    comments: Vec<Comment<'a>>,
    /// Lines on which a token starts, ascending, each once.
    code_lines: Vec<u32>,
}

/// A small Rust lexer that knows exactly what it must to find `//` comments:
/// block comments (nested), string literals of every kind (`"..."`, `b".."`,
/// `c".."`, raw `r#".."#`, `br".."`, `cr".."`, with `\`-newline
/// continuations), char and byte literals, lifetimes and identifiers (so that
/// `r`, `b`, `br`, `c`, `cr` are literal prefixes only at the start of a
/// token). Lines are counted on every `\n`, inside literals and comments too,
/// as rustc and proc-macro2 count them. It never fails: an unterminated
/// literal or comment runs to the end of the file. One pass, linear in the
/// size of the file.
///
/// proc-macro2 is not used for this: it drops `//` comments (they are not
/// tokens) and gives up on the first lexical error, where this lexer still
/// finds the comments of the rest of the file.
fn lex(source: &str) -> Lexed<'_> {
    let mut lx = Lexer {
        source,
        bytes: source.as_bytes(),
        i: 0,
        line: 1,
        line_start: 0,
        code_on_line: false,
        comments: Vec::new(),
        code_lines: Vec::new(),
    };
    lx.run();
    Lexed {
        comments: lx.comments,
        code_lines: lx.code_lines,
    }
}

struct Lexer<'a> {
    source: &'a str,
    bytes: &'a [u8],
    i: usize,
    line: u32,
    line_start: usize,
    code_on_line: bool,
    comments: Vec<Comment<'a>>,
    code_lines: Vec<u32>,
}

impl<'a> Lexer<'a> {
    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.i + ahead).copied()
    }

    fn newline(&mut self) {
        self.line = self.line.saturating_add(1);
        self.line_start = self.i + 1;
        self.code_on_line = false;
    }

    /// A token starts here.
    fn token(&mut self) {
        self.code_on_line = true;
        if self.code_lines.last() != Some(&self.line) {
            self.code_lines.push(self.line);
        }
    }

    fn run(&mut self) {
        while let Some(b) = self.peek(0) {
            match b {
                b'\n' => {
                    self.newline();
                    self.i += 1;
                }
                b' ' | b'\t' | b'\r' | 0x0b | 0x0c => self.i += 1,
                b'/' if self.peek(1) == Some(b'/') => self.line_comment(),
                b'/' if self.peek(1) == Some(b'*') => {
                    self.block_comment();
                    self.code_on_line = true;
                }
                b'"' => {
                    self.token();
                    self.i += 1;
                    self.quoted(b'"');
                }
                b'\'' => {
                    self.token();
                    self.char_or_lifetime();
                }
                b'0'..=b'9' => {
                    self.token();
                    self.ident();
                }
                b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                    self.token();
                    self.ident_or_prefixed_literal();
                }
                0x80.. => {
                    let c = self.source[self.i..].chars().next().unwrap_or(' ');
                    if c.is_whitespace() {
                        self.i += c.len_utf8();
                    } else {
                        self.token();
                        let start = self.i;
                        self.ident();
                        if self.i == start {
                            // Not an identifier character: one token.
                            self.i += c.len_utf8();
                        }
                    }
                }
                _ => {
                    self.token();
                    self.i += 1;
                }
            }
        }
    }

    fn line_comment(&mut self) {
        let start = self.i;
        let end =
            memchr::memchr(b'\n', &self.bytes[start..]).map_or(self.bytes.len(), |n| start + n);
        let column = self.source[self.line_start..start].chars().count() as u32 + 1;
        self.comments.push(Comment {
            line: self.line,
            column,
            text: &self.source[start + 2..end],
            trailing: self.code_on_line,
            end_column: column.saturating_add(self.source[start..end].chars().count() as u32),
        });
        self.i = end;
    }

    fn block_comment(&mut self) {
        let mut depth = 0usize;
        while let Some(b) = self.peek(0) {
            match b {
                b'/' if self.peek(1) == Some(b'*') => {
                    depth += 1;
                    self.i += 2;
                }
                b'*' if self.peek(1) == Some(b'/') => {
                    depth -= 1;
                    self.i += 2;
                    if depth == 0 {
                        return;
                    }
                }
                b'\n' => {
                    self.newline();
                    self.i += 1;
                }
                _ => self.i += 1,
            }
        }
    }

    /// Skips the body of a string (or char) literal with escapes, up to and
    /// including its closing `close`.
    fn quoted(&mut self, close: u8) {
        while let Some(b) = self.peek(0) {
            match b {
                b'\\' => {
                    // The escaped character, which may be a newline (a
                    // string continuation): lines are still counted.
                    self.i += 1;
                    if self.peek(0) == Some(b'\n') {
                        self.newline();
                    }
                    if self.peek(0).is_some() {
                        self.i += 1;
                    }
                }
                b'\n' => {
                    self.newline();
                    self.i += 1;
                }
                _ if b == close => {
                    self.i += 1;
                    return;
                }
                _ => self.i += 1,
            }
        }
    }

    /// Skips a raw string from its first `#` or `"` (after the prefix).
    fn raw(&mut self) {
        let hashes = self.bytes[self.i..]
            .iter()
            .take_while(|&&c| c == b'#')
            .count();
        self.i += hashes + 1; // the hashes and the opening quote
        while let Some(b) = self.peek(0) {
            match b {
                b'\n' => {
                    self.newline();
                    self.i += 1;
                }
                b'"' => {
                    self.i += 1;
                    let n = self.bytes[self.i..]
                        .iter()
                        .take(hashes)
                        .take_while(|&&c| c == b'#')
                        .count();
                    if n == hashes {
                        self.i += n;
                        return;
                    }
                }
                _ => self.i += 1,
            }
        }
    }

    /// Whether a raw string starts here (`"`, or `#`s then `"`).
    fn raw_starts(&self) -> bool {
        let hashes = self.bytes[self.i..]
            .iter()
            .take_while(|&&c| c == b'#')
            .count();
        self.bytes.get(self.i + hashes) == Some(&b'"')
    }

    /// Skips identifier characters (or the digits and letters of a number).
    fn ident(&mut self) {
        while let Some(b) = self.peek(0) {
            if b.is_ascii_alphanumeric() || b == b'_' {
                self.i += 1;
            } else if b >= 0x80 {
                match self.source[self.i..].chars().next() {
                    Some(c) if c.is_alphanumeric() || is_mark(c) => self.i += c.len_utf8(),
                    _ => return,
                }
            } else {
                return;
            }
        }
    }

    fn ident_or_prefixed_literal(&mut self) {
        let start = self.i;
        self.ident();
        let word = &self.bytes[start..self.i];
        match (word, self.peek(0)) {
            (b"r" | b"br" | b"cr", Some(b'"' | b'#')) if self.raw_starts() => self.raw(),
            (b"b" | b"c", Some(b'"')) => {
                self.i += 1;
                self.quoted(b'"');
            }
            (b"b", Some(b'\'')) => {
                self.i += 1;
                self.quoted(b'\'');
            }
            _ => {}
        }
    }

    /// At a `'`: a char literal (`'a'`, `'\''`, `'\u{1F600}'`) or a lifetime
    /// or label (`'a`, `'static`, `'r#try`).
    fn char_or_lifetime(&mut self) {
        self.i += 1;
        match self.peek(0) {
            Some(b'\\') => self.quoted(b'\''),
            Some(_) => {
                let c = self.source[self.i..].chars().next().unwrap_or(' ');
                if self.bytes.get(self.i + c.len_utf8()) == Some(&b'\'') {
                    // A one-character literal, `'"'` and `'/'` included.
                    if c == '\n' {
                        self.newline();
                    }
                    self.i += c.len_utf8() + 1;
                } else if c.is_alphanumeric() || c == '_' {
                    // A lifetime: its name is not a literal prefix.
                    if self.peek(0) == Some(b'r') && self.peek(1) == Some(b'#') {
                        self.i += 2;
                    }
                    self.ident();
                }
            }
            None => {}
        }
    }
}

/// Combining marks that continue an identifier (a rough test: the ranges of
/// combining diacritical marks); anything else ends it, which at worst splits
/// an identifier in two, never a literal.
fn is_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_skip_strings_chars_and_block_comments() {
        let src = "let a = \"// not\"; // yes\nlet b = r#\"// \"no\" \"#; /* // nope */ let c = '\\''; // two\nlet l: &'a str = x; // three\n";
        let c: Vec<(u32, &str, bool)> = lex(src)
            .comments
            .iter()
            .map(|c| (c.line, c.text, c.trailing))
            .collect();
        assert_eq!(
            c,
            vec![(1, " yes", true), (2, " two", true), (3, " three", true)]
        );
    }

    fn comment_lines(src: &str) -> Vec<(u32, bool)> {
        lex(src)
            .comments
            .iter()
            .map(|c| (c.line, c.trailing))
            .collect()
    }

    #[test]
    fn literals_of_every_kind_hide_comment_markers() {
        // Each literal holds `//` or a quote; only the comment after it is one.
        for lit in [
            r#""a\" // no""#,
            r#"b"a\" // no""#,
            r#"c"a\" // no""#,
            r##"r#"a" // no"#"##,
            r###"br##"a"# // no"##"###,
            r##"cr#"a\" // no"#"##,
            r#"br"\""#,
            r#"'"'"#,
            r"'\''",
            r"b'\''",
            r#"b'"'"#,
            r"'\u{1F600}'",
            "'🙂'",
            "/* /* // nested */ still */",
        ] {
            let src = format!("let x = {lit}; // yes\nlet y = \" // no \"; // two\n");
            assert_eq!(comment_lines(&src), vec![(1, true), (2, true)], "{lit}");
        }
    }

    #[test]
    fn string_continuations_and_newlines_in_literals_count_lines() {
        let src = "let a = \"x\\\ny\";\nlet b = r\"\n\n\";\n/*\n*/\n// here\n";
        assert_eq!(comment_lines(src), vec![(8, false)]);
    }

    #[test]
    fn lifetimes_labels_and_raw_identifiers_are_not_literals() {
        let src = "fn f<'a, 'b>(x: &'a str, r#type: u8) -> &'b str { 'r: loop { break 'r; } } // one\nlet br = 1; // two\n";
        assert_eq!(comment_lines(src), vec![(1, true), (2, true)]);
    }

    #[test]
    fn unterminated_literals_end_the_file_without_panicking() {
        for src in [
            "\"abc // x",
            "r#\"abc // x",
            "/* abc // x",
            "'",
            "b'",
            "r#",
            "br##",
            "\\",
        ] {
            assert!(lex(src).comments.is_empty(), "{src}");
        }
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
