use std::collections::BTreeSet;

use syn::visit::Visit;

use super::sql_facts::{self, PendingSql};
use super::sql_flow::Flow;
use super::sql_sinks::{Form, Sink};
use crate::rules::panics::handlers;
use crate::{CrateIndex, Ctx, Diagnostic, Out, Rule, RuleMeta, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a SQL query string built from a runtime value that reaches a
    /// query call in the same function. The finding sits on the query call; a
    /// second label points at the interpolated expression where the runtime
    /// value entered the string: the `format!` argument, the `{name}`
    /// placeholder of a captured name, the operand of `+` or `push_str`.
    ///
    /// A string is built from a runtime value by `format!` / `format_args!`,
    /// `+` / `+=`, `push_str` / `push`, `write!` / `writeln!`, `concat()` /
    /// `join()` or `String::from(..) + ..`. The rule follows it through local
    /// variables, reassignment, shadowing, `&q`, `&*q`, `q.as_str()`,
    /// `.to_string()` and `.clone()`, in statement order, into the sinks below.
    /// Constants: literals, `concat!` of literals, `include_str!` /
    /// `include_bytes!` (and `format!(include_str!(..), ..)` is as constant as
    /// its arguments), `const` / `static` items of the same crate, and an
    /// `if` or `match` whose every branch is a constant (`if desc { "DESC" }
    /// else { "ASC" }`, also written inline as a `format!` argument); a branch
    /// that diverges (`return`, `break`, `continue`, `panic!`, `bail!`) adds
    /// nothing. Constants of the same file (at any depth, associated ones
    /// included) are known at once; an upper-case name the file does not
    /// define (`schema::USERS`) is looked up after the whole crate was read,
    /// among the `const` and `static` items of all its files.
    ///
    /// Numbers are not injection: a value whose type the syntax proves to be
    /// a number, a `bool` or a `Uuid` (their text is digits, `true`/`false`
    /// or hex and dashes) does not taint. That is: a parameter or `let` typed
    /// so (`id: i64`, `limit: &u32`, `Path(id): Path<i64>`, `Option<Uuid>`,
    /// `Vec<i64>`: one generic wrapper and references are looked through);
    /// an integer literal; `x as i64`; `.len()`, `.count()`, `.as_millis()`
    /// and the other `Duration::as_*`, `.timestamp()`; `.parse::<i64>()`;
    /// comparisons; arithmetic, negation and ranges on numbers and constants;
    /// `if let Some(u) = v` / `Ok(u)` when `v` is a number; closures mapped
    /// over a range or iterator (`(0..n).map(|i| format!("${}", i + 2))`,
    /// `.iter().map(|_| "?")`, `.enumerate()`'s index) followed by
    /// `collect` and `join`. A value of unknown type still taints: a
    /// "number" that is really a `String` is the classic injection.
    ///
    /// Checked against a fixed set: after a statement that rejects every
    /// other value, a local is a constant for the rest of its block:
    /// - `if !SET.contains(&v) { return .. }` (or `break`, `continue`,
    ///   `panic!`, `bail!`), where `SET` is an array, `&[..]` or `vec![..]` of
    ///   constants, or a `const` / `static`; `v` may be `v`, `&v`,
    ///   `v.as_str()`, `v.as_ref()` or `v.as_deref()`;
    /// - `if !matches!(v, "a" | "b") { return .. }`;
    /// - `match v { "a" | "b" => .., _ => return .. }`: every arm a pattern of
    ///   literals or diverging; inside a literal arm, `v` is a constant too
    ///   (`let col = match col { "id" | "name" => col, _ => return .. }`).
    ///
    /// A check with an `else`, one that does not diverge, or one in an inner
    /// block (it holds inside that block only) does not count.
    ///
    /// Request input as the query: in a request handler (a route attribute,
    /// or a function registered by name anywhere in the crate, as RG201
    /// recognises them), the value of a request extractor parameter
    /// (`Query<T>`, `Path<T>`, `Json<T>`, `Form<T>`, any path prefix, and
    /// their fields and destructured bindings) that reaches a function sink
    /// (`sqlx::query`, `sqlx::raw_sql`, `diesel::sql_query`, ...) as the SQL
    /// text itself is reported even without `format!` or `+` ("SQL text
    /// taken from request input"). A numeric extractor (`Path<i64>`) is not
    /// input that can carry SQL. Method sinks still need SQL-looking text,
    /// which request input has not. Built strings are reported in any
    /// function, handler or not.
    ///
    /// Constants through one call: a parameter of a private function (no
    /// `pub` of any kind; a free function or a method of an inherent impl) is
    /// a constant when every call of the function in its file passes a
    /// constant for it: a literal, a `const` / `static` (or an upper-case
    /// name), `concat!`, or a field of one (`purge(pool, ONE_DAY)` then
    /// `interval.0`). One call deep: a caller's own parameters are runtime
    /// values. Not applied when the function is named other than as a callee
    /// (`map(helper)`), when two private functions of the file share its
    /// name, or when the file declares an out-of-line module (a child module
    /// in another file could call it).
    ///
    /// Sinks (`.name` is a method on any receiver: since the receiver's type is
    /// unknown, the string must also look like SQL, with a keyword such as
    /// `SELECT`, `INSERT`, `UPDATE`, `DELETE`, `WITH`, `CREATE`, `DROP` or
    /// `ALTER` at its start or after whitespace; a bare `query(..)` not
    /// imported from sqlx likewise):
    /// - sqlx: `sqlx::query`, `sqlx::query_as`, `sqlx::query_scalar`, `sqlx::query_with`, `sqlx::query_as_with`, `sqlx::query_scalar_with`, `sqlx::raw_sql`, `QueryBuilder::new`, `QueryBuilder::push`, `.execute`, `.execute_many`, `.fetch`, `.fetch_all`, `.fetch_many`, `.fetch_one`, `.fetch_optional`
    /// - diesel: `diesel::sql_query`, `diesel::dsl::sql`
    /// - postgres / tokio_postgres: `.query`, `.query_one`, `.query_opt`, `.query_raw`, `.execute`, `.batch_execute`, `.simple_query`, `.prepare`
    /// - rusqlite: `.execute`, `.execute_batch`, `.prepare`, `.prepare_cached`, `.query_row`
    /// - mysql / mysql_async: `.query`, `.query_opt`, `.query_first`, `.query_first_opt`, `.query_iter`, `.query_drop`, `.query_fold`, `.query_fold_opt`, `.query_map`, `.query_map_opt`, `.query_stream`, `.prep`, `.exec`, `.exec_first`, `.exec_iter`, `.exec_drop`, `.exec_map`, `.exec_batch`
    /// - sea-orm: `Statement::from_string`
    ///
    /// `QueryBuilder::push` is a sink when its receiver is a local initialised
    /// with `QueryBuilder::new`; any runtime value pushed is reported. Method
    /// sinks apply to any receiver: connections, pools, transactions
    /// (`Executor::execute` / `fetch*` on a `&PgPool` or `&mut PgConnection`
    /// alike).
    ///
    /// Not followed: flows across functions (a helper that returns a built
    /// string, a parameter that receives one), struct fields, collections other
    /// than a local `Vec` filled with `push` and joined, closures with a block
    /// body in `map`, and constants of other crates (they count as runtime
    /// values). Not reported: `sqlx::query!` and
    /// the other checked macros, bind parameters, `push_bind`, SQL logged with
    /// `tracing` or `log`, test code.
    ///
    /// ## Why is this bad?
    /// A value spliced into SQL text is SQL injection as soon as it comes from
    /// a request: `' OR 1=1 --` in a name field reads every row, `'; DROP
    /// TABLE` loses them. Bind parameters send the value apart from the query,
    /// so it can never change the query's structure; the compile-time checked
    /// `sqlx::query!` macros force that.
    ///
    /// ## Example
    /// ```rust
    /// pub async fn find(pool: &PgPool, email: &str) -> sqlx::Result<User> {
    ///     let sql = format!("SELECT * FROM users WHERE email = '{email}'");
    ///     sqlx::query_as(&sql).fetch_one(pool).await
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```rust
    /// pub async fn find(pool: &PgPool, email: &str) -> sqlx::Result<User> {
    ///     sqlx::query_as("SELECT * FROM users WHERE email = $1")
    ///         .bind(email)
    ///         .fetch_one(pool)
    ///         .await
    /// }
    /// ```
    ///
    /// A table or column name cannot be a bind parameter: pick it from a fixed
    /// list (a `match` that yields a `const` or a literal) rather than
    /// interpolating the request's value.
    ///
    /// ## Options
    /// - `[sql-concatenation] report-numbers = true`: numbers taint like any
    ///   other value (default `false`).
    pub struct SqlConcatenation {
        code: "RG401",
        name: "sql-concatenation",
        severity: Error,
        summary: "SQL query built from a runtime value by string concatenation",
        tags: ["security", "external/cwe/cwe-089"],
        precision: "high",
        security_severity: "8.8",
    }
}

const LABEL: &str = "a runtime value enters the query string here";
const REQUEST_LABEL: &str = "request input enters here";
const REQUEST_HELP: &str = "never take SQL text from a request: pick the query from a fixed set and pass the request's values as bind parameters";
const PUSH_HELP: &str = "bind the value with `push_bind(value)` instead of `push`";

impl Rule for SqlConcatenation {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads_test_code(&self) -> bool {
        false
    }

    fn check_file(&self, cx: &Ctx<'_>, file: &syn::File, out: &mut Out) {
        sql_facts::collect(file, cx.source, &mut out.facts.sql);
    }

    fn check_item(&self, cx: &Ctx<'_>, item: &syn::Item, out: &mut Out) {
        if let syn::Item::Fn(f) = item {
            analyse(cx, &f.attrs, Some(&f.vis), &f.sig, &f.block, out);
        }
    }

    fn check_expr(&self, cx: &Ctx<'_>, expr: &syn::Expr, out: &mut Out) {
        if cx.in_test() {
            return;
        }
        // Handler registrations, for request-input findings.
        let method = match expr {
            syn::Expr::MethodCall(m)
                if [
                    "route",
                    "fallback",
                    "default_service",
                    "to",
                    "map",
                    "and_then",
                    "then",
                ]
                .iter()
                .any(|n| m.method == n) =>
            {
                Some(m.method.to_string())
            }
            syn::Expr::MethodCall(_) => return,
            syn::Expr::Call(_) => None,
            _ => return,
        };
        for found in handlers::registrations(expr, method.as_deref()) {
            if let handlers::HandlerExpr::Path(path) = found.handler
                && let Some(last) = path.segments.last()
            {
                out.facts.sql.registered.insert(last.ident.to_string());
            }
        }
    }

    fn check_impl_item(&self, cx: &Ctx<'_>, item: &syn::ImplItem, out: &mut Out) {
        if let syn::ImplItem::Fn(f) = item {
            // Methods of trait impls are reached through the trait.
            let inherent = cx.current_impl().is_some_and(|i| i.trait_.is_none());
            analyse(
                cx,
                &f.attrs,
                inherent.then_some(&f.vis),
                &f.sig,
                &f.block,
                out,
            );
        }
    }

    fn check_trait_item(&self, cx: &Ctx<'_>, item: &syn::TraitItem, out: &mut Out) {
        if let syn::TraitItem::Fn(f) = item
            && let Some(block) = &f.default
        {
            analyse(cx, &f.attrs, None, &f.sig, block, out);
        }
    }

    fn check_crate(&self, krate: &CrateIndex, out: &mut Vec<Diagnostic>) {
        let consts: BTreeSet<&str> = krate
            .files
            .iter()
            .flat_map(|f| f.facts.sql.consts.keys())
            .map(String::as_str)
            .collect();
        let registered: BTreeSet<&str> = krate
            .files
            .iter()
            .flat_map(|f| f.facts.sql.registered.iter())
            .map(String::as_str)
            .collect();
        for file in &krate.files {
            for pending in &file.facts.sql.pending {
                let report = match &pending.handler {
                    Some(name) => registered.contains(name.as_str()),
                    None => pending.names.iter().any(|n| !consts.contains(n.as_str())),
                };
                if report {
                    out.push(pending.diagnostic.clone());
                }
            }
        }
    }
}

/// Runs the dataflow over one function body and reports what reaches a sink.
fn analyse(
    cx: &Ctx<'_>,
    attrs: &[syn::Attribute],
    vis: Option<&syn::Visibility>,
    sig: &syn::Signature,
    block: &syn::Block,
    out: &mut Out,
) {
    if cx.in_test() || !out.facts.sql.analyse {
        return;
    }
    let mut flow = Flow::new(&out.facts.sql, cx.settings.sql_concatenation.report_numbers);
    // A private function whose every call passes a constant for a parameter.
    let constant = match vis {
        Some(syn::Visibility::Inherited) => {
            out.facts.sql.constant_params.get(&sig.ident.to_string())
        }
        _ => None,
    };
    let typed = sig.inputs.iter().filter_map(|input| match input {
        syn::FnArg::Typed(pt) => Some(pt),
        syn::FnArg::Receiver(_) => None,
    });
    for (i, pt) in typed.enumerate() {
        if constant.is_some_and(|c| c.get(i) == Some(&true)) {
            flow.bind_constant(&pt.pat);
        } else {
            flow.bind_typed(&pt.pat, &pt.ty);
        }
    }
    flow.visit_block(block);
    let mut handler = None;
    for hit in std::mem::take(&mut flow.hits) {
        if hit.request {
            let attr = handler
                .get_or_insert_with(|| handlers::handler_attribute(attrs, cx.settings).is_some());
            let diagnostic = cx
                .diagnostic(
                    &SqlConcatenation::META,
                    hit.span,
                    format!(
                        "SQL text taken from request input reaches `{}`",
                        sink_call(hit.sink)
                    ),
                )
                .with_label(&cx.file.path, hit.origin, REQUEST_LABEL)
                .with_help(REQUEST_HELP);
            if *attr {
                out.push(diagnostic);
            } else {
                out.facts.sql.pending.push(PendingSql {
                    diagnostic,
                    names: Vec::new(),
                    handler: Some(sig.ident.to_string()),
                });
            }
            continue;
        }
        let (message, help) = match hit.sink.form {
            Form::BuilderPush => (
                "runtime value pushed into a `QueryBuilder` as SQL text".to_owned(),
                PUSH_HELP,
            ),
            _ => (
                format!(
                    "SQL query built from a runtime value reaches `{}`",
                    sink_call(hit.sink)
                ),
                hit.sink.lib.help(),
            ),
        };
        let diagnostic = cx
            .diagnostic(&SqlConcatenation::META, hit.span, message)
            .with_label(&cx.file.path, hit.origin, LABEL)
            .with_help(help);
        if hit.unresolved.is_empty() {
            out.push(diagnostic);
        } else {
            out.facts.sql.pending.push(PendingSql {
                diagnostic,
                names: hit.unresolved,
                handler: None,
            });
        }
    }
}

/// How the message names a sink.
fn sink_call(sink: &Sink) -> String {
    match sink.form {
        Form::Method => sink.name.to_owned(),
        _ => sink.display(),
    }
}

#[cfg(test)]
mod tests;
