//! Entry points of the fuzz targets (`fuzz/`, cargo-fuzz on nightly), shared
//! with the test that replays every input a fuzzer ever crashed on
//! (`fuzz/regressions/<target>/`) on stable, so CI checks them without
//! nightly. Each takes arbitrary bytes and must return without panicking,
//! hanging or allocating without bound; the checks inside are the
//! invariants the fuzzer holds the code to.

use std::path::Path;

/// A fuzz target's entry point.
pub type Target = fn(&[u8]);

/// Every target: its name (a folder of `fuzz/regressions/` and a binary of
/// `fuzz/`) and its entry point.
pub const TARGETS: &[(&str, Target)] = &[
    ("suppress", suppress),
    ("config", config),
    ("lcov", lcov),
    ("cobertura", cobertura),
    ("llvm_json", llvm_json),
    ("diff", diff),
    ("baseline", baseline),
    ("pipeline", pipeline),
];

/// The per-file pipeline, bytes to findings: never a rule panic (RG904), and
/// every finding on a line of the file.
pub fn pipeline(data: &[u8]) {
    let lines = data.split(|&b| b == b'\n').count() as u32;
    for d in crate::engine::check_source(data.to_vec()) {
        assert_ne!(d.rule.code, "RG904", "{d:?}");
        let line = d.primary.span.start.line;
        assert!(line >= 1 && line <= lines.max(1), "{d:?}");
    }
}

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// Suppression comments: every suppression lies on a line of the file, and
/// covers lines of it.
pub fn suppress(data: &[u8]) {
    let Some(source) = text(data) else { return };
    let lines = source.split('\n').count() as u32;
    // Nodes from the first lines, so scopes are exercised too.
    let nodes: Vec<(u32, u32)> = (1..=lines.min(64)).map(|l| (l, l + l % 3)).collect();
    let (found, malformed) = crate::suppress::parse(source, &nodes, Some(lines.div_ceil(2)));
    for s in &found {
        assert!(
            s.span.start.line >= 1 && s.span.start.line <= lines,
            "{s:?}"
        );
        if let Some((a, b)) = s.lines {
            assert!(a >= 1 && a <= b, "{s:?}");
        }
    }
    for m in &malformed {
        assert!(
            m.span.start.line >= 1 && m.span.start.line <= lines,
            "{m:?}"
        );
    }
}

/// A rustgate.toml: parsed and resolved, or a clean error.
pub fn config(data: &[u8]) {
    let Some(source) = text(data) else { return };
    let Ok(table) = source.parse::<toml::Table>() else {
        return;
    };
    let _ = crate::config::resolve(
        Some("rustgate.toml".into()),
        table,
        &crate::config::Overrides::default(),
    );
}

fn check_report(report: &crate::coverage::Report) {
    for cov in report.files.values() {
        let c = cov.line_counts();
        assert!(c.covered <= c.total, "{c:?}");
        assert!(cov.lines.keys().all(|&l| l <= crate::coverage::MAX_LINE));
    }
}

pub fn lcov(data: &[u8]) {
    let Some(source) = text(data) else { return };
    if let Ok(r) = crate::coverage::lcov::parse(Path::new("fuzz.lcov"), source) {
        check_report(&r);
    }
}

pub fn cobertura(data: &[u8]) {
    let Some(source) = text(data) else { return };
    if let Ok(r) = crate::coverage::cobertura::parse(Path::new("fuzz.xml"), source) {
        check_report(&r);
    }
}

pub fn llvm_json(data: &[u8]) {
    let Some(source) = text(data) else { return };
    if let Ok(r) = crate::coverage::llvm_json::parse(Path::new("fuzz.json"), source) {
        check_report(&r);
    }
}

pub fn diff(data: &[u8]) {
    let Some(source) = text(data) else { return };
    if let Ok(changes) = crate::coverage::diff::parse_unified(Path::new("fuzz.diff"), source) {
        for lines in changes.values() {
            assert!(!lines.is_empty());
        }
    }
}

pub fn baseline(data: &[u8]) {
    let Some(source) = text(data) else { return };
    if let Ok(b) = crate::baseline::Baseline::parse(Path::new("fuzz.json"), source) {
        assert!(
            b.findings
                .iter()
                .all(|e| !crate::baseline::ALWAYS_GATE.contains(&e.rule.as_str()))
        );
    }
}
