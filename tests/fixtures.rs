//! Runs `rustgate check` on every fixture group in `fixtures/rules/*/` and
//! compares the findings with the `//~ CODE` expectations in its files:
//! missing and extra findings both fail.

use std::path::Path;

use rustgate::engine::{RunOptions, run};
use rustgate_rules::testing::expectations;

use crate::common::repo;

fn rs_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target") {
                rs_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A message starts lowercase unless its first word is an acronym (`SQL`).
pub fn starts_capitalised(message: &str) -> bool {
    let first = message.split([' ', ':']).next().unwrap_or("");
    first.starts_with(char::is_uppercase)
        && !first
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

fn check_group(dir: &Path) -> Result<(), String> {
    let result = run(&RunOptions {
        paths: vec![dir.to_owned()],
        ..RunOptions::default()
    })
    .map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut got: Vec<(String, u32, String)> = result
        .active()
        .map(|d| {
            (
                d.primary.path.clone(),
                d.primary.span.start.line,
                d.rule.code.to_owned(),
            )
        })
        .collect();
    got.sort();
    for d in result.active() {
        let m = &d.message;
        if m.ends_with('.') || starts_capitalised(m) {
            return Err(format!(
                "{}: message breaks the convention (lowercase, no trailing period): {m:?}",
                d.rule.code
            ));
        }
    }
    let mut files = Vec::new();
    rs_files(dir, &mut files);
    let mut want = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        let rel = f
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        for (line, code) in expectations(&text) {
            want.push((rel.clone(), line, code));
        }
    }
    want.sort();
    if got == want {
        return Ok(());
    }
    let missing: Vec<_> = want.iter().filter(|w| !got.contains(w)).collect();
    let extra: Vec<_> = got.iter().filter(|g| !want.contains(g)).collect();
    Err(format!(
        "{}:\n  expected but not reported: {missing:?}\n  reported but not expected: {extra:?}",
        dir.display()
    ))
}

#[test]
fn every_fixture_group_reports_exactly_its_expectations() {
    let root = repo().join("fixtures/rules");
    let mut groups: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    groups.sort();
    assert!(
        !groups.is_empty(),
        "no fixture groups under {}",
        root.display()
    );
    let failures: Vec<String> = groups.iter().filter_map(|g| check_group(g).err()).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn unsafe_fixture_covers_each_construct() {
    // Guards the fixture itself: the harness passing on an empty group proves nothing.
    let text = std::fs::read_to_string(repo().join("fixtures/rules/unsafe/src/lib.rs")).unwrap();
    let codes = expectations(&text);
    assert!(codes.len() >= 10, "{codes:?}");
    for needle in [
        "unsafe impl",
        "unsafe trait",
        "unsafe extern",
        "unsafe fn",
        "unsafe {",
    ] {
        assert!(text.contains(needle), "fixture lost `{needle}`");
    }
}

#[test]
fn demo_workspace_shows_findings() {
    let result = run(&RunOptions {
        paths: vec![repo().join("fixtures/demo")],
        ..RunOptions::default()
    })
    .unwrap();
    let codes: std::collections::BTreeSet<&str> = result.active().map(|d| d.rule.code).collect();
    assert!(codes.contains("RG101"), "{codes:?}");
    assert!(result.gate_failed());
}
