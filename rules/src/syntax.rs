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

/// The last segment of a path as a string: `std::panic` -> `panic`.
pub fn last_segment(path: &syn::Path) -> Option<String> {
    path.segments.last().map(|s| s.ident.to_string())
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
