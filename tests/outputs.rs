//! Each output format on one small workspace. Expected texts were read once
//! by hand against the source below.

use crate::common::{code, crate_with_lib, rustgate, stdout};

const LIB: &str = "mod b;\n\npub fn f(p: *const u8) -> u8 {\n    unsafe { *p }\n}\n";
const B: &str = "pub unsafe fn g() {}\n";

fn dir() -> tempfile::TempDir {
    let d = crate_with_lib(LIB);
    std::fs::write(d.path().join("src/b.rs"), B).unwrap();
    d
}

#[test]
fn concise_is_sorted_by_path_line_column() {
    let o = rustgate(dir().path(), &["check", "--format", "concise"]);
    assert_eq!(code(&o), 1);
    assert_eq!(
        stdout(&o),
        "src/b.rs:1:5: RG101 [error] unsafe fn in business logic\n\
         src/lib.rs:4:5: RG101 [error] unsafe block in business logic\n"
    );
}

#[test]
fn human_has_snippets_help_and_summary() {
    let out = stdout(&rustgate(dir().path(), &["check"]));
    let expected_snippet = "error[RG101]: unsafe block in business logic\n  ┌─ src/lib.rs:4:5\n  │\n4 │     unsafe { *p }\n  │     ^^^^^^ unsafe-in-business-logic\n";
    assert!(out.contains(expected_snippet), "{out}");
    assert!(
        out.contains("= help: keep unsafe code behind a safe API"),
        "{out}"
    );
    let last = out.lines().last().unwrap();
    assert!(
        last.starts_with("2 errors in 2 files; 2 files checked in "),
        "{last}"
    );
    assert!(!out.contains('\u{1b}'), "no colour when not a terminal");
}

#[test]
fn json_schema() {
    let o = rustgate(dir().path(), &["check", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["tool"]["name"], "rustgate");
    assert_eq!(v["summary"]["files_checked"], 2);
    assert_eq!(v["summary"]["errors"], 2);
    assert_eq!(v["summary"]["gate"], "fail");
    let d = &v["diagnostics"][1];
    assert_eq!(d["code"], "RG101");
    assert_eq!(d["name"], "unsafe-in-business-logic");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["message"], "unsafe block in business logic");
    assert_eq!(d["path"], "src/lib.rs");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(4), Some(5))
    );
    assert_eq!(
        (d["end_line"].as_u64(), d["end_column"].as_u64()),
        (Some(4), Some(11))
    );
    assert!(d["help"].as_str().unwrap().starts_with("keep unsafe code"));
}

#[test]
fn sarif_basics() {
    let o = rustgate(dir().path(), &["check", "--format", "sarif"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let rg101 = rules.iter().find(|r| r["id"] == "RG101").unwrap();
    assert_eq!(rg101["name"], "unsafe-in-business-logic");
    assert_eq!(rg101["defaultConfiguration"]["level"], "error");
    assert!(
        rg101["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("## Why is this bad?")
    );
    assert!(
        rg101["fullDescription"]["text"]
            .as_str()
            .unwrap()
            .starts_with("Reports every `unsafe` block")
    );
    let r = &run["results"][0];
    assert_eq!(r["ruleId"], "RG101");
    assert_eq!(r["level"], "error");
    let loc = &r["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "src/b.rs");
    assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(loc["region"]["startLine"], 1);
    let index = r["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], "RG101");
}

#[test]
fn github_workflow_commands() {
    let out = stdout(&rustgate(dir().path(), &["check", "--format", "github"]));
    let first = out.lines().next().unwrap();
    assert_eq!(
        first,
        "::error file=src/b.rs,line=1,col=5,endLine=1,endColumn=11,title=RG101 unsafe-in-business-logic::unsafe fn in business logic%0Ahelp%3A keep unsafe code behind a safe API in an `ffi` or `sys` module, or exclude the path with `[business-logic] exclude` in rustgate.toml"
            .replace("help%3A", "help:")
    );
}
