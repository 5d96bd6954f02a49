//! The single traversal: walks a parsed file once, keeps the context every rule
//! would otherwise re-derive (test code? inside `unsafe`? current function,
//! impl, module path?) and calls each enabled rule's hooks at every node.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use syn::visit::{self, Visit};

use crate::diagnostic::{Diagnostic, Span};
use crate::facts::{FileFacts, FileInfo, ModDecl};
use crate::rule::{Rule, RuleMeta};
use crate::settings::Settings;
use crate::syntax::LineStarts;

/// Where a function sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FnKind {
    /// `fn` at module level or inside a block.
    Free,
    /// An associated function or method in an `impl`.
    Impl,
    /// A provided method in a `trait`.
    TraitDefault,
}

/// The function currently being walked.
#[derive(Clone, Copy)]
pub struct FnFrame<'ast> {
    pub kind: FnKind,
    pub attrs: &'ast [syn::Attribute],
    pub vis: Option<&'ast syn::Visibility>,
    pub sig: &'ast syn::Signature,
}

/// The shared context rules read. Built and updated by the checker only.
#[derive(Clone)]
pub struct Ctx<'ast> {
    pub file: &'ast FileInfo,
    pub settings: &'ast Settings,
    pub source: &'ast str,
    test_depth: u32,
    unsafe_depth: u32,
    /// Depth of `mod ffi|sys|bindings|raw` blocks.
    low_level_depth: u32,
    fns: Vec<FnFrame<'ast>>,
    impls: Vec<&'ast syn::ItemImpl>,
    traits: Vec<&'ast syn::ItemTrait>,
    modules: Vec<String>,
    /// The starts of the file's lines.
    lines: Rc<LineStarts>,
}

impl<'ast> Ctx<'ast> {
    /// The text of line `line` (1-based) of the file, without its line end.
    pub fn line(&self, line: u32) -> Option<&'ast str> {
        self.lines.line(self.source, line)
    }

    /// The number of lines of the file.
    pub fn line_count(&self) -> u32 {
        self.lines.count()
    }

    /// Inside `#[cfg(test)]`, `#[test]` or another test attribute.
    pub fn in_test(&self) -> bool {
        self.test_depth > 0
            || matches!(
                self.file.kind,
                crate::TargetKind::Test | crate::TargetKind::Bench
            )
    }

    /// In test code or an example target: what the security and async rules
    /// leave alone (a development secret in an example is the example's
    /// point).
    pub fn in_test_or_example(&self) -> bool {
        self.in_test() || self.file.kind == crate::TargetKind::Example
    }

    /// Inside an `unsafe` block or `unsafe fn`.
    pub fn in_unsafe(&self) -> bool {
        self.unsafe_depth > 0
    }

    /// Business logic at this point: a business-logic file, outside test code
    /// and outside `mod ffi`, `mod sys`, `mod bindings` and `mod raw`.
    pub fn is_business_logic(&self) -> bool {
        self.file.business_logic && self.test_depth == 0 && self.low_level_depth == 0
    }

    /// The innermost enclosing function (closures do not count).
    pub fn current_fn(&self) -> Option<&FnFrame<'ast>> {
        self.fns.last()
    }

    /// All enclosing functions, outermost first.
    pub fn fns(&self) -> &[FnFrame<'ast>] {
        &self.fns
    }

    /// The innermost enclosing `impl` block.
    pub fn current_impl(&self) -> Option<&'ast syn::ItemImpl> {
        self.impls.last().copied()
    }

    /// The innermost enclosing `trait` block.
    pub fn current_trait(&self) -> Option<&'ast syn::ItemTrait> {
        self.traits.last().copied()
    }

    /// Inline modules of this file around the current node, outermost first.
    pub fn inline_modules(&self) -> &[String] {
        &self.modules
    }

    /// A diagnostic of `rule` at `span` in this file.
    pub fn diagnostic(
        &self,
        rule: &'static RuleMeta,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::new(rule, &self.file.path, span, message)
    }
}

/// What the walk of one file produces.
#[derive(Debug, Default)]
pub struct Out {
    pub diagnostics: Vec<Diagnostic>,
    pub facts: FileFacts,
    /// Rules that panicked on this file: (code, panic message). The rule is
    /// skipped for the rest of the file.
    pub rule_panics: Vec<(&'static str, String)>,
    /// Lines where an item, statement, arm, field or variant starts, with the
    /// line where it ends: the scope of an own-line suppression comment.
    pub node_lines: Vec<(u32, u32)>,
}

impl Out {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }
}

/// Checks one parsed file with `rules`.
pub fn check_file(
    file: &FileInfo,
    settings: &Settings,
    source: &str,
    ast: &syn::File,
    rules: &[&dyn Rule],
) -> Out {
    check_file_with(file, settings, source, ast, rules, true)
}

/// [`check_file`]; `shortcuts: false` re-parses every macro body and walks
/// test code, for the test that neither shortcut changes any result.
fn check_file_with(
    file: &FileInfo,
    settings: &Settings,
    source: &str,
    ast: &syn::File,
    rules: &[&dyn Rule],
    shortcuts: bool,
) -> Out {
    let lines = Rc::new(LineStarts::new(source));
    let mut checker = Checker {
        cx: Ctx {
            file,
            settings,
            source,
            test_depth: 0,
            unsafe_depth: 0,
            low_level_depth: 0,
            fns: Vec::new(),
            impls: Vec::new(),
            traits: Vec::new(),
            modules: Vec::new(),
            lines: Rc::clone(&lines),
        },
        rules: rules.to_vec(),
        out: Out::default(),
        record_lines: crate::syntax::mentions_rustgate(source),
        in_item_macro: false,
        lines,
        skip_tests: false,
        macro_prefilter: shortcuts,
        inline_dirs: Vec::new(),
        dirs_differ: 0,
    };
    // Suppression scopes need every node's lines, test code's too.
    checker.skip_tests =
        shortcuts && !checker.record_lines && rules.iter().all(|r| !r.reads_test_code());
    if attrs_are_test(&ast.attrs) {
        checker.cx.test_depth += 1;
    }
    checker.each(|r, cx, out| r.check_file(cx, ast, out));
    if checker.skips() || (shortcuts && rules.is_empty() && !checker.record_lines) {
        for item in &ast.items {
            checker.mods_only(item);
        }
    } else {
        checker.visit_file(ast);
    }
    // The panic facts' walk state (local types, guards, line table) is not a
    // fact: free it before the facts wait for the crate phase.
    checker.out.facts.panic.scratch = Default::default();
    checker.out
}

struct Checker<'ast, 'r> {
    /// Directory components of the inline modules entered (their `#[path]`
    /// or name), parallel to `cx.modules`; `dirs_differ` when any had a path.
    inline_dirs: Vec<String>,
    dirs_differ: u32,
    cx: Ctx<'ast>,
    rules: Vec<&'r dyn Rule>,
    out: Out,
    record_lines: bool,
    /// Inside an item-position macro, whose body is never re-parsed.
    in_item_macro: bool,
    /// Shared with the checkers of macro arguments.
    lines: Rc<LineStarts>,
    /// No active rule reads test code: it is not walked.
    skip_tests: bool,
    /// Skip macro bodies that cannot hold a checked expression.
    macro_prefilter: bool,
}

impl<'ast> Checker<'ast, '_> {
    /// Calls `f` for every active rule; a rule that panics is reported once and
    /// dropped for the rest of the file.
    fn each(&mut self, f: impl Fn(&dyn Rule, &Ctx<'ast>, &mut Out)) {
        let mut i = 0;
        while i < self.rules.len() {
            let rule = self.rules[i];
            let result = catch_unwind(AssertUnwindSafe(|| f(rule, &self.cx, &mut self.out)));
            match result {
                Ok(()) => i += 1,
                Err(payload) => {
                    self.out
                        .rule_panics
                        .push((rule.meta().code, panic_message(&*payload)));
                    self.rules.remove(i);
                }
            }
        }
    }

    /// Records the lines of `node` for suppression scopes. Only files with a
    /// `rustgate:` comment need them: a node's span prints the node to tokens,
    /// which costs as much as a good part of parsing it.
    fn node_lines(&mut self, node: &impl syn::spanned::Spanned) {
        if self.record_lines {
            let span = node.span();
            let (s, e) = (span.start().line as u32, span.end().line as u32);
            self.out.node_lines.push((s, e));
        }
    }

    /// Whether the walk skips the code it is in: test code no rule reads.
    fn skips(&self) -> bool {
        self.skip_tests && self.cx.in_test()
    }

    /// Walks skipped code for its `mod` declarations only.
    fn mods_only(&mut self, item: &'ast syn::Item) {
        if let syn::Item::Mod(m) = item {
            self.enter_mod(m, |v| {
                for item in m.content.iter().flat_map(|(_, items)| items) {
                    v.mods_only(item);
                }
            });
        }
    }

    /// Records the `mod name;` declarations in a macro's tokens, with a
    /// `#[path = ".."]` right before them, at any group depth.
    fn mods_in_tokens(&mut self, tokens: proc_macro2::TokenStream) {
        use proc_macro2::TokenTree;
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut path: Option<String> = None;
        let mut cfg_paths: Vec<String> = Vec::new();
        let mut i = 0;
        while i < trees.len() {
            match &trees[i] {
                TokenTree::Punct(p) if p.as_char() == '#' => {
                    if let Some(TokenTree::Group(g)) = trees.get(i + 1) {
                        if let Ok(meta) = syn::parse2::<syn::Meta>(g.stream()) {
                            if meta.path().is_ident("path")
                                && let syn::Meta::NameValue(nv) = &meta
                                && let syn::Expr::Lit(syn::ExprLit {
                                    lit: syn::Lit::Str(s),
                                    ..
                                }) = &nv.value
                            {
                                path = Some(s.value());
                            } else if meta.path().is_ident("cfg_attr") {
                                cfg_paths.extend(meta_cfg_attr_paths(&meta));
                            }
                        }
                        i += 2;
                        continue;
                    }
                }
                TokenTree::Ident(id) if id == "mod" => {
                    if let (Some(TokenTree::Ident(name)), Some(TokenTree::Punct(semi))) =
                        (trees.get(i + 1), trees.get(i + 2))
                        && semi.as_char() == ';'
                    {
                        self.out.facts.mods.push(ModDecl {
                            inline_parents: self.cx.modules.clone(),
                            name: syn::ext::IdentExt::unraw(name).to_string(),
                            path_attr: path.take(),
                            test: self.cx.in_test(),
                            line: name.span().start().line as u32,
                            cfg_paths: std::mem::take(&mut cfg_paths),
                            inline_dirs: self.current_inline_dirs(),
                        });
                        i += 3;
                        continue;
                    }
                    // An inline module inside the macro: its children live below it.
                    if let (Some(TokenTree::Ident(name)), Some(TokenTree::Group(body))) =
                        (trees.get(i + 1), trees.get(i + 2))
                        && body.delimiter() == proc_macro2::Delimiter::Brace
                    {
                        let name = syn::ext::IdentExt::unraw(name).to_string();
                        let dir = path.take().unwrap_or_else(|| name.clone());
                        self.push_inline(name, dir);
                        self.mods_in_tokens(body.stream());
                        self.pop_inline();
                        cfg_paths.clear();
                        i += 3;
                        continue;
                    }
                }
                TokenTree::Group(g) => self.mods_in_tokens(g.stream()),
                TokenTree::Ident(id) if id == "pub" || id == "crate" => {
                    i += 1;
                    continue;
                }
                _ => {}
            }
            path = None;
            cfg_paths.clear();
            i += 1;
        }
    }

    fn push_inline(&mut self, name: String, dir: String) {
        self.dirs_differ += u32::from(dir != name);
        self.cx.modules.push(name);
        self.inline_dirs.push(dir);
    }

    fn pop_inline(&mut self) {
        if let (Some(name), Some(dir)) = (self.cx.modules.pop(), self.inline_dirs.pop()) {
            self.dirs_differ -= u32::from(dir != name);
        }
    }

    /// `ModDecl::inline_dirs` for a declaration here.
    fn current_inline_dirs(&self) -> Vec<String> {
        if self.dirs_differ > 0 {
            self.inline_dirs.clone()
        } else {
            Vec::new()
        }
    }

    /// Records a `mod` declaration and walks the module with `walk`.
    fn enter_mod(&mut self, node: &'ast syn::ItemMod, walk: impl FnOnce(&mut Self)) {
        // `mod r#as;` lives in `as.rs`.
        let name = syn::ext::IdentExt::unraw(&node.ident).to_string();
        if node.content.is_none() {
            self.out.facts.mods.push(ModDecl {
                inline_parents: self.cx.modules.clone(),
                name: name.clone(),
                path_attr: path_attr(&node.attrs),
                test: self.cx.in_test(),
                line: node.ident.span().start().line as u32,
                cfg_paths: cfg_attr_paths(&node.attrs),
                inline_dirs: self.current_inline_dirs(),
            });
        }
        let low_level = is_low_level_module(&name);
        self.cx.low_level_depth += u32::from(low_level);
        let dir = match (&node.content, path_attr(&node.attrs)) {
            (Some(_), Some(p)) => p,
            _ => name.clone(),
        };
        self.push_inline(name, dir);
        walk(self);
        self.pop_inline();
        self.cx.low_level_depth -= u32::from(low_level);
    }

    fn enter_attrs(&mut self, attrs: &[syn::Attribute]) -> bool {
        let test = attrs_are_test(attrs);
        if test {
            self.cx.test_depth += 1;
        }
        test
    }

    fn leave_attrs(&mut self, test: bool) {
        if test {
            self.cx.test_depth -= 1;
        }
    }

    fn walk_fn(&mut self, frame: FnFrame<'ast>, visit_body: impl FnOnce(&mut Self)) {
        let is_unsafe = matches!(frame.sig.safety, syn::Safety::Unsafe(_));
        self.cx.unsafe_depth += u32::from(is_unsafe);
        self.cx.fns.push(frame);
        visit_body(self);
        self.cx.fns.pop();
        self.cx.unsafe_depth -= u32::from(is_unsafe);
    }
}

impl<'ast> Visit<'ast> for Checker<'ast, '_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        self.node_lines(item);
        let test = self.enter_attrs(item_attrs(item));
        if self.skips() {
            self.mods_only(item);
        } else {
            self.each(|r, cx, out| r.check_item(cx, item, out));
            visit::visit_item(self, item);
        }
        self.leave_attrs(test);
    }

    fn visit_item_fn(&mut self, node: &'ast syn::ItemFn) {
        let frame = FnFrame {
            kind: FnKind::Free,
            attrs: &node.attrs,
            vis: Some(&node.vis),
            sig: &node.sig,
        };
        self.walk_fn(frame, |v| visit::visit_item_fn(v, node));
    }

    fn visit_impl_item(&mut self, item: &'ast syn::ImplItem) {
        self.node_lines(item);
        let attrs: &[syn::Attribute] = match item {
            syn::ImplItem::Const(i) => &i.attrs,
            syn::ImplItem::Fn(i) => &i.attrs,
            syn::ImplItem::Type(i) => &i.attrs,
            syn::ImplItem::Macro(i) => &i.attrs,
            _ => &[],
        };
        let test = self.enter_attrs(attrs);
        if !self.skips() {
            self.each(|r, cx, out| r.check_impl_item(cx, item, out));
            visit::visit_impl_item(self, item);
        }
        self.leave_attrs(test);
    }

    fn visit_impl_item_fn(&mut self, node: &'ast syn::ImplItemFn) {
        let frame = FnFrame {
            kind: FnKind::Impl,
            attrs: &node.attrs,
            vis: Some(&node.vis),
            sig: &node.sig,
        };
        self.walk_fn(frame, |v| visit::visit_impl_item_fn(v, node));
    }

    fn visit_trait_item(&mut self, item: &'ast syn::TraitItem) {
        self.node_lines(item);
        let attrs: &[syn::Attribute] = match item {
            syn::TraitItem::Const(i) => &i.attrs,
            syn::TraitItem::Fn(i) => &i.attrs,
            syn::TraitItem::Type(i) => &i.attrs,
            syn::TraitItem::Macro(i) => &i.attrs,
            _ => &[],
        };
        let test = self.enter_attrs(attrs);
        if !self.skips() {
            self.each(|r, cx, out| r.check_trait_item(cx, item, out));
            visit::visit_trait_item(self, item);
        }
        self.leave_attrs(test);
    }

    fn visit_trait_item_fn(&mut self, node: &'ast syn::TraitItemFn) {
        let frame = FnFrame {
            kind: FnKind::TraitDefault,
            attrs: &node.attrs,
            vis: None,
            sig: &node.sig,
        };
        self.walk_fn(frame, |v| visit::visit_trait_item_fn(v, node));
    }

    fn visit_item_impl(&mut self, node: &'ast syn::ItemImpl) {
        self.cx.impls.push(node);
        visit::visit_item_impl(self, node);
        self.cx.impls.pop();
    }

    fn visit_item_trait(&mut self, node: &'ast syn::ItemTrait) {
        self.cx.traits.push(node);
        visit::visit_item_trait(self, node);
        self.cx.traits.pop();
    }

    fn visit_item_mod(&mut self, node: &'ast syn::ItemMod) {
        self.enter_mod(node, |v| visit::visit_item_mod(v, node));
    }

    fn visit_stmt(&mut self, stmt: &'ast syn::Stmt) {
        if !matches!(stmt, syn::Stmt::Item(_)) {
            self.node_lines(stmt);
        }
        visit::visit_stmt(self, stmt);
    }

    fn visit_local(&mut self, local: &'ast syn::Local) {
        let test = self.enter_attrs(&local.attrs);
        self.each(|r, cx, out| r.check_local(cx, local, out));
        visit::visit_local(self, local);
        self.leave_attrs(test);
    }

    fn visit_arm(&mut self, arm: &'ast syn::Arm) {
        self.node_lines(arm);
        visit::visit_arm(self, arm);
    }

    fn visit_field(&mut self, field: &'ast syn::Field) {
        self.node_lines(field);
        visit::visit_field(self, field);
    }

    fn visit_variant(&mut self, variant: &'ast syn::Variant) {
        self.node_lines(variant);
        visit::visit_variant(self, variant);
    }

    fn visit_expr(&mut self, expr: &'ast syn::Expr) {
        let test = self.enter_attrs(expr_attrs(expr));
        self.each(|r, cx, out| r.check_expr(cx, expr, out));
        let is_unsafe = matches!(expr, syn::Expr::Unsafe(_));
        self.cx.unsafe_depth += u32::from(is_unsafe);
        visit::visit_expr(self, expr);
        self.cx.unsafe_depth -= u32::from(is_unsafe);
        self.leave_attrs(test);
    }

    fn visit_item_macro(&mut self, node: &'ast syn::ItemMacro) {
        // Item-position macros (`macro_rules!`, `lazy_static!`, `bitflags!`,
        // ...) hold items or token templates, not expression lists: re-parsing
        // their bodies costs time and finds nothing.
        self.in_item_macro = true;
        // `mod x;` inside `cfg_if!` and the like: still part of the module
        // tree. `macro_rules!` bodies are templates, not declarations.
        if !node.mac.path.is_ident("macro_rules") {
            self.mods_in_tokens(node.mac.tokens.clone());
        }
        visit::visit_item_macro(self, node);
        self.in_item_macro = false;
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.each(|r, cx, out| r.check_macro(cx, mac, out));
        visit::visit_macro(self, mac);
        if self.in_item_macro
            || (self.macro_prefilter
                && !crate::syntax::macro_body_may_matter(mac, self.cx.source, &self.lines))
        {
            return;
        }
        // Macros are not expanded, but most take comma-separated expressions
        // (`format!`, `vec!`, `assert!`, `write!`, ...): walk those, so rules see
        // `println!("{}", x.unwrap())` like any other call. Bodies that cannot
        // hold an expression any rule looks at are not parsed.
        if let Some(args) = crate::syntax::macro_exprs(mac) {
            // The parsed arguments live shorter than the file's tree: walk them
            // with a checker of their own that shares this one's context.
            let mut sub = Checker {
                cx: self.cx.clone(),
                rules: self.rules.clone(),
                out: std::mem::take(&mut self.out),
                record_lines: false,
                in_item_macro: false,
                lines: Rc::clone(&self.lines),
                skip_tests: self.skip_tests,
                macro_prefilter: self.macro_prefilter,
                inline_dirs: self.inline_dirs.clone(),
                dirs_differ: self.dirs_differ,
            };
            for arg in &args {
                sub.visit_expr(arg);
            }
            self.out = sub.out;
            if sub.rules.len() != self.rules.len() {
                self.rules
                    .retain(|r| sub.rules.iter().any(|s| s.meta().code == r.meta().code));
            }
        }
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_owned()
    }
}

/// Modules whose contents are low-level bindings by convention.
pub fn is_low_level_module(name: &str) -> bool {
    matches!(name, "ffi" | "sys" | "bindings" | "raw")
}

/// The attributes of any item.
pub fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    match item {
        syn::Item::Const(i) => &i.attrs,
        syn::Item::Enum(i) => &i.attrs,
        syn::Item::ExternCrate(i) => &i.attrs,
        syn::Item::Fn(i) => &i.attrs,
        syn::Item::ForeignMod(i) => &i.attrs,
        syn::Item::Impl(i) => &i.attrs,
        syn::Item::Macro(i) => &i.attrs,
        syn::Item::Mod(i) => &i.attrs,
        syn::Item::Static(i) => &i.attrs,
        syn::Item::Struct(i) => &i.attrs,
        syn::Item::Trait(i) => &i.attrs,
        syn::Item::TraitAlias(i) => &i.attrs,
        syn::Item::Type(i) => &i.attrs,
        syn::Item::Union(i) => &i.attrs,
        syn::Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

fn expr_attrs(expr: &syn::Expr) -> &[syn::Attribute] {
    match expr {
        syn::Expr::Closure(e) => &e.attrs,
        syn::Expr::Block(e) => &e.attrs,
        syn::Expr::Async(e) => &e.attrs,
        _ => &[],
    }
}

/// `#[test]`, `#[tokio::test]`, `#[rstest]`, `#[bench]`, or a `#[cfg(..)]` that
/// requires `test` or test support (see [`cfg_requires_test`]).
pub fn attrs_are_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        // Doc comments are attributes too: compare without allocating.
        let path = attr.path();
        let Some(last) = path.segments.last() else {
            return false;
        };
        let id = &last.ident;
        if id == "cfg" {
            path.segments.len() == 1
                && attr
                    .meta
                    .require_list()
                    .map(|list| cfg_requires_test(&list.tokens))
                    .unwrap_or(false)
        } else {
            [
                "test",
                "bench",
                "rstest",
                "test_case",
                "quickcheck",
                "proptest",
            ]
            .iter()
            .any(|name| id == name)
        }
    })
}

/// Whether a cfg predicate holds only when building tests or test support:
/// `test`; `all(..)` containing such a predicate; `any(..)` of which every
/// alternative is one; a feature named for tests (`feature = "test-utils"`,
/// `"testing"`, `"mocks"`: test support other crates' tests enable, as in
/// `#[cfg(any(test, feature = "test-utils"))] pub mod test_utils;`).
fn cfg_requires_test(tokens: &proc_macro2::TokenStream) -> bool {
    let tokens: Vec<proc_macro2::TokenTree> = tokens.clone().into_iter().collect();
    predicate_is_test(&tokens)
}

fn predicate_is_test(tokens: &[proc_macro2::TokenTree]) -> bool {
    use proc_macro2::TokenTree as T;
    let parts = |g: &proc_macro2::Group| -> Vec<Vec<T>> {
        g.stream()
            .into_iter()
            .collect::<Vec<_>>()
            .split(|t| matches!(t, T::Punct(p) if p.as_char() == ','))
            .filter(|part| !part.is_empty())
            .map(<[T]>::to_vec)
            .collect()
    };
    match tokens {
        [T::Ident(id)] => id == "test",
        [T::Ident(id), T::Group(g)] if id == "all" => parts(g).iter().any(|p| predicate_is_test(p)),
        [T::Ident(id), T::Group(g)] if id == "any" => {
            let parts = parts(g);
            !parts.is_empty() && parts.iter().all(|p| predicate_is_test(p))
        }
        [T::Ident(id), T::Punct(eq), T::Literal(lit)] if id == "feature" && eq.as_char() == '=' => {
            let name = lit.to_string();
            name.trim_matches('"').split(['-', '_']).any(|w| {
                matches!(
                    w,
                    "test" | "tests" | "testing" | "testutils" | "testkit" | "mock" | "mocks"
                )
            })
        }
        _ => false,
    }
}

/// `path = ".."` inside `#[cfg_attr(pred, path = "..")]`, each one.
fn cfg_attr_paths(attrs: &[syn::Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg_attr"))
        .flat_map(|a| meta_cfg_attr_paths(&a.meta))
        .collect()
}

fn meta_cfg_attr_paths(meta: &syn::Meta) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(list) = meta.require_list() else {
        return out;
    };
    let Ok(metas) = list.parse_args_with(
        syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated,
    ) else {
        return out;
    };
    for meta in metas.iter().skip(1) {
        if let syn::Meta::NameValue(nv) = meta
            && nv.path.is_ident("path")
            && let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &nv.value
        {
            out.push(s.value());
        }
    }
    out
}

fn path_attr(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find_map(|attr| {
        if !attr.path().is_ident("path") {
            return None;
        }
        let nv = attr.meta.require_name_value().ok()?;
        match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn cfg_of_tests_and_test_support_is_test_code() {
        let is_test = |attr: syn::Attribute| attrs_are_test(&[attr]);
        assert!(is_test(syn::parse_quote!(#[cfg(test)])));
        assert!(is_test(syn::parse_quote!(#[cfg(all(test, unix))])));
        assert!(is_test(
            syn::parse_quote!(#[cfg(any(test, feature = "test-utils"))])
        ));
        assert!(is_test(syn::parse_quote!(#[cfg(feature = "testing")])));
        assert!(is_test(
            syn::parse_quote!(#[cfg(any(test, all(unix, test)))])
        ));
        assert!(!is_test(syn::parse_quote!(#[cfg(any(test, unix))])));
        assert!(!is_test(syn::parse_quote!(#[cfg(not(test))])));
        assert!(!is_test(syn::parse_quote!(#[cfg(feature = "attestation")])));
        assert!(!is_test(syn::parse_quote!(#[cfg(any())])));
        assert!(!is_test(syn::parse_quote!(#[cfg(test_x)])));
    }

    use std::sync::Mutex;

    use super::*;
    use crate::{Diagnostic, TargetKind};

    /// Records the name of every function item it is shown.
    struct Names {
        reads_tests: bool,
        seen: Mutex<Vec<String>>,
    }

    impl Rule for Names {
        fn meta(&self) -> &'static RuleMeta {
            crate::registry::driver("RG904")
        }
        fn reads_test_code(&self) -> bool {
            self.reads_tests
        }
        fn check_item(&self, _cx: &Ctx<'_>, item: &syn::Item, _out: &mut Out) {
            if let syn::Item::Fn(f) = item {
                self.seen.lock().unwrap().push(f.sig.ident.to_string());
            }
        }
        fn check_impl_item(&self, _cx: &Ctx<'_>, item: &syn::ImplItem, _out: &mut Out) {
            if let syn::ImplItem::Fn(f) = item {
                self.seen.lock().unwrap().push(f.sig.ident.to_string());
            }
        }
        fn check_crate(&self, _: &crate::CrateIndex, _: &mut Vec<Diagnostic>) {}
    }

    const SRC: &str = "
fn a() {}
impl S {
    fn b() {}
    #[cfg(test)]
    fn c() {}
}
#[cfg(test)]
mod tests {
    mod helpers;
    #[test]
    fn d() {}
}
";

    fn walk(src: &str, kind: TargetKind, reads: &[bool]) -> (Vec<Vec<String>>, Vec<String>) {
        let file = FileInfo {
            path: "src/lib.rs".into(),
            package: None,
            kind,
            business_logic: true,
            generated: false,
        };
        let ast = syn::parse_file(src).unwrap();
        let rules: Vec<Names> = reads
            .iter()
            .map(|&reads_tests| Names {
                reads_tests,
                seen: Mutex::new(Vec::new()),
            })
            .collect();
        let dyns: Vec<&dyn Rule> = rules.iter().map(|r| r as &dyn Rule).collect();
        let out = check_file(&file, &Settings::default(), src, &ast, &dyns);
        let mods = out
            .facts
            .mods
            .iter()
            .map(|m| format!("{}::{}", m.inline_parents.join("::"), m.name))
            .collect();
        let seen = rules
            .into_iter()
            .map(|r| r.seen.into_inner().unwrap())
            .collect();
        (seen, mods)
    }

    #[test]
    fn test_code_is_walked_only_for_rules_that_read_it() {
        let (seen, mods) = walk(SRC, TargetKind::Lib, &[false]);
        assert_eq!(seen, [["a", "b"]]);
        assert_eq!(mods, ["tests::helpers"], "mod declarations of skipped code");

        // One rule that reads test code: everyone sees everything.
        let (seen, mods) = walk(SRC, TargetKind::Lib, &[false, true]);
        assert_eq!(seen, [["a", "b", "c", "d"], ["a", "b", "c", "d"]]);
        assert_eq!(mods, ["tests::helpers"]);

        // Suppression comments need the lines of every node.
        let with_comment = format!("// rustgate: allow(RG101)\n{SRC}");
        let (seen, _) = walk(&with_comment, TargetKind::Lib, &[false]);
        assert_eq!(seen, [["a", "b", "c", "d"]]);

        // A test target is test code throughout.
        let (seen, mods) = walk(SRC, TargetKind::Test, &[false]);
        assert_eq!(seen, [Vec::<String>::new()]);
        assert_eq!(mods, ["tests::helpers"]);
    }

    /// Every rule's construct inside macro arguments, and macro bodies with
    /// none; test code that imports a web framework and defines methods that
    /// production code calls: the shortcuts must not change any finding or
    /// fact.
    const MACROS: &str = r#"
use sqlx::PgPool;
use anyhow::Result;

#[derive(Debug)]
pub enum AppError { NotFound, Db }

#[axum::debug_handler]
pub async fn handler(pool: &PgPool, id: &str, v: Vec<u8>, p: *const u8) -> Result<()> {
    println!("{}", id.parse::<u32>().unwrap());
    tracing::info!("{}", v[0]);
    let x = vec![unsafe { *p }, 2, 3];
    assert!(match x.len() { 3 => true, _ => false });
    let e = format!("{:?}", std::fs::read("f").map_err(|_| AppError::Db));
    write!(out, "{}", inner!(helper(id)));
    debug_assert_eq!(id.len(), 3, "{}", compute());
    let q = format!("SELECT * FROM t WHERE id = '{}'", id);
    sqlx::query(&q).fetch_one(pool).await?;
    let table = vec![(1, 2), (3, 4)];
    let data = [1, 2, 3];
    println!("{} {} {:?} {:?}", id, e, table, data);
    panic!("{}", x.get(7).expect("seven"));
    Ok(())
}

fn helper(s: &str) -> u32 { s.len() as u32 }
fn compute() -> u32 { todo!() }

pub fn matches(e: AppError) -> u8 {
    let r = format!("{}", match e { AppError::NotFound => 1, _ => 2 });
    r.len() as u8
}

pub fn loads(a: &A, b: &B, c: &C) { a.load(); b.load(); c.load(); }
impl A { fn load(&self) { None::<u8>.unwrap(); } }
impl B { fn load(&self) {} }
impl C { fn load(&self) {} }
fn routes() { let _a = App::new().service(web::resource("/").to(index)); }
async fn index() -> String { std::env::var("X").unwrap() }

#[cfg(test)]
mod tests {
    use actix_web::test;
    use super::*;
    struct M;
    impl M { fn load(&self) { panic!() } }
    #[test]
    fn t() { helper("1").to_string(); assert_eq!(vec![1][0], 1); }
}
"#;

    #[test]
    fn shortcuts_change_no_result() {
        let all = crate::registry::with_requirements(crate::registry::rules());
        let file = FileInfo {
            path: "src/lib.rs".into(),
            package: None,
            kind: TargetKind::Lib,
            business_logic: true,
            generated: false,
        };
        let mut sources: Vec<(String, String)> = vec![("MACROS".into(), MACROS.into())];
        let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
        let mut dirs = vec![fixtures];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    sources.push((path.display().to_string(), text));
                }
            }
        }
        assert!(sources.len() > 50, "fixtures not found");
        let mut parsed_macros = 0;
        for (name, src) in &sources {
            let Ok(ast) = syn::parse_file(src) else {
                continue;
            };
            let run = |prefilter| {
                let out = check_file_with(&file, &Settings::default(), src, &ast, &all, prefilter);
                format!("{:?}\n{:?}", out.diagnostics, out.facts)
            };
            let (with, without) = (run(true), run(false));
            assert_eq!(with, without, "{name}");
            if name == "MACROS" {
                parsed_macros = with.matches("RG").count();
            }
        }
        // The inline source exercises the rules inside macros.
        assert!(
            parsed_macros >= 4,
            "too few findings in MACROS: {parsed_macros}"
        );
    }
}
