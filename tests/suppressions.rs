//! `// rustgate: allow(..)` comments: line, item, file scope; unused and
//! invalid suppressions.

use crate::common::{code, crate_with_lib, rustgate, stdout};

fn concise(lib: &str) -> (i32, String) {
    let dir = crate_with_lib(lib);
    let o = rustgate(dir.path(), &["check", "--format", "concise"]);
    (code(&o), stdout(&o))
}

#[test]
fn trailing_comment_covers_its_line() {
    let (c, out) = concise(
        "pub fn f(p: *const u8) -> u8 {\n    unsafe { *p } // rustgate: allow(RG101) checked by caller\n}\n",
    );
    assert_eq!((c, out.as_str()), (0, ""));
}

#[test]
fn own_line_comment_covers_the_next_item() {
    let lib = "// rustgate: allow(unsafe-in-business-logic) audited\npub fn f(p: *const u8) -> u8 {\n    unsafe { *p }\n}\n\npub fn g(p: *const u8) -> u8 {\n    unsafe { *p }\n}\n";
    let (c, out) = concise(lib);
    assert_eq!(c, 1);
    assert_eq!(
        out,
        "src/lib.rs:7:5: RG101 [error] unsafe block in business logic\n"
    );
}

#[test]
fn own_line_comment_covers_a_statement() {
    let lib = "pub fn f(p: *const u8) -> u8 {\n    // rustgate: allow(RG101) audited\n    let v = unsafe {\n        *p\n    };\n    v + unsafe { *p }\n}\n";
    let (_, out) = concise(lib);
    assert_eq!(
        out,
        "src/lib.rs:6:9: RG101 [error] unsafe block in business logic\n"
    );
}

#[test]
fn file_level_forms() {
    let inner = "//! rustgate: allow(RG101) generated bindings\npub fn f(p: *const u8) -> u8 { unsafe { *p } }\npub fn g(p: *const u8) -> u8 { unsafe { *p } }\n";
    assert_eq!(concise(inner), (0, String::new()));
    let outer = "// rustgate: allow(RG101) generated bindings\n\npub fn f(p: *const u8) -> u8 { unsafe { *p } }\npub fn g(p: *const u8) -> u8 { unsafe { *p } }\n";
    assert_eq!(concise(outer), (0, String::new()));
}

#[test]
fn unused_suppression_is_rg902() {
    let (c, out) = concise("pub fn f() {} // rustgate: allow(RG101) stale\n");
    assert_eq!(c, 0, "RG902 is a warning: the default gate passes");
    assert_eq!(
        out,
        "src/lib.rs:1:15: RG902 [warning] unused suppression of `RG101`: no RG101 finding here\n"
    );
}

#[test]
fn unknown_code_is_rg903_with_suggestion() {
    let (c, out) =
        concise("pub fn f(p: *const u8) -> u8 { unsafe { *p } } // rustgate: allow(RG1001)\n");
    assert_eq!(c, 1);
    assert!(out.contains("RG101 [error] unsafe block"), "{out}");
    assert!(
        out.contains(
            "RG903 [error] suppression names unknown rule `RG1001` (did you mean `RG101`?)"
        ),
        "{out}"
    );
}

#[test]
fn malformed_suppression_is_rg903() {
    let (_, out) = concise("pub fn f() {} // rustgate: allow RG101\n");
    assert!(out.contains("RG903 [error] malformed suppression"), "{out}");
}

#[test]
fn reason_can_be_required() {
    let dir = crate_with_lib(
        "pub fn f(p: *const u8) -> u8 { unsafe { *p } } // rustgate: allow(RG101)\n",
    );
    assert_eq!(code(&rustgate(dir.path(), &["check"])), 0);
    std::fs::write(
        dir.path().join("rustgate.toml"),
        "require-suppression-reason = true\n",
    )
    .unwrap();
    let o = rustgate(dir.path(), &["check", "--format", "concise"]);
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).contains("RG903 [error] suppression has no reason"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn suppression_text_in_strings_is_not_a_suppression() {
    let (c, out) = concise(
        "pub const S: &str = \"// rustgate: allow(RG101)\";\npub fn f(p: *const u8) -> u8 { unsafe { *p } }\n",
    );
    assert_eq!(c, 1);
    assert_eq!(
        out,
        "src/lib.rs:2:32: RG101 [error] unsafe block in business logic\n"
    );
}

#[test]
fn sarif_keeps_suppressed_findings_as_suppressed() {
    let dir = crate_with_lib(
        "pub fn f(p: *const u8) -> u8 { unsafe { *p } } // rustgate: allow(RG101) checked by caller\n",
    );
    let o = rustgate(dir.path(), &["check", "--format", "sarif"]);
    assert_eq!(code(&o), 0);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let r = &v["runs"][0]["results"][0];
    assert_eq!(r["suppressions"][0]["kind"], "inSource");
    assert_eq!(r["suppressions"][0]["justification"], "checked by caller");
}
