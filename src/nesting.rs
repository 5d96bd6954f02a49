//! A bound on how deep a file's syntax tree can be, found before parsing.
//!
//! syn parses, rustgate's checker walks and Rust drops a syntax tree by
//! recursion, so a tree deep enough exhausts any thread stack and aborts the
//! process (no unwinding from a stack overflow). Generated code gets there:
//! hundreds of nested parentheses or closures, or one expression of thousands
//! of terms (`1 + 1 + ..`, a method chain, an `else if` chain), which syn
//! builds as a tree as deep as it is long.
//!
//! [`depth_bound`] scans the text once, lexically (comments, strings, raw
//! strings and character literals are skipped, so nothing inside them
//! counts), and returns an upper estimate of the tree depth: each open
//! bracket adds one level, and so does every operator, `.`, `?`, `as`, `else`
//! or closure bar since the last `,` or `;` at the same bracket level, the
//! points where syn starts a new sibling rather than a deeper node. The
//! engine refuses (RG901, "nesting deeper than N") a file whose bound exceeds
//! `max-nesting`, and runs every parse on threads with a stack sized for that
//! limit.

/// The deepest point of a file: the estimated depth and its 1-based line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deepest {
    pub depth: u32,
    pub line: u32,
}

/// Returns the first point where the estimated depth exceeds `limit`, if any.
pub fn exceeds(source: &str, limit: u32) -> Option<Deepest> {
    let mut scan = Scan::new(source.as_bytes());
    scan.run(limit)
}

struct Scan<'a> {
    b: &'a [u8],
    i: usize,
}

/// Bytes that neither open nor close anything, nor start a literal, comment,
/// operator or identifier: skipped in a tight loop.
const fn boring_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_digit()
            || matches!(
                b,
                b' ' | b'\t' | b'\n' | b'\r' | b':' | b'#' | b'$' | b'~' | b'\\'
            );
        c += 1;
    }
    t
}

static BORING: [bool; 256] = boring_table();

/// Bytes that continue an identifier (ASCII alphanumerics, `_`, and every
/// byte of a non-ASCII character).
const fn ident_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80;
        c += 1;
    }
    t
}

static IDENT: [bool; 256] = ident_table();

impl<'a> Scan<'a> {
    fn new(b: &'a [u8]) -> Self {
        Scan { b, i: 0 }
    }

    fn peek(&self, k: usize) -> u8 {
        self.b.get(self.i + k).copied().unwrap_or(0)
    }

    fn bump(&mut self) {
        self.i += 1;
    }

    /// The 1-based line of the current position (only needed to report).
    fn line(&self) -> u32 {
        let upto = &self.b[..self.i.min(self.b.len())];
        memchr::memchr_iter(b'\n', upto).count() as u32 + 1
    }

    fn run(&mut self, limit: u32) -> Option<Deepest> {
        // Per open bracket: the depth at which it opened. `chain`: operators
        // since the last separator at the current level.
        let mut levels: Vec<u32> = Vec::new();
        let mut base: u32 = 0;
        let mut chain: u32 = 0;
        while self.i < self.b.len() {
            let c = self.b[self.i];
            if BORING[usize::from(c)] {
                let rest = &self.b[self.i..];
                self.i += rest
                    .iter()
                    .position(|&b| !BORING[usize::from(b)])
                    .unwrap_or(rest.len());
                continue;
            }
            match c {
                b'/' if self.peek(1) == b'/' => self.line_comment(),
                b'/' if self.peek(1) == b'*' => self.block_comment(),
                b'"' => {
                    self.bump();
                    self.quoted(b'"');
                }
                b'\'' => self.quote_or_lifetime(),
                b'r' | b'b' | b'c' if self.raw_or_byte_string() => {}
                b'(' | b'[' | b'{' => {
                    levels.push(base);
                    base = base + chain + 1;
                    chain = 0;
                    if base > limit {
                        return Some(Deepest {
                            depth: base,
                            line: self.line(),
                        });
                    }
                    self.bump();
                }
                b')' | b']' | b'}' => {
                    let outer = levels.pop().unwrap_or(0);
                    // Back at the outer level: its chain goes on after the group.
                    chain = base.saturating_sub(outer + 1);
                    base = outer;
                    self.bump();
                }
                b',' | b';' => {
                    chain = 0;
                    self.bump();
                }
                b'+' | b'-' | b'*' | b'/' | b'%' | b'^' | b'!' | b'&' | b'|' | b'<' | b'>'
                | b'=' | b'.' | b'?' | b'@' => {
                    // A run of operator characters (`&&`, `..=`, `>>=`) is one.
                    while matches!(
                        self.peek(0),
                        b'+' | b'-'
                            | b'*'
                            | b'/'
                            | b'%'
                            | b'^'
                            | b'!'
                            | b'&'
                            | b'|'
                            | b'<'
                            | b'>'
                            | b'='
                            | b'.'
                            | b'?'
                            | b'@'
                    ) && !(self.peek(0) == b'/' && matches!(self.peek(1), b'/' | b'*'))
                    {
                        self.bump();
                    }
                    chain += 1;
                    if base + chain > limit {
                        return Some(Deepest {
                            depth: base + chain,
                            line: self.line(),
                        });
                    }
                }
                c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                    let start = self.i;
                    let rest = &self.b[start..];
                    let len = rest
                        .iter()
                        .position(|&b| !IDENT[usize::from(b)])
                        .unwrap_or(rest.len());
                    self.i += len;
                    if matches!(&self.b[start..self.i], b"else" | b"as" | b"move" | b"in") {
                        chain += 1;
                        if base + chain > limit {
                            return Some(Deepest {
                                depth: base + chain,
                                line: self.line(),
                            });
                        }
                    }
                }
                _ => self.i += 1,
            }
        }
        None
    }

    fn line_comment(&mut self) {
        while self.i < self.b.len() && self.b[self.i] != b'\n' {
            self.i += 1;
        }
    }

    fn block_comment(&mut self) {
        let mut depth = 0u32;
        while self.i < self.b.len() {
            if self.peek(0) == b'/' && self.peek(1) == b'*' {
                depth += 1;
                self.i += 2;
            } else if self.peek(0) == b'*' && self.peek(1) == b'/' {
                depth -= 1;
                self.i += 2;
                if depth == 0 {
                    return;
                }
            } else {
                self.bump();
            }
        }
    }

    /// After the opening quote: to the closing one, escapes honoured.
    fn quoted(&mut self, close: u8) {
        while self.i < self.b.len() {
            match self.b[self.i] {
                b'\\' => {
                    self.bump();
                    self.bump();
                }
                c if c == close => {
                    self.i += 1;
                    return;
                }
                _ => self.bump(),
            }
        }
    }

    /// `'x'`, `'\n'`, `'\u{..}'` are characters; `'a` and `'static` lifetimes.
    fn quote_or_lifetime(&mut self) {
        self.i += 1;
        if self.peek(0) == b'\\' {
            self.quoted(b'\'');
            return;
        }
        // One character (any UTF-8 length), then a quote: a character literal.
        let len = match self.peek(0) {
            0..=0x7f => 1,
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            _ => 4,
        };
        if self.peek(len) == b'\'' {
            self.i += len + 1;
        }
        // Otherwise a lifetime or label: its name is scanned as an identifier.
    }

    /// `r"..."`, `r#"..."#`, `br".."`, `cr".."`, `b".."`, `c".."`, `b'x'`.
    fn raw_or_byte_string(&mut self) -> bool {
        // Only at the start of a token.
        if self.i > 0 {
            let prev = self.b[self.i - 1];
            if prev.is_ascii_alphanumeric() || prev == b'_' || prev >= 0x80 {
                return false;
            }
        }
        let mut k = 0;
        if matches!(self.peek(0), b'b' | b'c') {
            k = 1;
        }
        if self.peek(k) == b'r' {
            let mut hashes = 0;
            while self.peek(k + 1 + hashes) == b'#' {
                hashes += 1;
            }
            if self.peek(k + 1 + hashes) != b'"' {
                return false;
            }
            self.i += k + 2 + hashes;
            while self.i < self.b.len() {
                if self.b[self.i] == b'"'
                    && (1..=hashes).all(|h| self.b.get(self.i + h) == Some(&b'#'))
                {
                    self.i += 1 + hashes;
                    return true;
                }
                self.bump();
            }
            return true;
        }
        if k == 1 && self.peek(1) == b'"' {
            self.i += 2;
            self.quoted(b'"');
            return true;
        }
        if self.peek(0) == b'b' && self.peek(1) == b'\'' {
            self.i += 2;
            self.quoted(b'\'');
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(src: &str) -> u32 {
        // The smallest limit that passes is the estimate.
        let mut lo = 0;
        while exceeds(src, lo).is_some() {
            lo += 1;
        }
        lo
    }

    #[test]
    fn brackets_and_chains_add_up() {
        assert_eq!(depth("fn f() {}"), 1);
        assert_eq!(depth("fn f() { ((1)) }"), 3);
        assert_eq!(depth("const X: u8 = 1 + 1 + 1;"), 3);
        assert_eq!(depth("fn f() { a.b().c().d() }"), 5);
        // Separators reset the chain: list elements are siblings.
        assert_eq!(depth("const A: [u8; 3] = [1 + 1, 1 + 1, 1 + 1];"), 3);
        assert_eq!(depth("fn f() { if a {} else if b {} else if c {} }"), 4);
    }

    #[test]
    fn nothing_inside_comments_strings_or_chars_counts() {
        let src = "// ((((((((\n/* (((( /* nested (((( */ */\nconst S: &str = \"((((\\\" ((\";\nconst R: &str = r#\"(((\"# ;\nconst C: char = '(';\nconst B: &[u8] = b\"((\";\nfn f<'a>(x: &'a str) {}\n";
        assert_eq!(depth(src), 4);
    }

    #[test]
    fn the_line_of_the_deepest_point_is_reported() {
        let src = format!(
            "fn ok() {{}}\n\nconst X: u8 = {}1{};\n",
            "(".repeat(50),
            ")".repeat(50)
        );
        assert_eq!(exceeds(&src, 10), Some(Deepest { depth: 11, line: 3 }));
        assert_eq!(exceeds(&src, 60), None);
    }
}
