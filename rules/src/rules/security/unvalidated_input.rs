//! RG603 unvalidated-input.

use serde::{Deserialize, Serialize};
use syn::visit::Visit;

use crate::checker::Ctx;
use crate::diagnostic::{Diagnostic, Span};
use crate::facts::CrateIndex;
use crate::rule::{Rule, RuleMeta};
use crate::{Out, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports a request body or query that is never validated although its
    /// type asks to be: a function takes `Json<T>`, `Form<T>` or `Query<T>`
    /// (axum, actix-web's `web::Json`, ...) where `T` derives `Validate`
    /// (validator or garde, anywhere in the crate or in the workspace
    /// libraries it depends on), and its body never calls a validation:
    /// no `.validate()` / `.validate_with(..)` / `.validate_with_args(..)`
    /// call and no call of a function whose name starts with `validate`,
    /// nor a call of a function or method of the crate (or of the workspace
    /// libraries it depends on) whose own body calls one: a handler that
    /// hands the input to `step_x(data)` where `step_x` runs
    /// `data.validate()?` validates it, one call away (matched by name).
    ///
    /// Not reported: extractors that validate on the way in (`Valid<Json<T>>`,
    /// `ValidatedJson<T>`, `Garde<Json<T>>`, `WithRejection<Valid<..>>`:
    /// anything whose outer type is not `Json`, `Form` or `Query`), types
    /// that do not derive `Validate`, test code and examples.
    ///
    /// Maturity: preview (runs with `--preview`); see `bench/accuracy/` for
    /// its measurement on real services.
    ///
    /// ## Why is this bad?
    /// Deriving `Validate` writes the rules down (lengths, ranges, e-mail
    /// formats) but checks nothing: until `.validate()` runs, an empty name,
    /// a 10 MB string or a negative quantity goes straight into the database
    /// and the business logic.
    ///
    /// ## Example
    /// ```rust
    /// async fn create_user(Json(user): Json<NewUser>) -> impl IntoResponse {
    ///     db.insert(user).await
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```rust
    /// async fn create_user(Json(user): Json<NewUser>) -> Result<impl IntoResponse, ApiError> {
    ///     user.validate()?;
    ///     Ok(db.insert(user).await)
    /// }
    /// ```
    ///
    /// ## What it does not see
    /// Validation two or more calls away, or done in another crate, is not
    /// followed: such a handler is reported, suppress it with the reason. Types that validate by hand without
    /// deriving `Validate` are not checked.
    pub struct UnvalidatedInput {
        code: "RG603",
        name: "unvalidated-input",
        severity: Warning,
        summary: "request input whose type derives Validate is never validated",
        tags: ["security", "external/cwe/cwe-20"],
        precision: "medium",
        security_severity: "5.3",
        preview: true,
    }
}

/// What one file records for RG603's crate phase.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct InputFacts {
    /// Types of the file deriving `Validate`.
    pub validated: Vec<String>,
    /// Extracted inputs never validated in their function, reported if their
    /// type is among the crate's `validated`.
    pub pending: Vec<PendingInput>,
    /// Functions and methods of the file whose body calls a validation.
    pub validating: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PendingInput {
    pub ty: String,
    pub diagnostic: Diagnostic,
    /// The functions and methods the handler calls, by name: one of them
    /// among the crate's `validating` functions validates for it.
    pub calls: Vec<String>,
}

impl Rule for UnvalidatedInput {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn reads_test_code(&self) -> bool {
        false
    }

    fn check_item(&self, cx: &Ctx<'_>, item: &syn::Item, out: &mut Out) {
        if cx.in_test_or_example() {
            return;
        }
        match item {
            syn::Item::Struct(s) if crate::syntax::derives(&s.attrs, "Validate") => {
                out.facts.input.validated.push(s.ident.to_string());
            }
            syn::Item::Enum(e) if crate::syntax::derives(&e.attrs, "Validate") => {
                out.facts.input.validated.push(e.ident.to_string());
            }
            syn::Item::Fn(f) => inputs(cx, &f.sig, &f.block, out),
            _ => {}
        }
    }

    fn check_impl_item(&self, cx: &Ctx<'_>, item: &syn::ImplItem, out: &mut Out) {
        if cx.in_test_or_example() {
            return;
        }
        if let syn::ImplItem::Fn(f) = item {
            inputs(cx, &f.sig, &f.block, out);
        }
    }

    fn check_crate(&self, krate: &CrateIndex<'_>, out: &mut Vec<Diagnostic>) {
        let validated: std::collections::BTreeSet<&str> = krate
            .files
            .iter()
            .chain(krate.dependencies.iter().flat_map(|d| d.files.iter()))
            .flat_map(|f| f.facts.input.validated.iter())
            .map(String::as_str)
            .collect();
        if validated.is_empty() {
            return;
        }
        let validating: std::collections::BTreeSet<&str> = krate
            .files
            .iter()
            .chain(krate.dependencies.iter().flat_map(|d| d.files.iter()))
            .flat_map(|f| f.facts.input.validating.iter())
            .map(String::as_str)
            .collect();
        for file in &krate.files {
            for pending in &file.facts.input.pending {
                if validated.contains(pending.ty.as_str())
                    && !pending
                        .calls
                        .iter()
                        .any(|c| validating.contains(c.as_str()))
                {
                    out.push(pending.diagnostic.clone());
                }
            }
        }
    }
}

/// Records whether the function validates, and its `Json<T>`/`Form<T>`/
/// `Query<T>` parameters when its body calls no validation.
fn inputs(cx: &Ctx<'_>, sig: &syn::Signature, body: &syn::Block, out: &mut Out) {
    let mut v = Validates::default();
    v.visit_block(body);
    if v.validates {
        out.facts.input.validating.push(sig.ident.to_string());
        return;
    }
    for arg in &sig.inputs {
        let syn::FnArg::Typed(t) = arg else {
            continue;
        };
        let Some((wrapper, ty)) = extractor(&t.ty) else {
            continue;
        };
        let message = format!(
            "`{wrapper}<{ty}>` is used without validation: `{ty}` derives `Validate`, call `.validate()` before using it"
        );
        let diagnostic = cx
            .diagnostic(&UnvalidatedInput::META, Span::of(&*t.pat), message)
            .with_help("call `.validate()?` first, or extract with a validating extractor (`Valid<Json<T>>`, `ValidatedJson<T>`, `Garde<Json<T>>`)");
        out.facts.input.pending.push(PendingInput {
            ty,
            diagnostic,
            calls: v.calls.clone(),
        });
    }
}

/// `Json<T>`, `web::Json<T>`, `Form<T>`, `Query<T>`: the wrapper's name and
/// `T`'s last segment.
fn extractor(ty: &syn::Type) -> Option<(String, String)> {
    let syn::Type::Path(p) = ty else {
        return None;
    };
    let last = p.path.segments.last()?;
    let wrapper = last.ident.to_string();
    if !matches!(wrapper.as_str(), "Json" | "Form" | "Query") {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let inner = args.args.iter().find_map(|a| match a {
        syn::GenericArgument::Type(syn::Type::Path(t)) => t.path.segments.last(),
        _ => None,
    })?;
    Some((wrapper, inner.ident.to_string()))
}

/// Whether a body calls a validation (see the rule's doc), and the names of
/// the functions and methods it calls.
#[derive(Default)]
struct Validates {
    validates: bool,
    calls: Vec<String>,
}

impl Validates {
    fn called(&mut self, name: String) {
        if name.starts_with("validate") {
            self.validates = true;
        }
        if !self.calls.contains(&name) {
            self.calls.push(name);
        }
    }
}

impl<'ast> Visit<'ast> for Validates {
    fn visit_item(&mut self, _: &'ast syn::Item) {}

    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        self.called(m.method.to_string());
        syn::visit::visit_expr_method_call(self, m);
    }

    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if let syn::Expr::Path(p) = &*c.func
            && let Some(last) = p.path.segments.last()
        {
            self.called(last.ident.to_string());
        }
        syn::visit::visit_expr_call(self, c);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        // Calls inside macros (`?`-style and logging macros): any
        // `validate*` identifier in the tokens counts.
        if mac.path.segments.last().is_some_and(|s| s.ident.to_string().starts_with("validate"))
            || mac.tokens.clone().into_iter().any(|t| {
                matches!(t, proc_macro2::TokenTree::Ident(i) if i.to_string().starts_with("validate"))
            })
        {
            self.validates = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::assert_fixture;
    use crate::{Settings, TargetKind};

    const MODELS: &str = r#"
use validator::Validate;
#[derive(Debug, Deserialize, Validate)]
pub struct NewUser { #[validate(length(min = 1))] pub name: String }
#[derive(Deserialize, garde::Validate)]
pub struct Search { #[garde(length(max = 100))] pub q: String }
#[derive(Deserialize)]
pub struct Plain { pub id: i64 }
pub fn normalise(user: NewUser) -> NewUser { user }
"#;

    #[test]
    fn reports_inputs_whose_type_derives_validate_and_is_never_validated() {
        let handlers = r#"
async fn create(Json(user): Json<NewUser>) -> StatusCode { //~ RG603
    db.insert(normalise(user)).await;
    StatusCode::CREATED
}
async fn search(query: web::Query<models::Search>) -> HttpResponse { //~ RG603
    HttpResponse::Ok().json(find(&query.q))
}
impl Api {
    async fn form(&self, Form(user): Form<NewUser>) -> Html<String> { //~ RG603
        self.render(user)
    }
}
"#;
        assert_fixture(
            &[
                ("src/models.rs", TargetKind::Lib, MODELS),
                ("src/handlers.rs", TargetKind::Lib, handlers),
            ],
            &[&UnvalidatedInput],
            &Settings::default(),
        );
    }

    #[test]
    fn validated_inputs_validating_extractors_and_plain_types_are_not_reported() {
        let handlers = r#"
async fn create(Json(user): Json<NewUser>) -> Result<StatusCode, ApiError> {
    user.validate()?;
    Ok(StatusCode::CREATED)
}
async fn create2(Valid(Json(user)): Valid<Json<NewUser>>) -> StatusCode { StatusCode::OK }
async fn create3(ValidatedJson(user): ValidatedJson<NewUser>) -> StatusCode { StatusCode::OK }
async fn search(Query(s): Query<Search>) -> Result<String, ApiError> {
    validate_search(&s)?;
    Ok(s.q)
}
async fn search2(Query(s): Query<Search>) -> Result<String, ApiError> {
    s.validate(&()).map_err(bad_request)?;
    Ok(s.q)
}
async fn get(Json(p): Json<Plain>) -> String { p.id.to_string() }
async fn create4(user: web::Json<NewUser>) -> Result<HttpResponse, Error> {
    let saved = step(user.into_inner()).await?;
    Ok(HttpResponse::Ok().json(saved))
}
async fn step(user: NewUser) -> Result<NewUser, Error> {
    user.validate().map_err(ErrorBadRequest)?;
    Ok(user)
}
#[cfg(test)]
mod tests {
    async fn t(Json(user): Json<NewUser>) {}
}
"#;
        assert_fixture(
            &[
                ("src/models.rs", TargetKind::Lib, MODELS),
                ("src/handlers.rs", TargetKind::Lib, handlers),
            ],
            &[&UnvalidatedInput],
            &Settings::default(),
        );
    }
}
