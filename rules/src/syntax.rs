//! Small syntax helpers shared by rules.

use syn::punctuated::Punctuated;

/// The arguments of a macro invocation whose body is a comma-separated list of
/// expressions (`format!`, `vec!`, `assert_eq!`, `write!`, `query!`, ...), or
/// `None` for any other body. Macros are never expanded.
pub fn macro_args(mac: &syn::Macro) -> Option<Punctuated<syn::Expr, syn::Token![,]>> {
    if mac.tokens.is_empty() {
        return None;
    }
    mac.parse_body_with(Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
        .ok()
}

/// The expressions of a macro invocation a rule may look into: the
/// comma-separated arguments ([`macro_args`]), or for `select!` (tokio,
/// futures) the futures, guards and bodies of its arms, or for rocket's
/// `uri!(route: name = value, ..)` the arguments after the route. Macros are
/// never expanded.
pub fn macro_exprs(mac: &syn::Macro) -> Option<Punctuated<syn::Expr, syn::Token![,]>> {
    if let Some(args) = macro_args(mac) {
        return Some(args);
    }
    let last = &mac.path.segments.last()?.ident;
    if last == "select" {
        mac.parse_body_with(select_arms).ok()
    } else if last == "uri" {
        // Skip to the first lone `:` (not part of `::`) and read what follows.
        let tokens: Vec<proc_macro2::TokenTree> = mac.tokens.clone().into_iter().collect();
        let colon = tokens.iter().enumerate().position(|(i, t)| {
            matches!(t, proc_macro2::TokenTree::Punct(p) if p.as_char() == ':'
                && p.spacing() == proc_macro2::Spacing::Alone
                && !matches!(i.checked_sub(1).map(|j| &tokens[j]),
                    Some(proc_macro2::TokenTree::Punct(q)) if q.as_char() == ':' && q.spacing() == proc_macro2::Spacing::Joint))
        })?;
        let rest: proc_macro2::TokenStream = tokens[colon + 1..].iter().cloned().collect();
        syn::parse::Parser::parse2(
            Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated,
            rest,
        )
        .ok()
    } else {
        None
    }
}

/// `[biased;] pat = future [, if guard] => body, ... [else => body]`.
fn select_arms(
    input: syn::parse::ParseStream<'_>,
) -> syn::Result<Punctuated<syn::Expr, syn::Token![,]>> {
    let mut out = Punctuated::new();
    if input.peek(syn::Ident) && input.peek2(syn::Token![;]) {
        input.parse::<syn::Ident>()?;
        input.parse::<syn::Token![;]>()?;
    }
    while !input.is_empty() {
        if input.peek(syn::Token![else]) {
            input.parse::<syn::Token![else]>()?;
        } else {
            syn::Pat::parse_multi_with_leading_vert(input)?;
            input.parse::<syn::Token![=]>()?;
            out.push(input.parse::<syn::Expr>()?);
            if input.peek(syn::Token![,]) && input.peek2(syn::Token![if]) {
                input.parse::<syn::Token![,]>()?;
                input.parse::<syn::Token![if]>()?;
                out.push(input.parse::<syn::Expr>()?);
            }
        }
        input.parse::<syn::Token![=>]>()?;
        out.push(input.parse::<syn::Expr>()?);
        if input.peek(syn::Token![,]) {
            input.parse::<syn::Token![,]>()?;
        }
    }
    Ok(out)
}

/// The last segment of a path as a string: `std::panic` -> `panic`.
pub fn last_segment(path: &syn::Path) -> Option<String> {
    path.segments.last().map(|s| s.ident.to_string())
}

/// Calls `f(alias, path)` for each name a use tree imports (`None` alias for globs).
pub fn flatten_use(
    tree: &syn::UseTree,
    prefix: &mut Vec<String>,
    f: &mut dyn FnMut(Option<String>, Vec<String>),
) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            flatten_use(&p.tree, prefix, f);
            prefix.pop();
        }
        syn::UseTree::Name(n) if n.ident == "self" => {
            if let Some(last) = prefix.last() {
                f(Some(last.clone()), prefix.clone());
            }
        }
        syn::UseTree::Name(n) => {
            let mut path = prefix.clone();
            path.push(n.ident.to_string());
            f(Some(n.ident.to_string()), path);
        }
        syn::UseTree::Rename(r) => {
            let mut path = prefix.clone();
            if r.ident != "self" {
                path.push(r.ident.to_string());
            }
            f(Some(r.rename.to_string()), path);
        }
        syn::UseTree::Glob(_) => f(None, prefix.clone()),
        syn::UseTree::Group(g) => {
            for t in &g.items {
                flatten_use(t, prefix, f);
            }
        }
    }
}

/// The value of a `true` / `false` literal.
pub fn bool_lit(e: &syn::Expr) -> Option<bool> {
    match e {
        syn::Expr::Lit(l) => match &l.lit {
            syn::Lit::Bool(b) => Some(b.value),
            _ => None,
        },
        _ => None,
    }
}

/// The one name a pattern binds: `x`, `mut x`, `x: T` (not `x @ ..`).
pub fn bound_ident(pat: &syn::Pat) -> Option<&syn::Ident> {
    match pat {
        syn::Pat::Ident(p) if p.subpat.is_none() => Some(&p.ident),
        syn::Pat::Type(t) => bound_ident(&t.pat),
        _ => None,
    }
}

/// Whether a `#[derive(..)]` among `attrs` names a trait whose last path
/// segment is `name` (`Error` for `thiserror::Error`, `Validate`).
pub fn derives(attrs: &[syn::Attribute], name: &str) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("derive")
            && a.parse_args_with(
                syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
            )
            .is_ok_and(|paths| {
                paths
                    .iter()
                    .any(|p| p.segments.last().is_some_and(|s| s.ident == name))
            })
    })
}

/// The identifiers of a path's segments: `crate::a::f::<T>` -> `["crate", "a", "f"]`.
pub fn path_segments(path: &syn::Path) -> Vec<String> {
    path.segments.iter().map(|s| s.ident.to_string()).collect()
}

/// A path as `a::b::c` (no generics).
pub fn path_to_string(path: &syn::Path) -> String {
    let mut s = String::new();
    if path.leading_colon.is_some() {
        s.push_str("::");
    }
    for (i, seg) in path.segments.iter().enumerate() {
        if i > 0 {
            s.push_str("::");
        }
        s.push_str(&seg.ident.to_string());
    }
    s
}

/// Whether `source` contains a suppression comment (`rustgate:` anywhere):
/// files without one need no suppression scopes. A SIMD substring search.
pub fn mentions_rustgate(source: &str) -> bool {
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new("rustgate:"));
    FINDER.find(source.as_bytes()).is_some()
}

/// Byte offsets of the starts of a file's lines: turns a span's line and
/// column into a byte offset without proc-macro2's character counting. In a
/// file that is not all ASCII, a lookup resumes from the previous one on the
/// same line, so that many macros on one long line cost one pass, not one
/// pass each.
pub struct LineStarts {
    starts: Vec<usize>,
    /// Every column is a byte count.
    ascii: bool,
    /// The previous lookup: (line, column, byte offset).
    last: std::cell::Cell<(usize, usize, usize)>,
}

impl LineStarts {
    pub fn new(source: &str) -> Self {
        // `syn::parse_file` strips a byte order mark: columns of line 1
        // count from after it.
        let first = if source.starts_with('\u{feff}') { 3 } else { 0 };
        let mut starts = vec![first];
        starts.extend(memchr::memchr_iter(b'\n', source.as_bytes()).map(|i| i + 1));
        LineStarts {
            starts,
            ascii: source.is_ascii(),
            last: std::cell::Cell::new((0, 0, 0)),
        }
    }

    /// The text of line `line` (1-based) of `source`, without its line end.
    pub fn line<'s>(&self, source: &'s str, line: u32) -> Option<&'s str> {
        let i = (line as usize).checked_sub(1)?;
        let start = *self.starts.get(i)?;
        let end = self.starts.get(i + 1).map_or(source.len(), |next| next - 1);
        source
            .get(start..end.max(start))
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
    }

    /// The number of lines.
    pub fn count(&self) -> u32 {
        self.starts.len() as u32
    }

    /// The byte offset of `at` (1-based line, column in characters) in `source`.
    pub fn offset(&self, source: &str, at: proc_macro2::LineColumn) -> Option<usize> {
        let start = *self.starts.get(at.line.checked_sub(1)?)?;
        if self.ascii {
            return (start + at.column <= source.len()).then_some(start + at.column);
        }
        let (line, column, byte) = self.last.get();
        let (from_column, from) = if line == at.line && column <= at.column {
            (column, byte)
        } else {
            (0, start)
        };
        let offset = source
            .get(from..)?
            .char_indices()
            .nth(at.column - from_column)
            .map(|(i, _)| from + i)?;
        self.last.set((at.line, at.column, offset));
        Some(offset)
    }
}

/// Whether the body of `mac` may hold an expression that a rule looks at
/// inside macro arguments: a call or method call, indexing, a nested macro,
/// an `unsafe` block or a `match`, or an item a rule records (`impl`,
/// `enum`, `extern`, `use`, `mod`, `trait`) in a block. Answers from the macro's text in `source`
/// (a byte scan, no tokens), conservatively: `true` whenever unsure. Rules
/// that look at another kind of expression inside macro arguments must be
/// added here, or they will not see it.
///
/// Re-parsing macro arguments is the walk's largest cost; most bodies
/// (`"{}", x`, `a, b`, tables of literals) hold none of these and are skipped.
pub fn macro_body_may_matter(mac: &syn::Macro, source: &str, lines: &LineStarts) -> bool {
    let delim = mac.delimiter.span();
    let body = lines
        .offset(source, delim.open().end())
        .zip(lines.offset(source, delim.close().start()))
        .and_then(|(start, end)| source.get(start..end));
    match body {
        Some(body) => text_may_hold_checked_expr(body.as_bytes()),
        None => true,
    }
}

fn text_may_hold_checked_expr(text: &[u8]) -> bool {
    const WORDS: [&[u8]; 8] = [
        b"unsafe", b"match", b"impl", b"enum", b"extern", b"use", b"mod", b"trait",
    ];
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80;
    // The last byte before `i` that is not whitespace (`,` at the start).
    let mut prev = b',';
    for (i, &b) in text.iter().enumerate() {
        let found = match b {
            // `f(..)`, `x.m(..)`, `f::<T>(..)`, `g()(..)`, `x[i]`, `a[i][j]`,
            // `x?[i]`, `"abc"[i..]`, `{ v }[i]`, `#[attr]`.
            b'(' | b'[' => {
                is_ident(prev) || matches!(prev, b')' | b']' | b'>' | b'?' | b'"' | b'}' | b'#')
            }
            // `name!(..)`, `name! [..]`, `name!{..}`; not `!=` or `!x`.
            b'!' => text[i + 1..]
                .iter()
                .find(|c| !c.is_ascii_whitespace())
                .is_some_and(|c| matches!(c, b'(' | b'[' | b'{')),
            // A comment may stand between anything above: not worth reading.
            b'/' => matches!(text.get(i + 1), Some(b'/' | b'*')),
            b'u' | b'm' | b'i' | b'e' | b't' if i == 0 || !is_ident(text[i - 1]) => {
                let rest = &text[i..];
                WORDS
                    .iter()
                    .any(|w| rest.starts_with(w) && rest.get(w.len()).is_none_or(|&c| !is_ident(c)))
            }
            _ => false,
        };
        if found {
            return true;
        }
        if !b.is_ascii_whitespace() {
            prev = b;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::text_may_hold_checked_expr as may;
    use super::{LineStarts, macro_body_may_matter};

    #[test]
    fn macro_bodies_are_found_by_line_and_column() {
        // Non-ASCII text before the macros on the same line: columns count
        // characters, offsets bytes.
        // A byte order mark before line 1.
        let src = "\u{feff}fn f() { h!(\"{}\", x);\n    let é = \"ü\"; println!(\"{}\", é);\n    é; g!(a.b()); k!(\"é\", 1); l!(\"é\", w!(z));\n}\n";
        let file = syn::parse_file(src).unwrap();
        let lines = LineStarts::new(src);
        let mut found = Vec::new();
        struct Macros<'a>(&'a mut Vec<(String, bool)>, &'a str, &'a LineStarts);
        impl<'ast> syn::visit::Visit<'ast> for Macros<'_> {
            fn visit_macro(&mut self, m: &'ast syn::Macro) {
                let ident = &m.path.segments[0].ident;
                let name = ident.to_string();
                // The name's offset, found from its line and column.
                let at = self.2.offset(self.1, ident.span().start());
                assert_eq!(at, self.1.find(&format!("{name}!")), "{name}");
                self.0
                    .push((name, macro_body_may_matter(m, self.1, self.2)));
            }
        }
        syn::visit::Visit::visit_file(&mut Macros(&mut found, src, &lines), &file);
        assert_eq!(
            found,
            [
                ("h".to_owned(), false),
                ("println".to_owned(), false),
                ("g".to_owned(), true),
                ("k".to_owned(), false),
                ("l".to_owned(), true)
            ]
        );
    }

    #[test]
    fn macro_bodies_that_may_hold_checked_expressions() {
        for body in [
            "\"{}\", x.unwrap()",
            "f(x)",
            "a, Vec::<u8>::new()",
            "make()(1)",
            "v[0]",
            "v [0]",
            "m[i][j]",
            "x?[0]",
            "\"{}\", inner!(x)",
            "vec! [1]",
            "unsafe { *p }",
            "match x { _ => 1 }",
            "a,match x { _ => 1 }",
            "x, unsafe { f }",
            "é(1)",
            "x.unwrap /* c */ ()",
            "m! // c\n (1)",
            "&\"abc\"[i..]",
            "{ v }[i]",
            "{ impl std::error::Error for E {} }",
            "{ extern \"C\" { static X: u8; } }",
            "{ use a::b as c; }",
            "{ enum E { A } }",
            "{ mod m {} }",
            "{ trait T {} }",
        ] {
            assert!(may(body.as_bytes()), "{body}");
        }
    }

    #[test]
    fn macro_bodies_that_hold_none() {
        for body in [
            "",
            "\"{}\", x",
            "a, b.c",
            "a != b",
            "!flag",
            "1, 2, 3",
            "(1, 2), (3, 4)",
            "[1, 2], [3]",
            "|x| x + 1",
            "unsafe_count, matches",
            "x.unsafe_ptr",
            "Foo { a: 1 }",
            "used, impls, enumerate, modulo, traits, external",
            "a / b",
        ] {
            assert!(!may(body.as_bytes()), "{body}");
        }
    }
}
