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
