//! Hostile and unlucky input (issue 13): nothing crashes, hangs, leaks, or
//! passes the gate by accident.

use crate::common::{code, crate_with_lib, rustgate, stderr, stdout};

fn concise(lib: &str) -> (i32, String) {
    let dir = crate_with_lib(lib);
    let o = rustgate(dir.path(), &["check", "--format", "concise"]);
    (code(&o), stdout(&o))
}

// ---- suppression comments are found by a lexer ----

#[test]
fn string_continuation_does_not_shift_later_suppressions() {
    // A `\`-newline inside a string: the trailing suppression on line 4
    // covers line 4, not line 3.
    let (c, out) = concise(
        "pub fn f(p: *const u8) -> u8 {\n    let _s = \"a\\\n b\";\n    unsafe { *p } // rustgate: allow(RG101) audited\n}\n",
    );
    assert_eq!((c, out.as_str()), (0, ""));
}

#[test]
fn string_text_after_a_byte_raw_string_is_not_a_suppression() {
    // `br"\"` is a complete raw byte string: the `//` in the next string
    // literal is string text, not a comment.
    let (c, out) = concise(
        "pub fn f(p: *const u8) -> u8 {\n    let _a = br\"\\\";\n    let _b = \" // rustgate: allow(RG101) fake \"; unsafe { *p }\n}\n",
    );
    assert_eq!(c, 1, "{out}");
    assert_eq!(
        out,
        "src/lib.rs:3:50: RG101 [error] unsafe block in business logic\n"
    );
}

#[test]
fn literals_of_every_kind_hide_no_comment() {
    for lit in [
        "c\"\\\" // rustgate: allow(RG101) x \"",
        "cr#\"\" // rustgate: allow(RG101) x \"#",
        "b'\"'; let _z = \" // rustgate: allow(RG101) x \"",
        "b'\\''; let _z = \" // rustgate: allow(RG101) x \"",
        "'\"'; let _z = \" // rustgate: allow(RG101) x \"",
        "r##\"\"# // rustgate: allow(RG101) x \"##",
    ] {
        let lib =
            format!("pub fn f(p: *const u8) -> u8 {{\n    let _y = {lit}; unsafe {{ *p }}\n}}\n");
        let (c, out) = concise(&lib);
        assert_eq!(c, 1, "{lit}: {out}");
        assert!(out.contains("src/lib.rs:2:"), "{lit}: {out}");
        assert!(out.contains("RG101"), "{lit}: {out}");
        assert!(!out.contains("RG902"), "{lit}: {out}");
    }
}

// ---- coverage input is verified, not trusted ----

/// A crate whose lib.rs has five executable lines, with `files` beside it.
fn covered_crate(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = crate_with_lib(
        "pub fn f() -> u32 {\n    let a = 1;\n    let b = 2;\n    let c = 3;\n    a + b + c\n}\n",
    );
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

#[test]
fn lcov_summary_cannot_override_its_records() {
    // 0 of 5 lines hit, but LH claims all 5.
    let lcov = "SF:src/lib.rs\nDA:1,0\nDA:2,0\nDA:3,0\nDA:4,0\nDA:5,0\nLF:5\nLH:5\nend_of_record\n";
    let dir = covered_crate(&[("cov.lcov", lcov)]);
    let o = rustgate(
        dir.path(),
        &[
            "check",
            "--coverage",
            "cov.lcov",
            "--min-line-coverage",
            "100",
            "--format",
            "concise",
        ],
    );
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("total line coverage is 0.00% (0 of 5 lines)"),
        "{}",
        stdout(&o)
    );
    let err = stderr(&o);
    assert!(
        err.contains("warning: the `LF`/`LH` summary of `src/lib.rs` in `")
            && err.contains(
                "cov.lcov` (5 of 5 lines covered) disagrees with its line records (0 of 5)"
            ),
        "{err}"
    );
}

#[test]
fn lcov_counts_near_u64_max_are_an_error() {
    let lcov = format!(
        "SF:src/lib.rs\nDA:1,1\nLF:{}\nLH:{}\nend_of_record\n",
        u64::MAX,
        u64::MAX
    );
    let dir = covered_crate(&[("cov.lcov", &lcov)]);
    let o = rustgate(
        dir.path(),
        &[
            "check",
            "--coverage",
            "cov.lcov",
            "--min-line-coverage",
            "100",
        ],
    );
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stderr(&o).contains("cov.lcov` at line 3: expected `LF:<count>`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn lcov_line_numbers_are_bounded() {
    let lcov = "SF:src/lib.rs\nDA:1,1\nDA:4000000000,1\nend_of_record\n";
    let dir = covered_crate(&[("cov.lcov", lcov)]);
    let o = rustgate(dir.path(), &["check", "--coverage", "cov.lcov"]);
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stderr(&o).contains("cov.lcov` at line 3: expected a line number of at most 10000000"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn cobertura_condition_totals_are_bounded() {
    // 400 bytes that used to allocate gigabytes of branch outcomes.
    let xml = "<?xml version=\"1.0\"?>\n<coverage>\n<packages><package><classes><class filename=\"src/lib.rs\"><lines>\n<line number=\"1\" hits=\"1\" branch=\"true\" condition-coverage=\"50% (1/16000000)\"/>\n</lines></class></classes></package></packages>\n</coverage>\n";
    let dir = covered_crate(&[("cov.xml", xml)]);
    let t = std::time::Instant::now();
    let o = rustgate(dir.path(), &["check", "--coverage", "cov.xml"]);
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stderr(&o).contains("cov.xml` at line 4: expected `condition-coverage="),
        "{}",
        stderr(&o)
    );
    assert!(t.elapsed().as_secs() < 20, "{:?}", t.elapsed());
}

#[test]
fn llvm_json_segments_out_of_order_are_an_error() {
    let json = r#"{"type": "llvm.coverage.json.export", "data": [{"files": [
{"filename": "src/lib.rs", "segments": [[5, 1, 1, true, true, false], [1, 1, 1, true, true, false]]}
], "functions": []}]}"#;
    let dir = covered_crate(&[("cov.json", json)]);
    let o = rustgate(dir.path(), &["check", "--coverage", "cov.json"]);
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stderr(&o).contains("`segments` in line order"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn llvm_json_summary_cannot_override_its_records() {
    let json = r#"{"type": "llvm.coverage.json.export", "data": [{"files": [
{"filename": "src/lib.rs", "segments": [[1, 1, 0, true, true, false], [5, 2, 0, false, false, false]],
 "summary": {"lines": {"count": 5, "covered": 5}}}
], "functions": []}]}"#;
    let dir = covered_crate(&[("cov.json", json)]);
    let o = rustgate(
        dir.path(),
        &[
            "check",
            "--coverage",
            "cov.json",
            "--min-line-coverage",
            "100",
        ],
    );
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stderr(&o).contains("disagrees with its line records (0 of 5)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn diff_hunk_at_the_last_line_number_does_not_wrap() {
    let lcov = "SF:src/lib.rs\nDA:1,1\nDA:2,0\nend_of_record\n";
    let diff = "--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -1,0 +4294967295,2 @@\n+x\n+y\n";
    let dir = covered_crate(&[("cov.lcov", lcov), ("change.diff", diff)]);
    let o = rustgate(
        dir.path(),
        &[
            "check",
            "--coverage",
            "cov.lcov",
            "--diff-file",
            "change.diff",
            "--min-patch-coverage",
            "100",
        ],
    );
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stderr(&o).contains("change.diff` at line 3: expected a hunk that ends by line 4294967295"),
        "{}",
        stderr(&o)
    );
}

// ---- output: linear, printable, no sentinel, no writing through links ----

#[test]
fn one_long_line_with_many_findings_renders_in_linear_size() {
    // 2,000 findings on one line of about 100 KB.
    let mut line = String::from("pub fn f(p: *const u8) -> u8 { let mut s = 0u8;");
    for _ in 0..2000 {
        line.push_str(" s ^= unsafe { *p };");
        line.push_str(&" ".repeat(30));
    }
    line.push_str(" s }\n");
    assert!(line.len() > 100_000);
    let dir = crate_with_lib(&line);
    let t = std::time::Instant::now();
    let o = rustgate(dir.path(), &["check"]);
    let elapsed = t.elapsed();
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(out.matches("error[RG101]").count(), 2000);
    // Each snippet shows a cut of the line, not the whole 100 KB.
    assert!(out.len() < 3_000_000, "{} bytes of output", out.len());
    assert!(out.contains("…"), "long lines are cut");
    // Line and column numbers stay those of the file; the caret stays under
    // the finding in the cut line.
    let second = "  ┌─ src/lib.rs:1:104\n  │\n1 │ …0u8; s ^= unsafe { *p };";
    assert!(
        out.contains("┌─ src/lib.rs:1:54\n"),
        "{}",
        &out[..2000.min(out.len())]
    );
    assert!(out.contains(second), "{}", &out[..2000.min(out.len())]);
    let caret = format!("\n  │ {}^^^^^^ unsafe-in-business-logic\n", " ".repeat(61));
    let at = out.find(second).unwrap();
    assert!(out[at..].contains(&caret), "{}", &out[at..at + 1000]);
    assert!(elapsed.as_secs() < 60, "{elapsed:?}");
}

#[test]
fn escape_sequences_in_a_flagged_line_never_reach_the_terminal() {
    let lib =
        "pub fn f(p: *const u8) -> u8 { unsafe { *p } } // \u{1b}[2J\u{1b}]0;owned\u{7}\u{202e}\n";
    let dir = crate_with_lib(lib);
    for format in ["human", "concise", "github", "summary"] {
        let o = rustgate(dir.path(), &["check", "--format", format]);
        assert_eq!(code(&o), 1, "{format}");
        let out = stdout(&o);
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{7}') && !out.contains('\u{202e}'),
            "{format}: {out:?}"
        );
    }
    let o = rustgate(dir.path(), &["check"]);
    assert!(stdout(&o).contains("// ␛[2J␛]0;owned␇�"), "{}", stdout(&o));
}

#[test]
fn the_whole_line_column_never_reaches_json_or_github() {
    let lcov = "SF:src/lib.rs\nDA:1,0\nDA:2,0\nend_of_record\n";
    let dir = covered_crate(&[("cov.lcov", lcov)]);
    for format in ["json", "github", "sarif"] {
        let o = rustgate(
            dir.path(),
            &[
                "check",
                "--coverage",
                "cov.lcov",
                "--min-file-coverage",
                "100",
                "--format",
                format,
            ],
        );
        assert_eq!(code(&o), 1, "{format}: {}", stderr(&o));
        let out = stdout(&o);
        assert!(out.contains("RGC02"), "{format}: {out}");
        assert!(!out.contains("4294967295"), "{format}: {out}");
        assert!(!out.contains("endColumn=10001"), "{format}: {out}");
    }
}

#[cfg(unix)]
#[test]
fn output_replaces_a_symlink_instead_of_writing_through_it() {
    let dir = crate_with_lib(crate::common::UNSAFE_LIB);
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    std::os::unix::fs::symlink(&victim, dir.path().join("out.sarif")).unwrap();
    std::os::unix::fs::symlink(&victim, dir.path().join("b.json")).unwrap();
    let o = rustgate(dir.path(), &["check", "--output", "sarif=out.sarif"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let o = rustgate(dir.path(), &["baseline", "-o", "b.json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    for name in ["out.sarif", "b.json"] {
        let meta = std::fs::symlink_metadata(dir.path().join(name)).unwrap();
        assert!(meta.is_file(), "{name} is still a link");
    }
    assert!(
        std::fs::read_to_string(dir.path().join("out.sarif"))
            .unwrap()
            .contains("\"2.1.0\"")
    );
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
}

#[test]
fn sarif_holds_no_absolute_path_and_encodes_uris() {
    let dir = crate::common::workspace(&[
        (
            "Cargo.toml",
            "[package]\nname = \"t\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
        ),
        ("src/lib.rs", "#[path = \"a b%#?.rs\"]\nmod odd;\n"),
        ("src/a b%#?.rs", crate::common::UNSAFE_LIB),
    ]);
    let o = rustgate(dir.path(), &["check", "--format", "sarif"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let text = stdout(&o);
    let root = std::fs::canonicalize(dir.path()).unwrap();
    assert!(
        !text.contains(root.to_str().unwrap()),
        "absolute path in SARIF"
    );
    assert!(!text.contains("file://"), "absolute URI in SARIF");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let uri =
        &v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
    assert_eq!(uri, "src/a%20b%25%23%3F.rs");
}

// ---- `rustgate clean` removes only what rustgate wrote ----

#[test]
fn clean_refuses_a_folder_rustgate_did_not_create() {
    let dir = crate_with_lib(crate::common::UNSAFE_LIB);
    let o = rustgate(dir.path(), &["clean", "--cache-dir", "."]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("refusing to clean .: it holds `")
            && stderr(&o).contains("which rustgate did not write (nothing was removed)"),
        "{}",
        stderr(&o)
    );
    assert!(dir.path().join("src/lib.rs").is_file());
    assert!(dir.path().join("Cargo.toml").is_file());
}

#[test]
fn clean_removes_its_own_cache_folder_but_not_a_file_placed_in_it() {
    let dir = crate_with_lib(crate::common::UNSAFE_LIB);
    let o = rustgate(dir.path(), &["check", "--cache-dir", "cache"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let tag = std::fs::read_to_string(dir.path().join("cache/CACHEDIR.TAG")).unwrap();
    assert!(
        tag.starts_with("Signature: 8a477f597d28d172789f06886806bc55"),
        "{tag}"
    );
    std::fs::write(dir.path().join("cache/notes.txt"), "mine").unwrap();
    let o = rustgate(dir.path(), &["clean", "--cache-dir", "cache"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(dir.path().join("cache/notes.txt").is_file());
    std::fs::remove_file(dir.path().join("cache/notes.txt")).unwrap();
    let o = rustgate(dir.path(), &["clean", "--cache-dir", "cache"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(!dir.path().join("cache").exists());
}

// ---- every configuration source is validated ----

fn with_manifest(manifest_tail: &str) -> tempfile::TempDir {
    crate::common::workspace(&[
        (
            "Cargo.toml",
            &format!(
                "[package]\nname = \"t\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n{manifest_tail}"
            ),
        ),
        ("src/lib.rs", crate::common::UNSAFE_LIB),
    ])
}

#[test]
fn cargo_metadata_that_is_not_a_table_is_an_error() {
    for (tail, expected) in [
        (
            "[workspace]\n\n[workspace.metadata]\nrustgate = \"off\"\n",
            "Cargo.toml: `workspace.metadata.rustgate` must be a table",
        ),
        (
            "[package.metadata]\nrustgate = false\n",
            "Cargo.toml: `package.metadata.rustgate` must be a table",
        ),
        (
            "[workspace]\nmetadata = 1\n",
            "Cargo.toml: `workspace.metadata` must be a table",
        ),
    ] {
        let dir = with_manifest(tail);
        let o = rustgate(dir.path(), &["check"]);
        assert_eq!(code(&o), 2, "{tail}: {}{}", stdout(&o), stderr(&o));
        assert!(stderr(&o).contains(expected), "{tail}: {}", stderr(&o));
    }
}

#[test]
fn cargo_metadata_keys_and_values_are_checked_as_in_rustgate_toml() {
    for (tail, expected) in [
        (
            "[workspace]\n\n[workspace.metadata.rustgate]\nselct = [\"RG101\"]\n",
            "Cargo.toml:9:1: unknown key `selct` (did you mean `select`?)",
        ),
        (
            "[package.metadata.rustgate]\nfail-on = 3\n",
            "Cargo.toml:7:1: invalid value for `fail-on`",
        ),
    ] {
        let dir = with_manifest(tail);
        let o = rustgate(dir.path(), &["check"]);
        assert_eq!(code(&o), 2, "{tail}: {}{}", stdout(&o), stderr(&o));
        assert!(stderr(&o).contains(expected), "{tail}: {}", stderr(&o));
    }
}

// ---- baselines ----

#[test]
fn a_baseline_never_hides_a_file_that_does_not_parse() {
    let dir = crate_with_lib("mod broken;\n");
    crate::common::write(dir.path(), "src/broken.rs", b"fn broken( {\n");
    let o = rustgate(dir.path(), &["baseline"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let recorded = std::fs::read_to_string(dir.path().join("rustgate-baseline.json")).unwrap();
    assert!(!recorded.contains("RG901"), "{recorded}");
    let o = rustgate(
        dir.path(),
        &[
            "check",
            "--baseline",
            "rustgate-baseline.json",
            "--format",
            "concise",
        ],
    );
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("src/broken.rs:1:"), "{}", stdout(&o));
    assert!(stdout(&o).contains("RG901"), "{}", stdout(&o));
}

#[test]
fn a_baseline_entry_of_a_rule_that_always_gates_is_refused() {
    let dir = crate_with_lib("mod broken;\n");
    crate::common::write(dir.path(), "src/broken.rs", b"fn broken( {\n");
    crate::common::write(
        dir.path(),
        "b.json",
        br#"{"version": 1, "findings": [{"rule": "RG901", "path": "src/broken.rs", "fingerprint": "0123456789abcdef"}]}"#,
    );
    let o = rustgate(dir.path(), &["check", "--baseline", "b.json"]);
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stderr(&o).contains("baseline b.json holds a RG901 finding (entry 1): RG901 always gates"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn malformed_baselines_are_a_clear_error_naming_the_file() {
    let dir = crate_with_lib(crate::common::UNSAFE_LIB);
    std::fs::create_dir(dir.path().join("folder.json")).unwrap();
    for (bytes, expected) in [
        (&b""[..], "invalid baseline bad.json: EOF while parsing"),
        (b"[1, 2", "invalid baseline bad.json:"),
        (
            b"{\"version\": 1}",
            "invalid baseline bad.json: missing field `findings`",
        ),
        (
            b"{\"version\": 1, \"findings\": {}}",
            "invalid baseline bad.json: invalid type: map",
        ),
        (
            b"{\"version\": 1, \"findings\": [{\"rule\": 5}]}",
            "invalid baseline bad.json: invalid type: integer `5`",
        ),
        (
            b"{\"version\": -1, \"findings\": []}",
            "invalid baseline bad.json: invalid value: integer `-1`",
        ),
        (
            b"{\"version\": 9, \"findings\": []}",
            "baseline bad.json has version 9",
        ),
        (b"\xff\xfe{}", "cannot read baseline bad.json:"),
        (
            &[b'['; 100_000][..],
            "invalid baseline bad.json: invalid type: sequence",
        ),
    ] {
        crate::common::write(dir.path(), "bad.json", bytes);
        let o = rustgate(dir.path(), &["check", "--baseline", "bad.json"]);
        assert_eq!(code(&o), 2, "{expected}: {}{}", stdout(&o), stderr(&o));
        assert!(stderr(&o).contains(expected), "{expected}: {}", stderr(&o));
    }
    let o = rustgate(dir.path(), &["check", "--baseline", "folder.json"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("cannot read baseline folder.json:"),
        "{}",
        stderr(&o)
    );
}

// ---- fuzzing: every input a fuzzer crashed on is replayed on stable ----

#[test]
fn fuzz_regressions_are_replayed() {
    let root = crate::common::repo().join("fuzz");
    let mut replayed = 0;
    for (name, target) in rustgate::fuzzing::TARGETS {
        assert!(
            root.join("fuzz_targets")
                .join(format!("{name}.rs"))
                .is_file(),
            "no fuzz target for {name}"
        );
        let dir = root.join("regressions").join(name);
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.file_name().is_some_and(|n| n == ".gitkeep") {
                continue;
            }
            let data = std::fs::read(&path).unwrap();
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(outcome.is_ok(), "{} fails again", path.display());
            replayed += 1;
        }
    }
    assert!(replayed > 0);
}
