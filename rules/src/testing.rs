//! Support for fixture tests, shared by unit tests here and the driver's
//! integration tests: inline expectations and an in-memory crate runner.
//!
//! A fixture states its expectations in comments: `//~ RG101` expects a finding
//! of RG101 on the line of the comment, `//~^ RG101` on the line above (one
//! `^` per line up). Several codes may follow, comma-separated.

use crate::facts::{CrateContext, CrateIndex, FileFacts, FileInfo, TargetKind};
use crate::{Diagnostic, Rule, Settings, check_file};

/// The `(line, code)` pairs a fixture expects, sorted.
pub fn expectations(source: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    for (i, line) in source.lines().enumerate() {
        let Some(pos) = line.find("//~") else {
            continue;
        };
        let rest = &line[pos + 3..];
        let ups = rest.chars().take_while(|c| *c == '^').count();
        let codes = rest[ups..].trim();
        let target = (i + 1).saturating_sub(ups) as u32;
        for code in codes.split([',', ' ']).filter(|c| !c.is_empty()) {
            out.push((target, code.to_owned()));
        }
    }
    out.sort();
    out
}

/// Checks in-memory files as one crate with `rules` (all when empty) and
/// returns every diagnostic, sorted. The first file is the crate root.
pub fn check_sources(
    files: &[(&str, TargetKind, &str)],
    rules: &[&dyn Rule],
    settings: &Settings,
) -> Vec<Diagnostic> {
    check_sources_full(files, &[], rules, settings, &CrateContext::default())
}

/// [`check_sources`] for a crate whose place in the workspace is `context`
/// (what the driver fills in [`CrateIndex::context`]).
pub fn check_sources_in(
    files: &[(&str, TargetKind, &str)],
    rules: &[&dyn Rule],
    settings: &Settings,
    context: &CrateContext,
) -> Vec<Diagnostic> {
    check_sources_full(files, &[], rules, settings, context)
}

/// [`check_sources`], with the files at the paths in `generated` marked as
/// generated code ([`FileInfo::generated`]).
pub fn check_sources_marked(
    files: &[(&str, TargetKind, &str)],
    generated: &[&str],
    rules: &[&dyn Rule],
    settings: &Settings,
) -> Vec<Diagnostic> {
    check_sources_full(files, generated, rules, settings, &CrateContext::default())
}

/// [`check_sources`] with generated files and a crate context.
pub fn check_sources_full(
    files: &[(&str, TargetKind, &str)],
    generated: &[&str],
    rules: &[&dyn Rule],
    settings: &Settings,
    context: &CrateContext,
) -> Vec<Diagnostic> {
    let rules: Vec<&dyn Rule> = if rules.is_empty() {
        crate::registry::rules().to_vec()
    } else {
        rules.to_vec()
    };
    let rules = crate::registry::with_requirements(&rules);
    let mut diagnostics = Vec::new();
    let mut parsed: Vec<(FileInfo, FileFacts)> = Vec::new();
    for (path, kind, source) in files {
        let info = FileInfo {
            path: (*path).to_owned(),
            package: Some("fixture".to_owned()),
            kind: *kind,
            business_logic: kind.is_production(),
            generated: generated.contains(path),
        };
        let ast = match syn::parse_file(source) {
            Ok(ast) => ast,
            Err(e) => panic!("fixture {path} does not parse: {e}"),
        };
        let out = check_file(&info, settings, source, &ast, &rules);
        assert!(
            out.rule_panics.is_empty(),
            "rule panicked: {:?}",
            out.rule_panics
        );
        diagnostics.extend(out.diagnostics);
        parsed.push((info, out.facts));
    }
    let root = files.first().map(|f| f.0);
    let kind = files.first().map_or(TargetKind::Lib, |f| f.1);
    let members = parsed.iter().map(|(i, f)| (i, f)).collect();
    let mut index = CrateIndex::build("fixture".into(), kind, root, members, settings);
    index.context = context.clone();
    for rule in &rules {
        rule.check_crate(&index, &mut diagnostics);
    }
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diagnostics
}

/// Checks in-memory files and asserts that the findings are exactly the
/// `//~` expectations of all files (missing and extra findings both fail).
pub fn assert_fixture(
    files: &[(&str, TargetKind, &str)],
    rules: &[&dyn Rule],
    settings: &Settings,
) {
    assert_fixture_full(files, &[], rules, settings, &CrateContext::default());
}

/// [`assert_fixture`] for a crate whose place in the workspace is `context`.
pub fn assert_fixture_in(
    files: &[(&str, TargetKind, &str)],
    rules: &[&dyn Rule],
    settings: &Settings,
    context: &CrateContext,
) {
    assert_fixture_full(files, &[], rules, settings, context);
}

/// [`assert_fixture`], with the files at the paths in `generated` marked as
/// generated code.
pub fn assert_fixture_marked(
    files: &[(&str, TargetKind, &str)],
    generated: &[&str],
    rules: &[&dyn Rule],
    settings: &Settings,
) {
    assert_fixture_full(files, generated, rules, settings, &CrateContext::default());
}

/// [`assert_fixture`] with generated files and a crate context.
pub fn assert_fixture_full(
    files: &[(&str, TargetKind, &str)],
    generated: &[&str],
    rules: &[&dyn Rule],
    settings: &Settings,
    context: &CrateContext,
) {
    let got: Vec<(String, u32, String)> = {
        let mut v: Vec<_> = check_sources_full(files, generated, rules, settings, context)
            .into_iter()
            .map(|d| {
                (
                    d.primary.path,
                    d.primary.span.start.line,
                    d.rule.code.to_owned(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let mut want: Vec<(String, u32, String)> = files
        .iter()
        .flat_map(|(path, _, src)| {
            expectations(src)
                .into_iter()
                .map(move |(line, code)| ((*path).to_owned(), line, code))
        })
        .collect();
    want.sort();
    assert_eq!(
        got, want,
        "findings (left) differ from the fixture's //~ expectations (right)"
    );
}
