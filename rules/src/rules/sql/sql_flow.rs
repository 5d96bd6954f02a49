//! The local dataflow of RG401 (sql-concatenation): which strings of one
//! function body are built from runtime values, followed through locals in
//! statement order into the SQL sinks of [`super::sql_sinks`].

use std::collections::HashMap;

use syn::visit::{self, Visit};

use super::sql_facts::SqlFacts;
use super::sql_sinks::{self, Lib, PathMatch, Sink};
use crate::Span;
use crate::syntax::{last_segment, macro_args, path_segments};

/// A string built from a runtime value that reaches a sink.
pub(super) struct Hit {
    pub sink: &'static Sink,
    /// The sink call.
    pub span: Span,
    /// Where the runtime value entered the string.
    pub origin: Span,
    /// Empty when the string was built from a runtime value; otherwise the
    /// upper-case names it was built from, which this file does not define.
    pub unresolved: Vec<String>,
    /// The SQL text is a request extractor's value itself, not built: a
    /// finding only if the function is a request handler.
    pub request: bool,
}

/// What the dataflow knows about a value.
#[derive(Clone, Debug, Default)]
struct Val {
    /// Built from a runtime value: where that value entered the string.
    tainted: Option<Span>,
    /// Not a constant itself (a parameter, a call's result, ...).
    runtime: bool,
    /// Built from these upper-case names this file does not define (constants
    /// of another file, or not), with where they entered.
    unresolved: Vec<(String, Span)>,
    /// An upper-case name this file does not define, the value itself.
    unresolved_leaf: Option<String>,
    /// Literal text known to be part of the value, for the looks-like-SQL test.
    text: String,
    /// A local initialised with `QueryBuilder::new`.
    builder: bool,
    /// A runtime value whose type proves its text cannot carry SQL: a
    /// number, a `bool`, a `Uuid` (or a collection or `Option` of them).
    numeric: bool,
    /// Comes from a request extractor parameter (`Query<T>`, `Json<T>`, ...)
    /// declared here.
    request: Option<Span>,
}

impl Val {
    fn constant(text: impl Into<String>) -> Val {
        Val {
            text: text.into(),
            ..Val::default()
        }
    }

    fn runtime() -> Val {
        Val {
            runtime: true,
            ..Val::default()
        }
    }

    /// A runtime value that cannot carry SQL (see [`Val::numeric`]).
    fn number() -> Val {
        Val {
            runtime: true,
            numeric: true,
            ..Val::default()
        }
    }

    /// A constant, or a runtime value that cannot carry SQL.
    fn is_safe(&self) -> bool {
        self.tainted.is_none()
            && self.unresolved.is_empty()
            && self.unresolved_leaf.is_none()
            && (!self.runtime || self.numeric)
    }

    /// Either value (branches, weak updates).
    fn union(mut self, other: Val) -> Val {
        let numeric = self.runtime | other.runtime
            && (self.numeric || !self.runtime)
            && (other.numeric || !other.runtime);
        self.numeric = numeric;
        self.request = self.request.or(other.request);
        self.tainted = self.tainted.or(other.tainted);
        self.runtime |= other.runtime;
        extend_unresolved(&mut self.unresolved, other.unresolved);
        self.unresolved_leaf = self.unresolved_leaf.or(other.unresolved_leaf);
        push_text(&mut self.text, " ");
        push_text(&mut self.text, &other.text);
        self.builder |= other.builder;
        self
    }
}

/// Enough text for the looks-like-SQL test. Values built in loops and
/// branches are unions of unions: without a bound their text (and the list
/// of unresolved names) doubles with every `+=` in a branch.
const MAX_TEXT: usize = 4096;
const MAX_UNRESOLVED: usize = 64;

fn push_text(text: &mut String, more: &str) {
    let room = MAX_TEXT.saturating_sub(text.len());
    if more.len() <= room {
        text.push_str(more);
    } else {
        let cut = (0..=room)
            .rev()
            .find(|&i| more.is_char_boundary(i))
            .unwrap_or(0);
        text.push_str(&more[..cut]);
    }
}

fn extend_unresolved(list: &mut Vec<(String, Span)>, more: Vec<(String, Span)>) {
    for item in more {
        if list.len() >= MAX_UNRESOLVED {
            break;
        }
        if !list.iter().any(|(n, _)| *n == item.0) {
            list.push(item);
        }
    }
}

/// Where a part enters a string. A node's span is computed only when the
/// part taints the string: `Span::of` prints the node to tokens, too costly
/// for every operand of every `+` in a crate.
#[derive(Clone, Copy)]
enum Entry<'e> {
    Node(&'e dyn syn::spanned::Spanned),
    At(Span),
    /// The `k`-th placeholder (`{name}`, 0-based) of a format string.
    Placeholder(&'e syn::LitStr, usize),
}

impl Entry<'_> {
    fn span(self) -> Span {
        match self {
            Entry::Node(node) => Span::from(node.span()),
            Entry::At(span) => span,
            Entry::Placeholder(lit, k) => placeholder_span(lit, k),
        }
    }
}

/// The span of the `k`-th placeholder of a format string literal, from `{`
/// through `}`; the literal's span when it cannot be found. Braces are
/// matched in the literal's source text, where `{{` and `}}` are escapes as
/// in its value.
fn placeholder_span(lit: &syn::LitStr, k: usize) -> Span {
    let whole = Span::of(lit);
    let raw = lit.token().to_string();
    let bytes = raw.as_bytes();
    let (mut i, mut seen) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'}' if bytes.get(i + 1) == Some(&bytes[i]) => i += 2,
            b'{' => {
                if seen == k {
                    let Some(len) = raw[i..].find('}') else {
                        return whole;
                    };
                    let at = |off: usize| {
                        let before = &raw[..off];
                        match before.rfind('\n') {
                            None => crate::LineCol {
                                line: whole.start.line,
                                column: whole.start.column + before.chars().count() as u32,
                            },
                            Some(nl) => crate::LineCol {
                                line: whole.start.line + before.matches('\n').count() as u32,
                                column: before[nl + 1..].chars().count() as u32 + 1,
                            },
                        }
                    };
                    return Span {
                        start: at(i),
                        end: at(i + len + 1),
                    };
                }
                seen += 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    whole
}

/// A string built from `parts`, each with where it enters the string.
fn build<'e>(parts: impl IntoIterator<Item = (Val, Entry<'e>)>) -> Val {
    let mut out = Val::default();
    for (part, entry) in parts {
        if out.tainted.is_none() {
            out.tainted = part
                .tainted
                .or((part.runtime && !part.numeric).then(|| entry.span()));
        }
        extend_unresolved(&mut out.unresolved, part.unresolved);
        if let Some(name) = part.unresolved_leaf {
            extend_unresolved(&mut out.unresolved, vec![(name, entry.span())]);
        }
        push_text(&mut out.text, &part.text);
    }
    out
}

/// The per-function dataflow: scopes of locals, visited in statement order.
pub(super) struct Flow<'a> {
    facts: &'a SqlFacts,
    scopes: Vec<HashMap<String, Val>>,
    /// The value of each block's tail expression, by the block's address,
    /// taken before its locals go out of scope.
    tails: HashMap<usize, Val>,
    /// What reached a sink, in visiting order.
    pub(super) hits: Vec<Hit>,
    /// Closure parameters bound while evaluating a closure's body
    /// (`.map(|i| format!("${i}"))`), innermost last.
    overlay: std::cell::RefCell<Vec<(String, Val)>>,
    /// `[sql-concatenation] report-numbers`: numbers taint like any value.
    report_numbers: bool,
}

impl<'a> Flow<'a> {
    /// A flow over a body of a file with `facts`.
    pub(super) fn new(facts: &'a SqlFacts, report_numbers: bool) -> Self {
        Flow {
            facts,
            scopes: vec![HashMap::new()],
            tails: HashMap::new(),
            hits: Vec::new(),
            overlay: std::cell::RefCell::new(Vec::new()),
            report_numbers,
        }
    }

    fn lookup(&self, name: &str) -> Option<Val> {
        if let Some((_, v)) = self.overlay.borrow().iter().rev().find(|(n, _)| n == name) {
            return Some(v.clone());
        }
        self.scopes.iter().rev().find_map(|s| s.get(name)).cloned()
    }

    /// A runtime value that cannot carry SQL, unless numbers are reported.
    fn number(&self) -> Val {
        if self.report_numbers {
            Val::runtime()
        } else {
            Val::number()
        }
    }

    /// A value whose type is `ty`: a number when the type says so.
    fn typed(&self, ty: &syn::Type) -> Val {
        if is_numeric_type(ty) {
            self.number()
        } else {
            Val::runtime()
        }
    }

    /// Binds the names of a typed pattern (`id: i64`, `Path(id): Path<i64>`);
    /// a request extractor's (`Query<T>`, `Path<String>`, `Json<T>`,
    /// `Form<T>`) are request input unless numeric.
    pub(super) fn bind_typed(&mut self, pat: &syn::Pat, ty: &syn::Type) {
        let mut val = self.typed(ty);
        if !val.numeric && is_extractor_type(ty) {
            val.request = Some(Span::of(pat));
        }
        let mut names = PatNames(Vec::new());
        names.visit_pat(pat);
        for name in names.0 {
            self.bind(name, val.clone());
        }
    }

    /// Binds the names of a pattern as constants.
    pub(super) fn bind_constant(&mut self, pat: &syn::Pat) {
        let mut names = PatNames(Vec::new());
        names.visit_pat(pat);
        for name in names.0 {
            self.bind(name, Val::constant(""));
        }
    }

    /// Binds a pattern matched against a value: `x`, `Some(x)`, `Ok(x)`,
    /// `(x)` take the value's safety (a number stays a number); every other
    /// binding is a runtime value.
    fn bind_matched(&mut self, pat: &syn::Pat, val: &Val) {
        let inner = match pat {
            syn::Pat::TupleStruct(t)
                if t.elems.len() == 1
                    && t.path
                        .segments
                        .last()
                        .is_some_and(|s| s.ident == "Some" || s.ident == "Ok") =>
            {
                t.elems.first()
            }
            other => Some(other),
        };
        match inner.and_then(pat_ident) {
            Some(name) if val.numeric && val.is_safe() => self.bind(name, val.clone()),
            _ => self.bind_opaque(pat),
        }
    }

    fn bind(&mut self, name: String, val: Val) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(name, val);
        }
    }

    pub(super) fn bind_opaque(&mut self, pat: &syn::Pat) {
        let mut names = PatNames(Vec::new());
        names.visit_pat(pat);
        for name in names.0 {
            self.bind(name, Val::runtime());
        }
    }

    /// Assigns a local: a strong update in the scope that declared it, a
    /// weak one (either value) from a nested, possibly conditional, scope.
    fn assign(&mut self, name: &str, val: Val) {
        let top = self.scopes.len() - 1;
        if let Some((i, scope)) = self
            .scopes
            .iter_mut()
            .enumerate()
            .rev()
            .find(|(_, s)| s.contains_key(name))
            && let Some(old) = scope.get_mut(name)
        {
            *old = if i == top {
                val
            } else {
                std::mem::take(old).union(val)
            };
        }
    }

    /// The value of an expression, without side effects.
    fn eval(&self, expr: &syn::Expr) -> Val {
        use syn::Expr;
        match expr {
            Expr::Lit(lit) => Val::constant(lit_text(&lit.lit)),
            Expr::Path(p) if p.qself.is_none() => self.eval_path(&p.path),
            Expr::Reference(r) => self.eval(&r.expr),
            Expr::Paren(p) => self.eval(&p.expr),
            Expr::Group(g) => self.eval(&g.expr),
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => self.eval(&u.expr),
            Expr::Unary(u) => self.arith([&*u.expr]),
            Expr::Cast(c) if is_numeric_type(&c.ty) => self.number(),
            Expr::Cast(c) => self.eval(&c.expr),
            Expr::Range(r) => {
                let ends: Vec<&syn::Expr> =
                    r.start.iter().chain(r.end.iter()).map(|e| &**e).collect();
                self.arith(ends)
            }
            Expr::Binary(b) if is_comparison(&b.op) => self.number(),
            Expr::Binary(b) if !matches!(b.op, syn::BinOp::Add(_)) => {
                self.arith([&*b.left, &*b.right])
            }
            Expr::Try(t) => self.eval(&t.expr),
            Expr::Await(a) => self.eval(&a.base),
            Expr::Index(i) => self.eval(&i.expr),
            // A field of a constant is a constant; of a number, a number.
            Expr::Field(f) => self.eval(&f.base),
            Expr::Binary(b) if matches!(b.op, syn::BinOp::Add(_)) => build([
                (self.eval(&b.left), Entry::Node(&b.left)),
                (self.eval(&b.right), Entry::Node(&b.right)),
            ]),
            Expr::Macro(m) => self.eval_macro(&m.mac),
            Expr::Call(c) => self.eval_call(c),
            Expr::MethodCall(m) => self.eval_method(m),
            Expr::Block(b) => self.tail(&b.block),
            Expr::Unsafe(b) => self.tail(&b.block),
            Expr::If(i) => {
                let then = self.tail(&i.then_branch);
                match &i.else_branch {
                    Some((_, e)) => then.union(self.eval(e)),
                    None => then,
                }
            }
            Expr::Match(m) => {
                // In an arm whose pattern is literals only, a local
                // scrutinee equals one of them: a constant there.
                let scrutinee = checked_local(&m.expr);
                m.arms
                    .iter()
                    .map(|arm| match &scrutinee {
                        Some(name) if is_literal_pattern(&arm.pat) => {
                            self.overlay
                                .borrow_mut()
                                .push((name.clone(), Val::constant("")));
                            let val = self.eval(&arm.body);
                            self.overlay.borrow_mut().pop();
                            val
                        }
                        _ => self.eval(&arm.body),
                    })
                    .reduce(Val::union)
                    .unwrap_or_default()
            }
            // Diverging: contributes no value to a branch.
            Expr::Return(_) | Expr::Break(_) | Expr::Continue(_) => Val::constant(""),
            _ => Val::runtime(),
        }
    }

    /// The value of a block: its tail as the walk saw it, or for a block
    /// the walk did not see (one re-parsed from a macro's arguments) that is
    /// only a tail expression, that expression.
    fn tail(&self, block: &syn::Block) -> Val {
        if let Some(val) = self.tails.get(&block_key(block)) {
            return val.clone();
        }
        match block.stmts.as_slice() {
            [syn::Stmt::Expr(tail, None)] => self.eval(tail),
            _ => Val::runtime(),
        }
    }

    /// Arithmetic (or a range) on `operands`: a number when each operand is
    /// a number or a constant, else a runtime value.
    fn arith<'e>(&self, operands: impl IntoIterator<Item = &'e syn::Expr>) -> Val {
        let mut any_runtime = false;
        for e in operands {
            let v = self.eval(e);
            if !v.is_safe() {
                return Val::runtime();
            }
            any_runtime |= v.runtime;
        }
        if any_runtime {
            self.number()
        } else {
            Val::constant("")
        }
    }

    fn eval_path(&self, path: &syn::Path) -> Val {
        if let Some(ident) = path.get_ident()
            && let Some(val) = self.lookup(&ident.to_string())
        {
            return val;
        }
        self.eval_name(
            path.segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default(),
        )
    }

    /// A name that is not a local: a constant of this file, maybe one of
    /// another file (upper case), or a runtime value.
    fn eval_name(&self, name: String) -> Val {
        if let Some(local) = self.lookup(&name) {
            return local;
        }
        if let Some(text) = self.facts.consts.get(&name) {
            return Val::constant(text.clone());
        }
        if is_upper_case(&name) {
            return Val {
                unresolved_leaf: Some(name),
                ..Val::default()
            };
        }
        Val::runtime()
    }

    fn eval_call(&self, call: &syn::ExprCall) -> Val {
        let syn::Expr::Path(func) = &*call.func else {
            return Val::runtime();
        };
        let segs = path_segments(&func.path);
        let tail: Vec<&str> = segs.iter().rev().take(2).map(String::as_str).collect();
        match tail.as_slice() {
            ["new" | "with_capacity", "String" | "Vec"] => Val::constant(""),
            ["from" | "from_str", "String"] | ["to_string" | "to_owned", "str"] => call
                .args
                .first()
                .map_or_else(Val::runtime, |a| self.eval(a)),
            ["new" | "with_capacity", "QueryBuilder"] => Val {
                builder: true,
                ..Val::default()
            },
            // `iter::repeat("?")`: the elements are the argument.
            ["repeat", ..] | ["once", ..] => call
                .args
                .first()
                .map_or_else(Val::runtime, |a| self.eval(a)),
            ["Some" | "Ok", ..] => call
                .args
                .first()
                .map_or_else(Val::runtime, |a| self.eval(a)),
            _ => Val::runtime(),
        }
    }

    fn eval_method(&self, m: &syn::ExprMethodCall) -> Val {
        match m.method.to_string().as_str() {
            "as_str" | "as_ref" | "borrow" | "deref" | "to_string" | "to_owned" | "clone"
            | "into" | "trim" | "to_lowercase" | "to_uppercase" => self.eval(&m.receiver),
            // Methods whose result is a number whatever the receiver.
            "len" | "count" | "as_millis" | "as_micros" | "as_nanos" | "as_secs"
            | "as_secs_f32" | "as_secs_f64" | "subsec_millis" | "subsec_micros"
            | "subsec_nanos" | "is_empty" | "is_some" | "is_none" | "is_ok" | "is_err"
            | "contains" | "starts_with" | "ends_with" | "timestamp" | "timestamp_millis" => {
                self.number()
            }
            "parse" => match m.turbofish.as_ref().and_then(|t| t.args.first()) {
                Some(syn::GenericArgument::Type(ty)) => self.typed(ty),
                _ => Val::runtime(),
            },
            // Iterator plumbing and unwrapping: the value of the elements
            // (or of the inside) is the receiver's.
            "iter" | "into_iter" | "iter_mut" | "cloned" | "copied" | "rev" | "take" | "skip"
            | "step_by" | "collect" | "unwrap" | "expect" | "unwrap_or_default" | "repeat"
            | "filter" | "peekable" | "fuse" => self.eval(&m.receiver),
            "unwrap_or" | "max" | "min" | "pow" | "abs" => {
                let mut val = self.eval(&m.receiver);
                for arg in &m.args {
                    val = val.union(self.eval(arg));
                }
                val
            }
            "map" | "flat_map" | "filter_map" => self.eval_map(m),
            "enumerate" => {
                // `(index, element)`: the index is a number; the pair is as
                // safe as the element.
                self.eval(&m.receiver)
            }
            name @ ("join" | "concat") => {
                let sep = match (name, m.args.first()) {
                    ("join", Some(sep)) => self.eval(sep).text,
                    _ => String::new(),
                };
                let mut val = match &*m.receiver {
                    syn::Expr::Array(a) => {
                        build(a.elems.iter().map(|e| (self.eval(e), Entry::Node(e))))
                    }
                    syn::Expr::Macro(mac)
                        if last_segment(&mac.mac.path).as_deref() == Some("vec") =>
                    {
                        let args = macro_args(&mac.mac).unwrap_or_default();
                        build(args.iter().map(|e| (self.eval(e), Entry::Node(e))))
                    }
                    other => build([(self.eval(other), Entry::Node(other))]),
                };
                push_text(&mut val.text, &sep);
                val
            }
            _ => Val::runtime(),
        }
    }

    /// `.map(|x| body)`: the body evaluated with `x` bound to the value of
    /// the receiver's elements. A closure of another shape, or a function
    /// passed by name, gives a runtime value.
    fn eval_map(&self, m: &syn::ExprMethodCall) -> Val {
        let Some(syn::Expr::Closure(c)) = m.args.first() else {
            return Val::runtime();
        };
        let elem = self.eval(&m.receiver);
        let mut bound = 0;
        if let Some(input) = c.inputs.first() {
            let mut names = PatNames(Vec::new());
            names.visit_pat(input);
            // `|x|` takes the element; `|(i, x)|` after `enumerate` binds the
            // index (a number) and the element.
            let single = pat_ident(input).is_some();
            let mut overlay = self.overlay.borrow_mut();
            for (i, name) in names.0.into_iter().enumerate() {
                let val = if single || i > 0 {
                    elem.clone()
                } else {
                    self.number()
                };
                overlay.push((name, val));
                bound += 1;
            }
        }
        let body = match &*c.body {
            syn::Expr::Block(b) => match b.block.stmts.as_slice() {
                [syn::Stmt::Expr(tail, None)] => self.eval(tail),
                _ => Val::runtime(),
            },
            other => self.eval(other),
        };
        let mut overlay = self.overlay.borrow_mut();
        let keep = overlay.len() - bound;
        overlay.truncate(keep);
        body
    }

    fn eval_macro(&self, mac: &syn::Macro) -> Val {
        let name = last_segment(&mac.path);
        if is_diverging_macro(name.as_deref()) {
            return Val::constant("");
        }
        if let Some("include_str" | "include_bytes" | "env" | "option_env") = name.as_deref() {
            // The text is the file's (or the build environment's): a constant
            // of unknown text. Not parsed as a list: `include_str!` takes one
            // literal.
            return Val::constant("");
        }
        let args = macro_args(mac).unwrap_or_default();
        let args: Vec<&syn::Expr> = args.iter().collect();
        match name.as_deref() {
            Some("format" | "format_args") => self.eval_format(&args),
            Some("vec") => build(args.iter().map(|a| (self.eval(a), Entry::Node(*a)))),
            Some("concat" | "stringify") => {
                Val::constant(args.iter().map(|a| self.eval(a).text).collect::<String>())
            }
            _ => Val::runtime(),
        }
    }

    /// `format!(fmt, args..)`: the format string's text with each placeholder
    /// replaced by its argument (positional, indexed, named or captured).
    fn eval_format(&self, args: &[&syn::Expr]) -> Val {
        let Some((first, rest)) = args.split_first() else {
            return Val::constant("");
        };
        let syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(fmt),
            ..
        }) = first
        else {
            // `format!(include_str!("q.sql"), ..)`, `format!(concat!(..), ..)`:
            // the format string is a constant of unknown text; every
            // argument counts (named ones by their value).
            return build(args.iter().map(|a| match a {
                syn::Expr::Assign(assign) => {
                    (self.eval(&assign.right), Entry::Node(&*assign.right))
                }
                other => (self.eval(other), Entry::Node(*other)),
            }));
        };
        let fmt_span = Span::of(fmt);
        let mut positional = Vec::new();
        let mut named = HashMap::new();
        for arg in rest {
            match arg {
                syn::Expr::Assign(a) => {
                    if let syn::Expr::Path(p) = &*a.left
                        && let Some(id) = p.path.get_ident()
                    {
                        named.insert(id.to_string(), &*a.right);
                    }
                }
                other => positional.push(*other),
            }
        }
        let mut parts: Vec<(Val, Entry<'_>)> = Vec::new();
        let mut literal = String::new();
        let mut next = 0;
        let mut placeholder = 0;
        let value = fmt.value();
        let mut chars = value.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let spec: String = chars.by_ref().take_while(|c| *c != '}').collect();
                    let key = spec.split(':').next().unwrap_or("").trim();
                    parts.push((
                        Val::constant(std::mem::take(&mut literal)),
                        Entry::At(fmt_span),
                    ));
                    let arg = if key.is_empty() {
                        next += 1;
                        positional.get(next - 1).copied()
                    } else if let Ok(i) = key.parse::<usize>() {
                        positional.get(i).copied()
                    } else {
                        named.get(key).copied()
                    };
                    match arg {
                        Some(arg) => parts.push((self.eval(arg), Entry::Node(arg))),
                        None if !key.is_empty() => parts.push((
                            self.eval_name(key.to_owned()),
                            Entry::Placeholder(fmt, placeholder),
                        )),
                        None => {}
                    }
                    placeholder += 1;
                }
                c => literal.push(c),
            }
        }
        parts.push((Val::constant(literal), Entry::At(fmt_span)));
        build(parts)
    }

    /// Records `val` reaching `sink` at `span` if it was built from a runtime
    /// value, or from names that may be constants of another file.
    fn reach(&mut self, sink: &'static Sink, name_only: bool, span: Span, val: &Val) {
        if name_only && !sql_sinks::looks_like_sql(&val.text) {
            return;
        }
        let (origin, unresolved) = match (val.tainted, val.unresolved.first()) {
            (Some(origin), _) => (origin, Vec::new()),
            (None, Some((_, entry))) => (
                *entry,
                val.unresolved.iter().map(|(n, _)| n.clone()).collect(),
            ),
            (None, None) => match val.request {
                Some(origin) if val.runtime && !val.numeric => {
                    self.hits.push(Hit {
                        sink,
                        span,
                        origin,
                        unresolved: Vec::new(),
                        request: true,
                    });
                    return;
                }
                _ => return,
            },
        };
        self.hits.push(Hit {
            sink,
            span,
            origin,
            unresolved,
            request: false,
        });
    }

    fn uses(&self, lib: Lib) -> bool {
        self.facts
            .crates
            .iter()
            .any(|c| lib.crates().contains(&c.as_str()))
    }

    fn call(&mut self, call: &syn::ExprCall) {
        let syn::Expr::Path(func) = &*call.func else {
            return;
        };
        let segs = path_segments(&func.path);
        let imports = &self.facts.imports;
        let Some((sink, how)) = sql_sinks::path_sink(&segs, &|n| imports.get(n).cloned()) else {
            return;
        };
        if let Some(arg) = call.args.iter().nth(sink.arg) {
            let val = self.eval(arg);
            let span = Span::join(
                Span::of(&*call.func),
                Span::from(call.paren_token.span.join()),
            );
            self.reach(sink, how == PathMatch::NameOnly, span, &val);
        }
    }

    fn method_call(&mut self, m: &syn::ExprMethodCall) {
        let name = m.method.to_string();
        let span = Span::join(Span::of(&m.method), Span::from(m.paren_token.span.join()));
        let arg = m.args.first();
        if name == "push"
            && let Some(root) = receiver_root(&m.receiver)
            && self.lookup(&root).is_some_and(|v| v.builder)
        {
            if let Some(arg) = arg {
                let val = build([(self.eval(arg), Entry::Node(arg))]);
                self.reach(sql_sinks::builder_push(), false, span, &val);
            }
            return;
        }
        if matches!(name.as_str(), "push_str" | "push")
            && let Some(root) = local_name(&m.receiver)
            && let Some(old) = self.lookup(&root)
            && let Some(arg) = arg
        {
            let val = build([(old, Entry::At(span)), (self.eval(arg), Entry::Node(m))]);
            self.assign(&root, val);
            return;
        }
        if let Some(sink) = sql_sinks::method_sink(&name, &|lib| self.uses(lib))
            && let Some(arg) = m.args.iter().nth(sink.arg)
        {
            let val = self.eval(arg);
            self.reach(sink, true, span, &val);
        }
    }
}

impl<'ast> Visit<'ast> for Flow<'_> {
    /// Nested items are functions of their own: the rule visits them separately.
    fn visit_item(&mut self, _: &'ast syn::Item) {}

    fn visit_block(&mut self, block: &'ast syn::Block) {
        self.scopes.push(HashMap::new());
        visit::visit_block(self, block);
        if let Some(syn::Stmt::Expr(tail, None)) = block.stmts.last() {
            let val = self.eval(tail);
            self.tails.insert(block_key(block), val);
        }
        self.scopes.pop();
    }

    fn visit_local(&mut self, local: &'ast syn::Local) {
        let val = match &local.init {
            Some(init) => {
                self.visit_expr(&init.expr);
                if let Some((_, diverge)) = &init.diverge {
                    self.visit_expr(diverge);
                }
                Some(self.eval(&init.expr))
            }
            None => None,
        };
        let typed = match &local.pat {
            syn::Pat::Type(t) if is_numeric_type(&t.ty) => Some(self.number()),
            _ => None,
        };
        match (pat_ident(&local.pat), typed.or(val)) {
            (Some(name), Some(val)) => self.bind(name, val),
            (Some(name), None) => self.bind(name, Val::default()),
            (None, _) => self.bind_opaque(&local.pat),
        }
    }

    fn visit_expr_closure(&mut self, closure: &'ast syn::ExprClosure) {
        self.scopes.push(HashMap::new());
        for input in &closure.inputs {
            self.bind_opaque(input);
        }
        self.visit_expr(&closure.body);
        self.scopes.pop();
    }

    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        self.visit_expr(&f.expr);
        self.scopes.push(HashMap::new());
        self.bind_opaque(&f.pat);
        self.visit_block(&f.body);
        self.scopes.pop();
    }

    fn visit_arm(&mut self, arm: &'ast syn::Arm) {
        self.scopes.push(HashMap::new());
        self.bind_opaque(&arm.pat);
        self.visit_expr(&arm.body);
        self.scopes.pop();
    }

    fn visit_expr_let(&mut self, l: &'ast syn::ExprLet) {
        self.visit_expr(&l.expr);
        let val = self.eval(&l.expr);
        self.bind_matched(&l.pat, &val);
    }

    fn visit_expr_if(&mut self, i: &'ast syn::ExprIf) {
        // `if let` bindings live in a scope around the condition and the
        // then-branch.
        self.scopes.push(HashMap::new());
        self.visit_expr(&i.cond);
        self.visit_block(&i.then_branch);
        self.scopes.pop();
        if let Some((_, e)) = &i.else_branch {
            self.visit_expr(e);
        } else if diverges(&i.then_branch)
            && let Some(name) = self.rejected_unless_in_set(&i.cond)
        {
            // `if !SET.contains(&v) { return .. }`: past it, `v` is one of
            // the set's constants.
            self.bind(name, Val::constant(""));
        }
    }

    fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
        visit::visit_expr_match(self, m);
        // `match v { "a" | "b" => .., _ => return .. }`: past it, `v` is one
        // of the literals.
        if let Some(name) = checked_local(&m.expr)
            && m.arms.iter().any(|a| !is_literal_pattern(&a.pat))
            && m.arms
                .iter()
                .all(|a| is_literal_pattern(&a.pat) || diverges_expr(&a.body))
        {
            self.bind(name, Val::constant(""));
        }
    }

    fn visit_expr(&mut self, expr: &'ast syn::Expr) {
        visit::visit_expr(self, expr);
        match expr {
            syn::Expr::Assign(a) => {
                if let Some(name) = local_name(&a.left) {
                    let val = self.eval(&a.right);
                    self.assign(&name, val);
                }
            }
            syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::AddAssign(_)) => {
                if let Some(name) = local_name(&b.left)
                    && let Some(old) = self.lookup(&name)
                {
                    let val = build([
                        (old, Entry::Node(&*b.left)),
                        (self.eval(&b.right), Entry::Node(&b.right)),
                    ]);
                    self.assign(&name, val);
                }
            }
            syn::Expr::Call(c) => self.call(c),
            syn::Expr::MethodCall(m) => self.method_call(m),
            _ => {}
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let Some(args) = macro_args(mac) else {
            return;
        };
        for arg in &args {
            self.visit_expr(arg);
        }
        if matches!(
            last_segment(&mac.path).as_deref(),
            Some("write" | "writeln")
        ) && let Some((target, rest)) = args.iter().collect::<Vec<_>>().split_first()
            && let Some(name) = local_name(target)
            && let Some(old) = self.lookup(&name)
        {
            let val = build([
                (old, Entry::Node(*target)),
                (self.eval_format(rest), Entry::Node(&mac.path)),
            ]);
            self.assign(&name, val);
        }
    }
}

impl Flow<'_> {
    /// The local that `cond` rejects unless it is in a fixed set:
    /// `!SET.contains(&v)`, `!["a", "b"].contains(&v.as_str())`,
    /// `!matches!(v, "a" | "b")`. A set is an array (or `&[..]`, `vec![..]`)
    /// of literals and constants, or a constant.
    fn rejected_unless_in_set(&self, cond: &syn::Expr) -> Option<String> {
        let syn::Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Not(_),
            expr,
            ..
        }) = cond
        else {
            return None;
        };
        match strip_parens(expr) {
            syn::Expr::MethodCall(m) if m.method == "contains" && m.args.len() == 1 => {
                let set_is_fixed = match strip_refs(&m.receiver) {
                    syn::Expr::Array(a) => a.elems.iter().all(|e| self.eval(e).is_safe()),
                    syn::Expr::Macro(mac)
                        if last_segment(&mac.mac.path).as_deref() == Some("vec") =>
                    {
                        macro_args(&mac.mac)
                            .is_some_and(|args| args.iter().all(|e| self.eval(e).is_safe()))
                    }
                    syn::Expr::Path(p) => p.path.segments.last().is_some_and(|s| {
                        let name = s.ident.to_string();
                        self.lookup(&name).is_none()
                            && (self.facts.consts.contains_key(&name) || is_upper_case(&name))
                    }),
                    _ => false,
                };
                if set_is_fixed {
                    m.args.first().and_then(checked_local)
                } else {
                    None
                }
            }
            syn::Expr::Macro(mac) if last_segment(&mac.mac.path).as_deref() == Some("matches") => {
                let args = macro_args(&mac.mac)?;
                let mut it = args.iter();
                let value = it.next()?;
                let pattern = it.next()?;
                (it.next().is_none() && is_literal_alternatives(pattern))
                    .then(|| checked_local(value))
                    .flatten()
            }
            _ => None,
        }
    }
}

/// The local a checked value names: `v`, `&v`, `v.as_str()`, `v.as_ref()`,
/// `v.as_deref()`, `*v`, `(v)`.
fn checked_local(expr: &syn::Expr) -> Option<String> {
    match expr {
        syn::Expr::MethodCall(m)
            if m.args.is_empty()
                && matches!(
                    m.method.to_string().as_str(),
                    "as_str" | "as_ref" | "as_deref" | "borrow" | "deref"
                ) =>
        {
            checked_local(&m.receiver)
        }
        syn::Expr::Reference(r) => checked_local(&r.expr),
        syn::Expr::Paren(p) => checked_local(&p.expr),
        other => local_name(other),
    }
}

fn strip_parens(expr: &syn::Expr) -> &syn::Expr {
    match expr {
        syn::Expr::Paren(p) => strip_parens(&p.expr),
        syn::Expr::Group(g) => strip_parens(&g.expr),
        other => other,
    }
}

fn strip_refs(expr: &syn::Expr) -> &syn::Expr {
    match expr {
        syn::Expr::Reference(r) => strip_refs(&r.expr),
        syn::Expr::Paren(p) => strip_refs(&p.expr),
        other => other,
    }
}

/// A pattern of literals only: `"asc"`, `"asc" | "desc"`, `1..=9`.
fn is_literal_pattern(pat: &syn::Pat) -> bool {
    match pat {
        syn::Pat::Lit(_) | syn::Pat::Range(_) => true,
        syn::Pat::Or(o) => o.cases.iter().all(is_literal_pattern),
        syn::Pat::Paren(p) => is_literal_pattern(&p.pat),
        _ => false,
    }
}

/// `"a" | "b"` parsed as an expression (a `matches!` pattern).
fn is_literal_alternatives(expr: &syn::Expr) -> bool {
    match expr {
        syn::Expr::Lit(_) => true,
        syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::BitOr(_)) => {
            is_literal_alternatives(&b.left) && is_literal_alternatives(&b.right)
        }
        syn::Expr::Paren(p) => is_literal_alternatives(&p.expr),
        _ => false,
    }
}

fn is_diverging_macro(name: Option<&str>) -> bool {
    matches!(
        name,
        Some("panic" | "unreachable" | "todo" | "unimplemented" | "bail")
    )
}

/// Whether evaluating `expr` never goes on: `return`, `break`, `continue`,
/// `panic!`-family and `bail!` macros, or a block ending in one.
fn diverges_expr(expr: &syn::Expr) -> bool {
    match expr {
        syn::Expr::Return(_) | syn::Expr::Break(_) | syn::Expr::Continue(_) => true,
        syn::Expr::Macro(m) => is_diverging_macro(last_segment(&m.mac.path).as_deref()),
        syn::Expr::Block(b) => diverges(&b.block),
        _ => false,
    }
}

/// A block whose last statement diverges.
fn diverges(block: &syn::Block) -> bool {
    match block.stmts.last() {
        Some(syn::Stmt::Expr(e, _)) => diverges_expr(e),
        Some(syn::Stmt::Macro(m)) => is_diverging_macro(last_segment(&m.mac.path).as_deref()),
        _ => false,
    }
}

fn block_key(block: &syn::Block) -> usize {
    std::ptr::from_ref(block) as usize
}

/// The local a place expression names: `q`, `&mut q`, `*q`, `(q)`.
fn local_name(expr: &syn::Expr) -> Option<String> {
    match expr {
        syn::Expr::Path(p) => p.path.get_ident().map(ToString::to_string),
        syn::Expr::Reference(r) => local_name(&r.expr),
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => local_name(&u.expr),
        syn::Expr::Paren(p) => local_name(&p.expr),
        _ => None,
    }
}

/// The local at the root of a method chain: `qb` in `qb.push("a").push(x)`.
fn receiver_root(expr: &syn::Expr) -> Option<String> {
    match expr {
        syn::Expr::MethodCall(m) => receiver_root(&m.receiver),
        other => local_name(other),
    }
}

/// The name a `let` binds when it binds exactly one: `q`, `mut q`, `q: String`.
fn pat_ident(pat: &syn::Pat) -> Option<String> {
    crate::syntax::bound_ident(pat).map(ToString::to_string)
}

/// `i64`, `&u32`, `Option<usize>`, `Vec<i64>`, `Uuid`, `bool`, `Path<i64>`,
/// `Query<u32>` ...: a type whose values print as digits (or `true`/`false`,
/// or a UUID's hex and dashes), never as SQL. The last segment of a path
/// decides; one generic wrapper (`Option`, `Vec`, `Path`, ...) and
/// references are looked through; tuples need every element numeric.
pub(super) fn is_numeric_type(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Reference(r) => is_numeric_type(&r.elem),
        syn::Type::Paren(p) => is_numeric_type(&p.elem),
        syn::Type::Group(g) => is_numeric_type(&g.elem),
        syn::Type::Slice(s) => is_numeric_type(&s.elem),
        syn::Type::Array(a) => is_numeric_type(&a.elem),
        syn::Type::Tuple(t) => !t.elems.is_empty() && t.elems.iter().all(is_numeric_type),
        syn::Type::Path(p) if p.qself.is_none() => {
            let Some(last) = p.path.segments.last() else {
                return false;
            };
            let name = last.ident.to_string();
            if matches!(
                name.as_str(),
                "i8" | "i16"
                    | "i32"
                    | "i64"
                    | "i128"
                    | "isize"
                    | "u8"
                    | "u16"
                    | "u32"
                    | "u64"
                    | "u128"
                    | "usize"
                    | "f32"
                    | "f64"
                    | "bool"
                    | "Uuid"
                    | "NonZeroU32"
                    | "NonZeroU64"
                    | "NonZeroUsize"
                    | "NonZeroI32"
                    | "NonZeroI64"
            ) {
                return true;
            }
            match &last.arguments {
                syn::PathArguments::AngleBracketed(a) if a.args.len() == 1 => {
                    match a.args.first() {
                        Some(syn::GenericArgument::Type(inner)) => is_numeric_type(inner),
                        _ => false,
                    }
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// A request extractor: `Query<T>`, `Path<T>`, `Json<T>`, `Form<T>` (any
/// path: `web::Query<T>`, `axum::extract::Path<T>`), with a generic argument.
fn is_extractor_type(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Reference(r) => is_extractor_type(&r.elem),
        syn::Type::Path(p) => p.path.segments.last().is_some_and(|s| {
            matches!(s.arguments, syn::PathArguments::AngleBracketed(_))
                && (s.ident == "Query"
                    || s.ident == "Path"
                    || s.ident == "Json"
                    || s.ident == "Form")
        }),
        _ => false,
    }
}

fn is_comparison(op: &syn::BinOp) -> bool {
    use syn::BinOp::*;
    matches!(
        op,
        Eq(_) | Lt(_) | Le(_) | Ne(_) | Ge(_) | Gt(_) | And(_) | Or(_)
    )
}

fn is_upper_case(name: &str) -> bool {
    name.len() > 1
        && name.chars().any(|c| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

pub(super) fn lit_text(lit: &syn::Lit) -> String {
    match lit {
        syn::Lit::Str(s) => s.value(),
        syn::Lit::Char(c) => c.value().to_string(),
        syn::Lit::Int(i) => i.base10_digits().to_owned(),
        syn::Lit::Float(f) => f.base10_digits().to_owned(),
        syn::Lit::Bool(b) => b.value.to_string(),
        _ => String::new(),
    }
}

/// Every identifier a pattern binds.
struct PatNames(Vec<String>);

impl<'ast> Visit<'ast> for PatNames {
    fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
        self.0.push(p.ident.to_string());
        visit::visit_pat_ident(self, p);
    }
}
