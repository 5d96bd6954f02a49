use super::unsafe_in_business_logic::{
    is_env_setup_in_main, reports_here, skipped_as_generated, unsafe_tokens_in_macro_rules,
};
use crate::{Ctx, Out, Rule, RuleMeta, Span, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports an `unsafe` block or `unsafe impl` without a `// SAFETY:`
    /// comment, outside business logic: where RG101 (unsafe-in-business-logic)
    /// does not report it. In business logic RG101 reports every `unsafe`
    /// instead, so a site is never reported by both rules. Test code and
    /// generated files are not checked (`[unsafe-in-business-logic]
    /// include-generated = true` checks generated files too).
    ///
    /// A `// SAFETY:` comment (`SAFETY:` in any case, after `//`, `///`,
    /// `/*` or a block comment's `*`) documents the block or impl when it is:
    /// - on the line above, or in the run of comment lines directly above
    ///   (a multi-line comment counts when any of its lines starts with
    ///   `SAFETY:`, usually the first); attribute lines between the comment
    ///   and the code are skipped;
    /// - above the statement that holds the block, when the block starts on a
    ///   continuation line of it (lines above that end with neither `;`, `{`
    ///   nor `}`, up to 8 lines up): `// SAFETY: ..` above `let x = f(`
    ///   covers an `unsafe { .. }` argument on the next line;
    /// - on the same line (`let n = unsafe { len(p) }; // SAFETY: ..`);
    /// - the first line inside the block (`unsafe {` then `// SAFETY: ..`).
    ///
    /// A comment covers only the code directly below it: in two consecutive
    /// `let a = unsafe { .. };` lines, the second needs its own comment.
    /// Blank lines end the search.
    ///
    /// `unsafe fn` declarations are not reported: their contract belongs in
    /// a `# Safety` doc section, not a `SAFETY:` comment. The tokens of
    /// `macro_rules!` bodies are read too: `unsafe {` and `unsafe impl` there
    /// need a comment like any other.
    ///
    /// ## Differences from clippy's `undocumented_unsafe_blocks`
    /// clippy is the reference; rustgate agrees with its defaults
    /// (`accept-comment-above-statement` and
    /// `accept-comment-above-attributes` both on) except:
    /// - rustgate also accepts a comment on the same line and as the first
    ///   line inside the block: both are common, and both sit next to the
    ///   code they explain;
    /// - rustgate finds the statement above by line continuation, not by the
    ///   syntax tree: a statement whose lines end in `{` (a struct literal)
    ///   before the block's line is not looked through;
    /// - rustgate does not check `unsafe` blocks in business logic (RG101
    ///   reports them), in test code or in generated files;
    /// - rustgate reads `macro_rules!` bodies, which clippy sees only once
    ///   expanded (and reports at each use).
    ///
    /// ## Why is this bad?
    /// An `unsafe` block is a promise that the compiler cannot check. Without
    /// a note of which invariant makes it sound (the pointer is non-null and
    /// aligned, the index was checked above, no other thread runs yet), the
    /// next change breaks the promise without anyone noticing, and a reviewer
    /// cannot tell a careful block from a careless one.
    ///
    /// ## Example
    /// ```rust
    /// fn first(v: &[u8]) -> u8 {
    ///     assert!(!v.is_empty());
    ///     unsafe { *v.get_unchecked(0) }
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```rust
    /// fn first(v: &[u8]) -> u8 {
    ///     assert!(!v.is_empty());
    ///     // SAFETY: `v` is not empty (asserted above), so index 0 is in bounds.
    ///     unsafe { *v.get_unchecked(0) }
    /// }
    /// ```
    ///
    /// ## Options
    /// - `[unsafe-in-business-logic] include-generated = true`: check
    ///   generated files too (default `false`).
    ///
    /// ## Maturity
    /// Preview (runs with `--preview`). On the labelled services (2026-12-03)
    /// it reports 10 sites, all `unsafe { dotenv() }` at the start of a
    /// binary's `main` with no `SAFETY` comment: right by the rule's letter,
    /// not yet labelled by a team.
    pub struct UndocumentedUnsafe {
        code: "RG102",
        name: "undocumented-unsafe",
        severity: Warning,
        summary: "unsafe block or impl without a `// SAFETY:` comment",
        tags: ["security", "maintainability"],
        precision: "high",
        preview: true,
    }
}

const HELP: &str = "say why the code is sound in a `// SAFETY:` comment on the line above: which invariant holds and what upholds it";

/// How many continuation lines of a statement are looked through.
const MAX_CONTINUATION: u32 = 8;

impl UndocumentedUnsafe {
    /// Whether RG102 checks this point: not test code, not a generated file
    /// (unless included), and not where RG101 reports.
    fn applies(cx: &Ctx<'_>) -> bool {
        !cx.in_test() && !skipped_as_generated(cx)
    }

    /// Reports `what` at `span` unless a `SAFETY:` comment documents it.
    /// `body_open`: the line of the block's `{` when it ends its line, for a
    /// comment on the first line inside.
    fn check(cx: &Ctx<'_>, out: &mut Out, span: Span, body_open: Option<u32>, what: &str) {
        if !documented(cx, span, body_open) {
            out.push(
                cx.diagnostic(
                    &Self::META,
                    span,
                    format!("{what} without a `// SAFETY:` comment"),
                )
                .with_help(HELP),
            );
        }
    }
}

impl Rule for UndocumentedUnsafe {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads_test_code(&self) -> bool {
        false
    }

    fn check_item(&self, cx: &Ctx<'_>, item: &syn::Item, out: &mut Out) {
        if !Self::applies(cx) || reports_here(cx) {
            return;
        }
        match item {
            syn::Item::Impl(i) => {
                if let Some(tok) = &i.unsafety {
                    Self::check(cx, out, Span::of(tok), None, "unsafe impl");
                }
            }
            syn::Item::Macro(m) => {
                for (span, what) in unsafe_tokens_in_macro_rules(&m.mac) {
                    if matches!(what, "unsafe block" | "unsafe impl") {
                        Self::check(cx, out, span, None, what);
                    }
                }
            }
            _ => {}
        }
    }

    fn check_expr(&self, cx: &Ctx<'_>, expr: &syn::Expr, out: &mut Out) {
        let syn::Expr::Unsafe(u) = expr else {
            return;
        };
        if !Self::applies(cx) {
            return;
        }
        let rg101_reports = reports_here(cx)
            && (cx.settings.unsafe_in_business_logic.report_env_in_main
                || !is_env_setup_in_main(cx, &u.block));
        if rg101_reports {
            return;
        }
        // A comment inside counts only in a block whose `{` ends its line.
        let braces = u.block.brace_token.span;
        let open = braces.open().start().line as u32;
        let close = braces.close().start().line as u32;
        let body_open = (close > open
            && cx
                .line(open)
                .is_some_and(|l| strip_trailing_comment(l).trim_end().ends_with('{')))
        .then_some(open);
        Self::check(
            cx,
            out,
            Span::of(&u.unsafe_token),
            body_open,
            "unsafe block",
        );
    }
}

/// Whether a `SAFETY:` comment documents the code whose `unsafe` keyword is
/// at `span`: see the rule's doc for the places looked at.
fn documented(cx: &Ctx<'_>, span: Span, body_open: Option<u32>) -> bool {
    let line = span.start.line;
    // The same line, from the `unsafe` keyword on.
    if let Some(text) = cx.line(line) {
        let from = text
            .char_indices()
            .nth(span.start.column.saturating_sub(1) as usize)
            .map_or(0, |(i, _)| i);
        if comment_has_safety(&text[from..]) {
            return true;
        }
    }
    // The first line(s) inside the block.
    if let Some(open) = body_open {
        let mut n = open + 1;
        while let Some(text) = cx.line(n) {
            match comment_text(text) {
                Some(c) if is_safety(c) => return true,
                Some(_) => n += 1,
                None => break,
            }
        }
    }
    // Above the line, then above each continuation line of the statement.
    let mut top = line;
    for _ in 0..=MAX_CONTINUATION {
        let mut n = top - 1;
        // Attribute lines between the comment and the code.
        while n > 0 && cx.line(n).is_some_and(is_attribute_line) {
            n -= 1;
        }
        let mut comments = false;
        while n > 0
            && let Some(c) = cx.line(n).and_then(comment_text)
        {
            if is_safety(c) {
                return true;
            }
            comments = true;
            n -= 1;
        }
        if comments || n == 0 {
            return false;
        }
        // `n` is a code line: part of the statement when it does not end one.
        let Some(code) = cx.line(n) else {
            return false;
        };
        let code = strip_trailing_comment(code).trim_end();
        if code.is_empty() || code.ends_with([';', '{', '}']) {
            return false;
        }
        top = n;
    }
    false
}

/// The text of a comment-only line, after its `//`, `///`, `//!`, `/*`,
/// `*` or `*/` marker; `None` for code or blank lines.
fn comment_text(line: &str) -> Option<&str> {
    let t = line.trim_start();
    if let Some(rest) = t.strip_prefix("//") {
        return Some(rest.trim_start_matches(['/', '!']).trim_start());
    }
    if let Some(rest) = t.strip_prefix("/*") {
        return Some(rest.trim_start_matches(['*', '!']).trim_start());
    }
    if t.starts_with('*') {
        return Some(t.trim_start_matches(['*', '/']).trim_start());
    }
    None
}

fn is_safety(comment: &str) -> bool {
    comment
        .get(..7)
        .is_some_and(|s| s.eq_ignore_ascii_case("SAFETY:"))
}

/// Whether `text` (a line's tail) holds a comment whose text starts with
/// `SAFETY:`.
fn comment_has_safety(text: &str) -> bool {
    text.match_indices("//")
        .chain(text.match_indices("/*"))
        .any(|(i, _)| {
            let rest = text[i + 2..]
                .trim_start_matches(['/', '*', '!'])
                .trim_start();
            is_safety(rest)
        })
}

fn is_attribute_line(line: &str) -> bool {
    let t = line.trim();
    (t.starts_with("#[") || t.starts_with("#![")) && t.ends_with(']')
}

/// A code line without a trailing `// ..` comment (a rough cut: a `//`
/// inside a string literal cuts there too, which only makes the line look
/// unfinished).
fn strip_trailing_comment(line: &str) -> &str {
    line.find("//").map_or(line, |i| &line[..i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::r#unsafe::unsafe_in_business_logic::UnsafeInBusinessLogic;
    use crate::testing::{assert_fixture, assert_fixture_marked};
    use crate::{Settings, TargetKind};

    #[test]
    fn comment_forms() {
        assert_eq!(comment_text("  // SAFETY: x"), Some("SAFETY: x"));
        assert_eq!(comment_text("/// Safety: x"), Some("Safety: x"));
        assert_eq!(comment_text(" * SAFETY: x"), Some("SAFETY: x"));
        assert_eq!(comment_text("/* SAFETY: x */"), Some("SAFETY: x */"));
        assert_eq!(comment_text("let x = 1; // SAFETY: no"), None);
        assert!(is_safety("safety: lower case"));
        assert!(!is_safety("SAFETY without colon"));
        assert!(comment_has_safety("unsafe { f() } // SAFETY: checked"));
        assert!(comment_has_safety("unsafe { /* SAFETY: checked */ f() }"));
        assert!(!comment_has_safety("unsafe { f() } // checked"));
    }

    #[test]
    fn business_logic_keeps_rg101_and_never_both() {
        let src = r#"
pub fn f(p: *const u8) -> u8 {
    unsafe { *p } //~ RG101
}
mod ffi {
    pub fn g(p: *const u8) -> u8 {
        unsafe { *p } //~ RG102
    }
    pub fn h(p: *const u8) -> u8 {
        // SAFETY: the caller passes a valid pointer
        unsafe { *p }
    }
}
"#;
        assert_fixture(
            &[("src/lib.rs", TargetKind::Lib, src)],
            &[&UnsafeInBusinessLogic, &UndocumentedUnsafe],
            &Settings::default(),
        );
    }

    #[test]
    fn generated_files_are_skipped_unless_included() {
        let src = "pub fn f(p: *const u8) -> u8 { unsafe { *p } }\nmod ffi { pub fn g(p: *const u8) -> u8 { unsafe { *p } } }\n";
        let files = [("src/gen.rs", TargetKind::Lib, src)];
        assert_fixture_marked(
            &files,
            &["src/gen.rs"],
            &[&UnsafeInBusinessLogic, &UndocumentedUnsafe],
            &Settings::default(),
        );
        let mut settings = Settings::default();
        settings.unsafe_in_business_logic.include_generated = true;
        let found = crate::testing::check_sources_marked(
            &files,
            &["src/gen.rs"],
            &[&UnsafeInBusinessLogic, &UndocumentedUnsafe],
            &settings,
        );
        let codes: Vec<(u32, &str)> = found
            .iter()
            .map(|d| (d.primary.span.start.line, d.rule.code))
            .collect();
        assert_eq!(codes, [(1, "RG101"), (2, "RG102")]);
    }
}
