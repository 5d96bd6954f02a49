//! Hostile and unlucky input (issue 13): nothing crashes, hangs, leaks, or
//! passes the gate by accident.

use crate::common::{code, crate_with_lib, rustgate, stdout};

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
